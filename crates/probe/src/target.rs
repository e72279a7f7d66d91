//! One target, step by step: where to connect (`--connect-to`, a proxy),
//! DNS (`--resolve`, `--dns-server`, or the system), TCP, CONNECT through the
//! proxy, TLS, and the request the client makes without credentials. The
//! first step that fails ends the target and decides its outcome.

use crate::dns::{self, Srv};
use crate::http::{self, Answer, Request};
use crate::{pins, tls, Options};
use oimdiag_vocab::probe::{ProbeStep, ProbeTarget, StepKind, TargetOutcome, TargetRole};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What an EWS client sends first: a SOAP request, unauthenticated. It
/// names no mailbox; the server asks for credentials before reading it.
const EWS_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="Exchange2010_SP2"/></soap:Header><soap:Body/></soap:Envelope>"#;

fn autodiscover_body(email: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"#,
        email
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    )
}

struct Run {
    t: ProbeTarget,
}

impl Run {
    fn step(&mut self, step: StepKind, ok: bool, detail: String, started: Instant) {
        self.t.steps.push(ProbeStep {
            step,
            ok,
            detail,
            elapsed_ms: ms(started),
        });
    }

    fn fail(mut self, outcome: TargetOutcome) -> ProbeTarget {
        self.t.outcome = outcome;
        self.t
    }
}

fn ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

