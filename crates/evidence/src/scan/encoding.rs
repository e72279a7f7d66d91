//! Turning bytes from Windows into text: UTF-8 with or without BOM, UTF-16LE/BE
//! with BOM, and UTF-16LE without BOM (recognised by its NUL high bytes).
//! Decoding never fails. A line that is not valid UTF-8 in a file without a
//! BOM is read as Windows-1252, the ANSI code page of Western Windows, which
//! Notepad and PowerShell 5 write by default (every byte is a character in
//! it: nothing is lost, `é` stays `é`); other ANSI code pages are not told
//! apart. Where a BOM says UTF-8, a bad byte costs one U+FFFD, not the file.

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Borrowed when the bytes were valid UTF-8 already (no copy).
    pub text: Cow<'a, str>,
    pub encoding: Encoding,
    /// Some bytes were not valid in the detected encoding.
    pub lossy: bool,
    /// Lines read as Windows-1252 (not valid UTF-8, no BOM).
    pub ansi_lines: usize,
}

/// Detects the encoding of a byte prefix and the length of its BOM.
pub fn detect(bytes: &[u8]) -> (Encoding, usize) {
    match bytes {
        [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8, 3),
        [0xFF, 0xFE, ..] => (Encoding::Utf16Le, 2),
        [0xFE, 0xFF, ..] => (Encoding::Utf16Be, 2),
        _ if looks_like_utf16le(bytes) => (Encoding::Utf16Le, 0),
        _ => (Encoding::Utf8, 0),
    }
}

/// ASCII text in UTF-16LE has a NUL in nearly every odd byte and almost none in
/// the even ones.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let sample = bytes.get(..bytes.len().min(512) & !1).unwrap_or_default();
    if sample.len() < 8 {
        return false;
    }
    let pairs = sample.len() / 2;
    // One pass over the pairs (`sample` has an even length).
    let (even_nuls, odd_nuls) =
        sample
            .chunks_exact(2)
            .fold((0usize, 0usize), |(e, o), p| match p {
                [even, odd] => (e + usize::from(*even == 0), o + usize::from(*odd == 0)),
                _ => (e, o),
            });
    odd_nuls * 10 >= pairs * 9 && even_nuls * 10 <= pairs
}

pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    let (encoding, bom) = detect(bytes);
    let body = bytes.get(bom..).unwrap_or_default();
    let mut ansi_lines = 0;
    let (text, lossy) = match encoding {
        Encoding::Utf8 => match simdutf8::compat::from_utf8(body) {
            Ok(s) => (Cow::Borrowed(s), false),
            Err(_) if bom > 0 => (String::from_utf8_lossy(body), true),
            Err(e) => {
                let (t, n) = utf8_or_1252(body, e.valid_up_to());
                ansi_lines = n;
                (Cow::Owned(t), false)
            }
        },
        Encoding::Utf16Le => {
            let (t, lossy) = decode_utf16(body, u16::from_le_bytes);
            (Cow::Owned(t), lossy)
        }
        Encoding::Utf16Be => {
            let (t, lossy) = decode_utf16(body, u16::from_be_bytes);
            (Cow::Owned(t), lossy)
        }
    };
    Decoded {
        text,
        encoding,
        lossy,
        ansi_lines,
    }
}

/// `body` line by line: each valid UTF-8 line as it is, each other one as
/// Windows-1252; how many were. `valid` bytes at the start are known valid.
fn utf8_or_1252(body: &[u8], valid: usize) -> (String, usize) {
    // Where the line with the first bad byte starts.
    let from = memchr::memrchr(b'\n', body.get(..valid).unwrap_or_default()).map_or(0, |i| i + 1);
    let mut text = String::with_capacity(body.len() + body.len() / 8);
    text.push_str(std::str::from_utf8(body.get(..from).unwrap_or_default()).unwrap_or_default());
    let mut ansi = 0;
    for line in body
        .get(from..)
        .unwrap_or_default()
        .split_inclusive(|&b| b == b'\n')
    {
        match std::str::from_utf8(line) {
            Ok(s) => text.push_str(s),
            Err(_) => {
                ansi += 1;
                text.push_str(&windows_1252(line));
            }
        }
    }
    (text, ansi)
}

/// How many lines of `bytes` (UTF-8 without a BOM, or Windows-1252) are
/// not valid UTF-8: those [`decode`] reads as Windows-1252.
pub fn ansi_lines(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => 0,
        Err(e) => {
            let valid = e.valid_up_to();
            let from =
                memchr::memrchr(b'\n', bytes.get(..valid).unwrap_or_default()).map_or(0, |i| i + 1);
            bytes
                .get(from..)
                .unwrap_or_default()
                .split_inclusive(|&b| b == b'\n')
                .filter(|l| std::str::from_utf8(l).is_err())
                .count()
        }
    }
}

