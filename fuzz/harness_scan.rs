//! The `scan` target: the whole pipeline (discover → read → facts →
//! correlate → rules → report, JSON and text) on a small tree built from the
//! input. Kept apart from `harness.rs` (which the main crate's tests include)
//! because it builds a `ScanConfig`, whose fields may change.
//!
//! Input: up to four parts separated by the byte 0xF5 (never valid UTF-8):
//! a spooled item, a UccApilog, a tracerpt CSV, an admin export. The last
//! byte picks the UTC offset, and its low bits `--include-subjects` (1),
//! `--redact` (2) and a coloured text report (4).

use chrono::{DateTime, FixedOffset, Utc};
use oimdiag::config::{ColorChoice, Format, MailboxChoice, ScanConfig};
use oimdiag_report as report;
use oimdiag_vocab::timezone::{LocalZone, ZoneSource};
use std::fs;
use std::path::Path;

const NAMES: [&str; 4] = [
    "Microsoft/Office/16.0/Lync/sip_alice@contoso.com/History Spooler/item.hist",
    "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
    "Microsoft/Office/16.0/Lync/Tracing/export.csv",
    "admin/Get-CsClientPolicy.txt",
];

pub fn scan(data: &[u8]) {
    let Some((&last, body)) = data.split_last() else {
        return;
    };
    let dir = tempfile::Builder::new()
        .prefix("oimdiag-fuzz-")
        .tempdir()
        .expect("temp dir");
    for (part, name) in body.split(|&b| b == 0xF5).zip(NAMES) {
        let p = dir.path().join(name);
        fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        fs::write(&p, part).expect("write");
    }
    // The spooler exists even when no item was written.
    fs::create_dir_all(
        dir.path()
            .join(Path::new(NAMES[0]).parent().expect("parent")),
    )
    .expect("mkdir");
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
        .expect("valid")
        .with_timezone(&Utc);
    let offset = FixedOffset::east_opt((i32::from(last) - 127) * 397).expect("in range");
    let cfg = ScanConfig {
        paths: vec![dir.path().to_path_buf()],
        format: Format::Json,
        output: None,
        force: false,
        now,
        since: None,
        zone: LocalZone::fixed(offset, ZoneSource::Flag),
        mailbox: MailboxChoice::Auto,
        client_build: None,
        signatures: None,
        fail_on: None,
        quiet: true,
        include_subjects: last & 1 == 1,
        color: ColorChoice::Never,
        redact: last & 2 == 2,
        options: Vec::new(),
        // The fuzzer never touches the network.
        probe: None,
    };
    let r = oimdiag::run::scan(&cfg).expect("a tree that exists scans");
    let json = report::json::render(&r);
    let v: serde_json::Value = serde_json::from_str(&json).expect("the report is JSON");
    assert_eq!(v["schema_version"], report::model::SCHEMA_VERSION);
    let _ = report::text::render(&r, last & 4 == 4);
    let _ = report::html::render(&r);
}
