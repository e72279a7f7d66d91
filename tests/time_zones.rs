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

/// `TZ` is how a Unix machine names its zone; Windows ignores it and reads
/// its own setting (tested by `timezone::machine`'s unit tests of the CLDR
/// mapping), so this runs on Unix only.
#[cfg(unix)]
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

const CSV: &str = "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0-etl.csv";
const HEADER_EN: &str = "Event Name,   Type,   Event ID,   Version,   Channel,   Level,   Opcode,   Task,   Keyword,   PID,   TID,   Processor Number,   Instance ID,   Parent Instance ID,   Activity ID,   Related Activity ID,   Clock-Time,   Kernel(ms),   User(ms),   User Data";

/// FILETIME ticks of an RFC 3339 instant.
fn filetime(t: &str) -> u64 {
    let t = chrono::DateTime::parse_from_rfc3339(t).unwrap();
    ((t.timestamp() + 11_644_473_600) as u64) * 10_000_000
        + u64::from(t.timestamp_subsec_nanos() / 100)
}

/// A tracerpt row: `kind` in the Type column, `data` the user data as written.
fn csv_row(kind: &str, level: &str, at: &str, data: &str) -> String {
    format!(
        "UccApi,   {kind},   0,   0,   0,   {level},   0,   0,   0x0000000000000000,   0x00001F68,   0x00000C14,   0,   ,   ,   {{00000000-0000-0000-0000-000000000000}},   ,   {},   0,   0,   {data}\r\n",
        filetime(at)
    )
}

/// Message 42 queued at 08:00:00Z and failed with EWS 401 at 08:00:05Z,
/// told by a tracerpt CSV (FILETIME) and by a UccApilog written at +01:00.
fn told_twice(t: &TestEnv) {
    let mut csv = format!("{HEADER_EN}\r\n");
    csv.push_str(&csv_row(
        "Information",
        "4",
        "2026-11-23T08:00:00.250Z",
        &format!("\"OfflineIM: queued message 42 for sip:{BOB}\""),
    ));
    csv.push_str(&csv_row(
        "Error",
        "2",
        "2026-11-23T08:00:05.500Z",
        "\"OfflineIM: message 42 failed: EWS returned 401 Unauthorized\"",
    ));
    t.write_file(CSV, csv);
    let mut log = queued("11/23/2026|09:00:00.250", "42");
    log.push_str(&line(
        "11/23/2026|09:00:05.500",
        "OfflineIM: message 42 failed: EWS returned 401 Unauthorized",
    ));
    t.write_file(LOG0, log);
}

fn attempts(s: &Scan) -> &Vec<Value> {
    s.json["attempts"].as_array().unwrap()
}

/// The judgement without OIM052, which only one of two scans has.
fn judged_but_oim052(s: &Scan) -> Value {
    let mut j = judged(s);
    j["rules"] = j["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| *r != "OIM052")
        .cloned()
        .collect();
    j
}

#[test]
fn a_csv_and_a_log_an_hour_apart_with_no_flag_adopt_the_offset_that_reconciles_them() {
    let t = TestEnv::new();
    told_twice(&t);
    let utc = [("TZ", OsStr::new("UTC"))];
    let s = scan_at(&t, NOW, &[], &utc);
    assert!(s.has("OIM052"), "{:?}", s.rule_ids());
    let f = s.finding("OIM052");
    assert_eq!(f["severity"], "warning");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("--utc-offset +01:00"), "{msg}");
    assert!(msg.contains("inferred"), "{msg}");
    assert_eq!(f["evidence"].as_array().unwrap().len(), 2, "{f:#}");
    let tz = &s.json["time_zone"];
    assert_eq!(tz["source"], "inferred");
    assert_eq!(tz["offsets_applied"], serde_json::json!(["+01:00"]));
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "one message, not two: {a:#?}");
    assert_eq!(a[0]["queued_at"], "2026-11-23T08:00:00Z");
    assert_eq!(a[0]["outcome"], "failed");
    // The same facts and findings as the scan pinned to the right offset.
    let pinned = scan_at(&t, NOW, &["--utc-offset", "+01:00"], &utc);
    assert!(!pinned.has("OIM052"), "{:?}", pinned.rule_ids());
    assert_eq!(judged_but_oim052(&s), judged(&pinned));
    // The two EWS failures are one failure told twice.
    assert_eq!(
        s.json["coverage"]["logs"]["oim_events"],
        pinned.json["coverage"]["logs"]["oim_events"]
    );
}

