//! tracerpt CSV exports of the client's ETL traces
//! (`tracerpt Lync-UccApi-0.etl -of CSV -o out.csv`). Columns are ASSUMED
//! (BRIEF §3.5), so the reader is header-driven: the first non-empty row names
//! the columns; the time comes from `Clock-Time` (or a column named like a
//! time stamp), the text from `User Data` (or the last column), the level from
//! `Level` or `Type`. Each data row becomes one `Record`.
//!
//! RFC 4180 quoting: quoted fields may hold commas, doubled quotes and line
//! breaks. Rows are assembled from `LineReader` lines (so UTF-16, CRLF and the
//! line-length cap are handled there) and capped in size, so memory stays
//! bounded whatever the file holds.

use crate::scan::lines::LineReader;
use crate::signatures::TypeWords;
use chrono::{DateTime, NaiveDateTime, Utc};
use oimdiag_vocab::events::{Clock, ReadStats, Record};
use oimdiag_vocab::timefmt::{local_date, parse_content_date, Dated};
use oimdiag_vocab::timezone::LocalZone;
use std::io::{self, Read};

/// A row stops growing past this many bytes of field content.
pub const MAX_ROW_BYTES: usize = 1024 * 1024;
/// A row stops growing past this many physical lines; the rest are dropped.
pub const MAX_ROW_LINES: u64 = 4096;

/// FILETIME ticks (100 ns) between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH_SECS: i64 = 11_644_473_600;
/// FILETIMEs before this year are not wall-clock times (relative or QPC
/// stamps, zeros): reported as unreadable rather than as 1601.
const MIN_PLAUSIBLE_YEAR: i32 = 1980;
/// Past this year a FILETIME is garbage (and would not print as RFC 3339).
const MAX_PLAUSIBLE_YEAR: i32 = 9999;

/// Reads a tracerpt CSV export, calling `on_record` for each data row.
/// Local date strings (no offset) are read by `zone`. Never fails on content;
/// only I/O errors are returned.
pub fn read_records<R: Read>(
    reader: R,
    zone: &LocalZone,
    words: &TypeWords,
    on_record: &mut dyn FnMut(Record),
) -> io::Result<ReadStats> {
    let mut lines = LineReader::new(reader)?;
    let mut stats = ReadStats::default();
    let mut columns: Option<Columns> = None;
    let mut row = RowBuilder::default();

    while let Some(line) = lines.next_line()? {
        if line.lossy {
            stats.lossy_lines += 1;
        }
        if line.ansi {
            stats.ansi_lines += 1;
        }
        if line.cut {
            stats.cut_lines += 1;
        }
        if !row.active() && line.text.trim().is_empty() {
            // Blank lines between rows are not rows.
            continue;
        }
        if !row.feed(line.number, line.text) {
            continue;
        }
        let done = row.take();
        stats.dropped_lines += done.dropped;
        match &mut columns {
            None if done.fields.iter().all(|f| f.trim().is_empty()) => {}
            None => columns = Some(Columns::from_header(&done.fields)),
            Some(c) => {
                if c.time.is_none() {
                    c.time_by_shape(&done.fields, &mut stats);
                }
                emit(c, done, zone, words, &mut stats, on_record)
            }
        }
    }
    if row.active() {
        // An opening quote never closed: keep what was read, say it was malformed.
        stats.malformed_lines += 1;
        let done = row.take();
        stats.dropped_lines += done.dropped;
        if let Some(c) = &columns {
            emit(c, done, zone, words, &mut stats, on_record);
        }
    }
    Ok(stats)
}

