//! Hostile inputs: trees and files built to hang, crash or mislead the scan.
//! Every scan must end with one valid JSON report, exit 0 or 1 (never 2,
//! never a signal), name what it skipped and why, and finish in bounded time.
//! Inputs the fuzzers (`fuzz/`) found are replayed here through the same
//! harness (`fuzz/harness.rs`). Tests marked `#[ignore = "BUG: ..."]` pin a
//! bug that is not fixed yet: run them with `cargo test -- --ignored`.

mod common;

#[path = "../fuzz/harness.rs"]
mod harness;

use common::*;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A scan longer than this is a hang, not a slow machine: the slowest seen was
/// 30 s (debug build under Wine, loaded host), so this is four times that.
/// It stays below the harness's kill timeout (`RUN_TIMEOUT`), so a hang is
/// reported by this bound with the scan's own output.
const BOUND: Duration = Duration::from_secs(120);

const ALICE: &str = "alice@contoso.com";

/// What every hostile scan must give: a report, exit 0/1, in bounded time.
fn check(s: &Scan) {
    assert!(
        s.code == 0 || s.code == 1,
        "exit {} (stderr: {})",
        s.code,
        s.stderr
    );
    assert!(s.elapsed < BOUND, "took {:?} (bound {BOUND:?})", s.elapsed);
    assert_eq!(s.json["schema_version"], "2.2");
    assert!(s.json["inputs"]["scanned"].is_array());
    assert!(s.json["inputs"]["skipped"].is_array());
    let mut bad = Vec::new();
    bad_times(&s.json, &mut bad);
    assert!(bad.is_empty(), "times that are not RFC 3339: {bad:?}");
}

/// Every time field (`scan_time`, `sent_at`, `queued_at`, `resolved_at`,
/// `time`) that is not RFC 3339, as the JSON contract promises.
fn bad_times(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let is_time = matches!(
                    k.as_str(),
                    "scan_time" | "sent_at" | "queued_at" | "resolved_at" | "time"
                );
                if let (true, Some(t)) = (is_time, x.as_str()) {
                    if chrono::DateTime::parse_from_rfc3339(t).is_err() {
                        out.push(format!("{k}: {t}"));
                    }
                }
                bad_times(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| bad_times(x, out)),
        _ => {}
    }
}

fn scan_checked(env: &TestEnv) -> Scan {
    let s = env.scan_root(&[]);
    check(&s);
    s
}

/// `inputs.scanned[]` whose path ends with `name`.
fn scanned<'a>(s: &'a Scan, name: &str) -> &'a Value {
    s.json["inputs"]["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| {
            panic!(
                "{name} not in inputs.scanned: {:#}",
                s.json["inputs"]["scanned"]
            )
        })
}

