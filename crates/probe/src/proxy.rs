//! The proxy the client's requests would take. `HTTPS_PROXY`/`HTTP_PROXY`
//! (or `ALL_PROXY`, any case) and `NO_PROXY`, as curl reads them. On Windows,
//! when none of those is set, the user's Internet Settings (`ProxyEnable`,
//! `ProxyServer`, `ProxyOverride`: what WinINet and so the client use); a
//! PAC script (`AutoConfigURL`) or WPAD is reported, not evaluated.

use oimdiag_vocab::probe::ProxyUse;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    pub https: Option<(String, u16)>,
    pub http: Option<(String, u16)>,
    pub no_proxy: Vec<String>,
    /// `ProxyOverride` patterns (`*.contoso.com`, `10.*`), `*` matching any run.
    pub bypass_globs: Vec<String>,
    /// `<local>` in `ProxyOverride`: names without a dot go direct.
    pub bypass_local: bool,
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
            ..ProxyConfig::default()
        }
    }

    /// The proxy this machine's client would use: the environment's when a
    /// variable names one; on Windows otherwise the Internet Settings.
    pub fn system() -> ProxyConfig {
        let env = ProxyConfig::from_env(|n| std::env::var(n).ok());
        #[cfg(windows)]
        if env.https.is_none() && env.http.is_none() {
            let w = crate::windows::internet_settings();
            return ProxyConfig::from_internet_settings(
                w.enabled,
                w.server.as_deref(),
                w.bypass.as_deref(),
                w.pac,
            );
        }
        env
    }

    /// From the Windows Internet Settings values.
    pub fn from_internet_settings(
        enabled: bool,
        server: Option<&str>,
        bypass: Option<&str>,
        pac: Option<String>,
    ) -> ProxyConfig {
        let mut c = ProxyConfig {
            pac,
            ..ProxyConfig::default()
        };
        if let (true, Some(server)) = (enabled, server) {
            for part in server.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                match part.split_once('=') {
                    Some((scheme, hp)) => match scheme.trim().to_ascii_lowercase().as_str() {
                        "https" => c.https = host_port(hp),
                        "http" => c.http = host_port(hp),
                        _ => {}
                    },
                    None => {
                        c.https = host_port(part);
                        c.http = host_port(part);
                    }
                }
            }
            for b in bypass
                .unwrap_or_default()
                .split(';')
                .map(|b| b.trim().to_ascii_lowercase())
                .filter(|b| !b.is_empty())
            {
                if b == "<local>" {
                    c.bypass_local = true;
                } else {
                    c.bypass_globs.push(b);
                }
            }
        }
        let used = match (&c.https, enabled) {
            (Some(_), _) => format!(
                "Windows Internet Settings (ProxyServer {}{})",
                server.unwrap_or_default(),
                bypass
                    .map(|b| format!(", ProxyOverride {b}"))
                    .unwrap_or_default()
            ),
            (None, true) => "Windows Internet Settings: ProxyEnable is on without a \
                             ProxyServer: direct connections"
                .to_string(),
            (None, false) => {
                "Windows Internet Settings: no proxy (ProxyEnable off); no proxy variable set"
                    .to_string()
            }
        };
        c.source = match &c.pac {
            Some(_) => format!(
                "{used}; a PAC script (AutoConfigURL) is set and was NOT evaluated: the client \
                 may use another proxy than this"
            ),
            None => format!("{used}; WPAD (automatic detection) was not evaluated"),
        };
        c
    }

    /// The proxy for a URL of `scheme` to `host`, if one applies.
    pub fn for_url(&self, scheme: &str, host: &str) -> Option<&(String, u16)> {
        let host = host.to_ascii_lowercase();
        let bypass = self
            .no_proxy
            .iter()
            .any(|n| n == "*" || host == *n || host.ends_with(&format!(".{n}")))
            || (self.bypass_local && !host.contains('.'))
            || self.bypass_globs.iter().any(|g| glob(g, &host));
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

/// `*` matches any run of characters; the rest must be equal.
fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, rest)) => {
            let Some(tail) = s.strip_prefix(head) else {
                return false;
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| glob(rest, tail.get(i..).unwrap_or_default()))
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

    #[test]
    fn windows_internet_settings_are_read_as_wininet_reads_them() {
        let p = ProxyConfig::from_internet_settings(
            true,
            Some("http=web:80;https=secure:8443"),
            Some("<local>;*.contoso.com;10.*"),
            Some("http://wpad/proxy.pac".into()),
        );
        assert_eq!(p.https, Some(("secure".into(), 8443)));
        assert_eq!(p.http, Some(("web".into(), 80)));
        assert_eq!(p.for_url("https", "mail.contoso.com"), None);
        assert_eq!(p.for_url("https", "exchange"), None);
        assert_eq!(p.for_url("https", "10.1.2.3"), None);
        assert!(p.for_url("https", "outlook.office365.com").is_some());
        assert!(p.source.contains("NOT evaluated"), "{}", p.source);
        let one = ProxyConfig::from_internet_settings(true, Some("proxy:3128"), None, None);
        assert_eq!(one.http, one.https);
        let off = ProxyConfig::from_internet_settings(false, Some("proxy:3128"), None, None);
        assert_eq!(off.https, None);
    }
}
