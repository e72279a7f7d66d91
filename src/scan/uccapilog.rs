//! UccApilog text logs (BRIEF §3.3): records that start with
//! `MM/DD/YYYY|HH:MM:SS.mmm <pid hex>:<tid hex> <LEVEL> :: <text>`, followed by
//! any number of continuation lines (a SIP packet's start line, headers, body).
//!
//! Built on [`LineReader`] (encoding, CRLF, line length cap). The record prefix
//! is parsed by hand on bytes: a continuation line is rejected after looking at
//! its first three bytes. Records are assembled in buffers reused from one
//! record to the next and lent out as [`RecordView`]s: nothing is allocated
//! per line or per record on the scan's path.

use crate::events::{ReadStats, Record};
use crate::scan::lines::LineReader;
use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};
use std::io::{self, Read};

/// Continuation lines kept per record; further ones are dropped and counted,
/// so one runaway record (a dumped blob with no record prefixes) costs bounded memory.
pub const MAX_CONTINUATION: usize = 4096;

/// The parsed first line of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordStart<'a> {
    /// The local timestamp's fields, whether or not they make a real date.
    pub stamp: Stamp,
    /// `pid:tid` as written, when present.
    pub thread: Option<&'a str>,
    /// The level word as written (`INFO`, `error`, ...), when present.
    pub level: Option<&'a str>,
    /// The text after `::` (or after the timestamp when the line has no `::`), trimmed.
    pub text: &'a str,
}

/// The raw fields of `MM/DD/YYYY|HH:MM:SS.fff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
}

impl Stamp {
    /// The time in UTC, taking the stamp as local time at `offset`; `None` for
    /// an impossible date or time (13/45/2026, 25:00:00).
    pub fn to_utc(&self, offset: FixedOffset) -> Option<DateTime<Utc>> {
        let local = NaiveDate::from_ymd_opt(self.year, self.month, self.day)?.and_hms_nano_opt(
            self.hour,
            self.minute,
            self.second,
            self.nanos,
        )?;
        let utc =
            local.checked_sub_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))?;
        Some(utc.and_utc()).filter(|t| crate::timefmt::plausible(*t))
    }
}

/// Levels written in upper case without allocating a case-converted copy.
const LEVELS: [&str; 8] = [
    "INFO", "TRACE", "WARN", "WARNING", "ERROR", "FATAL", "VERBOSE", "DEBUG",
];

/// A record as the reader holds it, borrowed until the next one: what the
/// scan's hot path reads, so a record costs no allocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordView<'a> {
    /// 1-based line number where the record starts.
    pub line: u64,
    pub time: Option<DateTime<Utc>>,
    /// The level word as written (normalised by [`RecordView::to_record`]).
    pub level: Option<&'a str>,
    pub text: &'a str,
    /// The continuation lines, each followed by `\n`.
    pub continuation: &'a str,
}

impl<'a> RecordView<'a> {
    /// The continuation lines, without their `\n`.
    pub fn lines(&self) -> std::str::SplitTerminator<'a, char> {
        self.continuation.split_terminator('\n')
    }

    pub fn to_record(&self) -> Record {
        Record {
            line: self.line,
            time: self.time,
            level: self.level.map(normalise_level),
            text: self.text.to_owned(),
            continuation: self.lines().map(str::to_owned).collect(),
        }
    }
}

/// The record being assembled: buffers reused from record to record.
#[derive(Default)]
struct Building {
    active: bool,
    line: u64,
    time: Option<DateTime<Utc>>,
    has_level: bool,
    level: String,
    text: String,
    continuation: String,
    lines: usize,
}

impl Building {
    fn view(&self) -> RecordView<'_> {
        RecordView {
            line: self.line,
            time: self.time,
            level: self.has_level.then_some(self.level.as_str()),
            text: &self.text,
            continuation: &self.continuation,
        }
    }
}

