//! UccApilog text logs (BRIEF §3.3): records that start with
//! `MM/DD/YYYY|HH:MM:SS.mmm <pid hex>:<tid hex> <LEVEL> :: <text>`, followed by
//! any number of continuation lines (a SIP packet's start line, headers, body).
//!
//! Built on [`LineReader`] (encoding, CRLF, line length cap). A block of
//! valid UTF-8 is not split into lines: records are found by the `|` of their
//! prefix (parsed by hand on bytes), their lines counted, and each record that
//! lies whole in the block is lent out as a [`RecordView`] of it, with which
//! of the caller's literals occur in it (searched once per block, see
//! [`literals`](crate::scan::literals)). The record that may run into the
//! next block, and any line the reader had to copy (invalid UTF-8, cut, from
//! UTF-16), go line by line into buffers reused from one record to the next.
//! Nothing is allocated per line or per record on the scan's path.
//!
//! The record prefix itself, and the shapes tolerated beside the canonical
//! one, are [`prefix`](crate::scan::prefix)'s.

use crate::scan::lines::{lines_of, Line, LineReader, Piece, Scratch};
use crate::scan::literals::{Found, Hits, LiteralSet};
use crate::scan::prefix::{normalise_level, DateOrder, PlainHeads, Stamps, Tails};
pub use crate::scan::prefix::{parse_prefix, RecordStart, Stamp};
use crate::scan::encoding;
use crate::scan::sip::packet_direction;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use oimdiag_vocab::events::{Clock, ReadStats, Record};
use oimdiag_vocab::timezone::{LocalZone, ZoneUse};
use std::io::{self, Read};

/// How much of a log decides its date order (see [`DateOrder`]): the same
/// prefix that recognises a file as a log.
pub const DATE_ORDER_WINDOW: usize = 16 * 1024;

/// Continuation lines kept per record; further ones are dropped and counted,
/// so one runaway record (a dumped blob with no record prefixes) costs bounded memory.
pub const MAX_CONTINUATION: usize = 4096;

/// A record as the reader holds it, borrowed until the next one: what the
/// scan's hot path reads, so a record costs no allocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordView<'a> {
    /// 1-based line number where the record starts.
    pub line: u64,
    pub time: Option<DateTime<Utc>>,
    /// How `time` was told.
    pub clock: Clock,
    /// The level word as written (normalised by [`RecordView::to_record`]).
    pub level: Option<&'a str>,
    pub text: &'a str,
    /// The continuation lines, each ended by `\n`; a `\r` just before the
    /// `\n` belongs to the line ending, not to the line (the lines are lent
    /// as they lie in the file, CRLF or LF).
    pub continuation: &'a str,
}

