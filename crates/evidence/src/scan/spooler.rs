//! History Spooler items (format ASSUMED, BRIEF §3.2): every regular file below
//! a `History Spooler` folder is one item. Its bounded prefix is sniffed as a
//! MIME-style header block, then as an EWS-style XML item, else it is opaque.
//! Only header fields are kept: the body is never copied out of the buffer.

use oimdiag_vocab::file_path::FilePath;
use crate::fsread;
use crate::scan::address::{addresses, first_address};
use crate::scan::encoding::{self, Encoding};
use crate::scan::xml::{text_of, Tok, XmlTokens};
use chrono::{DateTime, Utc};
use oimdiag_vocab::found::{ItemFormat, SpoolItem, TimeSource};
use oimdiag_vocab::timefmt::parse_content_date;
use oimdiag_vocab::timezone::LocalZone;
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// How much of an item is read. Headers live at the start; an item of
/// gigabytes costs this much and no more.
pub const ITEM_READ_LIMIT: usize = 64 * 1024;

pub struct ItemOptions {
    /// The rules a date without an offset is read by.
    pub zone: LocalZone,
    pub include_subjects: bool,
    /// The date of an item with no file time.
    pub now: DateTime<Utc>,
}

/// Fields found in an item's content.
#[derive(Debug, Default, PartialEq)]
pub struct Sniffed {
    pub format: Option<ItemFormat>,
    pub date_text: Option<String>,
    /// Every address in `To`, then `Cc` (EWS: `ToRecipients`, then
    /// `CcRecipients`), each once.
    pub recipients: Vec<String>,
    pub sender: Option<String>,
    pub message_class: Option<String>,
    pub subject: Option<String>,
}

/// The note `inputs` gives an item of `size` bytes: whether its fields were
/// read from the read window only.
pub fn window_note(size: u64) -> Option<String> {
    (size > ITEM_READ_LIMIT as u64).then(|| {
        format!(
            "larger than {} KiB: its fields were read from the first {} KiB only",
            ITEM_READ_LIMIT >> 10,
            ITEM_READ_LIMIT >> 10
        )
    })
}