fn emit(
    columns: &Columns,
    row: Row,
    zone: &LocalZone,
    words: &TypeWords,
    stats: &mut ReadStats,
    on_record: &mut dyn FnMut(Record),
) {
    if row.fields.iter().all(|f| f.trim().is_empty()) {
        return;
    }
    let dated = columns
        .time
        .and_then(|i| row.fields.get(i))
        .and_then(|s| parse_time(s, zone));
    let (time, clock) = match dated {
        None => {
            stats.bad_times += 1;
            (None, Clock::None)
        }
        Some(Dated {
            utc,
            local: Some(r),
        }) => {
            stats.zone.note(&r);
            (Some(utc), Clock::Local { offset: r.offset })
        }
        Some(Dated { utc, local: None }) => (Some(utc), Clock::Absolute),
    };
    let level = columns.level(&row.fields, words, stats);
    let text = columns.text(&row.fields);
    let mut parts = text.split('\n');
    let first = parts.next().unwrap_or("").trim().to_string();
    let continuation: Vec<String> = parts.map(|l| l.trim_end().to_string()).collect();
    stats.records += 1;
    on_record(Record {
        line: row.start_line,
        time,
        clock,
        level,
        text: first,
        continuation,
    });
}

/// Which columns hold what, found by header name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Columns {
    time: Option<usize>,
    text: usize,
    /// The text column is the last header column: extra trailing fields
    /// (tracerpt writes one per payload item) belong to it.
    text_is_last: bool,
    level: Option<usize>,
    kind: Option<usize>,
    /// Columns in the header.
    width: usize,
}

/// tracerpt's own layout (BRIEF §3.5): `Event Name, Type, ..., Level, ...,
/// Clock-Time, Kernel(ms), User(ms), User Data`, in any language.
const CANONICAL_WIDTH: usize = 20;
const CANONICAL_TYPE: usize = 1;
const CANONICAL_LEVEL: usize = 5;
const CANONICAL_CLOCK: usize = 16;
/// A header of fewer columns is not told by its shape.
const MIN_SHAPE_WIDTH: usize = 8;

/// A FILETIME as tracerpt writes it: 15 to 19 digits, a plausible date.
fn is_filetime(field: &str) -> bool {
    let t = field.trim();
    (15..=19).contains(&t.len())
        && t.bytes().all(|b| b.is_ascii_digit())
        && t.parse::<u64>().ok().and_then(filetime).is_some()
}

/// Whether `text` (a file's start) is a tracerpt CSV by its shape, whatever
/// the language of its header (tracerpt translates it): a header of at
/// least 8 names, then a row at least as wide with a FILETIME before its
/// last column (the text, which spills over further columns unquoted).
pub fn recognises_by_shape(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return false;
    };
    let width = header.split(',').count();
    if width < MIN_SHAPE_WIDTH || header.split(',').any(is_filetime) {
        return false;
    }
    lines.take(32).any(|l| {
        let fields: Vec<&str> = l.split(',').collect();
        fields.len() >= width && fields.iter().take(width - 1).any(|f| is_filetime(f))
    })
}

impl Columns {
    /// A header whose time column has no name oimdiag knows (a translated
    /// one): the first FILETIME of a row, before the text column, is it;
    /// in tracerpt's own layout the level and type columns are known by
    /// place too. Tried row by row until a row has one.
    fn time_by_shape(&mut self, fields: &[String], stats: &mut ReadStats) {
        let Some(i) = fields
            .iter()
            .take(self.width.saturating_sub(1))
            .position(|f| is_filetime(f))
        else {
            return;
        };
        self.time = Some(i);
        stats.columns_by_shape = true;
        if self.width == CANONICAL_WIDTH && i == CANONICAL_CLOCK {
            self.level = self.level.or(Some(CANONICAL_LEVEL));
            self.kind = self.kind.or(Some(CANONICAL_TYPE));
        }
    }

    fn from_header(fields: &[String]) -> Columns {
        let names: Vec<String> = fields.iter().map(|f| norm_name(f)).collect();
        let find = |want: &[&str]| -> Option<usize> {
            want.iter().find_map(|w| names.iter().position(|n| n == w))
        };
        let time = find(&["clocktime"])
            .or_else(|| find(&["timestamp", "time", "datetime", "systemtime"]))
            .or_else(|| names.iter().position(|n| n.contains("timestamp")))
            .or_else(|| {
                names
                    .iter()
                    .position(|n| n.contains("time") && !n.contains("ms"))
            });
        let last = names.len().saturating_sub(1);
        let text = find(&["userdata"]).unwrap_or(last);
        Columns {
            time,
            text,
            text_is_last: text == last,
            level: find(&["level"]),
            kind: find(&["type"]),
            width: names.len(),
        }
    }

