//! History Spooler items (BRIEF §3.2, rules OIM001/002/050/051): the two-minute
//! timer, where an item's sent time comes from, the item formats and
//! encodings, and items that cannot be read.

mod common;

use common::*;
use std::fs::OpenOptions;
use std::io::Write;

const USER: &str = "alice@contoso.com";

fn assert_json_age(item: &serde_json::Value, secs: i64) {
    assert_eq!(item["age_seconds"], secs, "age_seconds of {item:#}");
}

// ---------------------------------------------------------------- the timer

#[test]
fn item_dated_exactly_120_seconds_before_now_is_pending() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(120)))),
    );
    let s = env.scan_root(&[]);
    let item = s.item("a.hist");
    assert_eq!(item["state"], "pending");
    assert_json_age(item, 120);
    assert_eq!(item["sent_at"], rfc3339(ago(120)));
    assert!(s.has("OIM002"), "{:?}", s.rule_ids());
    assert!(!s.has("OIM001"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "healthy");
    assert_eq!(s.code, 0);
}

#[test]
fn item_dated_121_seconds_before_now_is_stuck_and_failing() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(121)))),
    );
    let s = env.scan_root(&[]);
    let item = s.item("a.hist");
    assert_eq!(item["state"], "stuck");
    assert_json_age(item, 121);
    assert!(s.has("OIM001"), "{:?}", s.rule_ids());
    assert!(!s.has("OIM002"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "failing");
    // A stuck item is a symptom: with no cause in the evidence, none is named.
    assert_eq!(s.json["summary"]["probable_causes"], serde_json::json!([]));
    let h = s.json["summary"]["headline"].as_str().unwrap();
    assert!(h.contains("cause was not found"), "{h}");
    assert_eq!(s.code, 1);
}

#[test]
fn stuck_finding_names_recipient_and_points_at_the_item() {
    let env = TestEnv::new();
    let p = env.write_item(
        USER,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(3600)))),
    );
    let s = env.scan_root(&[]);
    let f = s.finding("OIM001");
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"].as_str().unwrap().contains("bob@contoso.com"),
        "{f:#}"
    );
    let ev = f["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["path"], p.display().to_string());
    let headline = s.json["summary"]["headline"].as_str().unwrap();
    assert!(headline.contains(USER), "{headline}");
    assert!(headline.contains('1'), "{headline}");
}

#[test]
fn item_older_than_120_seconds_by_a_fraction_is_stuck() {
    // 120.5 s is older than the two-minute timer; truncating to whole seconds
    // must not make it pending, whether the time is in the content or the file's.
    let env = TestEnv::new();
    env.write_item(
        USER,
        "frac.xml",
        xml_item(
            "t",
            "bob@contoso.com",
            Some(("DateTimeSent", "2026-11-23T09:57:59.500Z")),
        ),
    );
    let p = env.write_item(USER, "frac.dat", [0u8, 1, 2, 3, 0xFF, 0xFE, 0, 0]);
    set_mtime(&p, now() - chrono::Duration::milliseconds(120_500));
    let s = env.scan_root(&[]);
    assert_eq!(s.item("frac.xml")["state"], "stuck");
    assert_eq!(s.item("frac.dat")["state"], "stuck");
    assert!(s.has("OIM001"), "{:?}", s.rule_ids());
}

#[test]
fn item_dated_after_scan_time_is_clock_skew_not_stuck() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "f.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(-3600)))),
    );
    let s = env.scan_root(&[]);
    let item = s.item("f.hist");
    assert_eq!(item["state"], "after_scan_time");
    assert_json_age(item, -3600);
    assert!(!s.has("OIM002"), "not judged: {:?}", s.rule_ids());
    assert_eq!(s.json["coverage"]["spooler"]["after_scan_time"], 1);
    assert!(s.has("OIM051"), "{:?}", s.rule_ids());
    assert!(!s.has("OIM001"), "{:?}", s.rule_ids());
    assert_eq!(s.finding("OIM051")["severity"], "warning");
    assert_eq!(s.verdict(), "degraded");
}

