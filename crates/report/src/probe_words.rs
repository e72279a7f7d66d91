//! The live probe in words, for the text and Markdown reports: who probed
//! from where, the proxy, then each target with its steps.

use crate::Report;
use oimdiag_vocab::probe::{AddressSource, ProbeRun, TargetOutcome, TargetRole};

/// A target: its heading line, then one line per step.
pub(crate) struct TargetWords {
    pub heading: String,
    pub steps: Vec<String>,
}

impl Report {
    /// A report of `oimdiag probe` alone: nothing was scanned, so the
    /// sections about evidence are left out of the reports for people.
    pub fn probe_only(&self) -> bool {
        self.probe.is_some() && self.machine.scanned_roots.is_empty()
    }
}

/// The lines before the targets.
pub(crate) fn preamble(p: &ProbeRun) -> Vec<String> {
    let mut out = vec![p.probed_from.note.clone()];
    out.push(format!(
        "Each step had {} to finish (--timeout). No credentials were sent.",
        human_ms(p.timeout_ms)
    ));
    let proxy = match (&p.proxy.https, &p.proxy.http) {
        (None, None) => "none".to_string(),
        (Some(s), None) => format!("{s} for HTTPS"),
        (None, Some(h)) => format!("{h} for HTTP"),
        (Some(s), Some(h)) if s == h => s.clone(),
        (Some(s), Some(h)) => format!("{s} for HTTPS, {h} for HTTP"),
    };
    out.push(format!("Proxy: {proxy} ({}).", p.proxy.source));
    if let Some(pac) = &p.proxy.pac {
        out.push(format!(
            "A PAC/WPAD configuration is set ({pac}): not evaluated."
        ));
    }
    if let Some(a) = &p.address {
        let from = match a.source {
            AddressSource::Flag => "given with --email",
            AddressSource::SpoolItem => "an SMTP sender in the spool items",
            AddressSource::Sip => {
                "the SIP address: the SMTP domain may differ (give --email if it does)"
            }
        };
        out.push(format!(
            "Autodiscover was asked about {} ({from}).",
            a.value
        ));
    }
    if !p.auth_schemes.is_empty() {
        out.push(format!(
            "Schemes EWS offered: {}.",
            p.auth_schemes.join(", ")
        ));
    }
    if p.targets.is_empty() {
        out.push(
            "Nothing was probed: the evidence names no EWS URL and no address (give --email)."
                .into(),
        );
    }
    out
}

pub(crate) fn targets(p: &ProbeRun) -> Vec<TargetWords> {
    p.targets
        .iter()
        .map(|t| {
            let role = match t.role {
                TargetRole::Ews => "EWS",
                TargetRole::Autodiscover => "Autodiscover",
            };
            let outcome = match t.outcome {
                TargetOutcome::Answered => "answered as expected",
                TargetOutcome::Unreachable => "unreachable",
                TargetOutcome::Untrusted => "certificate not accepted",
                TargetOutcome::NotEws => "answered, but not as expected",
            };
            TargetWords {
                heading: format!("{role} {} ({}): {outcome}", t.url, t.reason),
                steps: t
                    .steps
                    .iter()
                    .map(|s| {
                        format!(
                            "{} {} {}: {}",
                            s.step.as_str(),
                            if s.ok { "ok" } else { "FAILED" },
                            human_ms(s.elapsed_ms),
                            s.detail
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

fn human_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}
