//! The JSON report is serde_json's pretty output of the whole report, long
//! lists included, and a write error stops it (these tests need the
//! pipeline, which lives in the binary crate, so they live here).

mod common;

use clap::Parser;
use common::{ago, log_record, mime_item, TestEnv};
use oimdiag_report::json::{render, write_on};
use oimdiag_report::model::{ScannedOut, SpoolItems};
use oimdiag_report::Report;
use oimdiag_vocab::file_path::FilePath;
use oimdiag_vocab::found::{InputKind, ItemFormat, SpoolItem, TimeSource};
use std::io::{self, Write};
use std::path::Path;

fn sample_report() -> Report {
    scan_report(
        concat!(env!("CARGO_MANIFEST_DIR"), "/sample-spooler"),
        "2026-11-23T12:00:00Z",
    )
}

fn scan_report(root: &str, now: &str) -> Report {
    let args = [
        "oimdiag",
        "scan",
        root,
        "--now",
        now,
        "--utc-offset",
        "+01:00",
    ];
    let cli = oimdiag::cli::Cli::try_parse_from(args).unwrap();
    let oimdiag::cli::Command::Scan(a) = cli.command else {
        unreachable!()
    };
    oimdiag::run::scan(&a.into_config()).unwrap()
}

/// `n` items and as many scanned files, with strings that need escaping.
fn with_items(mut report: Report, n: usize) -> Report {
    let now: chrono::DateTime<chrono::Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
    let items: Vec<SpoolItem> = (0..n)
        .map(|i| SpoolItem {
            path: FilePath::whole(Path::new(&format!(
                "C:\\Users\\a \"b\"\\History Spooler\\{i:06}.hist"
            ))),
            profile: (i % 3 == 0).then(|| "alice@contoso.com".into()),
            size_bytes: i as u64,
            sent_at: now - chrono::TimeDelta::seconds(i as i64),
            sent_at_source: TimeSource::Content,
            recipient: Some(format!("user{i}@fabrikam.com").into()),
            other_recipients: (0..i % 3)
                .map(|k| format!("other{k}\"@fabrikam.com").into())
                .collect(),
            sender: None,
            message_class: Some("IM\u{7}.Note".into()),
            format: ItemFormat::Mime,
            subject: (i % 2 == 0).then(|| format!("é {i}\n").into()),
            problem: None,
            ansi_lines: 0,
            local_date: None,
        })
        .collect();
    report.inputs.scanned = items
        .iter()
        .map(|i| ScannedOut {
            path: i.path.clone(),
            kind: InputKind::SpoolItem,
            note: (i.size_bytes % 5 == 0).then(|| "a note".into()),
        })
        .collect();
    let outcome = vec![None; items.len()];
    report.spool_items = SpoolItems::new(items, outcome, oimdiag_vocab::found::Window::at(now));
    report
}

/// The bytes a script reading the report relies on: two spaces a level,
/// `"key": value`, non-ASCII written as UTF-8, `"`, `\\` and control
/// characters escaped, an empty list as `[]`, and a final newline.
#[test]
fn the_report_is_pretty_json_with_serde_escapes() {
    let out = render(&with_items(sample_report(), 3));
    assert!(
        out.starts_with("{\n  \"schema_version\": \""),
        "{}",
        &out[..40]
    );
    assert!(out.ends_with("\n}\n"));
    for want in [
        "\n    {\n      \"path\": \"C:\\\\Users\\\\a \\\"b\\\"\\\\History Spooler\\\\000000.hist\",\n",
        "\n      \"sender\": null,\n",
        "\n      \"message_class\": \"IM\\u0007.Note\",\n",
        "\n      \"subject\": \"é 0\\n\",\n",
        "\n      \"size_bytes\": 2,\n",
    ] {
        assert!(out.contains(want), "missing {want:?}");
    }
}

/// Lists of no element, one, and many: every element written, in order.
#[test]
fn long_lists_are_written_whole_and_in_order() {
    for n in [0, 1, 1500] {
        let report = with_items(sample_report(), n);
        let v: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        let items = v["spool_items"].as_array().unwrap();
        let scanned = v["inputs"]["scanned"].as_array().unwrap();
        assert_eq!((items.len(), scanned.len()), (n, n), "{n} items");
        for (k, i) in items.iter().enumerate() {
            assert_eq!(i["size_bytes"], k as u64);
        }
    }
}

/// A failed write stops the scan's report with the writer's error, and
/// the rendering threads stop with it.
#[test]
fn a_write_error_is_returned() {
    struct Full(usize);
    impl Write for Full {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.0 < b.len() {
                return Err(io::Error::other("disk full"));
            }
            self.0 -= b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let report = with_items(sample_report(), 5000);
    for threads in [1, 2, 4] {
        let e = write_on(&report, threads, Full(600 * 1024)).unwrap_err();
        assert_eq!(e.to_string(), "disk full", "{threads} threads");
    }
}

fn written_on(report: &Report, threads: usize) -> String {
    let mut out = Vec::new();
    write_on(report, threads, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Written with its long lists shared out among threads, the report is
/// byte for byte what one thread writes: with lists of every length
/// about a chunk's end (128 elements), and with messages whose timelines
/// nest deeper than items do.
#[test]
fn workers_write_the_bytes_one_thread_writes() {
    let env = TestEnv::new();
    let mut log = String::new();
    for i in 0..150 {
        let t = ago(7200) + chrono::Duration::seconds(i);
        log.push_str(&log_record(
            t,
            &format!("OfflineIM: queued message {i} for sip:user{i}@fabrikam.com"),
        ));
        if i % 3 == 0 {
            log.push_str(&log_record(
                t + chrono::Duration::milliseconds(500),
                &format!("OfflineIM: message {i} delivered to sip:user{i}@fabrikam.com"),
            ));
        }
    }
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        log,
    );
    for i in 0..70 {
        let to = format!("user{i}@fabrikam.com");
        env.write_item(
            "alice@contoso.com",
            &format!("{i:03}.hist"),
            mime_item(&to, None),
        );
    }
    let logs = scan_report(env.root().to_str().unwrap(), common::NOW);
    assert_eq!(
        (logs.attempts.len(), logs.spool_items.len()),
        (150, 70),
        "the scan saw every message and item"
    );
    let one = render(&logs);
    assert!(one.contains("\"evidence\": [\n        {\n          \"time\""));
    for threads in [2, 3, 8] {
        assert_eq!(written_on(&logs, threads), one, "{threads} threads");
    }
    for n in [0, 1, 127, 128, 129, 257, 1500] {
        let report = with_items(sample_report(), n);
        let one = render(&report);
        for threads in [2, 5] {
            assert!(
                written_on(&report, threads) == one,
                "{n} items, {threads} threads"
            );
        }
    }
}
