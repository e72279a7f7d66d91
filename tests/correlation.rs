//! Correlation (issue 5): log events joined into one attempt per offline
//! message, judged against the two-minute timer, linked to History Spooler
//! items, and ranked into probable causes and a headline.

mod common;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use common::*;
use serde_json::Value;

// ------------------------------------------------------------------ helpers

const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";
const CAROL: &str = "carol@contoso.com";
const LOG0: &str = "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog";
const UA_C2R: &str = "UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)";
const EWS_ONPREM: &str = "https://mail.contoso.com/EWS/Exchange.asmx";
const EWS_ONLINE: &str = "https://outlook.office365.com/EWS/Exchange.asmx";

/// A UccApilog being written, with local times at a fixed UTC offset.
struct Log {
    offset: FixedOffset,
    lines: Vec<String>,
}

impl Log {
    fn new() -> Log {
        Log::at(0)
    }

    fn at(offset_secs: i32) -> Log {
        Log {
            offset: FixedOffset::east_opt(offset_secs).unwrap(),
            lines: Vec::new(),
        }
    }

    fn next_line(&self) -> u64 {
        self.lines.len() as u64 + 1
    }

    fn rec(mut self, t: DateTime<Utc>, level: &str, text: &str) -> Log {
        let stamp = t
            .with_timezone(&self.offset)
            .format("%m/%d/%Y|%H:%M:%S%.3f");
        self.lines
            .push(format!("{stamp} 1F68:C14 {level:<5} :: {text}"));
        self
    }

    fn info(self, t: DateTime<Utc>, text: &str) -> Log {
        self.rec(t, "INFO", text)
    }

    fn error(self, t: DateTime<Utc>, text: &str) -> Log {
        self.rec(t, "ERROR", text)
    }

    /// A REGISTER the client sent for `user`, with its `End of` record.
    fn register(mut self, t: DateTime<Utc>, user: &str, ua: &str) -> Log {
        self = self.info(
            t,
            "Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 1022 bytes:",
        );
        for l in [
            "REGISTER sip:contoso.com SIP/2.0".to_string(),
            format!("From: <sip:{user}>;tag=4c5e3f1a2b;epid=7b1e2d3c4f"),
            format!("To: <sip:{user}>"),
            "Call-ID: 9a3c1f6e0d2b4a5c8e7f6a5b4c3d2e1f".to_string(),
            "CSeq: 1 REGISTER".to_string(),
            format!("User-Agent: {ua}"),
            "Content-Length: 0".to_string(),
            String::new(),
        ] {
            self.lines.push(l);
        }
        self.info(
            t,
            "End of Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 1022 bytes",
        )
    }

    fn queued(self, t: DateTime<Utc>, id: &str, to: &str) -> Log {
        self.info(t, &format!("OfflineIM: queued message {id} for sip:{to}"))
    }

    fn delivered(self, t: DateTime<Utc>, id: &str, to: &str) -> Log {
        self.info(
            t,
            &format!(
                "OfflineIM: message {id} delivered to sip:{to} (ItemClass=IM.Note.MissedConversation)"
            ),
        )
    }

    fn failed_401(self, t: DateTime<Utc>, id: &str) -> Log {
        self.error(
            t,
            &format!("EWS: POST {EWS_ONPREM} CreateItem -> 401 Unauthorized"),
        )
        .error(
            t,
            &format!("OfflineIM: message {id} failed: EWS returned 401 Unauthorized"),
        )
    }

    fn spooled(self, t: DateTime<Utc>, id: &str, file: &str) -> Log {
        self.info(
            t,
            &format!("OfflineIM: message {id} spooled to History Spooler (file {file})"),
        )
    }

    fn text(&self) -> String {
        let mut s = self.lines.join("\n");
        s.push('\n');
        s
    }
}

/// Alice signed in on a good C2R build with an Exchange Online mailbox.
fn alice() -> Log {
    Log::new().register(ago(86_000), ALICE, UA_C2R).info(
        ago(85_990),
        &format!("Autodiscover: EWS internal URL {EWS_ONLINE}, external URL {EWS_ONLINE}"),
    )
}

fn attempts(s: &Scan) -> &Vec<Value> {
    s.json["attempts"].as_array().unwrap()
}

