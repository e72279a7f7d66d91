//! Spotting what identifies someone in a string: addresses, accounts,
//! hosts, profile folders, UNC machine names, IP literals; and telling a
//! public host (kept) from a private one (pseudonymised).

use super::*;

pub(super) static SIP_FOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bsip_([^\\/\s"'<>|;,()\[\]]+)"#).unwrap());
pub(super) static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+'-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
        .unwrap()
});
pub(super) static ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:^|[\\/])((?:users|home|documents and settings)[\\/])([^\\/\x00-\x1f"<>|:*?]+)"#,
    )
    .unwrap()
});
pub(super) static URL_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^/\s@]*@)?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)")
        .unwrap()
});
pub(super) static DOTTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
        .unwrap()
});
/// `CONTOSO\alice` in free text: a NetBIOS domain (upper-case, as Windows
/// shows it, which tells it from a folder in a path) and an account, each
/// standing alone between delimiters (a path goes on with another `\`).
pub(super) static NT_ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[\s"'(=,;\[])([A-Z][A-Z0-9-]{0,14})\\([A-Za-z0-9][A-Za-z0-9._$-]{0,63})(?:$|[\s"'),;:\]])"#)
        .unwrap()
});
/// `\\PC042\share`: the machine a UNC path names.
pub(super) static UNC_HOST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\\\([A-Za-z0-9][A-Za-z0-9.-]{0,62})\\").unwrap());
/// Text that may be an IPv6 address (checked by parsing it), with its
/// zone (`%12`) if any, between non-word delimiters.
pub(super) static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^0-9a-z:.])((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[0-9a-z]+)?)")
        .unwrap()
});
pub(super) static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]+(?:\.[0-9]+)+").unwrap());

/// Last labels that make a dotted name a host name. File extensions that are
/// also country codes (`.md`, `.rs`, `.sh`, `.py`...) are left out so file
/// names stay readable; a host under a domain seen in an address is found
/// whatever its top-level label.
pub(super) const TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "name",
    "pro",
    "local",
    "lan",
    "corp",
    "internal",
    "intranet",
    "intra",
    "home",
    "localdomain",
    "ad",
    "private",
    "cloud",
    "online",
    "site",
    "tech",
    "app",
    "dev",
    "io",
    "co",
    "eu",
    "us",
    "uk",
    "de",
    "fr",
    "nl",
    "be",
    "ch",
    "at",
    "se",
    "no",
    "dk",
    "fi",
    "it",
    "es",
    "pt",
    "ie",
    "cz",
    "sk",
    "hu",
    "ro",
    "bg",
    "gr",
    "tr",
    "ru",
    "ua",
    "jp",
    "cn",
    "kr",
    "tw",
    "hk",
    "sg",
    "in",
    "au",
    "nz",
    "ca",
    "mx",
    "br",
    "ar",
    "cl",
    "za",
    "il",
    "ae",
    "sa",
    "lu",
    "li",
    "is",
    "ee",
    "lv",
    "lt",
    "si",
    "hr",
    "by",
    "kz",
    "vn",
    "th",
    "my",
    "id",
    "ph",
];

/// Public service hosts that say nothing about the customer (and tell
/// Exchange Online from on-premises): kept as they are.
pub(super) const PUBLIC_DOMAINS: &[&str] = &[
    "microsoft.com",
    "office365.com",
    "office.com",
    "office.net",
    "outlook.com",
    "lync.com",
    "skype.com",
    "microsoftonline.com",
    "live.com",
    "windows.net",
    "w3.org",
    "xmlsoap.org",
    "example",
    "example.com",
    "example.net",
    "example.org",
    "invalid",
    "test",
    "localhost",
];

