//! One unauthenticated HTTP/1.1 request over a stream the probe set up, and
//! what its answer says: status, every `WWW-Authenticate` scheme (several
//! may share one header), a Bearer challenge's `authorization_uri`,
//! `x-ms-diagnostics`, a redirect, and whether the body is a login form.
//! The request never carries an `Authorization` header or a cookie.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The most of an answer read: the head, and enough of the body to tell a
/// login form.
const HEAD_MAX: usize = 64 * 1024;
const BODY_MAX: usize = 64 * 1024;

#[derive(Debug, Default, Clone)]
pub struct Answer {
    pub status: u16,
    pub reason: String,
    pub schemes: Vec<String>,
    pub authorization_uri: Option<String>,
    pub diagnostics: Vec<String>,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// A page with a form that asks for a password.
    pub fn is_login_form(&self) -> bool {
        let html = self
            .content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
        let body = String::from_utf8_lossy(&self.body).to_ascii_lowercase();
        (html || body.contains("<html")) && body.contains("<form") && body.contains("password")
    }
}

/// A request as written on the wire.
pub struct Request<'a> {
    pub method: &'a str,
    /// Origin form (`/EWS/Exchange.asmx`), or absolute through a plain HTTP proxy.
    pub target: &'a str,
    pub host: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

pub fn user_agent() -> String {
    format!(
        "oimdiag/{} (EWS probe; no credentials)",
        env!("CARGO_PKG_VERSION")
    )
}

impl Request<'_> {
    fn bytes(&self) -> Vec<u8> {
        let mut h = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\nConnection: close\r\n",
            self.method,
            self.target,
            self.host,
            user_agent()
        );
        if let Some(ct) = self.content_type {
            h.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if self.method != "GET" {
            h.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        h.push_str("\r\n");
        let mut b = h.into_bytes();
        b.extend_from_slice(self.body);
        b
    }
}

/// The socket's time limit is set to what is left before `deadline` before
/// each read or write, so a server that trickles cannot stretch a step.
pub fn limit(sock: &TcpStream, deadline: Instant) -> std::io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "time limit reached",
        ));
    }
    sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
    sock.set_write_timeout(Some(left.max(Duration::from_millis(1))))
}

/// Sends `req` and reads the answer's head and the start of its body.
pub fn exchange(
    stream: &mut dyn ReadWrite,
    sock: &TcpStream,
    req: &Request,
    deadline: Instant,
) -> Result<Answer, String> {
    limit(sock, deadline).map_err(io_words)?;
    stream.write_all(&req.bytes()).map_err(io_words)?;
    stream.flush().map_err(io_words)?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (head_len, mut answer) = loop {
        limit(sock, deadline).map_err(io_words)?;
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if buf.is_empty() => return Err(io_words(e)),
            Err(e) => return Err(format!("the answer stopped: {}", io_words(e))),
        };
        if n == 0 {
            return Err(if buf.is_empty() {
                "the server closed the connection without answering".to_string()
            } else {
                "the answer ended inside its headers".to_string()
            });
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut headers = [httparse::EMPTY_HEADER; 96];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => break (len, answer_of(&resp)),
            Ok(httparse::Status::Partial) if buf.len() < HEAD_MAX => continue,
            Ok(httparse::Status::Partial) => {
                return Err(format!("no end of headers in the first {HEAD_MAX} bytes"))
            }
            Err(e) => {
                return Err(format!(
                    "the answer is not HTTP ({e}): {}",
                    printable(buf.get(..buf.len().min(60)).unwrap_or_default())
                ))
            }
        }
    };
    answer.body = buf.split_off(head_len.min(buf.len()));
    // The body matters only to tell a login page: read what comes soon.
    while answer.body.len() < BODY_MAX && limit(sock, deadline).is_ok() {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer
                .body
                .extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
    Ok(answer)
}

pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn answer_of(resp: &httparse::Response) -> Answer {
    let mut a = Answer {
        status: resp.code.unwrap_or(0),
        reason: resp.reason.unwrap_or("").to_string(),
        ..Answer::default()
    };
    for h in resp.headers.iter() {
        let value = String::from_utf8_lossy(h.value).trim().to_string();
        match h.name.to_ascii_lowercase().as_str() {
            "www-authenticate" => {
                for c in challenges(&value) {
                    if !a.schemes.iter().any(|s| s.eq_ignore_ascii_case(&c.scheme)) {
                        a.schemes.push(c.scheme.clone());
                    }
                    if let Some(uri) = c.param("authorization_uri") {
                        a.authorization_uri.get_or_insert(uri);
                    }
                }
            }
            "x-ms-diagnostics" => a.diagnostics.push(value),
            "location" => a.location = Some(value),
            "content-type" => a.content_type = Some(value),
            _ => {}
        }
    }
    a
}

/// One challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

/// The challenges of one header value (RFC 9110 §11.6.1): items are split at
/// commas outside quotes; an item that starts `name=` is a parameter of the
/// challenge before it, any other item starts a new challenge.
pub fn challenges(value: &str) -> Vec<Challenge> {
    let mut items = Vec::new();
    let (mut cur, mut quoted, mut escaped) = (String::new(), false, false);
    for c in value.chars() {
        match c {
            _ if escaped => {
                escaped = false;
                cur.push(c);
            }
            '\\' if quoted => {
                escaped = true;
                cur.push(c);
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ',' if !quoted => items.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    items.push(cur);
    let mut out: Vec<Challenge> = Vec::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        let token_end = item
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(item.len());
        let (token, rest) = item.split_at(token_end);
        if rest.starts_with('=') && !rest.trim_start_matches('=').is_empty() {
            // An auth-param of the challenge before.
            if let Some(last) = out.last_mut() {
                last.params.push(param(token, rest));
            }
            continue;
        }
        let mut ch = Challenge {
            scheme: token.to_string(),
            params: Vec::new(),
        };
        let rest = rest.trim();
        if let Some((k, v)) = rest.split_once('=').filter(|(k, _)| !k.contains(' ')) {
            if !v.is_empty() && !v.chars().all(|c| c == '=') {
                ch.params.push(param(k, &format!("={v}")));
            }
        }
        out.push(ch);
    }
    out
}

fn param(name: &str, eq_value: &str) -> (String, String) {
    let v = eq_value.trim_start_matches('=').trim();
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v);
    (name.trim().to_string(), v.replace("\\\"", "\""))
}

/// Bytes from the wire for a message: printable ASCII, the rest escaped.
pub fn printable(b: &[u8]) -> String {
    b.iter()
        .flat_map(|&c| std::ascii::escape_default(c))
        .map(char::from)
        .collect()
}

pub fn io_words(e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            "no answer within the time limit".to_string()
        }
        std::io::ErrorKind::ConnectionReset => "the connection was reset".to_string(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_joined_in_one_header_are_each_found() {
        let h = r#"Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", authorization_uri="https://login.windows.net/common/oauth2/authorize", error="invalid_token",Negotiate,NTLM,Basic realm="autodiscover.contoso.com""#;
        let c = challenges(h);
        let names: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(names, ["Bearer", "Negotiate", "NTLM", "Basic"]);
        assert_eq!(
            c[0].param("authorization_uri").as_deref(),
            Some("https://login.windows.net/common/oauth2/authorize")
        );
        assert_eq!(
            c[3].param("realm").as_deref(),
            Some("autodiscover.contoso.com")
        );
    }

    #[test]
    fn a_token68_is_not_a_parameter() {
        let c = challenges("Negotiate oYIBBzCCAQOgAwoBAQ==, NTLM");
        let names: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(names, ["Negotiate", "NTLM"]);
        let q = challenges(r#"Basic realm="a, b", NTLM"#);
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].param("realm").as_deref(), Some("a, b"));
    }

    #[test]
    fn a_request_never_carries_credentials() {
        let r = Request {
            method: "POST",
            target: "/EWS/Exchange.asmx",
            host: "mail.contoso.com",
            content_type: Some("text/xml"),
            body: b"<x/>",
        };
        let s = String::from_utf8(r.bytes()).unwrap().to_ascii_lowercase();
        assert!(!s.contains("authorization") && !s.contains("cookie"));
        assert!(s.contains("content-length: 4\r\n"));
    }
}
