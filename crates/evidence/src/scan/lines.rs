//! Streaming lines out of a log of any size: block reads, newline search with
//! memchr, UTF-8 or UTF-16 (BOM or sniffed) transcoded on the fly, CRLF or LF,
//! and a cap on line length so one 32 MiB line costs a bounded buffer.
//! Memory stays flat whatever the file size. A line that is not valid UTF-8
//! in a file without a BOM is read as Windows-1252 (see [`text`](crate::scan::encoding)).

use crate::scan::encoding::{detect, windows_1252, Encoding};
use std::io::{self, Read};

/// Lines longer than this are cut here (the rest is skipped and counted).
pub const MAX_LINE: usize = 64 * 1024;
const BLOCK: usize = 1024 * 1024;

pub struct Line<'a> {
    /// 1-based.
    pub number: u64,
    pub text: &'a str,
    /// Bytes invalid in the encoding were replaced with U+FFFD.
    pub lossy: bool,
    /// The line was not valid UTF-8 and was read as Windows-1252.
    pub ansi: bool,
    /// The line was longer than the limit and was cut.
    pub cut: bool,
}

/// How a line is made text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decoding {
    encoding: Encoding,
    /// A line that is not valid UTF-8 may be Windows-1252: UTF-8 without a BOM.
    ansi: bool,
}

/// What [`LineReader::for_each_piece`] hands out.
pub enum Piece<'a> {
    /// Whole lines of a UTF-8 file, valid, numbered from `first`: each is
    /// ended by `\n`, and a `\r` before that belongs to the line ending.
    /// A line may be longer than the limit: [`lines_of`] hands them out as
    /// [`Line`]s, cut as the reader would cut them.
    Lines {
        text: &'a str,
        first: u64,
    },
    Line(Line<'a>),
}

/// Buffers for the lines [`lines_of`] has to copy (cut ones).
#[derive(Default)]
pub struct Scratch {
    raw: Vec<u8>,
    text: String,
}

