//! SIP messages inside UccApilog records (BRIEF §3.3).
//!
//! A record whose text begins `Sending Packet` or `Data Received` carries a SIP
//! message in its continuation lines. This module parses that message and
//! pulls out the few facts the rules need: the client build (`User-Agent` of
//! what the client sends), the signed-in user (REGISTER), an offline callee
//! (480 to an INVITE), in-band provisioning properties and the user's own
//! `imAutoArchiving` option.
//!
//! Everything here is tolerant: garbage gives `None` or nothing, never a panic.
//! No message body (IM text, SDP, XML) is ever put into an event: only the
//! specific fields named above.

mod body;
mod message;

pub use body::{im_auto_archiving_option, provisioning_properties};
pub use message::{client_build_from_user_agent, parse_sip, sip_address, SipMessage, StartLine};

use message::{PROVISIONING_CONTENT_TYPE, PROVISIONING_NAMES, StartRef, canonical_name, cseq_method_of, is_token, parse_start_line, split_around, strip_prefix_ci};
use body::{contains_ci};
use crate::scan::ci::CiLiteral;
use oimdiag_vocab::events::{EventKind, Record};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Direction of a packet record, from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// `Sending Packet ...` → sent, `Data Received ...` → received; anything else
/// (including `End of Sending Packet`) is not a packet record.
pub fn packet_direction(text: &str) -> Option<Direction> {
    // Most records are not packets: told from the first byte, unless a
    // trim could remove it.
    if text
        .as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_graphic() && !matches!(c | 0x20, b's' | b'd'))
    {
        return None;
    }
    let t = text.trim_start();
    if strip_prefix_ci(t, "Sending Packet").is_some() {
        Some(Direction::Sent)
    } else if strip_prefix_ci(t, "Data Received").is_some() {
        Some(Direction::Received)
    } else {
        None
    }
}

/// The SIP message a packet record carries, if it is one.
pub fn record_message(record: &Record) -> Option<(Direction, SipMessage)> {
    let dir = packet_direction(&record.text)?;
    Some((dir, parse_sip(&record.continuation)?))
}

/// The typed events a packet record yields (empty for any other record).
/// Never carries a message body: only the fields named in [`EventKind`].
pub fn sip_events(record: &Record) -> Vec<EventKind> {
    let mut joined = String::new();
    for l in &record.continuation {
        joined.push_str(l);
        joined.push('\n');
    }
    sip_events_in(&record.text, &joined)
}

/// The headers [`sip_events_in`] reads, by their full names.
const WANTED: [&str; 5] = ["User-Agent", "From", "To", "CSeq", "Content-Type"];
const UA: usize = 0;
const FROM: usize = 1;
const TO: usize = 2;
const CSEQ: usize = 3;
const CONTENT_TYPE: usize = 4;

/// Lines of `s` (each ended by `\n`) with the offset of the line after each.
fn lines_at(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= s.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', s.as_bytes().get(at..)?).map_or(s.len(), |i| at + i);
        let line = s.get(at..end)?;
        at = end + 1;
        Some((at, line))
    })
}

/// The words that make a body worth parsing, and the provisioning content
/// type: looked for in the whole packet, in any ASCII case.
pub const BODY_WORD_LITERALS: [&str; 3] =
    ["provisiongroup", "otheroptions", PROVISIONING_CONTENT_TYPE];

static BODY_WORDS: LazyLock<[CiLiteral; 3]> =
    LazyLock::new(|| BODY_WORD_LITERALS.map(CiLiteral::new));

/// In both `provisiongroup` and the provisioning content type: absent, so
/// are they (one search instead of two on most packets).
static PROVISION: LazyLock<CiLiteral> = LazyLock::new(|| CiLiteral::new("provision"));

thread_local! {
    /// The last User-Agent read and its build: every packet the client sends
    /// repeats the same one.
    static LAST_USER_AGENT: std::cell::RefCell<(String, Option<(String, bool)>)> =
        const { std::cell::RefCell::new((String::new(), None)) };
}