#[test]
fn stuck_and_pending_items_of_one_user_are_both_reported() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "old.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    env.write_item(
        USER,
        "new.hist",
        mime_item("carol@contoso.com", Some(&rfc2822(ago(30)))),
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.items().len(), 2);
    assert_eq!(s.item("old.hist")["state"], "stuck");
    assert_eq!(s.item("new.hist")["state"], "pending");
    let ids = s.rule_ids();
    assert!(
        ids.contains(&"OIM001".into()) && ids.contains(&"OIM002".into()),
        "{ids:?}"
    );
    let f1 = s.finding("OIM001")["evidence"].as_array().unwrap().clone();
    assert_eq!(f1.len(), 1);
    assert!(f1[0]["path"].as_str().unwrap().ends_with("old.hist"));
}

// ------------------------------------------------------ where sent_at comes from

#[test]
fn mime_date_is_preferred_over_file_time() {
    let env = TestEnv::new();
    let p = env.write_item(
        USER,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(300)))),
    );
    set_mtime(&p, ago(10));
    let s = env.scan_root(&[]);
    let item = s.item("a.hist");
    assert_eq!(item["sent_at_source"], "content");
    assert_eq!(item["sent_at"], rfc3339(ago(300)));
    assert_json_age(item, 300);
    assert_eq!(item["state"], "stuck");
    assert_eq!(item["format"], "mime");
    assert_eq!(item["recipient"], "bob@contoso.com");
}

#[test]
fn mime_without_date_uses_file_time() {
    let env = TestEnv::new();
    let p = env.write_item(USER, "a.hist", mime_item("bob@contoso.com", None));
    set_mtime(&p, ago(45));
    let s = env.scan_root(&[]);
    let item = s.item("a.hist");
    assert_eq!(item["sent_at_source"], "mtime");
    assert_eq!(item["sent_at"], rfc3339(ago(45)));
    assert_json_age(item, 45);
    assert_eq!(item["state"], "pending");
    assert_eq!(item["format"], "mime");
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert!(
        !s.has("OIM050"),
        "a missing date is not a fault: {:?}",
        s.rule_ids()
    );
}

#[test]
fn xml_with_namespace_prefix_date_and_recipient() {
    let env = TestEnv::new();
    let p = env.write_item(
        USER,
        "a.xml",
        xml_item(
            "t",
            "bob@contoso.com",
            Some(("DateTimeSent", "2026-11-23T09:14:03Z")),
        ),
    );
    set_mtime(&p, ago(5));
    let s = env.scan_root(&[]);
    let item = s.item("a.xml");
    assert_eq!(item["format"], "xml");
    assert_eq!(item["sent_at_source"], "content");
    assert_eq!(item["sent_at"], "2026-11-23T09:14:03Z");
    assert_json_age(item, 45 * 60 + 57);
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["sender"], "alice@contoso.com");
    assert_eq!(item["message_class"], "IM.Note.MissedConversation");
}

#[test]
fn xml_without_namespace_prefix_date_and_recipient() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.xml",
        xml_item(
            "",
            "bob@contoso.com",
            Some(("DateTimeSent", "2026-11-23T09:59:00Z")),
        ),
    );
    let s = env.scan_root(&[]);
    let item = s.item("a.xml");
    assert_eq!(item["format"], "xml");
    assert_eq!(item["sent_at_source"], "content");
    assert_eq!(item["sent_at"], "2026-11-23T09:59:00Z");
    assert_json_age(item, 60);
    assert_eq!(item["recipient"], "bob@contoso.com");
}

#[test]
fn xml_date_time_created_is_used_when_no_date_time_sent() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.xml",
        xml_item(
            "m",
            "bob@contoso.com",
            Some(("DateTimeCreated", "2026-11-23T09:50:00Z")),
        ),
    );
    let s = env.scan_root(&[]);
    let item = s.item("a.xml");
    assert_eq!(item["sent_at_source"], "content");
    assert_eq!(item["sent_at"], "2026-11-23T09:50:00Z");
}