fn note_of(s: &Scan, name: &str) -> String {
    scanned(s, name)["note"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} has no note: {:#}", scanned(s, name)))
        .to_string()
}

fn tracing(env: &TestEnv) -> PathBuf {
    let d = env.lync().join("Tracing");
    fs::create_dir_all(&d).unwrap();
    d
}

/// One UccApilog record line (local time = UTC in these tests).
fn rec(hms: &str, text: &str) -> String {
    format!("11/23/2026|{hms}.000 1F68:C14 INFO  :: {text}\n")
}

const EWS_503: &str =
    "EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable";

fn ews_url(s: &Scan) -> Option<&str> {
    s.json["facts"]["ews_url"].as_str()
}

const CSV_HEADER: &str = "Event Name,   Type,   Event ID,   Version,   Channel,   Level,   Opcode,   Task,   Keyword,   PID,   TID,   Processor Number,   Instance ID,   Parent Instance ID,   Activity ID,   Related Activity ID,   Clock-Time,   Kernel(ms),   User(ms),   User Data\r\n";

/// One tracerpt data row at 2026-11-23T09:00:00Z with `data` (already quoted if need be).
fn csv_row(data: &str) -> String {
    format!(
        "UccApi,   Info,   0,   0,   0,   4,   0,   0,   0x0,   0x00001F68,   0x00000C14,   0,   ,   ,   {{00000000-0000-0000-0000-000000000000}},   ,   134083692000000000,   0,   0,   {data}\r\n"
    )
}

// ------------------------------------------------------------ FIFOs, devices

#[cfg(unix)]
mod unix {
    use super::*;
    use std::ffi::CString;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::os::unix::fs::symlink;

    fn cpath(p: &Path) -> CString {
        CString::new(p.as_os_str().as_bytes()).unwrap()
    }

    pub fn mkfifo(p: &Path) {
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
        let rc = unsafe { libc::mkfifo(cpath(p).as_ptr(), 0o644) };
        assert_eq!(rc, 0, "mkfifo {}", p.display());
    }

    /// A character device like /dev/zero (1, 5). Needs privileges: `false`
    /// where the node could not be made.
    pub fn mknod_zero(p: &Path) -> bool {
        // SAFETY: as above; mknod only creates a node.
        let rc = unsafe {
            libc::mknod(
                cpath(p).as_ptr(),
                libc::S_IFCHR | 0o644,
                libc::makedev(1, 5),
            )
        };
        rc == 0
    }

    fn assert_not_opened(s: &Scan, name: &str) {
        let r = s.skip_reason(name);
        assert!(
            r.contains("FIFO") || r.contains("symbolic link") || r.contains("not a regular file"),
            "{name}: {r}"
        );
    }

    #[test]
    fn fifos_sockets_devices_and_links_to_devices_are_skipped_without_blocking() {
        let env = TestEnv::new();
        env.write_item(ALICE, "ok.hist", mime_item("bob@contoso.com", None));
        let sp = env.spooler(ALICE);
        mkfifo(&sp.join("fifo.hist"));
        symlink("/dev/zero", sp.join("zero.hist")).unwrap();
        symlink("/dev/urandom", sp.join("random.hist")).unwrap();
        let _sock = std::os::unix::net::UnixListener::bind(sp.join("sock.hist")).unwrap();
        let dev = mknod_zero(&sp.join("dev.hist"));
        let tr = tracing(&env);
        mkfifo(&tr.join("Lync-UccApi-0.UccApilog"));
        symlink("/dev/zero", tr.join("Lync-UccApi-1.UccApilog")).unwrap();
        mkfifo(&tr.join("export.csv"));
        let tdev = mknod_zero(&tr.join("Lync-UccApi-2.UccApilog"));
        fs::write(tr.join("Lync-UccApi-3.UccApilog"), rec("09:00:00", EWS_503)).unwrap();

        let s = scan_checked(&env);
        for name in [
            "fifo.hist",
            "zero.hist",
            "random.hist",
            "sock.hist",
            "Lync-UccApi-0.UccApilog",
            "Lync-UccApi-1.UccApilog",
            "export.csv",
        ] {
            assert_not_opened(&s, name);
        }
        if dev {
            assert_not_opened(&s, "dev.hist");
        }
        if tdev {
            assert_not_opened(&s, "Lync-UccApi-2.UccApilog");
        }
        assert_eq!(s.items().len(), 1, "only the regular item is an item");
        assert_eq!(
            ews_url(&s),
            Some("https://mail.contoso.com/EWS/Exchange.asmx")
        );
    }

    #[test]
    fn fifo_and_device_named_as_paths_are_not_opened() {
        let env = TestEnv::new();
        let fifo = env.path("named.fifo");
        mkfifo(&fifo);
        let link = env.path("zero-link");
        symlink("/dev/zero", &link).unwrap();
        let s = env.scan(
            &[fifo.as_path(), link.as_path(), Path::new("/dev/zero")],
            &[],
        );
        check(&s);
        for name in ["named.fifo", "zero-link", "/dev/zero"] {
            assert_not_opened(&s, name);
        }
    }

    #[test]
    fn symlink_loops_are_skipped_not_followed() {
        let env = TestEnv::new();
        env.write_item(ALICE, "ok.hist", mime_item("bob@contoso.com", None));
        let sp = env.spooler(ALICE);
        symlink("b.hist", sp.join("a.hist")).unwrap();
        symlink("a.hist", sp.join("b.hist")).unwrap();
        symlink("self.hist", sp.join("self.hist")).unwrap();
        symlink("..", sp.join("up")).unwrap();
        symlink(env.root(), sp.join("root")).unwrap();
        let tr = tracing(&env);
        symlink(".", tr.join("here")).unwrap();
        symlink(
            "Lync-UccApi-1.UccApilog",
            tr.join("Lync-UccApi-0.UccApilog"),
        )
        .unwrap();
        symlink(
            "Lync-UccApi-0.UccApilog",
            tr.join("Lync-UccApi-1.UccApilog"),
        )
        .unwrap();
        symlink(env.root(), env.path("loop-beside")).unwrap();

        let s = scan_checked(&env);
        for name in [
            "a.hist",
            "b.hist",
            "self.hist",
            "up",
            "root",
            "here",
            "Lync-UccApi-0.UccApilog",
            "Lync-UccApi-1.UccApilog",
            "loop-beside",
        ] {
            assert!(
                s.skip_reason(name).contains("symbolic link"),
                "{name}: {}",
                s.skip_reason(name)
            );
        }
        assert_eq!(s.items().len(), 1);
    }

    #[test]
    fn a_symlink_loop_named_as_the_path_is_a_usage_error_not_a_hang() {
        let env = TestEnv::new();
        let a = env.path("a");
        symlink(env.path("b"), &a).unwrap();
        symlink(&a, env.path("b")).unwrap();
        let mut args: Vec<std::ffi::OsString> = vec!["scan".into(), a.clone().into()];
        for x in [
            "--format",
            "json",
            "--now",
            NOW,
            "--utc-offset",
            "+00:00",
            "-q",
        ] {
            args.push(x.into());
        }
        let r = env.run(&args);
        assert!(r.elapsed < BOUND);
        // A named PATH that cannot be opened is exit 2 by contract.
        assert_eq!(r.code, 2, "stderr: {}", r.stderr);
        assert!(
            r.stderr.contains("/a"),
            "stderr names the path: {}",
            r.stderr
        );
    }

    /// Names that are not UTF-8, and names of 255 bytes (ASCII and multi-byte).
    #[test]
    fn non_utf8_and_255_byte_names_are_read_and_reported_as_valid_json() {
        let env = TestEnv::new();
        let sp = env.spooler(ALICE);
        let raw = |b: &[u8]| std::ffi::OsString::from_vec(b.to_vec());
        let item = mime_item("bob@contoso.com", Some("Mon, 23 Nov 2026 09:14:03 +0000"));
        write_at(&sp.join(raw(b"caf\xe9.hist")), item.as_bytes());
        write_at(
            &sp.join(raw(b"sub\xff\xfe")).join("x.hist"),
            item.as_bytes(),
        );
        let ascii255 = "a".repeat(250) + ".hist";
        assert_eq!(ascii255.len(), 255);
        write_at(&sp.join(&ascii255), item.as_bytes());
        let multi255 = "é".repeat(127) + "x"; // 254 + 1 bytes
        assert_eq!(multi255.len(), 255);
        write_at(&sp.join(&multi255), item.as_bytes());
        // A profile folder whose address is not UTF-8.
        let odd_profile = env.lync().join(raw(b"sip_b\xf6b@contoso.com"));
        write_at(
            &odd_profile.join("History Spooler").join("y.hist"),
            item.as_bytes(),
        );
        let tr = tracing(&env);
        write_at(
            &tr.join(raw(b"Lync-UccApi-\xff.UccApilog")),
            rec("09:00:00", EWS_503).as_bytes(),
        );
        let log255 = "L".repeat(245) + ".UccApilog";
        assert_eq!(log255.len(), 255);
        write_at(&tr.join(&log255), rec("09:00:00", EWS_503).as_bytes());

        let s = scan_checked(&env);
        assert_eq!(s.items().len(), 5, "{:#?}", s.items());
        assert_eq!(s.json["inputs"]["scanned"].as_array().unwrap().len(), 7);
        s.item(&ascii255);
        s.item(&multi255);
        assert!(s.skipped().is_empty(), "{:?}", s.skipped());
        // The text report survives the same names.
        let t = env.run(&["scan", "--now", NOW, "--utc-offset", "+00:00", "-q", "."]);
        assert!(t.code == 0 || t.code == 1, "{}", t.stderr);
    }

    /// `levels` folders named `name` below `top`, then `deep.hist` holding `content`.
    fn deep_tree(top: &Path, name: &str, levels: usize, content: &[u8]) {
        let cname = CString::new(name).unwrap();
        // SAFETY: plain libc calls on file descriptors this function owns and
        // closes, with valid NUL-terminated names.
        unsafe {
            let mut fd = libc::open(cpath(top).as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            assert!(fd >= 0);
            for _ in 0..levels {
                assert_eq!(libc::mkdirat(fd, cname.as_ptr(), 0o755), 0);
                let next = libc::openat(fd, cname.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
                assert!(next >= 0);
                libc::close(fd);
                fd = next;
            }
            let file = CString::new("deep.hist").unwrap();
            let f = libc::openat(fd, file.as_ptr(), libc::O_WRONLY | libc::O_CREAT, 0o644);
            assert!(f >= 0);
            let n = libc::write(f, content.as_ptr().cast(), content.len());
            assert_eq!(n, content.len() as isize);
            libc::close(f);
            libc::close(fd);
        }
    }

    /// Escape sequences and bidi overrides in file names, headers, subjects
    /// and log text never reach the terminal raw.
    #[test]
    fn control_characters_in_names_and_fields_reach_no_terminal_raw() {
        let env = TestEnv::new();
        let evil = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}";
        env.write_item(
            ALICE,
            &format!("{evil}.hist"),
            format!(
                "To: <sip:bob{evil}@contoso.com>\r\nFrom: <sip:{evil}@x.com>\r\n\
                 Subject: {evil}\r\nX-MS-Message-Class: {evil}\r\n\
                 Date: Mon, 23 Nov 2026 09:14:03 +0000\r\n\r\n"
            ),
        );
        let log = rec(
            "09:00:00",
            &format!("OfflineIM: message 42 failed: EWS returned 401 {evil}"),
        ) + &rec(
            "09:00:01",
            &format!("OfflineIM: queued message 43 for sip:bob{evil}@contoso.com"),
        );
        write_at(
            &tracing(&env).join(format!("{evil}.UccApilog")),
            log.as_bytes(),
        );
        let t = env.run(&[
            "scan",
            "--now",
            NOW,
            "--utc-offset",
            "+00:00",
            "-q",
            "--include-subjects",
            ".",
        ]);
        assert!(t.code == 0 || t.code == 1, "{}", t.stderr);
        for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(
                !t.stdout.contains(c),
                "raw {c:?} in the text report:\n{}",
                t.stdout
            );
        }
        let s = env.scan_root(&["--include-subjects"]);
        check(&s);
    }

    /// `--signatures` names a user file: a device there must not be read
    /// without end. The child runs under a 1 GiB address-space limit and is
    /// killed after 10 s, so this test cannot eat the machine.
    #[test]
    fn a_device_given_as_the_signature_file_is_refused_quickly() {
        use std::os::unix::process::CommandExt;
        let env = TestEnv::new();
        env.write_item(ALICE, "ok.hist", mime_item("bob@contoso.com", None));
        let mut cmd = std::process::Command::new(bin());
        cmd.arg("scan")
            .arg(env.root())
            .args([
                "--format",
                "json",
                "--now",
                NOW,
                "-q",
                "--signatures",
                "/dev/zero",
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        // SAFETY: setrlimit is async-signal-safe; nothing else runs in the child.
        unsafe {
            cmd.pre_exec(|| {
                let lim = libc::rlimit {
                    rlim_cur: 1 << 30,
                    rlim_max: 1 << 30,
                };
                libc::setrlimit(libc::RLIMIT_AS, &lim);
                Ok(())
            });
        }
        let start = std::time::Instant::now();
        let mut child = cmd.spawn().unwrap();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if start.elapsed() > BOUND {
                child.kill().ok();
                child.wait().ok();
                panic!("still reading /dev/zero after {BOUND:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(2), "a usage error, not {status:?}");
        // Refused for what it is, not after filling the 1 GiB allowed.
        assert!(!err.contains("out of memory"), "{err}");
    }

    /// Run as an unprivileged user (nobody, through `setpriv`; only when the
    /// tests run as root): a folder it cannot list, an item and a log it
    /// cannot open are named with "permission denied" and the rest is read.
    #[test]
    #[ignore = "needs root (and setpriv) to make files unreadable: cargo test -- --include-ignored as root"]
    fn unreadable_folders_items_and_logs_are_named_with_their_reason() {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let setpriv = Path::new("/usr/bin/setpriv");
        if !root || !setpriv.exists() {
            cannot_run("needs root and /usr/bin/setpriv to make files unreadable to the scan");
        }
        use std::os::unix::fs::PermissionsExt;
        let env = TestEnv::new();
        let item = mime_item("bob@contoso.com", None);
        env.write_item(ALICE, "ok.hist", &item);
        let secret = env.write_item(ALICE, "secret.hist", &item);
        let locked = env.spooler(ALICE).join("locked");
        write_at(&locked.join("in.hist"), item.as_bytes());
        let log = write_at(
            &tracing(&env).join("Lync-UccApi-0.UccApilog"),
            rec("09:00:00", EWS_503).as_bytes(),
        );
        for e in walk_all(env.root()) {
            fs::set_permissions(&e, fs::Permissions::from_mode(0o755)).unwrap();
        }
        for p in [&secret, &locked, &log] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o000)).unwrap();
        }
        let out = std::process::Command::new(setpriv)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin())
            .arg("scan")
            .arg(env.root())
            .args([
                "--format",
                "json",
                "--now",
                NOW,
                "--utc-offset",
                "+00:00",
                "-q",
            ])
            .current_dir("/")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        // Let the temporary tree be removed.
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        let s = Scan::parse(RunResult {
            code: out.status.code().expect("not killed by a signal"),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: Duration::ZERO,
        });
        check(&s);
        assert_eq!(s.item("ok.hist")["recipient"], "bob@contoso.com");
        assert!(
            s.item("secret.hist")["problem"]
                .as_str()
                .is_some_and(|p| p.contains("permission denied")),
            "{:#}",
            s.item("secret.hist")
        );
        assert!(s.skip_reason("locked").contains("permission denied"));
        assert!(s
            .skip_reason("Lync-UccApi-0.UccApilog")
            .contains("permission denied"));
    }

    fn walk_all(root: &Path) -> Vec<PathBuf> {
        let mut out = vec![root.to_path_buf()];
        let mut i = 0;
        while i < out.len() {
            if out[i].is_dir() {
                let more: Vec<PathBuf> = fs::read_dir(&out[i])
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                out.extend(more);
            }
            i += 1;
        }
        out
    }

    /// A tree deeper than PATH_MAX (4096 bytes) in total: the walk must not
    /// die, and what it cannot reach is named.
    #[test]
    fn paths_longer_than_4096_bytes_do_not_break_the_scan() {
        let env = TestEnv::new();
        let sp = env.spooler(ALICE);
        env.write_item(ALICE, "top.hist", mime_item("bob@contoso.com", None));
        // 24 levels of 200-byte names: about 4,800 bytes below the spooler.
        // Built relative to an open folder (mkdirat/openat): no absolute
        // path that long can be opened.
        let name = "d".repeat(200);
        deep_tree(&sp, &name, 24, b"To: <sip:deep@contoso.com>\r\n\r\n");
        let s = scan_checked(&env);
        s.item("top.hist");
        // Either the deep item is read, or the part of the tree that could
        // not be listed or read is named with a reason.
        let deep_read = s
            .items()
            .iter()
            .any(|i| i["recipient"] == "deep@contoso.com");
        let named = s
            .skipped()
            .iter()
            .any(|(p, r)| p.contains(&name) && !r.is_empty())
            || s.items()
                .iter()
                .any(|i| i["path"].as_str().unwrap().ends_with("deep.hist"));
        assert!(deep_read || named, "{:#?}", s.json["inputs"]);
    }
}

// ------------------------------------------------------------ size and shape

#[test]
fn sparse_4_tib_spool_item_costs_one_bounded_read() {
    let env = TestEnv::new();
    let p = env.write_item(
        ALICE,
        "huge.hist",
        "To: <sip:bob@contoso.com>\r\nDate: Mon, 23 Nov 2026 09:14:03 +0000\r\n\r\n",
    );
    fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(SPARSE_SIZE)
        .unwrap();
    let s = scan_checked(&env);
    let item = s.item("huge.hist");
    assert_eq!(item["size_bytes"], SPARSE_SIZE);
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["sent_at_source"], "content");
    // Reading 4 TiB of holes takes longer than BOUND at any memory speed;
    // one bounded read takes milliseconds. `check` held the scan to BOUND.
}

