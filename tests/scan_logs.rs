//! Reading the client's logs (issue 4): UccApilog text logs with SIP packets,
//! tracerpt CSV exports of ETL traces and PowerShell admin exports, mixed in
//! one tree, turned into facts (build, install type, mailbox location, users,
//! policies) and findings (OIM010-013, OIM020-022, OIM030-031, OIM061), plus
//! encodings, rotation, malformed input and `--signatures`.

mod common;

use chrono::{DateTime, FixedOffset, Utc};
use common::*;
use serde_json::Value;

// ------------------------------------------------------------------ helpers

const ALICE: &str = "alice@contoso.com";
const BOB: &str = "bob@contoso.com";
const LOG0: &str = "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog";
const UA_C2R: &str = "UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)";
const EWS_ONPREM: &str = "https://mail.contoso.com/EWS/Exchange.asmx";
const EWS_ONLINE: &str = "https://outlook.office365.com/EWS/Exchange.asmx";

fn offset(s: &str) -> FixedOffset {
    DateTime::parse_from_rfc3339(&format!("2026-01-01T00:00:00{s}"))
        .unwrap()
        .offset()
        .to_owned()
}

/// A UccApilog being written, with local times at a fixed UTC offset.
#[derive(Clone)]
struct Log {
    offset: FixedOffset,
    lines: Vec<String>,
}

impl Log {
    fn new() -> Log {
        Log::at("+00:00")
    }

    fn at(off: &str) -> Log {
        Log {
            offset: offset(off),
            lines: Vec::new(),
        }
    }

    fn stamp(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.offset)
            .format("%m/%d/%Y|%H:%M:%S%.3f")
            .to_string()
    }

    /// The line number the next record will start on.
    fn next_line(&self) -> u64 {
        self.lines.len() as u64 + 1
    }

    fn raw(mut self, line: &str) -> Log {
        self.lines.push(line.to_string());
        self
    }

    fn rec(self, t: DateTime<Utc>, level: &str, text: &str) -> Log {
        let line = format!("{} 1F68:C14 {level:<5} :: {text}", self.stamp(t));
        self.raw(&line)
    }

    fn info(self, t: DateTime<Utc>, text: &str) -> Log {
        self.rec(t, "INFO", text)
    }

    fn error(self, t: DateTime<Utc>, text: &str) -> Log {
        self.rec(t, "ERROR", text)
    }

    /// A SIP message the client sent (`sent`) or received, with its
    /// `End of ...` record.
    fn packet(mut self, t: DateTime<Utc>, sent: bool, sip: &str) -> Log {
        let (start, end) = if sent {
            (
                "Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 1022 bytes:",
                "End of Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 1022 bytes",
            )
        } else {
            (
                "Data Received - 10.10.1.20:5061 (To Local Address: 192.168.103.35:50331) 684 bytes:",
                "End of Data Received - 10.10.1.20:5061 (To Local Address: 192.168.103.35:50331) 684 bytes",
            )
        };
        self = self.info(t, start);
        for l in sip.lines() {
            self = self.raw(l);
        }
        self = self.raw("");
        self.info(t, end)
    }

    fn sent(self, t: DateTime<Utc>, sip: &str) -> Log {
        self.packet(t, true, sip)
    }

    fn received(self, t: DateTime<Utc>, sip: &str) -> Log {
        self.packet(t, false, sip)
    }

    fn register(self, t: DateTime<Utc>, user: &str, ua: &str) -> Log {
        self.sent(t, &register(user, ua))
    }

    fn lf(&self) -> String {
        let mut s = self.lines.join("\n");
        s.push('\n');
        s
    }

    fn utf16_crlf(&self) -> Vec<u8> {
        let mut s = self.lines.join("\r\n");
        s.push_str("\r\n");
        utf16le_bom(&s)
    }
}

fn register(user: &str, ua: &str) -> String {
    format!(
        "REGISTER sip:contoso.com SIP/2.0\n\
         Via: SIP/2.0/TLS 192.168.103.35:50331\n\
         Max-Forwards: 70\n\
         From: <sip:{user}>;tag=4c5e3f1a2b;epid=7b1e2d3c4f\n\
         To: <sip:{user}>\n\
         Call-ID: 9a3c1f6e0d2b4a5c8e7f6a5b4c3d2e1f\n\
         CSeq: 1 REGISTER\n\
         Contact: <sip:192.168.103.35:50331;transport=tls;ms-opaque=d3470f2e1d>\n\
         User-Agent: {ua}\n\
         Supported: gruu-10, adhoclist, msrtc-event-categories\n\
         Event: registration\n\
         Content-Length: 0"
    )
}

fn invite(from: &str, to: &str) -> String {
    format!(
        "INVITE sip:{to} SIP/2.0\n\
         From: <sip:{from}>;tag=77aa01;epid=7b1e2d3c4f\n\
         To: <sip:{to}>\n\
         Call-ID: 5d4c3b2a19081726354453627180a9b8\n\
         CSeq: 1 INVITE\n\
         User-Agent: {UA_C2R}\n\
         Content-Type: application/sdp\n\
         Content-Length: 60\n\
         \n\
         v=0\n\
         o=- 0 0 IN IP4 192.168.103.35\n\
         m=message 5060 sip null"
    )
}

fn offline_480(from: &str, to: &str) -> String {
    format!(
        "SIP/2.0 480 Temporarily Unavailable\n\
         From: <sip:{from}>;tag=77aa01;epid=7b1e2d3c4f\n\
         To: <sip:{to}>;tag=9f8e7d\n\
         Call-ID: 5d4c3b2a19081726354453627180a9b8\n\
         CSeq: 1 INVITE\n\
         ms-diagnostics: 15030;reason=\"Failed to route to the callee: the user is offline\";source=\"pool01.contoso.com\"\n\
         Content-Length: 0"
    )
}

/// A 200 OK to the provisioning SUBSCRIBE carrying `properties` in the
/// ServerConfiguration group.
fn provisioning(user: &str, properties: &[(&str, &str)]) -> String {
    let props: String = properties
        .iter()
        .map(|(n, v)| format!("<property name=\"{n}\">{v}</property>"))
        .collect();
    format!(
        "SIP/2.0 200 OK\n\
         From: <sip:{user}>;tag=8a1f\n\
         To: <sip:{user}>;tag=22c3\n\
         Call-ID: 0c8f7e6d5c4b3a29\n\
         CSeq: 3 SUBSCRIBE\n\
         Expires: 0\n\
         Content-Type: application/vnd-microsoft-roaming-provisioning-v2+xml\n\
         Content-Length: 900\n\
         \n\
         <provisionGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification\">\
         <provisionGroup name=\"ServerConfiguration\"><propertyEntryList>{props}\
         <property name=\"AbsInternalServerUrl\">https://pool01.contoso.com/abs/handler</property>\
         </propertyEntryList></provisionGroup></provisionGroupList>"
    )
}

/// The client publishing the user's own options (otherOptions category).
fn other_options(user: &str, im_auto_archiving: &str) -> String {
    format!(
        "SERVICE sip:{user} SIP/2.0\n\
         From: <sip:{user}>;tag=1b2c;epid=7b1e2d3c4f\n\
         To: <sip:{user}>\n\
         Call-ID: 77e6d5c4b3a2\n\
         CSeq: 5 SERVICE\n\
         User-Agent: {UA_C2R}\n\
         Content-Type: application/msrtc-category-publish+xml\n\
         Content-Length: 512\n\
         \n\
         <publish xmlns=\"http://schemas.microsoft.com/2006/09/sip/rich-presence\"><publications uri=\"sip:{user}\">\
         <publication categoryName=\"otherOptions\" instance=\"1\" container=\"1\" version=\"3\" expireType=\"static\">\
         <otherOptions xmlns=\"http://schemas.microsoft.com/2006/09/sip/options/otheroptions\">\
         <imAutoArchiving>{im_auto_archiving}</imAutoArchiving><saveCallLogs>true</saveCallLogs>\
         </otherOptions></publication></publications></publish>"
    )
}