impl<'a> RecordView<'a> {
    /// The continuation lines, without their line endings.
    pub fn lines(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.continuation
            .split_terminator('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
    }

    pub fn to_record(&self) -> Record {
        Record {
            line: self.line,
            time: self.time,
            clock: self.clock,
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
    clock: Clock,
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
            clock: self.clock,
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
    zone: &LocalZone,
    on_record: &mut dyn FnMut(Record),
) -> io::Result<ReadStats> {
    read_views(reader, zone, &mut |v| on_record(v.to_record()))
}

/// [`read_records`] without copies: each record is lent to `on_record`.
pub fn read_views<R: Read>(
    reader: R,
    zone: &LocalZone,
    on_record: &mut dyn FnMut(&RecordView<'_>),
) -> io::Result<ReadStats> {
    let none: [&str; 0] = [];
    read_views_finding(reader, zone, &LiteralSet::new(&none), &mut |v, _| {
        on_record(v)
    })
}

/// [`read_views`], each record lent with which of `literals` occur in its
/// text and in its continuation lines.
pub fn read_views_finding<R: Read>(
    reader: R,
    zone: &LocalZone,
    literals: &LiteralSet,
    on_record: &mut dyn FnMut(&RecordView<'_>, Found),
) -> io::Result<ReadStats> {
    read_views_finding_after(Vec::new(), reader, zone, literals, on_record)
}

/// [`read_views_finding`] of a log whose first bytes, `head`, were read
/// already (to recognise it), and `rest` goes on after them.
pub fn read_views_finding_after<R: Read>(
    head: Vec<u8>,
    mut rest: R,
    zone: &LocalZone,
    literals: &LiteralSet,
    on_record: &mut dyn FnMut(&RecordView<'_>, Found),
) -> io::Result<ReadStats> {
    // The start decides the date order, then is read again with the rest.
    let (order, head) = date_order(head, &mut rest)?;
    let mut lines = LineReader::new(io::Cursor::new(head).chain(rest))?;
    let mut asm = Assembler::new(zone, order, lines.max_line(), literals);
    lines.for_each_piece(&mut |piece| match piece {
        Piece::Line(line) => {
            asm.line(&line, on_record);
            None
        }
        Piece::Lines { text, first } => Some(asm.block(text, first, on_record)),
    })?;
    asm.flush(on_record);
    asm.stats.zone = asm.times.used;
    let hits = std::mem::take(&mut asm.hits);
    SPARE_HITS.with(|s| *s.borrow_mut() = hits);
    Ok(asm.stats)
}

thread_local! {
    /// The literal search's buffers (a lower-cased copy of a block, its
    /// hits), kept from one log to the next on this thread: a scan of
    /// thousands of small logs would grow them afresh for each.
    static SPARE_HITS: std::cell::RefCell<Hits> = std::cell::RefCell::new(Hits::default());
}

/// The date order of a log from its first [`DATE_ORDER_WINDOW`] bytes, and
/// the bytes read: `head` (read already) and up to the window from `rest`.
fn date_order<R: Read>(mut head: Vec<u8>, rest: &mut R) -> io::Result<(DateOrder, Vec<u8>)> {
    if let Some(more) = DATE_ORDER_WINDOW.checked_sub(head.len()).filter(|&n| n > 0) {
        rest.by_ref().take(more as u64).read_to_end(&mut head)?;
    }
    let window = head.get(..DATE_ORDER_WINDOW).unwrap_or(&head);
    let order = DateOrder::of_head(&encoding::decode(window).text);
    Ok((order, head))
}

/// Turns lines into records. A record that lies whole inside a block (nearly
/// all) is lent straight from it; one that may go on into the next block,
/// and any line the reader had to copy, goes line by line through `cur`.
struct Assembler<'l> {
    zone: &'l LocalZone,
    order: DateOrder,
    max_line: usize,
    literals: &'l LiteralSet,
    stats: ReadStats,
    cur: Building,
    scratch: Scratch,
    hits: Hits,
    times: TimeCache,
    tails: Tails,
    heads: PlainHeads,
    stamps: Stamps,
    /// The minute (`year, month, day, hour, minute` as written) of the last
    /// stamp read whose every second [`TimeCache::utc`] reads the same way
    /// (see [`TimeCache::whole_minute`]), and whether its date contradicts
    /// the file's date order.
    minute: Option<(Minute, bool)>,
}

type Minute = (i32, u32, u32, u32, u32);

fn minute_of(s: &Stamp) -> Minute {
    (s.year, s.month, s.day, s.hour, s.minute)
}

type OnRecord<'f> = dyn FnMut(&RecordView<'_>, Found) + 'f;

impl<'l> Assembler<'l> {
    fn new(
        zone: &'l LocalZone,
        order: DateOrder,
        max_line: usize,
        literals: &'l LiteralSet,
    ) -> Self {
        Assembler {
            zone,
            order,
            max_line,
            literals,
            stats: ReadStats {
                day_first: order == DateOrder::DayFirst,
                ..ReadStats::default()
            },
            cur: Building::default(),
            scratch: Scratch::default(),
            hits: SPARE_HITS.with(|s| std::mem::take(&mut *s.borrow_mut())),
            times: TimeCache::default(),
            tails: Tails::default(),
            heads: PlainHeads::default(),
            stamps: Stamps::default(),
            minute: None,
        }
    }

    /// The time of a record starting with `start`, read in the file's date
    /// order; what could not be read as it stands, counted.
    /// The instant, and the offset applied.
    fn time_of(&mut self, start: &RecordStart<'_>) -> Option<(DateTime<Utc>, i32)> {
        if !start.separated && names_a_packet(start.text) {
            self.stats.unparsed_packets += 1;
        }
        self.time_of_stamp(start.stamp)
    }

    /// [`time_of`](Self::time_of) for a record whose first line has its `::`.
    fn time_of_stamp(&mut self, raw: Stamp) -> Option<(DateTime<Utc>, i32)> {
        let (stamp, contradicts) = self.order.read(raw);
        if contradicts {
            self.stats.date_order_contradictions += 1;
        }
        let time = self.times.utc(&stamp, self.zone);
        if time.is_none() {
            self.stats.bad_times += 1;
        }
        self.minute = self.times.whole_minute.then_some((minute_of(&raw), contradicts));
        time
    }

    /// What [`time_of_stamp`](Self::time_of_stamp) counts for a record that
    /// is only counted: in the minute of the last stamp read, its time is
    /// known to read (or not, by its seconds) without being made.
    fn count_time(&mut self, stamp: Stamp) {
        match self.minute {
            Some((m, contradicts))
                if m == minute_of(&stamp) && stamp.second < 60 && stamp.nanos < 1_000_000_000 =>
            {
                if contradicts {
                    self.stats.date_order_contradictions += 1;
                }
            }
            _ => {
                self.time_of_stamp(stamp);
            }
        }
    }

    /// Hands out the record in `cur`, if any.
    fn flush(&mut self, on_record: &mut OnRecord<'_>) {
        if self.cur.active {
            let v = self.cur.view();
            let found = Found {
                text: self.literals.in_text(v.text),
                continuation: self.literals.in_text(v.continuation),
                no_signature: false,
            };
            on_record(&v, found);
            self.cur.active = false;
        }
    }

    fn line(&mut self, line: &Line<'_>, on_record: &mut OnRecord<'_>) {
        if line.lossy {
            self.stats.lossy_lines += 1;
        }
        if line.ansi {
            self.stats.ansi_lines += 1;
        }
        if line.cut {
            self.stats.cut_lines += 1;
        }
        match parse_prefix(line.text) {
            Some(start) => {
                self.flush(on_record);
                let time = self.time_of(&start);
                self.stats.records += 1;
                let cur = &mut self.cur;
                cur.active = true;
                cur.line = line.number;
                cur.time = time.map(|(t, _)| t);
                cur.clock = time.map_or(Clock::None, |(_, offset)| Clock::Local { offset });
                cur.has_level = start.level.is_some();
                cur.level.clear();
                cur.level.push_str(start.level.unwrap_or(""));
                cur.text.clear();
                cur.text.push_str(start.text);
                cur.continuation.clear();
                cur.lines = 0;
            }
            None if self.cur.active => {
                let cur = &mut self.cur;
                if cur.lines < MAX_CONTINUATION {
                    cur.continuation.push_str(line.text);
                    // A line that itself ends in `\r` keeps it.
                    cur.continuation.push_str(if line.text.ends_with('\r') {
                        "\r\n"
                    } else {
                        "\n"
                    });
                    cur.lines += 1;
                } else {
                    self.stats.dropped_lines += 1;
                }
            }
            None => {
                if !line.text.trim().is_empty() {
                    self.stats.malformed_lines += 1;
                }
            }
        }
    }

    /// Whole lines of `text` (a part of a block), one by one; how many.
    fn lines(&mut self, text: &str, first: u64, on_record: &mut OnRecord<'_>) -> u64 {
        let mut scratch = std::mem::take(&mut self.scratch);
        let n = lines_of(text, first, self.max_line, &mut scratch, &mut |l| {
            self.line(&l, on_record)
        });
        self.scratch = scratch;
        n
    }

    /// The whole, valid lines of a block, numbered from `first`; how many.
    fn block(&mut self, text: &str, first: u64, on_record: &mut OnRecord<'_>) -> u64 {
        let b = text.as_bytes();
        if !self.literals.is_empty() {
            self.literals.search_block(text, &mut self.hits);
        }
        // The record being read: where it starts, its first line's end, its
        // stamp, where what follows the stamp starts, and its line number.
        let mut open: Option<Open> = None;
        // A record starts with `MM/DD/YYYY|` at the start of a line: the `|`
        // is rare elsewhere.
        let mut from = 0;
        // Most lines are records: their `|` is looked at first. A `|` before
        // it would put the line end before it inside a stamp (no record).
        while let Some(bar) = match b.get(from + 10) {
            Some(b'|') => Some(from + 10),
            _ => b
                .get(from..)
                .and_then(|rest| memchr::memchr(b'|', rest))
                .map(|i| from + i),
        } {
            from = bar + 1;
            let Some(start) = bar.checked_sub(10) else {
                continue;
            };
            if start > 0 && b.get(start - 1) != Some(&b'\n') {
                continue;
            }
            let Some(eol) =
                memchr::memchr(b'\n', b.get(bar..).unwrap_or_default()).map(|i| bar + i)
            else {
                continue;
            };
            let first_line = text.get(start..eol).unwrap_or("");
            let first_line = first_line.strip_suffix('\r').unwrap_or(first_line);
            let Some((stamp, after)) = self.stamps.parse(first_line) else {
                continue;
            };
            // The next record starts on a later line.
            from = eol + 1;
            let line = match open.take() {
                Some(o @ (_, e, _, _, n)) => {
                    self.lend(text, o, start, on_record);
                    // The first line ends at `e` (its stamp holds no line
                    // end); most records have no other line to count.
                    n + 1 + count_lines(b.get(e + 1..start).unwrap_or_default())
                }
                // Lines before the block's first record: the end of the
                // record in `cur`, or lines outside any record.
                None => first + self.lines(text.get(..start).unwrap_or(""), first, on_record),
            };
            open = Some((start, eol, stamp, start + after, line));
        }
        match open {
            // The last record may go on in the next block: line by line.
            Some((s, _, _, _, n)) => n - first + self.lines(text.get(s..).unwrap_or(""), n, on_record),
            None => self.lines(text, first, on_record),
        }
    }

    /// Lends the record that starts at `s` (first line ending at `e`) and
    /// ends where the next one starts; a quiet one (see
    /// [`LiteralSet::with_quiet`]) is only counted.
    fn lend(
        &mut self,
        text: &str,
        (s, e, stamp, after, number): Open,
        next: usize,
        on_record: &mut OnRecord<'_>,
    ) {
        self.flush(on_record);
        if next - s > self.max_line {
            // Perhaps a line to cut: as the reader would.
            self.lines(text.get(s..next).unwrap_or(""), number, on_record);
            return;
        }
        let mut cont_end = next;
        let cont = text.as_bytes().get(e + 1..next).unwrap_or_default();
        if cont.len() > MAX_CONTINUATION {
            let n = count_lines(cont);
            if n > MAX_CONTINUATION as u64 {
                if let Some(i) = memchr::memchr_iter(b'\n', cont).nth(MAX_CONTINUATION - 1) {
                    cont_end = e + 1 + i + 1;
                }
                self.stats.dropped_lines += n - MAX_CONTINUATION as u64;
            }
        }
        // As the first line is cut in `block`.
        let first_line = text.get(after..e).unwrap_or("");
        let rest = first_line.strip_suffix('\r').unwrap_or(first_line);
        let names_packet = match self.quiet(s, next, rest) {
            Quiet::Yes => {
                self.count_time(stamp);
                self.stats.records += 1;
                return;
            }
            Quiet::No { names_packet } => names_packet,
        };
        let tail = self.tails.split(rest);
        let prefix = RecordStart {
            stamp,
            thread: tail.thread,
            level: tail.level,
            text: tail.text,
            separated: tail.separated,
        };
        let time = self.time_of(&prefix);
        self.stats.records += 1;
        let base = text.as_ptr() as usize;
        let text_at = (prefix.text.as_ptr() as usize).saturating_sub(base);
        let view = RecordView {
            line: number,
            time: time.map(|(t, _)| t),
            clock: time.map_or(Clock::None, |(_, offset)| Clock::Local { offset }),
            level: prefix.level,
            text: prefix.text,
            continuation: text.get(e + 1..cont_end).unwrap_or(""),
        };
        let found = if self.literals.is_empty() {
            Found::default()
        } else {
            self.hits
                .found(
                    s,
                    (text_at, text_at + prefix.text.len()),
                    (e + 1, cont_end),
                    next,
                    text_at
                        .checked_sub(1)
                        .and_then(|i| text.as_bytes().get(i))
                        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_'),
                )
                .map(|mut f| {
                    let packet = self.literals.packet_only();
                    let names_packet =
                        names_packet.unwrap_or_else(|| packet_direction(view.text).is_some());
                    if packet != 0 && names_packet {
                        f.continuation |=
                            self.literals.in_packet(text.as_bytes(), (e + 1, cont_end));
                    }
                    f
                })
                .unwrap_or_else(|| Found {
                    text: self.literals.in_text(view.text),
                    continuation: self.literals.in_text(view.continuation),
                    no_signature: false,
                })
        };
        on_record(&view, found);
    }
}

/// A record of a block not yet lent: where it starts, its first line's end,
/// its stamp, where what follows the stamp starts, and its line number.
type Open = (usize, usize, Stamp, usize, u64);

impl Assembler<'_> {
    /// Whether the caller passes over the record at `s..next`, whose first
    /// line goes on with `rest` after its stamp: it is quiet (no gate match,
    /// no loud literal) and, as its text tells, no SIP packet. Only records
    /// of the usual shape are passed over (a text after `::`, hence right
    /// after no word byte, where the gate can tell).
    fn quiet(&mut self, s: usize, next: usize, rest: &str) -> Quiet {
        let unknown = Quiet::No { names_packet: None };
        let Some(loud) = self.literals.loud().filter(|_| !self.literals.is_empty()) else {
            return unknown;
        };
        if !self.hits.quiet(s, next, loud) {
            return unknown;
        }
        // The text starts where `split_tail` starts it, and a packet is
        // told by its start.
        match self.heads.text(rest).map(|t| packet_direction(t).is_some()) {
            Some(false) => Quiet::Yes,
            names_packet => Quiet::No { names_packet },
        }
    }
}

/// Whether [`Assembler::quiet`] passes over a record; if not, whether its
/// text names a SIP packet, when it looked.
enum Quiet {
    Yes,
    No { names_packet: Option<bool> },
}

/// Whether a record's text without its `::` names a SIP packet (not its
/// end) near its start: one the SIP reader, which wants the name first,
/// cannot read. Asked only of lines without `::`, which are few, and of
/// their first bytes only (a line may be 64 KiB).
fn names_a_packet(text: &str) -> bool {
    let b = text.as_bytes();
    let b = b.get(..b.len().min(256)).unwrap_or(b);
    let at = |i: usize, w: &[u8]| {
        b.get(i..i + w.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(w))
    };
    memchr::memchr2_iter(b's', b'S', b)
        .map(|i| (i, &b"sending packet"[..]))
        .chain(memchr::memchr2_iter(b'd', b'D', b).map(|i| (i, &b"data received"[..])))
        .any(|(i, w)| at(i, w) && !(i >= 7 && at(i - 7, b"end of ")))
}

/// How many `\n` in `b`.
fn count_lines(b: &[u8]) -> u64 {
    // Most records have no line to count: not even a search set up.
    if b.is_empty() {
        return 0;
    }
    memchr::memchr_iter(b'\n', b).count() as u64
}

/// [`Stamp::resolve`] for records in a row, which share their date: the
/// local day and the UTC day are each looked up once, and so is the zone's
/// offset for a day it holds one offset all day; the rest is arithmetic.
/// Only on a day the zone changes offset is each time resolved by its rules.
#[derive(Default)]
struct TimeCache {
    date: Option<(i32, u32, u32)>,
    /// Days from 1970-01-01 to `date`, when it is a real date.
    days: Option<i64>,
    /// The offset in force all of `date`; `None` on a day the zone changes it.
    day_offset: Option<i32>,
    /// A UTC day (from 1970-01-01) and its date, when plausible.
    utc_day: Option<i64>,
    utc_date: Option<NaiveDate>,
    /// The offsets applied, and the times in a DST gap or overlap.
    used: ZoneUse,
    /// The last time read had the day's one offset applied, and every
    /// second of its minute (`:00` to `:59`) falls on the same plausible
    /// UTC day: any of them reads, with no other effect.
    whole_minute: bool,
}

/// Days from 0001-01-01 to 1970-01-01.
const UNIX_EPOCH_DAY_CE: i64 = 719_163;

/// The one offset `zone` has all of local day `d`, if it has one.
fn day_offset(d: NaiveDate, zone: &LocalZone) -> Option<i32> {
    if let Some(o) = zone.as_fixed() {
        return Some(o.local_minus_utc());
    }
    use oimdiag_vocab::timezone::Fold::Single;
    let first = zone.resolve(&d.and_hms_opt(0, 0, 0)?)?;
    let last = zone.resolve(&d.and_hms_opt(23, 59, 59)?)?;
    (first.fold == Single && last.fold == Single && first.offset == last.offset)
        .then_some(first.offset)
}

impl TimeCache {
    /// The instant and the offset applied.
    fn utc(&mut self, s: &Stamp, zone: &LocalZone) -> Option<(DateTime<Utc>, i32)> {
        self.whole_minute = false;
        let key = (s.year, s.month, s.day);
        if self.date != Some(key) {
            self.date = Some(key);
            let date = NaiveDate::from_ymd_opt(s.year, s.month, s.day);
            self.days = date.map(|d| i64::from(d.num_days_from_ce()) - UNIX_EPOCH_DAY_CE);
            self.day_offset = date.and_then(|d| day_offset(d, zone));
            if let Some(o) = self.day_offset {
                self.used.offset(o);
            }
        }
        let days = self.days?;
        // As `and_hms_nano_opt` checks them (the fraction is below a second).
        if s.hour >= 24 || s.minute >= 60 || s.second >= 60 || s.nanos >= 1_000_000_000 {
            return None;
        }
        let Some(offset) = self.day_offset else {
            let r = s.resolve(zone)?;
            self.used.note(&r);
            return Some((r.utc, r.offset));
        };
        let secs =
            days * 86_400 + i64::from(s.hour * 3600 + s.minute * 60 + s.second) - i64::from(offset);
        // As `DateTime::from_timestamp` splits it.
        let (day, second) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        if self.utc_day != Some(day) {
            self.utc_day = Some(day);
            self.utc_date = DateTime::from_timestamp(day * 86_400, 0)
                .filter(|t| oimdiag_vocab::timefmt::plausible(*t))
                .map(|t| t.date_naive());
        }
        let time =
            NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(second).ok()?, s.nanos)?;
        let utc = self.utc_date?.and_time(time).and_utc();
        let minute_start = second - i64::from(s.second);
        self.whole_minute = minute_start >= 0 && minute_start + 59 < 86_400;
        Some((utc, offset))
    }
}

/// Reads every record into a vector (tests, small files).
pub fn read_all<R: Read>(reader: R, zone: &LocalZone) -> io::Result<(Vec<Record>, ReadStats)> {
    let mut out = Vec::new();
    let stats = read_records(reader, zone, &mut |r| out.push(r))?;
    Ok((out, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SecondsFormat;
    use oimdiag_vocab::timefmt::{parse_utc_offset, rfc3339};

    fn plus1() -> LocalZone {
        parse_utc_offset("+01:00").unwrap().into()
    }

    /// What reading at `plus1` applies.
    fn plus1_used() -> ZoneUse {
        let mut u = ZoneUse::default();
        u.offset(3600);
        u
    }

    fn read(bytes: &[u8]) -> (Vec<Record>, ReadStats) {
        read_all(bytes, &plus1()).unwrap()
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

    type Seen = (Vec<(Record, Found)>, ReadStats);

    /// Line by line only: what the block path must agree with.
    fn read_slowly(bytes: &[u8], literals: &LiteralSet) -> Seen {
        let head = bytes.get(..DATE_ORDER_WINDOW).unwrap_or(bytes);
        let order = DateOrder::of_head(&encoding::decode(head).text);
        let mut lines = LineReader::new(bytes).unwrap();
        let zone = plus1();
        let mut asm = Assembler::new(&zone, order, lines.max_line(), literals);
        let mut out = Vec::new();
        let mut on = |v: &RecordView<'_>, f: Found| out.push((v.to_record(), f));
        lines.for_each_line(&mut |l| asm.line(&l, &mut on)).unwrap();
        asm.flush(&mut on);
        asm.stats.zone = asm.times.used;
        (out, asm.stats)
    }

    fn read_finding<R: Read>(r: R, literals: &LiteralSet) -> Seen {
        let mut out = Vec::new();
        let stats = read_views_finding(r, &plus1(), literals, &mut |v, f| {
            // What the block search found is what a search of the parts finds.
            assert_eq!(f.text, literals.in_text(v.text), "{v:?}");
            assert_eq!(f.continuation, literals.in_text(v.continuation), "{v:?}");
            out.push((v.to_record(), f));
        })
        .unwrap();
        (out, stats)
    }

    /// A log of every awkward shape, several blocks long.
    fn awkward_log(crlf: bool) -> Vec<u8> {
        let mut b: Vec<u8> = b"junk before\n\n  \n".to_vec();
        let mut seed = 12345u64;
        let mut rnd = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut i = 0;
        while b.len() < 3 << 20 {
            i += 1;
            let kind = rnd(14);
            let day = 1 + rnd(3);
            let head = format!(
                "11/0{day}/2026|10:00:{:02}.{:03} 1F68:C14 INFO  :: ",
                i % 60,
                i % 1000
            );
            let text = match kind {
                0 => "Sending Packet - 10.0.0.1:5061 12 bytes:".to_string(),
                1 => "news reviews EWS https://m.contoso.com/EWS/Exchange.asmx".to_string(),
                2 => "aaa ProvisionGroup".to_string(),
                _ => format!("record {i} |x|"),
            };
            b.extend_from_slice(head.as_bytes());
            b.extend_from_slice(text.as_bytes());
            b.extend_from_slice(eol);
            let lines = match (i % 400, rnd(30)) {
                (7, _) => MAX_CONTINUATION as u64 + 2,
                (107, _) => MAX_CONTINUATION as u64,
                (_, 0) => 0,
                _ => rnd(12),
            };
            for j in 0..lines {
                let pick = match (lines > 100, rnd(400)) {
                    // Long records: only lines that cannot start a record.
                    (true, 0) => 0,
                    (true, _) => 399,
                    (false, r) => r,
                };
                let line: Vec<u8> = match pick {
                    0 => vec![b'y'; crate::scan::lines::MAX_LINE + rnd(3) as usize - 1],
                    // Only early: a block with a bad byte is read line by line.
                    1 if i < 300 => b"bad \xFF byte".to_vec(),
                    2..=9 => b"0123456789|not a record".to_vec(),
                    10..=19 => b"1".to_vec(),
                    50..=54 => b"13/45/2026|10:00:00.000 1:2 INFO :: impossible date".to_vec(),
                    20..=24 => b"01/02/2026|25:00:00.000 1:2 INFO :: impossible hour".to_vec(),
                    25..=29 => b"01/02/2026|00:00:0".to_vec(),
                    30..=39 => b"https://x.contoso.com/ews/exchange.asmx <otherOptions>".to_vec(),
                    40..=49 => b"ends in cr\r".to_vec(),
                    _ => format!("Header-{j}: value {j} aa").into_bytes(),
                };
                b.extend_from_slice(&line);
                b.extend_from_slice(eol);
            }
        }
        b.extend_from_slice(b"01/01/2026|00:00:00.000 1:2 INFO :: last, unended");
        b
    }

    #[test]
    fn blocks_agree_with_lines() {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                // Reads of odd sizes, so blocks end anywhere.
                self.1 = (self.1 * 7 + 3) % 4001;
                let n = buf.len().min(self.0.len()).min(self.1 + 1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let sparse = LiteralSet::new(&[
            "ews",
            "/ews/exchange.asmx",
            "provisiongroup",
            "aa",
            "|",
            "x|",
        ]);
        // Too many occurrences to keep: records searched one by one.
        let dense = LiteralSet::new(&["e", "a", "ews"]);
        for (crlf, literals) in [(false, &sparse), (true, &sparse), (false, &dense)] {
            let log = awkward_log(crlf);
            let want = read_slowly(&log, literals);
            assert!(want.0.len() > 300, "{} {:?}", want.0.len(), want.1);
            assert!(
                want.1.cut_lines > 0 && want.1.dropped_lines > 0 && want.1.ansi_lines > 0,
                "{:?}",
                want.1
            );
            assert!(want.1.bad_times > 0 && want.1.malformed_lines > 0);
            let got = read_finding(log.as_slice(), literals);
            assert!(got == want, "crlf {crlf}");
            let got = read_finding(Trickle(&log, 0), literals);
            assert!(got == want, "crlf {crlf}, small reads");
        }
    }

    #[test]
    fn quiet_records_are_counted_not_lent() {
        let gate = regex::bytes::Regex::new(r"record 1\d").unwrap();
        let quiet = LiteralSet::new(&["provisiongroup", "/ews/exchange.asmx"])
            .with_gate(Some(std::sync::Arc::new(gate.clone())))
            .with_quiet(0b10);
        for crlf in [false, true] {
            let log = awkward_log(crlf);
            let (all, want) = read_slowly(&log, &quiet);
            let (lent, stats) = read_finding(log.as_slice(), &quiet);
            assert_eq!(stats, want, "crlf {crlf}");
            assert!(lent.len() > 100 && lent.len() + 100 < all.len(), "{} {}", lent.len(), all.len());
            let mut lent = lent.iter().peekable();
            for (r, f) in &all {
                if lent.peek().is_some_and(|(l, _)| l.line == r.line) {
                    let (l, lf) = lent.next().unwrap();
                    assert_eq!((l, lf.text, lf.continuation), (r, f.text, f.continuation));
                    continue;
                }
                // Passed over: nothing the caller asked to see is in it.
                assert!(f.text & 0b10 == 0 && f.continuation & 0b10 == 0, "{r:?}");
                assert!(!gate.is_match(r.text.to_ascii_lowercase().as_bytes()), "{r:?}");
                assert!(packet_direction(&r.text).is_none(), "{r:?}");
            }
            assert!(lent.next().is_none());
        }
        // Packet-only literals: reported in the continuation of every packet
        // lent, whether `quiet` or the lending told the packet (other records
        // may have them reported or not: as read line by line, or not).
        let packets = LiteralSet::with_packet_only(&["otheroptions", "no such words"], 0b01)
            .with_gate(Some(std::sync::Arc::new(gate)))
            .with_quiet(0b10);
        for crlf in [false, true] {
            let log = awkward_log(crlf);
            let mut named = 0;
            read_views_finding(log.as_slice(), &plus1(), &packets, &mut |v, f| {
                let packet = packet_direction(v.text).is_some();
                named += usize::from(packet && f.continuation & 0b01 != 0);
                let only = if packet { 0 } else { 0b01 };
                let want = packets.in_text(v.continuation);
                assert_eq!(f.continuation & !only, want & !only, "{v:?}");
            })
            .unwrap();
            assert!(named > 0, "crlf {crlf}");
        }
    }

    #[test]
    fn counts_lines_of_any_length() {
        let b: Vec<u8> = (0..300u32)
            .map(|i| {
                if i % 7 == 0 || i % 11 == 0 {
                    b'\n'
                } else {
                    b'x'
                }
            })
            .collect();
        for from in 0..20 {
            for to in from..b.len() {
                let want = b[from..to].iter().filter(|&&c| c == b'\n').count() as u64;
                assert_eq!(count_lines(&b[from..to]), want);
            }
        }
        assert_eq!(count_lines(&[b'\n'; 1000]), 1000);
    }

    #[test]
    fn time_cache_follows_zone_rules_across_dst_days() {
        // Every quarter hour of the days either side of Rome's two changes,
        // in order as a log has them: the cache agrees with the zone's rules
        // and counts the gap and overlap times.
        let rome = LocalZone::parse_flag("Europe/Rome").unwrap();
        let mut cache = TimeCache::default();
        let mut want = ZoneUse::default();
        for (month, day) in [(3, 28), (3, 29), (3, 30), (10, 24), (10, 25), (10, 26)] {
            for q in 0..96u32 {
                let s = Stamp {
                    year: 2026,
                    month,
                    day,
                    hour: q / 4,
                    minute: (q % 4) * 15,
                    second: 0,
                    nanos: 0,
                };
                let r = s.resolve(&rome).unwrap();
                want.note(&r);
                assert_eq!(cache.utc(&s, &rome), Some((r.utc, r.offset)), "{s:?}");
            }
        }
        // 02:00-02:45 on 29 March are in the gap, 02:00-02:45 on 25 October twice.
        assert_eq!((cache.used.gaps, cache.used.overlaps), (4, 4));
        assert_eq!(cache.used.offsets(), [3600, 7200]);
        assert_eq!(want.offsets(), cache.used.offsets());
    }

    #[test]
    fn time_cache_agrees_with_to_utc() {
        let mut caches: [TimeCache; 4] = Default::default();
        let mut n = 0u32;
        for year in [0, 1, 1969, 1970, 1979, 1980, 2000, 2024, 2026, 9999] {
            for month in [0, 1, 2, 12, 13] {
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    for (hour, minute, second) in
                        [(0, 0, 0), (23, 59, 59), (24, 0, 0), (0, 60, 0), (0, 0, 60)]
                    {
                        for (k, off) in ["+00:00", "+14:00", "-12:00", "+05:30"].iter().enumerate()
                        {
                            n = n.wrapping_mul(31).wrapping_add(7);
                            let s = Stamp {
                                year,
                                month,
                                day,
                                hour,
                                minute,
                                second,
                                nanos: n % 1_000_000_000,
                            };
                            let o: LocalZone = parse_utc_offset(off).unwrap().into();
                            let want = s.resolve(&o).map(|r| (r.utc, r.offset));
                            // A reader keeps its zone: one cache per zone.
                            assert_eq!(caches[k].utc(&s, &o), want, "{s:?} {off}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn counted_times_count_as_read_ones() {
        // Stamps in runs of a minute, each second and fraction mutated to
        // the edges of what reads, across days, midnights (UTC and local),
        // DST changes and dates that contradict either order: a record only
        // counted leaves the stats and the zone's use as one read.
        let zones: Vec<LocalZone> = vec![
            plus1(),
            parse_utc_offset("-05:30").unwrap().into(),
            LocalZone::parse_flag("Europe/Rome").unwrap(),
            // Seconds in the offset: a minute of 1980-01-01 01:00 runs from
            // 1979 (not plausible) into 1980.
            chrono::FixedOffset::east_opt(3630).unwrap().into(),
        ];
        let dates = [(3, 29), (3, 29), (10, 25), (13, 5), (5, 13), (12, 31), (2, 30), (0, 1), (1, 1)];
        let times = [(0, 0), (0, 59), (1, 0), (1, 59), (2, 30), (22, 59), (23, 0), (24, 0), (7, 60)];
        let mut n = 7u32;
        for zone in &zones {
            for order in [DateOrder::MonthFirst, DateOrder::DayFirst] {
                let none: [&str; 0] = [];
                let literals = LiteralSet::new(&none);
                let mut read = Assembler::new(zone, order, 1 << 16, &literals);
                let mut counted = Assembler::new(zone, order, 1 << 16, &literals);
                for (year, (month, day)) in [2026, 1980, 1969].into_iter().flat_map(|y| dates.map(|d| (y, d))) {
                    for (hour, minute) in times {
                        for k in 0..12u32 {
                            n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                            let s = Stamp {
                                year,
                                month,
                                day,
                                hour,
                                minute,
                                second: [0, 1, 30, 59, 60, 99][(n >> 8) as usize % 6],
                                nanos: [0, 999_000_000, 999_999_999, 1_000_000_000][(n >> 16) as usize % 4],
                            };
                            read.time_of_stamp(s);
                            // Now and then read in full, as a lent record would be.
                            if k % 5 == 0 {
                                counted.time_of_stamp(s);
                            } else {
                                counted.count_time(s);
                            }
                        }
                    }
                }
                let (a, b) = (&read.stats, &counted.stats);
                assert_eq!(
                    (a.bad_times, a.date_order_contradictions),
                    (b.bad_times, b.date_order_contradictions),
                    "{order:?}"
                );
                assert_eq!(read.times.used, counted.times.used, "{order:?}");
                assert!(a.bad_times > 0 && a.date_order_contradictions > 0);
            }
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
                zone: plus1_used(),
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
        let (recs, _) =
            read_all(s.as_bytes(), &parse_utc_offset("+05:30").unwrap().into()).unwrap();
        assert_eq!(ms(recs[0].time), "2025-12-31T19:00:00.500Z");
        let (recs, _) =
            read_all(s.as_bytes(), &parse_utc_offset("-08:00").unwrap().into()).unwrap();
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
        // No BOM: read as Windows-1252, and counted as such.
        assert_eq!((stats.lossy_lines, stats.ansi_lines), (0, 2));
        assert_eq!(stats.cut_lines, 1);
        assert_eq!(recs[0].text, "bad \u{FF} byte");
        assert_eq!(recs[0].continuation.len(), 2);
        assert_eq!(recs[1].text, "ok");
        // A UTF-8 BOM: the bytes are bad.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&b);
        let (recs, stats) = read(&bom);
        assert_eq!((stats.lossy_lines, stats.ansi_lines), (2, 0));
        assert!(recs[0].text.contains('\u{FFFD}'));
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
    #[ignore = "benchmark, run by hand with --release; CI skips it"]
    fn throughput() {
        use std::io::Write;
        let mb: u64 = std::env::var("OIMDIAG_BENCH_MB")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        let path = std::env::temp_dir().join(format!("oimdiag-bench-{mb}mb.UccApilog"));
        let sample = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../sample-spooler/Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog"
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
        let stats = read_records(std::fs::File::open(&path).unwrap(), &plus1(), &mut |r| {
            recs += 1;
            std::hint::black_box(r);
        })
        .unwrap();
        let read = t.elapsed().as_secs_f64();

        let t = std::time::Instant::now();
        let mut events = 0u64;
        read_records(std::fs::File::open(&path).unwrap(), &plus1(), &mut |r| {
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
            "/../../sample-spooler/Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog"
        );
        let f = std::fs::File::open(path).unwrap();
        let (recs, stats) = read_all(f, &plus1()).unwrap();
        assert_eq!(recs.len(), 26);
        assert_eq!(
            stats,
            ReadStats {
                records: 26,
                zone: plus1_used(),
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