/// Large enough that reading it whole could never fit in [`BOUND`]: it is
/// sparse, so it costs no disk (ext4 allows 16 TiB).
const SPARSE_SIZE: u64 = 4 << 40;

#[test]
fn items_120_levels_below_the_spooler_are_found() {
    let env = TestEnv::new();
    let mut d = env.spooler(ALICE);
    for i in 0..120 {
        d = d.join(format!("n{i}"));
        if i == 60 {
            write_at(
                &d.join("mid.hist"),
                mime_item("mid@contoso.com", None).as_bytes(),
            );
        }
    }
    write_at(
        &d.join("deep.hist"),
        mime_item("deep@contoso.com", None).as_bytes(),
    );
    let s = scan_checked(&env);
    assert_eq!(s.item("deep.hist")["recipient"], "deep@contoso.com");
    assert_eq!(s.item("mid.hist")["recipient"], "mid@contoso.com");
}

#[test]
fn utf16_with_an_odd_byte_count_in_logs_csv_and_admin_exports_is_read() {
    let env = TestEnv::new();
    let tr = tracing(&env);
    let mut log = utf16le_bom(&(rec("09:00:00", EWS_503) + &rec("09:00:01", "tail")));
    log.push(b'Z');
    write_at(&tr.join("Lync-UccApi-0.UccApilog"), &log);
    let mut csv = utf16le_bom(&format!(
        "{CSV_HEADER}{}",
        csv_row("Autodiscover: failed for contoso.com: timeout")
    ));
    csv.push(0x41);
    write_at(&tr.join("export.csv"), &csv);
    let mut admin = utf16le_bom("Identity        : Global\r\nEnableOfflineIM : False\r\n");
    admin.push(0x0D);
    write_at(&env.path("admin/Get-CsImConfiguration.txt"), &admin);

    let s = scan_checked(&env);
    assert_eq!(
        ews_url(&s),
        Some("https://mail.contoso.com/EWS/Exchange.asmx")
    );
    assert!(
        note_of(&s, "Lync-UccApi-0.UccApilog").contains("invalid"),
        "{}",
        note_of(&s, "Lync-UccApi-0.UccApilog")
    );
    assert_eq!(scanned(&s, "export.csv")["kind"], "tracerpt_csv");
    assert!(s.has("OIM030"), "the CSV row was read: {:?}", s.rule_ids());
    assert!(
        s.has("OIM022"),
        "the admin export was read: {:?}",
        s.rule_ids()
    );
}