fn user_agent(oc: &str) -> String {
    format!("UCCAPI/16.0.6965.5308 OC/{oc} (Skype for Business)")
}

/// A log with alice signing in with `ua` and autodiscover answering `ews`.
fn signed_in(ua: &str, ews: Option<&str>) -> Log {
    let log = Log::new().info(ago(7200), "Function: CUccApiLog::Initialize");
    let log = log.register(ago(7199), ALICE, ua);
    match ews {
        Some(url) => log.info(
            ago(7190),
            &format!("Autodiscover: EWS internal URL {url}, external URL {url}"),
        ),
        None => log,
    }
}

fn attempts(s: &Scan) -> &Vec<Value> {
    s.json["attempts"].as_array().unwrap()
}

fn event_names(a: &Value) -> Vec<String> {
    a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect()
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {v:#}"))
}

/// `inputs.scanned[]` entry whose path ends with `name`.
fn scanned<'a>(s: &'a Scan, name: &str) -> &'a Value {
    s.json["inputs"]["scanned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not scanned: {:#}", s.json["inputs"]))
}

/// `v` with every `path` and `spool_items` key removed, at any depth.
fn without_paths(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "path" && *k != "spool_items")
                .map(|(k, v)| (k.clone(), without_paths(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_paths).collect()),
        other => other.clone(),
    }
}

/// A tracerpt CSV of rows `(time, level word, User Data)`.
fn tracerpt_csv(rows: &[(DateTime<Utc>, &str, &str)]) -> String {
    let mut s = String::from(
        "Event Name,   Type,   Event ID,   Version,   Channel,   Level,   Opcode,   Task,   Keyword,   PID,   TID,   Processor Number,   Instance ID,   Parent Instance ID,   Activity ID,   Related Activity ID,   Clock-Time,   Kernel(ms),   User(ms),   User Data\n",
    );
    s.push_str("EventTrace,   Header,   0,   2,   0,   0,   0,   0,   0x0000000000000000,   0x00000000,   0x00000000,   0,   ,   ,   {00000000-0000-0000-0000-000000000000},   ,   134398987781000000,   0,   0,   65536,   1,   10,   0\n");
    for (t, level, data) in rows {
        let quoted = data.replace('"', "\"\"");
        s.push_str(&format!(
            "UccApi,   {level},   0,   0,   0,   4,   0,   0,   0x0000000000000000,   0x00001F68,   0x00000C14,   1,   ,   ,   {{00000000-0000-0000-0000-000000000000}},   ,   {},   15,   31,   \"{quoted}\"\n",
            filetime(*t)
        ));
    }
    s
}

/// 100 ns ticks since 1601-01-01 UTC.
fn filetime(t: DateTime<Utc>) -> u64 {
    (t.timestamp() + 11_644_473_600) as u64 * 10_000_000
        + u64::from(t.timestamp_subsec_nanos()) / 100
}

fn assert_has(s: &Scan, id: &str) {
    assert!(s.has(id), "expected {id} among {:?}", s.rule_ids());
}

fn assert_not(s: &Scan, id: &str) {
    assert!(!s.has(id), "expected no {id} among {:?}", s.rule_ids());
}

// ------------------------------------------------------------ client build

#[test]
fn build_comes_from_the_oc_part_of_a_sent_register_user_agent() {
    let env = TestEnv::new();
    let log = Log::new().info(ago(7200), "Function: CUccApiLog::Initialize");
    let register_line = log.next_line();
    let log = log.register(ago(7199), ALICE, UA_C2R);
    let p = env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let f = &s.json["facts"];
    assert_eq!(f["client_build"], "16.0.6965.2117", "{f:#}");
    assert_eq!(f["install_type"], "c2r");
    let src = &f["client_build_source"];
    assert_eq!(src["path"], p.display().to_string());
    assert_eq!(src["line"], register_line);
    assert!(f["sip_users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u == ALICE));
    for id in ["OIM010", "OIM011", "OIM012", "OIM013"] {
        assert_not(&s, id);
    }
}

#[test]
fn uccapi_version_is_used_when_no_oc_part_is_logged() {
    let env = TestEnv::new();
    let log = Log::new().register(
        ago(600),
        ALICE,
        "UCCAPI/16.0.6965.2117 (Skype for Business)",
    );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let f = &s.json["facts"];
    assert_eq!(f["client_build"], "16.0.6965.2117", "{f:#}");
    assert!(
        str_of(&f["client_build_source"]["excerpt"], "excerpt").contains("UCCAPI"),
        "the source says the API layer's version was used: {f:#}"
    );
    assert_not(&s, "OIM013");
}

#[test]
fn received_user_agents_are_not_the_client_build() {
    // The server's (or another client's) User-Agent in a received packet is not ours.
    let env = TestEnv::new();
    let answer = format!(
        "SIP/2.0 200 OK\nFrom: <sip:{BOB}>;tag=1\nTo: <sip:{ALICE}>;tag=2\nCall-ID: x1\nCSeq: 1 INVITE\n\
         User-Agent: UCCAPI/16.0.4417.1000 OC/16.0.4417.1000 (Skype for Business)\nContent-Length: 0"
    );
    let log = Log::new()
        .register(ago(600), ALICE, UA_C2R)
        .received(ago(500), &answer);
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["client_build"], "16.0.6965.2117");
    assert_not(&s, "OIM010");
}

#[test]
fn five_digit_c2r_build_passes_every_build_rule_even_on_premises() {
    let env = TestEnv::new();
    let log = signed_in(&user_agent("16.0.12527.20194"), Some(EWS_ONPREM));
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let f = &s.json["facts"];
    assert_eq!(f["client_build"], "16.0.12527.20194");
    assert_eq!(f["install_type"], "c2r");
    assert_eq!(f["mailbox_location"], "on_premises");
    for id in ["OIM010", "OIM011", "OIM012", "OIM013", "OIM031"] {
        assert_not(&s, id);
    }
    assert_eq!(s.verdict(), "healthy", "{:#}", s.json["findings"]);
}

#[test]
fn msi_build_is_unsupported() {
    let env = TestEnv::new();
    let log = Log::new();
    let line = log.next_line();
    let log = log.register(
        ago(600),
        ALICE,
        "UCCAPI/16.0.4417.1000 OC/16.0.4417.1000 (Skype for Business)",
    );
    let p = env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["client_build"], "16.0.4417.1000");
    assert_eq!(s.json["facts"]["install_type"], "msi");
    let f = s.finding("OIM010");
    assert_eq!(f["severity"], "error");
    let ev = &f["evidence"][0];
    assert_eq!(ev["path"], p.display().to_string());
    assert_eq!(ev["line"], line);
    assert_eq!(s.verdict(), "failing");
    assert_eq!(s.json["summary"]["probable_causes"][0], "OIM010");
}

#[test]
fn build_older_than_6701_is_unsupported() {
    let env = TestEnv::new();
    env.write_file(
        LOG0,
        signed_in(&user_agent("16.0.6568.2025"), Some(EWS_ONLINE)).lf(),
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["install_type"], "c2r");
    assert_has(&s, "OIM010");
}

#[test]
fn deferred_6741_2048_on_premises_needs_6920_but_has_the_drafts_fix() {
    let env = TestEnv::new();
    env.write_file(
        LOG0,
        signed_in(&user_agent("16.0.6741.2048"), Some(EWS_ONPREM)).lf(),
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["mailbox_location"], "on_premises");
    assert_eq!(s.json["facts"]["ews_url"], EWS_ONPREM);
    assert_has(&s, "OIM011");
    assert_not(&s, "OIM012");
    assert_not(&s, "OIM010");
    let ev = s.finding("OIM011")["evidence"].as_array().unwrap().clone();
    assert!(
        ev.iter()
            .any(|e| e["excerpt"].as_str().unwrap().contains("mail.contoso.com")),
        "OIM011 shows why the mailbox is on-premises: {ev:#?}"
    );
}