#[test]
fn xml_without_date_uses_file_time() {
    let env = TestEnv::new();
    let p = env.write_item(USER, "a.xml", xml_item("t", "bob@contoso.com", None));
    set_mtime(&p, ago(200));
    let s = env.scan_root(&[]);
    let item = s.item("a.xml");
    assert_eq!(item["format"], "xml");
    assert_eq!(item["sent_at_source"], "mtime");
    assert_eq!(item["sent_at"], rfc3339(ago(200)));
    assert_json_age(item, 200);
    assert_eq!(item["state"], "stuck");
    assert_eq!(item["recipient"], "bob@contoso.com");
}

#[test]
fn local_xml_date_without_offset_is_read_at_utc_offset() {
    // 15:28:00 at +05:30 is 09:58:00Z: 120 s before NOW, so pending.
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.xml",
        xml_item(
            "t",
            "bob@contoso.com",
            Some(("DateTimeSent", "2026-11-23T15:28:00")),
        ),
    );
    let s = env.scan_root(&["--utc-offset", "+05:30"]);
    assert_eq!(s.json["utc_offset"], "+05:30");
    let item = s.item("a.xml");
    assert_eq!(item["sent_at"], "2026-11-23T09:58:00Z");
    assert_json_age(item, 120);
    assert_eq!(item["state"], "pending");
}

#[test]
fn recipient_is_the_bare_lowercased_address_of_the_first_to() {
    let env = TestEnv::new();
    let item = "From: <sip:alice@contoso.com>\r\nTo: \"Bob Jones\" <sip:Bob@Contoso.com>, <sip:carol@contoso.com>\r\n\
                Date: Mon, 23 Nov 2026 09:14:03 +0000\r\n\r\nhi\r\n";
    env.write_item(USER, "a.hist", item);
    let s = env.scan_root(&[]);
    let item = s.item("a.hist");
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["sender"], "alice@contoso.com");
}

#[test]
fn items_in_subfolders_of_the_spooler_are_items() {
    let env = TestEnv::new();
    let sub = env.spooler(USER).join("0001/deep");
    std::fs::create_dir_all(&sub).unwrap();
    write_at(
        &sub.join("n.hist"),
        mime_item("bob@contoso.com", Some(&rfc2822(ago(30)))).as_bytes(),
    );
    let s = env.scan_root(&[]);
    let item = s.item("0001/deep/n.hist");
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["user"], USER);
}

// ---------------------------------------------------------------- encodings

fn assert_same_as_utf8(bytes: Vec<u8>, utf8: &str) {
    let env = TestEnv::new();
    env.write_item(USER, "plain.hist", utf8);
    env.write_item(USER, "other.hist", bytes);
    let s = env.scan_root(&[]);
    let a = s.item("plain.hist");
    let b = s.item("other.hist");
    for key in [
        "format",
        "recipient",
        "sender",
        "sent_at",
        "sent_at_source",
        "message_class",
        "state",
    ] {
        assert_eq!(a[key], b[key], "{key}: {a:#} vs {b:#}");
    }
    assert_eq!(b["sent_at_source"], "content");
    assert_eq!(b["recipient"], "bob@contoso.com");
    assert!(!s.has("OIM050"), "{:?}", s.rule_ids());
}

#[test]
fn utf16le_bom_crlf_mime_item_reads_like_utf8() {
    let m = mime_item("bob@contoso.com", Some("Mon, 23 Nov 2026 09:14:03 +0000"));
    assert!(m.contains("\r\n"));
    assert_same_as_utf8(utf16le_bom(&m), &m);
}

#[test]
fn utf16le_bom_xml_item_reads_like_utf8() {
    let x = xml_item(
        "t",
        "bob@contoso.com",
        Some(("DateTimeSent", "2026-11-23T09:14:03Z")),
    )
    .replace('\n', "\r\n");
    assert_same_as_utf8(utf16le_bom(&x.replace("utf-8", "utf-16")), &x);
}

