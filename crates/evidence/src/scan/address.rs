//! Addresses in a spool item's `From`, `To` and `Cc` headers, as mail and
//! SIP clients write them: RFC 5322 address lists (quoted display names that
//! hold commas, comments, encoded words, groups) with `sip:` or `mailto:`
//! URIs inside or instead of the angle brackets, and SIP URI parameters
//! after them (`<sip:bob@contoso.com>;tag=1`).
//!
//! Three readers, cheapest first. The canonical one-address shapes
//! (`<sip:bob@contoso.com>`, `bob@contoso.com`, and
//! `"Bob Smith" <sip:bob@contoso.com>` with a name of plain words) are read
//! by hand: every item has two or three such headers and mailparse's
//! tokenizer cost more than the rest of reading an item. Any other display
//! name, a comment, a group or several addresses goes to `mailparse::addrparse`.
//! What that rejects as a whole (SIP parameters after `>`, a bare
//! `sip:` URI, one broken address among good ones) is read by a tolerant
//! splitter that keeps every address it can find, so one odd header does
//! not lose the item's recipient.

/// Every address in an address-list header value, in order and each once:
/// lower-cased, without its `sip:`/`sips:`/`mailto:`/`smtp:` scheme, URI
/// parameters or headers. Display names and group names are dropped.
pub fn addresses(value: &str) -> Vec<String> {
    match simple_address(value) {
        Some(simple) => simple.into_iter().collect(),
        None => general(value),
    }
}

/// [`addresses`] without the hand-read shapes.
fn general(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    match rfc5322(value) {
        Some(list) => {
            for a in list {
                push_unique(&mut out, normalise(&a));
            }
        }
        None => tolerant(value, &mut out),
    }
    out
}

/// The first of [`addresses`].
pub fn first_address(value: &str) -> Option<String> {
    if let Some(simple) = simple_address(value) {
        return simple;
    }
    general(value).into_iter().next()
}

fn push_unique(out: &mut Vec<String>, a: Option<String>) {
    if let Some(a) = a {
        if !out.contains(&a) {
            out.push(a);
        }
    }
}

/// The hand-read shapes: one address, bare or in angle brackets, perhaps
/// with SIP parameters after it, and none of the characters that make a
/// display name, comment, group or list; or one address in angle brackets
/// after a quoted display name of plain words (`"Alice Wong" <sip:a@b>`,
/// how Lync writes `From`), with nothing after it. `None`: not such a value
/// (the other readers decide); `Some(None)`: such a value with no address
/// in it.
fn simple_address(value: &str) -> Option<Option<String>> {
    let (value, named) = match past_plain_quoted_name(value) {
        Some(rest) => (rest, true),
        None => (value, false),
    };
    let b = value.as_bytes();
    // One pass over the bytes: the characters only the general readers handle.
    if b.iter().any(|c| matches!(c, b'"' | b'(' | b',' | b'\\')) || value.contains("=?") {
        return None;
    }
    let v = value.trim();
    if named && !(v.starts_with('<') && v.ends_with('>')) {
        return None;
    }
    let (core, after) = match v.strip_prefix('<') {
        Some(r) => {
            let gt = memchr::memchr(b'>', r.as_bytes())?;
            (r.get(..gt)?, r.get(gt + 1..)?)
        }
        None => (v, ""),
    };
    // After `>` only SIP parameters may follow (`;tag=1`), never another address.
    if !(after.is_empty() || after.starts_with(';')) || after.contains(['<', '>', ':']) {
        return None;
    }
    let bare = strip_scheme(core.trim());
    let end = memchr::memchr2(b';', b'?', bare.as_bytes()).unwrap_or(bare.len());
    let (addr, params) = bare.split_at_checked(end)?;
    let addr = addr.trim();
    // A space, `<` or `:` left means a name or a group, an `@` in the
    // parameters another address: not this shape.
    if addr.is_empty()
        || addr
            .bytes()
            .any(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        || bare.bytes().any(|c| matches!(c, b'<' | b'>' | b':'))
        || params.contains('@')
        || after.contains('@')
    {
        return None;
    }
    Some(lower_address(addr))
}

/// What follows a quoted display name of plain words at the start of
/// `value` (white space around it aside): letters, digits, spaces and
/// `.`, `-`, `_`, `'` only, so that the name can hold nothing mailparse
/// would read as more than a name (no `,`, `;`, `<`, `@`, `:`, escapes or
/// encoded words). mailparse drops such a name and keeps the address after it.
fn past_plain_quoted_name(value: &str) -> Option<&str> {
    let rest = value.trim_start().strip_prefix('"')?;
    let close = memchr::memchr(b'"', rest.as_bytes())?;
    let name = rest.as_bytes().get(..close)?;
    let plain = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b' ' | b'.' | b'-' | b'_' | b'\'');
    if !name.iter().all(plain) {
        return None;
    }
    rest.get(close + 1..)
}