/// The note `inputs` gives an item: the read window's, the lines of its
/// fields that were read as Windows-1252, and a zone-less date that fell in
/// a DST gap or overlap.
pub fn item_note(item: &SpoolItem) -> Option<String> {
    use oimdiag_vocab::timezone::Fold;
    let ansi = (item.ansi_lines > 0).then(|| {
        format!(
            "{} line(s) not valid UTF-8, read as Windows-1252",
            item.ansi_lines
        )
    });
    let fold = match item.local_date {
        Some((_, Fold::Gap)) => Some(
            "its date has no offset and fell in a DST gap: read with the offset before the gap \
             (shifted forward by the gap)"
                .to_string(),
        ),
        Some((_, Fold::Overlap)) => Some(
            "its date has no offset and fell in a DST overlap: read as the earlier instant"
                .to_string(),
        ),
        _ => None,
    };
    let parts: Vec<String> = [window_note(item.size_bytes), ansi, fold]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// One copy of each string that repeats across items (addresses, message
/// classes): a reader keeps one for all the items it reads, and the items
/// share its strings.
/// (foldhash: three lookups an item.)
#[derive(Default)]
pub struct SharedStrings(foldhash::HashSet<Arc<str>>);

impl SharedStrings {
    pub fn get(&mut self, s: Option<String>) -> Option<Arc<str>> {
        Some(self.share(s?))
    }

    fn share(&mut self, s: String) -> Arc<str> {
        if let Some(shared) = self.0.get(s.as_str()) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = s.into();
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

impl Sniffed {
    /// The first recipient: what items are matched to logged messages by.
    pub fn recipient(&self) -> Option<&str> {
        self.recipients.first().map(String::as_str)
    }
}

/// An item as its folder listing tells it: path, size, file time (`now`
/// when it has none) and profile. [`read_item`] reads the rest.
pub fn listed_item(
    path: FilePath,
    profile: Option<Arc<str>>,
    size: u64,
    mtime: Option<std::time::SystemTime>,
    now: DateTime<Utc>,
) -> SpoolItem {
    let mut item = unstated_item(path, profile, now);
    item.size_bytes = size;
    set_file_time(&mut item, mtime, now);
    item
}

/// An item whose size and times [`read_item`] is to take (`stat_at_read`):
/// dated `now` until then.
pub fn unstated_item(path: FilePath, profile: Option<Arc<str>>, now: DateTime<Utc>) -> SpoolItem {
    SpoolItem {
        path,
        profile,
        size_bytes: 0,
        sent_at: now,
        sent_at_source: TimeSource::Mtime,
        format: ItemFormat::Opaque,
        recipient: None,
        sender: None,
        other_recipients: Default::default(),
        message_class: None,
        subject: None,
        problem: None,
        ansi_lines: 0,
        local_date: None,
    }
}

/// The item's date from its file time, or `now` (and a problem) without one.
fn set_file_time(item: &mut SpoolItem, mtime: Option<std::time::SystemTime>, now: DateTime<Utc>) {
    match mtime.and_then(system_time_utc) {
        Some(t) => {
            item.sent_at = t;
            item.problem = None;
        }
        None => {
            item.sent_at = now;
            item.problem = Some("no file time and no date in the content: age unknown".into());
        }
    }
}

/// Reads a listed item's content (from `open`: its path, or a named link's
/// target; opened by name in `folder` when that is its folder, held open)
/// into it. `stat_at_read`: the listing did not give its size and
/// times, so they are taken from the file opened (or, when it cannot be
/// opened, asked of its path).
pub fn read_item(
    item: &mut SpoolItem,
    open: &Path,
    stat_at_read: bool,
    folder: Option<&fsread::Folder>,
    opts: &ItemOptions,
    shared: &mut SharedStrings,
    buf: &mut Vec<u8>,
) {
    let opened = match (folder, open.file_name()) {
        (Some(folder), Some(name)) => folder.open_evidence_with_metadata(name),
        _ => fsread::open_evidence_with_metadata(open),
    };
    if stat_at_read {
        let meta = match &opened {
            Ok((_, m)) => Ok(m.clone()),
            Err(_) => std::fs::symlink_metadata(open),
        };
        match meta {
            Ok(m) => {
                item.size_bytes = m.len();
                set_file_time(item, m.modified().ok(), opts.now);
            }
            Err(_) => set_file_time(item, None, opts.now),
        }
    }
    // One byte past the limit tells an item of exactly the limit from a longer
    // one. Read into the caller's buffer, which serves item after item.
    let read =
        opened.and_then(|(mut f, _)| fsread::read_prefix_reusing(&mut f, ITEM_READ_LIMIT + 1, buf));
    let n = match read {
        Ok(n) => n,
        Err(e) => {
            item.problem = Some(format!(
                "could not be read: {}",
                fsread::describe_io_error(&e)
            ).into());
            return;
        }
    };
    if n == 0 {
        item.problem = Some("empty file: nothing to read".into());
        return;
    }
    let cut = n > ITEM_READ_LIMIT;
    let mut bytes: &[u8] = buf.get(..n.min(ITEM_READ_LIMIT)).unwrap_or_default();
    if cut && encoding::detect(bytes).0 == Encoding::Utf8 {
        // A character the read window cut in two is not Windows-1252 text.
        bytes = bytes
            .get(..encoding::without_cut_character(bytes))
            .unwrap_or(bytes);
    }
    // An opaque item (binary, mostly) is told by its first bytes, before
    // it is decoded: replacing every bad byte of a binary item took as long
    // as the rest of reading it. (A cut one is decoded: its note asks.)
    if !cut && !may_sniff(bytes) {
        return;
    }
    let decoded = encoding::decode(bytes);
    // Sniffed before any "is this text" test: a header block may be followed
    // by a binary body. Binary from the first byte matches no shape.
    let s = sniff(&decoded.text);
    let Some(format) = s.format else {
        // Opaque: metadata only, and that is not a fault. But text cut by the
        // read window (an XML item with a long body first) may have its
        // fields past the window.
        let textual = decoded.text.trim_start().starts_with('<') || encoding::is_texty(&decoded.text);
        if cut && textual {
            item.problem = Some(format!(
                "larger than {} KiB and no recipient, date or message class in the first \
                 {} KiB: its fields may lie past what was read",
                ITEM_READ_LIMIT >> 10,
                ITEM_READ_LIMIT >> 10
            ).into());
        }
        return;
    };
    item.format = format;
    let recipient_found = !s.recipients.is_empty();
    let mut recipients = s.recipients.into_iter().map(|r| shared.share(r));
    item.recipient = recipients.next();
    item.other_recipients = recipients.collect();
    item.sender = shared.get(s.sender);
    item.message_class = shared.get(s.message_class);
    if opts.include_subjects {
        item.subject = s.subject.map(String::into_boxed_str);
    }
    // Bad bytes matter only where the fields are read: a MIME body may be
    // binary by right. A read cut at ITEM_READ_LIMIT may end mid-character;
    // that is ours, not the file's.
    let fields_text = match format {
        ItemFormat::Mime => header_block(&decoded.text),
        _ => &decoded.text,
    };
    if decoded.ansi_lines > 0 {
        // Counted where the fields are, as bad bytes are: a MIME body may be
        // binary by right. (Lines end at the same bytes in both encodings.)
        let n = match format {
            ItemFormat::Mime => {
                encoding::ansi_lines(bytes.get(..header_block_len(bytes)).unwrap_or(bytes))
            }
            _ => decoded.ansi_lines,
        };
        item.ansi_lines = u16::try_from(n).unwrap_or(u16::MAX);
    }
    let odd_utf16 =
        matches!(decoded.encoding, Encoding::Utf16Le | Encoding::Utf16Be) && bytes.len() % 2 == 1;
    if !cut {
        if odd_utf16 {
            item.problem =
                Some("UTF-16 text with an odd number of bytes: the file was cut short".into());
        } else if fields_text.contains(char::REPLACEMENT_CHARACTER) {
            item.problem = Some(
                "text has bytes that are not valid in its encoding: read what could be".into(),
            );
        }
    } else if !recipient_found || s.date_text.is_none() {
        // The read window bit: what is missing may lie past it.
        item.problem = Some(format!(
            "larger than {} KiB and its recipient or date is not in the first {} KiB",
            ITEM_READ_LIMIT >> 10,
            ITEM_READ_LIMIT >> 10
        ).into());
    }
    if let Some(d) = s.date_text {
        match parse_content_date(&d, &opts.zone) {
            Some(t) => {
                item.sent_at = t.utc;
                item.sent_at_source = TimeSource::Content;
                item.local_date = t.local.map(|r| (r.offset, r.fold));
            }
            None => {
                item.problem = Some(format!(
                    "date field '{}' is not a date: the file time was used",
                    excerpt(&d, 40)
                ).into());
            }
        }
    }
}

/// A file time as UTC, or `None` when it is outside what a date can hold
/// (a corrupt or hostile time must not end the scan).
pub fn system_time_utc(t: std::time::SystemTime) -> Option<DateTime<Utc>> {
    let (secs, nanos) = match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).ok()?, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let secs = -i64::try_from(d.as_secs()).ok()?;
            match d.subsec_nanos() {
                0 => (secs, 0),
                n => (secs - 1, 1_000_000_000 - n),
            }
        }
    };
    DateTime::from_timestamp(secs, nanos)
}

