//! Turning bytes from Windows into text: UTF-8 with or without BOM, UTF-16LE/BE
//! with BOM, and UTF-16LE without BOM (recognised by its NUL high bytes).
//! Decoding is lossy and never fails: a bad byte costs one U+FFFD, not the file.

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
    let (text, lossy) = match encoding {
        Encoding::Utf8 => match std::str::from_utf8(body) {
            Ok(s) => (Cow::Borrowed(s), false),
            Err(_) => (String::from_utf8_lossy(body), true),
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
        let d = decode(b"From: a\xFF\xFEb");
        assert!(d.lossy);
        assert!(d.text.starts_with("From: a"));
        assert!(d.text.ends_with('b'));
    }

    #[test]
    fn binary_is_not_texty() {
        let junk: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
        assert!(!is_texty(&decode(&junk).text));
        assert!(is_texty("From: a\r\nTo: b\r\n"));
        assert!(!is_texty(""));
    }
}
