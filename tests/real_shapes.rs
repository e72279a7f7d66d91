//! What real machines hand over (issue 16): the same evidence in the shapes
//! seen in the field must give the same facts and findings as its canonical
//! shape. Each test builds one tree in the canonical shape and one in the
//! real one, scans both, and compares the reports with the scanned root
//! (and any name that differs by design) taken out.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use serde_json::Value;

const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";
const LOG0: &str = "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog";
const UA_C2R: &str = "UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)";
const EWS_ONPREM: &str = "https://mail.contoso.com/EWS/Exchange.asmx";

// ------------------------------------------------------------------ helpers

/// How a UccApilog record's prefix is written.
#[derive(Clone, Copy)]
struct Prefix {
    /// `MM/DD/YYYY` (false) or `DD/MM/YYYY` (true).
    day_first: bool,
    /// `03:17:30.168 PM` instead of `15:17:30.168`.
    twelve_hour: bool,
    /// `3:17:30.168 PM` (or `3:17:30.168`): the hour without its leading zero.
    short_hour: bool,
    /// What stands between `pid:tid` and `::`, `{L}` for the level word.
    between: &'static str,
    /// The level words, e.g. `["INFO", "ERROR"]` or `["TRACE_VERBOSE", "Error"]`.
    info: &'static str,
    error: &'static str,
}

const CANONICAL: Prefix = Prefix {
    day_first: false,
    twelve_hour: false,
    short_hour: false,
    between: "{L} ",
    info: "INFO ",
    error: "ERROR",
};

/// A UccApilog written with local times at UTC+00:00.
struct Log {
    prefix: Prefix,
    lines: Vec<String>,
}

impl Log {
    fn new(prefix: Prefix) -> Log {
        Log {
            prefix,
            lines: Vec::new(),
        }
    }

    fn rec(mut self, t: DateTime<Utc>, error: bool, text: &str) -> Log {
        let p = self.prefix;
        let date = if p.day_first { "%d/%m/%Y" } else { "%m/%d/%Y" };
        let time = match (p.twelve_hour, p.short_hour) {
            (true, false) => "%I:%M:%S%.3f %p",
            (true, true) => "%-I:%M:%S%.3f %p",
            (false, false) => "%H:%M:%S%.3f",
            (false, true) => "%-H:%M:%S%.3f",
        };
        let stamp = t.format(&format!("{date}|{time}")).to_string();
        let level = if error { p.error } else { p.info };
        let between = p.between.replace("{L}", level);
        self.lines
            .push(format!("{stamp} 1F68:C14 {between}:: {text}"));
        self
    }

    fn info(self, t: DateTime<Utc>, text: &str) -> Log {
        self.rec(t, false, text)
    }

    fn error(self, t: DateTime<Utc>, text: &str) -> Log {
        self.rec(t, true, text)
    }

    /// A SIP message sent (`sent`) or received, with its `End of` record.
    fn packet(mut self, t: DateTime<Utc>, sent: bool, sip: &str) -> Log {
        let (start, end) = if sent {
            ("Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 1022 bytes:",
             "End of Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 1022 bytes")
        } else {
            ("Data Received - 10.10.1.20:5061 (To Local Address: 192.168.103.35:50331) 684 bytes:",
             "End of Data Received - 10.10.1.20:5061 (To Local Address: 192.168.103.35:50331) 684 bytes")
        };
        self = self.info(t, start);
        self.lines.extend(sip.lines().map(str::to_string));
        self.lines.push(String::new());
        self.info(t, end)
    }

    fn text(&self) -> String {
        let mut s = self.lines.join("\r\n");
        s.push_str("\r\n");
        s
    }
}

fn register(user: &str) -> String {
    format!(
        "REGISTER sip:contoso.com SIP/2.0\n\
         From: <sip:{user}>;tag=4c5e3f1a2b;epid=7b1e2d3c4f\n\
         To: <sip:{user}>\n\
         Call-ID: 9a3c1f6e0d2b4a5c8e7f6a5b4c3d2e1f\n\
         CSeq: 1 REGISTER\n\
         User-Agent: {UA_C2R}\n\
         Content-Length: 0"
    )
}