/// The text up to the first blank line: up to the first `\n\n` or
/// `\r\n\r\n`, whichever comes first.
fn header_block(text: &str) -> &str {
    text.get(..header_block_len(text.as_bytes()))
        .unwrap_or(text)
}

/// [`header_block`]'s length, in bytes of any ASCII-compatible encoding.
fn header_block_len(b: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', b)
        .find_map(|i| match b.get(i + 1..) {
            Some([b'\n', ..]) => Some(i),
            Some([b'\r', b'\n', ..]) if i > 0 && b.get(i - 1) == Some(&b'\r') => Some(i - 1),
            _ => None,
        })
        .unwrap_or(b.len())
}

/// Whether an item's bytes may be one `sniff` recognises, judged from its
/// first bytes, as they would be decoded: false only when they are UTF-8
/// (with or without BOM) that is neither MIME (whose first line is a
/// header line, `Name:` in ASCII) nor XML (`<` after white space). A byte
/// that is not valid UTF-8 is never a letter, digit, `-`, `:`, `<` or white
/// space once decoded, so the bytes tell as the text would.
fn may_sniff(bytes: &[u8]) -> bool {
    let (encoding, bom) = encoding::detect(bytes);
    if encoding != Encoding::Utf8 {
        return true;
    }
    let b = bytes.get(bom..).unwrap_or_default();
    // As `header_line` reads the first line.
    let name = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
        .count();
    let mime =
        b.first().is_some_and(u8::is_ascii_alphabetic) && name <= 76 && b.get(name) == Some(&b':');
    // As `trim_start` skips white space: past the ASCII white space, a
    // non-ASCII character may be more of it.
    let xml = b
        .iter()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r'))
        .is_some_and(|&c| c == b'<' || !c.is_ascii());
    mime || xml
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

/// A `Name: value` block up to the first blank line, with folded lines joined.
/// A header line is `^[A-Za-z][A-Za-z0-9-]{0,75}:[ \t]*(.*)$`, parsed by hand.
fn sniff_mime(text: &str) -> Option<Sniffed> {
    let mut headers: Vec<(&str, Cow<str>)> = Vec::with_capacity(8);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            let (_, v) = headers.last_mut()?;
            let v = v.to_mut();
            v.push(' ');
            v.push_str(line.trim());
            continue;
        }
        let (name, value) = header_line(line)?;
        headers.push((name, Cow::Borrowed(value.trim())));
    }
    let value = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    };
    let get = |name: &str| value(name).map(str::to_string);
    let class = headers
        .iter()
        .find(|(n, _)| {
            n.len() >= 5
                && n.get(n.len() - 5..)
                    .is_some_and(|end| end.eq_ignore_ascii_case("class"))
        })
        .map(|(_, v)| v.to_string());
    let s = Sniffed {
        format: Some(ItemFormat::Mime),
        date_text: get("Date"),
        recipients: recipients(["To", "Cc"].into_iter().filter_map(value)),
        sender: value("From").and_then(first_address),
        message_class: class,
        subject: get("Subject"),
    };
    let known = s.date_text.is_some()
        || !s.recipients.is_empty()
        || s.sender.is_some()
        || s.message_class.is_some();
    known.then_some(s)
}