/// `bytes` as Windows-1252 (never fails: every byte is a character).
pub fn windows_1252(bytes: &[u8]) -> Cow<'_, str> {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
}

/// The length of `bytes` without a UTF-8 sequence that a cut at its end
/// left incomplete (a read stopped at a size limit): that part is the
/// reader's, not the file's, and must not make the rest look like another
/// encoding.
pub fn without_cut_character(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        _ => bytes.len(),
    }
}

fn decode_utf16(body: &[u8], unit: fn([u8; 2]) -> u16) -> (String, bool) {
    // An odd trailing byte is half a character: the file was cut short.
    let truncated = body.len() % 2 == 1;
    let units = body
        .chunks_exact(2)
        .filter_map(|c| <[u8; 2]>::try_from(c).ok())
        .map(unit);
    let mut lossy = truncated;
    let mut text = String::with_capacity(body.len() / 2);
    for r in char::decode_utf16(units) {
        match r {
            Ok(c) => text.push(c),
            Err(_) => {
                lossy = true;
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    if truncated {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    (text, lossy)
}

/// Whether decoded text is plausibly text rather than binary: few control
/// characters other than whitespace.
pub fn is_texty(text: &str) -> bool {
    let mut total = 0usize;
    let mut bad = 0usize;
    for c in text.chars().take(4096) {
        total += 1;
        if (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
            || c == char::REPLACEMENT_CHARACTER
        {
            bad += 1;
        }
    }
    total > 0 && bad * 20 <= total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut v = if bom { vec![0xFF, 0xFE] } else { vec![] };
        for u in s.encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let d = decode(b"\xEF\xBB\xBFFrom: a");
        assert_eq!(d.text, "From: a");
        assert_eq!(d.encoding, Encoding::Utf8);
        assert!(!d.lossy);
    }

    #[test]
    fn utf16le_with_and_without_bom() {
        for bom in [true, false] {
            let bytes = utf16le("To: <sip:bob@contoso.com>\r\n", bom);
            let d = decode(&bytes);
            assert_eq!(d.text, "To: <sip:bob@contoso.com>\r\n");
            assert_eq!(d.encoding, Encoding::Utf16Le);
        }
    }

    #[test]
    fn utf16_odd_byte_count_is_lossy_not_fatal() {
        let mut b = utf16le("Date: x", true);
        b.push(b'Z');
        let d = decode(&b);
        assert!(d.text.starts_with("Date: x"));
        assert!(d.lossy);
    }

    #[test]
    fn invalid_utf8_keeps_the_rest() {
        // The BOM says UTF-8: a bad byte costs one U+FFFD.
        let d = decode(b"\xEF\xBB\xBFFrom: a\xFF\xFEb");
        assert!(d.lossy);
        assert_eq!(d.text, "From: a\u{FFFD}\u{FFFD}b");
        assert_eq!(d.ansi_lines, 0);
    }

    #[test]
    fn lines_not_valid_utf8_without_a_bom_are_windows_1252() {
        let d = decode(
            b"To: <sip:b@x.com>\r\nSubject: Caf\xE9 \x93ok\x94\r\nX: d\xC3\xA9j\xC3\xA0\r\n\xFF",
        );
        assert!(!d.lossy);
        assert_eq!(
            d.text,
            "To: <sip:b@x.com>\r\nSubject: Café “ok”\r\nX: déjà\r\nÿ"
        );
        assert_eq!(d.ansi_lines, 2);
        assert_eq!(ansi_lines(b"To: <sip:b@x.com>\r\nSubject: Caf\xE9 \x93ok\x94\r\nX: d\xC3\xA9j\xC3\xA0\r\n\xFF"), 2);
        assert_eq!(ansi_lines(b"all good \xC3\xA9"), 0);
        // Valid UTF-8 is borrowed, not copied.
        assert!(matches!(decode(b"plain").text, Cow::Borrowed(_)));
    }

    #[test]
    fn a_character_cut_by_a_read_limit_is_dropped() {
        let s = "aé".as_bytes();
        assert_eq!(without_cut_character(s), 3);
        assert_eq!(without_cut_character(&s[..2]), 1);
        assert_eq!(without_cut_character(b"ab\xE9cd"), 5);
        assert_eq!(without_cut_character(b""), 0);
    }

    #[test]
    fn binary_is_not_texty() {
        let junk: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
        assert!(!is_texty(&decode(&junk).text));
        assert!(is_texty("From: a\r\nTo: b\r\n"));
        assert!(!is_texty(""));
    }
}
