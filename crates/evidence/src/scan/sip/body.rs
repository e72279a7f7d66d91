//! Facts in SIP message bodies: in-band provisioning properties and the
//! user's own `imAutoArchiving` option, read with the shared tolerant XML
//! tokenizer. Nothing else of a body is kept.

use crate::scan::xml::{attr, text_of, Tok, XmlTokens};

/// Every `<property name="X">V</property>` in a provisioning body, with the
/// name of the enclosing `<provisionGroup name="G">` when there is one.
/// Also accepts `<property name="X" value="V"/>`.
pub fn provisioning_properties(body: &str) -> Vec<(Option<String>, String, String)> {
    let mut out = Vec::new();
    let mut group: Option<String> = None;
    // The property being read: its name and its text so far.
    let mut open: Option<(String, String)> = None;
    for tok in XmlTokens::new(body) {
        match tok {
            Tok::Start { name, attrs, empty } if name.eq_ignore_ascii_case("provisionGroup") => {
                group = if empty {
                    None
                } else {
                    attr(attrs, "name").map(|n| n.trim().to_owned())
                };
            }
            Tok::End { name } if name.eq_ignore_ascii_case("provisionGroup") => group = None,
            Tok::Start { name, attrs, empty } if name.eq_ignore_ascii_case("property") => {
                let Some(pname) = attr(attrs, "name").map(|n| n.trim().to_owned()) else {
                    continue;
                };
                if pname.is_empty() {
                    continue;
                }
                if empty {
                    let v = attr(attrs, "value")
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default();
                    out.push((group.clone(), pname, v));
                    open = None;
                } else {
                    open = Some((pname, String::new()));
                }
            }
            Tok::Text { raw, cdata } => {
                if let Some((_, v)) = open.as_mut() {
                    v.push_str(&text_of(raw, cdata));
                }
            }
            Tok::End { name } if name.eq_ignore_ascii_case("property") => {
                if let Some((n, v)) = open.take() {
                    out.push((group.clone(), n, v.trim().to_owned()));
                }
            }
            _ => {}
        }
    }
    out
}

/// The user's `<imAutoArchiving>true|false</imAutoArchiving>` inside an
/// `otherOptions` element (any prefix); `None` when absent or not a boolean.
pub fn im_auto_archiving_option(body: &str) -> Option<bool> {
    let mut depth_in_options = 0usize;
    let mut reading: Option<String> = None;
    for tok in XmlTokens::new(body) {
        match tok {
            Tok::Start {
                name, empty: false, ..
            } if name.eq_ignore_ascii_case("otherOptions") => depth_in_options += 1,
            Tok::End { name } if name.eq_ignore_ascii_case("otherOptions") => {
                depth_in_options = depth_in_options.saturating_sub(1);
            }
            Tok::Start { name, empty, .. }
                if depth_in_options > 0 && name.eq_ignore_ascii_case("imAutoArchiving") =>
            {
                reading = (!empty).then(String::new);
            }
            Tok::Text { raw, cdata } => {
                if let Some(v) = reading.as_mut() {
                    v.push_str(&text_of(raw, cdata));
                }
            }
            Tok::End { name } if name.eq_ignore_ascii_case("imAutoArchiving") => {
                if let Some(v) = reading.take() {
                    let v = v.trim();
                    if v.eq_ignore_ascii_case("true") {
                        return Some(true);
                    }
                    if v.eq_ignore_ascii_case("false") {
                        return Some(false);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// ASCII case-insensitive substring test: memchr finds candidate first bytes.
pub(super) fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return false;
    };
    let mut from = 0;
    while let Some(i) = h
        .get(from..)
        .and_then(|t| memchr::memchr2(first.to_ascii_lowercase(), first.to_ascii_uppercase(), t))
    {
        let at = from + i;
        if h.get(at..at + n.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(n))
        {
            return true;
        }
        from = at + 1;
    }
    false
}