#[test]
fn a_log_that_is_one_32_mib_line_is_cut_and_the_next_record_still_counts() {
    let env = TestEnv::new();
    let tr = tracing(&env);
    let mut log = b"11/23/2026|09:00:00.000 1F68:C14 INFO  :: ".to_vec();
    log.resize(log.len() + (32 << 20), b'x');
    log.extend_from_slice(b"\r\n");
    log.extend_from_slice(rec("09:00:01", EWS_503).as_bytes());
    write_at(&tr.join("Lync-UccApi-0.UccApilog"), &log);
    // And a file that is nothing but one 32 MiB line, without a newline.
    let mut only = b"11/23/2026|09:00:00.000 1F68:C14 INFO  :: ".to_vec();
    only.resize(only.len() + (32 << 20), b'y');
    write_at(&tr.join("Lync-UccApi-1.UccApilog"), &only);

    let s = scan_checked(&env);
    for name in ["Lync-UccApi-0.UccApilog", "Lync-UccApi-1.UccApilog"] {
        let note = note_of(&s, name);
        assert!(note.contains("cut"), "{name}: {note}");
    }
    assert_eq!(
        ews_url(&s),
        Some("https://mail.contoso.com/EWS/Exchange.asmx")
    );
    assert!(s.has("OIM030"));
}

#[test]
fn nul_filled_spool_item_and_log_are_reported_not_fatal() {
    let env = TestEnv::new();
    env.write_item(ALICE, "zeros.hist", vec![0u8; 1 << 20]);
    let tr = tracing(&env);
    write_at(&tr.join("Lync-UccApi-0.UccApilog"), &vec![0u8; 1 << 20]);
    write_at(&tr.join("zeros.csv"), &vec![0u8; 4096]);
    let s = scan_checked(&env);
    let item = s.item("zeros.hist");
    assert_eq!(item["format"], "opaque");
    assert_eq!(item["size_bytes"], 1u64 << 20);
    for name in ["Lync-UccApi-0.UccApilog", "zeros.csv"] {
        assert!(!s.skip_reason(name).is_empty());
    }
    assert!(s.has("OIM061"));
}

/// A client that dies leaves its preallocated log padded with NULs after the
/// last record. The records before the padding are evidence.
#[test]
fn a_log_with_nul_padding_after_its_records_is_still_read() {
    let env = TestEnv::new();
    let tr = tracing(&env);
    let mut log = rec("09:00:00", EWS_503).into_bytes();
    log.resize(1 << 20, 0);
    write_at(&tr.join("Lync-UccApi-0.UccApilog"), &log);
    let s = scan_checked(&env);
    assert_eq!(scanned(&s, "Lync-UccApi-0.UccApilog")["kind"], "uccapilog");
    assert_eq!(
        ews_url(&s),
        Some("https://mail.contoso.com/EWS/Exchange.asmx")
    );
}

#[test]
fn records_with_10000_continuation_lines_each_are_capped_and_counted() {
    let env = TestEnv::new();
    let mut log = String::new();
    for r in 0..3 {
        log.push_str(&rec(
            &format!("09:00:0{r}"),
            "Data Received - 10.0.0.1:5061 blob",
        ));
        for i in 0..10_000 {
            log.push_str(&format!("blob line {i} of record {r}\n"));
        }
    }
    log.push_str(&rec("09:00:09", EWS_503));
    write_at(
        &tracing(&env).join("Lync-UccApi-0.UccApilog"),
        log.as_bytes(),
    );
    let s = scan_checked(&env);
    let note = note_of(&s, "Lync-UccApi-0.UccApilog");
    let dropped = 3 * (10_000 - 4096);
    assert!(
        note.contains(&format!("{dropped} continuation line(s) dropped")),
        "{note}"
    );
    assert_eq!(
        ews_url(&s),
        Some("https://mail.contoso.com/EWS/Exchange.asmx")
    );
}

#[test]
fn csv_with_an_unclosed_quote_at_the_start_of_a_row_or_the_header_is_bounded_and_noted() {
    let env = TestEnv::new();
    let tr = tracing(&env);
    // A data row opens a quote that never closes; 10,000 lines follow.
    let mut a = String::from(CSV_HEADER);
    a.push('"');
    for i in 0..10_000 {
        a.push_str(&csv_row(&format!("line {i}")));
    }
    write_at(&tr.join("row.csv"), a.as_bytes());
    // The header itself starts with a quote that never closes.
    let mut b = format!("\"{CSV_HEADER}");
    for i in 0..10_000 {
        b.push_str(&csv_row(&format!("line {i}")));
    }
    write_at(&tr.join("header.csv"), b.as_bytes());
    let s = scan_checked(&env);
    for name in ["row.csv", "header.csv"] {
        assert_eq!(scanned(&s, name)["kind"], "tracerpt_csv");
        let note = note_of(&s, name);
        assert!(note.contains("dropped"), "{name}: {note}");
    }
}