fn the_attempt(s: &Scan) -> &Value {
    let a = attempts(s);
    assert_eq!(a.len(), 1, "expected one attempt: {a:#?}");
    &a[0]
}

fn assert_has(s: &Scan, id: &str) {
    assert!(s.has(id), "expected {id} among {:?}", s.rule_ids());
}

fn assert_not(s: &Scan, id: &str) {
    assert!(!s.has(id), "expected no {id} among {:?}", s.rule_ids());
}

fn scan_log(log: &Log) -> Scan {
    let env = TestEnv::new();
    env.write_file(LOG0, log.text());
    env.scan_root(&[])
}

fn mime_from(from: &str, to: &str, sent: DateTime<Utc>) -> String {
    mime_item(to, Some(&rfc2822(sent))).replace(
        "From: <sip:alice@contoso.com>",
        &format!("From: <sip:{from}>"),
    )
}

// ------------------------------------------------- outcomes and the timer

#[test]
fn ews_401_with_two_stuck_items_links_both_and_blames_ews() {
    let env = TestEnv::new();
    // The items' own dates are swapped against the messages, so only the
    // file names the spooled events give can link them right.
    let (q1, q2) = (ago(3600), ago(3300));
    let a_hist = env.write_item(ALICE, "a1.hist", mime_item(BOB, Some(&rfc2822(q2))));
    let b_hist = env.write_item(ALICE, "b2.hist", mime_item(BOB, Some(&rfc2822(q1))));
    let log = alice()
        .queued(q1, "42", BOB)
        .failed_401(q1 + Duration::seconds(120), "42")
        .spooled(q1 + Duration::seconds(120), "42", "a1.hist")
        .queued(q2, "43", BOB)
        .failed_401(q2 + Duration::seconds(120), "43")
        .spooled(q2 + Duration::seconds(120), "43", "b2.hist");
    env.write_file(LOG0, log.text());
    let s = env.scan_root(&[]);

    assert_eq!(s.causes()[0], "OIM030", "{:?}", s.causes());
    assert_eq!(s.verdict(), "failing");
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    let by_id = |id: &str| a.iter().find(|x| x["id"] == id).unwrap();
    assert_eq!(by_id("42")["outcome"], "failed");
    assert_eq!(by_id("43")["outcome"], "failed");
    assert_eq!(
        by_id("42")["spool_items"],
        serde_json::json!([a_hist.display().to_string()])
    );
    assert_eq!(
        by_id("43")["spool_items"],
        serde_json::json!([b_hist.display().to_string()])
    );
    for name in ["a1.hist", "b2.hist"] {
        assert_eq!(s.item(name)["attempt_outcome"], "failed", "{name}");
        assert_eq!(s.item(name)["state"], "stuck", "{name}");
    }
    assert_has(&s, "OIM001");
    assert_has(&s, "OIM003");
    let h = s.headline();
    assert!(h.contains(ALICE), "{h}");
    assert!(h.contains("2 offline messages"), "{h}");
    assert!(h.contains("OIM030"), "{h}");
}

#[test]
fn queued_ten_minutes_ago_with_nothing_since_is_expired() {
    let s = scan_log(&alice().queued(ago(600), "7", BOB));
    let a = the_attempt(&s);
    assert_eq!(a["outcome"], "expired");
    assert!(a["resolved_at"].is_null());
    assert_eq!(a["queued_at"], rfc3339(ago(600)));
    assert_eq!(a["user"], ALICE);
    assert_eq!(a["recipient"], BOB);
    let f = s.finding("OIM003");
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains(ALICE), "{f:#}");
    assert_eq!(s.verdict(), "failing");
    // A symptom is not a cause: none fired, so the headline says so.
    assert!(s.causes().is_empty(), "{:?}", s.causes());
    let h = s.headline();
    assert!(h.contains("1 offline message"), "{h}");
    assert!(h.contains("cause was not found"), "{h}");
}

