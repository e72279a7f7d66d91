//! A SIP message as a log record carries it: the start line, the headers
//! (compact forms and case folded), and the few header values the facts come
//! from (addresses, the client build in `User-Agent`).

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMessage {
    pub start: StartLine,
    /// Headers in order, names as written (compact forms not expanded), values
    /// trimmed, folded lines joined with one space.
    pub headers: Vec<(String, String)>,
    /// The lines after the blank line, joined with `\n`, trailing blank lines removed.
    pub body: String,
}

/// Provisioning property names relevant to Offline IM (compared case-insensitively).
/// `EnableIMAutoArchiving` carries the client policy's switch (name ASSUMED, BRIEF §3.3).
pub const PROVISIONING_NAMES: [&str; 3] = [
    "EnableIMAutoArchiving",
    "EnableOfflineIM",
    "EnableCallLogAutoArchiving",
];

pub(super) const PROVISIONING_CONTENT_TYPE: &str = "application/vnd-microsoft-roaming-provisioning-v2+xml";

/// SIP compact header forms (RFC 3261 §7.3.3 and later RFCs).
const COMPACT: [(u8, &str); 19] = [
    (b'a', "Accept-Contact"),
    (b'b', "Referred-By"),
    (b'c', "Content-Type"),
    (b'd', "Request-Disposition"),
    (b'e', "Content-Encoding"),
    (b'f', "From"),
    (b'i', "Call-ID"),
    (b'j', "Reject-Contact"),
    (b'k', "Supported"),
    (b'l', "Content-Length"),
    (b'm', "Contact"),
    (b'n', "Identity-Info"),
    (b'o', "Event"),
    (b'r', "Refer-To"),
    (b's', "Subject"),
    (b't', "To"),
    (b'u', "Allow-Events"),
    (b'v', "Via"),
    (b'x', "Session-Expires"),
];

/// The full header name for a compact form; other names unchanged.
pub(super) fn canonical_name(name: &str) -> &str {
    match name.as_bytes() {
        [c] => COMPACT
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(c))
            .map_or(name, |(_, full)| full),
        _ => name,
    }
}

fn same_header(a: &str, b: &str) -> bool {
    canonical_name(a).eq_ignore_ascii_case(canonical_name(b))
}

fn lookup<'h, N: AsRef<str>, V: AsRef<str>>(headers: &'h [(N, V)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| same_header(n.as_ref(), name))
        .map(|(_, v)| v.as_ref())
}

/// The method in a CSeq value `1 INVITE`.
pub(super) fn cseq_method_of(value: &str) -> Option<&str> {
    let mut parts = value.split_whitespace();
    let seq = parts.next()?;
    if !seq.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    parts.next().filter(|m| is_token(m))
}

impl SipMessage {
    /// The first header with this name (case-insensitive; compact forms match
    /// their full names either way round).
    pub fn header(&self, name: &str) -> Option<&str> {
        lookup(&self.headers, name)
    }

    /// Every header with this name, in order.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| same_header(n, name))
            .map(|(_, v)| v.as_str())
    }

    /// The method in `CSeq: 1 INVITE`.
    pub fn cseq_method(&self) -> Option<&str> {
        cseq_method_of(self.header("CSeq")?)
    }

    pub fn method(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { code, .. } => Some(*code),
            StartLine::Request { .. } => None,
        }
    }
}

/// RFC 3261 `token` characters.
pub(super) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| TOKEN.get(usize::from(c)) == Some(&true))
}

/// Which bytes are RFC 3261 `token` characters.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated at compile time: an index out of range fails the build"
)]
const TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
            );
        c += 1;
    }
    t
};

/// `s` split around its first space or tab.
fn split_blank(s: &str) -> Option<(&str, &str)> {
    split_around(s, memchr::memchr2(b' ', b'\t', s.as_bytes())?)
}

/// `s` split around its last space or tab.
fn rsplit_blank(s: &str) -> Option<(&str, &str)> {
    split_around(s, memchr::memrchr2(b' ', b'\t', s.as_bytes())?)
}

/// `s` before and after the ASCII byte at `i` (a `memchr` hit).
pub(super) fn split_around(s: &str, i: usize) -> Option<(&str, &str)> {
    let (before, from) = s.split_at_checked(i)?;
    Some((before, from.get(1..)?))
}

/// A SIP message borrowed from the record's lines: what [`sip_events`] reads,
/// so a packet costs one small vector, not a copy of every header and body line.
struct View<'a> {
    start: StartRef<'a>,
    headers: Vec<(&'a str, Cow<'a, str>)>,
    /// Body lines, trailing blank lines removed.
    body: Vec<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StartRef<'a> {
    Request { method: &'a str, uri: &'a str },
    Response { code: u16, reason: &'a str },
}

impl<'a> View<'a> {
    fn into_owned(self) -> SipMessage {
        SipMessage {
            start: match self.start {
                StartRef::Request { method, uri } => StartLine::Request {
                    method: method.to_owned(),
                    uri: uri.to_owned(),
                },
                StartRef::Response { code, reason } => StartLine::Response {
                    code,
                    reason: reason.to_owned(),
                },
            },
            headers: self
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.into_owned()))
                .collect(),
            body: self.body.join("\n"),
        }
    }
}