#[test]
fn deeply_nested_xml_spool_items_are_sniffed_in_bounded_time() {
    let env = TestEnv::new();
    let ns = r#"xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types""#;
    let mut x = format!(
        "<t:Message {ns}><t:ItemClass>IM.Note.MissedConversation</t:ItemClass>\
         <t:DateTimeSent>2026-11-23T09:00:00Z</t:DateTimeSent><t:ToRecipients>"
    );
    for _ in 0..2500 {
        x.push_str("<t:Mailbox>");
    }
    x.push_str("<t:EmailAddress>bob@contoso.com</t:EmailAddress>");
    for _ in 0..2500 {
        x.push_str("</t:Mailbox>");
    }
    x.push_str("</t:ToRecipients></t:Message>");
    assert!(x.len() < 64 * 1024);
    env.write_item(ALICE, "nested.xml", &x);
    // Only opening tags, to the read limit.
    env.write_item(ALICE, "opens.xml", "<a>".repeat(30_000));
    // Unclosed ToRecipients blocks, nested.
    env.write_item(
        ALICE,
        "unclosed.xml",
        format!(
            "<Message><ItemClass>IPM.Note</ItemClass>{}",
            "<ToRecipients><From>".repeat(3000)
        ),
    );
    let s = scan_checked(&env);
    let n = s.item("nested.xml");
    assert_eq!(n["format"], "xml");
    assert_eq!(n["recipient"], "bob@contoso.com");
    assert_eq!(n["sent_at_source"], "content");
    assert_eq!(s.item("opens.xml")["format"], "opaque");
    assert_eq!(s.item("unclosed.xml")["format"], "xml");
}

/// Format-List text: `Identity : Tag:n` objects of padding, so the file is
/// recognised (an `EnableOfflineIM` up front) and is `size` bytes long.
fn big_format_list(size: usize, last: &str) -> Vec<u8> {
    let mut s = String::from("Identity        : Tag:first\r\nEnableOfflineIM : True\r\n\r\n");
    let mut i = 0;
    while s.len() + last.len() < size {
        s.push_str(&format!(
            "Identity        : Tag:pad{i}\r\nDescription     : padding\r\n\r\n"
        ));
        i += 1;
    }
    let mut b = s.into_bytes();
    b.truncate(size - last.len());
    b.extend_from_slice(last.as_bytes());
    b
}

#[test]
fn admin_export_over_16_mib_is_read_up_to_the_limit_and_says_so() {
    let env = TestEnv::new();
    // The Global object is past the limit: it cannot count, and the note says why.
    let last = "\r\n\r\nIdentity        : Global\r\nEnableOfflineIM : False\r\n";
    write_at(
        &env.path("admin/big.txt"),
        &big_format_list((16 << 20) + 4096, last),
    );
    let s = scan_checked(&env);
    let note = note_of(&s, "big.txt");
    assert!(note.contains("16 MiB"), "{note}");
    assert!(!s.has("OIM022"));
}

#[test]
fn admin_export_of_exactly_16_mib_is_not_called_larger() {
    let env = TestEnv::new();
    let last = "\r\n\r\nIdentity        : Global\r\nEnableOfflineIM : False\r\n";
    write_at(
        &env.path("admin/exact.txt"),
        &big_format_list(16 << 20, last),
    );
    let s = scan_checked(&env);
    assert!(s.has("OIM022"), "the last object was read");
    assert_eq!(scanned(&s, "exact.txt")["note"], Value::Null);
}

#[test]
fn admin_json_export_over_16_mib_says_it_was_cut() {
    let env = TestEnv::new();
    let mut s = String::from("[{\"Identity\":\"Global\",\"EnableOfflineIM\":false}");
    let pad = "p".repeat(1000);
    while s.len() < (16 << 20) + 4096 {
        s.push_str(&format!(
            ",{{\"Identity\":\"Tag:x\",\"Description\":\"{pad}\"}}"
        ));
    }
    s.push(']');
    write_at(&env.path("admin/policies.json"), s.as_bytes());
    let sc = scan_checked(&env);
    let note = note_of(&sc, "policies.json");
    assert!(note.contains("16 MiB"), "the cut is named: {note}");
    assert!(sc.has("OIM022"), "the Global object before the cut counts");
}

/// Dates at the edges of what the formats can hold, read at the widest
/// offsets: whatever the tool makes of them, the JSON times stay RFC 3339.
#[test]
fn dates_at_the_edge_of_year_9999_keep_json_times_rfc3339() {
    let env = TestEnv::new();
    env.write_item(
        ALICE,
        "late.hist",
        "To: <sip:bob@contoso.com>\r\nDate: Fri, 31 Dec 9999 23:59:59 -1200\r\n\r\n",
    );
    env.write_item(
        ALICE,
        "late.xml",
        "<Message><ItemClass>IM.Note.MissedConversation</ItemClass>\
         <DateTimeSent>9999-12-31T23:59:59</DateTimeSent></Message>",
    );
    let log = "12/31/9999|23:59:59.999 1F68:C14 INFO  :: OfflineIM: queued message 7 for sip:bob@contoso.com\n";
    write_at(
        &tracing(&env).join("Lync-UccApi-0.UccApilog"),
        log.as_bytes(),
    );
    let s = env.scan_root(&["--utc-offset", "-14:00"]);
    check(&s);
}

/// Years of failures: 20,000 stuck items and 3,000 logged messages that name
/// their spool files. Linking them must not cost items × messages work.
#[test]
fn twenty_thousand_items_and_three_thousand_messages_scan_in_bounded_time() {
    let env = TestEnv::new();
    let sp = env.spooler(ALICE);
    for i in 0..20_000 {
        fs::write(
            sp.join(format!("{i:06}.hist")),
            format!(
                "To: <sip:bob{}@contoso.com>\r\nDate: Mon, 23 Nov 2026 09:{:02}:{:02} +0000\r\n\r\n",
                i % 500,
                (i / 60) % 60,
                i % 60
            ),
        )
        .unwrap();
    }
    let mut log = String::new();
    for i in 0..3000 {
        let t = format!("09:{:02}:{:02}", (i % 3600) / 60, i % 60);
        log.push_str(&rec(
            &t,
            &format!(
                "OfflineIM: queued message {i} for sip:bob{}@contoso.com",
                i % 500
            ),
        ));
        log.push_str(&rec(
            &t,
            &format!("OfflineIM: message {i} spooled to History Spooler (file {i:06}.hist)"),
        ));
    }
    write_at(
        &tracing(&env).join("Lync-UccApi-0.UccApilog"),
        log.as_bytes(),
    );
    let s = scan_checked(&env);
    assert_eq!(s.items().len(), 20_000);
}

// ------------------------------------------------------------ limits

/// An EWS-style item whose fields lie past the 64 KiB read limit: the report
/// should say the item was only partly read, not show it as a plain item
/// with no recipient.
#[test]
fn spool_item_fields_past_the_64_kib_read_limit_are_reported() {
    let env = TestEnv::new();
    let x = format!(
        "<Message><Body>{}</Body><ItemClass>IM.Note.MissedConversation</ItemClass>\
         <ToRecipients><Mailbox><EmailAddress>bob@contoso.com</EmailAddress></Mailbox></ToRecipients></Message>",
        "b".repeat(70_000)
    );
    env.write_item(ALICE, "long.xml", &x);
    // A binary item past the window is opaque by nature: not a fault.
    let binary: Vec<u8> = (0..100_000u32).map(|i| (i % 7) as u8).collect();
    write_at(&env.spooler(ALICE).join("blob.bin"), &binary);
    let s = scan_checked(&env);
    let item = s.item("long.xml");
    assert!(
        item["problem"]
            .as_str()
            .is_some_and(|p| p.contains("64 KiB")),
        "{item:#}"
    );
    let blob = s.item("blob.bin");
    assert_eq!(blob["format"], "opaque");
    assert_eq!(blob["problem"], Value::Null, "{blob:#}");
}