#[test]
fn delivered_five_minutes_after_queued_is_late() {
    let q = ago(1800);
    let s = scan_log(
        &alice()
            .queued(q, "7", BOB)
            .delivered(q + Duration::seconds(300), "7", BOB),
    );
    let a = the_attempt(&s);
    assert_eq!(a["outcome"], "delivered_late");
    assert_eq!(a["resolved_at"], rfc3339(q + Duration::seconds(300)));
    assert_eq!(s.finding("OIM004")["severity"], "warning");
    assert_not(&s, "OIM003");
    assert_eq!(s.verdict(), "degraded");
    assert_eq!(s.code, 1, "a warning reaches the default --fail-on");
}

#[test]
fn queued_90s_ago_in_a_log_written_at_plus_0530_is_pending() {
    let env = TestEnv::new();
    let q = ago(90);
    let log = Log::at(5 * 3600 + 1800)
        .register(ago(3600), ALICE, UA_C2R)
        .queued(q, "5", BOB);
    let text = log.text();
    // The local stamp really is now + 5:30 - 90 s.
    let local = (q + Duration::minutes(330))
        .format("%m/%d/%Y|%H:%M:%S")
        .to_string();
    assert!(text.contains(&local), "{text}");
    env.write_file(LOG0, text);

    let s = env.scan_root(&["--utc-offset", "+05:30"]);
    assert_eq!(s.json["utc_offset"], "+05:30");
    let a = the_attempt(&s);
    assert_eq!(a["queued_at"], rfc3339(q));
    assert_eq!(a["outcome"], "pending");
    assert_not(&s, "OIM051");
    assert_not(&s, "OIM003");
    let f = s.finding("OIM002");
    let msg = f["message"].as_str().unwrap();
    // The timer ends 120 s after queued; from 121 s the message is overdue.
    assert!(
        msg.contains(&rfc3339(q + Duration::seconds(121))),
        "says when to re-run: {msg}"
    );
    assert_eq!(s.verdict(), "healthy");

    // The same log read as UTC is 5.5 h in the future.
    let s = env.scan_root(&["--utc-offset", "+00:00"]);
    assert_has(&s, "OIM051");
}

#[test]
fn negative_utc_offset_moves_log_times_the_other_way() {
    let env = TestEnv::new();
    let q = ago(600);
    env.write_file(
        LOG0,
        Log::at(-8 * 3600)
            .register(ago(3600), ALICE, UA_C2R)
            .queued(q, "5", BOB)
            .text(),
    );
    let s = env.scan_root(&["--utc-offset", "-08:00"]);
    let a = the_attempt(&s);
    assert_eq!(a["queued_at"], rfc3339(q));
    assert_eq!(a["outcome"], "expired");
    assert_not(&s, "OIM051");
}

#[test]
fn server_enable_offline_im_false_with_a_stuck_item_blames_the_server() {
    let env = TestEnv::new();
    env.write_item(ALICE, "s.hist", mime_item(BOB, Some(&rfc2822(ago(3600)))));
    env.write_file(LOG0, alice().text());
    env.write_file(
        "admin/Get-CsImConfiguration.txt",
        "\r\nIdentity        : Global\r\nEnableOfflineIM : False\r\n\r\n",
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.causes()[0], "OIM022", "{:?}", s.causes());
    assert_has(&s, "OIM001");
    let h = s.headline();
    assert!(h.contains("OIM022"), "{h}");
    assert!(h.contains(ALICE), "{h}");
}

// -------------------------------------------------- the 120 s boundaries

#[test]
fn delivered_exactly_120s_after_queued_is_on_time() {
    let q = ago(3600);
    let s = scan_log(
        &alice()
            .queued(q, "1", BOB)
            .delivered(q + Duration::seconds(120), "1", BOB),
    );
    assert_eq!(the_attempt(&s)["outcome"], "delivered");
    assert_not(&s, "OIM004");
    assert_eq!(s.verdict(), "healthy");
}

#[test]
fn delivered_121s_after_queued_is_late() {
    let q = ago(3600);
    let s = scan_log(
        &alice()
            .queued(q, "1", BOB)
            .delivered(q + Duration::seconds(121), "1", BOB),
    );
    assert_eq!(the_attempt(&s)["outcome"], "delivered_late");
    assert_has(&s, "OIM004");
}