pub(super) fn is_public(host: &str) -> bool {
    PUBLIC_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// `alice@contoso.com` out of a file name like `alice@contoso.com.txt`: a
/// last label that is no top-level domain is cut while what remains still
/// ends in one.
pub(super) fn trim_extension(address: &str) -> &str {
    let mut a = address;
    while let Some((head, last)) = a.rsplit_once('.') {
        let domain = head.rsplit_once('@').map_or("", |(_, d)| d);
        let tld_ok = TLDS.contains(&last.to_ascii_lowercase().as_str());
        let head_ok = domain.contains('.')
            && TLDS.contains(&last_label(domain).to_ascii_lowercase().as_str());
        if tld_ok || !head_ok {
            break;
        }
        a = head;
    }
    a
}

pub(super) fn last_label(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The organisation a host belongs to when no address names it: the last
/// two labels, three under a two-letter country code's `co.`/`com.`-style level.
pub(super) fn registrable(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let take = if n >= 3
        && labels[n - 1].len() == 2
        && matches!(
            labels[n - 2],
            "co" | "com" | "net" | "org" | "ac" | "gov" | "edu" | "ne" | "or"
        ) {
        3
    } else {
        2
    };
    labels[n.saturating_sub(take)..].join(".")
}

#[derive(Default)]
pub(super) struct Spotted {
    /// Spelling as met → what it is.
    pub(super) spellings: BTreeMap<String, Sensitive>,
    pub(super) address_domains: BTreeSet<String>,
}

impl Spotted {
    pub(super) fn add(&mut self, spelling: &str, what: Sensitive) {
        self.spellings.entry(spelling.to_string()).or_insert(what);
    }

    pub(super) fn address(&mut self, a: &str) {
        let key = a.to_lowercase();
        if let Some((_, d)) = key.rsplit_once('@') {
            self.address_domains.insert(d.to_string());
        }
        self.add(a, Sensitive::Address(key));
    }

    pub(super) fn host(&mut self, h: &str) {
        let key = h.trim_end_matches('.').to_lowercase();
        if key.contains('.')
            && key
                .split('.')
                .all(|l| l.chars().all(|c| c.is_ascii_digit()))
        {
            return; // a dotted number: an IP, handled on its own
        }
        if is_public(&key) || key == "localhost" {
            return;
        }
        self.add(h.trim_end_matches('.'), Sensitive::Host(key));
    }

    pub(super) fn scan(&mut self, text: &str) {
        // Blank out each thing once it is collected, so its parts are not
        // collected again as something else (a local part as a host...).
        let mut rest = text.to_string();
        let blank = |s: &mut String, start: usize, end: usize| {
            s.replace_range(start..end, &" ".repeat(end - start));
        };

        let folders: Vec<_> = SIP_FOLDER
            .captures_iter(&rest)
            .map(|c| {
                let m = c.get(0).unwrap();
                (m.start(), m.end(), m.as_str().to_string(), c[1].to_string())
            })
            .collect();
        for (start, end, whole, name) in folders {
            // `sip_alice%40contoso.com`: a profile folder as a URL encodes it.
            let name = match name.to_ascii_lowercase().find("%40") {
                Some(_) => name.replace("%40", "@").replace("%2540", "@"),
                None => name,
            };
            if ADDRESS.find(&name).is_some_and(|m| m.as_str() == name) {
                self.address(&name);
                // Replaced through its address: `sip_` + the address's pseudonym.
                self.add(&whole, Sensitive::Address(name.to_lowercase()));
            } else {
                self.add(&whole, Sensitive::Profile(name.to_lowercase()));
            }
            blank(&mut rest, start, end);
        }

        let accounts: Vec<_> = ACCOUNT
            .captures_iter(&rest)
            .map(|c| {
                let (p, n) = (c.get(1).unwrap(), c.get(2).unwrap());
                (
                    p.start(),
                    n.end(),
                    p.as_str().to_string(),
                    n.as_str().to_string(),
                )
            })
            .collect();
        for (start, end, prefix, name) in accounts {
            let key = name.trim().to_lowercase();
            if matches!(
                key.as_str(),
                "public" | "default" | "default user" | "all users" | "defaultapppool"
            ) {
                continue;
            }
            self.add(&format!("{prefix}{name}"), Sensitive::Account(prefix, key));
            blank(&mut rest, start, end);
        }

        let nt_accounts: Vec<_> = NT_ACCOUNT
            .captures_iter(&rest)
            .map(|c| {
                let (d, u) = (c.get(1).unwrap(), c.get(2).unwrap());
                (
                    d.start(),
                    u.end(),
                    d.as_str().to_string(),
                    u.as_str().to_string(),
                )
            })
            .collect();
        for (start, end, domain, user) in nt_accounts {
            let key = (domain.to_lowercase(), user.to_lowercase());
            // Windows' own principals (`NT AUTHORITY\SYSTEM`, `BUILTIN\Users`,
            // `IIS APPPOOL\…`) name nobody.
            if matches!(
                key.0.as_str(),
                "authority" | "builtin" | "service" | "apppool"
            ) {
                continue;
            }
            self.add(
                &format!("{domain}\\{user}"),
                Sensitive::NtAccount(key.0, key.1),
            );
            blank(&mut rest, start, end);
        }

        let unc: Vec<String> = UNC_HOST
            .captures_iter(&rest)
            .map(|c| c[1].to_string())
            .collect();
        for h in unc {
            self.host(&h);
        }

        let v6: Vec<_> = IPV6
            .captures_iter(&rest)
            .map(|c| {
                let m = c.get(1).unwrap();
                (m.start(), m.end(), m.as_str().to_string())
            })
            .collect();
        for (start, end, text) in v6 {
            let bare = text.split('%').next().unwrap_or(&text);
            let Ok(ip) = bare.parse::<std::net::Ipv6Addr>() else {
                continue;
            };
            if ip.is_loopback() || ip.is_unspecified() {
                continue;
            }
            self.add(&text, Sensitive::Ip6(ip.to_string()));
            blank(&mut rest, start, end);
        }

        let addresses: Vec<_> = ADDRESS
            .find_iter(&rest)
            .map(|m| (m.start(), m.end(), m.as_str().to_string()))
            .collect();
        for (start, _, a) in addresses {
            let a = trim_extension(a.trim_start_matches(['.', '\'', '-']));
            self.address(a);
            blank(&mut rest, start, start + a.len());
        }

        let ips: Vec<_> = NUMERIC
            .find_iter(&rest)
            .map(|m| (m.start(), m.end(), m.as_str().to_string()))
            .collect();
        for (start, end, n) in ips {
            let parts: Vec<&str> = n.split('.').collect();
            let ip = parts.len() == 4
                && parts
                    .iter()
                    .all(|p| p.len() <= 3 && p.parse::<u8>().is_ok());
            if ip && !n.starts_with("127.") && n != "0.0.0.0" {
                self.add(&n, Sensitive::Ip(n.clone()));
            }
            blank(&mut rest, start, end);
        }

        let url_hosts: Vec<_> = URL_HOST
            .captures_iter(&rest)
            .map(|c| c[1].to_string())
            .collect();
        for h in url_hosts {
            self.host(&h);
        }

        let dotted: Vec<String> = DOTTED
            .find_iter(&rest)
            .map(|m| m.as_str().to_string())
            .collect();
        for d in dotted {
            if let Some(h) = self.host_in(&d) {
                self.host(&h);
            }
        }
    }

    /// The host name a dotted token is or starts with, if it looks like one:
    /// `mail.contoso.com`, or `mail.contoso.com` in `mail.contoso.com.har`.
    pub(super) fn host_in(&self, token: &str) -> Option<String> {
        let labels: Vec<&str> = token.split('.').collect();
        let looks_like_host = |name: &str, min_labels: usize| {
            let lower = name.to_lowercase();
            let tld = last_label(&lower);
            name.split('.').count() >= min_labels
                && (TLDS.contains(&tld)
                    || self
                        .address_domains
                        .iter()
                        .any(|d| lower == *d || lower.ends_with(&format!(".{d}"))))
        };
        if looks_like_host(token, 2) {
            return Some(token.to_string());
        }
        (3..labels.len())
            .rev()
            .map(|k| labels[..k].join("."))
            .find(|name| looks_like_host(name, 3))
    }
}
