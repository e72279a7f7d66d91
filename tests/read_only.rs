//! Evidence is read, never changed: after a scan every file in the scanned
//! tree has the same bytes, modified time and access time, and no file has
//! appeared or disappeared anywhere in it.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const USER: &str = "alice@contoso.com";

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    kind: &'static str,
    mtime: SystemTime,
    /// Regular files only: directories' access times move when they are listed.
    atime: Option<SystemTime>,
    /// Regular files: their bytes; links: their target.
    content: Vec<u8>,
}

/// Reads a file without moving its access time (so the snapshot itself does
/// not disturb what it measures).
fn read_quietly(p: &Path) -> Vec<u8> {
    let before = fs::metadata(p).unwrap();
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOATIME);
    }
    let mut v = Vec::new();
    opts.open(p).unwrap().read_to_end(&mut v).unwrap();
    let after = fs::metadata(p).unwrap();
    if after.accessed().unwrap() != before.accessed().unwrap() {
        // No O_NOATIME here: put the access time back.
        filetime::set_file_times(
            p,
            filetime::FileTime::from_last_access_time(&before),
            filetime::FileTime::from_last_modification_time(&before),
        )
        .unwrap();
    }
    v
}

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    for p in tree_listing(root) {
        let m = fs::symlink_metadata(&p).unwrap();
        let ft = m.file_type();
        let entry = if ft.is_symlink() {
            Entry {
                kind: "link",
                mtime: m.modified().unwrap(),
                atime: None,
                content: fs::read_link(&p)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes(),
            }
        } else if ft.is_dir() {
            Entry {
                kind: "dir",
                mtime: m.modified().unwrap(),
                atime: None,
                content: Vec::new(),
            }
        } else {
            // Under Wine (ci/windows.sh sets OIMDIAG_UNDER_WINE) every read is
            // a Linux read() that moves the access time whatever the Windows
            // program asks for, so only bytes and mtime can be compared there.
            let atime = if std::env::var_os("OIMDIAG_UNDER_WINE").is_some() {
                None
            } else {
                Some(m.accessed().unwrap())
            };
            let content = read_quietly(&p);
            Entry {
                kind: "file",
                mtime: m.modified().unwrap(),
                atime,
                content,
            }
        };
        out.insert(p, entry);
    }
    out
}

fn assert_unchanged(
    before: &BTreeMap<PathBuf, Entry>,
    after: &BTreeMap<PathBuf, Entry>,
    what: &str,
) {
    let b: Vec<_> = before.keys().collect();
    let a: Vec<_> = after.keys().collect();
    assert_eq!(a, b, "{what}: the tree's listing changed");
    for (p, e) in before {
        assert_eq!(&after[p], e, "{what}: {} changed", p.display());
    }
}

/// A tree with every kind of input the scanner reads, all with an access time
/// older than their modified time, so any ordinary read would move it.
fn fixture() -> TestEnv {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    env.write_item(
        USER,
        "b.xml",
        xml_item(
            "t",
            "carol@contoso.com",
            Some(("DateTimeSent", "2026-11-23T09:59:00Z")),
        ),
    );
    env.write_item(
        USER,
        "c.hist",
        utf16le_bom(&mime_item("dave@contoso.com", None)),
    );
    env.write_item(
        USER,
        "d.dat",
        (0..2048u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    env.write_item(USER, "e.hist", b"");
    env.write_item(
        USER,
        "sub/f.hist",
        mime_item("erin@contoso.com", Some("not a date")),
    );
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        "11/23/2026|09:14:03.123 1A2B:3C4D INFO  :: signed in\n",
    );
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-1.etl",
        [0u8, 1, 2, 3, 0xFF, 0, 0, 7, 9],
    );
    env.write_file("Microsoft/Office/16.0/Lync/notes.txt", "unrelated notes\n");
    env.mkdir("Microsoft/Office/16.0/Lync/sip_bob@contoso.com/History Spooler");
    #[cfg(unix)]
    {
        let sp = env.spooler(USER);
        std::os::unix::fs::symlink("a.hist", sp.join("link.hist")).unwrap();
        std::os::unix::fs::symlink("..", sp.join("loop")).unwrap();
    }
    let old = filetime_of(ago(3 * 365 * 86_400));
    for p in tree_listing(env.root()) {
        if fs::symlink_metadata(&p).unwrap().is_file() {
            filetime::set_file_times(&p, old, filetime_of(default_mtime())).unwrap();
        }
    }
    env
}

#[test]
fn json_scan_leaves_every_file_and_the_listing_unchanged() {
    let env = fixture();
    let before = snapshot(env.root());
    let s = env.scan_root(&[]);
    assert!(s.items().len() >= 6, "{:#?}", s.items());
    assert_unchanged(&before, &snapshot(env.root()), "json scan");
}

#[test]
fn text_scan_of_each_path_shape_leaves_everything_unchanged() {
    let env = fixture();
    let before = snapshot(env.root());
    let sp = env.spooler(USER);
    for path in [
        env.root().to_path_buf(),
        env.lync(),
        env.profile_dir(USER),
        sp.clone(),
        sp.join("a.hist"),
    ] {
        let r = env.run(&[
            "scan".as_ref(),
            path.as_os_str(),
            "--now".as_ref(),
            NOW.as_ref(),
            "--utc-offset".as_ref(),
            "+00:00".as_ref(),
            "--include-subjects".as_ref(),
        ]);
        assert_eq!(r.code, 1, "{r:?}");
    }
    assert_unchanged(&before, &snapshot(env.root()), "text scans");
}

#[test]
fn scan_with_output_elsewhere_adds_no_file_to_the_scanned_tree() {
    let env = fixture();
    let out_dir = tempfile::tempdir().unwrap();
    let report = out_dir.path().join("report.json");
    let before = snapshot(env.root());
    let r = env.run(&[
        "scan".as_ref(),
        env.root().as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--now".as_ref(),
        NOW.as_ref(),
        "--output".as_ref(),
        report.as_os_str(),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(report.is_file());
    assert_unchanged(&before, &snapshot(env.root()), "scan with --output");
}