#[test]
fn queued_exactly_120s_before_now_is_pending() {
    let s = scan_log(&alice().queued(ago(120), "1", BOB));
    assert_eq!(the_attempt(&s)["outcome"], "pending");
    assert_has(&s, "OIM002");
    assert_not(&s, "OIM003");
}

#[test]
fn queued_121s_before_now_is_expired() {
    let s = scan_log(&alice().queued(ago(121), "1", BOB));
    assert_eq!(the_attempt(&s)["outcome"], "expired");
    assert_has(&s, "OIM003");
    assert_not(&s, "OIM002");
}

// ------------------------------------------------------------ joining

#[test]
fn without_ids_events_join_their_message_by_recipient_and_time() {
    let t0 = ago(3600);
    let log = alice()
        .info(t0, &format!("OfflineIM: queued for sip:{BOB}"))
        .error(
            t0 + Duration::seconds(60),
            "OfflineIM: failed: EWS returned 401 Unauthorized",
        )
        .info(
            t0 + Duration::seconds(600),
            &format!("OfflineIM: queued for sip:{CAROL}"),
        )
        .info(
            t0 + Duration::seconds(610),
            &format!("OfflineIM: delivered to sip:{CAROL}"),
        );
    let s = scan_log(&log);
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert!(a[0]["id"].is_null());
    assert_eq!(a[0]["recipient"], BOB);
    assert_eq!(a[0]["outcome"], "failed");
    assert_eq!(a[0]["resolved_at"], rfc3339(t0 + Duration::seconds(60)));
    assert_eq!(a[1]["recipient"], CAROL);
    assert_eq!(a[1]["outcome"], "delivered");
}

#[test]
fn without_ids_a_delivery_names_its_recipient_among_open_messages() {
    let t0 = ago(3600);
    let log = alice()
        .info(t0, &format!("OfflineIM: queued for sip:{BOB}"))
        .info(
            t0 + Duration::seconds(5),
            &format!("OfflineIM: queued for sip:{CAROL}"),
        )
        .info(
            t0 + Duration::seconds(30),
            &format!("OfflineIM: delivered to sip:{BOB}"),
        );
    let s = scan_log(&log);
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert_eq!(a[0]["recipient"], BOB);
    assert_eq!(a[0]["outcome"], "delivered");
    assert_eq!(a[1]["recipient"], CAROL);
    assert_eq!(a[1]["outcome"], "expired");
}

#[test]
fn without_ids_two_messages_to_one_recipient_resolve_in_order() {
    let t0 = ago(3600);
    let log = alice()
        .info(t0, &format!("OfflineIM: queued for sip:{BOB}"))
        .info(
            t0 + Duration::seconds(10),
            &format!("OfflineIM: queued for sip:{BOB}"),
        )
        .info(
            t0 + Duration::seconds(30),
            &format!("OfflineIM: delivered to sip:{BOB}"),
        )
        .info(
            t0 + Duration::seconds(40),
            &format!("OfflineIM: delivered to sip:{BOB}"),
        );
    let s = scan_log(&log);
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert_eq!(a[0]["outcome"], "delivered", "{a:#?}");
    assert_eq!(a[0]["resolved_at"], rfc3339(t0 + Duration::seconds(30)));
    assert_eq!(a[1]["outcome"], "delivered", "{a:#?}");
    assert_eq!(a[1]["resolved_at"], rfc3339(t0 + Duration::seconds(40)));
    assert_not(&s, "OIM003");
}

#[test]
fn two_users_in_one_log_each_get_their_attempts() {
    let log = Log::new()
        .register(ago(7200), ALICE, UA_C2R)
        .queued(ago(7000), "1", BOB)
        .delivered(ago(6990), "1", BOB)
        .register(ago(5000), CAROL, UA_C2R)
        .queued(ago(4000), "1", "dave@contoso.com")
        .failed_401(ago(3990), "1");
    let s = scan_log(&log);
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert_eq!(a[0]["user"], ALICE);
    assert_eq!(a[0]["outcome"], "delivered");
    assert_eq!(a[1]["user"], CAROL);
    assert_eq!(a[1]["recipient"], "dave@contoso.com");
    assert_eq!(a[1]["outcome"], "failed");
    assert_eq!(
        s.json["facts"]["sip_users"],
        serde_json::json!([ALICE, CAROL])
    );
    let f = s.finding("OIM003");
    assert!(f["message"].as_str().unwrap().contains(CAROL), "{f:#}");
    assert!(!f["message"].as_str().unwrap().contains(ALICE), "{f:#}");
    let h = s.headline();
    assert!(h.starts_with(CAROL), "the user with the stuck message: {h}");
}

