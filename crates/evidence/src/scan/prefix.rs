//! The first line of a UccApilog record (BRIEF §3.3):
//! `MM/DD/YYYY|HH:MM:SS.mmm <pid hex>:<tid hex> <LEVEL> :: <text>`, and the
//! shapes machines write instead of it: a level word of any spelling
//! (`TRACE_VERBOSE`, `Info`), extra tokens between `pid:tid` and `::`, a
//! 12-hour time (`03:17:30.168 PM`), a day-first date (`DD/MM/YYYY`, decided
//! per file by [`DateOrder`]).
//!
//! Parsed by hand on bytes (every boundary cut at is an ASCII byte): this
//! runs on every line of logs of gigabytes, so it allocates nothing and
//! runs no regex.

use chrono::{DateTime, NaiveDate, Utc};
use oimdiag_vocab::timezone::{LocalZone, Resolved};

/// The parsed first line of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordStart<'a> {
    /// The local timestamp's fields as written (month first), whether or
    /// not they make a real date.
    pub stamp: Stamp,
    /// `pid:tid` as written, when present.
    pub thread: Option<&'a str>,
    /// The level word as written (`INFO`, `error`, `TRACE_VERBOSE`, ...), when present.
    pub level: Option<&'a str>,
    /// The text after `::` (or after the timestamp when the line has no `::`), trimmed.
    pub text: &'a str,
    /// Whether the line had its `::`: without it, what follows the
    /// timestamp is all text, and a packet named in it cannot be read.
    pub separated: bool,
}

/// The raw fields of `MM/DD/YYYY|HH:MM:SS.fff`, the hour on the 24-hour
/// clock (an `AM`/`PM` after the time already applied).
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
    /// The time, taking the stamp as local time by `zone`; `None` for an
    /// impossible date or time (13/45/2026, 25:00:00).
    pub fn resolve(&self, zone: &LocalZone) -> Option<Resolved> {
        let local = NaiveDate::from_ymd_opt(self.year, self.month, self.day)?.and_hms_nano_opt(
            self.hour,
            self.minute,
            self.second,
            self.nanos,
        )?;
        zone.resolve(&local)
            .filter(|r| oimdiag_vocab::timefmt::plausible(r.utc))
    }

    /// [`resolve`](Self::resolve)'s instant.
    pub fn to_utc(&self, zone: &LocalZone) -> Option<DateTime<Utc>> {
        self.resolve(zone).map(|r| r.utc)
    }

    fn swapped(self) -> Stamp {
        Stamp {
            month: self.day,
            day: self.month,
            ..self
        }
    }
}

/// Which of a log's date fields is the month. A date like `04/05/2026`
/// reads both ways, so a file is judged as a whole from its start: a first
/// field above 12 there proves the day comes first; without one, the month
/// does (the client's own order, BRIEF §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateOrder {
    #[default]
    MonthFirst,
    DayFirst,
}

impl DateOrder {
    /// The order the record prefixes in `head` (a file's first bytes,
    /// decoded) prove.
    pub fn of_head(head: &str) -> DateOrder {
        // Only a stamp whose first field is above 12 can prove it, and every
        // stamp has its `|` 10 bytes into its line: the lines are found from
        // the `|`s (one a record; `str::lines` stopped at every line, for each
        // small log), and only those whose first field is above 12 are parsed.
        let b = head.as_bytes();
        let day_first = memchr::memchr_iter(b'|', b)
            .filter_map(|bar| {
                let start = bar.checked_sub(10)?;
                if start > 0 && b.get(start - 1) != Some(&b'\n') {
                    return None;
                }
                match b.get(start..start + 2)? {
                    [x @ b'0'..=b'9', y @ b'0'..=b'9'] if (x - b'0') * 10 + (y - b'0') > 12 => {}
                    _ => return None,
                }
                // The line as `str::lines` gives it: to its `\n`, or `\r\n`,
                // or the end.
                let line = head.get(start..)?;
                Some(match memchr::memchr(b'\n', line.as_bytes()) {
                    Some(n) => line.get(..n).map(|l| l.strip_suffix('\r').unwrap_or(l))?,
                    None => line,
                })
            })
            .filter_map(parse_stamp)
            .any(|(s, _)| s.month > 12 && s.day <= 12);
        if day_first {
            DateOrder::DayFirst
        } else {
            DateOrder::MonthFirst
        }
    }