pub fn probe(
    url: &str,
    role: TargetRole,
    why: &str,
    opts: &Options,
    trust: &tls::Trust,
    email: Option<&str>,
) -> ProbeTarget {
    let mut run = Run {
        t: ProbeTarget::unreachable(url.to_string(), role, why.to_string()),
    };
    let started = Instant::now();
    let parsed = match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => u,
        _ => {
            run.step(
                StepKind::Dns,
                false,
                format!("'{url}' is not an http(s) URL with a host"),
                started,
            );
            return run.fail(TargetOutcome::Unreachable);
        }
    };
    let https = parsed.scheme() == "https";
    let host = parsed
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let path = match parsed.query() {
        Some(q) => format!("{}?{q}", parsed.path()),
        None => parsed.path().to_string(),
    };
    let host_header = match parsed.port() {
        Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
        None => parsed.host_str().unwrap_or_default().to_string(),
    };

    // Where the TCP connection goes: a proxy, else the host (or --connect-to's).
    let proxy = opts.proxy.for_url(parsed.scheme(), &host).cloned();
    let (conn_host, conn_port, note) = match &proxy {
        Some((ph, pp)) => (
            ph.clone(),
            *pp,
            Some(format!("through the proxy {ph}:{pp}")),
        ),
        None => pins::connect_target(&opts.connect_to, &host, port),
    };

    // DNS
    let started = Instant::now();
    let addrs: Vec<IpAddr> = match pins::resolved(&opts.resolve, &conn_host, conn_port) {
        Some(a) => {
            let list = join(a);
            run.step(
                StepKind::Dns,
                true,
                format!("{conn_host}: {list} (pinned by --resolve)"),
                started,
            );
            a.to_vec()
        }
        None => match dns::lookup(&conn_host, conn_port, opts.dns_server, opts.timeout) {
            Ok(a) => {
                let via = match opts.dns_server {
                    Some(s) if conn_host.parse::<IpAddr>().is_err() => format!(" (asked {s})"),
                    _ => String::new(),
                };
                let mut d = format!("{conn_host}: {}{via}", join(&a));
                if let Some(n) = &note {
                    d.push_str(&format!("; {n}"));
                }
                run.step(StepKind::Dns, true, d, started);
                a
            }
            Err(e) => {
                run.step(StepKind::Dns, false, e, started);
                return run.fail(TargetOutcome::Unreachable);
            }
        },
    };

    // TCP
    let started = Instant::now();
    let mut errors = Vec::new();
    let mut sock = None;
    for ip in &addrs {
        let sa = SocketAddr::new(*ip, conn_port);
        let left = opts.timeout.saturating_sub(started.elapsed());
        if left.is_zero() {
            errors.push(format!("{sa}: time limit reached"));
            break;
        }
        match TcpStream::connect_timeout(&sa, left) {
            Ok(s) => {
                sock = Some((s, sa));
                break;
            }
            Err(e) => errors.push(format!("{sa}: {}", connect_words(e, opts))),
        }
    }
    let Some((sock, sa)) = sock else {
        run.step(StepKind::Tcp, false, errors.join("; "), started);
        return run.fail(TargetOutcome::Unreachable);
    };
    run.step(StepKind::Tcp, true, format!("connected to {sa}"), started);
    let _ = sock.set_nodelay(true);

    // CONNECT through an HTTPS proxy.
    if https && proxy.is_some() {
        let started = Instant::now();
        let deadline = started + opts.timeout;
        let authority = with_port(&host, port);
        let req = Request {
            method: "CONNECT",
            target: &authority,
            host: &authority,
            content_type: None,
            body: b"",
        };
        let mut s = match sock.try_clone() {
            Ok(s) => s,
            Err(e) => {
                run.step(StepKind::Proxy, false, e.to_string(), started);
                return run.fail(TargetOutcome::Unreachable);
            }
        };
        match connect_head(&mut s, &sock, &req, deadline) {
            Ok(a) if (200..300).contains(&a.status) => {
                run.step(
                    StepKind::Proxy,
                    true,
                    format!("CONNECT {authority}: {} {}", a.status, a.reason),
                    started,
                );
            }
            Ok(a) => {
                run.t.status = Some(a.status);
                run.step(
                    StepKind::Proxy,
                    false,
                    format!(
                        "CONNECT {authority}: the proxy answered {} {}",
                        a.status, a.reason
                    ),
                    started,
                );
                return run.fail(if a.status == 407 {
                    TargetOutcome::NotEws
                } else {
                    TargetOutcome::Unreachable
                });
            }
            Err(e) => {
                run.step(
                    StepKind::Proxy,
                    false,
                    format!("CONNECT {authority}: {e}"),
                    started,
                );
                return run.fail(TargetOutcome::Unreachable);
            }
        }
    }

    let request_target = if !https && proxy.is_some() {
        url.to_string()
    } else {
        path
    };
    let body = match role {
        TargetRole::Ews => EWS_BODY.to_string(),
        TargetRole::Autodiscover => email.map(autodiscover_body).unwrap_or_default(),
    };
    // The HTTP candidate is the redirect method: a plain GET.
    let (method, ct) = if role == TargetRole::Autodiscover && !https {
        ("GET", None)
    } else {
        ("POST", Some("text/xml; charset=utf-8"))
    };
    let req = Request {
        method,
        target: &request_target,
        host: &host_header,
        content_type: ct,
        body: if method == "GET" {
            b""
        } else {
            body.as_bytes()
        },
    };

    if https {
        let started = Instant::now();
        let deadline = started + opts.timeout;
        let seen = Arc::new(Mutex::new(tls::Seen::default()));
        let cfg = match tls::config(trust, Arc::clone(&seen)) {
            Ok(c) => c,
            Err(e) => {
                run.step(StepKind::Tls, false, e, started);
                return run.fail(TargetOutcome::Unreachable);
            }
        };
        let name = match rustls::pki_types::ServerName::try_from(host.clone()) {
            Ok(n) => n,
            Err(e) => {
                run.step(StepKind::Tls, false, format!("{host}: {e}"), started);
                return run.fail(TargetOutcome::Unreachable);
            }
        };
        let conn = match rustls::ClientConnection::new(cfg, name) {
            Ok(c) => c,
            Err(e) => {
                run.step(StepKind::Tls, false, e.to_string(), started);
                return run.fail(TargetOutcome::Unreachable);
            }
        };
        let ctl = match sock.try_clone() {
            Ok(c) => c,
            Err(e) => {
                run.step(StepKind::Tls, false, e.to_string(), started);
                return run.fail(TargetOutcome::Unreachable);
            }
        };
        let mut stream = rustls::StreamOwned::new(conn, sock);
        let hs = handshake(&mut stream, &ctl, deadline);
        let protocol = stream
            .conn
            .protocol_version()
            .map(|v| format!("{v:?}").replace('_', "."));
        let seen = seen.lock().map(|s| tls::facts(&s, &host, protocol.clone()));
        let facts = seen.ok();
        if let Err((e, outcome)) = hs {
            run.t.tls = facts.filter(|f| !f.subject.is_empty());
            run.step(StepKind::Tls, false, e, started);
            return run.fail(outcome);
        }
        let Some(f) = facts else {
            run.step(
                StepKind::Tls,
                false,
                "no certificate recorded".into(),
                started,
            );
            return run.fail(TargetOutcome::Untrusted);
        };
        let ok = f.trusted;
        let mut d = format!(
            "{}; certificate {} issued by {}, valid until {}; {}; {} the host {host}",
            protocol.as_deref().unwrap_or("TLS"),
            f.subject,
            f.issuer,
            f.not_after.as_deref().unwrap_or("?"),
            if ok {
                "trusted".to_string()
            } else {
                format!("NOT trusted: {}", f.problem.as_deref().unwrap_or("refused"))
            },
            if f.host_matches {
                "names"
            } else {
                "does NOT name"
            },
        );
        d.push_str(&format!(" ({})", trust.described));
        run.t.tls = Some(f);
        run.step(StepKind::Tls, ok, d, started);
        if !ok {
            // The client would not go on; neither does the probe.
            return run.fail(TargetOutcome::Untrusted);
        }
        http_step(run, &mut stream, &ctl, &req, opts)
    } else {
        let ctl = match sock.try_clone() {
            Ok(c) => c,
            Err(e) => {
                run.step(StepKind::Http, false, e.to_string(), Instant::now());
                return run.fail(TargetOutcome::Unreachable);
            }
        };
        let mut s = sock;
        http_step(run, &mut s, &ctl, &req, opts)
    }
}