fn invite(from: &str, to: &str) -> String {
    format!(
        "INVITE sip:{to} SIP/2.0\n\
         From: <sip:{from}>;tag=77\n\
         To: <sip:{to}>\n\
         Call-ID: c0ffee\n\
         CSeq: 1 INVITE\n\
         User-Agent: {UA_C2R}\n\
         Content-Length: 0"
    )
}

fn offline_480(from: &str, to: &str) -> String {
    format!(
        "SIP/2.0 480 Temporarily Unavailable\n\
         From: <sip:{from}>;tag=77\n\
         To: <sip:{to}>;tag=88\n\
         Call-ID: c0ffee\n\
         CSeq: 1 INVITE\n\
         Content-Length: 0"
    )
}

/// Alice signs in on a C2R build against an on-premises EWS; at `q` she
/// writes to Bob, who is offline (480); the message fails with EWS 401.
/// Times span midnight and both halves of the day, so a 12-hour clock and a
/// day-first date are both put to the test.
fn story(prefix: Prefix, q: DateTime<Utc>) -> Log {
    let signed_in = q - Duration::hours(13);
    Log::new(prefix)
        .packet(signed_in, true, &register(ALICE))
        .info(
            signed_in + Duration::seconds(5),
            &format!("Autodiscover: EWS internal URL {EWS_ONPREM}, external URL {EWS_ONPREM}"),
        )
        .packet(q - Duration::seconds(2), true, &invite(ALICE, BOB))
        .packet(q - Duration::seconds(1), false, &offline_480(ALICE, BOB))
        .info(q, &format!("OfflineIM: queued message 42 for sip:{BOB}"))
        .error(
            q + Duration::seconds(120),
            &format!("EWS: POST {EWS_ONPREM} CreateItem -> 401 Unauthorized"),
        )
        .error(
            q + Duration::seconds(120),
            "OfflineIM: message 42 failed: EWS returned 401 Unauthorized",
        )
}

/// The report as a value with `root` (and each `(from, to)` of `renames`)
/// written the same whichever tree it came from, without `inputs` (what a
/// reader could not use as-is is said there, and differs by design) and
/// without the items' sizes (other bytes, same evidence).
fn judged(s: &Scan, root: &std::path::Path, renames: &[(&str, &str)]) -> Value {
    // As the JSON spells it (Windows' `\` escaped).
    let root = serde_json::to_string(&root.display().to_string()).unwrap();
    let mut text = s.stdout.replace(root.trim_matches('"'), "ROOT");
    for (from, to) in renames {
        text = text.replace(from, to);
    }
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("inputs");
    for item in v["spool_items"].as_array_mut().unwrap() {
        item.as_object_mut().unwrap().remove("size_bytes");
    }
    v
}

/// The same tree written twice, once per shape, scanned with `extra`.
fn both(extra: &[&str], write: impl Fn(&TestEnv, bool)) -> [(TestEnv, Scan); 2] {
    [false, true].map(|real| {
        let env = TestEnv::new();
        write(&env, real);
        let s = env.scan_root(extra);
        (env, s)
    })
}

/// Both reports judge alike, and the real shape's report is not empty.
fn assert_same_judgement(runs: &[(TestEnv, Scan); 2], renames: &[(&str, &str)]) {
    let [(e0, s0), (e1, s1)] = runs;
    let want = judged(s0, e0.root(), renames);
    let got = judged(s1, e1.root(), renames);
    assert!(
        want == got,
        "canonical:\n{want:#}\nreal shape:\n{got:#}\nreal shape's inputs:\n{:#}",
        s1.json["inputs"]
    );
}

// ---------------------------------------------------- addresses (item 2)

/// A MIME item with the given header lines, dated `sent`.
fn item_with(from: &str, to: &str, extra: &str, sent: DateTime<Utc>) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\n{extra}Date: {}\r\nSubject: {SUBJECT_MARKER}\r\n\
         X-MS-Message-Class: IM.Note.MissedConversation\r\n\r\n{BODY_MARKER}\r\n",
        rfc2822(sent)
    )
}

