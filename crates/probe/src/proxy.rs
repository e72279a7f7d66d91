//! The proxy the client's requests would take. `HTTPS_PROXY`/`HTTP_PROXY`
//! (or `ALL_PROXY`, any case) and `NO_PROXY`, as curl reads them. On Windows
//! the same variables are honoured when set; the Internet Settings proxy
//! and a PAC/WPAD script are not read yet: the report says so.

use oimdiag_vocab::probe::ProxyUse;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    pub https: Option<(String, u16)>,
    pub http: Option<(String, u16)>,
    pub no_proxy: Vec<String>,
    pub source: String,
    pub pac: Option<String>,
}

impl ProxyConfig {
    /// From the environment (a function of the variable name, for tests).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> ProxyConfig {
        fn first<'n>(
            get: &impl Fn(&str) -> Option<String>,
            names: &[&'n str],
        ) -> Option<(&'n str, String)> {
            names
                .iter()
                .find_map(|n| get(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
        }
        let var = |names: &[&'static str]| first(&get, names);
        let https = var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]);
        let http = var(&["http_proxy", "HTTP_PROXY", "ALL_PROXY", "all_proxy"]);
        let no = var(&["NO_PROXY", "no_proxy"]);
        let mut named: Vec<&str> = [&https, &http, &no]
            .into_iter()
            .flatten()
            .map(|(n, _)| *n)
            .collect();
        named.dedup();
        let source = if named.is_empty() {
            "no proxy variable set (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY): direct connections"
                .to_string()
        } else {
            format!("environment: {}", named.join(", "))
        };
        let source = if cfg!(windows) {
            format!(
                "{source}; the Windows Internet Settings proxy and any PAC/WPAD script were \
                 not evaluated"
            )
        } else {
            source
        };
        ProxyConfig {
            https: https.and_then(|(_, v)| host_port(&v)),
            http: http.and_then(|(_, v)| host_port(&v)),
            no_proxy: no
                .map(|(_, v)| {
                    v.split(',')
                        .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            source,
            pac: None,
        }
    }

    /// The proxy for a URL of `scheme` to `host`, if one applies.
    pub fn for_url(&self, scheme: &str, host: &str) -> Option<&(String, u16)> {
        let host = host.to_ascii_lowercase();
        let bypass = self
            .no_proxy
            .iter()
            .any(|n| n == "*" || host == *n || host.ends_with(&format!(".{n}")));
        if bypass {
            return None;
        }
        match scheme {
            "https" => self.https.as_ref(),
            _ => self.http.as_ref(),
        }
    }

    pub fn described(&self) -> ProxyUse {
        let show = |p: &Option<(String, u16)>| p.as_ref().map(|(h, port)| format!("{h}:{port}"));
        ProxyUse {
            https: show(&self.https),
            http: show(&self.http),
            source: self.source.clone(),
            pac: self.pac.clone(),
        }
    }
}

/// `http://proxy:3128/`, `proxy:3128` or `[::1]:3128`.
fn host_port(v: &str) -> Option<(String, u16)> {
    let v = v.trim();
    let rest = v.split_once("://").map_or(v, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let rest = rest.split('/').next().unwrap_or(rest);
    if let Some(r) = rest.strip_prefix('[') {
        let (h, p) = r.split_once(']')?;
        let port = p
            .strip_prefix(':')
            .and_then(|p| p.parse().ok())
            .unwrap_or(80);
        return Some((h.to_string(), port));
    }
    match rest.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None if !rest.is_empty() => Some((rest.to_string(), 80)),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_proxy_and_no_proxy_are_read_as_curl_reads_them() {
        let env = |n: &str| match n {
            "HTTPS_PROXY" => Some("http://user:pw@proxy.corp:3128/".to_string()),
            "NO_PROXY" => Some("localhost, .contoso.com".to_string()),
            _ => None,
        };
        let p = ProxyConfig::from_env(env);
        assert_eq!(p.https, Some(("proxy.corp".into(), 3128)));
        assert_eq!(p.for_url("https", "mail.contoso.com"), None);
        assert_eq!(p.for_url("https", "contoso.com"), None);
        assert!(p.for_url("https", "outlook.office365.com").is_some());
        assert_eq!(p.for_url("http", "outlook.office365.com"), None);
        assert!(p.source.contains("HTTPS_PROXY"));
    }
}