fn with_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn join(a: &[IpAddr]) -> String {
    a.iter()
        .map(|ip| ip.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn connect_words(e: std::io::Error, opts: &Options) -> String {
    match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            format!("no answer within {} ms", opts.timeout.as_millis())
        }
        std::io::ErrorKind::ConnectionRefused => "connection refused (nothing listens)".into(),
        _ => e.to_string(),
    }
}

/// The proxy's answer to CONNECT: its head only (no body follows a 2xx).
fn connect_head(
    s: &mut TcpStream,
    ctl: &TcpStream,
    req: &Request,
    deadline: Instant,
) -> Result<Answer, String> {
    // CONNECT answers have no body; `exchange` reads what comes until the
    // deadline, so read the head by hand.
    use std::io::{Read, Write};
    http::limit(ctl, deadline).map_err(http::io_words)?;
    let line = format!(
        "CONNECT {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\n\r\n",
        req.target,
        req.host,
        http::user_agent()
    );
    s.write_all(line.as_bytes()).map_err(http::io_words)?;
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") && buf.len() < 16 * 1024 {
        http::limit(ctl, deadline).map_err(http::io_words)?;
        match s.read(&mut b) {
            Ok(0) => return Err("the proxy closed the connection".into()),
            Ok(_) => buf.push(b[0]),
            Err(e) => return Err(http::io_words(e)),
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(&buf) {
        Ok(httparse::Status::Complete(_)) => Ok(Answer {
            status: resp.code.unwrap_or(0),
            reason: resp.reason.unwrap_or("").to_string(),
            ..Answer::default()
        }),
        _ => Err("the proxy's answer is not HTTP".into()),
    }
}

fn handshake(
    stream: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    ctl: &TcpStream,
    deadline: Instant,
) -> Result<(), (String, TargetOutcome)> {
    while stream.conn.is_handshaking() {
        http::limit(ctl, deadline).map_err(|e| (http::io_words(e), TargetOutcome::Unreachable))?;
        match stream.conn.complete_io(&mut stream.sock) {
            Ok((0, 0)) if stream.conn.is_handshaking() => {
                return Err((
                    "the server closed the connection during the TLS handshake".into(),
                    TargetOutcome::Unreachable,
                ))
            }
            Ok(_) => {}
            Err(e) => {
                let timeout = matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
                let tls_error = e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<rustls::Error>())
                    .is_some();
                return Err(if timeout {
                    (
                        "no TLS answer within the time limit".into(),
                        TargetOutcome::Unreachable,
                    )
                } else if tls_error {
                    (
                        format!("the TLS handshake failed: {e} (not a TLS server as expected)"),
                        TargetOutcome::NotEws,
                    )
                } else {
                    (
                        format!("the TLS handshake failed: {e}"),
                        TargetOutcome::Unreachable,
                    )
                });
            }
        }
    }
    Ok(())
}

