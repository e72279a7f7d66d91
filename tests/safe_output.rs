//! `--output` that cannot hurt (issue 18): checked before the scan, never
//! replacing anything that is not a report file, never writing into the
//! evidence; `-o -` is stdout; one line on stderr says where the report went.

mod common;

use common::*;
use std::fs;
use std::path::Path;

const ALICE: &str = "alice@contoso.com";

fn stuck_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_item(
        ALICE,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(3600)))),
    );
    env
}

fn scan_to(env: &TestEnv, out: &Path, extra: &[&str]) -> RunResult {
    let mut args: Vec<std::ffi::OsString> = vec![
        "scan".into(),
        env.root().into(),
        "--format".into(),
        "json".into(),
        "--now".into(),
        NOW.into(),
        "--output".into(),
        out.into(),
    ];
    args.extend(extra.iter().map(Into::into));
    env.run(&args)
}

#[test]
fn dash_is_stdout() {
    let env = stuck_env();
    let r = scan_to(&env, Path::new("-"), &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["verdict"], "failing");
    assert!(!env.root().join("-").exists(), "no file named -");
}

#[test]
fn a_written_report_is_announced_on_stderr_unless_quiet() {
    let env = stuck_env();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let r = scan_to(&env, &out, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("FAILING"), "{}", r.stderr);
    assert!(r.stderr.contains("r.json"), "{}", r.stderr);
    let out2 = dir.path().join("q.json");
    let r = scan_to(&env, &out2, &["--quiet"]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(out2.exists());
}

#[test]
fn a_folder_or_a_missing_folder_is_named_plainly_before_the_scan() {
    let env = stuck_env();
    let dir = tempfile::tempdir().unwrap();
    let r = scan_to(&env, dir.path(), &["--force"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("is a folder: name a file"),
        "{}",
        r.stderr
    );
    let r = scan_to(&env, &dir.path().join("nope").join("r.json"), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(".oimdiag-"),
        "no temporary names: {}",
        r.stderr
    );
}

#[test]
fn a_scanned_item_or_a_place_in_the_spooler_is_never_written() {
    let env = stuck_env();
    let item = env.spooler(ALICE).join("a.hist");
    let before = fs::read(&item).unwrap();
    let r = scan_to(&env, &item, &["--force"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("History Spooler"), "{}", r.stderr);
    assert_eq!(fs::read(&item).unwrap(), before);
    let new = env.spooler(ALICE).join("report.json");
    let r = scan_to(&env, &new, &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(!new.exists());
}

#[test]
fn a_scanned_log_is_never_replaced_but_an_old_report_beside_it_is() {
    let env = stuck_env();
    let log = env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        "11/23/2026|09:14:03.123 1A2B:3C4D INFO  :: signed in\n",
    );
    let before = fs::read(&log).unwrap();
    let r = scan_to(&env, &log, &["--force"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("being scanned"), "{}", r.stderr);
    assert_eq!(fs::read(&log).unwrap(), before);
    // A report the last scan left in the folder may be replaced.
    let old = env.root().join("report.json");
    let r = scan_to(&env, &old, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let r = scan_to(&env, &old, &["--force"]);
    assert_eq!(r.code, 1, "{r:?}");
}

#[cfg(unix)]
#[test]
fn fifos_devices_and_links_to_them_are_refused_and_left_as_they_were() {
    use std::os::unix::fs::{symlink, FileTypeExt};
    let env = stuck_env();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string; mkfifo has no other preconditions.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let to_null = dir.path().join("null-link");
    symlink("/dev/null", &to_null).unwrap();
    let to_stdout = dir.path().join("stdout-link");
    symlink("/dev/stdout", &to_stdout).unwrap();
    for target in [fifo.as_path(), Path::new("/dev/null"), &to_null, &to_stdout] {
        let r = scan_to(&env, target, &["--force"]);
        assert_eq!(r.code, 2, "{}: {r:?}", target.display());
        assert!(r.stdout.is_empty(), "{}", target.display());
    }
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(fs::read_link(&to_null).unwrap(), Path::new("/dev/null"));
    assert!(fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
}

#[cfg(unix)]
#[test]
fn a_new_report_gets_the_usual_mode_and_a_replaced_one_keeps_its_own() {
    use std::os::unix::fs::PermissionsExt;
    let env = stuck_env();
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.json");
    assert_eq!(scan_to(&env, &new, &[]).code, 1);
    let mode = fs::metadata(&new).unwrap().permissions().mode() & 0o777;
    // SAFETY: umask only swaps the mask, put back at once; the child
    // inherited the same mask.
    let mask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    } as u32;
    assert_eq!(mode, 0o666 & !mask, "mode {mode:o}, umask {mask:o}");
    let old = dir.path().join("old.json");
    fs::write(&old, "{}").unwrap();
    fs::set_permissions(&old, fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(scan_to(&env, &old, &["--force"]).code, 1);
    assert_eq!(
        fs::metadata(&old).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn the_ndjson_header_carries_the_limits() {
    let env = stuck_env();
    let r = env.scan_as("ndjson");
    let header: serde_json::Value = serde_json::from_str(r.stdout.lines().next().unwrap()).unwrap();
    assert!(header["inputs"]["limits"].is_array(), "{header:#}");
}

/// Runs `oimdiag args` on a terminal (a pty from util-linux's `script`) and
/// gives what the terminal showed.
#[cfg(target_os = "linux")]
fn on_a_terminal(env: &TestEnv, args: &str) -> String {
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        cannot_run("needs /usr/bin/script (util-linux) for a terminal");
    }
    let cmd = format!("{} {args}", bin());
    let out = std::process::Command::new(script)
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(env.root())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(target_os = "linux")]
#[test]
fn progress_counts_bytes_and_files_on_a_terminal_only() {
    let env = stuck_env();
    let line = "11/23/2026|09:14:03.123 1A2B:3C4D INFO  :: CUcmpConversation::Notify state 7\n";
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        // About 34 MB: long enough to be drawn mid-way at the bar's 20 Hz.
        line.repeat(400_000),
    );
    let args = format!("scan . --now {NOW} --utc-offset +00:00 --format json -o r.json");
    let shown = on_a_terminal(&env, &args);
    assert!(shown.contains("scanning"), "{shown:?}");
    assert!(shown.contains("MiB"), "bytes, not only files: {shown:?}");
    assert!(shown.contains("/2 files"), "{shown:?}");
    let quiet = on_a_terminal(&env, &format!("{args} --force --quiet"));
    assert!(!quiet.contains("scanning"), "{quiet:?}");
    // Not a terminal: no progress at all.
    let r = scan_to(&env, &env.root().join("r2.json"), &[]);
    assert!(!r.stderr.contains("scanning"), "{}", r.stderr);
}