/// Parses a SIP message from a record's continuation lines: leading blank
/// lines skipped, start line, headers up to a blank line, body after it.
pub fn parse_sip(lines: &[String]) -> Option<SipMessage> {
    parse_view(lines.iter().map(String::as_str)).map(View::into_owned)
}

fn parse_view<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<View<'a>> {
    let mut it = lines.into_iter().map(|l| l.trim_end_matches('\r'));
    let first = it.by_ref().find(|l| !l.trim().is_empty())?;
    let start = parse_start_line(first)?;
    let mut headers: Vec<(&str, Cow<str>)> = Vec::with_capacity(16);
    let mut body: Vec<&str> = Vec::new();
    let mut in_body = false;
    for line in it {
        if in_body {
            body.push(line);
            continue;
        }
        if line.trim().is_empty() {
            in_body = true;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // Folded continuation of the previous header.
            if let Some((_, v)) = headers.last_mut() {
                let v = v.to_mut();
                if !v.is_empty() {
                    v.push(' ');
                }
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if is_token(name) {
                headers.push((name, Cow::Borrowed(value.trim())));
            }
        }
        // A header line without a colon is noise: skipped.
    }
    while body.last().is_some_and(|l| l.trim().is_empty()) {
        body.pop();
    }
    Some(View {
        start,
        headers,
        body,
    })
}

pub(super) fn parse_start_line(line: &str) -> Option<StartRef<'_>> {
    let line = line.trim();
    let (first, rest) = split_blank(line)?;
    let rest = rest.trim_start();
    if is_sip_version(first) {
        let (code, reason) = match split_blank(rest) {
            Some((c, r)) => (c, r.trim()),
            None => (rest, ""),
        };
        if code.len() != 3 || !code.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let code: u16 = code.parse().ok()?;
        if !(100..=699).contains(&code) {
            return None;
        }
        return Some(StartRef::Response { code, reason });
    }
    let (uri, version) = rsplit_blank(rest)?;
    let uri = uri.trim();
    if !is_token(first)
        || !is_sip_version(version)
        || uri.is_empty()
        || memchr::memchr2(b' ', b'\t', uri.as_bytes()).is_some()
    {
        return None;
    }
    Some(StartRef::Request { method: first, uri })
}

fn is_sip_version(s: &str) -> bool {
    s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/")) && s.len() > 4
}

/// The address in a From/To/Contact-style value, lower-cased and without
/// `sip:`: `"Bob" <sip:Bob@contoso.com>;tag=x` → `bob@contoso.com`.
/// `None` unless it is a `user@host` address (a `tel:` URI, a bare IP are not).
pub fn sip_address(header_value: &str) -> Option<String> {
    let v = header_value.trim();
    // Skip a quoted display name, which may itself contain `<`, `>` or `;`.
    let after_name = match v.strip_prefix('"') {
        Some(q) => {
            let mut escaped = false;
            let mut end = None;
            for (i, c) in q.char_indices() {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            q.get(end? + 1..)?
        }
        None => v,
    };
    let uri = match after_name.find('<') {
        Some(open) => {
            let inner = after_name.get(open + 1..)?;
            inner.get(..inner.find('>')?)?
        }
        None => {
            // addr-spec without brackets: parameters follow `;`.
            let t = after_name.trim();
            t.get(..t.find([';', ' ', '\t']).unwrap_or(t.len()))?
        }
    };
    let uri = uri.trim();
    let rest = match strip_prefix_ci(uri, "sip:").or_else(|| strip_prefix_ci(uri, "sips:")) {
        Some(r) => r,
        None => {
            // Another scheme (`tel:`, `mailto:`) is not a SIP address; a bare `user@host` is.
            let at = uri.find('@');
            match uri.find(':') {
                Some(colon) if at.is_none_or(|a| colon < a) => return None,
                _ => uri,
            }
        }
    };
    // URI parameters and headers end the address.
    let addr = rest.get(..rest.find([';', '?']).unwrap_or(rest.len()))?;
    let (user, host) = addr.rsplit_once('@')?;
    // Drop a port: `host:5061`.
    let host = host.get(..host.find(':').unwrap_or(host.len()))?;
    let ok_user = !user.is_empty() && !user.contains(['<', '>', '"', ' ', '\t', '@']);
    let ok_host = !host.is_empty()
        && host
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'_');
    if !ok_user || !ok_host {
        return None;
    }
    Some(format!("{user}@{host}").to_lowercase())
}

pub(super) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// The product build in a User-Agent: `OC/x.y.z.w` → `(build, true)`; only a
/// valid `UCCAPI/x.y.z.w` → `(build, false)`. Builds must have four numeric parts.
pub fn client_build_from_user_agent(ua: &str) -> Option<(String, bool)> {
    let mut uccapi = None;
    for token in ua.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',') {
        let Some((product, version)) = token.split_once('/') else {
            continue;
        };
        let version = version.trim_end_matches(|c: char| !c.is_ascii_digit());
        if !is_build(version) {
            continue;
        }
        if product.eq_ignore_ascii_case("OC") {
            return Some((version.to_owned(), true));
        }
        if product.eq_ignore_ascii_case("UCCAPI") && uccapi.is_none() {
            uccapi = Some(version.to_owned());
        }
    }
    uccapi.map(|b| (b, false))
}

fn is_build(v: &str) -> bool {
    let mut n = 0;
    for part in v.split('.') {
        n += 1;
        if part.is_empty() || part.len() > 9 || !part.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    n == 4
}