#[test]
fn utf8_bom_mime_item_reads_like_utf8() {
    let m = mime_item("bob@contoso.com", Some("Mon, 23 Nov 2026 09:14:03 +0000"));
    assert_same_as_utf8(utf8_bom(&m), &m);
}

#[test]
fn utf8_bom_xml_item_reads_like_utf8() {
    let x = xml_item(
        "",
        "bob@contoso.com",
        Some(("DateTimeSent", "2026-11-23T09:14:03Z")),
    );
    assert_same_as_utf8(utf8_bom(&x), &x);
}

#[test]
fn utf16_item_with_odd_byte_count_is_reported_not_fatal() {
    let env = TestEnv::new();
    let mut b = utf16le_bom(&mime_item(
        "bob@contoso.com",
        Some("Mon, 23 Nov 2026 09:14:03 +0000"),
    ));
    b.push(b'Z');
    let p = env.write_item(USER, "odd.hist", &b);
    let s = env.scan_root(&[]);
    let item = s.item("odd.hist");
    assert_eq!(item["size_bytes"], b.len() as u64);
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["sent_at"], "2026-11-23T09:14:03Z");
    // The file was cut short: that is said, with the file named.
    let f = s.finding("OIM050");
    assert_eq!(f["evidence"][0]["path"], p.display().to_string());
}

// ------------------------------------------------- opaque, empty, unparseable

#[test]
fn binary_item_is_opaque_aged_by_file_time_without_complaint() {
    let env = TestEnv::new();
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let p = env.write_item(USER, "blob.dat", &junk);
    set_mtime(&p, ago(500));
    let s = env.scan_root(&[]);
    let item = s.item("blob.dat");
    assert_eq!(item["format"], "opaque");
    assert_eq!(item["sent_at_source"], "mtime");
    assert_eq!(item["sent_at"], rfc3339(ago(500)));
    assert_json_age(item, 500);
    assert_eq!(item["state"], "stuck");
    assert_eq!(item["recipient"], serde_json::Value::Null);
    assert_eq!(item["size_bytes"], 4096);
    assert!(!s.has("OIM050"), "{:?}", s.rule_ids());
    assert!(s.has("OIM001"), "{:?}", s.rule_ids());
}

#[test]
fn prose_text_item_is_opaque() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "note.txt",
        "just some words\nwith no headers at all\n",
    );
    let s = env.scan_root(&[]);
    let item = s.item("note.txt");
    assert_eq!(item["format"], "opaque");
    assert_eq!(item["sent_at_source"], "mtime");
}

#[test]
fn empty_item_is_an_item_and_a_warning() {
    let env = TestEnv::new();
    let p = env.write_item(USER, "empty.hist", b"");
    set_mtime(&p, ago(30));
    let s = env.scan_root(&[]);
    let item = s.item("empty.hist");
    assert_eq!(item["size_bytes"], 0);
    assert_eq!(item["format"], "opaque");
    assert_eq!(item["sent_at_source"], "mtime");
    assert_json_age(item, 30);
    let f = s.finding("OIM050");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["evidence"][0]["path"], p.display().to_string());
    assert_eq!(s.verdict(), "degraded");
    assert_eq!(s.code, 1);
}

#[test]
fn unparseable_date_is_a_warning_and_file_time_is_used() {
    let env = TestEnv::new();
    let p = env.write_item(
        USER,
        "bad.hist",
        mime_item("bob@contoso.com", Some("the day before yesterday")),
    );
    set_mtime(&p, ago(400));
    let s = env.scan_root(&[]);
    let item = s.item("bad.hist");
    assert_eq!(item["format"], "mime");
    assert_eq!(item["sent_at_source"], "mtime");
    assert_eq!(item["sent_at"], rfc3339(ago(400)));
    assert_json_age(item, 400);
    assert_eq!(item["recipient"], "bob@contoso.com");
    let f = s.finding("OIM050");
    assert_eq!(f["evidence"][0]["path"], p.display().to_string());
}

// ---------------------------------------------------------------- big items