#[test]
fn csv_row_past_4096_lines_is_capped_and_counted() {
    let env = TestEnv::new();
    let mut c = String::from(CSV_HEADER);
    let mut field = String::from("\"OfflineIM: message 42 failed: EWS returned 401 Unauthorized");
    for i in 0..5000 {
        field.push_str(&format!("\r\nmore {i}"));
    }
    field.push('"');
    c.push_str(&csv_row(&field));
    write_at(&tracing(&env).join("rows.csv"), c.as_bytes());
    let s = scan_checked(&env);
    let note = note_of(&s, "rows.csv");
    assert!(note.contains("dropped"), "{note}");
}

#[test]
fn csv_row_past_1_mib_is_counted_even_when_the_cap_falls_on_its_last_line() {
    let env = TestEnv::new();
    let mut field = String::from("\"start");
    for _ in 0..18 {
        field.push_str("\r\n");
        field.push_str(&"x".repeat(60_000));
    }
    field.push('"');
    let c = format!("{CSV_HEADER}{}", csv_row(&field));
    write_at(&tracing(&env).join("wide.csv"), c.as_bytes());
    let s = scan_checked(&env);
    assert!(
        scanned(&s, "wide.csv")["note"].is_string(),
        "{:#}",
        scanned(&s, "wide.csv")
    );
}

#[test]
fn attempts_keep_32_events_and_count_the_rest() {
    let env = TestEnv::new();
    let mut log = rec(
        "09:00:00",
        "OfflineIM: queued message 42 for sip:bob@contoso.com",
    );
    for i in 0..40 {
        log.push_str(&rec(
            &format!("09:00:{:02}", 1 + i),
            "OfflineIM: processing message 42 via EWS https://mail.contoso.com/EWS/Exchange.asmx",
        ));
    }
    write_at(
        &tracing(&env).join("Lync-UccApi-0.UccApilog"),
        log.as_bytes(),
    );
    let s = scan_checked(&env);
    let attempts = s.json["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    let a = &attempts[0];
    let kept = a["evidence"].as_array().unwrap().len() as u64;
    assert!(kept <= 32, "{kept}");
    assert_eq!(kept + a["events_dropped"].as_u64().unwrap(), 41, "{a:#}");
}

// ------------------------------------------------------------ races

/// Runs a JSON scan of `root` as a child process; `during(pid)` runs on this
/// thread while the child runs. The child is killed (and the test fails) if
/// it outlives the bound.
#[cfg(target_os = "linux")]
fn scan_while(root: &Path, during: impl FnOnce(u32)) -> Scan {
    scan_while_with(root, &[], during)
}

/// `scan_while` with extra environment variables for the child.
#[cfg(target_os = "linux")]
fn scan_while_with(root: &Path, envs: &[(&str, &str)], during: impl FnOnce(u32)) -> Scan {
    let mut cmd = std::process::Command::new(bin());
    cmd.envs(envs.iter().copied())
        .arg("scan")
        .arg(root)
        .args([
            "--format",
            "json",
            "--now",
            NOW,
            "--utc-offset",
            "+00:00",
            "-q",
        ])
        .env_remove("LOCALAPPDATA");
    Scan::parse(common::run_child(&mut cmd, "scan", during))
}

/// Whether process `pid` has a file open whose path contains `needle`.
#[cfg(target_os = "linux")]
fn has_open(pid: u32, needle: &str) -> bool {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| fs::read_link(e.path()).ok())
                .any(|t| t.to_string_lossy().contains(needle))
        })
        .unwrap_or(false)
}

/// Between listing and reading, spool items are deleted, emptied, or
/// swapped for a FIFO, a link to /dev/zero or a folder, and a log is cut
/// short. Items are read once discovery is done; a folder of many empty
/// folders that sorts after the profile (`zz-noise`) keeps discovery busy
/// after it listed the items, and the swap happens then.
#[cfg(target_os = "linux")]
#[test]
fn files_removed_truncated_or_swapped_between_listing_and_reading() {
    let env = TestEnv::new();
    let sp = env.spooler(ALICE);
    let item = mime_item("bob@contoso.com", Some("Mon, 23 Nov 2026 09:14:03 +0000"));
    let items: Vec<PathBuf> = (0..100)
        .map(|i| {
            let p = sp.join(format!("{i:05}.hist"));
            fs::write(&p, &item).unwrap();
            p
        })
        .collect();
    let tr = tracing(&env);
    let mut big = String::new();
    while big.len() < 2 << 20 {
        big.push_str(&rec("09:00:00", EWS_503));
    }
    for i in 0..4 {
        fs::write(tr.join(format!("Lync-UccApi-{i}.UccApilog")), &big).unwrap();
    }
    let noise = env.lync().join("zz-noise");
    for i in 0..30_000 {
        fs::create_dir_all(noise.join(format!("d{i:05}"))).unwrap();
    }
    let mut swapped = false;
    let s = scan_while_with(env.root(), &[("OIMDIAG_THREADS", "1")], |pid| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        // A folder below zz-noise is open only for an instant: poll until
        // one is seen.
        while !swapped && std::time::Instant::now() < deadline {
            swapped = has_open(pid, "zz-noise");
        }
        for (i, p) in items.iter().enumerate() {
            match i / 20 {
                0 => fs::remove_file(p).unwrap(),
                1 => {
                    fs::remove_file(p).unwrap();
                    unix::mkfifo(p);
                }
                2 => {
                    fs::remove_file(p).unwrap();
                    std::os::unix::fs::symlink("/dev/zero", p).unwrap();
                }
                3 => {
                    fs::remove_file(p).unwrap();
                    fs::create_dir(p).unwrap();
                }
                _ => fs::File::create(p).map(drop).unwrap(),
            }
        }
        fs::OpenOptions::new()
            .write(true)
            .open(tr.join("Lync-UccApi-3.UccApilog"))
            .and_then(|f| f.set_len(100))
            .unwrap();
    });
    check(&s);
    assert!(
        swapped,
        "the items were swapped while the scan walked the tree, after it listed them"
    );
    let problem = |name: &str| s.item(name)["problem"].as_str().unwrap_or("").to_string();
    for i in 0..100 {
        let name = format!("{i:05}.hist");
        let p = problem(&name);
        let want = match i / 20 {
            0 => "vanished",
            1 | 3 => "not a regular file",
            2 => "symbolic link",
            _ => "empty",
        };
        assert!(p.contains(want), "{name}: {p:?} should say {want:?}");
    }
}