/// `Name: value`: a letter, then up to 75 letters, digits or `-`, then `:`.
fn header_line(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if !b.first()?.is_ascii_alphabetic() {
        return None;
    }
    let end = 1 + b
        .iter()
        .skip(1)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
        .count();
    if end > 76 || b.get(end) != Some(&b':') {
        return None;
    }
    Some((line.get(..end)?, line.get(end + 1..)?))
}

/// An EWS-style item, read with the shared tolerant tokenizer rather than
/// an XML parser on purpose: the read window may cut the document, and an
/// item that is not well-formed should still tell what it can. Each field is
/// the first element of its name (any prefix): its text up to the next tag,
/// trimmed, entities decoded; a recipient block counts once it is closed.
fn sniff_xml(text: &str) -> Option<Sniffed> {
    if !text.trim_start().starts_with('<') {
        return None;
    }
    let mut x = XmlItem::default();
    // The element whose text is being read, and that text so far.
    let mut reading: Option<(Field, String)> = None;
    for tok in XmlTokens::new(text) {
        let name = match tok {
            Tok::Text { raw, cdata } => {
                if let Some((_, v)) = reading.as_mut() {
                    v.push_str(&text_of(raw, cdata));
                }
                continue;
            }
            Tok::Start { name, .. } | Tok::End { name } => name,
        };
        // A tag ends the text being read.
        if let Some((field, v)) = reading.take() {
            x.set(field, v.trim());
        }
        match tok {
            Tok::Start { empty: true, .. } => {}
            Tok::Start { .. } => {
                if let Some(block) = Block::of(name) {
                    x.open(block);
                } else if let Some(field) = x.wants(name) {
                    reading = Some((field, String::new()));
                }
            }
            Tok::End { .. } => {
                if let Some(block) = Block::of(name) {
                    x.close(block);
                }
            }
            Tok::Text { .. } => {}
        }
    }
    let s = Sniffed {
        format: Some(ItemFormat::Xml),
        date_text: filled(x.sent).or(filled(x.created)),
        recipients: recipients(x.to.iter().chain(x.cc.iter())),
        sender: filled(x.from).and_then(|v| first_address(&v)),
        message_class: filled(x.class),
        subject: filled(x.subject),
    };
    let known = s.message_class.is_some() || s.date_text.is_some() || !s.recipients.is_empty();
    known.then_some(s)
}

