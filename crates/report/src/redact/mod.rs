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

mod spotting;

use crate::Report;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use regex::Regex;
use spotting::{registrable, trim_extension, Spotted, ADDRESS};
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

pub struct Redactor {
    ac: Option<AhoCorasick>,
    /// Per pattern: how many leading bytes of the match to keep as spelled
    /// (`sip_`, `Users\`), and the pseudonym that follows them.
    replacements: Vec<(usize, String)>,
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
        let mut found = Spotted::default();
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