/// A log that keeps growing while it is read (a client still writing, or
/// anything appending faster than the reader): the scan must still end, e.g.
/// by reading no further than the size the file had when it was listed.
#[cfg(target_os = "linux")]
#[test]
fn a_log_that_grows_while_it_is_read_does_not_keep_the_scan_running() {
    use std::io::Write;
    let env = TestEnv::new();
    let path = tracing(&env).join("Lync-UccApi-0.UccApilog");
    let mut chunk = String::new();
    while chunk.len() < 1 << 20 {
        chunk.push_str(&rec("09:00:00", EWS_503));
    }
    write_at(&path, chunk.as_bytes());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let p2 = path.clone();
    // About 10 MB/s for at most 25 s (250 MB at worst).
    let writer = std::thread::spawn(move || {
        let mut f = fs::OpenOptions::new().append(true).open(&p2).unwrap();
        let start = std::time::Instant::now();
        while !stop2.load(std::sync::atomic::Ordering::Relaxed)
            && start.elapsed() < Duration::from_secs(25)
        {
            f.write_all(chunk.as_bytes()).unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let s = scan_while(env.root(), |_| {});
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    check(&s);
}

/// Files deleted while the scan is still listing the tree (the walk itself
/// races the deletions): the scan still ends with a valid report.
#[cfg(target_os = "linux")]
#[test]
fn files_removed_while_the_tree_is_being_listed_do_not_break_the_scan() {
    let env = TestEnv::new();
    let item = mime_item("bob@contoso.com", Some("Mon, 23 Nov 2026 09:14:03 +0000"));
    let mut items = Vec::new();
    for d in 0..30 {
        let dir = env.spooler(ALICE).join(format!("d{d:02}"));
        fs::create_dir_all(&dir).unwrap();
        for i in 0..100 {
            let p = dir.join(format!("{i:03}.hist"));
            fs::write(&p, &item).unwrap();
            items.push(p);
        }
    }
    let mut gone = 0;
    let s = scan_while(env.root(), |pid| {
        // Once the walk is inside the spooler, from the end of the walk
        // order, folders and all.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !has_open(pid, "History Spooler") && std::time::Instant::now() < deadline {
            std::hint::spin_loop();
        }
        for p in items.iter().rev() {
            if fs::remove_file(p).is_ok() {
                gone += 1;
            }
            if p.ends_with("000.hist") {
                let _ = fs::remove_dir(p.parent().unwrap());
            }
        }
    });
    check(&s);
    let vanished = s
        .items()
        .iter()
        .filter(|i| {
            i["problem"]
                .as_str()
                .is_some_and(|p| p.contains("vanished"))
        })
        .count();
    let reasons: std::collections::BTreeSet<String> =
        s.skipped().into_iter().map(|(_, r)| r).collect();
    eprintln!(
        "deleted {gone} files while listing; {} items listed, {vanished} vanished before reading, {} skipped ({} distinct reasons, e.g. {:?})",
        s.items().len(),
        s.skipped().len(),
        reasons.len(),
        reasons.iter().next()
    );
    // Whatever could not be listed is named with a reason.
    assert!(reasons.iter().all(|r| !r.is_empty()));
}

// ------------------------------------------------------------ read-only proof

#[cfg(unix)]
mod read_only {
    use super::*;
    use std::collections::BTreeMap;
    use std::os::unix::fs::MetadataExt;

    #[derive(Debug, PartialEq, Eq)]
    struct Entry {
        kind: &'static str,
        bytes: Option<Vec<u8>>,
        link: Option<PathBuf>,
        mode: u32,
        atime: (i64, i64),
        mtime: (i64, i64),
        ctime: (i64, i64),
        /// Directory listing (names), for directories.
        names: Vec<std::ffi::OsString>,
    }

    /// Opens with O_NOATIME, so that taking a snapshot moves no access time.
    fn open_noatime(p: &Path, dir: bool) -> std::fs::File {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = libc::O_NOATIME | if dir { libc::O_DIRECTORY } else { 0 };
        fs::OpenOptions::new()
            .read(true)
            .custom_flags(flags)
            .open(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// A folder's entry names, read through a descriptor opened with O_NOATIME.
    fn list_noatime(p: &Path) -> Vec<std::ffi::OsString> {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::io::IntoRawFd;
        let fd = open_noatime(p, true).into_raw_fd();
        let mut names = Vec::new();
        // SAFETY: fdopendir takes ownership of `fd`; entries are read until
        // NULL and the stream is closed once.
        unsafe {
            let d = libc::fdopendir(fd);
            assert!(!d.is_null());
            loop {
                let e = libc::readdir(d);
                if e.is_null() {
                    break;
                }
                let n = std::ffi::CStr::from_ptr((*e).d_name.as_ptr());
                let n = std::ffi::OsStr::from_bytes(n.to_bytes());
                if n != "." && n != ".." {
                    names.push(n.to_os_string());
                }
            }
            libc::closedir(d);
        }
        names.sort();
        names
    }

    /// Every entry below `root` (and `root` itself), without following links
    /// and without moving any access time but a symbolic link's (reading a
    /// link's target moves its own atime; the diff ignores that one).
    fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
        use std::io::Read;
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(p) = stack.pop() {
            let m = fs::symlink_metadata(&p).unwrap();
            let ft = m.file_type();
            let mut names = Vec::new();
            let (kind, bytes, link) = if ft.is_dir() {
                names = list_noatime(&p);
                stack.extend(names.iter().map(|n| p.join(n)));
                ("dir", None, None)
            } else if ft.is_symlink() {
                ("link", None, Some(fs::read_link(&p).unwrap()))
            } else if ft.is_file() {
                let mut b = Vec::new();
                open_noatime(&p, false).read_to_end(&mut b).unwrap();
                ("file", Some(b), None)
            } else {
                ("other", None, None)
            };
            out.insert(
                p,
                Entry {
                    kind,
                    bytes,
                    link,
                    mode: m.mode(),
                    atime: (m.atime(), m.atime_nsec()),
                    mtime: (m.mtime(), m.mtime_nsec()),
                    ctime: (m.ctime(), m.ctime_nsec()),
                    names,
                },
            );
        }
        out
    }

    /// Puts every file's and folder's access time well before its modified
    /// time, so that (with `relatime`) any read that does not ask for
    /// `O_NOATIME` would move it.
    fn age_times(root: &Path) {
        let atime = filetime::FileTime::from_unix_time(1_577_836_800, 0); // 2020-01-01
        let mtime = filetime::FileTime::from_unix_time(1_609_459_200, 0); // 2021-01-01
        let mut stack = vec![root.to_path_buf()];
        while let Some(p) = stack.pop() {
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                for e in fs::read_dir(&p).unwrap() {
                    stack.push(e.unwrap().path());
                }
            }
            // filetime opens what it sets: never a FIFO.
            if m.is_dir() || m.is_file() {
                filetime::set_file_times(&p, atime, mtime).unwrap();
            }
        }
    }

    fn copy_tree(from: &Path, to: &Path) {
        for e in fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let dest = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                fs::create_dir_all(&dest).unwrap();
                copy_tree(&e.path(), &dest);
            } else {
                fs::copy(e.path(), &dest).unwrap();
            }
        }
    }

    /// Everything one tree can hold: the sample (MIME, XML, UTF-16 and opaque
    /// items, a UccApilog, a tracerpt CSV, an ETL, admin text and JSON, an
    /// unknown file) plus a link, a FIFO, an empty file and an empty folder.
    fn evidence_tree(env: &TestEnv) {
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-spooler"),
            env.root(),
        );
        let sp = env.spooler(ALICE);
        fs::write(sp.join("empty.hist"), b"").unwrap();
        fs::create_dir_all(sp.join("empty-folder")).unwrap();
        std::os::unix::fs::symlink("7f3a9c.hist", sp.join("link.hist")).unwrap();
        super::unix::mkfifo(&sp.join("fifo.hist"));
        age_times(env.root());
    }

    fn diff(
        before: &BTreeMap<PathBuf, Entry>,
        after: &BTreeMap<PathBuf, Entry>,
        dirs_atime: bool,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (p, b) in before {
            match after.get(p) {
                None => out.push(format!("removed: {}", p.display())),
                Some(a) => {
                    let mut a_cmp = Entry {
                        kind: a.kind,
                        bytes: a.bytes.clone(),
                        link: a.link.clone(),
                        mode: a.mode,
                        atime: a.atime,
                        mtime: a.mtime,
                        ctime: a.ctime,
                        names: a.names.clone(),
                    };
                    if (b.kind == "dir" && !dirs_atime) || b.kind == "link" {
                        a_cmp.atime = b.atime;
                    }
                    if &a_cmp != b {
                        out.push(format!(
                            "changed: {} ({} atime {:?} -> {:?}, mtime {:?} -> {:?}, ctime {:?} -> {:?}, same bytes: {}, listing {:?} -> {:?})",
                            p.display(),
                            b.kind,
                            b.atime,
                            a.atime,
                            b.mtime,
                            a.mtime,
                            b.ctime,
                            a.ctime,
                            b.bytes == a.bytes,
                            b.names,
                            a.names
                        ));
                    }
                }
            }
        }
        for p in after.keys().filter(|p| !before.contains_key(*p)) {
            out.push(format!("added: {}", p.display()));
        }
        out
    }

    /// Runs every kind of scan over the tree, each with its own empty
    /// TMPDIR, HOME and working folder, and `--output` into a folder of its own.
    fn scan_every_way(env: &TestEnv) -> Vec<String> {
        let spare = tempfile::tempdir().unwrap();
        let tmp = spare.path().join("tmp");
        let home = spare.path().join("home");
        let cwd = spare.path().join("cwd");
        let out_dir = spare.path().join("out");
        for d in [&tmp, &home, &cwd, &out_dir] {
            fs::create_dir_all(d).unwrap();
        }
        let report = out_dir.join("report.json");
        let root = env.root().to_str().unwrap().to_string();
        let runs: Vec<Vec<&str>> = vec![
            vec![
                "scan",
                &root,
                "--format",
                "json",
                "--now",
                NOW,
                "--utc-offset",
                "+00:00",
                "-q",
            ],
            vec!["scan", &root, "--now", NOW, "--utc-offset", "+00:00", "-q"],
            vec![
                "scan",
                &root,
                "--format",
                "json",
                "--now",
                NOW,
                "--utc-offset",
                "+00:00",
                "-q",
                "--output",
                report.to_str().unwrap(),
            ],
            vec!["scan", &root, "--now", NOW, "--include-subjects", "-q"],
        ];
        for args in runs {
            let out = common::output(
                std::process::Command::new(bin())
                    .args(&args)
                    .current_dir(&cwd)
                    .env("TMPDIR", &tmp)
                    .env("TMP", &tmp)
                    .env("TEMP", &tmp)
                    .env("HOME", &home)
                    .env_remove("LOCALAPPDATA")
                    .stdin(std::process::Stdio::null()),
            );
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{args:?}: {:?} {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut problems = Vec::new();
        for (d, what) in [
            (&tmp, "TMPDIR"),
            (&home, "HOME"),
            (&cwd, "the working folder"),
        ] {
            let left: Vec<_> = fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            if !left.is_empty() {
                problems.push(format!("{what} is not empty after the scans: {left:?}"));
            }
        }
        let outs: Vec<_> = fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if outs != [std::ffi::OsString::from("report.json")] {
            problems.push(format!(
                "--output folder holds {outs:?}, not just report.json"
            ));
        }
        let v: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
        assert_eq!(v["schema_version"], "2.2");
        problems
    }

    #[test]
    fn a_scan_changes_no_byte_time_mode_or_listing_and_writes_only_its_report() {
        let env = TestEnv::new();
        evidence_tree(&env);
        let before = snapshot(env.root());
        let mut problems = scan_every_way(&env);
        let after = snapshot(env.root());
        problems.extend(diff(&before, &after, false));
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// Listing a folder reads it: without care its access time moves too.
    #[test]
    fn a_scan_keeps_folder_access_times() {
        let env = TestEnv::new();
        evidence_tree(&env);
        let before = snapshot(env.root());
        let mut problems = scan_every_way(&env);
        let after = snapshot(env.root());
        problems.extend(diff(&before, &after, true));
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

// ------------------------------------------------------------ fuzz regressions

/// A saved fuzz input under `fuzz/regressions/<target>/`.
fn regression(target: &str, name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target)
        .join(name);
    fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn fuzz_spool_item_first_address_multibyte() {
    harness::spool_item(&regression("spool_item", "first-address-multibyte-to"));
    harness::spool_item(&regression(
        "spool_item",
        "crash-b48503ce08fa7533f835d62ca65452a0bd8d056f",
    ));
}

#[test]
fn a_spool_item_with_a_non_ascii_recipient_does_not_abort_the_scan() {
    let env = TestEnv::new();
    env.write_item(
        ALICE,
        "mime.hist",
        "To: <sip:abcé@contoso.com>\r\nDate: Mon, 23 Nov 2026 09:14:03 +0000\r\n\r\n",
    );
    env.write_item(
        ALICE,
        "ews.xml",
        "<Message><ItemClass>IM.Note.MissedConversation</ItemClass><ToRecipients><Mailbox>\
         <EmailAddress>abcé@contoso.com</EmailAddress></Mailbox></ToRecipients></Message>",
    );
    let s = scan_checked(&env);
    assert_eq!(s.item("mime.hist")["recipient"], "abcé@contoso.com");
    assert_eq!(s.item("ews.xml")["recipient"], "abcé@contoso.com");
}

/// Every target's harness runs on its seed shapes without panicking, so the
/// harness itself stays in step with the library.
#[test]
fn fuzz_harness_runs_on_the_sample_tree() {
    let lync =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-spooler/Microsoft/Office/16.0/Lync");
    let log = fs::read(lync.join("Tracing/Lync-UccApi-0.UccApilog")).unwrap();
    let csv = fs::read(lync.join("Tracing/Lync-UccApi-0-etl.csv")).unwrap();
    let with_byte = |b: u8, data: &[u8]| {
        let mut v = vec![b];
        v.extend_from_slice(data);
        v
    };
    harness::uccapilog(&with_byte(0x7f, &log));
    harness::tracerpt(&with_byte(0x7f, &csv));
    harness::sip(&with_byte(0, &log));
    for knobs in [0x07, 0x47, 0x87, 0xff] {
        harness::lines(&with_byte(knobs, &log));
        harness::lines(&with_byte(
            knobs,
            &utf16le_bom(&String::from_utf8_lossy(&log)),
        ));
    }
    for e in fs::read_dir(lync.join("sip_alice@contoso.com/History Spooler")).unwrap() {
        harness::spool_item(&fs::read(e.unwrap().path()).unwrap());
    }
    let admin = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-spooler/admin");
    for e in fs::read_dir(admin).unwrap() {
        harness::admin(&fs::read(e.unwrap().path()).unwrap());
    }
    let mut sig = oimdiag_evidence::signatures::BUILTIN_JSON
        .as_bytes()
        .to_vec();
    sig.push(0);
    sig.extend_from_slice(b"OfflineIM: message 42 failed: EWS returned 401 Unauthorized");
    harness::signatures(&sig);
    harness::signatures(b"(?P<id>\\d+) failed\x01failed\x00message 42 failed");
}
