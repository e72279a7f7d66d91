//! Helpers for the report tests: fixture trees in temp dirs and the real
//! binary, always with a fixed `--now` and `--utc-offset`.
#![allow(dead_code)]

#[path = "../retry_spawn/mod.rs"]
pub mod retry_spawn;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const NOW: &str = "2026-11-23T12:00:00Z";
pub const OFFSET: &str = "+01:00";

/// Runs `oimdiag` with `args` in `cwd` (NO_COLOR and TERM cleared so the
/// caller's environment cannot change the output).
pub fn oimdiag_in(cwd: &Path, args: &[&str]) -> Output {
    retry_spawn::output(
        Command::new(env!("CARGO_BIN_EXE_oimdiag"))
            .args(args)
            .current_dir(cwd)
            .env_remove("NO_COLOR")
            .env_remove("TERM"),
    )
}

pub fn oimdiag(args: &[&str]) -> Output {
    oimdiag_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// `oimdiag scan PATH --now NOW --utc-offset OFFSET extra...`; returns stdout.
pub fn scan(path: &Path, extra: &[&str]) -> String {
    let p = path.to_str().expect("temp paths are UTF-8");
    let mut args = vec!["scan", p, "--now", NOW, "--utc-offset", OFFSET];
    args.extend_from_slice(extra);
    let out = oimdiag(&args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the report is UTF-8")
}

pub fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-spooler")
}

/// Copies `from` into `to` (created), giving every file the same fixed
/// modified time so ages never depend on when the test runs.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
            set_mtime(&target);
        }
    }
}

/// 2026-11-23T10:00:00Z: two hours before `NOW`.
pub fn set_mtime(path: &Path) {
    let t = filetime::FileTime::from_unix_time(1_795_428_000, 0);
    filetime::set_file_mtime(path, t).unwrap();
}

pub fn write(path: &Path, content: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
    set_mtime(path);
}

/// The sample machine copied into `root`.
pub fn sample_in(root: &Path) -> PathBuf {
    let dest = root.join("sample");
    copy_tree(&sample_dir(), &dest);
    dest
}

/// A tree with only a History Spooler (no logs): one stuck MIME item.
pub fn spooler_only_in(root: &Path) -> PathBuf {
    let lync = root.join("spooler-only/Microsoft/Office/16.0/Lync");
    write(
        &lync.join("sip_erin@fabrikam.net/History Spooler/a1.hist"),
        b"From: <sip:erin@fabrikam.net>\r\nTo: <sip:frank@fabrikam.net>\r\n\
          Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n\
          X-MS-Message-Class: IM.Note.MissedConversation\r\n\r\nbody\r\n",
    );
    root.join("spooler-only")
}

/// JSON `--format json` report of `path`.
pub fn json_report(path: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&scan(path, &args)).expect("--format json is JSON")
}