#[test]
fn a_user_signing_in_again_gets_her_later_attempts() {
    let log = Log::new()
        .register(ago(7200), ALICE, UA_C2R)
        .queued(ago(7000), "1", BOB)
        .register(ago(5000), CAROL, UA_C2R)
        .queued(ago(4000), "2", "dave@contoso.com")
        .register(ago(3000), ALICE, UA_C2R)
        .queued(ago(2000), "3", "erin@contoso.com");
    let s = scan_log(&log);
    let a = attempts(&s);
    assert_eq!(a.len(), 3, "{a:#?}");
    assert_eq!(a[0]["user"], ALICE);
    assert_eq!(a[1]["user"], CAROL);
    assert_eq!(a[2]["user"], ALICE, "{a:#?}");
}

#[test]
fn two_profiles_each_get_their_attempts_and_items() {
    let env = TestEnv::new();
    let (qa, qc) = (ago(7000), ago(4000));
    let ia = env.write_item(ALICE, "a.hist", mime_item(BOB, Some(&rfc2822(qa))));
    let ic = env.write_item(CAROL, "c.hist", mime_from(CAROL, BOB, qc));
    let log = Log::new()
        .register(ago(7200), ALICE, UA_C2R)
        .queued(qa, "1", BOB)
        .failed_401(qa + Duration::seconds(60), "1")
        .register(ago(5000), CAROL, UA_C2R)
        .queued(qc, "1", BOB)
        .failed_401(qc + Duration::seconds(60), "1");
    env.write_file(LOG0, log.text());
    let s = env.scan_root(&[]);
    let a = attempts(&s);
    assert_eq!(a.len(), 2, "{a:#?}");
    assert_eq!(a[0]["user"], ALICE);
    assert_eq!(
        a[0]["spool_items"],
        serde_json::json!([ia.display().to_string()])
    );
    assert_eq!(a[1]["user"], CAROL);
    assert_eq!(
        a[1]["spool_items"],
        serde_json::json!([ic.display().to_string()])
    );
    assert_eq!(s.item("a.hist")["user"], ALICE);
    assert_eq!(s.item("c.hist")["user"], CAROL);
    let users: Vec<&Value> = s
        .findings()
        .iter()
        .filter(|f| f["rule_id"] == "OIM001")
        .map(|f| &f["message"])
        .collect();
    assert_eq!(users.len(), 2, "one OIM001 per user: {users:#?}");
}

// ------------------------------------------------------------ spool items

#[test]
fn a_delivered_message_whose_item_lingers_is_not_stuck() {
    let env = TestEnv::new();
    let q = ago(3600);
    env.write_item(ALICE, "d.hist", mime_item(BOB, Some(&rfc2822(q))));
    env.write_file(
        LOG0,
        alice()
            .queued(q, "9", BOB)
            .delivered(q + Duration::seconds(30), "9", BOB)
            .text(),
    );
    let s = env.scan_root(&[]);
    let item = s.item("d.hist");
    assert_eq!(item["attempt_outcome"], "delivered");
    assert_not(&s, "OIM001");
    assert_not(&s, "OIM003");
    assert_eq!(s.verdict(), "healthy", "{:#}", s.json["findings"]);
    let h = s.headline();
    assert!(h.contains(ALICE), "{h}");
}