#[test]
fn a_quoted_display_name_with_a_comma_links_like_a_bare_address() {
    let q = ago(3600);
    let runs = both(&[], |env, real| {
        env.write_file(LOG0, story(CANONICAL, q).text());
        let (from, to) = if real {
            (
                "\"Wong, Alice\" <sip:alice@contoso.com>",
                "\"Smith, Bob\" <sip:bob@contoso.com>",
            )
        } else {
            ("<sip:alice@contoso.com>", "<sip:bob@contoso.com>")
        };
        env.write_item(ALICE, "7f3a9c.hist", item_with(from, to, "", q));
    });
    assert_same_judgement(&runs, &[]);
    let s = &runs[1].1;
    let item = s.item("7f3a9c.hist");
    assert_eq!(item["recipient"], BOB);
    assert_eq!(item["recipients"], serde_json::json!([BOB]));
    assert_eq!(item["sender"], ALICE);
    assert_eq!(item["attempt_outcome"], "failed");
    let a = &s.json["attempts"][0];
    assert_eq!(a["spool_items"].as_array().unwrap().len(), 1, "{a:#}");
}

#[test]
fn federated_recipient_behind_a_display_name_is_oim040() {
    let runs = both(&[], |env, real| {
        let to = if real {
            "=?utf-8?Q?M=C3=BCller=2C_Dave?= <sip:dave@fabrikam.com> (external)"
        } else {
            "<sip:dave@fabrikam.com>"
        };
        let from = if real {
            "\"Wong, Alice\" (Sales) <sip:alice@contoso.com>"
        } else {
            "<sip:alice@contoso.com>"
        };
        env.write_item(ALICE, "a.hist", item_with(from, to, "", ago(600)));
    });
    assert_same_judgement(&runs, &[]);
    let s = &runs[1].1;
    assert!(s.has("OIM040"), "{:?}", s.rule_ids());
    let m = s.finding("OIM040")["message"].as_str().unwrap();
    assert!(m.contains("dave@fabrikam.com"), "{m}");
}

#[test]
fn every_recipient_is_listed_and_the_first_is_the_recipient() {
    let env = TestEnv::new();
    env.write_item(
        ALICE,
        "group.hist",
        item_with(
            "<sip:alice@contoso.com>",
            "Project: \"Smith, Bob\" <sip:bob@contoso.com>, mailto:carol@contoso.com;",
            "Cc: (copy) <sip:Dave@Fabrikam.com>, \"Smith, Bob\" <sip:bob@contoso.com>\r\n",
            ago(600),
        ),
    );
    let s = env.scan_root(&[]);
    let item = s.item("group.hist");
    assert_eq!(item["recipient"], BOB);
    assert_eq!(
        item["recipients"],
        serde_json::json!([BOB, "carol@contoso.com", "dave@fabrikam.com"])
    );
    // The JSON lists `recipients` right after `recipient`.
    let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
    let at = keys.iter().position(|k| *k == "recipient").unwrap();
    assert_eq!(keys[at + 1], "recipients", "{keys:?}");
    // An item with one recipient lists it; one with none lists none.
    env.write_item(
        ALICE,
        "one.hist",
        item_with(
            "<sip:alice@contoso.com>",
            "<sip:bob@contoso.com>",
            "",
            ago(600),
        ),
    );
    env.write_item(
        ALICE,
        "none.hist",
        item_with(
            "<sip:alice@contoso.com>",
            "undisclosed-recipients:;",
            "",
            ago(600),
        ),
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.item("one.hist")["recipients"], serde_json::json!([BOB]));
    assert_eq!(s.item("none.hist")["recipients"], serde_json::json!([]));
    assert!(s.item("none.hist")["recipient"].is_null());
}