/// [`client_build_from_user_agent`], remembered for the last value seen;
/// `None` too when it is `known` (no copy of what the caller has already).
fn cached_client_build(ua: &str, known: Option<(&str, bool)>) -> Option<(String, bool)> {
    LAST_USER_AGENT.with_borrow_mut(|(last, build)| {
        if last.as_str() != ua || last.is_empty() {
            *build = client_build_from_user_agent(ua);
            last.clear();
            last.push_str(ua);
        }
        build
            .as_ref()
            .filter(|(b, o)| known != Some((b.as_str(), *o)))
            .cloned()
    })
}

/// Whether any of [`BODY_WORDS`] occurs in `s`, in any ASCII case.
fn has_body_words(s: &str) -> bool {
    let b = s.as_bytes();
    let [group, options, content_type] = &*BODY_WORDS;
    options.occurs_in(b)
        || (PROVISION.occurs_in(b) && (group.occurs_in(b) || content_type.occurs_in(b)))
}

/// `line.trim().is_empty()`, answered from the first byte for most lines.
fn is_blank(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(c) if c.is_ascii_graphic() => false,
        _ => line.trim().is_empty(),
    }
}

/// [`sip_events`] for a record's text and its continuation lines, each
/// ended by `\n`. A packet that cannot carry a fact (received, neither a
/// REGISTER nor a 480, and no provisioning or `otherOptions` words anywhere)
/// is dismissed after its start line. Otherwise one pass over the headers
/// keeps only the first value of the five that matter (as
/// [`SipMessage::header`] would find them).
pub fn sip_events_in(text: &str, continuation: &str) -> Vec<EventKind> {
    sip_events_with(text, continuation, has_body_words(continuation), None).0
}

/// What [`sip_events_with`] made of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet {
    /// The record names no packet.
    None,
    /// A packet whose start line was read.
    Read,
    /// A record named a packet, and no SIP start line follows it.
    Unreadable,
}