#[test]
fn an_unrelated_stuck_item_beside_a_delivered_message_is_still_stuck() {
    let env = TestEnv::new();
    let q = ago(3600);
    env.write_item(ALICE, "d.hist", mime_item(BOB, Some(&rfc2822(q))));
    env.write_item(
        ALICE,
        "x.hist",
        mime_item(CAROL, Some(&rfc2822(ago(20_000)))),
    );
    env.write_file(
        LOG0,
        alice()
            .queued(q, "9", BOB)
            .delivered(q + Duration::seconds(30), "9", BOB)
            .text(),
    );
    let s = env.scan_root(&[]);
    assert!(s.item("x.hist")["attempt_outcome"].is_null());
    let f = s.finding("OIM001");
    let ev = f["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert!(ev[0]["path"].as_str().unwrap().ends_with("x.hist"));
    let h = s.headline();
    assert!(h.contains("1 offline message"), "{h}");
}

#[test]
fn a_failed_message_with_its_item_is_counted_once_in_the_headline() {
    let env = TestEnv::new();
    let q = ago(3600);
    env.write_item(ALICE, "f.hist", mime_item(BOB, Some(&rfc2822(q))));
    env.write_file(
        LOG0,
        alice()
            .queued(q, "3", BOB)
            .failed_401(q + Duration::seconds(120), "3")
            .text(),
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.item("f.hist")["attempt_outcome"], "failed");
    let h = s.headline();
    assert!(h.contains("1 offline message stuck"), "{h}");
}

// --------------------------------------------------------------- ranking

#[test]
fn causes_rank_server_then_policy_then_build_then_ews_then_symptoms() {
    let env = TestEnv::new();
    let q = ago(3600);
    env.write_item(ALICE, "r.hist", mime_item(BOB, Some(&rfc2822(q))));
    let log = Log::new()
        .register(
            ago(86_000),
            ALICE,
            "UCCAPI/16.0.4417.1000 OC/16.0.4417.1000 (Skype for Business)",
        )
        .info(
            ago(85_990),
            &format!("Autodiscover: EWS internal URL {EWS_ONPREM}, external URL {EWS_ONPREM}"),
        )
        .queued(q, "1", BOB)
        .failed_401(q + Duration::seconds(120), "1")
        .spooled(q + Duration::seconds(120), "1", "r.hist")
        .queued(ago(1800), "2", CAROL);
    env.write_file(LOG0, log.text());
    env.write_file(
        "admin/imconfig.txt",
        "\r\nIdentity        : Global\r\nEnableOfflineIM : False\r\n\r\n",
    );
    env.write_file(
        "admin/policies.json",
        r#"[{"Identity": "Global", "EnableIMAutoArchiving": false}]"#,
    );
    let s = env.scan_root(&[]);
    let c = s.causes();
    assert!(
        c.starts_with(&[
            "OIM022".to_string(),
            "OIM020".to_string(),
            "OIM010".to_string(),
            "OIM030".to_string()
        ]),
        "{c:?}"
    );
    assert_eq!(
        c.len(),
        4,
        "symptoms (OIM001, OIM003) are never causes: {c:?}"
    );
    let h = s.headline();
    let title = s.finding("OIM022")["title"].as_str().unwrap();
    assert!(h.contains(ALICE), "{h}");
    assert!(
        h.contains("2 offline messages"),
        "one stuck item + one expired: {h}"
    );
    assert!(h.contains(title), "{h} lacks {title}");
    assert!(
        !h.contains(s.finding("OIM030")["title"].as_str().unwrap()),
        "{h}"
    );
}

// ------------------------------------------------------------ clock skew

#[test]
fn events_dated_after_now_are_oim051() {
    let env = TestEnv::new();
    let log = alice();
    let line = log.next_line();
    let log = log.queued(ago(-3600), "1", BOB);
    env.write_file(LOG0, log.text());
    let s = env.scan_root(&[]);
    let f = s.finding("OIM051");
    assert_eq!(f["severity"], "warning");
    let ev = f["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 1, "{ev:#?}");
    assert_eq!(ev[0]["line"], line);
    assert!(f["message"].as_str().unwrap().contains("1 h"), "{f:#}");
    // A message from the future is neither pending nor expired-and-failed.
    assert_not(&s, "OIM003");
    assert_not(&s, "OIM002");
}

// ----------------------------------------------------------- federation

#[test]
fn offline_message_to_another_organisation_is_oim040() {
    let q = ago(3600);
    let s = scan_log(&alice().queued(q, "4", "dave@fabrikam.com").delivered(
        q + Duration::seconds(20),
        "4",
        "dave@fabrikam.com",
    ));
    let f = s.finding("OIM040");
    assert_eq!(f["severity"], "info");
    assert!(
        f["message"].as_str().unwrap().contains("dave@fabrikam.com"),
        "{f:#}"
    );
    assert_eq!(s.verdict(), "healthy");
}

#[test]
fn offline_message_inside_the_organisation_is_not_oim040() {
    let q = ago(3600);
    let s = scan_log(&alice().queued(q, "4", "dave@Contoso.com").delivered(
        q + Duration::seconds(20),
        "4",
        "dave@contoso.com",
    ));
    assert_not(&s, "OIM040");
}

#[test]
fn a_pending_message_with_its_pending_item_is_one_oim002() {
    let env = TestEnv::new();
    let q = ago(60);
    env.write_item(ALICE, "p.hist", mime_item(BOB, Some(&rfc2822(q))));
    env.write_file(LOG0, alice().queued(q, "1", BOB).text());
    let s = env.scan_root(&[]);
    let a = the_attempt(&s);
    assert_eq!(a["outcome"], "pending");
    assert_eq!(a["spool_items"].as_array().unwrap().len(), 1, "{a:#}");
    let pending: Vec<&Value> = s
        .findings()
        .iter()
        .filter(|f| f["rule_id"] == "OIM002")
        .collect();
    assert_eq!(pending.len(), 1, "{pending:#?}");
    assert!(
        pending[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("1 offline message"),
        "{pending:#?}"
    );
}

#[test]
fn a_pending_logged_message_without_an_item_is_oim002_and_healthy() {
    let s = scan_log(&alice().queued(ago(60), "1", BOB));
    assert_eq!(the_attempt(&s)["outcome"], "pending");
    let f = s.finding("OIM002");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains(&rfc3339(ago(60) + Duration::seconds(121))),
        "{f:#}"
    );
    assert_eq!(s.verdict(), "healthy");
    assert_eq!(s.code, 0);
}

// ------------------------------------------------- a log of nothing but messages

/// More offline messages than are kept whole (5,000): every one is still
/// counted in the findings and the headline, the newest failures are listed,
/// and `inputs.limits` says that the rest are counted, not listed.
#[test]
fn more_messages_than_are_kept_are_all_counted() {
    let mut log = alice();
    let total: usize = 5_300;
    for k in 0..total {
        let t = ago(80_000 - 10 * k as i64);
        let id = format!("{k}");
        log = log.queued(t, &id, BOB);
        // Every tenth fails; the others are delivered within a second.
        log = if k % 10 == 0 {
            log.failed_401(t + Duration::seconds(1), &id)
        } else {
            log.delivered(t + Duration::seconds(1), &id, BOB)
        };
    }
    let env = TestEnv::new();
    env.write_file(LOG0, log.text());
    let s = env.scan_root(&[]);
    assert_eq!(attempts(&s).len(), 5_000, "the kept messages are listed");
    let failed = total / 10;
    let listed_failed = attempts(&s)
        .iter()
        .filter(|a| a["outcome"] == "failed")
        .count();
    assert_eq!(listed_failed, failed, "delivered messages are let go first");
    let oim003 = s.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "OIM003")
        .expect("OIM003");
    assert!(
        oim003["message"].as_str().unwrap().starts_with(&format!(
            "{failed} offline messages from {ALICE} were not delivered"
        )),
        "{oim003:#}"
    );
    assert!(
        s.headline()
            .contains(&format!("{failed} offline messages stuck or expired")),
        "{}",
        s.headline()
    );
    let limits = s.json["inputs"]["limits"].as_array().unwrap();
    assert_eq!(limits.len(), 1, "{limits:#?}");
    let said = limits[0].as_str().unwrap();
    assert!(
        said.contains(&format!("{total} offline messages"))
            && said.contains(&format!("the other {}", total - 5_000)),
        "{said}"
    );
    // People's formats say it too.
    for format in ["text", "markdown"] {
        let r = env.scan_as(format);
        let flat = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&format!("The logs hold {total} offline messages")),
            "{format}: {}",
            r.stdout
        );
    }
}

/// A scan within the limits says nothing about them.
#[test]
fn no_limit_is_reported_when_none_bit() {
    let s = scan_log(&alice().queued(ago(600), "1", BOB));
    assert_eq!(s.json["inputs"]["limits"], serde_json::json!([]));
}
