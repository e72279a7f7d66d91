//! `--redact`: replaces SIP and mail addresses, host names, IPv4 addresses
//! and user-profile path segments in the report model with stable
//! pseudonyms, before any renderer sees it, so every format is redacted alike.
//!
//! Two passes over every string of the model. The first collects what is
//! sensitive: `sip_<address>` profile folders, addresses, `Users\<name>` and
//! `/home/<name>` segments, hosts in URLs, dotted names that look like hosts,
//! IPv4 addresses. Pseudonyms are then numbered in sorted order (so they do
//! not depend on the order things were met) and keep the domain relation:
//! `alice@contoso.com`, `bob@contoso.com` and `mail.contoso.com` become
//! `user1@domain1.example`, `user2@domain1.example` and `host1.domain1.example`.
//! The second pass replaces every spelling found, longest first and
//! case-insensitively, in every string.

use crate::Report;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

pub fn redact(mut report: Report) -> Report {
    // Paths repeat across findings, items and inputs: collect each once.
    let mut texts = BTreeSet::new();
    report.for_each_string_mut(&mut |s| {
        texts.insert(s.clone());
    });
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    // Once redacted, they are pseudonyms already.
    let (host, user) = if report.redacted {
        (None, None)
    } else {
        report.machine.names()
    };
    let table = Redactor::collect_with(&texts, host, user);
    report.for_each_string_mut(&mut |s| *s = table.apply(s));
    report.redacted = true;
    report
}

/// What a sensitive spelling is, keyed by its lower-cased value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Sensitive {
    Address(String),
    Host(String),
    /// A `sip_` profile folder named after something that is not an address.
    Profile(String),
    /// `Users\` + name: the separator-including prefix as spelled, and the name.
    Account(String, String),
    /// A Windows `DOMAIN\user` account: the domain and the user, lower-cased.
    NtAccount(String, String),
    Ip(String),
    /// An IPv6 address, as `Ipv6Addr` writes it.
    Ip6(String),
}

static SIP_FOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bsip_([^\\/\s"'<>|;,()\[\]]+)"#).unwrap());
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+'-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
        .unwrap()
});
static ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:^|[\\/])((?:users|home|documents and settings)[\\/])([^\\/\x00-\x1f"<>|:*?]+)"#,
    )
    .unwrap()
});
static URL_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^/\s@]*@)?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)")
        .unwrap()
});
static DOTTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")
        .unwrap()
});
/// `CONTOSO\alice` in free text: a NetBIOS domain (upper-case, as Windows
/// shows it, which tells it from a folder in a path) and an account, each
/// standing alone between delimiters (a path goes on with another `\`).
static NT_ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:^|[\s"'(=,;\[])([A-Z][A-Z0-9-]{0,14})\\([A-Za-z0-9][A-Za-z0-9._$-]{0,63})(?:$|[\s"'),;:\]])"#)
        .unwrap()
});
/// `\\PC042\share`: the machine a UNC path names.
static UNC_HOST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\\\([A-Za-z0-9][A-Za-z0-9.-]{0,62})\\").unwrap());
/// Text that may be an IPv6 address (checked by parsing it), with its
/// zone (`%12`) if any, between non-word delimiters.
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[^0-9a-z:.])((?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%[0-9a-z]+)?)")
        .unwrap()
});
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[0-9]+(?:\.[0-9]+)+").unwrap());

