//! Tables that grow with what a log names are capped, and a cap that bites
//! is said in `inputs.limits` (issue 18).

mod common;

use common::*;

const LOG0: &str = "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog";

fn limits(s: &Scan) -> Vec<String> {
    s.json["inputs"]["limits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_log_of_thousands_of_ews_hosts_notes_the_first_4096_and_says_so() {
    let env = TestEnv::new();
    env.spooler("alice@contoso.com");
    let log: String = (0..4200)
        .map(|i| {
            log_record(
                ago(3600) + chrono::Duration::milliseconds(i),
                &format!("CEwsSession: using https://mail{i}.contoso.com/EWS/Exchange.asmx"),
            )
        })
        .collect();
    env.write_file(LOG0, log);
    let s = env.scan_root(&[]);
    let l = limits(&s);
    assert!(
        l.iter().any(|x| x.contains("104 more were not noted")),
        "{l:?}"
    );
    let note = s.json["inputs"]["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "uccapilog")
        .unwrap()["note"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        note.contains("104 EWS URL(s) past the first 4,096"),
        "{note}"
    );
}

#[test]
fn thousands_of_foreign_recipients_are_named_briefly_and_counted() {
    let env = TestEnv::new();
    env.spooler("alice@contoso.com");
    let n = 5_000 + 4_096 + 50;
    let mut log = String::new();
    for i in 0..n {
        let t = ago(7200) + chrono::Duration::milliseconds(i as i64 * 10);
        log.push_str(&log_record(
            t,
            &format!("OfflineIM: queued message {i} for sip:user{i}@fabrikam.com"),
        ));
    }
    env.write_file(LOG0, log);
    let s = env.scan_root(&[]);
    let l = limits(&s);
    assert!(
        l.iter()
            .any(|x| x.contains("50 more were counted but are not named")),
        "{l:?}"
    );
    let msg = s.finding("OIM040")["message"].as_str().unwrap().to_string();
    assert!(msg.contains(" more)"), "{msg}");
    assert!(msg.len() < 1000, "named briefly: {} bytes", msg.len());
}

#[test]
fn a_log_of_thousands_of_users_lists_the_first_4096_and_says_so() {
    let env = TestEnv::new();
    env.spooler("alice@contoso.com");
    let n = 4_096 + 30;
    let mut log = String::new();
    for i in 0..n {
        let t = ago(86_000) + chrono::Duration::seconds(i as i64 * 10);
        log.push_str(&register_and_480(
            t,
            &format!("user{i}@contoso.com"),
            &format!("peer{i}@contoso.com"),
        ));
    }
    env.write_file(LOG0, log);
    let s = env.scan_root(&[]);
    let l = limits(&s);
    assert!(
        l.iter()
            .any(|x| x.contains("more than 4096 distinct users")
                && x.contains("30 more REGISTER(s)")),
        "{l:?}"
    );
    let users = s.json["facts"]["sip_users"].as_array().unwrap();
    // The profile folder's user and the first 4,096 the logs named.
    assert_eq!(users.len(), 4_097, "users listed");
    assert!(!users.iter().any(|u| u == "user4100@contoso.com"));
}

#[test]
fn thousands_of_callees_offline_at_once_are_counted_and_said() {
    let env = TestEnv::new();
    env.spooler("alice@contoso.com");
    let n = 4_096 + 20;
    let mut log = String::new();
    for i in 0..n {
        let t = ago(7200) + chrono::Duration::milliseconds(i as i64 * 10);
        log.push_str(&register_and_480(
            t,
            "alice@contoso.com",
            &format!("peer{i}@contoso.com"),
        ));
    }
    env.write_file(LOG0, log);
    let s = env.scan_root(&[]);
    let l = limits(&s);
    assert!(
        l.iter()
            .any(|x| x.contains("More than 4096 callees") && x.contains("20 more 480(s)")),
        "{l:?}"
    );
}

#[test]
fn thousands_of_events_in_one_millisecond_are_said_when_not_all_checked_for_retellings() {
    let env = TestEnv::new();
    env.spooler("alice@contoso.com");
    let t = ago(7200);
    let log: String = (0..4_096 + 40)
        .map(|i| {
            log_record(
                t,
                &format!("OfflineIM: queued message {i} for sip:bob@contoso.com"),
            )
        })
        .collect();
    env.write_file(LOG0, log);
    let s = env.scan_root(&[]);
    let l = limits(&s);
    assert!(
        l.iter()
            .any(|x| x.contains("same millisecond: 40 were not checked")),
        "{l:?}"
    );
}

/// Writes `logs` small logs of `per_log` messages each, queued and delivered a
/// second later; `at(n, j)` is when log `n` queues its `j`th. Scans the tree
/// and checks that it counts `logs × per_log` messages, and that no log was
/// said to have changed while it was read again.
fn small_logs_of_messages_count_all(
    logs: i64,
    per_log: i64,
    at: impl Fn(i64, i64) -> chrono::DateTime<chrono::Utc>,
) {
    let env = TestEnv::new();
    env.spooler("alice@contoso.com");
    for n in 0..logs {
        let mut log = String::new();
        for j in 0..per_log {
            let t = at(n, j);
            log.push_str(&log_record(
                t,
                &format!("OfflineIM: queued message {n}-{j} for sip:bob@contoso.com"),
            ));
            log.push_str(&log_record(
                t + chrono::Duration::seconds(1),
                &format!("OfflineIM: message {n}-{j} delivered to sip:bob@contoso.com"),
            ));
        }
        env.write_file(
            &format!("Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-{n}.UccApilog"),
            log,
        );
    }
    let s = env.scan_root(&[]);
    let l = limits(&s);
    let said = format!("hold {} offline messages", logs * per_log);
    assert!(l.iter().any(|x| x.contains(&said)), "{said}: {l:?}");
    let notes: Vec<String> = s.json["inputs"]["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["note"].as_str().map(str::to_string))
        .collect();
    assert!(!notes.iter().any(|n| n.contains("changed")), "{notes:?}");
}

/// More events than the small-log pool holds at once (32,768), in logs that
/// cover the same hours (the merge takes from all at once): the logs are read
/// again for the rest, and every message is still counted.
#[test]
fn many_small_logs_of_nothing_but_messages_lose_none() {
    small_logs_of_messages_count_all(40, 500, |n, j| {
        ago(86_000) + chrono::Duration::milliseconds(j * 2_000 + n)
    });
}

/// Rotated small logs, one after another in time, with more events than the
/// pool holds: the rest of each is read again, and every message is counted
/// once.
#[test]
fn rotated_small_logs_past_the_pool_lose_no_message() {
    small_logs_of_messages_count_all(100, 180, |n, j| {
        ago(86_000) + chrono::Duration::seconds(n * 600 + j * 2)
    });
}
