//! Reading on several threads, and reading the Tracing logs while discovery
//! still walks the tree, give the same report as reading on one thread.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

fn log(user: &str, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "11/23/2026|09:{:02}:{:02}.{:03} 1F68:C14 INFO  :: Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 500 bytes:\n\
             REGISTER sip:contoso.com SIP/2.0\nFrom: <sip:{user}>;tag=1\nTo: <sip:{user}>\nCSeq: {i} REGISTER\n\
             User-Agent: UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)\n\n\
             11/23/2026|09:{:02}:{:02}.{:03} 1F68:C14 INFO  :: OfflineIM: queued message {i} for sip:bob@contoso.com\n\
             11/23/2026|09:{:02}:{:02}.{:03} 1F68:C14 ERROR :: OfflineIM: message {i} failed: EWS returned 401 Unauthorized\n",
            i / 60 % 60,
            i % 60,
            i % 1000,
            i / 60 % 60,
            i % 60,
            (i + 1) % 1000,
            i / 60 % 60,
            i % 60,
            (i + 2) % 1000,
        ));
    }
    s
}

/// The JSON report of a scan of `paths` with `OIMDIAG_THREADS` set (or not).
fn report(cwd: &Path, paths: &[&Path], threads: Option<&str>) -> String {
    let mut c = Command::new(bin());
    c.arg("scan")
        .args(paths)
        .args([
            "--format",
            "json",
            "--now",
            "2026-11-23T12:00:00Z",
            "--utc-offset",
            "+00:00",
            "--quiet",
        ])
        .current_dir(cwd)
        .env_remove("LOCALAPPDATA");
    match threads {
        Some(t) => c.env("OIMDIAG_THREADS", t),
        None => c.env_remove("OIMDIAG_THREADS"),
    };
    let out = common::output(&mut c);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 report")
}

fn same_report_whatever_the_threads(cwd: &Path, paths: &[&Path]) -> String {
    let one = report(cwd, paths, Some("1"));
    for threads in [None, Some("2"), Some("3"), Some("8")] {
        assert_eq!(
            report(cwd, paths, threads),
            one,
            "OIMDIAG_THREADS={threads:?}"
        );
    }
    one
}

#[test]
fn tracing_logs_read_early_or_late_give_the_same_report() {
    let env = TestEnv::new();
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        log("alice@contoso.com", 300),
    );
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-1.UccApilog",
        log("alice@contoso.com", 50),
    );
    // Below Tracing, not directly in it: found by the walk only.
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/old/Lync-UccApi-2.UccApilog",
        log("alice@contoso.com", 20),
    );
    env.write_file("Microsoft/Office/16.0/Lync/Tracing/empty.log", "");
    for i in 0..40 {
        env.write_item(
            "alice@contoso.com",
            &format!("{i:04x}.hist"),
            mime_item(
                "<sip:bob@contoso.com>",
                Some("Mon, 23 Nov 2026 09:14:03 +0000"),
            ),
        );
    }
    // A link in Tracing is not followed, whoever meets it first.
    #[cfg(unix)]
    let elsewhere = TestEnv::new();
    #[cfg(unix)]
    {
        let outside = elsewhere.write_file("outside.UccApilog", log("mallory@contoso.com", 5));
        std::os::unix::fs::symlink(&outside, env.lync().join("Tracing/Lync-UccApi-9.UccApilog"))
            .unwrap();
    }
    let root = env.root().to_path_buf();
    let json = same_report_whatever_the_threads(&root, &[&root]);
    assert!(json.contains("Lync-UccApi-2.UccApilog"));
    assert!(!json.contains("mallory"));
    #[cfg(unix)]
    assert!(json.contains("symbolic link: not followed"));
    // The same tree named twice (root and its Lync folder): each file read once.
    let lync = env.lync();
    same_report_whatever_the_threads(&root, &[&root, &lync]);
    same_report_whatever_the_threads(&root, &[&lync, &root]);
}

#[test]
fn a_tracing_folder_below_a_spooler_is_read_as_spooled_items() {
    // Guessed as logs, but discovery says they are spool items: read as such.
    let env = TestEnv::new();
    let spooler = env.spooler("alice@contoso.com");
    let inner = spooler.join("Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog");
    write_at(&inner, log("alice@contoso.com", 10).as_bytes());
    let json = same_report_whatever_the_threads(env.root(), &[&spooler]);
    assert!(json.contains("\"spool_items\""));
    assert!(json.contains("Lync-UccApi-0.UccApilog"));
}