#[test]
fn build_between_the_drafts_fix_thresholds_on_premises_is_oim012_only() {
    let env = TestEnv::new();
    env.write_file(
        LOG0,
        signed_in(&user_agent("16.0.6925.1000"), Some(EWS_ONPREM)).lf(),
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["client_build"], "16.0.6925.1000");
    let build_rules: Vec<String> = s
        .rule_ids()
        .into_iter()
        .filter(|r| ["OIM010", "OIM011", "OIM012"].contains(&r.as_str()))
        .collect();
    assert_eq!(build_rules, ["OIM012"]);
    assert_eq!(s.finding("OIM012")["severity"], "warning");
    assert_eq!(s.verdict(), "degraded");
}

#[test]
fn same_old_build_with_an_online_mailbox_has_no_on_premises_findings() {
    let env = TestEnv::new();
    env.write_file(
        LOG0,
        signed_in(&user_agent("16.0.6741.2048"), Some(EWS_ONLINE)).lf(),
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["mailbox_location"], "online");
    assert_not(&s, "OIM011");
    assert_not(&s, "OIM012");
}

#[test]
fn mailbox_online_flag_overrides_an_on_premises_url_in_the_logs() {
    let env = TestEnv::new();
    env.write_file(
        LOG0,
        signed_in(&user_agent("16.0.6741.2048"), Some(EWS_ONPREM)).lf(),
    );
    let s = env.scan_root(&["--mailbox", "online"]);
    let f = &s.json["facts"];
    assert_eq!(f["mailbox_location"], "online");
    assert_eq!(f["mailbox_location_source"]["kind"], "flag");
    assert!(f["mailbox_location_source"]["path"].is_null());
    assert_eq!(f["ews_url"], EWS_ONPREM, "the URL seen is still reported");
    assert_not(&s, "OIM011");
    assert_not(&s, "OIM012");
}

#[test]
fn mailbox_on_premises_flag_applies_without_any_url() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(&user_agent("16.0.6741.2048"), None).lf());
    let s = env.scan_root(&["--mailbox", "on-premises"]);
    assert_eq!(s.json["facts"]["mailbox_location"], "on_premises");
    assert_has(&s, "OIM011");
    assert_not(&s, "OIM031");
}

#[test]
fn client_build_flag_overrides_the_logs() {
    let env = TestEnv::new();
    env.write_file(
        LOG0,
        signed_in(
            "UCCAPI/16.0.4417.1000 OC/16.0.4417.1000 (Skype for Business)",
            Some(EWS_ONLINE),
        )
        .lf(),
    );
    let s = env.scan_root(&["--client-build", "16.0.12527.20194"]);
    let f = &s.json["facts"];
    assert_eq!(f["client_build"], "16.0.12527.20194");
    assert_eq!(f["install_type"], "c2r");
    assert_eq!(f["client_build_source"]["kind"], "flag");
    assert!(f["client_build_source"]["path"].is_null());
    assert_not(&s, "OIM010");

    // And the other way round: a good build in the logs, an old one given.
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
    let s = env.scan_root(&["--client-build", "16.0.4417.1000"]);
    assert_eq!(s.json["facts"]["client_build"], "16.0.4417.1000");
    assert_eq!(s.json["facts"]["install_type"], "msi");
    assert_has(&s, "OIM010");
}

#[test]
fn no_build_anywhere_is_oim013() {
    let env = TestEnv::new();
    let log = Log::new().info(
        ago(600),
        &format!("OfflineIM: queued message 1 for sip:{BOB}"),
    );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert!(s.json["facts"]["client_build"].is_null());
    assert_eq!(s.json["facts"]["install_type"], "unknown");
    assert_has(&s, "OIM013");
}

// ------------------------------------------------------- mailbox location

#[test]
fn online_ews_host_means_exchange_online() {
    let env = TestEnv::new();
    let log = signed_in(UA_C2R, Some(EWS_ONLINE));
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let f = &s.json["facts"];
    assert_eq!(f["mailbox_location"], "online");
    assert_eq!(f["ews_url"], EWS_ONLINE);
    assert!(str_of(&f["mailbox_location_source"]["path"], "path").ends_with("UccApilog"));
    assert_not(&s, "OIM031");
}

#[test]
fn any_other_ews_host_means_on_premises_whatever_the_case_or_where_it_appears() {
    let env = TestEnv::new();
    let url = "https://Mail.Contoso.com/ews/exchange.asmx";
    let log = Log::new().register(ago(900), ALICE, UA_C2R).info(
        ago(600),
        &format!("OfflineIM: processing message 3 via EWS {url}"),
    );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["mailbox_location"], "on_premises");
    assert_eq!(s.json["facts"]["ews_url"], url);
}

#[test]
fn no_ews_url_means_unknown_mailbox_and_oim031() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, None).lf());
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["mailbox_location"], "unknown");
    assert!(s.json["facts"]["ews_url"].is_null());
    assert_eq!(s.finding("OIM031")["severity"], "info");
}

// -------------------------------------------------------------------- SIP

#[test]
fn sip_users_come_from_registers() {
    let env = TestEnv::new();
    let log = Log::new().register(ago(900), ALICE, UA_C2R).register(
        ago(800),
        "carol@contoso.com",
        UA_C2R,
    );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_eq!(
        s.json["facts"]["sip_users"],
        serde_json::json!([ALICE, "carol@contoso.com"])
    );
}

#[test]
fn received_480_to_an_invite_starts_the_attempt_timeline() {
    let env = TestEnv::new();
    let log = Log::new()
        .register(ago(900), ALICE, UA_C2R)
        .sent(ago(601), &invite(ALICE, BOB));
    let line_480 = log.next_line();
    let log = log
        .received(ago(600), &offline_480(ALICE, BOB))
        .info(ago(599), &format!("OfflineIM: queued message 42 for sip:{BOB}"))
        .info(ago(590), &format!("OfflineIM: message 42 delivered to sip:{BOB} (ItemClass=IM.Note.MissedConversation)"));
    let p = env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(
        event_names(&a[0]),
        ["sip.callee_offline", "oim.queued", "oim.delivered"]
    );
    let ev = &a[0]["evidence"][0];
    assert_eq!(ev["path"], p.display().to_string());
    assert_eq!(ev["line"], line_480);
    assert_eq!(ev["time"], rfc3339(ago(600)));
    assert_eq!(a[0]["queued_at"], rfc3339(ago(599)));
    assert_eq!(a[0]["outcome"], "delivered");
}

#[test]
fn a_480_the_client_sends_is_not_a_callee_offline() {
    // Our own 480 (do not disturb) to someone's INVITE names us, not an offline callee.
    let env = TestEnv::new();
    let log = Log::new()
        .register(ago(900), ALICE, UA_C2R)
        .sent(ago(600), &offline_480(BOB, ALICE))
        .info(
            ago(599),
            &format!("OfflineIM: queued message 1 for sip:{ALICE}"),
        )
        .info(
            ago(590),
            &format!("OfflineIM: message 1 delivered to sip:{ALICE}"),
        );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let a = attempts(&s);
    assert_eq!(event_names(&a[0]), ["oim.queued", "oim.delivered"]);
}