/// Reads a UccApilog stream and hands each complete record to `on_record`,
/// in file order. Never fails on content: odd lines are counted in the
/// returned stats; only I/O errors are returned.
pub fn read_records<R: Read>(
    reader: R,
    offset: FixedOffset,
    on_record: &mut dyn FnMut(Record),
) -> io::Result<ReadStats> {
    read_views(reader, offset, &mut |v| on_record(v.to_record()))
}

/// [`read_records`] without copies: each record is lent to `on_record`.
pub fn read_views<R: Read>(
    reader: R,
    offset: FixedOffset,
    on_record: &mut dyn FnMut(&RecordView<'_>),
) -> io::Result<ReadStats> {
    let mut lines = LineReader::new(reader)?;
    let mut stats = ReadStats::default();
    let mut cur = Building::default();
    lines.for_each_line(&mut |line| {
        if line.lossy {
            stats.lossy_lines += 1;
        }
        if line.cut {
            stats.cut_lines += 1;
        }
        match parse_prefix(line.text) {
            Some(start) => {
                if cur.active {
                    on_record(&cur.view());
                }
                let time = start.stamp.to_utc(offset);
                if time.is_none() {
                    stats.bad_times += 1;
                }
                stats.records += 1;
                cur.active = true;
                cur.line = line.number;
                cur.time = time;
                cur.has_level = start.level.is_some();
                cur.level.clear();
                cur.level.push_str(start.level.unwrap_or(""));
                cur.text.clear();
                cur.text.push_str(start.text);
                cur.continuation.clear();
                cur.lines = 0;
            }
            None if cur.active => {
                if cur.lines < MAX_CONTINUATION {
                    cur.continuation.push_str(line.text);
                    cur.continuation.push('\n');
                    cur.lines += 1;
                } else {
                    stats.dropped_lines += 1;
                }
            }
            None => {
                if !line.text.trim().is_empty() {
                    stats.malformed_lines += 1;
                }
            }
        }
    })?;
    if cur.active {
        on_record(&cur.view());
    }
    Ok(stats)
}

/// Reads every record into a vector (tests, small files).
pub fn read_all<R: Read>(reader: R, offset: FixedOffset) -> io::Result<(Vec<Record>, ReadStats)> {
    let mut out = Vec::new();
    let stats = read_records(reader, offset, &mut |r| out.push(r))?;
    Ok((out, stats))
}

fn normalise_level(level: &str) -> String {
    match LEVELS.iter().find(|l| l.eq_ignore_ascii_case(level)) {
        Some(l) => (*l).to_owned(),
        None => level.to_ascii_uppercase(),
    }
}

/// Whether `line` starts a record, and its parts. The timestamp with its `|`
/// is the marker; `pid:tid LEVEL ::` is parsed when present and tolerated when
/// not (a line with a timestamp but an odd tail still starts a record).
pub fn parse_prefix(line: &str) -> Option<RecordStart<'_>> {
    let b = line.as_bytes();
    // Cheap rejection first: continuation lines almost never look like `DD/`.
    let head: &[u8; 19] = b.first_chunk()?;
    if head[2] != b'/' || !head[0].is_ascii_digit() {
        return None;
    }
    let month = num2(b, 0)?;
    let day = num2(b, 3)?;
    if head[5] != b'/' || head[10] != b'|' || head[13] != b':' || head[16] != b':' {
        return None;
    }
    let year = num4(b, 6)?;
    let hour = num2(b, 11)?;
    let minute = num2(b, 14)?;
    let second = num2(b, 17)?;
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000_000u32;
        while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if i - start >= 9 {
                return None;
            }
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    // The timestamp must end at a space (or the end of the line).
    match b.get(i) {
        None => {}
        Some(b' ') | Some(b'\t') => {}
        Some(_) => return None,
    }
    let stamp = Stamp {
        year: i32::from(u16::try_from(year).ok()?),
        month,
        day,
        hour,
        minute,
        second,
        nanos,
    };
    let rest = line.get(i..)?;
    let (thread, level, text) = split_tail(rest);
    Some(RecordStart {
        stamp,
        thread,
        level,
        text,
    })
}

