//! Name lookups: the system resolver (as the client's own lookups go: hosts
//! file, the machine's DNS servers), or, with `--dns-server`, queries sent
//! to that server. SRV records need a DNS query of their own: to
//! `--dns-server`, else through the system resolver on Windows
//! (`DnsQuery_W`), else to the first server of /etc/resolv.conf (Unix).
//! hickory-proto writes and reads the messages; one UDP datagram each way.

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// An SRV record's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// The addresses of `host`, within `timeout`.
pub fn lookup(
    host: &str,
    port: u16,
    server: Option<SocketAddr>,
    timeout: Duration,
) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match server {
        Some(s) => {
            let mut out = Vec::new();
            let deadline = Instant::now() + timeout;
            let mut last_err = None;
            for rt in [RecordType::A, RecordType::AAAA] {
                match query(s, host, rt, remaining(deadline)) {
                    Ok(m) => out.extend(m.answers().iter().filter_map(|r| match r.data() {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                        _ => None,
                    })),
                    Err(e) => last_err = Some(e),
                }
            }
            match (out.is_empty(), last_err) {
                (false, _) => Ok(out),
                (true, Some(e)) => Err(e),
                (true, None) => Err(format!("{s} knows no address for {host}")),
            }
        }
        None => system_lookup(host, port, timeout),
    }
}

/// The system resolver has no time limit of its own: it runs on a thread
/// that is left behind when the limit passes.
fn system_lookup(host: &str, port: u16, timeout: Duration) -> Result<Vec<IpAddr>, String> {
    let (tx, rx) = mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let r = (name.as_str(), port)
            .to_socket_addrs()
            .map(|a| a.map(|s| s.ip()).collect::<Vec<_>>());
        let _ = tx.send(r);
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(a)) if !a.is_empty() => {
            let mut a = a;
            a.dedup();
            Ok(a)
        }
        Ok(Ok(_)) => Err(format!("no address for {host}")),
        Ok(Err(e)) => Err(format!("no address for {host}: {e}")),
        Err(_) => Err(format!(
            "no answer for {host} within {} ms",
            timeout.as_millis()
        )),
    }
}

/// The SRV records of `name`, best first (lowest priority, then highest weight).
pub fn srv(name: &str, server: Option<SocketAddr>, timeout: Duration) -> Result<Vec<Srv>, String> {
    #[cfg(windows)]
    if server.is_none() {
        return crate::windows::srv(name, timeout);
    }
    let server = match server {
        Some(s) => s,
        None => system_server().ok_or_else(|| {
            "no DNS server known to ask for SRV records (give --dns-server ADDR:PORT)".to_string()
        })?,
    };
    let m = query(server, name, RecordType::SRV, timeout)?;
    let mut out: Vec<Srv> = m
        .answers()
        .iter()
        .filter_map(|r| match r.data() {
            RData::SRV(s) => Some(Srv {
                priority: s.priority(),
                weight: s.weight(),
                port: s.port(),
                target: s.target().to_ascii().trim_end_matches('.').to_string(),
            }),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| (a.priority, b.weight).cmp(&(b.priority, a.weight)));
    if out.is_empty() {
        Err(format!("{server}: no SRV record for {name}"))
    } else {
        Ok(out)
    }
}

/// The first name server of /etc/resolv.conf.
#[cfg(unix)]
fn system_server() -> Option<SocketAddr> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .next()
}

#[cfg(not(unix))]
fn system_server() -> Option<SocketAddr> {
    None
}

fn remaining(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

fn query(
    server: SocketAddr,
    name: &str,
    rt: RecordType,
    timeout: Duration,
) -> Result<Message, String> {
    let deadline = Instant::now() + timeout;
    let qname = Name::from_ascii(format!("{}.", name.trim_end_matches('.')))
        .map_err(|e| format!("'{name}' is not a DNS name: {e}"))?;
    let id = query_id();
    let mut msg = Message::new();
    msg.set_id(id)
        .set_message_type(MessageType::Query)
        .set_op_code(OpCode::Query)
        .set_recursion_desired(true);
    msg.add_query(Query::query(qname, rt));
    let bytes = msg.to_vec().map_err(|e| format!("DNS query: {e}"))?;
    let bind: SocketAddr = if server.is_ipv6() {
        "[::]:0".parse().map_err(|_| "bind".to_string())?
    } else {
        "0.0.0.0:0".parse().map_err(|_| "bind".to_string())?
    };
    let sock = UdpSocket::bind(bind).map_err(|e| format!("DNS socket: {e}"))?;
    sock.connect(server)
        .map_err(|e| format!("DNS server {server}: {e}"))?;
    sock.send(&bytes)
        .map_err(|e| format!("DNS server {server}: {e}"))?;
    let mut buf = vec![0u8; 4096];
    loop {
        sock.set_read_timeout(Some(remaining(deadline)))
            .map_err(|e| format!("DNS socket: {e}"))?;
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!(
                    "DNS server {server}: no answer within {} ms",
                    timeout.as_millis()
                ))
            }
            Err(e) => return Err(format!("DNS server {server}: {e}")),
        };
        let Some(got) = buf.get(..n) else { continue };
        let Ok(m) = Message::from_vec(got) else {
            continue;
        };
        if m.id() != id {
            continue;
        }
        return match m.response_code() {
            ResponseCode::NoError => Ok(m),
            ResponseCode::NXDomain => {
                Err(format!("{name} does not exist (NXDOMAIN from {server})"))
            }
            rc => Err(format!("DNS server {server} answered {rc} for {name}")),
        };
    }
}

fn query_id() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (nanos ^ std::process::id()) as u16
}