#[test]
fn compact_sip_headers_are_understood() {
    let env = TestEnv::new();
    let reg = "REGISTER sip:contoso.com SIP/2.0\n\
               v: SIP/2.0/TLS 192.168.103.35:50331\n\
               f: <sip:carol@contoso.com>;tag=4c5e\n\
               t: <sip:carol@contoso.com>\n\
               i: 9a3c1f6e0d2b\n\
               CSeq: 1 REGISTER\n\
               m: <sip:192.168.103.35:50331;transport=tls>\n\
               User-Agent: UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)\n\
               l: 0";
    let r480 = "SIP/2.0 480 Temporarily Unavailable\n\
                f: <sip:carol@contoso.com>;tag=77aa01\n\
                t: \"Bob\" <sip:bob@contoso.com>;tag=9f8e7d\n\
                i: 5d4c3b2a1908\n\
                CSeq: 1 INVITE\n\
                l: 0";
    let log = Log::new()
        .sent(ago(900), reg)
        .received(ago(600), r480)
        .info(
            ago(599),
            &format!("OfflineIM: queued message 9 for sip:{BOB}"),
        );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_eq!(
        s.json["facts"]["sip_users"],
        serde_json::json!(["carol@contoso.com"])
    );
    assert_eq!(s.json["facts"]["client_build"], "16.0.6965.2117");
    let a = attempts(&s);
    assert_eq!(a[0]["user"], "carol@contoso.com");
    assert_eq!(event_names(&a[0]), ["sip.callee_offline", "oim.queued"]);
}

// ----------------------------------------------------------- provisioning

#[test]
fn in_band_provisioning_with_im_auto_archiving_false_is_oim020() {
    let env = TestEnv::new();
    let log = Log::new().register(ago(900), ALICE, UA_C2R);
    let line = log.next_line();
    let log = log.received(
        ago(899),
        &provisioning(
            ALICE,
            &[
                ("EnableIMAutoArchiving", "false"),
                ("EnableCallLogAutoArchiving", "true"),
            ],
        ),
    );
    let p = env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let f = s.finding("OIM020");
    assert_eq!(f["severity"], "error");
    let ev = &f["evidence"][0];
    assert_eq!(ev["path"], p.display().to_string());
    assert_eq!(ev["line"], line);
    let pol = &s.json["facts"]["policies"]["enable_im_auto_archiving"];
    assert_eq!(pol["value"], false, "{pol:#}");
    assert_eq!(pol["source"]["line"], line);
    assert_eq!(s.json["summary"]["probable_causes"][0], "OIM020");
}

#[test]
fn in_band_provisioning_with_im_auto_archiving_true_is_fine() {
    let env = TestEnv::new();
    let log = Log::new().register(ago(900), ALICE, UA_C2R).received(
        ago(899),
        &provisioning(ALICE, &[("EnableIMAutoArchiving", "true")]),
    );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_not(&s, "OIM020");
    assert_eq!(
        s.json["facts"]["policies"]["enable_im_auto_archiving"]["value"],
        true
    );
}

#[test]
fn user_option_im_auto_archiving_false_is_oim021() {
    let env = TestEnv::new();
    let log = Log::new().register(ago(900), ALICE, UA_C2R);
    let line = log.next_line();
    let log = log.sent(ago(800), &other_options(ALICE, "false"));
    let p = env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let f = s.finding("OIM021");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["evidence"][0]["path"], p.display().to_string());
    assert_eq!(f["evidence"][0]["line"], line);
    assert_eq!(
        s.json["facts"]["policies"]["user_im_auto_archiving"]["value"],
        false
    );
    assert_not(&s, "OIM020");
}

#[test]
fn user_option_turned_back_on_is_not_oim021() {
    let env = TestEnv::new();
    let log = Log::new()
        .register(ago(900), ALICE, UA_C2R)
        .sent(ago(800), &other_options(ALICE, "false"))
        .sent(ago(700), &other_options(ALICE, "true"));
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_not(&s, "OIM021");
    assert_eq!(
        s.json["facts"]["policies"]["user_im_auto_archiving"]["value"],
        true
    );
}

// ---------------------------------------------------------- admin exports

const IM_CONFIG_OFF: &str =
    "\r\n\r\nIdentity        : Global\r\nEnableOfflineIM : False\r\n\r\n\r\n\r\n";

fn client_policies_json(global: bool, tag: bool) -> String {
    format!(
        r#"[
    {{
        "Identity":  "Global",
        "Description":  null,
        "EnableCallLogAutoArchiving":  true,
        "EnableIMAutoArchiving":  {global},
        "EnableSkypeUI":  true
    }},
    {{
        "Identity":  "Tag:NoArchive",
        "Description":  "No IM or call log archiving",
        "EnableCallLogAutoArchiving":  false,
        "EnableIMAutoArchiving":  {tag},
        "EnableSkypeUI":  true
    }}
]
"#
    )
}

#[test]
fn format_list_enable_offline_im_false_is_oim022_whatever_the_file_is_called() {
    for name in ["admin/Get-CsImConfiguration.txt", "ticket 4711/notes.dat"] {
        let env = TestEnv::new();
        env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
        let p = env.write_file(name, IM_CONFIG_OFF);
        let s = env.scan_root(&[]);
        let pol = &s.json["facts"]["policies"]["enable_offline_im"];
        assert_eq!(pol["value"], false, "{name}: {pol:#}");
        assert_eq!(pol["source"]["path"], p.display().to_string());
        let f = s.finding("OIM022");
        assert_eq!(f["severity"], "error");
        assert_eq!(f["evidence"][0]["path"], p.display().to_string());
        assert_eq!(f["evidence"][0]["line"], 4, "{name}");
        assert_eq!(
            scanned(&s, name.rsplit('/').next().unwrap())["kind"],
            "admin_export"
        );
        assert_eq!(s.json["summary"]["probable_causes"][0], "OIM022");
    }
}

#[test]
fn utf16le_bom_admin_export_reads_like_utf8() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
    env.write_file("admin/imconfig.txt", utf16le_bom(IM_CONFIG_OFF));
    let s = env.scan_root(&[]);
    assert_has(&s, "OIM022");
    assert_eq!(
        s.json["facts"]["policies"]["enable_offline_im"]["value"],
        false
    );
}

#[test]
fn json_client_policy_global_im_auto_archiving_false_is_oim020() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
    let p = env.write_file(
        "admin/client-policies.json",
        client_policies_json(false, true),
    );
    let s = env.scan_root(&[]);
    let f = s.finding("OIM020");
    assert_eq!(f["evidence"][0]["path"], p.display().to_string());
    let pol = &s.json["facts"]["policies"]["enable_im_auto_archiving"];
    assert_eq!(pol["value"], false);
    assert!(
        str_of(&pol["source"]["excerpt"], "excerpt").contains("Global"),
        "{pol:#}"
    );
}

#[test]
fn a_scoped_policy_off_alone_is_not_oim020_but_oim023() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
    env.write_file(
        "admin/client-policies.json",
        client_policies_json(true, false),
    );
    let s = env.scan_root(&[]);
    assert_not(&s, "OIM020");
    assert_eq!(
        s.json["facts"]["policies"]["enable_im_auto_archiving"]["value"],
        true
    );
    // It may apply to this user: a warning naming the scope and how to
    // find the user's policy, never an error.
    let f = s.finding("OIM023");
    assert_eq!(f["severity"], "warning");
    let msg = str_of(&f["message"], "message");
    assert!(msg.contains("EnableIMAutoArchiving"), "{msg}");
    assert!(
        str_of(&f["remediation"], "remediation").contains("Get-CsUser"),
        "{f:#}"
    );
    assert_eq!(s.verdict(), "degraded", "{:#}", s.json["findings"]);
}

#[test]
fn admin_exports_beside_the_lync_tree_are_read() {
    // A collected folder: the Lync tree and the admin's files side by side.
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
    env.write_file(
        "Get-CsClientPolicy.txt",
        "\r\nIdentity              : Global\r\nEnableIMAutoArchiving : False\r\n\r\n",
    );
    let s = env.scan_root(&[]);
    assert_has(&s, "OIM020");
}