/// [`sip_events_in`] when whether any of [`BODY_WORD_LITERALS`] occurs in
/// `continuation` (any ASCII case) is already known, leaving out a
/// [`EventKind::ClientBuild`] equal to `known_build` (the caller's last).
pub fn sip_events_with(
    text: &str,
    continuation: &str,
    body_words: bool,
    known_build: Option<(&str, bool)>,
) -> (Vec<EventKind>, Packet) {
    let Some(dir) = packet_direction(text) else {
        return (Vec::new(), Packet::None);
    };
    let mut lines = lines_at(continuation).map(|(next, l)| (next, l.trim_end_matches('\r')));
    let Some((_, first)) = lines.by_ref().find(|(_, l)| !is_blank(l)) else {
        return (Vec::new(), Packet::Unreadable);
    };
    // Read before anything is dismissed, so that a packet that cannot be
    // read is counted whatever it is (one line: cheap beside the record).
    let Some(start) = parse_start_line(first) else {
        return (Vec::new(), Packet::Unreadable);
    };
    let done = (Vec::new(), Packet::Read);
    if dir == Direction::Received && !body_words {
        // Only a REGISTER or a 480 could yield anything.
        let register = matches!(start, StartRef::Request { method, .. }
            if method.eq_ignore_ascii_case("REGISTER"));
        if !register && !matches!(start, StartRef::Response { code: 480, .. }) {
            return done;
        }
    }
    let register = matches!(start, StartRef::Request { method, .. } if method.eq_ignore_ascii_case("REGISTER"));
    let offline =
        dir == Direction::Received && matches!(start, StartRef::Response { code: 480, .. });
    // The words are looked for in the body below; absent from the whole
    // packet, they are absent from its body and its Content-Type.
    if dir == Direction::Received && !register && !offline && !body_words {
        return done;
    }
    // A packet the client sends that is neither a REGISTER nor carries the
    // words: only its User-Agent is read, and the headers after it are not.
    let only_ua = !register && !offline && !body_words;
    let mut values: [Option<Cow<str>>; 5] = Default::default();
    // The header a folded line continues: `Some(k)` when it is the first of
    // wanted header `k` (later ones are never read), `None` for any other.
    let mut last: Option<Option<usize>> = None;
    let mut body_at = continuation.len();
    for (next, line) in lines.by_ref() {
        if is_blank(line) {
            body_at = next;
            break;
        }
        let folded = line.starts_with([' ', '\t']);
        if only_ua && !folded {
            if values.get(UA).is_some_and(Option::is_some) {
                break;
            }
            // Before the User-Agent, no other header is read: one whose
            // name cannot be it (first byte neither `u` nor a blank a trim
            // would remove) is passed over.
            if line
                .as_bytes()
                .first()
                .is_some_and(|&c| c.is_ascii_graphic() && !c.eq_ignore_ascii_case(&b'u'))
            {
                continue;
            }
        }
        if folded {
            if let Some(Some(k)) = last {
                if let Some(v) = values.get_mut(k).and_then(Option::as_mut) {
                    let v = v.to_mut();
                    if !v.is_empty() {
                        v.push(' ');
                    }
                    v.push_str(line.trim());
                }
            }
            continue;
        }
        if let Some((name, value)) =
            memchr::memchr(b':', line.as_bytes()).and_then(|colon| split_around(line, colon))
        {
            let name = name.trim();
            if is_token(name) {
                let full = canonical_name(name);
                let k = WANTED.iter().position(|w| w.eq_ignore_ascii_case(full));
                let slot = k.and_then(|k| Some((k, values.get_mut(k)?)));
                last = Some(match slot {
                    Some((k, v @ None)) => {
                        *v = Some(Cow::Borrowed(value.trim()));
                        Some(k)
                    }
                    _ => None,
                });
            }
        }
    }
    let header = |k: usize| values.get(k).and_then(Option::as_deref);
    let mut out = Vec::new();
    if dir == Direction::Sent {
        if let Some((build, from_oc)) =
            header(UA).and_then(|ua| cached_client_build(ua, known_build))
        {
            out.push(EventKind::ClientBuild { build, from_oc });
        }
    }
    match start {
        StartRef::Request { .. } if register => {
            let user = header(FROM)
                .and_then(sip_address)
                .or_else(|| header(TO).and_then(sip_address));
            if let Some(address) = user {
                out.push(EventKind::SipUser { address });
            }
        }
        // Only a 480 the client receives: one it sends (do-not-disturb) names the user.
        StartRef::Response { .. }
            if offline
                && header(CSEQ)
                    .and_then(cseq_method_of)
                    .is_some_and(|m| m.eq_ignore_ascii_case("INVITE")) =>
        {
            if let Some(callee) = header(TO).and_then(sip_address) {
                out.push(EventKind::CalleeOffline { callee });
            }
        }
        _ => {}
    }
    // The body: the lines after the blank line (none when there is none).
    let body_text = continuation.get(body_at..).unwrap_or("");
    if !body_words || body_text.trim().is_empty() {
        return (out, Packet::Read);
    }
    let options = contains_ci(body_text, "otherOptions");
    let provisioning = header(CONTENT_TYPE)
        .is_some_and(|ct| contains_ci(ct, PROVISIONING_CONTENT_TYPE))
        || contains_ci(body_text, "provisionGroup");
    if !provisioning && !options {
        return (out, Packet::Read);
    }
    // Body lines as the message holds them: `\r` trimmed, trailing blank lines dropped.
    let mut body: Vec<&str> = lines_at(body_text)
        .map(|(_, l)| l.trim_end_matches('\r'))
        .collect();
    while body.last().is_some_and(|l| l.trim().is_empty()) {
        body.pop();
    }
    let body = body.join("\n");
    if provisioning {
        for (group, name, value) in provisioning_properties(&body) {
            if PROVISIONING_NAMES
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&name))
            {
                out.push(EventKind::Provisioning { group, name, value });
            }
        }
    }
    if options {
        if let Some(enabled) = im_auto_archiving_option(&body) {
            out.push(EventKind::UserImAutoArchiving { enabled });
        }
    }
    (out, Packet::Read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::uccapilog::read_all;
    use oimdiag_vocab::timefmt::parse_utc_offset;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_owned).collect()
    }

    fn record(text: &str, body: &str) -> Record {
        Record {
            line: 1,
            text: text.to_owned(),
            continuation: lines(body),
            ..Default::default()
        }
    }

    const REGISTER: &str = "\
REGISTER sip:contoso.com SIP/2.0
Via: SIP/2.0/TLS 192.168.103.35:50331
Max-Forwards: 70
From: <sip:Alice@Contoso.com>;tag=4c5e3f1a2b;epid=7b1e2d3c4f
To: <sip:Alice@Contoso.com>
Call-ID: 9a3c1f6e0d2b4a5c8e7f6a5b4c3d2e1f
CSeq: 1 REGISTER
Contact: <sip:192.168.103.35:50331;transport=tls;ms-opaque=d3470f2e1d>;methods=\"INVITE, MESSAGE, INFO, SUBSCRIBE, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\"
User-Agent: UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)
Supported: gruu-10, adhoclist, msrtc-event-categories
Event: registration
Content-Length: 0