    /// The stamp (as [`parse_stamp`] gives it, month first) read in this
    /// order, and whether it contradicts the order: a date that reads only
    /// the other way round is read that way, and said.
    pub fn read(self, s: Stamp) -> (Stamp, bool) {
        let (first, second) = (s.month, s.day);
        match self {
            DateOrder::MonthFirst if first > 12 && second <= 12 => (s.swapped(), true),
            DateOrder::MonthFirst => (s, false),
            DateOrder::DayFirst if second > 12 && first <= 12 => (s, true),
            DateOrder::DayFirst => (s.swapped(), false),
        }
    }
}

/// Whether `line` starts a record, and its parts. The timestamp with its `|`
/// is the marker; `pid:tid LEVEL ::` is parsed when present and tolerated when
/// not (a line with a timestamp but an odd tail still starts a record).
pub fn parse_prefix(line: &str) -> Option<RecordStart<'_>> {
    let (stamp, i) = parse_stamp(line)?;
    let t = split_tail(line.get(i..)?);
    Some(RecordStart {
        stamp,
        thread: t.thread,
        level: t.level,
        text: t.text,
        separated: t.separated,
    })
}

/// The timestamp of a record's first line, and where what follows it starts.
pub(crate) fn parse_stamp(line: &str) -> Option<(Stamp, usize)> {
    usual_stamp(line.as_bytes()).or_else(|| any_stamp(line))
}

/// The usual stamp's three words (`MM/DD/YY`, `YY|HH:MM`, `:SS.fff `): which
/// bytes are digits, which are separators, and what those are (the last
/// byte is a blank, checked apart).
const WORDS: [Word; 3] = [
    Word {
        digits: 0xFFFF_00FF_FF00_FFFF,
        separators: 0x0000_FF00_00FF_0000,
        bytes: u64::from_le_bytes(*b"\0\0/\0\0/\0\0"),
    },
    Word {
        digits: 0xFFFF_00FF_FF00_FFFF,
        separators: 0x0000_FF00_00FF_0000,
        bytes: u64::from_le_bytes(*b"\0\0|\0\0:\0\0"),
    },
    Word {
        digits: 0x00FF_FFFF_00FF_FF00,
        separators: 0x0000_0000_FF00_00FF,
        bytes: u64::from_le_bytes(*b":\0\0.\0\0\0\0"),
    },
];
const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;

#[derive(Clone, Copy)]
struct Word {
    digits: u64,
    separators: u64,
    bytes: u64,
}

impl Word {
    /// Whether `w` has this word's digits and separators.
    fn fits(self, w: u64) -> bool {
        let (d, sep) = (self.digits, self.separators);
        // A digit is 0x30..=0x39: high nibble 3, and 6 more does not reach
        // 0x40 (no byte carries into the next when all high nibbles are 3).
        let high = w & d & !LOW;
        let plus6 = (w & d).wrapping_add(0x0606_0606_0606_0606 & d) & d & !LOW;
        high == 0x3030_3030_3030_3030 & d
            && plus6 == 0x3030_3030_3030_3030 & d
            && w & sep == self.bytes & sep
    }
}

/// Whether the usual stamp, whose 24 bytes `b` starts with, ends there:
/// a blank, and no `AM`/`PM` after it.
fn usual_end(b: &[u8]) -> bool {
    b.get(23).is_some_and(|&c| is_blank(c)) && meridiem(b, skip_blanks(b, 23)).is_none()
}

/// [`any_stamp`] for the shape nearly every line has,
/// `MM/DD/YYYY|HH:MM:SS.fff ` without `AM`/`PM`: its 24 bytes checked a
/// word at a time (it runs on every record of the log).
fn usual_stamp(b: &[u8]) -> Option<(Stamp, usize)> {
    let head: &[u8; 24] = b.first_chunk()?;
    let mut ok = true;
    let mut words = [0u64; 3];
    for ((chunk, word), shape) in head.chunks_exact(8).zip(&mut words).zip(WORDS) {
        let w = u64::from_le_bytes(chunk.try_into().ok()?);
        *word = w;
        ok &= shape.fits(w);
    }
    if !ok || !usual_end(b) {
        return None;
    }
    // Each byte's digit, then in each byte ten times it plus the next one
    // (at most 165: nothing carries): a two-digit field's value in its
    // first byte.
    let digits = words.map(|w| w & LOW);
    let [p, q, r] = digits.map(|v| v.wrapping_mul(10).wrapping_add(v >> 8));
    let at = |w: u64, byte: u32| ((w >> (8 * byte)) & 0xFF) as u32;
    let stamp = Stamp {
        year: i32::try_from(at(p, 6) * 100 + at(q, 0)).ok()?,
        month: at(p, 0),
        day: at(p, 3),
        hour: at(q, 3),
        minute: at(q, 6),
        second: at(r, 1),
        nanos: (at(r, 4) * 10 + at(digits[2], 6)) * 1_000_000,
    };
    Some((stamp, 23))
}

