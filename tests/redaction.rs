//! `--redact`: no address, host, IP, profile folder or Windows user name from
//! the evidence survives in any format, and pseudonyms are stable and keep
//! the domain relation.

mod report_support;

use regex::Regex;
use report_support::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const FORMATS: [&str; 5] = ["text", "json", "markdown", "ndjson", "html"];

/// `<tmp>/Users/alice/AppData/Local` holding the sample machine plus a second
/// profile in another domain, a log naming more hosts, an IP and a Windows
/// path, and skipped files named after an address and a host.
fn fixture(tmp: &Path) -> PathBuf {
    let local = tmp.join("Users/alice/AppData/Local");
    copy_tree(&sample_dir(), &local);
    let lync = local.join("Microsoft/Office/16.0/Lync");
    write(
        &lync.join("sip_erin@fabrikam.net/History Spooler/e1.hist"),
        b"From: <sip:erin@fabrikam.net>\r\nTo: <sip:frank@northwind.org>\r\n\
          Date: Mon, 23 Nov 2026 10:30:03 +0000\r\n\
          Subject: ask frank@northwind.org about exch01.corp.fabrikam.net\r\n\
          X-MS-Message-Class: IM.Note.MissedConversation\r\n\r\nbody\r\n",
    );
    write(
        &lync.join("Tracing/Lync-UccApi-1.UccApilog"),
        b"11/23/2026|11:30:00.000 1F68:C14 INFO  :: Function: CUccApiLog::Initialize (Version 16.0.6965.2117)\r\n\
          11/23/2026|11:30:01.000 1F68:C14 ERROR :: Autodiscover: failed for fabrikam.net: no answer from autodiscover.fabrikam.net (10.20.30.40)\r\n\
          11/23/2026|11:30:02.000 1F68:C14 ERROR :: EWS: POST https://exch01.corp.fabrikam.net/EWS/Exchange.asmx CreateItem -> 503 Service Unavailable\r\n\
          11/23/2026|11:30:03.000 1F68:C14 INFO  :: OfflineIM: queued message 45 for sip:frank@northwind.org\r\n\
          11/23/2026|11:30:04.000 1F68:C14 INFO  :: OfflineIM: message 45 spooled to History Spooler (file C:\\Users\\alice\\AppData\\Local\\Microsoft\\Office\\16.0\\Lync\\sip_erin@fabrikam.net\\History Spooler\\e1.hist)\r\n",
    );
    // What an EWS 401 and a collection script write: a Windows account, an
    // IPv6 literal (bare and in a URL), a UNC machine name; and a profile
    // folder as a URL encodes it.
    write(
        &lync.join("Tracing/Lync-UccApi-2.UccApilog"),
        b"11/23/2026|11:40:00.000 1F68:C14 ERROR :: EWS: POST https://[2001:4860:4860::8888]/EWS/Exchange.asmx CreateItem -> 401 Unauthorized\r\n\
          11/23/2026|11:40:01.000 1F68:C14 ERROR :: OfflineIM: message 46 failed: EWS returned 401 for FABRIKAM\\erin from fe80::1c2d:3e4f:5a6b:7c8d%12 via \\\\PC042\\logs\r\n",
    );
    write(
        &lync.join("sip_gina%40fabrikam.net/History Spooler/g1.hist"),
        b"To: <sip:frank@northwind.org>\r\nDate: Mon, 23 Nov 2026 10:31:03 +0000\r\n\r\nbody\r\n",
    );
    write(
        &lync.join("Tracing/notes for alice@contoso.com.txt"),
        b"\x00\x01notes",
    );
    write(&lync.join("Tracing/mail.contoso.com.har"), b"\x00\x01har");
    local
}

/// Reads a file as text: UTF-16LE with a BOM, else lossy UTF-8.
fn read_text(p: &Path) -> String {
    let b = std::fs::read(p).unwrap();
    if b.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = b[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(&b).into_owned()
    }
}

