//! The live probe (`oimdiag probe`, `scan --probe`): from this machine, the
//! way the client reaches them, tries each EWS URL and the autodiscover
//! candidates in the client's order, and records each step (DNS, TCP, proxy,
//! TLS, one unauthenticated HTTP request) with its result and time.
//!
//! This crate sits beside `oimdiag-evidence`: it gathers evidence (from the
//! network rather than files) into the vocabulary's `probe` records and
//! uses only `oimdiag-vocab`. Only the binary calls it, and only when asked
//! (`probe`, `scan --probe`): a plain scan never opens a connection.
//! No credentials are ever sent: no `Authorization`, no cookie.

// Everything here reads what a network sent: none of it may panic on it
// (docs/robustness.md §1), as the file readers may not.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    clippy::unreachable
)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod dns;
pub mod http;
pub mod pins;
pub mod proxy;
mod target;
pub mod tls;
#[cfg(windows)]
mod windows;

pub use pins::{ConnectTo, Resolve};
pub use proxy::ProxyConfig;

use oimdiag_vocab::probe::{
    ProbeAddress, ProbeRun, ProbeTarget, ProbedFrom, TargetOutcome, TargetRole,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How to probe: the command line's network options.
#[derive(Debug, Clone)]
pub struct Options {
    /// The time limit of each step.
    pub timeout: Duration,
    pub ca_file: Option<PathBuf>,
    pub resolve: Vec<Resolve>,
    pub connect_to: Vec<ConnectTo>,
    pub dns_server: Option<SocketAddr>,
    pub proxy: ProxyConfig,
}

/// What to probe.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// EWS URLs, each with why it is probed (`--ews-url`, a log ...).
    pub ews_urls: Vec<(String, String)>,
    /// The address whose domain autodiscover is tried for.
    pub address: Option<ProbeAddress>,
}

/// Probes every target of `plan`. An error only when the trust store or
/// `--ca-file` cannot be read (a usage error).
pub fn run(plan: &Plan, opts: &Options, probed_from: ProbedFrom) -> Result<ProbeRun, String> {
    let trust = tls::Trust::load(opts.ca_file.as_deref())?;
    let mut targets = Vec::new();
    for (url, why) in &plan.ews_urls {
        targets.push(target::probe(url, TargetRole::Ews, why, opts, &trust, None));
    }
    if let Some(domain) = plan.address.as_ref().and_then(|a| {
        a.value
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
    }) {
        autodiscover(&domain, plan, opts, &trust, &mut targets);
    }
    let mut auth_schemes: Vec<String> = Vec::new();
    for t in targets.iter().filter(|t| t.role == TargetRole::Ews) {
        for s in &t.auth_schemes {
            if !auth_schemes.iter().any(|x| x.eq_ignore_ascii_case(s)) {
                auth_schemes.push(s.clone());
            }
        }
    }
    Ok(ProbeRun {
        probed_from,
        targets,
        auth_schemes,
        address: plan.address.clone(),
        proxy: opts.proxy.described(),
        timeout_ms: u64::try_from(opts.timeout.as_millis()).unwrap_or(u64::MAX),
    })
}

/// The client's order (BRIEF §2): the SMTP domain itself, `autodiscover.`
/// the domain, the HTTP redirect on port 80, then DNS SRV. It stops at the
/// first candidate that answers like autodiscover, as the client does.
fn autodiscover(
    domain: &str,
    plan: &Plan,
    opts: &Options,
    trust: &tls::Trust,
    out: &mut Vec<ProbeTarget>,
) {
    let email = plan.address.as_ref().map(|a| a.value.as_str());
    let candidates = [
        (
            format!("https://{domain}/autodiscover/autodiscover.xml"),
            "autodiscover candidate 1 of 4 (the SMTP domain)",
        ),
        (
            format!("https://autodiscover.{domain}/autodiscover/autodiscover.xml"),
            "autodiscover candidate 2 of 4 (autodiscover. host)",
        ),
        (
            format!("http://autodiscover.{domain}/autodiscover/autodiscover.xml"),
            "autodiscover candidate 3 of 4 (HTTP redirect)",
        ),
    ];
    for (url, why) in candidates {
        let t = target::probe(&url, TargetRole::Autodiscover, why, opts, trust, email);
        let answered = t.outcome == TargetOutcome::Answered;
        out.push(t);
        if answered {
            return;
        }
    }
    let name = format!("_autodiscover._tcp.{domain}");
    let started = std::time::Instant::now();
    match dns::srv(&name, opts.dns_server, opts.timeout) {
        Ok(records) => {
            let best = records.first().cloned();
            if let Some(s) = best {
                let url = if s.port == 443 {
                    format!("https://{}/autodiscover/autodiscover.xml", s.target)
                } else {
                    format!(
                        "https://{}:{}/autodiscover/autodiscover.xml",
                        s.target, s.port
                    )
                };
                let why = format!(
                    "autodiscover candidate 4 of 4 (DNS SRV {name} -> {}:{}, priority {}, weight {})",
                    s.target, s.port, s.priority, s.weight
                );
                let mut t = target::probe(&url, TargetRole::Autodiscover, &why, opts, trust, email);
                t.steps.insert(0, target::step_srv(&name, Ok(&s), started));
                out.push(t);
            }
        }
        Err(e) => out.push(target::srv_failed(&name, &e, started)),
    }
}