    fn text(&self, fields: &[String]) -> String {
        if self.text_is_last {
            let rest: Vec<&str> = fields
                .get(self.text..)
                .unwrap_or(&[])
                .iter()
                .map(|f| f.trim())
                .collect();
            let used = rest
                .iter()
                .rposition(|f| !f.is_empty())
                .map_or(0, |i| i + 1);
            rest.get(..used).unwrap_or(&[]).join(", ")
        } else {
            fields
                .get(self.text)
                .map(|f| f.trim().to_string())
                .unwrap_or_default()
        }
    }

    /// A known level word from `Level`, else from `Type`; else the raw
    /// non-numeric value of either. A `Type` word the table does not know,
    /// on a row without a `Level`, is counted in `stats`.
    fn level(&self, fields: &[String], words: &TypeWords, stats: &mut ReadStats) -> Option<String> {
        let get = |i: Option<usize>| {
            i.and_then(|i| fields.get(i))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
        };
        let level = get(self.level);
        let kind = get(self.kind);
        let known = |s: &str| level_word(s, words);
        // Only where the Type word is all there is to go by: with a Level
        // (tracerpt writes a number), Type is the event's type (`Header`,
        // `Start`), not a level.
        if let (None, Some(k)) = (level, kind) {
            if known(k).is_none() && !k.bytes().all(|b| b.is_ascii_digit()) {
                stats.unknown_types.note(k);
            }
        }
        level
            .and_then(known)
            .or_else(|| kind.and_then(known))
            .or_else(|| {
                level
                    .filter(|s| !s.bytes().all(|b| b.is_ascii_digit()))
                    .map(|s| s.to_ascii_uppercase())
            })
    }
}

/// `Clock-Time` → `clocktime`, `User Data` → `userdata`, `Kernel(ms)` → `kernelms`.
fn norm_name(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Maps ETW level numbers and `Type` words to the words UccApilog uses.
/// The numbers are ETW's; the words are data (the signature file's
/// `tracerpt_type_words`), since tracerpt translates them on non-English
/// Windows and the translations are ASSUMED. The level decides nothing: an
/// unknown word only leaves a record without one (and is noted).
fn level_word(s: &str, words: &TypeWords) -> Option<String> {
    let w = match s.trim() {
        "1" => "FATAL",
        "2" => "ERROR",
        "3" => "WARNING",
        "4" => "INFO",
        "5" => "VERBOSE",
        word => words.level(word)?,
    };
    Some(w.to_string())
}

/// A FILETIME integer or a date string; strings without offset are local
/// times read by `zone`.
pub fn parse_time(s: &str, zone: &LocalZone) -> Option<Dated> {
    parse_time_unbounded(s, zone).filter(|d| oimdiag_vocab::timefmt::plausible(d.utc))
}

fn parse_time_unbounded(s: &str, zone: &LocalZone) -> Option<Dated> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return filetime(t.parse::<u64>().ok()?).map(|utc| Dated { utc, local: None });
    }
    if let Some(d) = parse_content_date(t, zone) {
        return Some(d);
    }
    for fmt in [
        "%m/%d/%Y %H:%M:%S%.f",
        "%m/%d/%Y|%H:%M:%S%.f",
        "%m/%d/%Y %I:%M:%S%.f %p",
        "%m/%d/%Y %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return local_date(&n, zone);
        }
    }
    None
}

/// 100 ns ticks since 1601-01-01 UTC.
pub fn filetime(ticks: u64) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(ticks / 10_000_000).ok()? - FILETIME_UNIX_EPOCH_SECS;
    let nanos = u32::try_from((ticks % 10_000_000) * 100).ok()?;
    let d = DateTime::from_timestamp(secs, nanos)?;
    use chrono::Datelike;
    (MIN_PLAUSIBLE_YEAR..=MAX_PLAUSIBLE_YEAR)
        .contains(&d.year())
        .then_some(d)
}

