//! The live probe's place in the pipeline: what to probe, from the flags and
//! the evidence (`scan --probe`, or `probe` reading this machine's logs),
//! and `probe` on its own, whose report holds only the probe's findings.

use super::{discover_and_read, machine_context, UsageError};
use crate::config::{ProbeSettings, ScanConfig};
use oimdiag_analysis::coverage::Coverage;
use oimdiag_analysis::facts;
use oimdiag_analysis::scan_data::ScanData;
use oimdiag_evidence::discover;
use oimdiag_evidence::installed;
use oimdiag_evidence::signatures::Signatures;
use oimdiag_report::{self as report, Report, ReportTime};
use oimdiag_rules::diagnosis::diagnose_probe;
use oimdiag_vocab::found::{Facts, ItemFormat};
use oimdiag_vocab::probe::{AddressSource, ProbeAddress, ProbeRun, ProbedFrom, Vantage};

/// What to probe: `--ews-url`, else the EWS URLs the logs named; the
/// address: `--email`, else an SMTP sender of a spool item (an EWS-style
/// item's `From` is an SMTP address), else the SIP address.
pub(super) fn plan(s: &ProbeSettings, data: &ScanData, facts: &Facts) -> oimdiag_probe::Plan {
    let ews_urls = if s.ews_urls.is_empty() {
        let mut urls: Vec<(String, String)> = data
            .logs
            .ews_urls
            .iter()
            .map(|u| (u.clone(), "an EWS URL the client's logs name".to_string()))
            .collect();
        if urls.is_empty() {
            if let Some(u) = &facts.ews_url {
                urls.push((u.clone(), "the EWS URL the evidence names".into()));
            }
        }
        urls
    } else {
        s.ews_urls
            .iter()
            .map(|u| (u.clone(), "--ews-url".to_string()))
            .collect()
    };
    let smtp = data
        .spool_items
        .iter()
        .filter(|i| i.format == ItemFormat::Xml)
        .find_map(|i| i.sender.as_deref())
        .filter(|a| a.contains('@'));
    let address = match (&s.email, smtp, facts.sip_users.first()) {
        (Some(e), _, _) => Some(ProbeAddress {
            value: e.clone(),
            source: AddressSource::Flag,
        }),
        (None, Some(a), _) => Some(ProbeAddress {
            value: a.to_string(),
            source: AddressSource::SpoolItem,
        }),
        (None, None, Some(sip)) => Some(ProbeAddress {
            value: sip.clone(),
            source: AddressSource::Sip,
        }),
        (None, None, None) => None,
    };
    oimdiag_probe::Plan { ews_urls, address }
}

/// Where the probe ran from, in the report's words.
pub(super) fn probed_from(this_machine: bool) -> ProbedFrom {
    let host = installed::hostname().unwrap_or_else(|| "this machine".into());
    if this_machine {
        ProbedFrom {
            vantage: Vantage::ThisMachine,
            note: format!(
                "Probed from {host}, the machine running oimdiag, through its network, proxy \
                 and certificate store."
            ),
        }
    } else {
        ProbedFrom {
            vantage: Vantage::NotTheScannedMachine,
            note: format!(
                "Probed from {host}, the machine running oimdiag, not the user's machine this \
                 folder was collected from: its network, proxy and certificate store may differ."
            ),
        }
    }
}

pub(super) fn run(
    s: &ProbeSettings,
    plan: &oimdiag_probe::Plan,
    this_machine: bool,
) -> Result<ProbeRun, UsageError> {
    oimdiag_probe::run(plan, &s.opts, probed_from(this_machine)).map_err(UsageError)
}

/// `oimdiag probe`: this machine's logs are read only for what the flags
/// leave open (EWS URLs, the address); the report holds the probe alone.
pub fn probe_only(cfg: &ScanConfig) -> Result<Report, UsageError> {
    let Some(s) = &cfg.probe else {
        return Err(UsageError("nothing to probe".into()));
    };
    if let Some(o) = &cfg.output {
        crate::output::check_target(o, cfg.force, &[]).map_err(UsageError)?;
    }
    let need_logs = s.ews_urls.is_empty() || s.email.is_none();
    let roots = discover::default_roots()
        .ok()
        .filter(|r| need_logs && discover::check_roots(r).is_ok());
    let (data, facts) = match &roots {
        Some(r) => {
            let data = discover_and_read(r, true, cfg, &Signatures::builtin());
            let f = facts::derive(&data, &cfg.overrides());
            (data, f)
        }
        None => {
            let data = ScanData::default();
            let f = facts::derive(&data, &cfg.overrides());
            (data, f)
        }
    };
    let plan = plan(s, &data, &facts);
    if plan.ews_urls.is_empty() && plan.address.is_none() {
        return Err(UsageError(
            "nothing to probe: no EWS URL or address in this machine's client logs; give \
             --ews-url URL or --email ADDRESS"
                .into(),
        ));
    }
    let probe = run(s, &plan, true)?;
    let mut findings = Vec::new();
    oimdiag_rules::probe::evaluate(&probe, &mut findings);
    oimdiag_rules::sort(&mut findings);
    let summary = diagnose_probe(&findings, &probe);
    // The envelope: nothing of the logs is judged, so none is reported; the
    // machine block names the client installed here, as a scan of it would.
    let empty = ScanData {
        installed: Some(installed::find_installed(
            &installed::program_files_folders(),
        )),
        ..ScanData::default()
    };
    let facts = facts::derive(&empty, &cfg.overrides());
    let coverage = Coverage::of(&empty, &facts, cfg.window());
    let time = ReportTime {
        now: cfg.now,
        since: None,
        zone: cfg.zone.clone(),
    };
    let machine = machine_context(cfg, &[], true);
    Ok(
        report::build(empty, &facts, coverage, findings, summary, &time, machine)
            .with_probe(Some(probe)),
    )
}