#[test]
fn with_a_flag_the_flag_wins_and_the_story_still_does_not_split() {
    let t = TestEnv::new();
    told_twice(&t);
    let s = scan_at(&t, NOW, &["--utc-offset", "+00:00"], &[]);
    assert!(s.has("OIM052"), "{:?}", s.rule_ids());
    let msg = s.finding("OIM052")["message"].as_str().unwrap();
    assert!(msg.contains("--utc-offset +01:00"), "{msg}");
    assert!(msg.contains("flag given wins"), "{msg}");
    assert_eq!(s.json["time_zone"]["source"], "flag");
    assert_eq!(
        s.json["time_zone"]["offsets_applied"],
        serde_json::json!(["+00:00"])
    );
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "joined by message id: {a:#?}");
    // The CSV's telling comes first in time: the message is queued then.
    assert_eq!(a[0]["queued_at"], "2026-11-23T08:00:00Z");
    // A zone flag that is right: nothing to say.
    let rome = scan_at(&t, NOW, &["--tz", "Europe/Rome"], &[]);
    assert!(!rome.has("OIM052"), "{:?}", rome.rule_ids());
    assert_eq!(attempts(&rome).len(), 1);
}

/// tracerpt's header on German and French Windows (names ASSUMED: only
/// their shape is relied on), and the `Type` words of each language.
const HEADER_DE: &str = "Ereignisname,   Typ,   Ereignis-ID,   Version,   Kanal,   Ebene,   Vorgangscode,   Aufgabe,   Schlüsselwort,   PID,   TID,   Prozessornummer,   Instanz-ID,   Übergeordnete Instanz-ID,   Aktivitäts-ID,   Zugehörige Aktivitäts-ID,   Taktzeit,   Kernel(ms),   Benutzer(ms),   Benutzerdaten";
const HEADER_FR: &str = "Nom de l'événement,   Type,   ID d'événement,   Version,   Canal,   Niveau,   Opcode,   Tâche,   Mot clé,   PID,   TID,   Numéro de processeur,   ID d'instance,   ID d'instance parent,   ID d'activité,   ID d'activité associée,   Heure de l'horloge,   Noyau(ms),   Utilisateur(ms),   Données utilisateur";

/// The same trace in one language: autodiscover (its user data spilled
/// unquoted over two columns), an EWS 401, and message 9 queued and failed.
fn trace(header: &str, types: [&str; 2]) -> String {
    let [info, error] = types;
    let mut csv = format!("{header}\r\n");
    csv.push_str(&csv_row(
        info,
        "4",
        "2026-11-23T08:59:00Z",
        "Autodiscover: EWS internal URL https://mail.contoso.com/EWS/Exchange.asmx, external URL https://owa.contoso.com/EWS/Exchange.asmx",
    ));
    csv.push_str(&csv_row(
        info,
        "4",
        "2026-11-23T09:00:00Z",
        &format!("\"OfflineIM: queued message 9 for sip:{BOB}\""),
    ));
    csv.push_str(&csv_row(
        error,
        "2",
        "2026-11-23T09:00:01Z",
        "\"EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 401 Unauthorized\"",
    ));
    csv.push_str(&csv_row(
        error,
        "2",
        "2026-11-23T09:00:02Z",
        "\"OfflineIM: message 9 failed: EWS returned 401 Unauthorized\"",
    ));
    csv
}