fn http_step(
    mut run: Run,
    stream: &mut dyn http::ReadWrite,
    ctl: &TcpStream,
    req: &Request,
    opts: &Options,
) -> ProbeTarget {
    let started = Instant::now();
    let deadline = started + opts.timeout;
    let a = match http::exchange(stream, ctl, req, deadline) {
        Ok(a) => a,
        Err(e) => {
            let detail = format!("{} {}: {e}", req.method, req.target);
            run.step(StepKind::Http, false, detail, started);
            return run.fail(TargetOutcome::Unreachable);
        }
    };
    let role = run.t.role;
    let (outcome, verdict) = judge(role, &a);
    let mut d = format!("{} {}: {} {}", req.method, req.target, a.status, a.reason);
    if !a.schemes.is_empty() {
        d.push_str(&format!("; WWW-Authenticate: {}", a.schemes.join(", ")));
    }
    if let Some(u) = &a.authorization_uri {
        d.push_str(&format!("; authorization_uri {u} (hybrid modern auth)"));
    }
    for x in &a.diagnostics {
        d.push_str(&format!("; x-ms-diagnostics: {x}"));
    }
    if let Some(l) = &a.location {
        d.push_str(&format!("; Location: {l}"));
    }
    d.push_str(&format!(" — {verdict}"));
    run.t.status = Some(a.status);
    run.t.auth_schemes = a.schemes.clone();
    run.t.diagnostics = a.diagnostics.clone();
    run.t.modern_auth = a.authorization_uri.is_some();
    run.t.authorization_uri = a.authorization_uri.clone();
    run.t.redirect = a.location.clone();
    run.step(
        StepKind::Http,
        outcome == TargetOutcome::Answered,
        d,
        started,
    );
    run.t.outcome = outcome;
    run.t
}

/// Whether the answer is what EWS (or autodiscover) gives a request without
/// credentials, and why not.
pub fn judge(role: TargetRole, a: &Answer) -> (TargetOutcome, String) {
    let what = match role {
        TargetRole::Ews => "EWS",
        TargetRole::Autodiscover => "autodiscover",
    };
    match a.status {
        401 if !a.schemes.is_empty() => (
            TargetOutcome::Answered,
            format!("{what} asks for credentials, as expected"),
        ),
        401 => (
            TargetOutcome::NotEws,
            "401 without any WWW-Authenticate scheme: the client cannot sign in".into(),
        ),
        300..=399 => {
            let loc = a.location.clone().unwrap_or_default();
            let l = loc.to_ascii_lowercase();
            if role == TargetRole::Autodiscover
                && l.starts_with("https://")
                && l.contains("/autodiscover/autodiscover.xml")
            {
                (
                    TargetOutcome::Answered,
                    "a redirect to HTTPS autodiscover, as expected".into(),
                )
            } else if ["login", "logon", "signin", "adfs", "auth", "owa"]
                .iter()
                .any(|w| l.contains(w))
            {
                (
                    TargetOutcome::NotEws,
                    format!("a redirect to a login page ({loc}), not {what}"),
                )
            } else {
                (
                    TargetOutcome::NotEws,
                    format!("a redirect elsewhere ({loc}), not {what}"),
                )
            }
        }
        200 if a.is_login_form() => (
            TargetOutcome::NotEws,
            format!("an HTML login form, not {what} (a proxy or a sign-in portal answers)"),
        ),
        200 if role == TargetRole::Autodiscover
            && String::from_utf8_lossy(&a.body).contains("<Autodiscover") =>
        {
            (
                TargetOutcome::Answered,
                "an autodiscover answer without credentials".into(),
            )
        }
        200..=299 => (
            TargetOutcome::NotEws,
            format!(
                "{} without credentials: {what} would ask for them",
                a.status
            ),
        ),
        407 => (
            TargetOutcome::NotEws,
            "a proxy asks for credentials (407)".into(),
        ),
        404 => (
            TargetOutcome::NotEws,
            format!("404 Not Found: no {what} at this path"),
        ),
        s @ 500..=599 => (TargetOutcome::NotEws, format!("{s}: the server failed")),
        s => (
            TargetOutcome::NotEws,
            format!("{s}: not what {what} answers"),
        ),
    }
}