/// [`parse_stamp`] for the lines of a log in turn: a usual stamp in the
/// same minute as the last usual one read (nearly every record of a busy
/// log) has only its seconds read and checked.
#[derive(Default)]
pub(crate) struct Stamps {
    /// The first 16 bytes of the last usual stamp (`MM/DD/YYYY|HH:MM`), and it.
    minute: Option<(u128, Stamp)>,
}

impl Stamps {
    /// What [`parse_stamp`] gives for `line`.
    #[inline]
    pub(crate) fn parse(&mut self, line: &str) -> Option<(Stamp, usize)> {
        let b = line.as_bytes();
        let head = b.first_chunk::<16>().map(|h| u128::from_le_bytes(*h));
        if let (Some((minute, last)), Some(h)) = (self.minute, head) {
            let rest = b.get(16..24).and_then(|w| w.try_into().ok()).map(u64::from_le_bytes);
            let [.., seconds] = WORDS;
            if let Some(w) = rest.filter(|&w| h == minute && seconds.fits(w) && usual_end(b)) {
                // As `usual_stamp` reads them: `:SS.fff `.
                let d = |i: u32| ((w >> (8 * i)) & 0x0F) as u32;
                let stamp = Stamp {
                    second: d(1) * 10 + d(2),
                    nanos: (d(4) * 100 + d(5) * 10 + d(6)) * 1_000_000,
                    ..last
                };
                return Some((stamp, 23));
            }
        }
        match usual_stamp(b) {
            Some((stamp, at)) => {
                self.minute = head.map(|h| (h, stamp));
                Some((stamp, at))
            }
            None => any_stamp(line),
        }
    }
}

/// [`parse_stamp`] for every shape it takes.
fn any_stamp(line: &str) -> Option<(Stamp, usize)> {
    let b = line.as_bytes();
    // Cheap rejection first: continuation lines almost never look like `DD/`.
    // The shortest stamp: `MM/DD/YYYY|H:MM:SS`.
    let head: &[u8; 18] = b.first_chunk()?;
    if head[2] != b'/' || !head[0].is_ascii_digit() {
        return None;
    }
    let month = num2(b, 0)?;
    let day = num2(b, 3)?;
    if head[5] != b'/' || head[10] != b'|' {
        return None;
    }
    let year = num4(b, 6)?;
    // The hour may have one digit (`3:17:30 PM`, `3:17:30.123`), as a
    // culture's time format without a leading zero writes it.
    let (mut hour, h) = if head[12] == b':' {
        (digit(head[11])?, 12)
    } else {
        (num2(b, 11)?, 13)
    };
    if b.get(h) != Some(&b':') || b.get(h + 3) != Some(&b':') {
        return None;
    }
    let minute = num2(b, h + 1)?;
    let second = num2(b, h + 4)?;
    let mut i = h + 6;
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
    // A 12-hour clock: `AM`/`PM` after the time, as a word of its own.
    let m = skip_blanks(b, i);
    if let Some(pm) = meridiem(b, m) {
        hour = match (hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (1..=11, false) => hour,
            (1..=11, true) => hour + 12,
            // 00 or 13+ is no hour of a 12-hour clock: an unreadable time.
            _ => 24,
        };
        i = m + 2;
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
    Some((stamp, i))
}

/// `Some(true)` for `PM` at `at`, `Some(false)` for `AM` (any case),
/// followed by a blank or the end of the line.
fn meridiem(b: &[u8], at: usize) -> Option<bool> {
    let [a, m] = *b.get(at..at + 2)?.first_chunk::<2>()?;
    if !m.eq_ignore_ascii_case(&b'm') || !b.get(at + 2).is_none_or(|&c| is_blank(c)) {
        return None;
    }
    match a.to_ascii_lowercase() {
        b'a' => Some(false),
        b'p' => Some(true),
        _ => None,
    }
}

/// What follows the timestamp, split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tail<'a> {
    pub thread: Option<&'a str>,
    pub level: Option<&'a str>,
    pub text: &'a str,
    pub separated: bool,
}