#[test]
fn a_german_or_french_tracerpt_csv_gives_what_the_english_one_gives() {
    // One tree, the CSV rewritten in each language: the same paths.
    let t = TestEnv::new();
    t.spooler(ALICE);
    let scan_of = |csv: String, utf16: bool| {
        if utf16 {
            t.write_file(CSV, utf16le_bom(&csv));
        } else {
            t.write_file(CSV, csv);
        }
        let s = t.scan_root(&["--tz", "Europe/Rome"]);
        let scanned = s.json["inputs"]["scanned"].as_array().unwrap().clone();
        (s, scanned)
    };
    let (en, en_files) = scan_of(trace(HEADER_EN, ["Information", "Error"]), false);
    assert!(en.has("OIM030") && en.has("OIM003"), "{:?}", en.rule_ids());
    assert_eq!(
        en.json["facts"]["ews_url"],
        "https://mail.contoso.com/EWS/Exchange.asmx"
    );
    assert_eq!(attempts(&en).len(), 1);
    let csv_note = |files: &[Value]| {
        files
            .iter()
            .find(|f| f["kind"] == "tracerpt_csv")
            .map(|f| f["note"].clone())
            .expect("read as a tracerpt CSV, not skipped")
    };
    assert_eq!(csv_note(&en_files), Value::Null);
    for (lang, header, types, utf16) in [
        ("de", HEADER_DE, ["Informationen", "Fehler"], false),
        ("de utf-16", HEADER_DE, ["Informationen", "Fehler"], true),
        ("fr", HEADER_FR, ["Informations", "Erreur"], false),
    ] {
        let (s, files) = scan_of(trace(header, types), utf16);
        assert_eq!(judged(&s), judged(&en), "{lang}");
        assert_eq!(
            s.json["coverage"]["logs"], en.json["coverage"]["logs"],
            "{lang}"
        );
        // What was read differently is said.
        let note = csv_note(&files);
        assert!(
            note.as_str()
                .is_some_and(|n| n.contains("found by their shape")),
            "{lang}: {note}"
        );
    }
}

/// Message 42 queued at 08:00:00Z, failed, and spooled to `42.hist`: told by
/// a UccApilog written at +01:00 and by the item's `Date:` with its zone.
fn item_told_twice(t: &TestEnv) {
    let mut log = queued("11/23/2026|09:00:00.250", "42");
    log.push_str(&line(
        "11/23/2026|09:00:05.500",
        "OfflineIM: message 42 failed: EWS returned 401 Unauthorized",
    ));
    log.push_str(&line(
        "11/23/2026|09:00:05.600",
        "OfflineIM: message 42 spooled to History Spooler (file 42.hist)",
    ));
    t.write_file(LOG0, log);
    t.write_item(
        ALICE,
        "42.hist",
        mime_item(BOB, Some("Mon, 23 Nov 2026 09:00:01 +0100")),
    );
}

#[test]
fn an_item_date_with_its_zone_and_a_log_read_at_the_wrong_offset_fire_oim052() {
    let t = TestEnv::new();
    item_told_twice(&t);
    let s = scan_at(&t, NOW, &["--utc-offset", "+00:00"], &[]);
    assert!(s.has("OIM052"), "{:?}", s.rule_ids());
    let f = s.finding("OIM052");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("--utc-offset +01:00"), "{msg}");
    assert!(msg.contains("flag given wins"), "{msg}");
    assert!(msg.starts_with("1 of 1 offline-IM event"), "{msg}");
    // The evidence: the log's line, then the item.
    let ev = f["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 2, "{f:#}");
    assert!(
        ev[0]["path"].as_str().unwrap().ends_with("UccApilog"),
        "{f:#}"
    );
    assert!(
        ev[1]["path"].as_str().unwrap().ends_with("42.hist"),
        "{f:#}"
    );
    assert!(
        ev[1]["excerpt"]
            .as_str()
            .unwrap()
            .contains("spool item's date"),
        "{f:#}"
    );
    assert_eq!(s.json["time_zone"]["source"], "flag");
    // The right offset: nothing to say, and the same item linked.
    let pinned = scan_at(&t, NOW, &["--utc-offset", "+01:00"], &[]);
    assert!(!pinned.has("OIM052"), "{:?}", pinned.rule_ids());
    assert_eq!(attempts(&pinned).len(), 1);
    assert_eq!(attempts(&s).len(), 1);
    // An item whose date has no zone tells nothing absolute: no pair.
    t.write_item(
        ALICE,
        "42.hist",
        mime_item(BOB, Some("Mon, 23 Nov 2026 09:00:01")),
    );
    let zoneless = scan_at(&t, NOW, &["--utc-offset", "+00:00"], &[]);
    assert!(!zoneless.has("OIM052"), "{:?}", zoneless.rule_ids());
}

#[test]
fn an_item_date_with_its_zone_and_no_flag_adopt_the_offset_that_reconciles_them() {
    let t = TestEnv::new();
    item_told_twice(&t);
    let utc = [("TZ", OsStr::new("UTC"))];
    let s = scan_at(&t, NOW, &[], &utc);
    assert!(s.has("OIM052"), "{:?}", s.rule_ids());
    let msg = s.finding("OIM052")["message"].as_str().unwrap();
    assert!(msg.contains("--utc-offset +01:00"), "{msg}");
    assert!(msg.contains("inferred"), "{msg}");
    let tz = &s.json["time_zone"];
    assert_eq!(tz["source"], "inferred");
    assert_eq!(tz["offsets_applied"], serde_json::json!(["+01:00"]));
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["queued_at"], "2026-11-23T08:00:00Z");
    // The same facts and findings as the scan pinned to the right offset.
    let pinned = scan_at(&t, NOW, &["--utc-offset", "+01:00"], &utc);
    assert_eq!(judged_but_oim052(&s), judged(&pinned));
}

