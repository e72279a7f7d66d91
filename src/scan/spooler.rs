//! History Spooler items (format ASSUMED, BRIEF §3.2): every regular file below
//! a `History Spooler` folder is one item. Its bounded prefix is sniffed as a
//! MIME-style header block, then as an EWS-style XML item, else it is opaque.
//! Only header fields are kept: the body is never copied out of the buffer.

use crate::discover::FoundFile;
use crate::fsread;
use crate::model::{ItemFormat, SpoolItem, TimeSource};
use crate::scan::text::{self, Encoding};
use crate::timefmt::parse_content_date;
use chrono::{DateTime, FixedOffset, Utc};
use regex::Regex;
use std::sync::LazyLock;

/// How much of an item is read. Headers live at the start; an item of
/// gigabytes costs this much and no more.
pub const ITEM_READ_LIMIT: usize = 64 * 1024;

pub struct ItemOptions {
    pub utc_offset: FixedOffset,
    pub include_subjects: bool,
    /// Used only when an item has neither a content date nor a file time.
    pub now: DateTime<Utc>,
}

/// Fields found in an item's content.
#[derive(Debug, Default, PartialEq)]
pub struct Sniffed {
    pub format: Option<ItemFormat>,
    pub date_text: Option<String>,
    pub recipient: Option<String>,
    pub sender: Option<String>,
    pub message_class: Option<String>,
    pub subject: Option<String>,
}

pub fn read_item(found: &FoundFile, opts: &ItemOptions) -> SpoolItem {
    let mtime: Option<DateTime<Utc>> = found.mtime.map(DateTime::<Utc>::from);
    let mut item = SpoolItem {
        path: found.path.clone(),
        profile: found.profile.clone(),
        size_bytes: found.size,
        sent_at: mtime.unwrap_or(opts.now),
        sent_at_source: TimeSource::Mtime,
        format: ItemFormat::Opaque,
        recipient: None,
        sender: None,
        message_class: None,
        subject: None,
        problem: None,
    };
    if mtime.is_none() {
        item.problem = Some("no file time and no date in the content: age unknown".into());
    }
    let bytes = match fsread::open_evidence(&found.open)
        .and_then(|mut f| fsread::read_prefix(&mut f, ITEM_READ_LIMIT))
    {
        Ok(b) => b,
        Err(e) => {
            item.problem = Some(format!(
                "could not be read: {}",
                fsread::describe_io_error(&e)
            ));
            return item;
        }
    };
    if bytes.is_empty() {
        item.problem = Some("empty file: nothing to read".into());
        return item;
    }
    let decoded = text::decode(&bytes);
    // Sniffed before any "is this text" test: a header block may be followed
    // by a binary body. Binary from the first byte matches no shape.
    let s = sniff(&decoded.text);
    let Some(format) = s.format else {
        return item; // opaque: metadata only, and that is not a fault
    };
    item.format = format;
    item.recipient = s.recipient;
    item.sender = s.sender;
    item.message_class = s.message_class;
    if opts.include_subjects {
        item.subject = s.subject;
    }
    // Bad bytes matter only where the fields are read: a MIME body may be
    // binary by right. A read cut at ITEM_READ_LIMIT may end mid-character;
    // that is ours, not the file's.
    let fields_text = match format {
        ItemFormat::Mime => header_block(&decoded.text),
        _ => decoded.text.as_str(),
    };
    let odd_utf16 =
        matches!(decoded.encoding, Encoding::Utf16Le | Encoding::Utf16Be) && bytes.len() % 2 == 1;
    if bytes.len() < ITEM_READ_LIMIT {
        if odd_utf16 {
            item.problem =
                Some("UTF-16 text with an odd number of bytes: the file was cut short".into());
        } else if fields_text.contains(char::REPLACEMENT_CHARACTER) {
            item.problem = Some(
                "text has bytes that are not valid in its encoding: read what could be".into(),
            );
        }
    }
    match s.date_text {
        Some(d) => match parse_content_date(&d, opts.utc_offset) {
            Some(t) => {
                item.sent_at = t;
                item.sent_at_source = TimeSource::Content;
            }
            None => {
                item.problem = Some(format!(
                    "date field '{}' is not a date: the file time was used",
                    excerpt(&d, 40)
                ));
            }
        },
        None if item.problem.is_none() && mtime.is_some() => {}
        None => {}
    }
    item
}