// -------------------------------------------------------------------- EWS

fn ews_case(text: &str) -> Scan {
    let env = TestEnv::new();
    let log = signed_in(UA_C2R, Some(EWS_ONLINE));
    let line = log.next_line();
    let log = log.error(ago(300), text);
    let p = env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    let f = s.finding("OIM030");
    assert_eq!(f["severity"], "error", "{text}");
    let ev = f["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 1, "{text}: {ev:#?}");
    assert_eq!(ev[0]["path"], p.display().to_string());
    assert_eq!(ev[0]["line"], line);
    assert!(!str_of(&ev[0]["excerpt"], "excerpt").is_empty());
    s
}

#[test]
fn ews_http_error_is_oim030() {
    let s = ews_case(&format!(
        "EWS: POST {EWS_ONLINE} CreateItem -> 503 Service Unavailable"
    ));
    assert!(s.finding("OIM030")["message"]
        .as_str()
        .unwrap()
        .contains("503"));
}

#[test]
fn autodiscover_failure_is_oim030() {
    ews_case("Autodiscover: failed for contoso.com: The remote name could not be resolved");
}

#[test]
fn ews_not_deployed_is_oim030() {
    ews_case("EWS Information: EWS not deployed");
}

#[test]
fn ews_success_is_not_oim030() {
    let env = TestEnv::new();
    let log = signed_in(UA_C2R, Some(EWS_ONLINE))
        .info(ago(300), "EWS Information: EWS Status OK")
        .info(
            ago(200),
            &format!("EWS: POST {EWS_ONLINE} CreateItem -> 200 OK"),
        );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_not(&s, "OIM030");
}

// ------------------------------------------------------------ tracerpt CSV

/// The same story as UccApilog lines and as tracerpt rows.
fn story() -> Vec<(DateTime<Utc>, &'static str, String)> {
    vec![
        (
            ago(900),
            "Info",
            format!("Autodiscover: EWS internal URL {EWS_ONPREM}, external URL https://owa.contoso.com/EWS/Exchange.asmx"),
        ),
        (ago(600), "Info", format!("OfflineIM: queued message 42 for sip:{BOB}")),
        (
            ago(480),
            "Info",
            format!("OfflineIM: processing message 42 via EWS {EWS_ONPREM}"),
        ),
        (
            ago(479),
            "Error",
            format!("EWS: POST {EWS_ONPREM} CreateItem -> 503 Service Unavailable"),
        ),
        (
            ago(478),
            "Error",
            "OfflineIM: message 42 failed: EWS returned 503 Service Unavailable".to_string(),
        ),
    ]
}

fn story_log() -> Log {
    let mut log = Log::new();
    for (t, level, text) in story() {
        log = log.rec(t, &level.to_uppercase(), &text);
    }
    log
}

#[test]
fn tracerpt_csv_gives_the_same_events_as_the_uccapilog() {
    let rows = story();
    let csv_rows: Vec<(DateTime<Utc>, &str, &str)> =
        rows.iter().map(|(t, l, d)| (*t, *l, d.as_str())).collect();

    let from_log = TestEnv::new();
    from_log.write_file(LOG0, story_log().lf());
    let a = from_log.scan_root(&[]);

    let from_csv = TestEnv::new();
    from_csv.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0-etl.csv",
        tracerpt_csv(&csv_rows),
    );
    let b = from_csv.scan_root(&[]);

    assert_eq!(scanned(&b, "Lync-UccApi-0-etl.csv")["kind"], "tracerpt_csv");
    assert_eq!(attempts(&b).len(), 1, "{:#}", b.json["attempts"]);
    assert_eq!(attempts(&b)[0]["outcome"], "failed");
    assert_eq!(
        without_lines(&without_paths(&a.json["attempts"])),
        without_lines(&without_paths(&b.json["attempts"])),
        "line numbers aside, the attempts are the same"
    );
    assert_eq!(a.rule_ids(), b.rule_ids());
    assert_eq!(
        without_paths(&a.json["facts"]["mailbox_location"]),
        without_paths(&b.json["facts"]["mailbox_location"])
    );
    assert_eq!(a.json["facts"]["ews_url"], b.json["facts"]["ews_url"]);
}

/// Removes every `"line": N` pair, for comparing stories told by different files.
fn without_lines(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k != "line")
                .map(|(k, v)| (k.clone(), without_lines(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_lines).collect()),
        other => other.clone(),
    }
}

#[test]
fn tracerpt_quoted_fields_with_commas_quotes_and_newlines() {
    let env = TestEnv::new();
    let q = ago(600);
    let rows = [
        (
            q,
            "Info",
            "OfflineIM: queued message 7, attempt 1, for sip:bob@contoso.com",
        ),
        (
            ago(590),
            "Error",
            "EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable\nRetry-After: 30\nX-Error: \"The server, it said, is busy\"",
        ),
        (
            ago(589),
            "Error",
            "OfflineIM: message 7 failed: EWS returned 503 \"Service, Unavailable\"",
        ),
    ];
    let p = env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/trace.csv",
        tracerpt_csv(&rows),
    );
    let s = env.scan_root(&[]);
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["id"], "7");
    assert_eq!(a[0]["recipient"], BOB);
    assert_eq!(a[0]["queued_at"], rfc3339(q));
    assert_eq!(a[0]["outcome"], "failed");
    assert_eq!(event_names(&a[0]), ["oim.queued", "oim.failed"]);
    let f = s.finding("OIM030");
    assert!(f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["path"] == p.display().to_string()));
    // Rows are numbered by the line they start on: header 1, EventTrace 2, rows 3, 4 and 7.
    let lines: Vec<&Value> = a[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["line"])
        .collect();
    assert_eq!(lines, [3, 7]);
    assert!(
        scanned(&s, "trace.csv")["note"].is_null(),
        "{:#}",
        s.json["inputs"]
    );
}

#[test]
fn the_same_event_in_a_uccapilog_and_its_tracerpt_export_counts_once() {
    let env = TestEnv::new();
    env.write_file(LOG0, story_log().lf());
    let rows = story();
    let csv_rows: Vec<(DateTime<Utc>, &str, &str)> = rows[1..]
        .iter()
        .map(|(t, l, d)| (*t, *l, d.as_str()))
        .collect();
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0-etl.csv",
        tracerpt_csv(&csv_rows),
    );
    let s = env.scan_root(&[]);
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(
        event_names(&a[0]),
        ["oim.queued", "oim.processing", "oim.failed"]
    );
    // One 503, and one failure line quoting it: one EWS failure (one per
    // EWS response), not four.
    assert_eq!(
        s.finding("OIM030")["evidence"].as_array().unwrap().len(),
        1,
        "{:#}",
        s.finding("OIM030")
    );
}

// --------------------------------------------------------------- encodings

#[test]
fn utf16le_crlf_log_gives_the_same_report_as_utf8_lf() {
    let log = signed_in(UA_C2R, Some(EWS_ONPREM))
        .sent(ago(700), &invite(ALICE, BOB))
        .received(ago(699), &offline_480(ALICE, BOB))
        .received(
            ago(698),
            &provisioning(ALICE, &[("EnableIMAutoArchiving", "true")]),
        )
        .info(
            ago(600),
            &format!("OfflineIM: queued message 42 for sip:{BOB} — café ✓"),
        )
        .error(
            ago(479),
            &format!("EWS: POST {EWS_ONPREM} CreateItem -> 401 Unauthorized"),
        )
        .error(
            ago(478),
            "OfflineIM: message 42 failed: EWS returned 401 Unauthorized",
        )
        .info(
            ago(300),
            "OfflineIM: queued message 43 for sip:carol@contoso.com",
        );

    let utf8 = TestEnv::new();
    utf8.write_file(LOG0, log.lf());
    let a = utf8.scan_root(&[]);
    let utf16 = TestEnv::new();
    utf16.write_file(LOG0, log.utf16_crlf());
    let b = utf16.scan_root(&[]);

    assert_eq!(attempts(&a).len(), 2, "{:#}", a.json["attempts"]);
    assert_eq!(a.json["summary"], b.json["summary"]);
    assert_eq!(
        without_paths(&a.json["facts"]),
        without_paths(&b.json["facts"])
    );
    assert_eq!(
        without_paths(&a.json["attempts"]),
        without_paths(&b.json["attempts"])
    );
    assert_eq!(a.rule_ids(), b.rule_ids());
    assert!(scanned(&b, "Lync-UccApi-0.UccApilog")["note"].is_null());
}