/// Every sensitive string in the tree: addresses, their domains and local
/// parts, hosts (in URLs and bare), IPv4 addresses, `sip_*` folder names and
/// the Windows user name — from file contents and from names alike.
fn sensitive_strings(tree: &Path, tmp: &Path) -> BTreeSet<String> {
    let address =
        Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|net|org)")
            .unwrap();
    let url_host = Regex::new(r"(?i)https?://([a-z0-9.-]+)").unwrap();
    let host = Regex::new(r"(?i)\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org)\b").unwrap();
    let ipv4 = Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").unwrap();
    let mut texts = Vec::new();
    let mut names = BTreeSet::new();
    fn walk(
        p: &Path,
        texts: &mut Vec<String>,
        names: &mut BTreeSet<String>,
        read: fn(&Path) -> String,
    ) {
        for e in std::fs::read_dir(p).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            texts.push(name.clone());
            if name.to_lowercase().starts_with("sip_") {
                names.insert(name.clone());
            }
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), texts, names, read);
            } else {
                texts.push(read(&e.path()));
            }
        }
    }
    walk(tree, &mut texts, &mut names, read_text);
    let mut out = names;
    // The Windows user name: the folder below Users.
    let rel = tree.strip_prefix(tmp).unwrap();
    let user = rel.iter().nth(1).unwrap().to_string_lossy().into_owned();
    out.insert(format!("Users/{user}"));
    out.insert(format!("Users\\{user}"));
    out.insert(user);
    for t in &texts {
        for m in address.find_iter(t) {
            let a = m.as_str().trim_start_matches("sip_");
            let (local, domain) = a.split_once('@').unwrap();
            out.insert(a.to_string());
            out.insert(local.to_string());
            out.insert(domain.to_string());
            out.insert(domain.split('.').next().unwrap().to_string());
        }
        for c in url_host.captures_iter(t) {
            out.insert(c[1].to_string());
        }
        for m in host.find_iter(t) {
            out.insert(m.as_str().to_string());
        }
        for m in ipv4.find_iter(t) {
            out.insert(m.as_str().to_string());
        }
    }
    for extra in [
        "FABRIKAM\\erin",
        "2001:4860:4860::8888",
        "fe80::1c2d:3e4f:5a6b:7c8d",
        "PC042",
        "gina%40fabrikam.net",
        "gina",
    ] {
        out.insert(extra.to_string());
    }
    // Public names the redaction keeps on purpose.
    out.retain(|s| !s.ends_with("microsoft.com") && s != "microsoft");
    out
}

/// The strings a reader of each format sees: JSON string values, Markdown
/// without its backslash escapes, text as printed.
fn readable(format: &str, out: &str) -> String {
    fn strings(v: &Value, acc: &mut String) {
        match v {
            Value::String(s) => {
                acc.push_str(s);
                acc.push('\n');
            }
            Value::Array(a) => a.iter().for_each(|x| strings(x, acc)),
            Value::Object(m) => m.values().for_each(|x| strings(x, acc)),
            _ => {}
        }
    }
    match format {
        "json" => {
            let mut acc = String::new();
            strings(&serde_json::from_str(out).unwrap(), &mut acc);
            acc
        }
        "ndjson" => {
            let mut acc = String::new();
            for l in out.lines() {
                strings(&serde_json::from_str(l).unwrap(), &mut acc);
            }
            acc
        }
        "markdown" => Regex::new(r"\\([!-/:-@\[-`{-~])")
            .unwrap()
            .replace_all(out, "$1")
            .into_owned(),
        // What the page shows: its text and attribute values, entities decoded.
        "html" => {
            let doc = scraper::Html::parse_document(out);
            let mut acc = String::new();
            for node in doc.tree.nodes() {
                match node.value() {
                    scraper::Node::Text(t) => acc.push_str(t),
                    scraper::Node::Element(e) => {
                        for (_, v) in e.attrs() {
                            acc.push_str(v);
                            acc.push('\n');
                        }
                    }
                    _ => {}
                }
                acc.push('\n');
            }
            acc
        }
        _ => out.to_string(),
    }
}

fn occurs(needle: &str, hay: &str) -> bool {
    let word = Regex::new(&format!(
        r"(?i)(?:^|[^a-z0-9]){}(?:[^a-z0-9]|$)",
        regex::escape(needle)
    ))
    .unwrap();
    word.is_match(hay)
}