/// `s` around the ASCII byte at `at` (a `memchr` hit): what is before it,
/// the byte, what is after it. Both parts start on character boundaries.
fn split_at_ascii(s: &str, at: Option<usize>) -> Option<(&str, u8, &str)> {
    let (before, from) = s.split_at_checked(at?)?;
    let b = *from.as_bytes().first()?;
    Some((before, b, from.get(1..)?))
}

/// One assembled row.
struct Row {
    start_line: u64,
    fields: Vec<String>,
    /// Physical lines whose content was not kept, in whole or in part (row caps).
    dropped: u64,
}

/// Assembles one CSV row from physical lines, keeping quote state across them.
#[derive(Default)]
struct RowBuilder {
    fields: Vec<String>,
    field: String,
    start_line: u64,
    /// Physical lines fed into this row.
    lines: u64,
    bytes: usize,
    in_quotes: bool,
    /// Content is no longer kept (a cap was reached); quote state still is.
    full: bool,
    /// Physical lines that lost content to a cap, in whole or in part.
    overflowed_lines: u64,
    /// The line being fed is already counted in `overflowed_lines`.
    line_overflowed: bool,
}

impl RowBuilder {
    /// A row is under way (started and not yet complete).
    fn active(&self) -> bool {
        self.lines > 0
    }

    /// Feeds one physical line; true when the row is complete.
    fn feed(&mut self, number: u64, text: &str) -> bool {
        self.line_overflowed = false;
        if self.lines == 0 {
            self.start_line = number;
        } else {
            // Still inside a quoted field: the line break is part of it.
            self.push("\n");
        }
        self.lines += 1;
        if self.lines > MAX_ROW_LINES {
            self.full = true;
        }
        if self.full {
            self.overflow_line();
        }
        let mut rest = text;
        while !rest.is_empty() {
            if self.in_quotes {
                match split_at_ascii(rest, memchr::memchr(b'"', rest.as_bytes())) {
                    None => {
                        self.push(rest);
                        rest = "";
                    }
                    Some((before, _, after)) => {
                        self.push(before);
                        match after.strip_prefix('"') {
                            Some(r) => {
                                self.push("\"");
                                rest = r;
                            }
                            None => {
                                self.in_quotes = false;
                                rest = after;
                            }
                        }
                    }
                }
            } else {
                match split_at_ascii(rest, memchr::memchr2(b'"', b',', rest.as_bytes())) {
                    None => {
                        self.push(rest);
                        rest = "";
                    }
                    Some((before, sep, after)) => {
                        self.push(before);
                        if sep == b',' {
                            self.end_field();
                        } else if self.field.trim().is_empty() {
                            // Opening quote (tracerpt pads fields with spaces first).
                            self.field.clear();
                            self.in_quotes = true;
                        } else {
                            // A stray quote inside an unquoted field: literal.
                            self.push("\"");
                        }
                        rest = after;
                    }
                }
            }
        }
        if self.in_quotes {
            return false;
        }
        self.end_field();
        true
    }

    fn push(&mut self, s: &str) {
        if self.full {
            return;
        }
        let room = MAX_ROW_BYTES.saturating_sub(self.bytes);
        if s.len() > room {
            let mut cut = room;
            while cut > 0 && !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.field.push_str(s.get(..cut).unwrap_or_default());
            self.bytes += cut;
            self.full = true;
            // The cap may fall on the row's last line: that line lost content too.
            self.overflow_line();
        } else {
            self.field.push_str(s);
            self.bytes += s.len();
        }
    }

    /// Counts the line being fed as one that lost content, once.
    fn overflow_line(&mut self) {
        if !self.line_overflowed {
            self.line_overflowed = true;
            self.overflowed_lines += 1;
        }
    }

    fn end_field(&mut self) {
        let f = std::mem::take(&mut self.field);
        self.fields.push(f);
    }