// ---------------------------------------------------------------- rotation

#[test]
fn a_story_split_across_rotated_logs_is_one_attempt_in_time_order() {
    let env = TestEnv::new();
    let tracing = "Microsoft/Office/16.0/Lync/Tracing";
    // Oldest first: .bak, -2, -1, -0.
    env.write_file(
        &format!("{tracing}/Lync-UccApi-0.UccApilog.bak"),
        Log::new().register(ago(3000), ALICE, UA_C2R).lf(),
    );
    env.write_file(
        &format!("{tracing}/Lync-UccApi-2.UccApilog"),
        Log::new()
            .info(
                ago(2000),
                "OfflineIM: queued message 5 for sip:bob@contoso.com",
            )
            .lf(),
    );
    env.write_file(
        &format!("{tracing}/Lync-UccApi-1.UccApilog"),
        Log::new()
            .info(
                ago(1880),
                &format!("OfflineIM: processing message 5 via EWS {EWS_ONPREM}"),
            )
            .lf(),
    );
    env.write_file(
        &format!("{tracing}/Lync-UccApi-0.UccApilog"),
        Log::new()
            .error(
                ago(1879),
                "OfflineIM: message 5 failed: EWS returned 401 Unauthorized",
            )
            .info(
                ago(1878),
                "OfflineIM: message 5 spooled to History Spooler (file 7f3a9c.hist)",
            )
            .lf(),
    );
    let s = env.scan_root(&[]);
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["user"], ALICE);
    assert_eq!(a[0]["outcome"], "failed");
    assert_eq!(a[0]["queued_at"], rfc3339(ago(2000)));
    assert_eq!(a[0]["resolved_at"], rfc3339(ago(1879)));
    assert_eq!(
        event_names(&a[0]),
        ["oim.queued", "oim.processing", "oim.failed", "oim.spooled"]
    );
    let files: Vec<&str> = a[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["path"]
                .as_str()
                .unwrap()
                .rsplit(['/', '\\'])
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        files,
        [
            "Lync-UccApi-2.UccApilog",
            "Lync-UccApi-1.UccApilog",
            "Lync-UccApi-0.UccApilog",
            "Lync-UccApi-0.UccApilog"
        ]
    );
    let times: Vec<&str> = a[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["time"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
}

// ---------------------------------------------------------- malformed input

#[test]
fn a_malformed_log_still_scans_and_says_what_was_odd() {
    let env = TestEnv::new();
    let mut bytes: Vec<u8> = Vec::new();
    bytes.extend_from_slice(b"*** log restarted ***\ngarbage before any record\n");
    let good = Log::new()
        .register(ago(900), ALICE, UA_C2R)
        .info(
            ago(600),
            &format!("OfflineIM: queued message 8 for sip:{BOB}"),
        )
        .lf();
    bytes.extend_from_slice(good.as_bytes());
    // A record with bytes that are not UTF-8.
    bytes.extend_from_slice(
        format!(
            "{} 1F68:C14 INFO  :: Presence note: caf",
            Log::new().stamp(ago(590))
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&[0xE9, 0xFF, 0xFE, b'\n']);
    // An impossible date.
    bytes.extend_from_slice(b"02/30/2026|10:00:00.000 1F68:C14 INFO  :: OfflineIM: queued message 9 for sip:carol@contoso.com\n");
    bytes.extend_from_slice(
        Log::new()
            .error(
                ago(580),
                "OfflineIM: message 8 failed: EWS returned 401 Unauthorized",
            )
            .lf()
            .as_bytes(),
    );
    env.write_file(LOG0, bytes);
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["sip_users"], serde_json::json!([ALICE]));
    let a = attempts(&s);
    let eight = a
        .iter()
        .find(|a| a["id"] == "8")
        .unwrap_or_else(|| panic!("{a:#?}"));
    assert_eq!(eight["outcome"], "failed");
    let note = str_of(&scanned(&s, "Lync-UccApi-0.UccApilog")["note"], "note").to_string();
    assert!(note.contains("outside any record"), "{note}");
    // Not UTF-8 and no BOM: the record was read as Windows-1252, and said.
    assert!(
        note.contains("1 line(s) not valid UTF-8, read as Windows-1252"),
        "{note}"
    );
    assert!(note.contains("unreadable time"), "{note}");
}

#[test]
fn binary_etl_is_skipped_with_the_tracerpt_hint() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
    let mut etl = vec![0u8; 4096];
    for (i, b) in etl.iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    env.write_file("Microsoft/Office/16.0/Lync/Tracing/Lync-1.etl", etl);
    let s = env.scan_root(&[]);
    let reason = s.skip_reason("Lync-1.etl");
    assert!(reason.contains("tracerpt"), "{reason}");
    assert_has(&s, "OIM061");
}

// ---------------------------------------------------------- --signatures

#[test]
fn a_custom_signature_makes_a_custom_log_line_count() {
    let env = TestEnv::new();
    let log = signed_in(UA_C2R, Some(EWS_ONLINE))
        .error(ago(600), "SendOfflineMessage error 500 for conversation 3");
    env.write_file(LOG0, log.lf());
    let without = env.scan_root(&[]);
    assert!(
        attempts(&without).is_empty(),
        "{:#}",
        without.json["attempts"]
    );

    let sigs = env.write_file(
        "sigs/mine.json",
        r#"{"signatures":[{"name":"mine","event":"oim.failed","pattern":"SendOfflineMessage error (?P<status>\\d+)"}]}"#,
    );
    let sigs = sigs.display().to_string();
    let with = env.scan(&[env.lync()], &["--signatures", &sigs]);
    let a = attempts(&with);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(event_names(&a[0]), ["oim.failed"]);
    assert_eq!(a[0]["outcome"], "failed");
    assert!(str_of(&a[0]["evidence"][0]["excerpt"], "excerpt").contains("SendOfflineMessage"));
    assert_has(&with, "OIM030");
    assert_has(&with, "OIM003");
    // The built-ins still work beside it (extend is the default).
    assert_eq!(with.json["facts"]["mailbox_location"], "online");
}

#[test]
fn a_bad_regex_in_a_signature_file_is_a_usage_error_naming_the_entry() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, None).lf());
    let sigs = env.write_file(
        "mine.json",
        r#"{"signatures":[{"name":"ok-one","event":"oim.failed","pattern":"x(?P<status>\\d+)"},{"name":"broken-entry","event":"oim.failed","pattern":"SendOfflineMessage (unclosed"}]}"#,
    );
    let args: Vec<std::ffi::OsString> = vec![
        "scan".into(),
        env.lync().into(),
        "--format".into(),
        "json".into(),
        "--now".into(),
        NOW.into(),
        "--utc-offset".into(),
        "+00:00".into(),
        "--signatures".into(),
        sigs.into(),
    ];
    let r = env.run(&args);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("broken-entry"), "{}", r.stderr);
    // The regex error's own lines (the pattern, a caret under the fault),
    // not one line with escaped line breaks.
    assert!(!r.stderr.contains("\\u{a}"), "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert!(lines.len() >= 3, "{}", r.stderr);
    assert!(
        lines
            .iter()
            .any(|l| l.trim() == "SendOfflineMessage (unclosed"),
        "{}",
        r.stderr
    );
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with('^')),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "no report on a usage error: {}",
        r.stdout
    );
}