/// A field read empty is a field not told.
fn filled(v: Option<String>) -> Option<String> {
    v.filter(|v| !v.is_empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    To,
    Cc,
    From,
}

impl Block {
    fn of(name: &str) -> Option<Block> {
        match name {
            "ToRecipients" => Some(Block::To),
            "CcRecipients" => Some(Block::Cc),
            "From" => Some(Block::From),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Class,
    Subject,
    Sent,
    Created,
    Address,
}

/// The fields of an EWS-style item as its tokens pass.
#[derive(Debug, Default)]
struct XmlItem {
    class: Option<String>,
    subject: Option<String>,
    sent: Option<String>,
    created: Option<String>,
    /// The `EmailAddress` texts of the first closed block of each kind.
    to: Vec<String>,
    cc: Vec<String>,
    from: Option<String>,
    /// The block open now, and the addresses read in it so far.
    open: Option<(Block, Vec<String>)>,
    /// Blocks already read (only the first of each kind counts).
    done: Vec<Block>,
}

impl XmlItem {
    /// The field `name` holds, if it is one not read yet.
    fn wants(&self, name: &str) -> Option<Field> {
        let (field, slot) = match name {
            "ItemClass" => (Field::Class, &self.class),
            "Subject" => (Field::Subject, &self.subject),
            "DateTimeSent" => (Field::Sent, &self.sent),
            "DateTimeCreated" => (Field::Created, &self.created),
            "EmailAddress" => return self.open.is_some().then_some(Field::Address),
            _ => return None,
        };
        slot.is_none().then_some(field)
    }

    fn set(&mut self, field: Field, v: &str) {
        let slot = match field {
            Field::Class => &mut self.class,
            Field::Subject => &mut self.subject,
            Field::Sent => &mut self.sent,
            Field::Created => &mut self.created,
            Field::Address => {
                if let Some((_, found)) = self.open.as_mut() {
                    found.push(v.to_string());
                }
                return;
            }
        };
        *slot = Some(v.to_string());
    }

    fn open(&mut self, block: Block) {
        if self.open.is_none() && !self.done.contains(&block) {
            self.open = Some((block, Vec::new()));
        }
    }

    fn close(&mut self, block: Block) {
        let Some((open, found)) = self.open.take_if(|(b, _)| *b == block) else {
            return;
        };
        self.done.push(open);
        match open {
            Block::To => self.to = found,
            Block::Cc => self.cc = found,
            Block::From => self.from = found.into_iter().next(),
        }
    }
}

/// The addresses in header values (or EWS mailboxes), in order, each once.
fn recipients<S: AsRef<str>>(values: impl Iterator<Item = S>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        for a in addresses(v.as_ref()) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out
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

    // The regex implementation the sniffers replaced: the oracle they must
    // agree with (on every header block, and on well-formed XML items).
    mod oracle {
        use super::super::{addresses, first_address, ItemFormat, Sniffed};
        use regex::Regex;
        use std::sync::LazyLock;

        static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^([A-Za-z][A-Za-z0-9-]{0,75}):[ \t]*(.*)$").expect("valid regex")
        });

        /// A `Name: value` block up to the first blank line, with folded lines joined.
        fn sniff_mime_oracle(text: &str) -> Option<Sniffed> {
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
                .find(|(n, _)| {
                    n.len() >= 5
                        && n.get(n.len() - 5..)
                            .is_some_and(|end| end.eq_ignore_ascii_case("class"))
                })
                .map(|(_, v)| v.clone());
            let s = Sniffed {
                format: Some(ItemFormat::Mime),
                date_text: get("Date"),
                recipients: each_once(["To", "Cc"].into_iter().filter_map(get)),
                sender: get("From").and_then(|v| first_address(&v)),
                message_class: class,
                subject: get("Subject"),
            };
            let known = s.date_text.is_some()
                || !s.recipients.is_empty()
                || s.sender.is_some()
                || s.message_class.is_some();
            known.then_some(s)
        }

        fn xml_re(element: &str) -> Regex {
            // Any namespace prefix; content up to the next tag.
            Regex::new(&format!(r"<(?:[\w.-]+:)?{element}\b[^>]*>\s*([^<]*?)\s*<"))
                .expect("valid regex")
        }

        fn xml_block_re(element: &str) -> Regex {
            Regex::new(&format!(
                r"(?s)<(?:[\w.-]+:)?{element}\b[^>]*>(.*?)</(?:[\w.-]+:)?{element}\s*>"
            ))
            .expect("valid regex")
        }

        fn each_once(values: impl Iterator<Item = String>) -> Vec<String> {
            let mut out = Vec::new();
            for a in values.flat_map(|v| addresses(&v)) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            out
        }

        struct XmlRes {
            item_class: Regex,
            subject: Regex,
            sent: Regex,
            created: Regex,
            email: Regex,
            to: Regex,
            cc: Regex,
            from: Regex,
        }

        static XML: LazyLock<XmlRes> = LazyLock::new(|| XmlRes {
            item_class: xml_re("ItemClass"),
            subject: xml_re("Subject"),
            sent: xml_re("DateTimeSent"),
            created: xml_re("DateTimeCreated"),
            email: xml_re("EmailAddress"),
            to: xml_block_re("ToRecipients"),
            cc: xml_block_re("CcRecipients"),
            from: xml_block_re("From"),
        });

        /// An EWS-style item. Extracted with tolerant patterns rather than an XML
        /// parser on purpose: the prefix may be cut mid-document, and a spooled item
        /// that is not well-formed should still tell us what it can.
        fn sniff_xml_oracle(text: &str) -> Option<Sniffed> {
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
            let all_in = |block: &Regex| -> Vec<String> {
                let Some(c) = block.captures(text) else {
                    return Vec::new();
                };
                let inner = c.get(1).map_or("", |m| m.as_str());
                x.email
                    .captures_iter(inner)
                    .map(|c| xml_unescape(c.get(1).map_or("", |m| m.as_str())))
                    .collect()
            };
            let s = Sniffed {
                format: Some(ItemFormat::Xml),
                date_text: one(&x.sent, text).or_else(|| one(&x.created, text)),
                recipients: each_once(all_in(&x.to).into_iter().chain(all_in(&x.cc))),
                sender: address_in(&x.from),
                message_class: one(&x.item_class, text),
                subject: one(&x.subject, text),
            };
            let known =
                s.message_class.is_some() || s.date_text.is_some() || !s.recipients.is_empty();
            known.then_some(s)
        }

        fn xml_unescape(s: &str) -> String {
            s.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        }

        pub fn sniff(text: &str) -> Sniffed {
            sniff_mime_oracle(text)
                .or_else(|| sniff_xml_oracle(text))
                .unwrap_or_default()
        }
    }

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
        assert_eq!(s.recipient(), Some("bob@contoso.com"));
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
        assert_eq!(s.recipient(), Some("bob@contoso.com"));
    }

    #[test]
    fn xml_item_any_prefix() {
        for doc in [XML_ITEM.to_string(), XML_ITEM.replace("t:", "")] {
            let s = sniff(&doc);
            assert_eq!(s.format, Some(ItemFormat::Xml));
            assert_eq!(s.recipient(), Some("bob@contoso.com"));
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
        assert_eq!(s.recipient(), None);
    }

    #[test]
    fn every_recipient_in_to_and_cc_once() {
        let s = sniff(
            "To: \"Smith, Bob\" <sip:bob@contoso.com>, Team: carol@contoso.com;\r\n\
             Cc: <sip:Bob@Contoso.com>, dave@fabrikam.com\r\nFrom: \"Wong, Alice\" \
             <sip:alice@contoso.com>\r\n\r\n",
        );
        assert_eq!(
            s.recipients,
            ["bob@contoso.com", "carol@contoso.com", "dave@fabrikam.com"]
        );
        assert_eq!(s.sender.as_deref(), Some("alice@contoso.com"));
        // An item with only a Cc has that as its recipient.
        assert_eq!(sniff("Cc: <sip:x@y.org>\r\n").recipient(), Some("x@y.org"));
        let xml = XML_ITEM.replace(
            "</t:Mailbox></t:ToRecipients>",
            "</t:Mailbox><t:Mailbox><t:EmailAddress>carol@contoso.com</t:EmailAddress>\
             </t:Mailbox></t:ToRecipients><t:CcRecipients><t:Mailbox><t:EmailAddress>\
             dave@fabrikam.com</t:EmailAddress></t:Mailbox></t:CcRecipients>",
        );
        assert_eq!(
            sniff(&xml).recipients,
            ["bob@contoso.com", "carol@contoso.com", "dave@fabrikam.com"]
        );
    }

    #[test]
    fn prose_is_not_an_item_format() {
        assert_eq!(sniff("hello there\nthis is not mail").format, None);
        assert_eq!(sniff("<html><body>x</body></html>").format, None);
    }

    /// One of `frags`, drawn by a xorshift step of `seed`: the random
    /// splices of the agreement tests, the same on every run.
    fn pick<'f, T: ?Sized>(seed: &mut u64, frags: &[&'f T]) -> &'f T {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        frags[(*seed % frags.len() as u64) as usize]
    }

    /// The sniffers agree with the regexes they replaced on the sample shapes
    /// and on header blocks; on random splices of tag fragments (not XML,
    /// where the tokenizer's reading of a broken tag is its own) they agree
    /// whenever either finds a header block, and what they call XML never
    /// holds a recipient that is not an address.
    #[test]
    fn sniff_agrees_with_the_regex_oracle() {
        let mut docs: Vec<String> = vec![
            MIME.into(),
            XML_ITEM.into(),
            XML_ITEM.replace("t:", ""),
            "<t:ToRecipients><t:EmailAddress>x@y.z</t:EmailAddress></t:ToRecipients >".into(),
            "<ToRecipients:ToRecipients><EmailAddress> a@b.c </EmailAddress></ToRecipients:ToRecipients\t>".into(),
            "<ItemClass>never closed".into(),
            "To: <sip:a@b.c>\r\nX-Long-Name-".to_string() + &"a".repeat(80) + ": v\r\n",
            "To: <sip:a@b.c>\r\n\tfolded@x.y\r\nDate: Mon, 23 Nov 2026 09:14:03 +0000\r\n".into(),
            " To: x".into(),
            "9To: x".into(),
            "To : x".into(),
            "Subject:\u{a0}hi\u{a0}\r\nX-Class:c\r\n\r\nTo: late@x.y".into(),
        ];
        let named = docs.len();
        let frags = [
            "<",
            ">",
            "</",
            "t:",
            "x.y-z:",
            ":",
            " ",
            "\t",
            "\n",
            "\r\n",
            "é",
            "\u{301}",
            "_",
            ".",
            "ItemClass",
            "Subject",
            "DateTimeSent",
            "DateTimeCreated",
            "EmailAddress",
            "From",
            "ToRecipients",
            "IPM.Note",
            "a@b.c",
            "sip:Bob@X.com",
            "&amp;",
            "2026-11-23T09:14:03Z",
            "To",
            "Date",
            "X-MS-Message-Class",
            "Mon, 23 Nov 2026 09:14:03 +0000",
            "<t:ItemClass>",
            "</t:ItemClass>",
            "<ItemClass x=\"1\">",
            "<t:DateTimeSent>",
            "<DateTimeCreated>",
            "<t:ToRecipients>",
            "</t:ToRecipients >",
            "<ToRecipients>",
            "</ToRecipients>",
            "<t:From>",
            "</From>",
            "<a.b:From\t/>",
            "<t:EmailAddress>",
            "</t:EmailAddress>",
            "<EmailAddress>",
            "<t:Subject>",
            "</Subject>",
        ];
        let starts = ["", "<", "<t:Message>", "To: ", "Date: x\r\n"];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for i in 0..40_000 {
            let mut d = String::from(starts[i % starts.len()]);
            let n = 1 + (seed % 24) as usize;
            for _ in 0..n {
                d.push_str(pick(&mut seed, &frags));
            }
            docs.push(d);
        }
        let mut found = [0usize; 4];
        for (i, d) in docs.iter().enumerate() {
            let got = sniff(d);
            let want = oracle::sniff(d);
            let xml = |s: &Sniffed| s.format == Some(ItemFormat::Xml);
            if i < named || !(xml(&got) || xml(&want)) {
                assert_eq!(got, want, "{d:?}");
            } else {
                assert!(got.recipients.iter().all(|r| r.contains('@')), "{d:?}");
            }
            found[0] += usize::from(got.format == Some(ItemFormat::Xml));
            found[1] += usize::from(got.format == Some(ItemFormat::Mime));
            found[2] += usize::from(got.recipient().is_some());
            found[3] += usize::from(got.message_class.is_some() || got.date_text.is_some());
        }
        // The random documents reach every branch many times.
        assert!(found.iter().all(|&n| n > 200), "{found:?}");
    }

    /// Well-formed EWS items of random shape (prefixes, field order, empty
    /// and repeated fields, several blocks and mailboxes, entities): the
    /// tokenizer reads them as the regexes did.
    #[test]
    fn well_formed_xml_items_read_as_the_regex_oracle_reads_them() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let prefixes = ["", "t:", "x.y-z:"];
        let texts = [
            "",
            " ",
            "IPM.Note",
            "IM.Note.MissedConversation",
            "Hi &amp; bye",
            "2026-11-23T09:14:03Z",
            " a@b.c ",
            "sip:Bob@X.com",
            "&lt;Carol&gt; carol@contoso.com",
        ];
        let fields = ["ItemClass", "Subject", "DateTimeSent", "DateTimeCreated", "Body"];
        let blocks = ["ToRecipients", "CcRecipients", "From"];
        let mut found = [0usize; 3];
        for _ in 0..20_000 {
            let p = pick(&mut seed, &prefixes);
            let mut d = format!("<?xml version=\"1.0\"?>\n<{p}Message>");
            for _ in 0..1 + seed % 7 {
                if seed % 3 == 0 {
                    let b = pick(&mut seed, &blocks);
                    d.push_str(&format!("<{p}{b}>"));
                    for _ in 0..seed % 3 {
                        let t = pick(&mut seed, &texts);
                        d.push_str(&format!(
                            "<{p}Mailbox><{p}EmailAddress>{t}</{p}EmailAddress></{p}Mailbox>"
                        ));
                    }
                    d.push_str(&format!("</{p}{b}>"));
                } else {
                    let f = pick(&mut seed, &fields);
                    let t = pick(&mut seed, &texts);
                    d.push_str(&format!("<{p}{f}>{t}</{p}{f}>\n"));
                }
            }
            d.push_str(&format!("</{p}Message>"));
            let got = sniff(&d);
            assert_eq!(got, oracle::sniff(&d), "{d:?}");
            found[0] += usize::from(got.recipient().is_some());
            found[1] += usize::from(got.sender.is_some());
            found[2] += usize::from(got.message_class.is_some() && got.date_text.is_some());
        }
        assert!(found.iter().all(|&n| n > 500), "{found:?}");
    }

    /// Broken XML the tokenizer reads its own way: a broken tag is stepped
    /// over, a field not followed by a tag is not read, an open block not
    /// closed names nobody, and only the first element of a name counts.
    #[test]
    fn broken_xml_items_are_read_for_what_they_tell() {
        let s = sniff("<ItemClass a<b>x<ItemClass>IPM</ItemClass>");
        assert_eq!(s.message_class.as_deref(), Some("IPM"));
        assert_eq!(sniff("<ItemClass>never closed").format, None);
        let s = sniff("<ItemClass>IPM</ItemClass><ToRecipients><EmailAddress>a@b.c</EmailAddress>");
        assert_eq!((s.message_class.as_deref(), s.recipient()), (Some("IPM"), None));
        let s = sniff("<ItemClassé>x</ItemClassé><t:ItemClass>IPM</t:ItemClass><ItemClass>2</ItemClass>");
        assert_eq!(s.message_class.as_deref(), Some("IPM"));
        let s = sniff("<é.-:ItemClass a='>'>yes</é.-:ItemClass>");
        assert_eq!(s.message_class.as_deref(), Some("yes"));
        let s = sniff("<From><EmailAddress>sip:A@B.c</EmailAddress></From><ItemClass>c</ItemClass>");
        assert_eq!(s.sender.as_deref(), Some("a@b.c"));
        assert_eq!(sniff("<Subject>&#233;t&#xE9;</Subject><ItemClass>c</ItemClass>").subject.as_deref(), Some("été"));
    }

    /// An item `may_sniff` turns away is one `sniff` finds nothing in,
    /// whatever its bytes; and the shapes it lets through are found.
    #[test]
    fn may_sniff_turns_away_only_what_sniff_would() {
        let starts: [&[u8]; 16] = [
            b"",
            b"OIM\x00\x02\x00",
            b"To: ",
            b"To : ",
            b"X-Ms-Class:",
            b"9To: ",
            b" To: ",
            b"\r\n",
            b"<",
            b" \t\x0B\x0C\r\n<",
            b"\xC2\x85<",
            b"\xE3\x80\x80<t:ItemClass>IPM</t:ItemClass>",
            b"\xEF\xBB\xBFTo: a@b.c\r\n",
            b"\xEF\xBB\xBF<ItemClass>x<",
            b"\xFF\xFEx",
            b"\xC3\x28To: a@b.c\r\n",
        ];
        let frags: [&[u8]; 12] = [
            b"a@b.c",
            b"\r\n",
            b"\n",
            b":",
            b"<ItemClass>IPM<",
            b"Date: Mon, 23 Nov 2026 09:14:03 +0000\r\n",
            b"\x00",
            b"\xFF",
            b"\xC3",
            b"\xA9",
            b"-",
            b" ",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let (mut turned_away, mut let_through) = (0, 0);
        for i in 0..20_000 {
            let mut d = starts[i % starts.len()].to_vec();
            for _ in 0..1 + seed % 12 {
                d.extend_from_slice(pick(&mut seed, &frags));
            }
            let found = sniff(&encoding::decode(&d).text).format.is_some();
            if may_sniff(&d) {
                let_through += usize::from(found);
            } else {
                assert!(!found, "{:?}", String::from_utf8_lossy(&d));
                turned_away += 1;
            }
        }
        assert!(
            turned_away > 2000 && let_through > 2000,
            "{turned_away} {let_through}"
        );
        assert!(may_sniff(MIME.as_bytes()) && may_sniff(XML_ITEM.as_bytes()));
    }

    /// Rough cost of sniffing items, run by hand on a folder of items (e.g.
    /// `examples/gen_corpus.rs`'s spooler):
    /// `OIMDIAG_BENCH_ITEMS=DIR cargo test --release --lib -- --ignored --nocapture sniff_throughput`
    #[test]
    #[ignore = "benchmark, run by hand (needs OIMDIAG_BENCH_ITEMS); CI skips it"]
    fn sniff_throughput() {
        let dir = std::env::var("OIMDIAG_BENCH_ITEMS").expect("OIMDIAG_BENCH_ITEMS=DIR");
        let items: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .map(|mut b| {
                b.truncate(ITEM_READ_LIMIT);
                b
            })
            .collect();
        let mut best = f64::MAX;
        let mut found = 0;
        for _ in 0..7 {
            let t = std::time::Instant::now();
            found = 0;
            for b in &items {
                if may_sniff(b) {
                    let s = sniff(&encoding::decode(b).text);
                    found += usize::from(s.recipient().is_some());
                    std::hint::black_box(s);
                }
            }
            best = best.min(t.elapsed().as_secs_f64());
        }
        eprintln!(
            "{} items ({found} with a recipient): best of 7 {:.1} ms, {:.2} µs an item",
            items.len(),
            best * 1e3,
            best * 1e6 / items.len() as f64
        );
    }

    #[test]
    fn header_block_ends_at_the_first_blank_line() {
        assert_eq!(
            header_block("A: 1\r\nB: 2\r\n\r\nbody\n\nmore"),
            "A: 1\r\nB: 2"
        );
        assert_eq!(header_block("A: 1\nB: 2\n\nbody\r\n\r\n"), "A: 1\nB: 2");
        assert_eq!(header_block("A: 1\r\n\nbody"), "A: 1\r");
        assert_eq!(header_block("\n\nbody"), "");
        assert_eq!(header_block("\r\n\r\nbody"), "");
        assert_eq!(header_block("A: 1\r\n"), "A: 1\r\n");
        assert_eq!(header_block("A: 1"), "A: 1");
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
        assert_eq!(sniff("To: <abcé@x>\r\n").recipient(), Some("abcé@x"));
    }
}
