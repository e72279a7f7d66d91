//! Every threshold from the source document and the brief, pinned on each
//! side: the builds (16.0.6701.1000, 16.0.6920.1000, the Drafts fix), the
//! two-minute timer's re-run time, the 300 s windows that link an item and
//! a 480 to a message, an EWS 400, and the ranking of causes.

mod common;

use chrono::Duration;
use common::*;

const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";
const LOG0: &str = "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog";
const EWS_ONPREM: &str = "https://mail.contoso.com/EWS/Exchange.asmx";

/// A spooler with nothing in it (client evidence), scanned with `flags`.
fn scan_build(build: &str, mailbox: &str) -> Scan {
    let env = TestEnv::new();
    env.spooler(ALICE);
    env.scan_root(&["--client-build", build, "--mailbox", mailbox])
}

#[test]
fn offline_im_needs_build_6701_1000_exactly() {
    let at = scan_build("16.0.6701.2000", "online");
    assert!(!at.has("OIM010"), "{:?}", at.rule_ids());
    let at = scan_build("16.0.6701.1000", "online");
    assert!(!at.has("OIM010"), "{:?}", at.rule_ids());
    let below = scan_build("16.0.6701.999", "online");
    assert!(below.has("OIM010"), "{:?}", below.rule_ids());
    assert_eq!(below.json["summary"]["probable_causes"][0], "OIM010");
    // Component by component, not as text: 12527 > 6701.
    let newer = scan_build("16.0.12527.20194", "online");
    assert!(!newer.has("OIM010"), "{:?}", newer.rule_ids());
}

#[test]
fn on_premises_needs_build_6920_1000_exactly() {
    let at = scan_build("16.0.6920.1000", "on-premises");
    assert!(!at.has("OIM011"), "{:?}", at.rule_ids());
    let below = scan_build("16.0.6920.999", "on-premises");
    assert!(below.has("OIM011"), "{:?}", below.rule_ids());
    let online = scan_build("16.0.6920.999", "online");
    assert!(!online.has("OIM011"), "{:?}", online.rule_ids());
    // The JSON's spelling is accepted on the command line too.
    let json_spelling = scan_build("16.0.6920.999", "on_premises");
    assert_eq!(
        json_spelling.json["facts"]["mailbox_location"],
        "on_premises"
    );
    assert!(
        json_spelling.has("OIM011"),
        "{:?}",
        json_spelling.rule_ids()
    );
}

#[test]
fn the_drafts_fix_is_judged_at_its_builds_and_says_when_c2r_is_assumed() {
    let fixed = scan_build("16.0.6965.2058", "on-premises");
    assert!(!fixed.has("OIM012"), "{:?}", fixed.rule_ids());
    let before = scan_build("16.0.6965.2057", "on-premises");
    assert!(before.has("OIM012"), "{:?}", before.rule_ids());
    let deferred = scan_build("16.0.6741.2048", "on-premises");
    assert!(!deferred.has("OIM012"), "{:?}", deferred.rule_ids());
    let deferred_before = scan_build("16.0.6741.2047", "on-premises");
    assert!(
        deferred_before.has("OIM012"),
        "{:?}",
        deferred_before.rule_ids()
    );
    // Each line is told the fix of its own channel.
    let fix_of = |s: &Scan| s.finding("OIM012")["message"].as_str().unwrap().to_string();
    assert!(fix_of(&deferred_before).contains("(16.0.6741.2048)"));
    assert!(fix_of(&before).contains("(16.0.6965.2058)"));
    // A build whose install type the number does not tell (.1000) is
    // judged as Click-to-Run, and the finding says it assumed so.
    let unknown = scan_build("16.0.6930.1000", "on-premises");
    assert_eq!(unknown.json["facts"]["install_type"], "unknown");
    let msg = unknown.finding("OIM012")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("taken as Click-to-Run"), "{msg}");
    let c2r = before.finding("OIM012")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!c2r.contains("taken as"), "{c2r}");
}

#[test]
fn oim011_ranks_before_oim030() {
    let env = TestEnv::new();
    env.spooler(ALICE);
    let t = ago(600);
    let mut log = log_record(
        t,
        &format!("EWS: POST {EWS_ONPREM} CreateItem -> 503 Service Unavailable"),
    );
    log.push_str(&log_record(
        t,
        &format!("Autodiscover: EWS internal URL {EWS_ONPREM}, external URL {EWS_ONPREM}"),
    ));
    env.write_file(LOG0, log);
    let s = env.scan_root(&["--client-build", "16.0.6900.2000"]);
    assert_eq!(s.causes(), ["OIM011", "OIM030", "OIM012"]);
}

#[test]
fn an_ews_400_is_a_failure_and_a_302_is_not() {
    let env = TestEnv::new();
    env.spooler(ALICE);
    env.write_file(
        LOG0,
        log_record(
            ago(600),
            &format!("EWS: POST {EWS_ONPREM} CreateItem -> 302 Found"),
        ),
    );
    let s = env.scan_root(&[]);
    assert!(!s.has("OIM030"), "{:?}", s.rule_ids());
    env.write_file(
        LOG0,
        log_record(
            ago(600),
            &format!("EWS: POST {EWS_ONPREM} CreateItem -> 400 Bad Request"),
        ),
    );
    let s = env.scan_root(&[]);
    let msg = s.finding("OIM030")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("HTTP 400 ×1"), "{msg}");
}