";

    const REGISTER_OK: &str = "\
SIP/2.0 200 OK
From: <sip:alice@contoso.com>;tag=4c5e3f1a2b;epid=7b1e2d3c4f
To: <sip:alice@contoso.com>;tag=A1B2C3D4
Call-ID: 9a3c1f6e0d2b4a5c8e7f6a5b4c3d2e1f
CSeq: 1 REGISTER
Contact: <sip:192.168.103.35:50331;transport=tls;ms-opaque=d3470f2e1d>;expires=7200
Server: RTC/6.0
Content-Length: 0

";

    const INVITE: &str = "\
INVITE sip:bob@contoso.com SIP/2.0
From: \"Alice Example\" <sip:alice@contoso.com>;tag=77aa01;epid=7b1e2d3c4f
To: <sip:bob@contoso.com>
Call-ID: 5d4c3b2a19081726354453627180a9b8
CSeq: 1 INVITE
User-Agent: UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)
Content-Type: application/sdp
Content-Length: 301

v=0
o=- 0 0 IN IP4 192.168.103.35
s=session
c=IN IP4 192.168.103.35
t=0 0
m=message 5060 sip null
a=accept-types:text/plain multipart/alternative

";

    const INVITE_480: &str = "\
SIP/2.0 480 Temporarily Unavailable
From: \"Alice Example\" <sip:alice@contoso.com>;tag=77aa01;epid=7b1e2d3c4f
To: \"Bob\" <sip:Bob@contoso.com>;tag=9f8e7d
Call-ID: 5d4c3b2a19081726354453627180a9b8
CSeq: 1 INVITE
ms-diagnostics: 15030;reason=\"Failed to route to the callee: the user is offline\";source=\"pool01.contoso.com\"
Content-Length: 0
";

    const PROVISIONING: &str = "\
SIP/2.0 200 OK
f: <sip:alice@contoso.com>;tag=8a1f
t: <sip:alice@contoso.com>;tag=22c3
i: 0c8f7e6d5c4b3a29
CSeq: 3 SUBSCRIBE
Expires: 0
c: application/vnd-microsoft-roaming-provisioning-v2+xml
l: 1207

<provisionGroupList xmlns=\"http://schemas.microsoft.com/2006/09/sip/provisiongrouplist-notification\"><provisionGroup name=\"ServerConfiguration\" ><propertyEntryList><property name=\"EnableIMAutoArchiving\">false</property><property name=\"EnableCallLogAutoArchiving\">true</property><property name=\"AbsInternalServerUrl\">https://pool01.contoso.com/abs/handler</property></propertyEntryList></provisionGroup>
<provisionGroup name=\"ucPolicy\"><propertyEntryList>
  <property name=\"EnableOfflineIM\">
    True
  </property>
  <property name=\"DisableEmoticons\">false</property>
</propertyEntryList></provisionGroup></provisionGroupList>
";

    const OTHER_OPTIONS: &str = "\
SERVICE sip:alice@contoso.com SIP/2.0
From: <sip:alice@contoso.com>;tag=1b2c;epid=7b1e2d3c4f
To: <sip:alice@contoso.com>
Call-ID: 77e6d5c4b3a2
CSeq: 5 SERVICE
User-Agent: UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)
Content-Type: application/msrtc-category-publish+xml
Content-Length: 512