/// Last labels that make a dotted name a host name. File extensions that are
/// also country codes (`.md`, `.rs`, `.sh`, `.py`...) are left out so file
/// names stay readable; a host under a domain seen in an address is found
/// whatever its top-level label.
const TLDS: &[&str] = &[
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
const PUBLIC_DOMAINS: &[&str] = &[
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

fn is_public(host: &str) -> bool {
    PUBLIC_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// `alice@contoso.com` out of a file name like `alice@contoso.com.txt`: a
/// last label that is no top-level domain is cut while what remains still
/// ends in one.
fn trim_extension(address: &str) -> &str {
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

fn last_label(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The organisation a host belongs to when no address names it: the last
/// two labels, three under a two-letter country code's `co.`/`com.`-style level.
fn registrable(host: &str) -> String {
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

pub struct Redactor {
    ac: Option<AhoCorasick>,
    /// Per pattern: how many leading bytes of the match to keep as spelled
    /// (`sip_`, `Users\`), and the pseudonym that follows them.
    replacements: Vec<(usize, String)>,
}

#[derive(Default)]
struct Found {
    /// Spelling as met → what it is.
    spellings: BTreeMap<String, Sensitive>,
    address_domains: BTreeSet<String>,
}

impl Found {
    fn add(&mut self, spelling: &str, what: Sensitive) {
        self.spellings.entry(spelling.to_string()).or_insert(what);
    }

    fn address(&mut self, a: &str) {
        let key = a.to_lowercase();
        if let Some((_, d)) = key.rsplit_once('@') {
            self.address_domains.insert(d.to_string());
        }
        self.add(a, Sensitive::Address(key));
    }

    fn host(&mut self, h: &str) {
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

    fn scan(&mut self, text: &str) {
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
    fn host_in(&self, token: &str) -> Option<String> {
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

impl Redactor {
    pub fn collect(texts: &[&str]) -> Redactor {
        Redactor::collect_with(texts, None, None)
    }

    /// [`Redactor::collect`], also replacing this machine's host name and
    /// the user who ran the scan wherever they appear (no pattern finds a
    /// bare `PC042` or `alice`). The user shares the numbering of
    /// `Users\<name>` accounts, so both spellings get one pseudonym.
    pub fn collect_with(texts: &[&str], host: Option<&str>, user: Option<&str>) -> Redactor {
        let mut found = Found::default();
        if let Some(h) = host.map(str::trim).filter(|h| !h.is_empty()) {
            found.add(h, Sensitive::Host(h.to_lowercase()));
        }
        if let Some(u) = user.map(str::trim).filter(|u| !u.is_empty()) {
            found.add(u, Sensitive::Account(String::new(), u.to_lowercase()));
        }
        // Address domains first, so a host under one is recognised whatever
        // the order the strings come in.
        for t in texts {
            for m in ADDRESS.find_iter(t) {
                let a = trim_extension(m.as_str()).to_lowercase();
                if let Some((_, d)) = a.rsplit_once('@') {
                    found.address_domains.insert(d.to_string());
                }
            }
        }
        for t in texts {
            found.scan(t);
        }
        // Hosts and address domains were both met; a host takes the domain of
        // the longest address domain it is in, else its registrable domain.
        let host_domain = |h: &str| -> String {
            found
                .address_domains
                .iter()
                .filter(|d| h == d.as_str() || h.ends_with(&format!(".{d}")))
                .max_by_key(|d| d.len())
                .cloned()
                .unwrap_or_else(|| registrable(h))
        };
        let mut domains: BTreeSet<String> = found.address_domains.clone();
        let mut hosts = BTreeSet::new();
        let mut addresses = BTreeSet::new();
        let mut profiles = BTreeSet::new();
        let mut accounts = BTreeSet::new();
        let mut nt_domains = BTreeSet::new();
        let mut ips = BTreeSet::new();
        let mut ip6s = BTreeSet::new();
        for what in found.spellings.values() {
            match what {
                Sensitive::Address(a) => {
                    addresses.insert(a.clone());
                }
                Sensitive::Host(h) if !h.contains('.') => {
                    hosts.insert(h.clone());
                }
                Sensitive::Host(h) => {
                    let d = host_domain(h);
                    if *h != d {
                        hosts.insert(h.clone());
                    }
                    domains.insert(d);
                }
                Sensitive::Profile(p) => {
                    profiles.insert(p.clone());
                }
                Sensitive::Account(_, n) => {
                    accounts.insert(n.clone());
                }
                Sensitive::NtAccount(d, u) => {
                    nt_domains.insert(d.clone());
                    accounts.insert(u.clone());
                }
                Sensitive::Ip(i) => {
                    ips.insert(i.clone());
                }
                Sensitive::Ip6(i) => {
                    ip6s.insert(i.clone());
                }
            }
        }
        let number = |set: &BTreeSet<String>| -> HashMap<String, usize> {
            set.iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i + 1))
                .collect()
        };
        let (domain_no, host_no, address_no) =
            (number(&domains), number(&hosts), number(&addresses));
        let (profile_no, account_no, ip_no) = (number(&profiles), number(&accounts), number(&ips));
        let (nt_domain_no, ip6_no) = (number(&nt_domains), number(&ip6s));
        let domain = |d: &str| format!("domain{}.example", domain_no[d]);
        let address = |a: &str| {
            let d = a.rsplit_once('@').map_or("", |(_, d)| d);
            format!("user{}@{}", address_no[a], domain(d))
        };

        let mut patterns = Vec::new();
        let mut replacements = Vec::new();
        let mut seen = BTreeSet::new();
        for (spelling, what) in &found.spellings {
            if !seen.insert(spelling.to_ascii_lowercase()) {
                continue; // the same up to case: one pattern matches both
            }
            let replacement = match what {
                Sensitive::Address(a)
                    if spelling.to_lowercase().starts_with("sip_") && !a.starts_with("sip_") =>
                {
                    (4, address(a))
                }
                Sensitive::Address(a) => (0, address(a)),
                // An intranet name without a domain (`https://exch01/EWS`).
                Sensitive::Host(h) if !h.contains('.') => (0, format!("host{}", host_no[h])),
                Sensitive::Host(h) => {
                    let d = host_domain(h);
                    if *h == d {
                        (0, domain(&d))
                    } else {
                        (0, format!("host{}.{}", host_no[h], domain(&d)))
                    }
                }
                Sensitive::Profile(p) => (4, format!("profile{}", profile_no[p])),
                Sensitive::Account(prefix, n) => {
                    (prefix.len(), format!("account{}", account_no[n]))
                }
                Sensitive::NtAccount(d, u) => (
                    0,
                    format!("DOMAIN{}\\account{}", nt_domain_no[d], account_no[u]),
                ),
                Sensitive::Ip(i) => (0, test_net(ip_no[i])),
                // The documentation prefix (RFC 3849).
                Sensitive::Ip6(i) => (0, format!("2001:db8::{:x}", ip6_no[i])),
            };
            patterns.push(spelling.clone());
            replacements.push(replacement);
        }
        // Every domain also stands alone (`Autodiscover: failed for contoso.com`).
        for d in &domains {
            if seen.insert(d.to_ascii_lowercase()) {
                patterns.push(d.clone());
                replacements.push((0, domain(d)));
            }
        }
        let ac = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .expect("literal patterns always build")
        });
        Redactor { ac, replacements }
    }

    /// Replaces every sensitive spelling in `s`. A match inside a longer
    /// word (`mail` in `mailbox`) is left alone.
    pub fn apply(&self, s: &str) -> String {
        let Some(ac) = &self.ac else {
            return s.to_string();
        };
        let mut out = String::with_capacity(s.len());
        let mut pos = 0;
        let mut copied = 0;
        while pos < s.len() {
            let Some(m) = ac.find(Input::new(s).span(pos..s.len())) else {
                break;
            };
            let before = s[..m.start()].chars().next_back();
            let after = s[m.end()..].chars().next();
            let first = s[m.start()..].chars().next();
            let last = s[..m.end()].chars().next_back();
            let glued = |edge: Option<char>, next: Option<char>| {
                edge.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric)
            };
            if glued(first, before) || glued(last, after) {
                pos = m.start() + s[m.start()..].chars().next().map_or(1, char::len_utf8);
                continue;
            }
            let (keep, pseudonym) = &self.replacements[m.pattern().as_usize()];
            out.push_str(&s[copied..m.start() + keep]);
            out.push_str(pseudonym);
            pos = m.end();
            copied = m.end();
        }
        out.push_str(&s[copied..]);
        out
    }
}

/// IPv4 pseudonyms from the documentation ranges (RFC 5737).
fn test_net(n: usize) -> String {
    match n {
        1..=254 => format!("192.0.2.{n}"),
        255..=508 => format!("198.51.100.{}", n - 254),
        509..=762 => format!("203.0.113.{}", n - 508),
        _ => format!("ip{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact_all(texts: &[&str]) -> Vec<String> {
        let r = Redactor::collect(texts);
        texts.iter().map(|t| r.apply(t)).collect()
    }

    #[test]
    fn windows_accounts_unc_hosts_ipv6_and_encoded_profiles_are_pseudonymised() {
        let out = redact_all(&[
            "EWS returned 401 for CONTOSO\\alice (NTLM) from [fe80::1c2d:3e4f:5a6b:7c8d%12]",
            "https://[2001:4860:4860::8888]/EWS/Exchange.asmx and 2001:4860:4860::8888",
            "copied from \\\\PC042\\c$\\Users",
            "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Office\\16.0\\Lync\\sip_alice%40contoso.com",
            "alice@contoso.com at 09:14:03.123 in CSIPStack::Send, NT AUTHORITY\\SYSTEM, ::1",
        ]);
        assert_eq!(
            out[0],
            "EWS returned 401 for DOMAIN1\\account1 (NTLM) from [2001:db8::2]"
        );
        assert_eq!(
            out[1],
            "https://[2001:db8::1]/EWS/Exchange.asmx and 2001:db8::1"
        );
        assert_eq!(out[2], "copied from \\\\host1\\c$\\Users");
        assert_eq!(
            out[3],
            "C:\\Users\\account1\\AppData\\Local\\Microsoft\\Office\\16.0\\Lync\\sip_user1@domain1.example"
        );
        assert_eq!(
            out[4],
            "user1@domain1.example at 09:14:03.123 in CSIPStack::Send, NT AUTHORITY\\SYSTEM, ::1"
        );
    }

    #[test]
    fn look_alike_domains_are_not_public() {
        let out = redact_all(&[
            "https://mail.myoffice.com/EWS/Exchange.asmx",
            "https://ews.notmicrosoft.com/x",
            "https://outlook.office365.com/EWS/Exchange.asmx",
        ]);
        assert!(!out[0].contains("myoffice"), "{}", out[0]);
        assert!(!out[1].contains("notmicrosoft"), "{}", out[1]);
        assert_eq!(out[2], "https://outlook.office365.com/EWS/Exchange.asmx");
    }

    #[test]
    fn users_of_one_domain_share_a_pseudonymous_domain() {
        let out = redact_all(&[
            "From: <sip:alice@contoso.com>",
            "To: bob@Contoso.com, dave@fabrikam.com",
            "EWS https://mail.contoso.com/EWS/Exchange.asmx",
        ]);
        assert_eq!(out[0], "From: <sip:user1@domain1.example>");
        assert_eq!(out[1], "To: user2@domain1.example, user3@domain2.example");
        assert_eq!(
            out[2],
            "EWS https://host1.domain1.example/EWS/Exchange.asmx"
        );
    }

    #[test]
    fn the_same_address_gets_the_same_pseudonym_in_any_case_and_place() {
        let out = redact_all(&[
            "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Office\\16.0\\Lync\\sip_Alice@Contoso.com\\History Spooler\\1.hist",
            "alice@contoso.com",
            "/home/alice/x/Users/alice/y",
        ]);
        assert_eq!(
            out[0],
            "C:\\Users\\account1\\AppData\\Local\\Microsoft\\Office\\16.0\\Lync\\sip_user1@domain1.example\\History Spooler\\1.hist"
        );
        assert_eq!(out[1], "user1@domain1.example");
        assert_eq!(out[2], "/home/account1/x/Users/account1/y");
    }

    #[test]
    fn hosts_outside_urls_and_ips_are_pseudonymised() {
        let out = redact_all(&[
            "source=\"pool01.contoso.com\" via 10.10.1.20:5061",
            "Autodiscover: failed for fabrikam.net: no answer from autodiscover.fabrikam.net",
            "copy named mail.contoso.com.har",
        ]);
        assert_eq!(
            out[0],
            "source=\"host3.domain1.example\" via 192.0.2.1:5061"
        );
        assert_eq!(
            out[1],
            "Autodiscover: failed for domain2.example: no answer from host1.domain2.example"
        );
        assert_eq!(out[2], "copy named host2.domain1.example.har");
    }

    #[test]
    fn builds_rule_names_and_public_hosts_are_kept() {
        let keep = [
            "User-Agent: UCCAPI/16.0.6965.5308 OC/16.0.6965.2117",
            "IM.Note.MissedConversation",
            "Lync-UccApi-0.UccApilog 7f3a9c.hist Exchange.asmx oim.queued",
            "https://outlook.office365.com/EWS/Exchange.asmx",
            "Mailbox on mailserver",
        ];
        let mut texts = keep.to_vec();
        texts.push("https://mail/EWS/Exchange.asmx");
        let out = redact_all(&texts);
        for (k, o) in keep.iter().zip(&out) {
            assert_eq!(k, o);
        }
        assert_eq!(out[5], "https://host1/EWS/Exchange.asmx");
    }

    #[test]
    fn an_address_in_a_file_name_keeps_the_extension() {
        let out = redact_all(&["notes for alice@contoso.com.txt", "alice@contoso.com"]);
        assert_eq!(out[0], "notes for user1@domain1.example.txt");
    }

    #[test]
    fn a_host_under_an_address_domain_is_found_in_any_order() {
        // `.xyz` is not in the list of top-level domains: only the address
        // says that contoso.xyz is a domain.
        let out = redact_all(&["ask mail.contoso.xyz", "alice@contoso.xyz"]);
        assert_eq!(out[0], "ask host1.domain1.example");
    }

    #[test]
    fn a_profile_folder_without_an_address_is_pseudonymised() {
        let out = redact_all(&["Lync/sip_alice/History Spooler/x", "Lync/SIP_alice/y"]);
        assert_eq!(out[0], "Lync/sip_profile1/History Spooler/x");
        assert_eq!(out[1], "Lync/SIP_profile1/y");
    }
}
