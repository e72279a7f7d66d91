//! Streaming lines out of a log of any size: block reads, newline search with
//! memchr, UTF-8 or UTF-16 (BOM or sniffed) transcoded on the fly, CRLF or LF,
//! and a cap on line length so one 32 MiB line costs a bounded buffer.
//! Memory stays flat whatever the file size.

use crate::scan::text::{detect, Encoding};
use std::io::{self, BufRead, BufReader, Read};

/// Lines longer than this are cut here (the rest is skipped and counted).
pub const MAX_LINE: usize = 64 * 1024;
const BLOCK: usize = 256 * 1024;

pub struct Line<'a> {
    /// 1-based.
    pub number: u64,
    pub text: &'a str,
    /// Bytes invalid in the encoding were replaced with U+FFFD.
    pub lossy: bool,
    /// The line was longer than the limit and was cut.
    pub cut: bool,
}

pub struct LineReader<R: Read> {
    inner: BufReader<Decoder<R>>,
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
            match reader.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        head.truncate(n);
        let (encoding, bom) = detect(&head);
        head.drain(..bom);
        let decoder = Decoder::new(reader, head, encoding);
        Ok(LineReader {
            inner: BufReader::with_capacity(BLOCK, decoder),
            raw: Vec::with_capacity(1024),
            text: String::with_capacity(1024),
            number: 0,
            max_line,
        })
    }

    pub fn encoding(&self) -> Encoding {
        self.inner.get_ref().encoding
    }

    /// The next line without its line ending, or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.raw.clear();
        let mut cut = false;
        let mut saw_any = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk, found) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], Some(i)),
                None => (buf, None),
            };
            let room = self.max_line.saturating_sub(self.raw.len());
            if chunk.len() > room {
                cut = true;
            }
            self.raw.extend_from_slice(&chunk[..chunk.len().min(room)]);
            let consumed = found.map_or(buf.len(), |i| i + 1);
            self.inner.consume(consumed);
            if found.is_some() {
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        if self.raw.last() == Some(&b'\r') {
            self.raw.pop();
        }
        self.number += 1;
        self.text.clear();
        let lossy = match std::str::from_utf8(&self.raw) {
            Ok(s) => {
                self.text.push_str(s);
                // The UTF-16 decoder has already replaced bad units with U+FFFD.
                self.encoding() != Encoding::Utf8 && s.contains(char::REPLACEMENT_CHARACTER)
            }
            Err(_) => {
                // A line cut at the limit may end inside a character: not the file's fault.
                self.text.push_str(&String::from_utf8_lossy(&self.raw));
                !(cut && valid_up_to_last_char(&self.raw))
            }
        };
        Ok(Some(Line {
            number: self.number,
            text: &self.text,
            lossy,
            cut,
        }))
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
        }
    }

    fn refill_utf16(&mut self) -> io::Result<()> {
        let mut block = vec![0u8; BLOCK];
        while self.out_pos >= self.out.len() && !(self.eof && self.pending.is_empty()) {
            if !self.eof {
                let n = loop {
                    match self.inner.read(&mut block) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                };
                if n == 0 {
                    self.eof = true;
                } else {
                    self.pending.extend_from_slice(&block[..n]);
                }
            }
            self.out.clear();
            self.out_pos = 0;
            let whole = self.pending.len() & !1;
            let be = self.encoding == Encoding::Utf16Be;
            for pair in self.pending[..whole].chunks_exact(2) {
                let u = if be {
                    u16::from_be_bytes([pair[0], pair[1]])
                } else {
                    u16::from_le_bytes([pair[0], pair[1]])
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
                let n = buf.len().min(self.pending.len());
                buf[..n].copy_from_slice(&self.pending[..n]);
                self.pending.drain(..n);
                return Ok(n);
            }
            return self.inner.read(buf);
        }
        if self.out_pos >= self.out.len() {
            self.refill_utf16()?;
        }
        let avail = &self.out[self.out_pos..];
        let n = buf.len().min(avail.len());
        buf[..n].copy_from_slice(&avail[..n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(bytes: &[u8], limit: usize) -> Vec<(String, bool, bool)> {
        let mut r = LineReader::with_limit(bytes, limit).unwrap();
        let mut v = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            v.push((l.text.to_string(), l.lossy, l.cut));
        }
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
    fn bad_utf8_byte_costs_one_line() {
        let v = collect(b"good\nba\xFFd\ngood", 100);
        assert_eq!(
            v.iter().map(|x| x.1).collect::<Vec<_>>(),
            [false, true, false]
        );
    }
}
