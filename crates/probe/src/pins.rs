//! `--resolve HOST:PORT:ADDR[,ADDR]...` and `--connect-to
//! HOST1:PORT1:HOST2:PORT2`, with curl's meanings: the first pins a name to
//! addresses for one port (DNS is not asked); the second sends a connection
//! meant for HOST1:PORT1 to HOST2:PORT2 instead (an empty HOST1 or PORT1
//! matches any, an empty HOST2 or PORT2 keeps the original). In both the TLS
//! name and the HTTP `Host` stay the URL's. IPv6 addresses go in brackets.

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolve {
    pub host: String,
    pub port: u16,
    pub addrs: Vec<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub to_host: Option<String>,
    pub to_port: Option<u16>,
}

/// Splits `a:b:[::1]:d` at the colons outside brackets.
fn fields(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '[' => {
                depth += 1;
                push(&mut out, c);
            }
            ']' => {
                depth = depth.saturating_sub(1);
                push(&mut out, c);
            }
            ':' if depth == 0 => out.push(String::new()),
            _ => push(&mut out, c),
        }
    }
    out
}

fn push(out: &mut [String], c: char) {
    if let Some(last) = out.last_mut() {
        last.push(c);
    }
}

/// A host as typed: brackets around an IPv6 address are dropped.
fn host_of(s: &str) -> String {
    s.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(s)
        .to_ascii_lowercase()
}

fn port_of(s: &str, what: &str) -> Result<u16, String> {
    s.parse::<u16>()
        .map_err(|_| format!("{what}: '{s}' is not a port number"))
}

impl std::str::FromStr for Resolve {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let f = fields(s);
        let [host, port, addrs] = f.as_slice() else {
            return Err(format!(
                "--resolve '{s}': expected HOST:PORT:ADDR[,ADDR]... (IPv6 in brackets)"
            ));
        };
        if host.is_empty() {
            return Err(format!("--resolve '{s}': no host"));
        }
        let addrs = addrs
            .split(',')
            .map(|a| {
                host_of(a.trim())
                    .parse::<IpAddr>()
                    .map_err(|_| format!("--resolve '{s}': '{a}' is not an IP address"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Resolve {
            host: host_of(host),
            port: port_of(port, "--resolve")?,
            addrs,
        })
    }
}

impl std::str::FromStr for ConnectTo {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let f = fields(s);
        let [host, port, to_host, to_port] = f.as_slice() else {
            return Err(format!(
                "--connect-to '{s}': expected HOST1:PORT1:HOST2:PORT2 (IPv6 in brackets)"
            ));
        };
        let opt_port = |p: &str| {
            if p.is_empty() {
                Ok(None)
            } else {
                port_of(p, "--connect-to").map(Some)
            }
        };
        let opt_host = |h: &str| (!h.is_empty()).then(|| host_of(h));
        Ok(ConnectTo {
            host: opt_host(host),
            port: opt_port(port)?,
            to_host: opt_host(to_host),
            to_port: opt_port(to_port)?,
        })
    }
}

/// Where a connection meant for `host:port` goes: the first `--connect-to`
/// that matches, as curl applies them.
pub fn connect_target(pins: &[ConnectTo], host: &str, port: u16) -> (String, u16, Option<String>) {
    for c in pins {
        let host_ok = c
            .host
            .as_deref()
            .is_none_or(|h| h.eq_ignore_ascii_case(host));
        let port_ok = c.port.is_none_or(|p| p == port);
        if host_ok && port_ok {
            let to = (
                c.to_host.clone().unwrap_or_else(|| host.to_string()),
                c.to_port.unwrap_or(port),
            );
            let note = format!("--connect-to sends {host}:{port} to {}:{}", to.0, to.1);
            return (to.0, to.1, Some(note));
        }
    }
    (host.to_string(), port, None)
}

/// The addresses `--resolve` pins `host:port` to, if any.
pub fn resolved<'a>(pins: &'a [Resolve], host: &str, port: u16) -> Option<&'a [IpAddr]> {
    pins.iter()
        .find(|r| r.port == port && r.host.eq_ignore_ascii_case(host))
        .map(|r| r.addrs.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_spellings_are_read() {
        let r: Resolve = "mail.contoso.com:443:127.0.0.1,[::1]".parse().unwrap();
        assert_eq!(r.host, "mail.contoso.com");
        assert_eq!(r.port, 443);
        assert_eq!(r.addrs.len(), 2);
        assert!(r.addrs[1].is_ipv6());
        let c: ConnectTo = "contoso.com:443:[::1]:8443".parse().unwrap();
        assert_eq!(c.to_host.as_deref(), Some("::1"));
        assert_eq!(c.to_port, Some(8443));
        let any: ConnectTo = "::127.0.0.1:".parse().unwrap();
        assert_eq!((any.host, any.port, any.to_port), (None, None, None));
        assert!("a:b".parse::<Resolve>().is_err());
        assert!("a:1:x".parse::<Resolve>().is_err());
        assert!("a:1:b".parse::<ConnectTo>().is_err());
    }

    #[test]
    fn the_first_matching_connect_to_wins() {
        let pins: Vec<ConnectTo> = ["other:443:x:1", "contoso.com:443:127.0.0.1:9", ":443::7"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(connect_target(&pins, "contoso.com", 443).1, 9);
        assert_eq!(
            connect_target(&pins, "autodiscover.contoso.com", 443).0,
            "autodiscover.contoso.com"
        );
        assert_eq!(connect_target(&pins, "autodiscover.contoso.com", 443).1, 7);
        assert_eq!(connect_target(&pins, "contoso.com", 80).2, None);
    }
}