#[test]
fn text_and_markdown_name_every_recipient_up_to_five() {
    let env = TestEnv::new();
    let to: Vec<String> = (1..=7).map(|n| format!("member{n}@contoso.com")).collect();
    let to_header = to
        .iter()
        .map(|a| format!("<sip:{a}>"))
        .collect::<Vec<_>>()
        .join(", ");
    env.write_item(
        ALICE,
        "seven.hist",
        item_with("<sip:alice@contoso.com>", &to_header, "", ago(600)),
    );
    env.write_item(
        ALICE,
        "two.hist",
        item_with(
            "<sip:alice@contoso.com>",
            "<sip:bob@contoso.com>, <sip:carol@contoso.com>",
            "",
            ago(900),
        ),
    );
    // Words joined by single blanks: the text report wraps its lines.
    let flat = |out: &str| out.split_whitespace().collect::<Vec<_>>().join(" ");
    for format in ["text", "markdown"] {
        let r = env.scan_as(format);
        let out = flat(&r.stdout);
        let listed = to[..5].join(", ");
        assert!(
            out.contains(&format!("{listed} and 2 more")),
            "{format}:\n{}",
            r.stdout
        );
        assert!(!out.contains(&to[5]) && !out.contains(&to[6]), "{format}");
        assert!(
            out.contains(&format!("{BOB}, carol@contoso.com")),
            "{format}:\n{}",
            r.stdout
        );
        // Redacted, no recipient is left, listed or counted.
        let r = env.run(&[
            "scan",
            ".",
            "--format",
            format,
            "--now",
            NOW,
            "--utc-offset",
            "+00:00",
            "--quiet",
            "--redact",
        ]);
        let out = flat(&r.stdout);
        assert!(out.contains("and 2 more"), "{format}:\n{}", r.stdout);
        for name in ["member", "bob", "carol", "contoso"] {
            assert!(
                !out.contains(name),
                "{format} --redact shows {name}:\n{}",
                r.stdout
            );
        }
        // The pseudonyms are listed in the recipients' place.
        assert!(
            out.contains("example and 2 more"),
            "{format}:\n{}",
            r.stdout
        );
    }
}

// ------------------------------------------------ UccApilog prefixes (item 5)

/// The story's log written in `prefix` judges as the canonical one does,
/// and shows the build, the user and the 480 that started the message:
/// the real shape's scan.
fn assert_story_reads_alike(prefix: Prefix) -> Scan {
    let q = ago(3600);
    let runs = both(&[], |env, real| {
        let p = if real { prefix } else { CANONICAL };
        env.write_file(LOG0, story(p, q).text());
    });
    assert_same_judgement(&runs, &[]);
    let [_, (_, s)] = runs;
    let facts = &s.json["facts"];
    assert_eq!(facts["client_build"], "16.0.6965.2117", "{facts:#}");
    assert_eq!(facts["sip_users"], serde_json::json!([ALICE]));
    assert!(!s.has("OIM013"), "{:?}", s.rule_ids());
    let a = &s.json["attempts"][0];
    assert_eq!(a["queued_at"], rfc3339(q), "{a:#}");
    assert_eq!(a["outcome"], "failed", "{a:#}");
    assert_eq!(a["evidence"][0]["event"], "sip.callee_offline", "{a:#}");
    s
}