/// The note of the CSV a scan read.
fn csv_note_of(s: &Scan) -> String {
    s.json["inputs"]["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "tracerpt_csv")
        .map(|f| f["note"].as_str().unwrap_or("").to_string())
        .expect("read as a tracerpt CSV")
}

#[test]
fn a_type_word_the_table_lacks_is_noted_and_a_signature_file_adds_it() {
    let t = TestEnv::new();
    t.spooler(ALICE);
    // Polish Type words, and no Level: the Type word is all there is.
    t.write_file(
        CSV,
        trace(HEADER_EN, ["Informacje", "Błąd"])
            .replace(",   4,", ",   ,")
            .replace(",   2,", ",   ,"),
    );
    let before = t.scan_root(&[]);
    let note = csv_note_of(&before);
    assert!(
        note.contains("4 row(s) without a Level whose Type word the table does not know")
            && note.contains("'Informacje', 'Błąd'")
            && note.contains("tracerpt_type_words"),
        "{note}"
    );
    // The words added in a user file (outside the tree scanned).
    let elsewhere = TestEnv::new();
    let sigs = elsewhere.write_file(
        "sigs.json",
        r#"{"signatures": [], "tracerpt_type_words": {"levels": {"INFO": ["informacje"], "error": ["BŁĄD"]}}}"#,
    );
    let after = t.scan_root(&["--signatures", sigs.to_str().unwrap()]);
    assert_eq!(csv_note_of(&after), "", "{:#}", after.json["inputs"]);
    // The words decide no finding: the same judgement either way.
    assert_eq!(judged(&after), judged(&before));
    // The built-in words are kept beside the user's (extend): an English
    // trace without a Level reads without a note.
    t.write_file(
        CSV,
        trace(HEADER_EN, ["Information", "Error"])
            .replace(",   4,", ",   ,")
            .replace(",   2,", ",   ,"),
    );
    let english = t.scan_root(&["--signatures", sigs.to_str().unwrap()]);
    assert_eq!(csv_note_of(&english), "");
    // A level the table has no place for is refused, naming the file.
    let bad = elsewhere.write_file(
        "bad.json",
        r#"{"signatures": [], "tracerpt_type_words": {"levels": {"NOTICE": ["hinweis"]}}}"#,
    );
    let r = t.run(&["signatures", "--signatures", bad.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("bad.json") && r.stderr.contains("unknown level 'NOTICE'"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_printed_table_holds_both_assumed_tables_and_reads_back() {
    let t = TestEnv::new();
    let r = t.run(&["signatures"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let table: Value = serde_json::from_str(&r.stdout).unwrap();
    let ids = &table["admin_identity_fields"];
    assert_eq!(ids["assumed"], true);
    assert_eq!(ids["fields"][0], serde_json::json!({"field": "Identity"}));
    assert_eq!(
        ids["fields"][3],
        serde_json::json!({"field": "ScopeClass", "name_field": "Name"})
    );
    let words = &table["tracerpt_type_words"];
    assert_eq!(words["assumed"], true);
    assert!(words["levels"]["ERROR"]
        .as_array()
        .unwrap()
        .contains(&Value::from("fehler")));
    // Printed, it is a replace file that gives the same table.
    let printed = t.write_file("printed.json", &r.stdout);
    let again = t.run(&["signatures", "--signatures", printed.to_str().unwrap()]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, r.stdout);
}