/// Tokens at most between `pid:tid` and `::` (the level among them), and
/// their longest: past either, the line is taken for text, not a prefix.
const MAX_TOKENS: usize = 6;
const MAX_TOKEN: usize = 64;

/// Levels the client writes, in upper case (see [`normalise_level`]).
pub(crate) const LEVELS: [&str; 8] = [
    "INFO", "TRACE", "WARN", "WARNING", "ERROR", "FATAL", "VERBOSE", "DEBUG",
];

/// Splits ` 1F68:C14 INFO  :: text` into its parts, tolerating what is
/// missing. After `pid:tid`, any few tokens may stand before `::`; the level
/// is the first of them that is a known level (or starts like one:
/// `TRACE_VERBOSE`), else the last word among them. Without `pid:tid`, one
/// word at most (else a line of prose with a `::` in it would lose its start).
pub(crate) fn split_tail(rest: &str) -> Tail<'_> {
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
    let max_tokens = if thread.is_some() { MAX_TOKENS } else { 1 };
    let mut tokens = [(0usize, 0usize); MAX_TOKENS];
    let mut count = 0;
    let mut j = i;
    let separator = loop {
        if b.get(j..j + 2) == Some(b"::") {
            break Some(j);
        }
        let end = skip_while(b, j, |c| !is_blank(c) && c != b':');
        if end == j || end - j > MAX_TOKEN || count == max_tokens {
            break None;
        }
        if let Some(t) = tokens.get_mut(count) {
            *t = (j, end);
        }
        count += 1;
        j = skip_blanks(b, end);
    };
    let found = tokens.get(..count).unwrap_or_default();
    let word = |&(s, e): &(usize, usize)| rest.get(s..e).filter(|w| is_word(w));
    let level = match separator {
        Some(_) => found
            .iter()
            .filter_map(word)
            .find(|w| is_known_level(w))
            .or_else(|| found.iter().rev().find_map(word)),
        None => None,
    };
    match separator {
        Some(sep) if thread.is_some() || count == 0 || level.is_some() => Tail {
            thread,
            level,
            text: trim(rest.get(sep + 2..).unwrap_or("")),
            separated: true,
        },
        // No `LEVEL ::`: keep whatever follows as the text.
        _ => Tail {
            thread,
            level: None,
            text: trim(rest.get(i..).unwrap_or("")),
            separated: false,
        },
    }
}

/// Where the text starts in a line of the usual shape, ` pid:tid LEVEL ::
/// text` (a word or none between `pid:tid` and `::`): just after its `::`,
/// where [`split_tail`] cuts it (the line is then separated); `None` for any
/// other shape. Decided from the bytes before that alone; neither the level
/// nor a cache of heads: for records only counted, whatever their thread.
fn plain_head(rest: &str) -> Option<usize> {
    let b = rest.as_bytes();
    let i = skip_blanks(b, 0);
    let pid_end = skip_while(b, i, |c| c.is_ascii_hexdigit());
    if pid_end == i || b.get(pid_end) != Some(&b':') {
        return None;
    }
    let tid_end = skip_while(b, pid_end + 1, |c| c.is_ascii_hexdigit());
    if tid_end == pid_end + 1 || !b.get(tid_end).is_some_and(|&c| is_blank(c)) {
        return None;
    }
    let j = skip_blanks(b, tid_end);
    let end = skip_while(b, j, |c| !is_blank(c) && c != b':');
    let sep = skip_blanks(b, end);
    if end - j > MAX_TOKEN || b.get(sep..sep + 2) != Some(b"::") {
        return None;
    }
    Some(sep + 2)
}

/// The heads (up to the `::`) of [`plain_head`]'s shape met so far, each in
/// 32 bytes compared at once: a log has a few, one per thread and level.
#[derive(Default)]
pub(crate) struct PlainHeads {
    /// Bytes, which of them count, and how many.
    heads: Vec<([u128; 2], [u128; 2], usize)>,
    next: usize,
    /// The one met last, looked at first: records of a thread come in runs.
    last: usize,
}

impl PlainHeads {
    const MAX: usize = 16;