#[test]
fn printed_signatures_are_valid_json_that_can_be_fed_back() {
    let env = TestEnv::new();
    let r = env.run(&["signatures"]);
    assert_eq!(r.code, 0, "{r:?}");
    let table: Value = serde_json::from_str(&r.stdout).expect("signatures prints JSON");
    let entries = table["signatures"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["event"] == "oim.queued"));
    assert!(entries
        .iter()
        .any(|e| e["event"] == "ews.autodiscover_failed"));

    let sigs = env.write_file("printed.json", &r.stdout);
    env.write_file(LOG0, story_log().lf());
    let plain = env.scan(&[env.lync()], &[]);
    let sigs = sigs.display().to_string();
    let fed = env.scan(&[env.lync()], &["--signatures", &sigs]);
    assert_eq!(plain.json["attempts"], fed.json["attempts"]);
    assert_eq!(plain.json["findings"], fed.json["findings"]);

    // And the extended table printed back includes the user's entry first.
    let mine = env.write_file(
        "mine.json",
        r#"{"signatures":[{"name":"mine","event":"oim.failed","pattern":"SendOfflineMessage error (?P<status>\\d+)"}]}"#,
    );
    let args: Vec<std::ffi::OsString> =
        vec!["signatures".into(), "--signatures".into(), mine.into()];
    let r = env.run(&args);
    assert_eq!(r.code, 0, "{r:?}");
    let table: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(table["signatures"][0]["name"], "mine");
}

// ------------------------------------------------------- found while probing

#[test]
fn a_uccapilog_with_tabs_or_no_space_before_the_colons_is_read() {
    let env = TestEnv::new();
    let stamp = Log::new().stamp(ago(600));
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        format!("{stamp}\t1F68:C14\tINFO\t:: OfflineIM: queued message 1 for sip:{BOB}\n"),
    );
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-1.UccApilog",
        format!("{stamp} 1F68:C14 INFO:: OfflineIM: queued message 2 for sip:carol@contoso.com\n"),
    );
    let s = env.scan_root(&[]);
    for name in ["Lync-UccApi-0.UccApilog", "Lync-UccApi-1.UccApilog"] {
        assert_eq!(
            scanned(&s, name)["kind"],
            "uccapilog",
            "{:#}",
            s.json["inputs"]
        );
    }
    assert_eq!(attempts(&s).len(), 2, "{:#}", s.json["attempts"]);
}

#[test]
fn the_same_event_with_a_sub_millisecond_filetime_counts_once() {
    let env = TestEnv::new();
    let t = ago(600);
    let text = format!("EWS: POST {EWS_ONPREM} CreateItem -> 503 Service Unavailable");
    env.write_file(LOG0, Log::new().error(t, &text).lf());
    // The ETL clock is finer: the same moment, 0.3 ms into the millisecond.
    let csv = tracerpt_csv(&[(t, "Error", &text)]);
    let ft = filetime(t);
    let csv = csv.replace(&ft.to_string(), &(ft + 3_000).to_string());
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0-etl.csv",
        csv,
    );
    let s = env.scan_root(&[]);
    let ev = s.finding("OIM030")["evidence"].as_array().unwrap().clone();
    assert_eq!(ev.len(), 1, "{ev:#?}");
}

#[test]
fn provisioning_turned_back_on_is_not_oim020() {
    let env = TestEnv::new();
    let log = Log::new()
        .register(ago(900), ALICE, UA_C2R)
        .received(
            ago(899),
            &provisioning(ALICE, &[("EnableIMAutoArchiving", "false")]),
        )
        .received(
            ago(300),
            &provisioning(ALICE, &[("EnableIMAutoArchiving", "true")]),
        );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_eq!(
        s.json["facts"]["policies"]["enable_im_auto_archiving"]["value"], true,
        "the latest provisioning is in force: {:#}",
        s.json["facts"]["policies"]
    );
    assert_not(&s, "OIM020");
}

// ------------------------------------------------------------ more inputs

#[test]
fn tracerpt_date_string_clock_times_are_local_at_the_utc_offset() {
    let env = TestEnv::new();
    let q = ago(600);
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&offset("+05:30"))
            .format("%m/%d/%Y %H:%M:%S%.3f")
            .to_string()
    };
    let csv = format!(
        "Event Name,Type,Clock-Time,User Data\n\
         UccApi,Info,{},\"OfflineIM: queued message 3 for sip:{BOB}\"\n\
         UccApi,Info,{},\"OfflineIM: message 3 delivered to sip:{BOB}\"\n",
        local(q),
        local(q + chrono::Duration::seconds(200)),
    );
    env.write_file("collected/trace-export.csv", csv);
    let s = env.scan_root(&["--utc-offset", "+05:30"]);
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["queued_at"], rfc3339(q));
    assert_eq!(a[0]["outcome"], "delivered_late");
    assert_not(&s, "OIM051");
}

#[test]
fn a_failure_that_is_not_about_ews_is_not_oim030() {
    let env = TestEnv::new();
    let log = signed_in(UA_C2R, Some(EWS_ONLINE))
        .info(
            ago(600),
            &format!("OfflineIM: queued message 5 for sip:{BOB}"),
        )
        .error(
            ago(590),
            "OfflineIM: message 5 failed: recipient mailbox is full",
        );
    env.write_file(LOG0, log.lf());
    let s = env.scan_root(&[]);
    assert_eq!(attempts(&s)[0]["outcome"], "failed");
    assert_has(&s, "OIM003");
    assert_not(&s, "OIM030");
    assert!(s.finding("OIM003")["message"]
        .as_str()
        .unwrap()
        .contains("mailbox is full"));
}

#[test]
fn a_replacing_signature_file_drops_the_built_in_wording() {
    let env = TestEnv::new();
    let log = Log::new()
        .info(
            ago(600),
            &format!("OfflineIM: queued message 1 for sip:{BOB}"),
        )
        .info(ago(590), &format!("QUEUE-OIM id=2 to={BOB}"));
    env.write_file(LOG0, log.lf());
    let sigs = env.write_file(
        "sigs.json",
        r#"{"mode":"replace","signatures":[{"name":"q","event":"oim.queued","pattern":"QUEUE-OIM id=(?P<id>\\d+) to=(?P<recipient>\\S+)"}]}"#,
    );
    let sigs = sigs.display().to_string();
    let s = env.scan(&[env.lync()], &["--signatures", &sigs]);
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["id"], "2");
    assert_eq!(a[0]["recipient"], BOB);
}

fn scan_with_signatures(env: &TestEnv, file: &std::path::Path) -> RunResult {
    let args: Vec<std::ffi::OsString> = vec![
        "scan".into(),
        env.lync().into(),
        "--format".into(),
        "json".into(),
        "--now".into(),
        NOW.into(),
        "--utc-offset".into(),
        "+00:00".into(),
        "--quiet".into(),
        "--signatures".into(),
        file.into(),
    ];
    env.run(&args)
}

#[test]
fn signature_files_with_unknown_events_or_captures_or_missing_are_usage_errors() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, None).lf());
    for (name, body, want) in [
        (
            "event.json",
            r#"{"signatures":[{"name":"odd-event","event":"oim.exploded","pattern":"x"}]}"#,
            "odd-event",
        ),
        (
            "capture.json",
            r#"{"signatures":[{"name":"odd-capture","event":"oim.failed","pattern":"x(?P<body>.*)"}]}"#,
            "odd-capture",
        ),
        ("notjson.json", "signatures: nope", "notjson.json"),
    ] {
        let p = env.write_file(name, body);
        let r = scan_with_signatures(&env, &p);
        assert_eq!(r.code, 2, "{name}: {r:?}");
        assert!(r.stderr.contains(want), "{name}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{name}: {}", r.stdout);
    }
    let r = scan_with_signatures(&env, &env.path("no-such-file.json"));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("no-such-file.json"), "{}", r.stderr);
}