#[test]
fn nothing_sensitive_survives_redaction_in_any_format() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = fixture(tmp.path());
    let needles = sensitive_strings(&tree, tmp.path());
    for must in [
        "alice@contoso.com",
        "sip_erin@fabrikam.net",
        "owa.contoso.com",
        "exch01.corp.fabrikam.net",
        "autodiscover.fabrikam.net",
        "mail.contoso.com",
        "10.20.30.40",
        "Users\\alice",
        "northwind",
    ] {
        assert!(needles.contains(must), "the collector missed {must}");
    }

    // Without --redact the report does show them: the check below can fail.
    let plain = readable(
        "json",
        &scan(&tree, &["--format", "json", "--include-subjects"]),
    );
    for shown in [
        "alice@contoso.com",
        "sip_erin@fabrikam.net",
        "owa.contoso.com",
        "exch01.corp.fabrikam.net",
        "autodiscover.fabrikam.net",
        "10.20.30.40",
        "Users\\alice",
        // The profile segment of the scanned paths, in the platform's spelling.
        if cfg!(windows) {
            "Users\\alice"
        } else {
            "Users/alice"
        },
        "frank@northwind.org",
        "mail.contoso.com",
        "FABRIKAM\\erin",
        "2001:4860:4860::8888",
        "fe80::1c2d:3e4f:5a6b:7c8d",
        "PC042",
        "gina",
    ] {
        assert!(
            occurs(shown, &plain),
            "{shown} is not in the unredacted report"
        );
    }

    let labelled = Regex::new(r"([A-Za-z0-9-]+)\.domain\d+\.example").unwrap();
    let host_label = Regex::new(r"^host\d+$").unwrap();
    for format in FORMATS {
        let out = scan(
            &tree,
            &["--format", format, "--redact", "--include-subjects"],
        );
        let seen = readable(format, &out);
        let leaks: Vec<&String> = needles.iter().filter(|n| occurs(n, &seen)).collect();
        assert!(
            leaks.is_empty(),
            "--format {format} --redact leaks {leaks:?}:\n{out}"
        );
        assert!(
            seen.contains("user1@domain1.example"),
            "{format}: no pseudonym"
        );
        // No real host label left in front of a pseudonymous domain
        // (`autodiscover.domain3.example` would name the host).
        for c in labelled.captures_iter(&seen) {
            assert!(
                host_label.is_match(&c[1]),
                "--format {format}: half-redacted host {}",
                &c[0]
            );
        }
    }
}

#[test]
fn pseudonyms_are_stable_and_keep_the_domain_relation() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = fixture(tmp.path());
    let json = json_report(&tree, &["--redact"]);
    assert_eq!(json["redacted"], true);
    assert_eq!(json_report(&tree, &[])["redacted"], false);
    let users: Vec<&str> = json["facts"]["sip_users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    // alice and bob share contoso.com; erin is in fabrikam.net.
    assert_eq!(users[0], "user1@domain1.example");
    assert_eq!(users[1], "user2@domain1.example");
    let erin_domain = users[2].split_once('@').unwrap().1;
    assert_ne!(erin_domain, "domain1.example");
    // The EWS host is in alice's domain.
    let ews = json["facts"]["ews_url"].as_str().unwrap();
    assert!(
        Regex::new(r"^https://host\d+\.domain1\.example/EWS/Exchange\.asmx$")
            .unwrap()
            .is_match(ews),
        "{ews}"
    );
    // exch01.corp.fabrikam.net is a host of erin's domain.
    let all = readable("json", &json.to_string());
    assert!(
        Regex::new(&format!(
            r"https://host\d+\.{}/EWS",
            regex::escape(erin_domain)
        ))
        .unwrap()
        .is_match(&all),
        "exch01 is not in {erin_domain}"
    );
    // The profile folder is named after the same pseudonym as the address.
    // Compared with `/`: Windows reports `\`.
    let first = &json["spool_items"][0]["path"]
        .as_str()
        .unwrap()
        .replace('\\', "/");
    assert!(first.contains("/sip_user1@domain1.example/"), "{first}");
    assert!(first.contains("/Users/account1/"), "{first}");

    // The same pseudonyms in every format, run after run.
    let again = json_report(&tree, &["--redact"]);
    assert_eq!(json, again, "pseudonyms changed between runs");
    let text = scan(&tree, &["--redact"]);
    let row = &text[text.find("\n  Users ").unwrap()..text.find("\n  Client build").unwrap()];
    let row: Vec<&str> = row.split_whitespace().skip(1).collect();
    assert_eq!(row.join(" "), users.join(", "), "the text's Users row");
    let md = scan(&tree, &["--format", "markdown", "--redact"]);
    assert!(md.contains(&format!("| Users | {} | |", users.join(", "))));
    let nd = scan(&tree, &["--format", "ndjson", "--redact"]);
    let header: Value = serde_json::from_str(nd.lines().next().unwrap()).unwrap();
    assert_eq!(header["facts"], json["facts"]);
}

#[test]
fn redaction_changes_names_not_the_diagnosis() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = fixture(tmp.path());
    let plain = json_report(&tree, &[]);
    let redacted = json_report(&tree, &["--redact"]);
    let ids = |r: &Value| -> Vec<Value> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].clone())
            .collect()
    };
    assert_eq!(ids(&plain), ids(&redacted));
    assert_eq!(plain["summary"]["verdict"], redacted["summary"]["verdict"]);
    assert_eq!(
        plain["facts"]["client_build"],
        redacted["facts"]["client_build"]
    );
    assert_eq!(
        plain["spool_items"].as_array().unwrap().len(),
        redacted["spool_items"].as_array().unwrap().len()
    );
}