    /// The text [`split_tail`] gives for a line of [`plain_head`]'s shape,
    /// but for the blanks at its end.
    #[inline]
    pub(crate) fn text<'r>(&mut self, rest: &'r str) -> Option<&'r str> {
        let b = rest.as_bytes();
        let Some(w) = b.first_chunk::<32>().map(Self::words) else {
            return rest.get(skip_blanks(b, plain_head(rest)?)..);
        };
        let same = |(h, m, _): &([u128; 2], [u128; 2], usize)| {
            ((w[0] ^ h[0]) & m[0]) | ((w[1] ^ h[1]) & m[1]) == 0
        };
        let found = match self.heads.get(self.last) {
            Some(h) if same(h) => Some(self.last),
            _ => self.heads.iter().position(same),
        };
        let at = match found.and_then(|i| Some((i, self.heads.get(i)?.2))) {
            Some((i, at)) => {
                self.last = i;
                at
            }
            None => {
                let at = plain_head(rest)?;
                if at <= 32 {
                    let mut mask = [0u8; 32];
                    mask.get_mut(..at).unwrap_or_default().fill(0xFF);
                    let head = (w, Self::words(&mask), at);
                    match self.heads.get_mut(self.next) {
                        Some(h) => *h = head,
                        None => self.heads.push(head),
                    }
                    self.next = (self.next + 1) % Self::MAX;
                }
                at
            }
        };
        rest.get(skip_blanks(b, at)..)
    }

    fn words(b: &[u8; 32]) -> [u128; 2] {
        let (lo, hi) = b.split_at(16);
        [lo, hi].map(|h| u128::from_le_bytes(h.try_into().unwrap_or_default()))
    }
}

/// A letter, then letters, digits, `_` or `-`.
fn is_word(w: &str) -> bool {
    let b = w.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-'))
}

/// `INFO`, `Info`, `TRACE_VERBOSE`: a known level, or one before a `_`.
fn is_known_level(w: &str) -> bool {
    let head = w.split('_').next().unwrap_or(w);
    LEVELS.iter().any(|l| l.eq_ignore_ascii_case(head))
}

/// A level as the report writes it: known ones in their usual upper case.
pub(crate) fn normalise_level(level: &str) -> String {
    match LEVELS.iter().find(|l| l.eq_ignore_ascii_case(level)) {
        Some(l) => (*l).to_owned(),
        None => level.to_ascii_uppercase(),
    }
}

/// How the last few records' first lines went on after the timestamp, up
/// to `::` (` 1F68:C14 INFO  :: `): a line with the same bytes there is
/// split the same way, since [`split_tail`] decides from those bytes alone.
#[derive(Default)]
pub(crate) struct Tails {
    heads: [Head; 4],
    next: usize,
}

#[derive(Default)]
struct Head {
    bytes: Vec<u8>,
    thread: Option<(usize, usize)>,
    level: Option<(usize, usize)>,
}