/// Splits ` 1F68:C14 INFO  :: text` into its parts, tolerating what is
/// missing. Works on bytes: every boundary it cuts at is an ASCII byte.
fn split_tail(rest: &str) -> (Option<&str>, Option<&str>, &str) {
    let b = rest.as_bytes();
    let mut i = skip_blanks(b, 0);
    let mut thread = None;
    let pid_end = skip_while(b, i, |c| c.is_ascii_hexdigit());
    if pid_end > i && b.get(pid_end) == Some(&b':') {
        let tid_end = skip_while(b, pid_end + 1, |c| c.is_ascii_hexdigit());
        if tid_end > pid_end + 1 && b.get(tid_end).is_none_or(|&c| is_blank(c)) {
            thread = rest.get(i..tid_end);
            i = skip_blanks(b, tid_end);
        }
    }
    let level_end = skip_while(b, i, |c| c.is_ascii_alphabetic());
    if level_end > i && level_end - i <= 16 {
        let colons = skip_blanks(b, level_end);
        if b.get(colons..colons + 2) == Some(b"::") {
            return (
                thread,
                rest.get(i..level_end),
                trim(rest.get(colons + 2..).unwrap_or("")),
            );
        }
    }
    if b.get(i..i + 2) == Some(b"::") {
        return (thread, None, trim(rest.get(i + 2..).unwrap_or("")));
    }
    // No `LEVEL ::`: keep whatever follows as the text.
    (thread, None, trim(rest.get(i..).unwrap_or("")))
}

fn is_blank(c: u8) -> bool {
    c == b' ' || c == b'\t'
}

fn skip_while(b: &[u8], from: usize, f: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while b.get(i).is_some_and(|&c| f(c)) {
        i += 1;
    }
    i
}

fn skip_blanks(b: &[u8], from: usize) -> usize {
    skip_while(b, from, is_blank)
}

fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let start = skip_blanks(b, 0);
    let mut end = b.len();
    while end > start && b.get(end - 1).is_some_and(|&c| is_blank(c)) {
        end -= 1;
    }
    s.get(start..end).unwrap_or("")
}

fn num2(b: &[u8], at: usize) -> Option<u32> {
    let d0 = digit(*b.get(at)?)?;
    let d1 = digit(*b.get(at + 1)?)?;
    Some(d0 * 10 + d1)
}

fn num4(b: &[u8], at: usize) -> Option<u32> {
    Some(num2(b, at)? * 100 + num2(b, at + 2)?)
}