#[test]
fn huge_sparse_item_is_scanned_quickly_with_its_true_size() {
    // Sparse: no disk. Read whole, 4 TiB would outlast the bound below (and
    // the harness's kill timeout) at any memory speed.
    const SIZE: u64 = 4 << 40;
    let env = TestEnv::new();
    let p = env.spooler(USER).join("huge.hist");
    {
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(mime_item("bob@contoso.com", Some(&rfc2822(ago(900)))).as_bytes())
            .unwrap();
        // A long text body, so the bounded prefix the tool reads is all text.
        let line = "lorem ipsum dolor sit amet consectetur adipiscing elit\r\n";
        for _ in 0..3000 {
            f.write_all(line.as_bytes()).unwrap();
        }
        f.set_len(SIZE).unwrap();
    }
    set_mtime(&p, ago(10));
    let s = env.scan_root(&[]);
    assert!(
        s.elapsed < std::time::Duration::from_secs(120),
        "a 4 TiB item took {:?}: it was read whole",
        s.elapsed
    );
    let item = s.item("huge.hist");
    assert_eq!(item["size_bytes"], SIZE);
    assert_eq!(item["format"], "mime");
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["sent_at_source"], "content");
    assert_json_age(item, 900);
    assert!(!s.has("OIM050"), "{:?}", s.rule_ids());
}

#[test]
fn item_cut_by_the_read_limit_mid_character_is_not_called_unreadable() {
    // A body of two-byte characters longer than any sane read limit: wherever
    // the tool stops reading, it may stop mid-character; that is not the file's fault.
    let env = TestEnv::new();
    let m = mime_item("bob@contoso.com", Some(&rfc2822(ago(30)))).into_bytes();
    for odd in [0usize, 1] {
        let mut b = m.clone();
        b.extend(vec![b'x'; odd]);
        b.extend("é".repeat(300_000).as_bytes());
        env.write_item(USER, &format!("long{odd}.hist"), &b);
    }
    let s = env.scan_root(&[]);
    for odd in [0, 1] {
        let item = s.item(&format!("long{odd}.hist"));
        assert_eq!(item["recipient"], "bob@contoso.com");
        assert_eq!(item["problem"], serde_json::Value::Null, "{item:#}");
    }
    assert!(!s.has("OIM050"), "{:?}", s.rule_ids());
}

#[test]
fn mime_header_followed_by_binary_body_is_still_mime() {
    let env = TestEnv::new();
    let p = env.spooler(USER).join("pad.hist");
    {
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&p)
            .unwrap();
        f.write_all(mime_item("bob@contoso.com", Some(&rfc2822(ago(900)))).as_bytes())
            .unwrap();
        f.set_len(1024 * 1024).unwrap();
    }
    set_mtime(&p, ago(10));
    let s = env.scan_root(&[]);
    let item = s.item("pad.hist");
    assert_eq!(item["format"], "mime");
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["sent_at_source"], "content");
    assert_eq!(item["state"], "stuck");
}

// ---------------------------------------------------------------- many items

#[test]
fn every_item_of_a_large_spooler_is_listed() {
    let env = TestEnv::new();
    for n in 0..25 {
        env.write_item(
            USER,
            &format!("{n:04}.hist"),
            mime_item(
                &format!("user{n}@contoso.com"),
                Some(&rfc2822(ago(600 + n))),
            ),
        );
    }
    let s = env.scan_root(&[]);
    assert_eq!(s.items().len(), 25);
    assert!(s.items().iter().all(|i| i["state"] == "stuck"));
    let f = s.finding("OIM001");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("25 offline messages"),
        "{f:#}"
    );
    let headline = s.json["summary"]["headline"].as_str().unwrap();
    assert!(headline.contains("25"), "{headline}");
    assert_eq!(s.json["inputs"]["scanned"].as_array().unwrap().len(), 25);
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a filesystem that holds a file time in the year 287,000 (tmpfs at /dev/shm): cargo test -- --include-ignored"]
fn item_with_an_absurd_file_time_does_not_crash_the_scan() {
    // ext4 cannot hold such a time; tmpfs can.
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        cannot_run("needs /dev/shm (tmpfs) to hold a file time ext4 cannot");
    }
    let env = TestEnv::new_in(shm);
    let odd = env.write_item(USER, "odd.dat", [0u8, 1, 2, 3, 4, 5, 6, 7]);
    let good = env.write_item(
        USER,
        "good.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    set_mtime(&good, ago(600));
    let far = filetime::FileTime::from_unix_time(9_000_000_000_000, 0);
    if filetime::set_file_mtime(&odd, far).is_err()
        || filetime::FileTime::from_last_modification_time(&std::fs::metadata(&odd).unwrap()) != far
    {
        cannot_run("/dev/shm cannot hold a file time in the year 287,000");
    }
    let s = env.scan_root(&[]);
    assert_eq!(s.items().len(), 2);
    assert_eq!(s.item("good.hist")["recipient"], "bob@contoso.com");
}