/// The text up to the first blank line.
fn header_block(text: &str) -> &str {
    let end = [text.find("\r\n\r\n"), text.find("\n\n")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(text.len());
    &text[..end]
}

pub fn sniff(text: &str) -> Sniffed {
    if let Some(s) = sniff_mime(text) {
        return s;
    }
    if let Some(s) = sniff_xml(text) {
        return s;
    }
    Sniffed::default()
}

static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z][A-Za-z0-9-]{0,75}):[ \t]*(.*)$").expect("valid regex")
});

/// A `Name: value` block up to the first blank line, with folded lines joined.
fn sniff_mime(text: &str) -> Option<Sniffed> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            let (_, v) = headers.last_mut()?;
            v.push(' ');
            v.push_str(line.trim());
            continue;
        }
        let caps = HEADER_LINE.captures(line)?;
        headers.push((caps[1].to_string(), caps[2].trim().to_string()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let class = headers
        .iter()
        .find(|(n, _)| n.len() >= 5 && n[n.len() - 5..].eq_ignore_ascii_case("class"))
        .map(|(_, v)| v.clone());
    let s = Sniffed {
        format: Some(ItemFormat::Mime),
        date_text: get("Date"),
        recipient: get("To").and_then(|v| first_address(&v)),
        sender: get("From").and_then(|v| first_address(&v)),
        message_class: class,
        subject: get("Subject"),
    };
    let known = s.date_text.is_some()
        || s.recipient.is_some()
        || s.sender.is_some()
        || s.message_class.is_some();
    known.then_some(s)
}

fn xml_re(element: &str) -> Regex {
    // Any namespace prefix; content up to the next tag.
    Regex::new(&format!(r"<(?:[\w.-]+:)?{element}\b[^>]*>\s*([^<]*?)\s*<")).expect("valid regex")
}

fn xml_block_re(element: &str) -> Regex {
    Regex::new(&format!(
        r"(?s)<(?:[\w.-]+:)?{element}\b[^>]*>(.*?)</(?:[\w.-]+:)?{element}\s*>"
    ))
    .expect("valid regex")
}

struct XmlRes {
    item_class: Regex,
    subject: Regex,
    sent: Regex,
    created: Regex,
    email: Regex,
    to: Regex,
    from: Regex,
}

static XML: LazyLock<XmlRes> = LazyLock::new(|| XmlRes {
    item_class: xml_re("ItemClass"),
    subject: xml_re("Subject"),
    sent: xml_re("DateTimeSent"),
    created: xml_re("DateTimeCreated"),
    email: xml_re("EmailAddress"),
    to: xml_block_re("ToRecipients"),
    from: xml_block_re("From"),
});

/// An EWS-style item. Extracted with tolerant patterns rather than an XML
/// parser on purpose: the prefix may be cut mid-document, and a spooled item
/// that is not well-formed should still tell us what it can.
fn sniff_xml(text: &str) -> Option<Sniffed> {
    if !text.trim_start().starts_with('<') {
        return None;
    }
    let x = &*XML;
    let one = |re: &Regex, hay: &str| {
        re.captures(hay)
            .map(|c| xml_unescape(c.get(1).map_or("", |m| m.as_str())))
            .filter(|v| !v.is_empty())
    };
    let address_in = |block: &Regex| {
        block
            .captures(text)
            .and_then(|c| one(&x.email, c.get(1).map_or("", |m| m.as_str())))
            .and_then(|v| first_address(&v))
    };
    let s = Sniffed {
        format: Some(ItemFormat::Xml),
        date_text: one(&x.sent, text).or_else(|| one(&x.created, text)),
        recipient: address_in(&x.to),
        sender: address_in(&x.from),
        message_class: one(&x.item_class, text),
        subject: one(&x.subject, text),
    };
    let known = s.message_class.is_some() || s.date_text.is_some() || s.recipient.is_some();
    known.then_some(s)
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `"Bob" <sip:Bob@Contoso.com>, <sip:x@y>` → `bob@contoso.com`.
pub fn first_address(v: &str) -> Option<String> {
    let first = v.split([',', ';']).find(|p| !p.trim().is_empty())?;
    let inner = match (first.find('<'), first.rfind('>')) {
        (Some(a), Some(b)) if a < b => &first[a + 1..b],
        _ => first,
    };
    let mut addr = inner.trim();
    for scheme in ["sip:", "mailto:", "smtp:"] {
        // `get`: a multibyte character may straddle the scheme's length.
        if addr
            .get(..scheme.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
        {
            addr = &addr[scheme.len()..];
        }
    }
    let addr = addr.split(';').next().unwrap_or("").trim();
    (!addr.is_empty() && addr.contains('@')).then(|| addr.to_lowercase())
}

fn excerpt(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIME: &str = "From: <sip:alice@contoso.com>\r\nTo: \"Bob\" <sip:Bob@contoso.com>\r\n\
Date: Mon, 23 Nov 2026 09:14:03 +0000\r\nSubject: Offline message\r\n\
X-MS-Message-Class: IM.Note.MissedConversation\r\nContent-Type: text/plain\r\n\r\nsecret body\r\n";

    const XML_ITEM: &str = r#"<?xml version="1.0"?>
<t:Message xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
  <t:ItemClass>IM.Note.MissedConversation</t:ItemClass>
  <t:Subject>Hi &amp; bye</t:Subject>
  <t:ToRecipients><t:Mailbox><t:EmailAddress>bob@contoso.com</t:EmailAddress></t:Mailbox></t:ToRecipients>
  <t:From><t:Mailbox><t:EmailAddress>alice@contoso.com</t:EmailAddress></t:Mailbox></t:From>
  <t:DateTimeSent>2026-11-23T09:14:03Z</t:DateTimeSent>
  <t:Body BodyType="Text">secret body</t:Body>
</t:Message>"#;

    #[test]
    fn mime_headers() {
        let s = sniff(MIME);
        assert_eq!(s.format, Some(ItemFormat::Mime));
        assert_eq!(s.recipient.as_deref(), Some("bob@contoso.com"));
        assert_eq!(s.sender.as_deref(), Some("alice@contoso.com"));
        assert_eq!(
            s.message_class.as_deref(),
            Some("IM.Note.MissedConversation")
        );
        assert_eq!(
            s.date_text.as_deref(),
            Some("Mon, 23 Nov 2026 09:14:03 +0000")
        );
        assert_eq!(s.subject.as_deref(), Some("Offline message"));
    }

    #[test]
    fn mime_folded_header_and_no_blank_line() {
        let s = sniff("To:\r\n <sip:bob@contoso.com>\r\nDate: Mon, 23 Nov 2026 09:14:03 +0000");
        assert_eq!(s.recipient.as_deref(), Some("bob@contoso.com"));
    }

    #[test]
    fn xml_item_any_prefix() {
        for doc in [XML_ITEM.to_string(), XML_ITEM.replace("t:", "")] {
            let s = sniff(&doc);
            assert_eq!(s.format, Some(ItemFormat::Xml));
            assert_eq!(s.recipient.as_deref(), Some("bob@contoso.com"));
            assert_eq!(s.sender.as_deref(), Some("alice@contoso.com"));
            assert_eq!(s.date_text.as_deref(), Some("2026-11-23T09:14:03Z"));
            assert_eq!(s.subject.as_deref(), Some("Hi & bye"));
        }
    }

    #[test]
    fn xml_created_when_no_sent_and_truncated_document() {
        let doc = "<Message><ItemClass>IPM.Note</ItemClass><DateTimeCreated>2026-11-23T09:00:00Z</DateTimeCreated><Body>cut he";
        let s = sniff(doc);
        assert_eq!(s.format, Some(ItemFormat::Xml));
        assert_eq!(s.date_text.as_deref(), Some("2026-11-23T09:00:00Z"));
        assert_eq!(s.recipient, None);
    }

    #[test]
    fn prose_is_not_an_item_format() {
        assert_eq!(sniff("hello there\nthis is not mail").format, None);
        assert_eq!(sniff("<html><body>x</body></html>").format, None);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            first_address("<sip:A@B.com>;tag=1").as_deref(),
            Some("a@b.com")
        );
        assert_eq!(
            first_address("mailto:x@y.org, z@w").as_deref(),
            Some("x@y.org")
        );
        assert_eq!(
            first_address("sip:x@y.org;opaque=user").as_deref(),
            Some("x@y.org")
        );
        assert_eq!(first_address("nobody"), None);
        // Used to panic: a multibyte character across the length of `sip:`.
        assert_eq!(first_address("<abcé@x>"), Some("abcé@x".to_string()));
        assert_eq!(
            sniff("To: <abcé@x>\r\n").recipient.as_deref(),
            Some("abcé@x")
        );
    }
}