/// The SRV lookup as the first step of the target it found.
pub fn step_srv(name: &str, found: Result<&Srv, &str>, started: Instant) -> ProbeStep {
    let (ok, detail) = match found {
        Ok(s) => (
            true,
            format!(
                "SRV {name}: {}:{} (priority {}, weight {})",
                s.target, s.port, s.priority, s.weight
            ),
        ),
        Err(e) => (false, format!("SRV {name}: {e}")),
    };
    ProbeStep {
        step: StepKind::Dns,
        ok,
        detail,
        elapsed_ms: ms(started),
    }
}

/// The SRV candidate when the lookup found nothing.
pub fn srv_failed(name: &str, e: &str, started: Instant) -> ProbeTarget {
    let mut t = ProbeTarget::unreachable(
        format!("dns-srv:{name}"),
        TargetRole::Autodiscover,
        "autodiscover candidate 4 of 4 (DNS SRV)".into(),
    );
    t.steps.push(step_srv(name, Err(e), started));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, location: Option<&str>, schemes: &[&str]) -> Answer {
        Answer {
            status,
            location: location.map(str::to_string),
            schemes: schemes.iter().map(|s| s.to_string()).collect(),
            ..Answer::default()
        }
    }

    #[test]
    fn only_a_401_with_schemes_is_ews_answering() {
        use TargetOutcome::*;
        let ews = |a: &Answer| judge(TargetRole::Ews, a).0;
        assert_eq!(ews(&answer(401, None, &["NTLM"])), Answered);
        assert_eq!(ews(&answer(401, None, &[])), NotEws);
        assert_eq!(ews(&answer(404, None, &[])), NotEws);
        assert_eq!(ews(&answer(503, None, &[])), NotEws);
        assert_eq!(ews(&answer(200, None, &[])), NotEws);
        assert_eq!(ews(&answer(407, None, &[])), NotEws);
        let login = judge(
            TargetRole::Ews,
            &answer(
                302,
                Some("https://sts.contoso.com/adfs/ls/?wa=wsignin1.0"),
                &[],
            ),
        );
        assert_eq!(login.0, NotEws);
        assert!(login.1.contains("login page"), "{}", login.1);
    }

    #[test]
    fn a_redirect_to_https_autodiscover_is_autodiscover_answering() {
        let to = Some("https://autodiscover.contoso.com/Autodiscover/Autodiscover.xml");
        assert_eq!(
            judge(TargetRole::Autodiscover, &answer(302, to, &[])).0,
            TargetOutcome::Answered
        );
        // Not for EWS, and not to plain HTTP.
        assert_eq!(
            judge(TargetRole::Ews, &answer(302, to, &[])).0,
            TargetOutcome::NotEws
        );
        let http = Some("http://autodiscover.contoso.com/autodiscover/autodiscover.xml");
        assert_eq!(
            judge(TargetRole::Autodiscover, &answer(302, http, &[])).0,
            TargetOutcome::NotEws
        );
    }
}