/// The addresses `mailparse` reads in `value`, groups' members in place;
/// `None` when it rejects the value.
fn rfc5322(value: &str) -> Option<Vec<String>> {
    // A parser from outside the crate is held to the crate's rule that no
    // input ends the scan (docs/robustness.md): a panic in it is a value
    // it could not read. Its tests find none (see the tests below).
    let parsed = std::panic::catch_unwind(|| mailparse::addrparse(value)).ok()?;
    let list = parsed.ok()?;
    let mut out = Vec::new();
    for a in list.iter() {
        match a {
            mailparse::MailAddr::Single(s) => out.push(s.addr.clone()),
            mailparse::MailAddr::Group(g) => out.extend(g.addrs.iter().map(|s| s.addr.clone())),
        }
    }
    Some(out)
}

/// `sip:Bob@Contoso.com;transport=tls` → `bob@contoso.com`.
fn normalise(addr: &str) -> Option<String> {
    // A space inside is junk around the address (`a@b junk`): the word with the `@`.
    let addr = match word_with_at(addr) {
        Some(w) => w,
        None => addr.trim(),
    };
    let bare = strip_scheme(addr);
    let end = memchr::memchr2(b';', b'?', bare.as_bytes()).unwrap_or(bare.len());
    lower_address(bare.get(..end)?.trim())
}

const SCHEMES: [&str; 4] = ["sip:", "sips:", "mailto:", "smtp:"];

fn strip_scheme(s: &str) -> &str {
    for scheme in SCHEMES {
        // Checked: a multibyte character may straddle the scheme's length.
        if let Some((p, rest)) = s.split_at_checked(scheme.len()) {
            if p.eq_ignore_ascii_case(scheme) {
                return rest;
            }
        }
    }
    s
}

fn is_scheme(label: &str) -> bool {
    SCHEMES.iter().any(|s| {
        s.strip_suffix(':')
            .is_some_and(|name| name.eq_ignore_ascii_case(label))
    }) || label.eq_ignore_ascii_case("tel")
}

fn lower_address(addr: &str) -> Option<String> {
    if addr.is_empty() || memchr::memchr(b'@', addr.as_bytes()).is_none() {
        return None;
    }
    Some(if addr.is_ascii() {
        addr.to_ascii_lowercase()
    } else {
        addr.to_lowercase()
    })
}

