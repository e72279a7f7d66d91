//! A small, forgiving XML tokenizer shared by the readers of XML: SIP
//! bodies (in-band provisioning, publications) and EWS-style spool items.
//!
//! Not an XML parser on purpose: input is often cut (a spool item is read up
//! to a window, a log record may end mid-body) or not well-formed, and it
//! should still tell what it can. Names are matched by local name (any
//! namespace prefix); comments, processing instructions and declarations are
//! skipped; a broken tag is stepped over. Every step is linear in the input.

use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok<'a> {
    /// Local name (prefix removed), the raw attribute text, whether `<x/>`.
    Start {
        name: &'a str,
        attrs: &'a str,
        empty: bool,
    },
    End {
        name: &'a str,
    },
    Text {
        raw: &'a str,
        cdata: bool,
    },
}

pub struct XmlTokens<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> XmlTokens<'a> {
    pub fn new(s: &'a str) -> Self {
        XmlTokens { s, pos: 0 }
    }
}

pub fn local_name(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}

impl<'a> Iterator for XmlTokens<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        loop {
            let rest = self.s.get(self.pos..)?;
            if rest.is_empty() {
                return None;
            }
            if !rest.starts_with('<') {
                let end = rest.find('<').unwrap_or(rest.len());
                self.pos += end;
                return Some(Tok::Text {
                    raw: rest.get(..end)?,
                    cdata: false,
                });
            }
            if let Some(r) = rest.strip_prefix("<!--") {
                self.pos += 4 + r.find("-->").map_or(r.len(), |i| i + 3);
                continue;
            }
            if let Some(r) = rest.strip_prefix("<![CDATA[") {
                let (raw, adv) = match r.find("]]>") {
                    Some(i) => (r.get(..i)?, i + 3),
                    None => (r, r.len()),
                };
                self.pos += 9 + adv;
                return Some(Tok::Text { raw, cdata: true });
            }
            if rest.starts_with("<!") || rest.starts_with("<?") {
                self.pos += rest.find('>').map_or(rest.len(), |i| i + 1);
                continue;
            }
            let Some(close) = tag_close(rest) else {
                // Unterminated or broken tag: skip the `<` and carry on.
                self.pos += 1;
                continue;
            };
            let inner = rest.get(1..close)?;
            self.pos += close + 1;
            if let Some(name) = inner.strip_prefix('/') {
                return Some(Tok::End {
                    name: local_name(name.trim()),
                });
            }
            let (inner, empty) = match inner.strip_suffix('/') {
                Some(i) => (i, true),
                None => (inner, false),
            };
            let name_end = inner
                .find(|c: char| c.is_whitespace())
                .unwrap_or(inner.len());
            let name = inner.get(..name_end)?;
            if name.is_empty() {
                continue;
            }
            return Some(Tok::Start {
                name: local_name(name),
                attrs: inner.get(name_end..)?,
                empty,
            });
        }
    }
}

/// Where the tag at the start of `rest` (its `<`) ends: its `>` outside
/// quoted attribute values. A `<` ends the search even inside quotes (XML
/// forbids it there), so broken input costs linear time, not quadratic.
/// By bytes: every character it stops at is ASCII, and no byte of a
/// multibyte UTF-8 character is.
fn tag_close(rest: &str) -> Option<usize> {
    let mut quote = None;
    for (i, &c) in rest.as_bytes().iter().enumerate().skip(1) {
        match (quote, c) {
            (_, b'<') => return None,
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(c),
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The value of an attribute by local name (prefixes ignored), entities decoded.
pub fn attr<'a>(attrs: &'a str, want: &str) -> Option<Cow<'a, str>> {
    let mut s = attrs;
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return None;
        }
        let eq = s.find('=')?;
        let name = s.get(..eq)?.trim();
        let after = s.get(eq + 1..)?.trim_start();
        let q = after.chars().next()?;
        let (value, next) = if q == '"' || q == '\'' {
            let body = after.get(1..)?;
            let end = body.find(q)?;
            (body.get(..end)?, body.get(end + 1..)?)
        } else {
            // Unquoted (not XML, but tolerated).
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (after.get(..end)?, after.get(end..)?)
        };
        if local_name(name).eq_ignore_ascii_case(want) {
            return Some(decode_entities(value));
        }
        s = next;
    }
}