fn log_note(s: &Scan) -> String {
    s.json["inputs"]["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "uccapilog")
        .map(|f| f["note"].as_str().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("no log scanned: {:#}", s.json["inputs"]))
}

#[test]
fn verbose_level_words_read_like_info_and_error() {
    let s = assert_story_reads_alike(Prefix {
        info: "TRACE_VERBOSE",
        error: "Error",
        ..CANONICAL
    });
    assert_eq!(log_note(&s), "");
}

#[test]
fn extra_tokens_before_the_separator_are_passed_over() {
    assert_story_reads_alike(Prefix {
        between: "[SIP] {L} 0x1 ",
        ..CANONICAL
    });
    assert_story_reads_alike(Prefix {
        between: "SipStack {L}",
        info: "Info",
        error: "Warning",
        ..CANONICAL
    });
}

#[test]
fn twelve_hour_times_read_like_the_24_hour_clock() {
    // The story runs from 20:00 (PM) over midnight to 09:02 (AM).
    let s = assert_story_reads_alike(Prefix {
        twelve_hour: true,
        ..CANONICAL
    });
    assert_eq!(log_note(&s), "");
}

#[test]
fn an_hour_without_its_leading_zero_reads_like_the_canonical_clock() {
    // `9:00:00.000 AM` and `8:00:00.000 PM`; then `9:00:00.000` and `20:00:00.000`.
    for twelve_hour in [true, false] {
        let s = assert_story_reads_alike(Prefix {
            twelve_hour,
            short_hour: true,
            ..CANONICAL
        });
        assert_eq!(log_note(&s), "", "twelve_hour {twelve_hour}");
    }
    // The shape is what the test says it is.
    let q = ago(3600);
    let text = story(
        Prefix {
            twelve_hour: true,
            short_hour: true,
            ..CANONICAL
        },
        q,
    )
    .text();
    assert!(text.contains("|9:00:00.000 AM 1F68:C14"), "{text}");
    assert!(text.contains("|8:59:58.000 AM"), "{text}");
}

#[test]
fn day_first_dates_are_told_by_the_start_of_the_file() {
    // 22/11/2026: a first field above 12 proves the order.
    let s = assert_story_reads_alike(Prefix {
        day_first: true,
        ..CANONICAL
    });
    let note = log_note(&s);
    assert!(note.contains("day first (DD/MM/YYYY)"), "{note}");
}

#[test]
fn every_real_shape_at_once() {
    let s = assert_story_reads_alike(Prefix {
        day_first: true,
        twelve_hour: true,
        short_hour: true,
        between: "[SIP] {L} ",
        info: "TRACE_VERBOSE",
        error: "TRACE_ERROR",
    });
    assert!(log_note(&s).contains("DD/MM/YYYY"), "{}", log_note(&s));
}

#[test]
fn a_date_against_the_files_order_is_read_and_noted() {
    // 01/11 to 12/11 reads either way: past 16 KiB of them, 13/11 can
    // only be day first.
    let env = TestEnv::new();
    let mut log = String::new();
    for k in 0..400 {
        log.push_str(&format!(
            "11/{:02}/2026|08:00:00.000 1F68:C14 INFO :: filler record {k} of some length\r\n",
            1 + k % 12
        ));
    }
    assert!(log.len() > 16 * 1024);
    log.push_str("13/11/2026|08:00:00.000 1F68:C14 INFO :: OfflineIM: queued message 7 for sip:bob@contoso.com\r\n");
    env.write_file(LOG0, log);
    let s = env.scan_root(&[]);
    let note = log_note(&s);
    assert!(
        note.contains("1 record(s) dated day first against the file's order"),
        "{note}"
    );
    assert!(!note.contains("unreadable time"), "{note}");
    assert_eq!(s.json["attempts"][0]["queued_at"], "2026-11-13T08:00:00Z");
}

#[test]
fn a_packet_that_cannot_be_read_is_counted() {
    let q = ago(3600);
    let mut log = story(CANONICAL, q);
    // A packet with no SIP message after it, and one named in a line with
    // no `::` (the SIP reader cannot find it there).
    log = log.info(q, "Sending Packet - 10.10.1.20:5061 1022 bytes:");
    log.lines.push("\u{1}\u{2} not sip".into());
    log.lines.push(format!(
        "{} 1F68:C14 INFO Data Received - 10.10.1.20:5061 684 bytes:",
        q.format("%m/%d/%Y|%H:%M:%S%.3f")
    ));
    log.lines.push("SIP/2.0 200 OK".into());
    let env = TestEnv::new();
    env.write_file(LOG0, log.text());
    let s = env.scan_root(&[]);
    let note = log_note(&s);
    assert!(
        note.contains("2 record(s) naming a SIP packet that could not be read"),
        "{note}"
    );
    // The story's own packets were all read.
    assert_eq!(s.json["facts"]["client_build"], "16.0.6965.2117");
}

// ---------------------------------------------------- encodings (item 6)

/// `s` in Windows-1252 (the characters the tests use).
fn cp1252(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0x80,
            '“' => 0x93,
            '”' => 0x94,
            c if (c as u32) < 0x80 || (0xA0..0x100).contains(&(c as u32)) => c as u8,
            c => panic!("{c:?} is not in the tests' Windows-1252"),
        })
        .collect()
}