/// The reader of last resort: splits `value` at every `,` and `;` outside
/// quotes, comments, angle brackets and encoded words, and takes from each
/// piece what is in its angle brackets, or else the word with an `@`, past
/// any group name.
fn tolerant(value: &str, out: &mut Vec<String>) {
    let mut piece = Piece::default();
    let mut chars = value.char_indices().peekable();
    let mut depth = 0u32;
    while let Some((i, c)) = chars.next() {
        if depth > 0 {
            match c {
                '\\' => {
                    chars.next();
                }
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '(' => depth = 1,
            '"' => {
                // A quoted display name (or local part): skipped whole.
                while let Some((_, q)) = chars.next() {
                    match q {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                piece.text.push(' ');
            }
            '=' if chars.peek().is_some_and(|&(_, n)| n == '?') => {
                // `=?charset?enc?text?=`: one word, whatever it holds.
                let rest = value.get(i..).unwrap_or_default();
                let len = encoded_word_len(rest).unwrap_or(1);
                while chars.peek().is_some_and(|&(j, _)| j < i + len) {
                    chars.next();
                }
                piece.text.push(' ');
            }
            '<' if piece.angle.is_none() => {
                let mut inner = String::new();
                for (_, a) in chars.by_ref() {
                    if a == '>' {
                        break;
                    }
                    inner.push(a);
                }
                piece.angle = Some(inner);
            }
            ',' | ';' => piece.take(out),
            _ => piece.text.push(c),
        }
    }
    piece.take(out);
}

/// One address-sized piece of a value the tolerant reader splits.
#[derive(Default)]
struct Piece {
    /// The piece outside quotes, comments and brackets.
    text: String,
    /// What the first angle brackets held.
    angle: Option<String>,
}

impl Piece {
    fn take(&mut self, out: &mut Vec<String>) {
        let text = std::mem::take(&mut self.text);
        let found = match self.angle.take() {
            Some(inner) => normalise(&inner),
            None => word_with_at(past_group_name(&text)).and_then(normalise),
        };
        push_unique(out, found);
    }
}

/// `Team: a@x` → ` a@x`; `sip:a@x` is a scheme, not a group name.
fn past_group_name(text: &str) -> &str {
    match text.split_once(':') {
        Some((label, rest)) if !label.contains('@') && !is_scheme(label.trim()) => rest,
        _ => text,
    }
}

fn word_with_at(text: &str) -> Option<&str> {
    text.split_whitespace().find(|w| w.contains('@'))
}

/// The length of the RFC 2047 encoded word `s` starts with, if it does.
fn encoded_word_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("=?")?;
    // charset ? encoding ? text ?=
    let q1 = rest.find('?')?;
    let after_enc = rest.get(q1 + 1..)?;
    let q2 = after_enc.find('?')?;
    let text = after_enc.get(q2 + 1..)?;
    let end = text.find("?=")?;
    Some(2 + q1 + 1 + q2 + 1 + end + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(v: &str) -> Vec<String> {
        addresses(v)
    }

    #[test]
    fn canonical_shapes() {
        assert_eq!(all("<sip:bob@contoso.com>"), ["bob@contoso.com"]);
        assert_eq!(all(" <SIP:Bob@Contoso.COM> "), ["bob@contoso.com"]);
        assert_eq!(all("bob@contoso.com"), ["bob@contoso.com"]);
        assert_eq!(all("<sip:A@B.com>;tag=1"), ["a@b.com"]);
        assert_eq!(all("sip:x@y.org;opaque=user"), ["x@y.org"]);
        assert_eq!(all("<mailto:x@y.org?subject=hi>"), ["x@y.org"]);
        assert!(all("nobody").is_empty());
        assert!(all("").is_empty());
        assert!(all("<>").is_empty());
        // Used to panic: a multibyte character across the length of `sip:`.
        assert_eq!(all("<abcé@x>"), ["abcé@x"]);
    }

    /// A quoted name of plain words before one address in angle brackets
    /// is read by hand, as mailparse reads it; a name with anything more in
    /// it, or anything after the brackets, is left to the general readers.
    #[test]
    fn plain_quoted_names_are_read_by_hand_as_mailparse_reads_them() {
        for v in [
            r#""Alice Wong" <sip:Alice@Contoso.com>"#,
            r#" "Alice Wong"<alice@contoso.com> "#,
            r#""A. O'Neil-x_1" <mailto:alice@contoso.com?subject=hi>"#,
            r#""" <sip:alice@contoso.com>"#,
            "\"Alice Wong\"\r\n <sip:alice@contoso.com>",
            r#""Alice" <sip:alice@contoso.com;transport=tls>"#,
            r#""Alice" <nobody>"#,
        ] {
            let by_hand = simple_address(v).unwrap_or_else(|| panic!("not by hand: {v:?}"));
            assert_eq!(by_hand.into_iter().collect::<Vec<_>>(), general(v), "{v:?}");
        }
        for v in [
            r#""Smith, Bob" <sip:bob@contoso.com>"#,
            r#""Bob" <sip:bob@contoso.com>;tag=1"#,
            r#""Bob" <sip:bob@contoso.com>, <x@y.org>"#,
            r#""Bob" sip:bob@contoso.com"#,
            r#""B@b" <sip:bob@contoso.com>"#,
            r#""Bob" "Smith" <sip:bob@contoso.com>"#,
            r#""Bob <sip:bob@contoso.com>"#,
        ] {
            assert_eq!(simple_address(v), None, "{v:?}");
        }
    }

    #[test]
    fn display_names_comments_and_encoded_words() {
        let bob = ["bob@contoso.com"];
        for v in [
            r#""Smith, Bob" <sip:bob@contoso.com>"#,
            r#""Smith, Bob" <bob@contoso.com>"#,
            r#"Bob Smith <sip:bob@contoso.com>"#,
            r#""Smith, \"Bobby\" Bob" <sip:bob@contoso.com>"#,
            r#""Smith, Bob" <sip:bob@contoso.com>;tag=1"#,
            "bob@contoso.com (Smith, Bob)",
            "(Smith, Bob) <sip:bob@contoso.com>",
            "=?utf-8?B?U21pdGgsIEJvYg==?= <sip:bob@contoso.com>",
            "=?utf-8?Q?Smith,_Bob?= <sip:bob@contoso.com>",
            "=?iso-8859-1?Q?M=FCller=2C_Bob?= <bob@contoso.com>",
            "\"Smith, Bob\"\r\n <sip:bob@contoso.com>",
        ] {
            assert_eq!(all(v), bob, "{v}");
            assert_eq!(first_address(v).as_deref(), Some(bob[0]), "{v}");
        }
    }

    #[test]
    fn lists_and_groups() {
        assert_eq!(
            all(r#""Smith, Bob" <sip:bob@contoso.com>, "Doe, Carol" <sip:carol@contoso.com>"#),
            ["bob@contoso.com", "carol@contoso.com"]
        );
        assert_eq!(
            all("Team: a@x.com, b@y.com;, c@z.com"),
            ["a@x.com", "b@y.com", "c@z.com"]
        );
        assert_eq!(all("Team: sip:a@x.com, <b@y.com>;"), ["a@x.com", "b@y.com"]);
        assert_eq!(all("Undisclosed recipients:;"), Vec::<String>::new());
        assert_eq!(all("mailto:x@y.org, z@w"), ["x@y.org", "z@w"]);
        // Each address once, in order.
        assert_eq!(all("a@x.com, <A@X.com>, b@x.com"), ["a@x.com", "b@x.com"]);
        // One broken address does not lose the others.
        assert_eq!(
            all(r#"<sip:bob@contoso.com>;tag=1, "broken <carol@contoso.com>"#),
            ["bob@contoso.com"]
        );
        assert_eq!(
            all("<sip:bob@contoso.com>;epid=1, nonsense, <sip:carol@contoso.com>"),
            ["bob@contoso.com", "carol@contoso.com"]
        );
    }

    #[test]
    fn encoded_words_are_measured() {
        assert_eq!(encoded_word_len("=?utf-8?B?QQ==?= rest"), Some(16));
        assert_eq!(encoded_word_len("=?utf-8?Q?a?="), Some(13));
        assert_eq!(encoded_word_len("=?broken"), None);
        assert_eq!(encoded_word_len("no"), None);
    }

    /// One of `frags`, drawn by a xorshift step of `seed`.
    fn pick<'f>(seed: &mut u64, frags: &[&'f str]) -> &'f str {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        frags[(*seed % frags.len() as u64) as usize]
    }

    /// Random splices of the characters that steer the readers: none
    /// panics (mailparse included, without the `catch_unwind` firing), every
    /// address has an `@`, and the hand-read shapes read as mailparse or
    /// the tolerant reader would read them.
    #[test]
    fn random_values_read_alike_and_never_panic() {
        let frags = [
            ",",
            ";",
            ":",
            "<",
            ">",
            "\"",
            "(",
            ")",
            "\\",
            " ",
            "\t",
            "\r\n ",
            "=?",
            "?=",
            "=?utf-8?B?QQ==?=",
            "sip:",
            "SIP:",
            "mailto:",
            "smtp:",
            "tel:",
            "@",
            "a",
            "B",
            "é",
            "İ",
            "x@y.org",
            "Bob@Contoso.COM",
            "tag=1",
            "Team",
            "\"Smith, Bob\"",
            "?",
            "\"Alice Wong\" ",
            "\"A. O'Neil-x_1\"",
            "\"\"",
            "<sip:x@y.org>",
            "<Bob@Contoso.COM>",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let (mut simple, mut found) = (0, 0);
        for _ in 0..100_000 {
            let mut v = String::new();
            for _ in 0..1 + seed % 10 {
                v.push_str(pick(&mut seed, &frags));
            }
            let parsed = std::panic::catch_unwind(|| mailparse::addrparse(&v));
            assert!(parsed.is_ok(), "mailparse panicked on {v:?}");
            let got = addresses(&v);
            assert!(got.iter().all(|a| a.contains('@')), "{v:?} {got:?}");
            assert_eq!(first_address(&v), got.first().cloned(), "{v:?}");
            found += usize::from(!got.is_empty());
            if let Some(s) = simple_address(&v) {
                simple += 1;
                assert_eq!(s.into_iter().collect::<Vec<_>>(), general(&v), "{v:?}");
            }
        }
        assert!(simple > 2_000 && found > 20_000, "{simple} {found}");
    }
}