/// Decodes the five XML entities and numeric character references; unknown
/// or broken references stay as written.
pub fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        let tail = rest.get(amp..).unwrap_or("");
        // Entity names are short: look for `;` in the next few bytes only.
        let semi = tail.bytes().take(12).position(|b| b == b';');
        let decoded = semi.and_then(|semi| {
            let ent = tail.get(1..semi)?;
            let c = match ent {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let num = ent.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = tail.get(len..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A text token's characters: entities decoded, CDATA as written.
pub fn text_of(raw: &str, cdata: bool) -> Cow<'_, str> {
    if cdata {
        Cow::Borrowed(raw)
    } else {
        decode_entities(raw)
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<Tok<'_>> {
        XmlTokens::new(s).collect()
    }

    /// The tag's end found by bytes is where reading it by characters finds
    /// it, on splices of quotes, brackets and multibyte characters.
    #[test]
    fn a_tag_ends_where_its_characters_say() {
        fn by_chars(rest: &str) -> Option<usize> {
            let mut quote = None;
            for (i, c) in rest.char_indices().skip(1) {
                match (quote, c) {
                    (_, '<') => return None,
                    (Some(q), _) if c == q => quote = None,
                    (Some(_), _) => {}
                    (None, '"' | '\'') => quote = Some(c),
                    (None, '>') => return Some(i),
                    _ => {}
                }
            }
            None
        }
        let frags = ["<", ">", "\"", "'", "a", " ", "é", "€", "𝄞", "=", "/", "x:y"];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut closed = 0;
        for _ in 0..50_000 {
            let mut s = String::from("<");
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..seed % 12 {
                let f = frags[((seed >> (k * 4)) % frags.len() as u64) as usize];
                s.push_str(f);
            }
            let got = tag_close(&s);
            assert_eq!(got, by_chars(&s), "{s:?}");
            closed += usize::from(got.is_some());
        }
        assert!(closed > 5_000, "{closed}");
    }

    #[test]
    fn names_are_local_and_attributes_quoted_or_not() {
        assert_eq!(
            tokens("<t:A x='1>2' y=\"q\"/>text<![CDATA[<raw>]]></t:A>"),
            [
                Tok::Start {
                    name: "A",
                    attrs: " x='1>2' y=\"q\"",
                    empty: true
                },
                Tok::Text {
                    raw: "text",
                    cdata: false
                },
                Tok::Text {
                    raw: "<raw>",
                    cdata: true
                },
                Tok::End { name: "A" },
            ]
        );
        assert_eq!(attr(" p:name='a&amp;b' v=1", "name").as_deref(), Some("a&b"));
        assert_eq!(attr(" p:name='a&amp;b' v=1", "v").as_deref(), Some("1"));
    }

    #[test]
    fn comments_declarations_and_broken_tags_are_stepped_over() {
        assert_eq!(
            tokens("<?xml v?><!-- c --><a<b>x"),
            [
                // The broken `<` is stepped over; what follows it is text.
                Tok::Text {
                    raw: "a",
                    cdata: false
                },
                Tok::Start {
                    name: "b",
                    attrs: "",
                    empty: false
                },
                Tok::Text {
                    raw: "x",
                    cdata: false
                },
            ]
        );
        for junk in ["<", "<<>>", "<!--", "<![CDATA[", "<a \"", "&#xFFFFFFFF;&"] {
            let _ = tokens(junk);
            let _ = decode_entities(junk);
        }
    }

    #[test]
    fn entities_named_and_numeric_are_decoded_and_broken_ones_kept() {
        assert_eq!(decode_entities("é&amp;ééééééééé&lt;"), "é&ééééééééé<");
        assert_eq!(decode_entities("&#233;&#xE9;&bogus;&"), "éé&bogus;&");
    }
}
