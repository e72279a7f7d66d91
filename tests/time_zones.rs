//! Local log times read by zone rules (`--tz`, the machine's zone, DST
//! included), checked against times that carry their own zone (OIM052),
//! and tracerpt CSVs whatever the language of their header. No test
//! depends on the machine's zone: each passes `--tz`/`--utc-offset` or sets
//! `TZ` in the child's environment.

mod common;

use common::*;
use serde_json::Value;
use std::ffi::OsStr;

const LOG0: &str = "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog";
const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";
/// December, after Rome went back to UTC+01:00 (the log below is from July).
const DECEMBER: &str = "2026-12-15T10:00:00Z";

/// One UccApilog record at local time `local` (`MM/DD/YYYY|HH:MM:SS.mmm`).
fn line(local: &str, text: &str) -> String {
    format!("{local} 1A2B:3C4D INFO  :: {text}\n")
}

fn queued(local: &str, id: &str) -> String {
    line(
        local,
        &format!("OfflineIM: queued message {id} for sip:{BOB}"),
    )
}

fn delivered(local: &str, id: &str) -> String {
    line(
        local,
        &format!(
            "OfflineIM: message {id} delivered to sip:{BOB} (ItemClass=IM.Note.MissedConversation)"
        ),
    )
}

/// `oimdiag scan <root> --format json --quiet --now NOW <extra>`, with `env`
/// added to the child's environment.
fn scan_at(t: &TestEnv, now: &str, extra: &[&str], envs: &[(&str, &OsStr)]) -> Scan {
    let mut args = vec![
        t.root().to_string_lossy().into_owned(),
        "--format".into(),
        "json".into(),
        "--quiet".into(),
        "--now".into(),
        now.into(),
    ];
    args.insert(0, "scan".into());
    args.extend(extra.iter().map(|s| s.to_string()));
    Scan::parse(run_with_env(t.root(), &args, envs))
}

/// The facts and findings two scans of the same evidence must share.
fn judged(s: &Scan) -> Value {
    let attempts: Vec<Value> = s.json["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            serde_json::json!({
                "id": a["id"], "queued_at": a["queued_at"], "resolved_at": a["resolved_at"],
                "outcome": a["outcome"], "spool_items": a["spool_items"],
            })
        })
        .collect();
    let items: Vec<Value> = s
        .items()
        .iter()
        .map(|i| serde_json::json!({"sent_at": i["sent_at"], "state": i["state"]}))
        .collect();
    serde_json::json!({
        "rules": s.rule_ids(),
        "verdict": s.verdict(),
        "facts": s.json["facts"],
        "attempts": attempts,
        "items": items,
    })
}

/// A July log from Rome (UTC+02:00 then): message 7 queued at 10:00:00 and
/// delivered at 10:00:20 local time; its leftover copy in the spooler is
/// dated 08:00:05 UTC.
fn rome_july(t: &TestEnv) {
    let mut log = queued("07/15/2026|10:00:00.000", "7");
    log.push_str(&delivered("07/15/2026|10:00:20.000", "7"));
    t.write_file(LOG0, log);
    t.write_item(
        ALICE,
        "7f3a9c.hist",
        xml_item("t", BOB, Some(("DateTimeSent", "2026-07-15T08:00:05Z"))),
    );
}

#[test]
fn a_july_log_from_rome_scanned_in_december_links_the_delivered_message_to_its_leftover() {
    let t = TestEnv::new();
    rome_july(&t);
    let s = scan_at(&t, DECEMBER, &["--tz", "Europe/Rome"], &[]);
    assert!(!s.has("OIM001"), "{:?}", s.rule_ids());
    let attempts = s.json["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:#?}");
    assert_eq!(attempts[0]["queued_at"], "2026-07-15T08:00:00Z");
    assert_eq!(attempts[0]["outcome"], "delivered");
    assert_eq!(attempts[0]["spool_items"].as_array().unwrap().len(), 1);
    let tz = &s.json["time_zone"];
    assert_eq!(tz["name"], "Europe/Rome");
    assert_eq!(tz["source"], "flag");
    assert_eq!(tz["windows_id"], Value::Null);
    assert_eq!(tz["offsets_applied"], serde_json::json!(["+02:00"]));
    // `utc_offset` is the offset in force at the scan time: December's.
    assert_eq!(s.json["utc_offset"], "+01:00");

    // Read at December's fixed offset instead (what the default used to
    // be), the log is an hour late: the copy is no longer its message's.
    let fixed = scan_at(&t, DECEMBER, &["--utc-offset", "+01:00"], &[]);
    assert!(fixed.has("OIM001"), "{:?}", fixed.rule_ids());
    assert_eq!(fixed.json["time_zone"]["name"], Value::Null);
    assert_eq!(fixed.json["time_zone"]["source"], "flag");
}