#[test]
fn a_pending_item_says_to_run_again_121_seconds_after_it_was_sent() {
    let env = TestEnv::new();
    let sent = ago(30);
    env.write_item(ALICE, "p.hist", mime_item(BOB, Some(&rfc2822(sent))));
    let s = env.scan_root(&[]);
    let msg = s.finding("OIM002")["message"].as_str().unwrap().to_string();
    let again = rfc3339(sent + Duration::seconds(121));
    assert!(msg.contains(&format!("after {again}")), "{msg}");
    assert!(msg.contains("(in 91 s)"), "{msg}");
}

/// A message queued at `q` and failed, and an item for BOB sent `d` seconds
/// from `q`: linked at 300 s, not at 301 s.
fn item_link(d: i64) -> Scan {
    let env = TestEnv::new();
    let q = ago(3600);
    env.write_item(
        ALICE,
        "i.hist",
        mime_item(BOB, Some(&rfc2822(q + Duration::seconds(d)))),
    );
    let mut log = log_record(q, &format!("OfflineIM: queued message 9 for sip:{BOB}"));
    log.push_str(&log_record(
        q + Duration::seconds(5),
        "OfflineIM: message 9 failed: EWS returned 401 Unauthorized",
    ));
    env.write_file(LOG0, log);
    env.scan_root(&[])
}

#[test]
fn an_item_links_to_a_message_within_300_seconds_not_301() {
    for d in [300, -300] {
        let s = item_link(d);
        let a = &s.json["attempts"][0];
        assert_eq!(
            a["spool_items"].as_array().unwrap().len(),
            1,
            "{d} s: {a:#}"
        );
        assert_eq!(s.item("i.hist")["attempt_outcome"], "failed");
    }
    for d in [301, -301] {
        let s = item_link(d);
        let a = &s.json["attempts"][0];
        assert!(
            a["spool_items"].as_array().unwrap().is_empty(),
            "{d} s: {a:#}"
        );
        assert!(s.item("i.hist")["attempt_outcome"].is_null());
    }
}

/// A 480 for BOB `d` seconds before a message to BOB is queued.
fn trigger(d: i64) -> Scan {
    let env = TestEnv::new();
    env.spooler(ALICE);
    let q = ago(3600);
    // register_and_480 answers the INVITE one second after `t`.
    let mut log = register_and_480(q - Duration::seconds(d + 1), ALICE, BOB);
    log.push_str(&log_record(
        q,
        &format!("OfflineIM: queued message 9 for sip:{BOB}"),
    ));
    env.write_file(LOG0, log);
    env.scan_root(&[])
}

#[test]
fn a_480_triggers_a_message_queued_within_300_seconds_not_301() {
    let s = trigger(300);
    let first = &s.json["attempts"][0]["evidence"][0];
    assert_eq!(first["event"], "sip.callee_offline", "{first:#}");
    assert_eq!(s.json["coverage"]["logs"]["oim_events"], 1);
    let s = trigger(301);
    let first = &s.json["attempts"][0]["evidence"][0];
    assert_eq!(first["event"], "oim.queued", "{first:#}");
}

#[test]
fn the_facts_show_the_decisive_false_of_false_and_true() {
    let env = TestEnv::new();
    env.spooler(ALICE);
    env.write_file(
        "admin/a.txt",
        "\r\nIdentity        : Global\r\nEnableOfflineIM : False\r\n\r\n",
    );
    env.write_file(
        "admin/b.txt",
        "\r\nIdentity        : Global\r\nEnableOfflineIM : True\r\n\r\n",
    );
    let s = env.scan_root(&[]);
    let p = &s.json["facts"]["policies"]["enable_offline_im"];
    assert_eq!(p["value"], false, "{p:#}");
    assert!(
        p["source"]["path"].as_str().unwrap().ends_with("a.txt"),
        "{p:#}"
    );
    assert!(s.has("OIM022"));
    let text = env.scan_as("text");
    let row = text
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("EnableOfflineIM"))
        .unwrap_or_default();
    assert!(row.contains("False"), "{}", text.stdout);
}

/// `n` EWS failures, a second apart.
fn ews_failures(n: i64) -> Scan {
    let env = TestEnv::new();
    env.spooler(ALICE);
    let log: String = (0..n)
        .map(|i| {
            log_record(
                ago(600 - i),
                &format!("EWS: POST {EWS_ONPREM} CreateItem -> 503 Service Unavailable"),
            )
        })
        .collect();
    env.write_file(LOG0, log);
    env.scan_root(&[])
}

#[test]
fn evidence_is_cut_at_20_and_the_rest_is_counted() {
    let s = ews_failures(20);
    let ev = s.finding("OIM030")["evidence"].as_array().unwrap().clone();
    assert_eq!(ev.len(), 20, "20 fit: no count line");
    let s = ews_failures(23);
    let ev = s.finding("OIM030")["evidence"].as_array().unwrap().clone();
    assert_eq!(ev.len(), 21);
    let last = ev[20]["excerpt"].as_str().unwrap();
    assert!(last.contains("and 3 more"), "{last}");
    let msg = s.finding("OIM030")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("23 failures"), "{msg}");
}
