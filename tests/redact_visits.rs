//! Redaction visits every string of the report model that comes from the
//! evidence: checked on the sample's whole report (these tests need the
//! pipeline, which lives in the binary crate, so they live here).

use clap::Parser;
use oimdiag_report::redact::redact;
use oimdiag_report::Report;

fn sample_report(extra: &[&str]) -> Report {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-spooler");
    let mut args = vec!["oimdiag", "scan", sample, "--now", "2026-11-23T12:00:00Z"];
    args.extend_from_slice(&["--utc-offset", "+01:00"]);
    args.extend_from_slice(extra);
    let cli = oimdiag::cli::Cli::try_parse_from(args).unwrap();
    let oimdiag::cli::Command::Scan(a) = cli.command else {
        unreachable!()
    };
    oimdiag::run::scan(&a.into_config()).unwrap()
}

/// Strings the program writes itself: rule ids and titles, enum values,
/// the tool's name and version, the times of items and messages and the
/// names of events (made as they are shown). Everything else must be visited.
const PROGRAM_STRINGS: &[&str] = &[
    "scan_time",
    "since",
    "utc_offset",
    "schema_version",
    "name",
    "version",
    "probable_causes",
    "rule_id",
    "title",
    "severity",
    "verdict",
    "install_type",
    "mailbox_location",
    "sent_at_source",
    "source",
    "state",
    "format",
    "outcome",
    "attempt_outcome",
    "kind",
    "sent_at",
    "queued_at",
    "resolved_at",
    "time",
    "event",
    "unknown_facts",
    "describes",
    "oimdiag_version",
    // The probe's enums.
    "step",
    "role",
    "vantage",
];

fn unvisited(v: &serde_json::Value, key: &str, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s != "\u{1}" && !PROGRAM_STRINGS.contains(&key) => {
            out.push(format!("{at} = {s:?}"))
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                unvisited(x, key, format!("{at}[{i}]"), out);
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                unvisited(x, k, format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_string_from_the_evidence_is_visited() {
    let mut r = sample_report(&["--include-subjects"]);
    r.for_each_string_mut(&mut |s| *s = "\u{1}".into());
    let mut missed = Vec::new();
    unvisited(
        &serde_json::to_value(&r).unwrap(),
        "",
        String::new(),
        &mut missed,
    );
    assert!(
        missed.is_empty(),
        "Report::for_each_string_mut misses fields, so --redact would too:\n{}",
        missed.join("\n")
    );
}

/// A probe with every field filled (no network: made here), on the sample's report.
#[test]
fn every_string_of_a_probe_is_visited() {
    use oimdiag_vocab::probe::*;
    let step = |step| ProbeStep {
        step,
        ok: true,
        detail: "mail.contoso.com: 10.0.0.1".into(),
        elapsed_ms: 1,
    };
    let target = |role| ProbeTarget {
        url: "https://mail.contoso.com/EWS/Exchange.asmx".into(),
        role,
        reason: "--ews-url".into(),
        outcome: TargetOutcome::Answered,
        steps: vec![
            step(StepKind::Dns),
            step(StepKind::Tls),
            step(StepKind::Http),
        ],
        status: Some(401),
        auth_schemes: vec!["NTLM".into()],
        diagnostics: vec!["2000004;reason=\"x\"".into()],
        modern_auth: true,
        authorization_uri: Some("https://login.contoso.com/authorize".into()),
        redirect: Some("https://owa.contoso.com/".into()),
        tls: Some(TlsFacts {
            protocol: Some("TLSv1.3".into()),
            subject: "CN=mail.contoso.com".into(),
            issuer: "CN=Contoso CA".into(),
            not_after: Some("2027-01-01T00:00:00Z".into()),
            trusted: true,
            host_matches: true,
            expired: false,
            problem: Some("none".into()),
        }),
    };
    let probe = ProbeRun {
        probed_from: ProbedFrom {
            vantage: Vantage::NotTheScannedMachine,
            note: "Probed from PC042".into(),
        },
        targets: vec![target(TargetRole::Ews), target(TargetRole::Autodiscover)],
        auth_schemes: vec!["NTLM".into()],
        address: Some(ProbeAddress {
            value: "alice@contoso.com".into(),
            source: AddressSource::Flag,
        }),
        proxy: ProxyUse {
            https: Some("proxy.contoso.com:3128".into()),
            http: Some("proxy.contoso.com:3128".into()),
            source: "HTTPS_PROXY".into(),
            pac: Some("http://wpad.contoso.com/proxy.pac".into()),
        },
        timeout_ms: 1000,
    };
    let mut r = sample_report(&[]).with_probe(Some(probe));
    r.for_each_string_mut(&mut |s| *s = "\u{1}".into());
    let mut missed = Vec::new();
    unvisited(
        &serde_json::to_value(&r).unwrap()["probe"],
        "probe",
        "probe".into(),
        &mut missed,
    );
    assert!(
        missed.is_empty(),
        "unvisited probe strings:\n{}",
        missed.join("\n")
    );
}

#[test]
fn redacting_twice_changes_nothing_more() {
    let once = redact(sample_report(&[]));
    let twice = redact(once.clone());
    assert_eq!(
        serde_json::to_string(&once).unwrap(),
        serde_json::to_string(&twice).unwrap()
    );
}