/// The lines of a [`Piece::Lines`] (or any part of one made of whole lines,
/// `first` being the number of its first line) as [`LineReader`] would give
/// them; how many there were.
pub fn lines_of(
    text: &str,
    first: u64,
    max_line: usize,
    scratch: &mut Scratch,
    f: &mut dyn FnMut(Line<'_>),
) -> u64 {
    let before = first.saturating_sub(1);
    let mut number = before;
    // Valid UTF-8: only a line cut mid-character is not, and that is not
    // another encoding.
    let decoding = Decoding {
        encoding: Encoding::Utf8,
        ansi: false,
    };
    lines_in(
        text.as_bytes(),
        &mut scratch.raw,
        &mut scratch.text,
        &mut number,
        max_line,
        decoding,
        f,
    );
    number - before
}

thread_local! {
    /// The block buffer of the last reader dropped on this thread: a scan
    /// of thousands of small logs would otherwise allocate and zero a
    /// fresh 1 MiB (and fault its pages in) for each.
    static SPARE_BLOCK: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A block buffer of `BLOCK` bytes: the spare one, if this thread has it.
/// Its bytes are stale, which no reader sees: only `buf[pos..end]` is read,
/// and that is what the reader itself put there.
fn block_buffer() -> Vec<u8> {
    let spare = SPARE_BLOCK.with(|s| std::mem::take(&mut *s.borrow_mut()));
    if spare.len() == BLOCK {
        spare
    } else {
        vec![0; BLOCK]
    }
}

impl<R: Read> Drop for LineReader<R> {
    fn drop(&mut self) {
        if self.buf.len() == BLOCK {
            let buf = std::mem::take(&mut self.buf);
            SPARE_BLOCK.with(|s| *s.borrow_mut() = buf);
        }
    }
}

pub struct LineReader<R: Read> {
    src: Decoder<R>,
    encoding: Encoding,
    decoding: Decoding,
    /// Bytes read and not yet handed out are `buf[pos..end]`.
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// A line cut at the limit, or one with bytes replaced: owned copies.
    raw: Vec<u8>,
    text: String,
    number: u64,
    max_line: usize,
}

impl<R: Read> LineReader<R> {
    pub fn new(reader: R) -> io::Result<Self> {
        Self::with_limit(reader, MAX_LINE)
    }

    pub fn with_limit(mut reader: R, max_line: usize) -> io::Result<Self> {
        // Sniff the encoding from the first bytes, then hand them back to the decoder.
        let mut head = vec![0u8; 512];
        let mut n = 0;
        while n < head.len() {
            match reader.read(head.get_mut(n..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        head.truncate(n);
        let (encoding, bom) = detect(&head);
        head.drain(..bom);
        Ok(LineReader {
            src: Decoder::new(reader, head, encoding),
            encoding,
            decoding: Decoding {
                encoding,
                ansi: encoding == Encoding::Utf8 && bom == 0,
            },
            buf: block_buffer(),
            pos: 0,
            end: 0,
            eof: false,
            raw: Vec::new(),
            text: String::new(),
            number: 0,
            max_line,
        })
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Moves the unread bytes to the front and reads more behind them;
    /// false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            // Only while a line is shorter than the limit but longer than a block.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self
                .src
                .read(self.buf.get_mut(self.end..).unwrap_or_default())
            {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next line without its line ending, or `None` at the end.
    ///
    /// A line that lies whole in the block buffer and is valid UTF-8 is handed
    /// out in place: no copy, no allocation.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        // Bytes of the current line already searched for a newline.
        let mut searched = 0;
        let (line_end, next) = loop {
            let from = self.pos + searched;
            let unsearched = self.buf.get(from..self.end).unwrap_or_default();
            if let Some(i) = memchr::memchr(b'\n', unsearched) {
                break (from + i, from + i + 1);
            }
            searched = self.end - self.pos;
            if searched > self.max_line {
                return self.long_line();
            }
            if !self.fill()? {
                if self.end == self.pos {
                    return Ok(None);
                }
                break (self.end, self.end);
            }
        };
        let start = self.pos;
        self.pos = next;
        self.number += 1;
        let mut stop = line_end;
        if line_end - start > self.max_line {
            // The newline arrived in the same block as the limit: cut here.
            self.raw.clear();
            self.raw.extend_from_slice(
                self.buf
                    .get(start..start + self.max_line)
                    .unwrap_or_default(),
            );
            return Ok(Some(self.owned_line(true)));
        }
        if stop > start && self.buf.get(stop - 1) == Some(&b'\r') {
            stop -= 1;
        }
        match std::str::from_utf8(self.buf.get(start..stop).unwrap_or_default()) {
            Ok(s) => Ok(Some(Line {
                number: self.number,
                text: s,
                // The UTF-16 decoder has already replaced bad units with U+FFFD.
                lossy: self.encoding != Encoding::Utf8 && s.contains(char::REPLACEMENT_CHARACTER),
                ansi: false,
                cut: false,
            })),
            Err(_) => {
                // Fields, not methods: `s` above borrows only `self.buf`.
                self.raw.clear();
                self.raw
                    .extend_from_slice(self.buf.get(start..line_end).unwrap_or_default());
                let (lossy, ansi) = own(&mut self.raw, &mut self.text, self.decoding, false);
                Ok(Some(Line {
                    number: self.number,
                    text: &self.text,
                    lossy,
                    ansi,
                    cut: false,
                }))
            }
        }
    }

    /// Every line in turn, as [`next_line`](Self::next_line) would give them,
    /// but a block at a time: the block's complete lines are checked as UTF-8
    /// in one pass and handed out as slices of it, instead of one check and
    /// one call per line.
    pub fn for_each_line(&mut self, f: &mut dyn FnMut(Line<'_>)) -> io::Result<()> {
        let max_line = self.max_line;
        let mut scratch = Scratch::default();
        self.for_each_piece(&mut |piece| match piece {
            Piece::Lines { text, first } => Some(lines_of(text, first, max_line, &mut scratch, f)),
            Piece::Line(line) => {
                f(line);
                None
            }
        })
    }

    /// The input in order, as [`for_each_line`](Self::for_each_line) would
    /// give it, but the complete lines of a block of a UTF-8 file in one
    /// piece when they are valid: the caller decides what to look at line by
    /// line. For a [`Piece::Lines`], `f` may say how many lines it held (it
    /// has counted them anyway); `None`, and the reader counts them.
    pub fn for_each_piece(
        &mut self,
        f: &mut dyn FnMut(Piece<'_>) -> Option<u64>,
    ) -> io::Result<()> {
        loop {
            match memchr::memrchr(b'\n', self.pending()) {
                Some(i) => {
                    let end = self.pos + i + 1;
                    let region = self.buf.get(self.pos..end).unwrap_or_default();
                    // The one pass over every byte of the log before the
                    // block search: checked 32 bytes at a time (std's check
                    // takes 16 per step, and this runs on gigabytes).
                    match simdutf8::basic::from_utf8(region) {
                        Ok(text) if self.encoding == Encoding::Utf8 => {
                            let first = self.number + 1;
                            self.number += match f(Piece::Lines { text, first }) {
                                Some(n) => n,
                                None => memchr::memchr_iter(b'\n', region).count() as u64,
                            };
                        }
                        _ => lines_in(
                            region,
                            &mut self.raw,
                            &mut self.text,
                            &mut self.number,
                            self.max_line,
                            self.decoding,
                            &mut |line| {
                                f(Piece::Line(line));
                            },
                        ),
                    }
                    self.pos = end;
                }
                // What is left is the start of a line: longer than the
                // limit already, or to be completed by the next read.
                None if self.end - self.pos > self.max_line => {
                    if let Some(line) = self.long_line()? {
                        f(Piece::Line(line));
                    }
                }
                None => {
                    if !self.fill()? {
                        // The last line, without a line ending.
                        if let Some(line) = self.next_line()? {
                            f(Piece::Line(line));
                        }
                        return Ok(());
                    }
                }
            }
        }
    }

    /// A line longer than the limit: its first `max_line` bytes, the rest
    /// skipped without being kept.
    fn long_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.raw.clear();
        self.raw.extend_from_slice(
            self.buf
                .get(self.pos..self.pos + self.max_line)
                .unwrap_or_default(),
        );
        self.number += 1;
        loop {
            if let Some(i) = memchr::memchr(b'\n', self.pending()) {
                self.pos += i + 1;
                break;
            }
            self.pos = self.end;
            if !self.fill()? {
                break;
            }
        }
        Ok(Some(self.owned_line(true)))
    }

    /// Bytes read and not yet handed out.
    fn pending(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    /// The line in `raw`, as an owned copy.
    fn owned_line(&mut self, cut: bool) -> Line<'_> {
        let (lossy, ansi) = own(&mut self.raw, &mut self.text, self.decoding, cut);
        Line {
            number: self.number,
            text: &self.text,
            lossy,
            ansi,
            cut,
        }
    }
}

/// Hands out the lines of `region` (whole lines, each ended by `\n`) as
/// [`LineReader::next_line`] would: valid UTF-8 checked once for the region,
/// line by line only where it is not.
fn lines_in(
    region: &[u8],
    raw: &mut Vec<u8>,
    text: &mut String,
    number: &mut u64,
    max_line: usize,
    decoding: Decoding,
    f: &mut dyn FnMut(Line<'_>),
) {
    let encoding = decoding.encoding;
    let valid = std::str::from_utf8(region).ok();
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', region) {
        *number += 1;
        let bytes = region.get(start..nl).unwrap_or_default();
        let line_start = start;
        start = nl + 1;
        if bytes.len() > max_line {
            raw.clear();
            raw.extend_from_slice(bytes.get(..max_line).unwrap_or_default());
            let (lossy, ansi) = own(raw, text, decoding, true);
            f(Line {
                number: *number,
                text,
                lossy,
                ansi,
                cut: true,
            });
            continue;
        }
        let stop = nl - usize::from(bytes.last() == Some(&b'\r'));
        // `\n` and `\r` are ASCII: the bounds are character boundaries.
        let checked = match valid {
            Some(v) => v.get(line_start..stop),
            None => region
                .get(line_start..stop)
                .and_then(|b| std::str::from_utf8(b).ok()),
        };
        match checked {
            Some(s) => f(Line {
                number: *number,
                text: s,
                // The UTF-16 decoder has already replaced bad units with U+FFFD.
                lossy: encoding != Encoding::Utf8 && s.contains(char::REPLACEMENT_CHARACTER),
                ansi: false,
                cut: false,
            }),
            None => {
                raw.clear();
                raw.extend_from_slice(bytes);
                let (lossy, ansi) = own(raw, text, decoding, false);
                f(Line {
                    number: *number,
                    text,
                    lossy,
                    ansi,
                    cut: false,
                });
            }
        }
    }
}

/// Decodes `raw` (a line, perhaps with its `\r`) into `text`; whether bytes
/// were invalid in the file's encoding, and whether it was read as
/// Windows-1252.
fn own(raw: &mut Vec<u8>, text: &mut String, decoding: Decoding, cut: bool) -> (bool, bool) {
    if raw.last() == Some(&b'\r') {
        raw.pop();
    }
    text.clear();
    match std::str::from_utf8(raw) {
        Ok(s) => {
            text.push_str(s);
            // The UTF-16 decoder has already replaced bad units with U+FFFD.
            let lossy =
                decoding.encoding != Encoding::Utf8 && s.contains(char::REPLACEMENT_CHARACTER);
            (lossy, false)
        }
        // A line cut at the limit may end inside a character: not the
        // file's fault, nor a sign of another encoding.
        Err(_) if cut && valid_up_to_last_char(raw) => {
            text.push_str(&String::from_utf8_lossy(raw));
            (false, false)
        }
        Err(_) if decoding.ansi => {
            text.push_str(&windows_1252(raw));
            (false, true)
        }
        Err(_) => {
            text.push_str(&String::from_utf8_lossy(raw));
            (true, false)
        }
    }
}

fn valid_up_to_last_char(b: &[u8]) -> bool {
    match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// Presents the file as UTF-8 bytes whatever its encoding.
struct Decoder<R: Read> {
    inner: R,
    encoding: Encoding,
    /// Bytes read but not yet decoded (the sniffed head, a split code unit).
    pending: Vec<u8>,
    /// A high surrogate waiting for its pair across a block boundary.
    high: Option<u16>,
    /// Decoded UTF-8 not yet handed out.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
    /// Raw bytes of one read: allocated at the first refill, then reused
    /// (short reads from a pipe or a share would otherwise cost a block each).
    block: Vec<u8>,
}

impl<R: Read> Decoder<R> {
    fn new(inner: R, head: Vec<u8>, encoding: Encoding) -> Self {
        Decoder {
            inner,
            encoding,
            pending: head,
            high: None,
            out: Vec::new(),
            out_pos: 0,
            eof: false,
            block: Vec::new(),
        }
    }

    fn refill_utf16(&mut self) -> io::Result<()> {
        if self.block.is_empty() {
            self.block = vec![0u8; BLOCK];
        }
        while self.out_pos >= self.out.len() && !(self.eof && self.pending.is_empty()) {
            if !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.block) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                if n == 0 {
                    self.eof = true;
                } else {
                    self.pending
                        .extend_from_slice(self.block.get(..n).unwrap_or_default());
                }
            }
            self.out.clear();
            self.out_pos = 0;
            let whole = self.pending.len() & !1;
            let be = self.encoding == Encoding::Utf16Be;
            let units = self
                .pending
                .get(..whole)
                .unwrap_or_default()
                .chunks_exact(2);
            for pair in units.filter_map(|p| <[u8; 2]>::try_from(p).ok()) {
                let u = if be {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                };
                push_unit(&mut self.out, &mut self.high, u);
            }
            self.pending.drain(..whole);
            if self.eof {
                // A dangling surrogate or odd byte at the end: the file was cut short.
                if self.high.take().is_some() || !self.pending.is_empty() {
                    self.pending.clear();
                    push_char(&mut self.out, char::REPLACEMENT_CHARACTER);
                }
            }
        }
        Ok(())
    }
}

fn push_unit(out: &mut Vec<u8>, high: &mut Option<u16>, u: u16) {
    match (high.take(), u) {
        (Some(h), 0xDC00..=0xDFFF) => {
            let c = 0x10000 + (((h as u32) - 0xD800) << 10) + ((u as u32) - 0xDC00);
            push_char(
                out,
                char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER),
            );
        }
        (prev, _) => {
            if prev.is_some() {
                push_char(out, char::REPLACEMENT_CHARACTER);
            }
            match u {
                0xD800..=0xDBFF => *high = Some(u),
                0xDC00..=0xDFFF => push_char(out, char::REPLACEMENT_CHARACTER),
                _ => push_char(
                    out,
                    char::from_u32(u as u32).unwrap_or(char::REPLACEMENT_CHARACTER),
                ),
            }
        }
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut b = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.encoding == Encoding::Utf8 {
            if !self.pending.is_empty() {
                let n = self.pending.as_slice().read(buf)?;
                self.pending.drain(..n);
                return Ok(n);
            }
            return self.inner.read(buf);
        }
        if self.out_pos >= self.out.len() {
            self.refill_utf16()?;
        }
        let n = self.out.get(self.out_pos..).unwrap_or_default().read(buf)?;
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of `bytes`, read both ways; both must agree.
    fn collect(bytes: &[u8], limit: usize) -> Vec<(String, bool, bool)> {
        collect_ansi(bytes, limit)
            .into_iter()
            .map(|(t, lossy, cut, _)| (t, lossy, cut))
            .collect()
    }

    /// [`collect`], with whether each line was read as Windows-1252.
    fn collect_ansi(bytes: &[u8], limit: usize) -> Vec<(String, bool, bool, bool)> {
        let mut r = LineReader::with_limit(bytes, limit).unwrap();
        let mut v = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            v.push((l.text.to_string(), l.lossy, l.cut, l.ansi));
        }
        let mut r = LineReader::with_limit(bytes, limit).unwrap();
        let mut w = Vec::new();
        let mut numbers = Vec::new();
        r.for_each_line(&mut |l| {
            w.push((l.text.to_string(), l.lossy, l.cut, l.ansi));
            numbers.push(l.number);
        })
        .unwrap();
        assert_eq!(v, w, "next_line and for_each_line differ");
        assert!(numbers.iter().enumerate().all(|(i, &n)| n == i as u64 + 1));
        v
    }

    fn utf16le(s: &str) -> Vec<u8> {
        let mut v = vec![0xFF, 0xFE];
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn crlf_and_lf_and_no_final_newline() {
        let v = collect(b"a\r\nb\nc", 100);
        let t: Vec<_> = v.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(t, ["a", "b", "c"]);
    }

    #[test]
    fn utf16le_matches_utf8() {
        let s = "04/16/2013|03:17:30.168 1F68:C14 INFO  :: héllo 😀\r\nnext\r\n";
        assert_eq!(collect(&utf16le(s), 100), collect(s.as_bytes(), 100));
    }

    #[test]
    fn utf16_across_block_boundaries() {
        // Longer than one block so code units and surrogate pairs straddle reads.
        let line = "x😀é".repeat(40_000);
        let s = format!("{line}\r\n{line}\r\n");
        let v = collect(&utf16le(&s), 1 << 20);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].0, line);
        assert!(!v[0].1);
    }

    #[test]
    fn odd_byte_count_is_lossy_not_fatal() {
        let mut b = utf16le("ab\r\ncd");
        b.push(0x41);
        let v = collect(&b, 100);
        assert_eq!(v[0].0, "ab");
        assert!(v[1].0.starts_with("cd"));
        assert!(v[1].1);
    }

    #[test]
    fn long_lines_are_cut_and_the_next_line_survives() {
        let mut s = "y".repeat(10_000);
        s.push_str("\nshort\n");
        let v = collect(s.as_bytes(), 100);
        assert_eq!(v[0].0.len(), 100);
        assert!(v[0].2);
        assert_eq!(v[1], ("short".to_string(), false, false));
    }

    #[test]
    fn one_carriage_return_is_removed_valid_or_not() {
        let v = collect(b"ab\r\r\nc\xFF\r\r\nend\r", 100);
        let t: Vec<_> = v.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(t, ["ab\r", "c\u{FF}\r", "end"]);
    }

    #[test]
    fn lines_across_blocks_and_at_the_limit() {
        // Lines of every length around the limit, straddling block ends.
        let mut s = Vec::new();
        let mut want = Vec::new();
        for i in 0..3000usize {
            let n = (i * 37) % 130;
            let line: String = std::iter::repeat_n(char::from(b'a' + (i % 26) as u8), n).collect();
            s.extend_from_slice(line.as_bytes());
            s.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
            // The limit counts a `\r` too (a 100-byte line with CRLF is cut).
            let crlf = usize::from(i % 3 == 0);
            want.push((line[..n.min(100)].to_string(), false, n + crlf > 100));
        }
        assert_eq!(collect(&s, 100), want);
        // The same through a reader that hands out a few bytes at a time.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = LineReader::with_limit(Trickle(&s), 100).unwrap();
        let mut got = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            got.push((l.text.to_string(), l.lossy, l.cut));
        }
        assert_eq!(got, want);
        let mut r = LineReader::with_limit(Trickle(&s), 100).unwrap();
        let mut got = Vec::new();
        r.for_each_line(&mut |l| got.push((l.text.to_string(), l.lossy, l.cut)))
            .unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn bad_utf8_byte_costs_one_line() {
        // With a BOM the file says it is UTF-8: the byte is bad.
        let v = collect_ansi(b"\xEF\xBB\xBFgood\nba\xFFd\ngood", 100);
        assert_eq!(
            v.iter().map(|x| (x.1, x.3)).collect::<Vec<_>>(),
            [(false, false), (true, false), (false, false)]
        );
        assert_eq!(v[1].0, "ba\u{FFFD}d");
    }

    #[test]
    fn a_line_not_valid_utf8_without_a_bom_is_windows_1252() {
        let v = collect_ansi(b"good\ncaf\xE9 \x80 \x9C\r\nd\xC3\xA9j\xC3\xA0\ngood", 100);
        assert_eq!(
            v.iter()
                .map(|x| (x.0.as_str(), x.1, x.3))
                .collect::<Vec<_>>(),
            [
                ("good", false, false),
                ("café € œ", false, true),
                ("déjà", false, false),
                ("good", false, false),
            ]
        );
        // A line cut mid-character is the reader's doing, not 1252.
        let v = collect_ansi("aé".repeat(10).as_bytes(), 4);
        assert_eq!((v[0].1, v[0].2, v[0].3), (false, true, false));
        // Cut, and 1252 before the cut: 1252.
        let v = collect_ansi(b"caf\xE9 long line", 6);
        assert_eq!((v[0].0.as_str(), v[0].3), ("café l", true));
        // UTF-16 files never are.
        let v = collect_ansi(&utf16le("café\r\n"), 100);
        assert_eq!((v[0].0.as_str(), v[0].3), ("café", false));
    }
}