#[test]
fn sip_packets_inside_tracerpt_rows_are_read_like_uccapilog_packets() {
    let env = TestEnv::new();
    let packet = |start: &str, sip: &str| format!("{start}\n{sip}\n");
    let reg = packet(
        "Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 1022 bytes:",
        &register(ALICE, UA_C2R),
    );
    let r480 = packet(
        "Data Received - 10.10.1.20:5061 (To Local Address: 192.168.103.35:50331) 512 bytes:",
        &offline_480(ALICE, BOB),
    );
    let queued = format!("OfflineIM: queued message 1 for sip:{BOB}");
    let rows = [
        (ago(3600), "Info", reg.as_str()),
        (ago(601), "Info", r480.as_str()),
        (ago(600), "Info", queued.as_str()),
    ];
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0-etl.csv",
        tracerpt_csv(&rows),
    );
    let s = env.scan_root(&[]);
    assert_eq!(s.json["facts"]["sip_users"], serde_json::json!([ALICE]));
    assert_eq!(s.json["facts"]["client_build"], "16.0.6965.2117");
    let a = attempts(&s);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0]["user"], ALICE);
    assert_eq!(event_names(&a[0]), ["sip.callee_offline", "oim.queued"]);
    assert_eq!(a[0]["outcome"], "expired");
}

#[test]
fn a_rotated_log_starting_with_a_long_tail_of_a_packet_is_still_read() {
    let env = TestEnv::new();
    // Rotation cut a large contact-list NOTIFY: its body continues the new file.
    let mut text: String = (0..300)
        .map(|i| {
            format!(
                "<contact uri=\"sip:user{i:05}@contoso.com\" name=\"\" groups=\"1 2\" subscribed=\"true\"/>\n"
            )
        })
        .collect();
    assert!(text.len() > 16 * 1024);
    text.push_str(
        &Log::new()
            .info(
                ago(600),
                &format!("OfflineIM: queued message 1 for sip:{BOB}"),
            )
            .lf(),
    );
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-1.UccApilog",
        text,
    );
    let s = env.scan_root(&[]);
    let entry = scanned(&s, "Lync-UccApi-1.UccApilog");
    assert_eq!(entry["kind"], "uccapilog");
    assert!(
        str_of(&entry["note"], "note").contains("outside any record"),
        "{entry:#}"
    );
    assert_eq!(attempts(&s).len(), 1, "{:#}", s.json["attempts"]);
}

/// A JSON export broken off part-way (a copy that stopped, a truncated
/// attachment): the objects complete before the end are used, and the file's
/// note says the rest was not there.
#[test]
fn a_json_export_that_ends_part_way_keeps_its_whole_objects_and_says_so() {
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
    let whole = client_policies_json(false, true);
    let cut_at = whole.find("\"Tag:NoArchive\"").unwrap();
    env.write_file("admin/client-policies.json", &whole[..cut_at]);
    let s = env.scan_root(&[]);
    assert_has(&s, "OIM020");
    let note = scanned(&s, "client-policies.json")["note"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(note.contains("ends part-way"), "{note:?}");
    // A whole file has no note.
    let env = TestEnv::new();
    env.write_file(LOG0, signed_in(UA_C2R, Some(EWS_ONLINE)).lf());
    env.write_file("admin/client-policies.json", &whole);
    let s = env.scan_root(&[]);
    assert!(scanned(&s, "client-policies.json")["note"].is_null());
}

// ------------------------------------------------- OIM023, scoped policies

/// Client policies as ConvertTo-Json writes them: a Global and the `tags`
/// given, each with its EnableIMAutoArchiving.
fn policies(global: Option<bool>, tags: &[(&str, bool)]) -> String {
    let mut objs: Vec<String> = global
        .map(|g| format!(r#"{{"Identity": "Global", "EnableIMAutoArchiving": {g}}}"#))
        .into_iter()
        .collect();
    objs.extend(
        tags.iter()
            .map(|(t, v)| format!(r#"{{"Identity": "{t}", "EnableIMAutoArchiving": {v}}}"#)),
    );
    format!("[{}]", objs.join(","))
}

fn scan_policies(global: Option<bool>, tags: &[(&str, bool)], provisioned: Option<&str>) -> Scan {
    let env = TestEnv::new();
    env.spooler(ALICE);
    let mut log = Log::new().register(ago(900), ALICE, UA_C2R);
    if let Some(v) = provisioned {
        log = log.received(
            ago(899),
            &provisioning(ALICE, &[("EnableIMAutoArchiving", v)]),
        );
    }
    env.write_file(LOG0, log.lf());
    env.write_file("admin/policies.json", policies(global, tags));
    env.scan_root(&[])
}

#[test]
fn oim023_names_every_scope_turning_archiving_off() {
    let one = scan_policies(Some(true), &[("Tag:NoArchive", false)], None);
    let msg = str_of(&one.finding("OIM023")["message"], "message").to_string();
    assert!(msg.contains("client policy scope Tag:NoArchive"), "{msg}");
    assert!(msg.contains("the Global one has it on"), "{msg}");
    let two = scan_policies(
        None,
        &[("Tag:A", false), ("Site:Rome", false), ("Tag:On", true)],
        None,
    );
    let msg = str_of(&two.finding("OIM023")["message"], "message").to_string();
    assert!(
        msg.contains("client policy scopes Tag:A, Site:Rome"),
        "{msg}"
    );
    assert!(msg.contains("no Global one was exported"), "{msg}");
    assert!(!msg.contains("Tag:On"), "{msg}");
}

#[test]
fn oim023_is_silent_when_provisioning_shows_the_users_value_or_global_is_off() {
    let provisioned = scan_policies(Some(true), &[("Tag:NoArchive", false)], Some("true"));
    assert_not(&provisioned, "OIM023");
    let global_off = scan_policies(Some(false), &[("Tag:NoArchive", false)], None);
    assert_not(&global_off, "OIM023");
    // OIM020 fires for Global and mentions the scoped object too.
    let msg = str_of(&global_off.finding("OIM020")["message"], "message").to_string();
    assert!(
        msg.contains("Scoped client policy objects also have it off"),
        "{msg}"
    );
    assert!(msg.contains("Tag:NoArchive"), "{msg}");
    let scoped_on = scan_policies(Some(false), &[("Tag:Fine", true)], None);
    let msg = str_of(&scoped_on.finding("OIM020")["message"], "message").to_string();
    assert!(!msg.contains("Scoped"), "{msg}");
}

#[test]
fn oim030_says_at_for_one_failure_and_between_for_several() {
    let env = TestEnv::new();
    env.spooler(ALICE);
    let one = Log::new().info(
        ago(600),
        &format!("EWS: POST {EWS_ONPREM} CreateItem -> 503 Service Unavailable"),
    );
    env.write_file(LOG0, one.lf());
    let s = env.scan_root(&[]);
    let msg = str_of(&s.finding("OIM030")["message"], "message").to_string();
    assert!(
        msg.contains(&format!("logged at {}", rfc3339(ago(600)))),
        "{msg}"
    );
    let two = one.info(
        ago(500),
        &format!("EWS: POST {EWS_ONPREM} CreateItem -> 503 Service Unavailable"),
    );
    env.write_file(LOG0, two.lf());
    let s = env.scan_root(&[]);
    let msg = str_of(&s.finding("OIM030")["message"], "message").to_string();
    assert!(
        msg.contains(&format!(
            "between {} and {}",
            rfc3339(ago(600)),
            rfc3339(ago(500))
        )),
        "{msg}"
    );
}