fn note_of(s: &Scan, kind: &str) -> String {
    s.json["inputs"]["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == kind)
        .map(|f| f["note"].as_str().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("no {kind} scanned: {:#}", s.json["inputs"]))
}

#[test]
fn a_windows_1252_subject_reads_like_utf8() {
    let subject = "Réunion “budget” à 10 €";
    let item = item_with(
        "<sip:alice@contoso.com>",
        "<sip:bob@contoso.com>",
        "",
        ago(600),
    )
    .replace(SUBJECT_MARKER, subject);
    let runs = both(&["--include-subjects"], |env, real| {
        let bytes = if real {
            cp1252(&item)
        } else {
            item.clone().into_bytes()
        };
        env.write_item(ALICE, "a.hist", bytes);
    });
    assert_same_judgement(&runs, &[]);
    let s = &runs[1].1;
    let i = s.item("a.hist");
    assert_eq!(i["subject"], subject);
    assert_eq!(i["sent_at_source"], "content");
    assert!(!s.has("OIM050"), "{:?}", s.rule_ids());
    assert_eq!(
        note_of(s, "spool_item"),
        "1 line(s) not valid UTF-8, read as Windows-1252"
    );
    // The canonical item has nothing to say.
    assert!(runs[0].1.json["inputs"]["scanned"][0]["note"].is_null());
}

#[test]
fn a_binary_body_after_the_headers_is_not_counted_as_1252() {
    let env = TestEnv::new();
    let mut b = item_with(
        "<sip:alice@contoso.com>",
        "<sip:bob@contoso.com>",
        "",
        ago(600),
    )
    .into_bytes();
    b.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x81, b'\n', 0xC3, b'\n']);
    env.write_item(ALICE, "a.hist", b);
    let s = env.scan_root(&[]);
    assert!(
        s.json["inputs"]["scanned"][0]["note"].is_null(),
        "{:#}",
        s.json["inputs"]
    );
    assert_eq!(s.item("a.hist")["recipient"], BOB);
}

#[test]
fn unreadable_item_dated_inside_says_its_age_comes_from_that_date() {
    // A UTF-8 BOM promises UTF-8: a 1252 byte after it is a bad byte.
    let env = TestEnv::new();
    let item = item_with(
        "<sip:alice@contoso.com>",
        "<sip:bob@contoso.com>",
        "",
        ago(600),
    )
    .replace(SUBJECT_MARKER, "Caf\u{e9}");
    let mut b = vec![0xEF, 0xBB, 0xBF];
    b.extend_from_slice(&cp1252(&item));
    env.write_item(ALICE, "bom.hist", b);
    let s = env.scan_root(&[]);
    let i = s.item("bom.hist");
    assert_eq!(i["sent_at_source"], "content");
    // Its age came from its date, so the file time is not blamed.
    let m = s.finding("OIM050")["message"].as_str().unwrap().to_string();
    assert!(!m.contains("file time"), "{m}");
}

#[test]
fn a_windows_1252_log_reads_like_utf8() {
    let q = ago(3600);
    let log = story(CANONICAL, q)
        .info(q, "Presence note: café “fermé”")
        .text()
        .replace(
            "EWS returned 401 Unauthorized",
            "EWS returned 401 Non autorisé",
        );
    let runs = both(&[], |env, real| {
        let bytes = if real {
            cp1252(&log)
        } else {
            log.clone().into_bytes()
        };
        env.write_file(LOG0, bytes);
    });
    assert_same_judgement(&runs, &[]);
    let s = &runs[1].1;
    let m = s.finding("OIM003")["message"].as_str().unwrap();
    assert!(m.contains("Non autorisé"), "{m}");
    assert!(
        note_of(s, "uccapilog").contains("2 line(s) not valid UTF-8, read as Windows-1252"),
        "{}",
        note_of(s, "uccapilog")
    );
}

#[test]
fn a_windows_1252_admin_export_reads_like_utf8() {
    // Global off fires OIM022, whose message names the scoped objects.
    let export = "\r\nIdentity        : Global\r\nEnableOfflineIM : False\r\n\r\n\
                  Identity        : Site:Zürich-Bâle\r\nEnableOfflineIM : False\r\n\r\n";
    let runs = both(&[], |env, real| {
        env.write_file(LOG0, story(CANONICAL, ago(3600)).text());
        let bytes = if real {
            cp1252(export)
        } else {
            export.as_bytes().to_vec()
        };
        env.write_file("admin/Get-CsImConfiguration.txt", bytes);
    });
    assert_same_judgement(&runs, &[]);
    let s = &runs[1].1;
    let m = s.finding("OIM022")["message"].as_str().unwrap();
    assert!(m.contains("Site:Zürich-Bâle"), "{m}");
    assert_eq!(
        note_of(s, "admin_export"),
        "1 line(s) not valid UTF-8, read as Windows-1252"
    );
}

// ------------------------------------------------- profile folders (item 8)