impl Tails {
    /// [`split_tail`], remembered.
    pub(crate) fn split<'r>(&mut self, rest: &'r str) -> Tail<'r> {
        let b = rest.as_bytes();
        for h in &self.heads {
            if !h.bytes.is_empty() && b.starts_with(&h.bytes) {
                return Tail {
                    thread: h.thread.and_then(|(x, y)| rest.get(x..y)),
                    level: h.level.and_then(|(x, y)| rest.get(x..y)),
                    text: trim(rest.get(h.bytes.len()..).unwrap_or("")),
                    separated: true,
                };
            }
        }
        let t = split_tail(rest);
        if t.separated {
            // Only a split at `::` is remembered: its head ends there, and
            // the text starts after it.
            let at = |s: &str| (s.as_ptr() as usize).saturating_sub(rest.as_ptr() as usize);
            let text_at = at(t.text);
            let end = match rest.get(..text_at) {
                Some(before) => before.rfind("::").map_or(0, |k| k + 2),
                None => 0,
            };
            if let (Some(bytes), Some(h)) = (b.get(..end), self.heads.get_mut(self.next)) {
                h.bytes.clear();
                h.bytes.extend_from_slice(bytes);
                h.thread = t.thread.map(|s| (at(s), at(s) + s.len()));
                h.level = t.level.map(|s| (at(s), at(s) + s.len()));
                self.next = (self.next + 1) % 4;
            }
        }
        t
    }
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

    /// The text of a line of [`plain_head`]'s shape.
    fn plain_text(rest: &str) -> Option<&str> {
        Some(trim(rest.get(plain_head(rest)?..)?))
    }

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
    fn remembered_splits_agree_with_split_tail() {
        let rests = [
            " 1F68:C14 INFO  :: text",
            " 1F68:C14 INFO  ::  more text\t",
            " 1F68:C14 INFO  :: ",
            " 1F68:C14 INFO  ::",
            " 1F68:C14 INFO  ::x",
            " 1F68:C14 INFO  :",
            " 1F68:C14 INFOX :: longer level",
            " 1F68:C14 INF :: shorter level",
            " 1F68:C14x INFO :: odd thread",
            " 1F68:C14 :: no level",
            " 1F68:1A0C ERROR\t::\ttabs",
            "\t1F68:1A0C ERROR\t::\ttabs",
            " no thread here",
            " 1F68:C14 INFO  :: text",
            " 1F68:C14 WARN :: w",
            " 1F68:C14 WARN :: w2",
            " 1F68:C14 Audit :: odd level",
            " 1F68:C14 AAAAAAAAAAAAAAAAA :: long level",
            " 1F68:C14 TRACE_VERBOSE :: x",
            " 1F68:C14 [3] SIP Info :: x",
            " 1F68:C14 [3] SIP Info ::: x",
            " 1F68:C14 [3] SIP Info :",
            " 1F68:C14 a b c d e f :: six",
            " 1F68:C14 a b c d e f g :: seven",
            " 1F68:C14 INFO CUccApiLog::Initialize",
            " INFO :: no thread",
            " [x] :: no thread, no word",
            " Function: CUccApiLog::Initialize",
            "",
        ];
        let plain = rests.iter().filter(|r| plain_text(r).is_some()).count();
        assert_eq!(plain, 16);
        let mut tails = Tails::default();
        let mut heads = PlainHeads::default();
        for round in 0..3 {
            for k in 0..rests.len() {
                // Orders that bring heads back after others pushed them out.
                let r = rests[(k * (round + 1)) % rests.len()];
                let r2 = rests[k];
                for x in [r, r2] {
                    let t = split_tail(x);
                    assert_eq!(tails.split(x), t, "{x:?}");
                    if let Some(text) = plain_text(x) {
                        assert!(t.separated && t.text == text, "{x:?}");
                    }
                    let long = format!("{x}{}", " text".repeat(8));
                    for y in [x, long.as_str()] {
                        let text = heads.text(y).map(|t| t.trim_end_matches([' ', '\t']));
                        assert_eq!(text, plain_text(y), "{y:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn any_level_word_and_extra_tokens_before_the_separator() {
        let canonical =
            parse_prefix("04/16/2013|03:17:30.168 1F68:C14 INFO  :: Sending Packet - x").unwrap();
        for (line, level) in [
            (
                "04/16/2013|03:17:30.168 1F68:C14 TRACE_VERBOSE :: Sending Packet - x",
                "TRACE_VERBOSE",
            ),
            (
                "04/16/2013|03:17:30.168 1F68:C14 Info :: Sending Packet - x",
                "Info",
            ),
            (
                "04/16/2013|03:17:30.168 1F68:C14 INFO SIPSTACK :: Sending Packet - x",
                "INFO",
            ),
            (
                "04/16/2013|03:17:30.168 1F68:C14 [SIP] 12 Warning ::Sending Packet - x",
                "Warning",
            ),
            (
                "04/16/2013|03:17:30.168 1F68:C14 Component Audit :: Sending Packet - x",
                "Audit",
            ),
            (
                "04/16/2013|03:17:30.168 1F68:C14 ---- :: Sending Packet - x",
                "",
            ),
        ] {
            let p = parse_prefix(line).unwrap();
            assert_eq!(p.thread, Some("1F68:C14"), "{line}");
            assert_eq!(p.level.unwrap_or(""), level, "{line}");
            assert_eq!(p.text, canonical.text, "{line}");
            assert_eq!(p.stamp, canonical.stamp, "{line}");
            assert!(p.separated, "{line}");
        }
        // Too many tokens, or a `:` inside one: text, not a prefix.
        let p = parse_prefix("04/16/2013|03:17:30.168 1F68:C14 a b c d e f g :: x").unwrap();
        assert_eq!(
            (p.level, p.text, p.separated),
            (None, "a b c d e f g :: x", false)
        );
        let p = parse_prefix("04/16/2013|03:17:30.168 1F68:C14 Function: A::B").unwrap();
        assert_eq!(
            (p.level, p.text, p.separated),
            (None, "Function: A::B", false)
        );
        // Without `pid:tid`, one word at most.
        let p = parse_prefix("04/16/2013|03:17:30.168 some words :: here").unwrap();
        assert_eq!((p.thread, p.text), (None, "some words :: here"));
    }

    #[test]
    fn twelve_hour_times() {
        let at = |line: &str| {
            let p = parse_prefix(line).unwrap();
            assert_eq!(p.text, "x", "{line}");
            (p.stamp.hour, p.stamp.minute)
        };
        assert_eq!(
            at("04/16/2013|03:17:30.168 PM 1F68:C14 INFO :: x"),
            (15, 17)
        );
        assert_eq!(at("04/16/2013|03:17:30.168 AM 1F68:C14 INFO :: x"), (3, 17));
        assert_eq!(at("04/16/2013|12:05:00.000 AM 1F68:C14 INFO :: x"), (0, 5));
        assert_eq!(at("04/16/2013|12:05:00.000 PM 1F68:C14 INFO :: x"), (12, 5));
        assert_eq!(
            at("04/16/2013|11:59:59.999 pm\t1F68:C14 INFO :: x"),
            (23, 59)
        );
        assert_eq!(at("04/16/2013|01:00:00 am 1F68:C14 INFO :: x"), (1, 0));
        // Not an hour of a 12-hour clock: a record with an unreadable time.
        assert_eq!(at("04/16/2013|13:00:00.000 PM 1F68:C14 INFO :: x").0, 24);
        assert_eq!(at("04/16/2013|00:00:00.000 AM 1F68:C14 INFO :: x").0, 24);
        // `AM`/`PM` only as a word of its own.
        let p = parse_prefix("04/16/2013|03:17:30.168 PMX 1F68:C14 INFO :: x").unwrap();
        assert_eq!(p.stamp.hour, 3);
        let p = parse_prefix("04/16/2013|03:17:30.168 PM").unwrap();
        assert_eq!((p.stamp.hour, p.text), (15, ""));
    }

    #[test]
    fn the_usual_stamp_reads_as_any_stamp() {
        let usual = "11/20/2026|08:00:00.035 1F68:1A0C INFO  :: x";
        let mut lines = vec![usual.to_string(), "12/31/9999|23:59:59.999\t".into()];
        // Every byte of the stamp and the two after it, replaced by each of
        // a few that sit at the edges of what is read.
        for i in 0..26 {
            for c in [b'0', b'9', b'/', b'|', b':', b'.', b' ', b'\t', b'a', b'P', b'M', b'@', 0x7F] {
                let mut l = usual.as_bytes().to_vec();
                l[i] = c;
                lines.push(String::from_utf8(l).unwrap());
            }
        }
        for l in ["11/20/2026|08:00:00.035 PM x", "11/20/2026|08:00:00.035 am", "11/20/2026|08:00:00.035  AMx"] {
            lines.push(l.into());
        }
        for l in &lines {
            assert_eq!(parse_stamp(l), any_stamp(l), "{l:?}");
        }
        assert!(usual_stamp(usual.as_bytes()).is_some());
    }

    #[test]
    fn stamps_in_a_row_read_as_each_alone() {
        let usual = "11/20/2026|08:00:00.035 1F68:1A0C INFO  :: x";
        let mut lines = vec![usual.to_string()];
        // Each byte of the stamp and the two after it replaced by each of a
        // few at the edges of what is read, the usual line between them
        // (so the next is read against its minute), in a row of the same
        // minute and across minutes.
        let edges = [b'0', b'1', b'5', b'9', b'/', b'|', b':', b'.', b' ', b'\t', b'a', b'P', b'M', b'm', b'@', 0x7F];
        for i in 0..27 {
            for c in edges {
                let mut l = usual.as_bytes().to_vec();
                l[i] = c;
                lines.push(String::from_utf8(l).unwrap());
                if i % 3 == 0 {
                    lines.push(usual.to_string());
                }
            }
        }
        for l in [
            "11/20/2026|08:00:59.999 PM x",
            "11/20/2026|08:00:07.035 am",
            "11/20/2026|08:00:07.035  AMx",
            "11/20/2026|08:00:07.035",
            "11/20/2026|08:00:07.035 ",
            "11/20/2026|08:00",
            "11/20/2026|08:00:61.000\tx",
            "11/20/2026|08:01:01.000 x",
            "11/20/2026|08:01:02.001 x",
        ] {
            lines.push(l.into());
        }
        let mut stamps = Stamps::default();
        for l in &lines {
            assert_eq!(stamps.parse(l), parse_stamp(l), "{l:?}");
        }
    }

    #[test]
    fn an_hour_of_one_digit() {
        fn at(l: &str) -> (u32, u32, u32, u32, &str) {
            let p = parse_prefix(l).unwrap_or_else(|| panic!("{l}"));
            (
                p.stamp.hour,
                p.stamp.minute,
                p.stamp.second,
                p.stamp.nanos,
                p.text,
            )
        }
        assert_eq!(
            at("12/07/2026|3:17:30 PM 1F68:C14 INFO :: x"),
            (15, 17, 30, 0, "x")
        );
        assert_eq!(
            at("12/07/2026|3:17:30.123 PM 1F68:C14 INFO :: x"),
            (15, 17, 30, 123_000_000, "x")
        );
        assert_eq!(at("12/07/2026|3:17:30.123 AM 1F68:C14 INFO :: x").0, 3);
        assert_eq!(at("12/07/2026|12:17:30 AM 1F68:C14 INFO :: x").0, 0);
        // Without AM/PM: a 24-hour clock without its leading zero.
        assert_eq!(at("12/07/2026|3:17:30.123 1F68:C14 INFO :: x").0, 3);
        // A shortest stamp ending the line.
        assert_eq!(at("12/07/2026|3:17:30").0, 3);
        for bad in [
            "12/07/2026|3:7:30 PM 1F68:C14 INFO :: x",
            "12/07/2026|:17:30 PM 1F68:C14 INFO :: x",
            "12/07/2026|3:17:3",
            "12/07/2026|317:30:00 x",
        ] {
            assert!(parse_stamp(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn date_order_from_the_start_of_a_file() {
        let month_first = "04/16/2013|03:17:30.168 1:2 INFO :: a\n";
        let ambiguous = "04/05/2013|03:17:30.168 1:2 INFO :: a\n";
        let day_first = "16/04/2013|03:17:30.168 1:2 INFO :: a\n";
        assert_eq!(DateOrder::of_head(month_first), DateOrder::MonthFirst);
        assert_eq!(DateOrder::of_head(ambiguous), DateOrder::MonthFirst);
        assert_eq!(DateOrder::of_head(""), DateOrder::MonthFirst);
        let mixed = format!("{ambiguous}cont\n{day_first}");
        assert_eq!(DateOrder::of_head(&mixed), DateOrder::DayFirst);
        // 13/45 is no date either way: it proves nothing.
        assert_eq!(
            DateOrder::of_head("13/45/2013|03:17:30.168 1:2 INFO :: a\n"),
            DateOrder::MonthFirst
        );
        let stamp = |l: &str| parse_stamp(l).unwrap().0;
        let (s, c) = DateOrder::DayFirst.read(stamp(day_first));
        assert_eq!((s.month, s.day, c), (4, 16, false));
        let (s, c) = DateOrder::DayFirst.read(stamp(ambiguous));
        assert_eq!((s.month, s.day, c), (5, 4, false));
        // A date that reads only the other way is read that way, and said.
        let (s, c) = DateOrder::DayFirst.read(stamp(month_first));
        assert_eq!((s.month, s.day, c), (4, 16, true));
        let (s, c) = DateOrder::MonthFirst.read(stamp(day_first));
        assert_eq!((s.month, s.day, c), (4, 16, true));
        let (s, c) = DateOrder::MonthFirst.read(stamp(ambiguous));
        assert_eq!((s.month, s.day, c), (4, 5, false));
    }

    #[test]
    fn date_order_finds_lines_as_str_lines_does() {
        let by_str_lines = |head: &str| {
            head.lines()
                .filter_map(parse_stamp)
                .any(|(s, _)| s.month > 12 && s.day <= 12)
        };
        let day_first = "16/04/2013|03:17:30 1:2 INFO :: a";
        let pieces = [
            day_first,
            "04/16/2013|03:17:30 1:2 INFO :: a",
            "16/04/2013|03:17",
            "cont",
            "",
            "\r",
            "\n",
            "\r\n",
            "16/04/2013|03:17:30",
            "16/04/20|3|03:17:30",
            "a|b",
            "|",
        ];
        // Every sequence of up to three pieces, so every piece meets every
        // line end on either side.
        let mut heads = vec![String::new()];
        for _ in 0..3 {
            heads = heads
                .iter()
                .flat_map(|h| pieces.iter().map(move |p| format!("{h}{p}")))
                .collect();
            for head in &heads {
                let expected = if by_str_lines(head) {
                    DateOrder::DayFirst
                } else {
                    DateOrder::MonthFirst
                };
                assert_eq!(DateOrder::of_head(head), expected, "{head:?}");
            }
        }
    }
}