fn digit(c: u8) -> Option<u32> {
    c.is_ascii_digit().then(|| u32::from(c - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::{parse_utc_offset, rfc3339};
    use chrono::SecondsFormat;

    fn plus1() -> FixedOffset {
        parse_utc_offset("+01:00").unwrap()
    }

    fn read(bytes: &[u8]) -> (Vec<Record>, ReadStats) {
        read_all(bytes, plus1()).unwrap()
    }

    fn ms(t: Option<DateTime<Utc>>) -> String {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_default()
    }

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    const PACKET: &str = "\
04/16/2013|03:17:30.168 1F68:C14 INFO  :: Sending Packet - 192.168.100.100:5061 (From Local Address: 192.168.103.35:20323) 1503 bytes:
MESSAGE sip:bob@contoso.com SIP/2.0
From: <sip:alice@contoso.com>;tag=1
To: <sip:bob@contoso.com>
CSeq: 2 MESSAGE

04/16/2013|03:17:30.169 1F68:C14 INFO  :: End of Sending Packet - 192.168.100.100:5061 (From Local Address: 192.168.103.35:20323) 1503 bytes
04/16/2013|03:17:31.000 1F68:C14 ERROR :: something failed
";

    #[test]
    fn prefix_parts() {
        let p = parse_prefix("04/16/2013|03:17:30.168 1F68:C14 INFO  :: End of Sending Packet")
            .unwrap();
        assert_eq!(p.thread, Some("1F68:C14"));
        assert_eq!(p.level, Some("INFO"));
        assert_eq!(p.text, "End of Sending Packet");
        assert_eq!(
            p.stamp,
            Stamp {
                year: 2013,
                month: 4,
                day: 16,
                hour: 3,
                minute: 17,
                second: 30,
                nanos: 168_000_000
            }
        );
        let p = parse_prefix("04/16/2013|03:17:30.168   1f68:c14   warning   ::x").unwrap();
        assert_eq!((p.level, p.text), (Some("warning"), "x"));
        let p = parse_prefix("04/16/2013|03:17:30.168 1F68:C14 Audit :: odd level").unwrap();
        assert_eq!((p.level, p.text), (Some("Audit"), "odd level"));
        // Timestamp present, tail odd: still a record.
        let p = parse_prefix("04/16/2013|03:17:30.168 no thread here").unwrap();
        assert_eq!((p.thread, p.level, p.text), (None, None, "no thread here"));
        let p = parse_prefix("04/16/2013|03:17:30.168 1F68:C14 INFO ::").unwrap();
        assert_eq!(p.text, "");
        let p = parse_prefix("04/16/2013|03:17:30.168\t1F68:C14\tINFO::tabbed\t").unwrap();
        assert_eq!(
            (p.thread, p.level, p.text),
            (Some("1F68:C14"), Some("INFO"), "tabbed")
        );
        let p = parse_prefix("04/16/2013|03:17:30.168 1F68:C14 :: no level").unwrap();
        assert_eq!(
            (p.thread, p.level, p.text),
            (Some("1F68:C14"), None, "no level")
        );
        let p = parse_prefix("04/16/2013|03:17:30.168 1F68:C14x INFO :: odd thread").unwrap();
        assert_eq!(
            (p.thread, p.level, p.text),
            (None, None, "1F68:C14x INFO :: odd thread")
        );
        let p = parse_prefix("04/16/2013|03:17:30").unwrap();
        assert_eq!((p.thread, p.level, p.text), (None, None, ""));
        for not in [
            "",
            "REGISTER sip:contoso.com SIP/2.0",
            "04/16/2013 03:17:30.168 1F68:C14 INFO :: no pipe",
            "04/16/2013|03:17:30.168x",
            "4/16/2013|03:17:30.168 1F68:C14 INFO :: short month",
            "04/16/2013|03:17:30. 1F68:C14 INFO :: no fraction digits",
            "04/16/2013|03:17:30.1234567890 1F68:C14 INFO :: too many",
            "0é/16/2013|03:17:30.168 1F68:C14 INFO :: multibyte",
            "04/16/2013|03:17:3",
        ] {
            assert!(parse_prefix(not).is_none(), "{not:?}");
        }
    }

    #[test]
    fn records_with_continuations() {
        let (recs, stats) = read(PACKET.as_bytes());
        assert_eq!(recs.len(), 3);
        assert_eq!(stats.records, 3);
        assert_eq!(recs[0].line, 1);
        assert_eq!(recs[0].level.as_deref(), Some("INFO"));
        assert!(recs[0]
            .text
            .starts_with("Sending Packet - 192.168.100.100:5061"));
        assert_eq!(
            recs[0].continuation,
            [
                "MESSAGE sip:bob@contoso.com SIP/2.0",
                "From: <sip:alice@contoso.com>;tag=1",
                "To: <sip:bob@contoso.com>",
                "CSeq: 2 MESSAGE",
                ""
            ]
        );
        assert_eq!(recs[1].line, 7);
        assert!(recs[1].continuation.is_empty());
        assert_eq!(recs[2].line, 8);
        assert_eq!(recs[2].level.as_deref(), Some("ERROR"));
        assert_eq!(ms(recs[0].time), "2013-04-16T02:17:30.168Z");
        assert_eq!(
            stats,
            ReadStats {
                records: 3,
                ..Default::default()
            }
        );
    }

    #[test]
    fn levels_are_upper_cased() {
        let s =
            "01/02/2026|00:00:00.000 1:2 warning :: a\n01/02/2026|00:00:00.000 1:2 Verbose :: b\n\
                 01/02/2026|00:00:00.000 1:2 custom :: c\n01/02/2026|00:00:00.000 1:2 FATAL :: d\n";
        let (recs, _) = read(s.as_bytes());
        let levels: Vec<_> = recs.iter().map(|r| r.level.clone().unwrap()).collect();
        assert_eq!(levels, ["WARNING", "VERBOSE", "CUSTOM", "FATAL"]);
    }

    #[test]
    fn junk_before_first_record_is_malformed() {
        let s = format!("garbage line\n\n  \nmore junk\n{PACKET}");
        let (recs, stats) = read(s.as_bytes());
        assert_eq!(recs.len(), 3);
        assert_eq!(stats.malformed_lines, 2);
        assert_eq!(recs[0].line, 5);
        assert_eq!(recs[2].line, 12);
    }

    #[test]
    fn utf16le_bom_crlf_matches_utf8() {
        let crlf = PACKET.replace('\n', "\r\n");
        let (a, sa) = read(PACKET.as_bytes());
        let (b, sb) = read(&utf16le_bom(&crlf));
        assert_eq!(a, b);
        assert_eq!(sa, sb);
        // UTF-8 with BOM too.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(crlf.as_bytes());
        assert_eq!(read(&bom).0, a);
    }

    #[test]
    fn bad_date_still_emits_record() {
        let s = "13/45/2026|10:00:00.000 1F68:C14 INFO :: impossible date\ncont\n\
                 11/23/2026|25:00:00.000 1F68:C14 INFO :: impossible hour\n\
                 02/29/2028|23:59:59.999 1F68:C14 INFO :: leap day\n";
        let (recs, stats) = read(s.as_bytes());
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].time, None);
        assert_eq!(recs[0].continuation, ["cont"]);
        assert_eq!(recs[1].time, None);
        assert_eq!(ms(recs[2].time), "2028-02-29T22:59:59.999Z");
        assert_eq!(stats.bad_times, 2);
        assert_eq!(stats.records, 3);
    }

    #[test]
    fn offsets_cross_midnight() {
        let s = "01/01/2026|00:30:00.500 1:2 INFO :: x\n";
        let (recs, _) = read_all(s.as_bytes(), parse_utc_offset("+05:30").unwrap()).unwrap();
        assert_eq!(ms(recs[0].time), "2025-12-31T19:00:00.500Z");
        let (recs, _) = read_all(s.as_bytes(), parse_utc_offset("-08:00").unwrap()).unwrap();
        assert_eq!(ms(recs[0].time), "2026-01-01T08:30:00.500Z");
    }

    #[test]
    fn continuation_cap() {
        let mut s = String::from("01/01/2026|00:00:00.000 1:2 INFO :: Data Received - big\n");
        for i in 0..(MAX_CONTINUATION + 10) {
            s.push_str(&format!("line {i}\n"));
        }
        s.push_str("01/01/2026|00:00:01.000 1:2 INFO :: next\nafter\n");
        let (recs, stats) = read(s.as_bytes());
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].continuation.len(), MAX_CONTINUATION);
        assert_eq!(
            recs[0].continuation.last().unwrap(),
            &format!("line {}", MAX_CONTINUATION - 1)
        );
        assert_eq!(stats.dropped_lines, 10);
        assert_eq!(recs[1].continuation, ["after"]);
        assert_eq!(recs[1].line, (MAX_CONTINUATION + 10 + 2) as u64);
    }

    #[test]
    fn lossy_and_cut_lines_are_counted() {
        let mut b = b"01/01/2026|00:00:00.000 1:2 INFO :: bad \xFF byte\n".to_vec();
        b.extend_from_slice(b"cont \xFE\n");
        b.extend_from_slice(&[b'x'; crate::scan::lines::MAX_LINE + 10]);
        b.extend_from_slice(b"\n01/01/2026|00:00:01.000 1:2 INFO :: ok\n");
        let (recs, stats) = read(&b);
        assert_eq!(recs.len(), 2);
        assert_eq!(stats.lossy_lines, 2);
        assert_eq!(stats.cut_lines, 1);
        assert!(recs[0].text.contains('\u{FFFD}'));
        assert_eq!(recs[0].continuation.len(), 2);
        assert_eq!(recs[1].text, "ok");
    }

    #[test]
    fn empty_and_junk_only() {
        let (recs, stats) = read(b"");
        assert!(recs.is_empty());
        assert_eq!(stats, ReadStats::default());
        let (recs, stats) = read(b"\x00\x01\x02 binary\nnot a log\n");
        assert!(recs.is_empty());
        assert_eq!(stats.malformed_lines, 2);
    }

    /// Rough throughput check, run by hand:
    /// `cargo test --release --lib -- --ignored --nocapture throughput`
    /// (`OIMDIAG_BENCH_MB` sets the size, default 200).
    #[test]
    #[ignore]
    fn throughput() {
        use std::io::Write;
        let mb: u64 = std::env::var("OIMDIAG_BENCH_MB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        let path = std::env::temp_dir().join(format!("oimdiag-bench-{mb}mb.UccApilog"));
        let sample = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-spooler/Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog"
        ))
        .unwrap();
        if std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < mb << 20 {
            let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
            let mut n = 0u64;
            while n < mb << 20 {
                w.write_all(&sample).unwrap();
                n += sample.len() as u64;
            }
            w.flush().unwrap();
        }
        let size = std::fs::metadata(&path).unwrap().len() as f64 / (1u64 << 20) as f64;
        let rate = |secs: f64| size / secs;

        let t = std::time::Instant::now();
        let mut lr = LineReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut lines = 0u64;
        while lr.next_line().unwrap().is_some() {
            lines += 1;
        }
        let base = t.elapsed().as_secs_f64();

        let t = std::time::Instant::now();
        let mut recs = 0u64;
        let stats = read_records(std::fs::File::open(&path).unwrap(), plus1(), &mut |r| {
            recs += 1;
            std::hint::black_box(r);
        })
        .unwrap();
        let read = t.elapsed().as_secs_f64();

        let t = std::time::Instant::now();
        let mut events = 0u64;
        read_records(std::fs::File::open(&path).unwrap(), plus1(), &mut |r| {
            events += crate::scan::sip::sip_events(&r).len() as u64;
        })
        .unwrap();
        let full = t.elapsed().as_secs_f64();
        assert_eq!(stats.records, recs);
        eprintln!(
            "{size:.0} MiB, {lines} lines, {recs} records, {events} SIP events\n\
             LineReader only:          {base:.2} s  {:.0} MiB/s\n\
             read_records:             {read:.2} s  {:.0} MiB/s\n\
             read_records+sip_events:  {full:.2} s  {:.0} MiB/s",
            rate(base),
            rate(read),
            rate(full)
        );
    }

    #[test]
    fn sample_log() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/sample-spooler/Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog"
        );
        let f = std::fs::File::open(path).unwrap();
        let (recs, stats) = read_all(f, plus1()).unwrap();
        assert_eq!(recs.len(), 26);
        assert_eq!(
            stats,
            ReadStats {
                records: 26,
                ..Default::default()
            }
        );
        assert_eq!(ms(recs[0].time), "2026-11-23T09:12:58.102Z");
        assert!(recs[0].text.starts_with("Function: CUccApiLog::Initialize"));
        assert_eq!(recs[1].line, 2);
        assert_eq!(
            recs[1].continuation.first().unwrap(),
            "REGISTER sip:contoso.com SIP/2.0"
        );
        assert_eq!(recs[1].continuation.len(), 13);
        let errors = recs
            .iter()
            .filter(|r| r.level.as_deref() == Some("ERROR"))
            .count();
        assert_eq!(errors, 6);
        let last = recs.last().unwrap();
        assert_eq!(rfc3339(last.time.unwrap()), "2026-11-23T10:04:55Z");
        assert_eq!(last.line, 72);
        // Times never go backwards in this file.
        assert!(recs.windows(2).all(|w| w[0].time <= w[1].time));
    }
}