<publish xmlns=\"http://schemas.microsoft.com/2006/09/sip/rich-presence\"><publications uri=\"sip:alice@contoso.com\"><publication categoryName=\"otherOptions\" instance=\"1\" container=\"1\" version=\"3\" expireType=\"static\"><otherOptions xmlns=\"http://schemas.microsoft.com/2006/09/sip/options/otheroptions\"><imAutoArchiving>FALSE</imAutoArchiving><saveCallLogs>true</saveCallLogs></otherOptions></publication></publications></publish>
";

    #[test]
    fn register_and_ok() {
        let m = parse_sip(&lines(REGISTER)).unwrap();
        assert_eq!(
            m.start,
            StartLine::Request {
                method: "REGISTER".into(),
                uri: "sip:contoso.com".into()
            }
        );
        assert_eq!(m.headers.len(), 11);
        assert_eq!(
            m.header("call-id"),
            Some("9a3c1f6e0d2b4a5c8e7f6a5b4c3d2e1f")
        );
        assert_eq!(m.header("i"), Some("9a3c1f6e0d2b4a5c8e7f6a5b4c3d2e1f"));
        assert_eq!(
            m.header("k"),
            Some("gruu-10, adhoclist, msrtc-event-categories")
        );
        assert_eq!(m.cseq_method(), Some("REGISTER"));
        assert_eq!(m.body, "");
        assert_eq!(m.method(), Some("REGISTER"));

        let ev = sip_events(&record("Sending Packet - 10.10.1.20:5061 (From Local Address: 192.168.103.35:50331) 1022 bytes:", REGISTER));
        assert_eq!(
            ev,
            [
                EventKind::ClientBuild {
                    build: "16.0.6965.2117".into(),
                    from_oc: true
                },
                EventKind::SipUser {
                    address: "alice@contoso.com".into()
                }
            ]
        );

        let ok = parse_sip(&lines(REGISTER_OK)).unwrap();
        assert_eq!(
            ok.start,
            StartLine::Response {
                code: 200,
                reason: "OK".into()
            }
        );
        assert_eq!(ok.status(), Some(200));
        assert_eq!(ok.cseq_method(), Some("REGISTER"));
        // A response is not a REGISTER request, and Server: is not the client's build.
        assert!(sip_events(&record(
            "Data Received - 10.10.1.20:5061 684 bytes:",
            REGISTER_OK
        ))
        .is_empty());
    }

    #[test]
    fn invite_and_480() {
        let inv = parse_sip(&lines(INVITE)).unwrap();
        assert_eq!(inv.header("Content-Type"), Some("application/sdp"));
        assert!(inv.body.starts_with("v=0\no=- 0 0"));
        assert!(inv.body.ends_with("multipart/alternative"));
        // SDP lines in the body are not headers.
        assert_eq!(inv.header("m"), None);
        let ev = sip_events(&record(
            "Sending Packet - 10.10.1.20:5061 1310 bytes:",
            INVITE,
        ));
        assert_eq!(
            ev,
            [EventKind::ClientBuild {
                build: "16.0.6965.2117".into(),
                from_oc: true
            }]
        );

        let r = parse_sip(&lines(INVITE_480)).unwrap();
        assert_eq!(
            r.start,
            StartLine::Response {
                code: 480,
                reason: "Temporarily Unavailable".into()
            }
        );
        assert!(r
            .header("MS-Diagnostics")
            .unwrap()
            .starts_with("15030;reason="));
        let ev = sip_events(&record(
            "Data Received - 10.10.1.20:5061 512 bytes:",
            INVITE_480,
        ));
        assert_eq!(
            ev,
            [EventKind::CalleeOffline {
                callee: "bob@contoso.com".into()
            }]
        );
        // A 480 the client sends (do-not-disturb) does not make anyone offline.
        assert!(sip_events(&record("Sending Packet - x", INVITE_480)).is_empty());
        // A 480 to something other than INVITE is not an offline callee.
        let sub = INVITE_480.replace("CSeq: 1 INVITE", "CSeq: 1 SUBSCRIBE");
        assert!(sip_events(&record("Data Received - x", &sub)).is_empty());
        // Records that are not packets yield nothing, even with SIP lines.
        assert!(sip_events(&record("End of Data Received - x", INVITE_480)).is_empty());
    }

    #[test]
    fn compact_headers_and_folding() {
        let m = parse_sip(&lines(PROVISIONING)).unwrap();
        assert_eq!(m.header("From"), Some("<sip:alice@contoso.com>;tag=8a1f"));
        assert_eq!(m.header("TO"), Some("<sip:alice@contoso.com>;tag=22c3"));
        assert_eq!(m.header("Call-ID"), Some("0c8f7e6d5c4b3a29"));
        assert_eq!(m.header("content-length"), Some("1207"));
        assert_eq!(m.header("C"), Some(PROVISIONING_CONTENT_TYPE));
        assert_eq!(m.header("f"), m.header("from"));

        let folded = "NOTIFY sip:alice@contoso.com SIP/2.0\n\
                      Subject: first part\n \tsecond part\n\tthird\n\
                      v: SIP/2.0/TLS a\n\
                      v: SIP/2.0/TLS b\n\
                      bad header line without colon\n\
                      s : spaced\n";
        let m = parse_sip(&lines(folded)).unwrap();
        assert_eq!(m.header("subject"), Some("first part second part third"));
        assert_eq!(
            m.headers_named("Via").collect::<Vec<_>>(),
            ["SIP/2.0/TLS a", "SIP/2.0/TLS b"]
        );
        assert_eq!(m.headers.len(), 4);
    }

    #[test]
    fn leading_blank_lines_and_garbage() {
        let m = parse_sip(&lines(&format!("\n\n  \n{INVITE_480}"))).unwrap();
        assert_eq!(m.status(), Some(480));
        for bad in [
            "",
            "\n\n",
            "hello world",
            "SIP/2.0 99 Too Low",
            "SIP/2.0 4800 Too Long",
            "SIP/2.0",
            "INVITE sip:bob@contoso.com HTTP/1.1",
            "INVITE  SIP/2.0",
            "IN<VITE sip:x SIP/2.0",
            "GET / SIP/",
        ] {
            assert_eq!(parse_sip(&lines(bad)), None, "{bad:?}");
        }
        let m = parse_sip(&lines("SIP/2.0 480\nCSeq: x INVITE\n")).unwrap();
        assert_eq!(
            m.start,
            StartLine::Response {
                code: 480,
                reason: String::new()
            }
        );
        assert_eq!(m.cseq_method(), None);
        // Non-ASCII and odd bytes never panic.
        for s in [
            "é",
            "SIP/2.0 4é0 x",
            "\u{FFFD}\u{FFFD}:\u{FFFD}",
            "REGISTER é SIP/2.0\nFrom: é<é",
        ] {
            let _ = parse_sip(&lines(s));
            let _ = sip_events(&record("Sending Packet", s));
        }
    }

    #[test]
    fn addresses() {
        for (v, want) in [
            (
                "\"Bob\" <sip:Bob@contoso.com>;tag=x",
                Some("bob@contoso.com"),
            ),
            ("<sip:alice@contoso.com>", Some("alice@contoso.com")),
            (
                "<SIPS:Alice@Contoso.COM:5061;transport=tls>",
                Some("alice@contoso.com"),
            ),
            ("sip:carol@fabrikam.com;tag=1", Some("carol@fabrikam.com")),
            ("carol@fabrikam.com", Some("carol@fabrikam.com")),
            (
                "\"Smith, <Bob>; \\\"B\\\"\" <sip:bob.smith@contoso.com>",
                Some("bob.smith@contoso.com"),
            ),
            (
                "Bob Smith <sip:bob@contoso.com?subject=x>",
                Some("bob@contoso.com"),
            ),
            ("<tel:+14255550100>", None),
            ("<mailto:bob@contoso.com>", None),
            ("<sip:192.168.103.35:50331;transport=tls>", None),
            ("<sip:@contoso.com>", None),
            ("<sip:bob@>", None),
            ("\"unterminated <sip:bob@contoso.com>", None),
            ("<sip:bob@contoso.com", None),
            ("", None),
            ("é<sip:é@é>", None),
        ] {
            assert_eq!(sip_address(v).as_deref(), want, "{v:?}");
        }
    }

    #[test]
    fn user_agents() {
        let ua = |s| client_build_from_user_agent(s);
        assert_eq!(
            ua("UCCAPI/16.0.6965.5308 OC/16.0.6965.2117 (Skype for Business)"),
            Some(("16.0.6965.2117".into(), true))
        );
        assert_eq!(
            ua("UCCAPI/16.0.4417.1000 OC/16.0.4417.1000 (Skype for Business)"),
            Some(("16.0.4417.1000".into(), true))
        );
        assert_eq!(
            ua("UCCAPI/16.0.6965.5308"),
            Some(("16.0.6965.5308".into(), false))
        );
        assert_eq!(
            ua("UCCAPI/16.0.6965.5308 OC/16.0.x.1 (Skype)"),
            Some(("16.0.6965.5308".into(), false))
        );
        assert_eq!(
            ua("OC/16.0.12527.20194"),
            Some(("16.0.12527.20194".into(), true))
        );
        assert_eq!(ua("RTC/6.0"), None);
        assert_eq!(ua("MOC/16.0.1.2"), None);
        assert_eq!(ua("UCCAPI/16.0.6965"), None);
        assert_eq!(ua("UCCAPI/16.0.6965.5308.1"), None);
        assert_eq!(ua("OC/16..1.2"), None);
        assert_eq!(ua(""), None);
    }

    #[test]
    fn provisioning() {
        let m = parse_sip(&lines(PROVISIONING)).unwrap();
        let props = provisioning_properties(&m.body);
        assert_eq!(props.len(), 5);
        assert_eq!(
            props[0],
            (
                Some("ServerConfiguration".into()),
                "EnableIMAutoArchiving".into(),
                "false".into()
            )
        );
        assert_eq!(
            props[3],
            (
                Some("ucPolicy".into()),
                "EnableOfflineIM".into(),
                "True".into()
            )
        );
        let ev = sip_events(&record(
            "Data Received - 10.10.1.20:5061 1500 bytes:",
            PROVISIONING,
        ));
        assert_eq!(
            ev,
            [
                EventKind::Provisioning {
                    group: Some("ServerConfiguration".into()),
                    name: "EnableIMAutoArchiving".into(),
                    value: "false".into()
                },
                EventKind::Provisioning {
                    group: Some("ServerConfiguration".into()),
                    name: "EnableCallLogAutoArchiving".into(),
                    value: "true".into()
                },
                EventKind::Provisioning {
                    group: Some("ucPolicy".into()),
                    name: "EnableOfflineIM".into(),
                    value: "True".into()
                },
            ]
        );
    }

    #[test]
    fn provisioning_tolerance() {
        let body = "<?xml version=\"1.0\"?><!-- comment <property name=\"Nope\">x</property> -->\
            <p:provisionGroupList xmlns:p=\"urn:x\"><p:provisionGroup p:name='Client&amp;Policy' other=\"a>b\">\
            <p:propertyEntryList><p:property type=\"bool\" name = \"enableimautoarchiving\">\
            <![CDATA[False]]></p:property><property name=\"Url\">a&lt;b&#62;&#x26;&bogus;</property>\
            <property name=\"Empty\"/><property value=\"v\" name=\"Attr\"/><property>no name</property>\
            </p:propertyEntryList></p:provisionGroup><property name=\"Outside\">1</property></p:provisionGroupList>";
        let props = provisioning_properties(body);
        let g = Some("Client&Policy".to_string());
        assert_eq!(
            props,
            [
                (g.clone(), "enableimautoarchiving".into(), "False".into()),
                (g.clone(), "Url".into(), "a<b>&&bogus;".into()),
                (g.clone(), "Empty".into(), String::new()),
                (g, "Attr".into(), "v".into()),
                (None, "Outside".into(), "1".into()),
            ]
        );
        // Found by body shape even without the content type, and inside multipart.
        let multipart = format!(
            "NOTIFY sip:alice@contoso.com SIP/2.0\nCSeq: 9 NOTIFY\n\
             Content-Type: multipart/related; type=\"application/vnd-microsoft-roaming-self+xml\"; boundary=B\n\n\
             --B\nContent-Type: text/xml\n\n{body}\n--B--\n"
        );
        let ev = sip_events(&record("Data Received - x", &multipart));
        assert_eq!(
            ev,
            [EventKind::Provisioning {
                group: Some("Client&Policy".into()),
                name: "enableimautoarchiving".into(),
                value: "False".into()
            }]
        );
        // Broken XML: no panic, best effort.
        for junk in [
            "<",
            "<<>>",
            "<property name=\"a\">",
            "<property name=\"a",
            "&#xFFFFFFFF;&",
            "<![CDATA[",
            "<!--",
        ] {
            let _ = provisioning_properties(junk);
            let _ = im_auto_archiving_option(junk);
        }
        assert_eq!(provisioning_properties("<property name=\"a\">1"), []);
        // Hostile shapes stay linear (these would take minutes if quadratic;
        // the bound only catches that, with room for a debug build under Wine).
        let t = std::time::Instant::now();
        let hostile = "<a \"".repeat(200_000) + &"&".repeat(1_000_000) + &"<".repeat(500_000);
        assert!(provisioning_properties(&hostile).is_empty());
        assert_eq!(im_auto_archiving_option(&hostile), None);
        assert!(t.elapsed() < std::time::Duration::from_secs(120));
    }

    #[test]
    fn other_options() {
        let m = parse_sip(&lines(OTHER_OPTIONS)).unwrap();
        assert_eq!(im_auto_archiving_option(&m.body), Some(false));
        let ev = sip_events(&record(
            "Sending Packet - 10.10.1.20:5061 900 bytes:",
            OTHER_OPTIONS,
        ));
        assert_eq!(
            ev,
            [
                EventKind::ClientBuild {
                    build: "16.0.6965.2117".into(),
                    from_oc: true
                },
                EventKind::UserImAutoArchiving { enabled: false }
            ]
        );
        assert_eq!(
            im_auto_archiving_option(
                "<x:otherOptions><x:imAutoArchiving> True </x:imAutoArchiving></x:otherOptions>"
            ),
            Some(true)
        );
        // Outside otherOptions, or not a boolean: nothing.
        assert_eq!(
            im_auto_archiving_option("<imAutoArchiving>false</imAutoArchiving>"),
            None
        );
        assert_eq!(
            im_auto_archiving_option(
                "<otherOptions><imAutoArchiving>maybe</imAutoArchiving></otherOptions>"
            ),
            None
        );
        assert_eq!(
            im_auto_archiving_option("<otherOptions/><imAutoArchiving>false</imAutoArchiving>"),
            None
        );
    }

    #[test]
    fn case_insensitive_search() {
        assert!(contains_ci("xx<P:ProvisionGroup name=", "provisionGroup"));
        assert!(contains_ci("otheroptions", "otherOptions"));
        assert!(contains_ci("pprovisiongroup", "provisionGroup"));
        assert!(!contains_ci("provisionGrou", "provisionGroup"));
        assert!(!contains_ci("", "x"));
        assert!(!contains_ci("abc", ""));
        assert!(contains_ci("ééOTHEROPTIONSé", "otherOptions"));
    }

    #[test]
    fn no_body_text_in_events() {
        let secret = "MESSAGE sip:bob@contoso.com SIP/2.0\nFrom: <sip:alice@contoso.com>\nTo: <sip:bob@contoso.com>\n\
                      CSeq: 3 MESSAGE\nUser-Agent: UCCAPI/16.0.6965.5308\nContent-Type: text/plain\n\n\
                      TOP SECRET otherOptions provisionGroup\n";
        let ev = sip_events(&record("Sending Packet - x", secret));
        assert_eq!(
            ev,
            [EventKind::ClientBuild {
                build: "16.0.6965.5308".into(),
                from_oc: false
            }]
        );
        assert!(!format!("{ev:?}").contains("SECRET"));
    }

    #[test]
    fn sample_log_events() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sample-spooler/Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog"
        );
        let f = std::fs::File::open(path).unwrap();
        let (recs, _) = read_all(f, &parse_utc_offset("+01:00").unwrap().into()).unwrap();
        let mut events = Vec::new();
        for r in &recs {
            for e in sip_events(r) {
                events.push((r.line, oimdiag_vocab::timefmt::rfc3339(r.time.unwrap()), e));
            }
        }
        let build = EventKind::ClientBuild {
            build: "16.0.6965.2117".into(),
            from_oc: true,
        };
        assert_eq!(
            events,
            [
                (2, "2026-11-23T09:12:58Z".into(), build.clone()),
                (
                    2,
                    "2026-11-23T09:12:58Z".into(),
                    EventKind::SipUser {
                        address: "alice@contoso.com".into()
                    }
                ),
                (29, "2026-11-23T09:14:01Z".into(), build),
                (
                    48,
                    "2026-11-23T09:14:02Z".into(),
                    EventKind::CalleeOffline {
                        callee: "bob@contoso.com".into()
                    }
                ),
            ]
        );
    }
}