    fn take(&mut self) -> Row {
        if self.in_quotes {
            self.end_field();
        }
        let row = Row {
            start_line: self.start_line,
            fields: std::mem::take(&mut self.fields),
            dropped: self.overflowed_lines,
        };
        *self = RowBuilder::default();
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SecondsFormat;
    use oimdiag_vocab::timefmt::{parse_utc_offset, rfc3339};

    fn words() -> TypeWords {
        crate::signatures::Signatures::builtin()
            .type_words()
            .clone()
    }

    const HEADER: &str = "Event Name,   Type,   Event ID,   Version,   Channel,   Level,   Opcode,   Task,   Keyword,   PID,   TID,   Processor Number,   Instance ID,   Parent Instance ID,   Activity ID,   Related Activity ID,   Clock-Time,   Kernel(ms),   User(ms),   User Data";

    fn utc() -> LocalZone {
        chrono::FixedOffset::east_opt(0).unwrap().into()
    }

    fn read(bytes: &[u8], zone: LocalZone) -> (Vec<Record>, ReadStats) {
        let mut v = Vec::new();
        let stats = read_records(bytes, &zone, &words(), &mut |r| v.push(r)).unwrap();
        (v, stats)
    }

    fn row(kind: &str, level: &str, clock: &str, data: &str) -> String {
        format!(
            "UccApi,   {kind},   0,   0,   0,   {level},   0,   0,   0x0000000000000000,   0x00001F68,   0x00000C14,   0,   ,   ,   {{00000000-0000-0000-0000-000000000000}},   ,   {clock},   0,   0,   {data}"
        )
    }

    fn utf16le(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn filetime_maps_to_exact_utc() {
        let t = filetime(133_456_789_012_345_678).unwrap();
        assert_eq!(
            t.to_rfc3339_opts(SecondsFormat::Nanos, true),
            "2023-11-28T21:01:41.234567800Z"
        );
        assert!(filetime(0).is_none());
        assert!(filetime(u64::MAX).is_none());
    }

    #[test]
    fn realistic_rows_with_filetime() {
        let csv = format!(
            "{HEADER}\r\n{}\r\n{}\r\n",
            row(
                "Error",
                "2",
                "133456789012345678",
                "\"OfflineIM: message 42 failed: EWS returned 401 Unauthorized\""
            ),
            row(
                "Info",
                "4",
                "133456789022345678",
                "\"EWS Information: EWS Status OK\""
            )
        );
        let (v, stats) = read(csv.as_bytes(), utc());
        assert_eq!(v.len(), 2);
        assert_eq!(stats.records, 2);
        assert_eq!(
            stats,
            ReadStats {
                records: 2,
                ..ReadStats::default()
            }
        );
        assert_eq!(v[0].line, 2);
        assert_eq!(
            v[0].text,
            "OfflineIM: message 42 failed: EWS returned 401 Unauthorized"
        );
        assert_eq!(v[0].level.as_deref(), Some("ERROR"));
        assert!(v[0].continuation.is_empty());
        assert_eq!(
            v[0].time
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Nanos, true),
            "2023-11-28T21:01:41.234567800Z"
        );
        assert_eq!(v[1].line, 3);
        assert_eq!(v[1].level.as_deref(), Some("INFO"));
        assert_eq!(rfc3339(v[1].time.unwrap()), "2023-11-28T21:01:42Z");
    }

    #[test]
    fn date_string_clock_times() {
        let plus1: LocalZone = parse_utc_offset("+01:00").unwrap().into();
        let want = "2026-11-23T09:12:59Z";
        for clock in [
            "2026-11-23T09:12:59Z",
            "2026-11-23T10:12:59+01:00",
            "2026-11-23 10:12:59",
            "2026-11-23 10:12:59.144",
            "11/23/2026 10:12:59",
            "11/23/2026|10:12:59.144",
            "11/23/2026 10:12:59 AM",
        ] {
            let csv = format!("{HEADER}\n{}\n", row("Info", "4", clock, "\"x\""));
            let (v, stats) = read(csv.as_bytes(), plus1.clone());
            assert_eq!(stats.bad_times, 0, "{clock}");
            assert_eq!(rfc3339(v[0].time.unwrap()), want, "{clock}");
        }
    }

    /// tracerpt's header on German Windows (names ASSUMED: translated, so
    /// only the shape may be relied on).
    const HEADER_DE: &str = "Ereignisname,   Typ,   Ereignis-ID,   Version,   Kanal,   Ebene,   Vorgangscode,   Aufgabe,   Schlüsselwort,   PID,   TID,   Prozessornummer,   Instanz-ID,   Übergeordnete Instanz-ID,   Aktivitäts-ID,   Zugehörige Aktivitäts-ID,   Taktzeit,   Kernel(ms),   Benutzer(ms),   Benutzerdaten";

    #[test]
    fn a_translated_header_is_read_by_its_shape() {
        let rows = |kinds: [&str; 3]| {
            format!(
                "{}\r\n{}\r\n{}\r\n",
                row(kinds[0], "2", "133456789012345678", "\"OfflineIM: message 42 failed: EWS returned 401 Unauthorized\""),
                // Unquoted user data spilled over two columns.
                row(kinds[1], "4", "133456789022345678", "Autodiscover: EWS internal URL https://mail.contoso.com/EWS/Exchange.asmx, external URL https://owa.contoso.com/EWS/Exchange.asmx"),
                // No level number: the (translated) type word tells it.
                row(kinds[2], "", "133456789032345678", "\"EWS Information: EWS Status OK\""),
            )
        };
        let en = format!("{HEADER}\r\n{}", rows(["Error", "Information", "Warning"]));
        let de = format!(
            "{HEADER_DE}\r\n{}",
            rows(["Fehler", "Informationen", "Warnung"])
        );
        let (want, want_stats) = read(en.as_bytes(), utc());
        let (got, got_stats) = read(de.as_bytes(), utc());
        assert_eq!(got, want);
        assert_eq!(got[2].level.as_deref(), Some("WARNING"));
        assert!(
            got[1].text.contains(".asmx, external URL"),
            "{}",
            got[1].text
        );
        assert!(got_stats.columns_by_shape && !want_stats.columns_by_shape);
        assert_eq!(
            ReadStats {
                columns_by_shape: false,
                ..got_stats
            },
            want_stats
        );
        assert!(recognises_by_shape(&de) && recognises_by_shape(&en));
        // A table of words and small numbers is not a trace.
        assert!(!recognises_by_shape("a,b,c,d,e,f,g,h\n1,2,3,4,5,6,7,8\n"));
        assert!(!recognises_by_shape(
            "Identity,EnableOfflineIM\nGlobal,True\n"
        ));
    }

    #[test]
    fn quoting_commas_doubled_quotes_and_newlines() {
        let csv = format!(
            "{HEADER}\n{}\n{}\n",
            row(
                "Info",
                "4",
                "133456789012345678",
                "\"Autodiscover: EWS internal URL https://mail.contoso.com/EWS/Exchange.asmx, said \"\"OK\"\"\nsecond line, with comma\r\nthird\""
            ),
            row("Info", "4", "133456789012345678", "\"after\"")
        );
        let (v, stats) = read(csv.as_bytes(), utc());
        assert_eq!(stats.records, 2);
        assert_eq!(
            v[0].text,
            "Autodiscover: EWS internal URL https://mail.contoso.com/EWS/Exchange.asmx, said \"OK\""
        );
        assert_eq!(v[0].continuation, ["second line, with comma", "third"]);
        assert_eq!(v[0].line, 2);
        // The next row starts after the three physical lines of the first.
        assert_eq!(v[1].line, 5);
        assert_eq!(v[1].text, "after");
    }

    #[test]
    fn utf16le_with_bom_reads_like_utf8() {
        let csv = format!(
            "{HEADER}\r\n{}\r\n{}\r\n",
            row(
                "Info",
                "4",
                "133456789012345678",
                "\"héllo, \"\"wörld\"\"\r\nnext\""
            ),
            row(
                "Warning",
                "3",
                "2026-11-23T09:12:59Z",
                "\"EWS: POST x -> 503\""
            )
        );
        let a = read(csv.as_bytes(), utc());
        let b = read(&utf16le(&csv), utc());
        assert_eq!(a, b);
        assert_eq!(a.0.len(), 2);
        assert_eq!(a.0[0].text, "héllo, \"wörld\"");
        assert_eq!(a.0[1].level.as_deref(), Some("WARNING"));
    }

    #[test]
    fn rows_missing_columns_and_bad_times() {
        let csv = format!(
            "{HEADER}\nUccApi,   Info,   0\nUccApi,   Info,   0,   0,   0,   4,   0,   0,   0,   0,   0,   0,   ,   ,   ,   ,   not a time,   0,   0,   \"text\"\n"
        );
        let (v, stats) = read(csv.as_bytes(), utc());
        assert_eq!(v.len(), 2);
        assert_eq!(stats.bad_times, 2);
        assert_eq!(v[0].time, None);
        assert_eq!(v[0].text, "");
        assert_eq!(v[0].level.as_deref(), Some("INFO"));
        assert_eq!(v[1].text, "text");
        assert_eq!(stats.malformed_lines, 0);
    }

    #[test]
    fn unclosed_quote_at_eof_is_emitted_and_counted() {
        let csv = format!(
            "{HEADER}\n{}\n{}\nmore text",
            row("Info", "4", "133456789012345678", "\"fine\""),
            row(
                "Info",
                "4",
                "133456789012345678",
                "\"OfflineIM: queued message 42"
            )
        );
        let (v, stats) = read(csv.as_bytes(), utc());
        assert_eq!(v.len(), 2);
        assert_eq!(stats.malformed_lines, 1);
        assert_eq!(v[1].text, "OfflineIM: queued message 42");
        assert_eq!(v[1].continuation, ["more text"]);
        assert!(v[1].time.is_some());
    }

    #[test]
    fn fallback_columns_and_trailing_payload_fields() {
        // No User Data: the last column is the text; extra trailing fields join it.
        let csv = "\n\n  TimeStamp , Level , Message \n2026-11-23T09:12:59Z, Error, \"EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable\", \"extra\",\n\n";
        let (v, stats) = read(csv.as_bytes(), utc());
        assert_eq!(stats.records, 1);
        assert_eq!(v[0].line, 4);
        assert_eq!(rfc3339(v[0].time.unwrap()), "2026-11-23T09:12:59Z");
        assert_eq!(v[0].level.as_deref(), Some("ERROR"));
        assert_eq!(
            v[0].text,
            "EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable, extra"
        );
    }

    #[test]
    fn huge_quoted_row_is_capped_and_the_next_row_survives() {
        let mut csv = format!("{HEADER}\n");
        csv.push_str(&row("Info", "4", "133456789012345678", "\"start"));
        csv.push('\n');
        for _ in 0..5000 {
            csv.push_str("filler line\n");
        }
        csv.push_str("end\"\n");
        csv.push_str(&row("Info", "4", "133456789012345678", "\"next\""));
        csv.push('\n');
        let (v, stats) = read(csv.as_bytes(), utc());
        assert_eq!(v.len(), 2);
        // 1 start line + 5000 fillers + 1 end line; the first 4096 are kept.
        assert_eq!(stats.dropped_lines, 5002 - 4096);
        assert_eq!(v[0].continuation.len(), 4095);
        assert_eq!(v[1].text, "next");
        assert_eq!(v[1].line, 5004);
    }

    #[test]
    fn byte_cap_bounds_memory() {
        let big = "x".repeat(60_000);
        let mut csv = "Clock-Time,User Data\n133456789012345678,\"".to_string();
        for _ in 0..40 {
            csv.push_str(&big);
            csv.push('\n');
        }
        csv.push_str("\"\n133456789012345678,after\n");
        let (v, stats) = read(csv.as_bytes(), utc());
        assert_eq!(v.len(), 2);
        let kept: usize =
            v[0].text.len() + v[0].continuation.iter().map(|c| c.len() + 1).sum::<usize>();
        assert!(kept <= MAX_ROW_BYTES, "{kept}");
        assert!(stats.dropped_lines > 0);
        assert_eq!(v[1].text, "after");
    }

    #[test]
    fn byte_cap_on_the_rows_last_line_is_counted_once() {
        let big = "x".repeat(60_000);
        // 18 lines of 60,000 bytes: the 1 MiB cap falls inside the last.
        let mut csv = "Clock-Time,User Data\n133456789012345678,\"start".to_string();
        for _ in 0..18 {
            csv.push('\n');
            csv.push_str(&big);
        }
        csv.push_str("\"\n133456789012345678,after\n");
        let (v, stats) = read(csv.as_bytes(), utc());
        assert_eq!(v.len(), 2);
        assert_eq!(stats.dropped_lines, 1);
        // Lines past the cap count once each, the cut one included.
        let mut csv = "Clock-Time,User Data\n133456789012345678,\"".to_string();
        for _ in 0..40 {
            csv.push_str(&big);
            csv.push('\n');
        }
        csv.push_str("\"\n");
        // 17 whole lines of 60,001 bytes fit in 1 MiB; the 18th is cut,
        // 19 to 40 and the closing quote's line are dropped.
        assert_eq!(read(csv.as_bytes(), utc()).1.dropped_lines, 1 + 22 + 1);
        // A row that ends just under the cap loses nothing.
        let csv = format!(
            "Clock-Time,User Data\n133456789012345678,\"{}\"\n",
            "y".repeat(MAX_ROW_BYTES - 1)
        );
        assert_eq!(read(csv.as_bytes(), utc()).1.dropped_lines, 0);
    }

    #[test]
    fn empty_and_header_only_inputs() {
        assert_eq!(read(b"", utc()).1, ReadStats::default());
        let (v, s) = read(HEADER.as_bytes(), utc());
        assert!(v.is_empty());
        assert_eq!(s, ReadStats::default());
    }

    #[test]
    fn sample_tree_export() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../sample-spooler/Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0-etl.csv");
        let file = std::fs::File::open(path).unwrap();
        let mut v = Vec::new();
        let stats = read_records(file, &utc(), &words(), &mut |r| v.push(r)).unwrap();
        assert_eq!(
            stats,
            ReadStats {
                records: 5,
                ..ReadStats::default()
            }
        );
        // The EventTrace header row is a record too; its payload is numbers.
        assert_eq!(v[0].text, "65536, 1, 10, 0");
        assert_eq!(v[0].level, None);
        assert_eq!(
            v[1].text,
            "Autodiscover: EWS internal URL https://mail.contoso.com/EWS/Exchange.asmx, external URL https://owa.contoso.com/EWS/Exchange.asmx"
        );
        assert_eq!(v[2].line, 4);
        assert_eq!(v[2].text, "EWS Information: EWS Status OK");
        assert_eq!(
            v[2].time
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            "2026-11-23T09:12:59.144Z"
        );
        assert_eq!(v[2].level.as_deref(), Some("INFO"));
        assert_eq!(
            v[3].text,
            "EWS: POST https://mail.contoso.com/EWS/Exchange.asmx CreateItem -> 401 Unauthorized"
        );
        assert_eq!(
            v[3].continuation,
            [
                "WWW-Authenticate: Negotiate",
                "X-Error: \"The request failed.\""
            ]
        );
        assert_eq!(v[3].level.as_deref(), Some("ERROR"));
        assert_eq!(v[4].line, 8);
        assert_eq!(
            v[4].text,
            "OfflineIM: message 42 failed: EWS returned 401 Unauthorized"
        );
        assert_eq!(
            v[4].time
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            "2026-11-23T09:16:03.482Z"
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Deterministic pseudo-random inputs biased towards CSV syntax.
        let alphabet = b"\",\r\n 0123456789:/|-TZabc\xFF\xFE\x00";
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..300usize {
            let mut bytes = b"Clock-Time,Level,User Data\n".to_vec();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let mut n = 0u64;
            let stats = read_records(bytes.as_slice(), &utc(), &words(), &mut |_| n += 1).unwrap();
            assert_eq!(stats.records, n);
        }
    }
}