#[test]
fn tz_and_utc_offset_together_are_a_usage_error() {
    let t = TestEnv::new();
    rome_july(&t);
    let r = t.run(&["scan", ".", "--tz", "Europe/Rome", "--utc-offset", "+01:00"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--utc-offset"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let r = t.run(&["scan", ".", "--tz", "Mars/Olympus_Mons"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("IANA"), "{}", r.stderr);
}

#[test]
fn the_machine_zone_from_tz_reads_like_the_flag() {
    let t = TestEnv::new();
    rome_july(&t);
    let flag = scan_at(&t, DECEMBER, &["--tz", "Europe/Rome"], &[]);
    for tz in ["Europe/Rome", ":Europe/Rome"] {
        let machine = scan_at(&t, DECEMBER, &[], &[("TZ", OsStr::new(tz))]);
        assert_eq!(judged(&machine), judged(&flag), "TZ={tz}");
        assert_eq!(machine.json["time_zone"]["source"], "machine", "TZ={tz}");
        assert_eq!(machine.json["time_zone"]["name"], "Europe/Rome", "TZ={tz}");
        assert_eq!(machine.json["utc_offset"], "+01:00");
    }
    // Another machine zone reads the same log otherwise.
    let tokyo = scan_at(&t, DECEMBER, &[], &[("TZ", OsStr::new("Asia/Tokyo"))]);
    assert_eq!(tokyo.json["time_zone"]["name"], "Asia/Tokyo");
    assert_ne!(judged(&tokyo), judged(&flag));
}

#[test]
fn dst_gap_and_overlap_times_are_resolved_one_way_and_counted() {
    let t = TestEnv::new();
    // 29 March 2026 02:30 never happened in Rome; 25 October 02:30 twice.
    let mut log = queued("03/29/2026|02:30:00.000", "1");
    log.push_str(&queued("10/25/2026|02:30:00.000", "2"));
    log.push_str(&queued("10/25/2026|04:00:00.000", "3"));
    t.write_file(LOG0, log);
    let s = scan_at(&t, DECEMBER, &["--tz", "Europe/Rome"], &[]);
    let queued: Vec<&str> = s.json["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["queued_at"].as_str().unwrap())
        .collect();
    // Gap: the offset before it (+01:00), shifted forward by the gap.
    // Overlap: the earlier instant (+02:00).
    assert_eq!(
        queued,
        [
            "2026-03-29T01:30:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-25T03:00:00Z"
        ]
    );
    let scanned = s.json["inputs"]["scanned"].as_array().unwrap();
    let note = scanned
        .iter()
        .find(|f| f["kind"] == "uccapilog")
        .and_then(|f| f["note"].as_str())
        .expect("the log's note names the DST times");
    assert!(note.contains("1 local time(s) in a DST gap"), "{note}");
    assert!(note.contains("1 local time(s) in a DST overlap"), "{note}");
    assert_eq!(
        s.json["time_zone"]["offsets_applied"],
        serde_json::json!(["+01:00", "+02:00"])
    );
    // Read at a fixed offset nothing falls in a gap: no note.
    let fixed = scan_at(&t, DECEMBER, &["--utc-offset", "+01:00"], &[]);
    let scanned = fixed.json["inputs"]["scanned"].as_array().unwrap();
    assert!(scanned.iter().all(|f| f["note"].is_null()), "{scanned:#?}");
}

#[test]
fn a_zone_less_item_date_is_read_by_the_zone_rules() {
    let t = TestEnv::new();
    t.write_item(
        ALICE,
        "a.hist",
        mime_item(BOB, Some("Wed, 15 Jul 2026 10:00:00")),
    );
    let s = scan_at(&t, DECEMBER, &["--tz", "Europe/Rome"], &[]);
    let item = &s.items()[0];
    assert_eq!(item["sent_at"], "2026-07-15T08:00:00Z");
    assert_eq!(item["sent_at_source"], "content");
    assert_eq!(
        s.json["time_zone"]["offsets_applied"],
        serde_json::json!(["+02:00"])
    );
}