#[test]
fn a_url_encoded_profile_folder_is_the_same_user() {
    let q = ago(3600);
    let encoded = "sip_alice%40contoso.com";
    let runs = both(&[], |env, real| {
        env.write_file(LOG0, story(CANONICAL, q).text());
        let profile = if real { "alice%40contoso.com" } else { ALICE };
        env.write_item(
            profile,
            "7f3a9c.hist",
            item_with("<sip:alice@contoso.com>", "<sip:bob@contoso.com>", "", q),
        );
    });
    assert_same_judgement(&runs, &[(encoded, "sip_alice@contoso.com")]);
    let s = &runs[1].1;
    assert_eq!(s.item("7f3a9c.hist")["user"], ALICE);
    assert_eq!(s.json["facts"]["sip_users"], serde_json::json!([ALICE]));
    let h = s.json["summary"]["headline"].as_str().unwrap();
    assert!(!h.contains("%40") && !h.contains("other user"), "{h}");
}

#[test]
#[cfg_attr(
    not(unix),
    ignore = "needs symbolic links (Unix); junctions are not made by the tests"
)]
fn a_linked_profile_folder_is_named_with_its_target() {
    #[cfg(unix)]
    {
        let env = TestEnv::new();
        // The profile lives elsewhere; the Lync folder links to it.
        let elsewhere = env.mkdir("D-drive/profiles/sip_alice@contoso.com");
        let item = item_with(
            "<sip:alice@contoso.com>",
            "<sip:bob@contoso.com>",
            "",
            ago(600),
        );
        write_at(
            &elsewhere.join("History Spooler").join("a.hist"),
            item.as_bytes(),
        );
        let lync = env.mkdir("collected/Microsoft/Office/16.0/Lync");
        let link = lync.join("sip_alice@contoso.com");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let s = env.scan(&[env.path("collected")], &[]);
        assert!(s.items().is_empty(), "a link is not followed");
        let reason = s.skip_reason("collected/Microsoft/Office/16.0/Lync/sip_alice@contoso.com");
        let target = std::fs::canonicalize(&elsewhere)
            .unwrap()
            .display()
            .to_string();
        assert!(
            reason.starts_with("symbolic link: not followed"),
            "{reason}"
        );
        assert!(
            reason.contains("the profile folder of alice@contoso.com"),
            "{reason}"
        );
        assert!(
            reason.contains(&format!(
                "pass that folder as PATH: oimdiag scan \"{target}\""
            )),
            "{reason}"
        );
        // As the hint says: the target, scanned, is read.
        let s = env.scan(&[&target], &[]);
        assert_eq!(s.item("a.hist")["user"], ALICE);
        assert!(s.has("OIM001"), "{:?}", s.rule_ids());
    }
}

#[test]
#[cfg_attr(
    not(unix),
    ignore = "needs symbolic links (Unix); junctions are not made by the tests"
)]
fn a_linked_lync_folder_under_localappdata_is_named_with_its_target() {
    #[cfg(unix)]
    {
        let env = TestEnv::new();
        let moved = env.mkdir("D-drive/Lync");
        write_at(
            &moved.join("sip_alice@contoso.com/History Spooler/a.hist"),
            item_with(
                "<sip:alice@contoso.com>",
                "<sip:bob@contoso.com>",
                "",
                ago(600),
            )
            .as_bytes(),
        );
        let local = env.mkdir("AppData/Local/Microsoft/Office/16.0");
        std::os::unix::fs::symlink(&moved, local.join("Lync")).unwrap();
        // No PATH: this machine's %LOCALAPPDATA%, where only Lync folders are read.
        let appdata = env.path("AppData/Local");
        let r = run_with_env(
            env.root(),
            &[
                "scan",
                "--format",
                "json",
                "--now",
                NOW,
                "--utc-offset",
                "+00:00",
                "--quiet",
            ],
            &[("LOCALAPPDATA", appdata.as_os_str())],
        );
        let s = Scan::parse(r);
        let reason = s.skip_reason("Microsoft/Office/16.0/Lync");
        let target = std::fs::canonicalize(&moved).unwrap().display().to_string();
        assert!(
            reason.contains("it is the Lync folder, a link to"),
            "{reason}"
        );
        assert!(
            reason.contains(&format!("oimdiag scan \"{target}\"")),
            "{reason}"
        );
        assert!(
            !s.skipped()
                .iter()
                .any(|(_, r)| r.contains("has not run for this user")),
            "{:?}",
            s.skipped()
        );
    }
}