#[test]
fn lf_and_crlf_items_read_the_same() {
    let crlf = mime_item("bob@contoso.com", Some("Mon, 23 Nov 2026 09:14:03 +0000"));
    assert_same_as_utf8(crlf.replace("\r\n", "\n").into_bytes(), &crlf);
}

// ---------------------------------------------------------------- paths

/// An item's path is held as its folder and its name: items in two
/// spoolers and a subfolder, one named on its own by a path that does not
/// come back from its folder and name (a doubled separator: held whole), and
/// (on Unix) a name that is not UTF-8, with a log among them. Every item is
/// shown at its own path, in `spool_items` (in the order of the paths as
/// text), `inputs.scanned` and the findings' evidence.
#[test]
fn each_item_is_shown_at_the_path_it_was_met_at() {
    let env = TestEnv::new();
    let item = || mime_item("bob@contoso.com", None);
    let mut met = vec![
        env.write_item(USER, "0001.hist", item()),
        env.write_item(USER, "0002.hist", item()),
        env.write_item("carol@contoso.com", "0001.hist", item()),
        env.write_item("carol@contoso.com", "0003.hist", item()),
    ];
    let sub = env.spooler(USER).join("sub");
    met.push(write_at(&sub.join("0004.hist"), item().as_bytes()));
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        log_record(ago(60), "a line"),
    );
    let odd = env.write_item("dave@contoso.com", "0005.hist", item());
    let mut odd_spelt = env.spooler("dave@contoso.com").into_os_string();
    odd_spelt.push(format!("{0}{0}0005.hist", std::path::MAIN_SEPARATOR));
    assert_eq!(
        std::fs::read(&odd_spelt).unwrap(),
        std::fs::read(&odd).unwrap()
    );
    let mut shown: Vec<String> = met.iter().map(|p| p.display().to_string()).collect();
    shown.push(std::path::Path::new(&odd_spelt).display().to_string());
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.hist");
        let p = write_at(&env.spooler(USER).join(name), item().as_bytes());
        shown.push(p.display().to_string());
        assert!(shown.last().unwrap().ends_with("caf\u{FFFD}.hist"));
    }
    // The odd spelling first: the walk of the root then meets the file again
    // and leaves it to it.
    let s = env.scan(
        &[std::path::PathBuf::from(&odd_spelt), env.root().into()],
        &[],
    );
    let paths = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|i| i.get("kind").is_none_or(|k| k == "spool_item"))
            .map(|i| i["path"].as_str().unwrap().to_string())
            .collect()
    };
    shown.sort();
    assert_eq!(paths(&s.json["spool_items"]), shown);
    let mut scanned = paths(&s.json["inputs"]["scanned"]);
    scanned.sort();
    assert_eq!(scanned, shown);
    let cited: Vec<&str> = s.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap())
        .filter_map(|e| e["path"].as_str())
        .filter(|p| p.ends_with(".hist"))
        .collect();
    assert!(!cited.is_empty());
    for p in cited {
        assert!(
            shown.iter().any(|s| s == p),
            "{p} cited, not an item's path"
        );
    }
}
