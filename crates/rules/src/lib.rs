//! The rule engine: stable rule ids, their catalog text, and the evaluation of
//! scanned data into findings. Rules read only `model` types.

mod attempts;
mod build;
mod catalog;
pub mod diagnosis;
mod inputs;
mod policy;
pub mod probe;
pub mod spooler;

pub use catalog::{info, rule_info, RuleInfo, CATALOG};
pub use oimdiag_vocab::rule_id::RuleId;

use oimdiag_analysis::coverage::Coverage;
use oimdiag_analysis::scan_data::ScanData;
use oimdiag_vocab::found::{Facts, Window};
use serde::Serialize;

pub use oimdiag_vocab::citation::{
    cap_evidence, cap_evidence_of, Citation, Severity, MAX_EVIDENCE,
};
use oimdiag_vocab::found::other_domain;
pub use oimdiag_vocab::found::TIMER_SECS;
use oimdiag_vocab::probe::ProbeRun;

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub rule_id: RuleId,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    pub evidence: Vec<Citation>,
    pub remediation: String,
    /// The profile the finding is about, when it is about one user.
    #[serde(skip)]
    pub user: Option<String>,
}

impl Finding {
    /// A finding with the catalog's title, severity and remediation.
    pub fn new(rule_id: RuleId, message: String, evidence: Vec<Citation>) -> Finding {
        let info = catalog::info(rule_id);
        Finding {
            rule_id: info.id,
            severity: info.severity,
            title: info.title,
            message,
            evidence,
            remediation: info.remediation.to_string(),
            user: None,
        }
    }

    pub fn for_user(mut self, user: Option<String>) -> Finding {
        self.user = user;
        self
    }
}

/// What the rules need besides scanned data.
pub struct RuleContext<'a> {
    /// The span of time judged: up to the scan time, from `--since`.
    pub window: Window,
    /// The paths scanned (so OIM060 can say where it looked).
    pub roots: Vec<String>,
    /// What was read and understood: whether there is client evidence.
    pub coverage: &'a Coverage,
    /// Whether the scan is of this machine's own profiles (no PATH given),
    /// not a folder collected from one.
    pub this_machine: bool,
    /// The live probe's results, when one ran (`scan --probe`).
    pub probe: Option<&'a ProbeRun>,
}

/// Evaluates every rule; findings come out ordered by severity, then rule id,
/// then user, so the report is the same whatever order files were read in.
pub fn evaluate(scan: &ScanData, facts: &Facts, ctx: &RuleContext) -> Vec<Finding> {
    let attempts = &scan.attempts[..];
    let mut findings = Vec::new();
    spooler::evaluate(scan, attempts, ctx, &mut findings);
    attempts::evaluate(scan, attempts, ctx.window.now, &mut findings);
    build::evaluate(facts, &mut findings);
    policy::evaluate(scan, facts, &mut findings);
    inputs::evaluate(scan, ctx, &mut findings);
    if let Some(p) = ctx.probe {
        probe::evaluate(p, &mut findings);
    }
    sort(&mut findings);
    findings
}

/// Severity, then rule id, then user.
pub fn sort(findings: &mut [Finding]) {
    findings
        .sort_by(|a, b| (a.severity, a.rule_id, &a.user).cmp(&(b.severity, b.rule_id, &b.user)));
}

/// Causes only, most likely first (BRIEF §5): the order `probable_causes`
/// ranks in. Symptoms (OIM001–OIM004) are never causes. The live probe's
/// OIM032–OIM034 rank before OIM030 (they say why EWS is unavailable),
/// OIM035 after it.
pub const CAUSE_ORDER: &[RuleId] = &[
    RuleId::Oim022,
    RuleId::Oim020,
    RuleId::Oim010,
    RuleId::Oim011,
    RuleId::Oim032,
    RuleId::Oim033,
    RuleId::Oim034,
    RuleId::Oim030,
    RuleId::Oim035,
    RuleId::Oim023,
    RuleId::Oim012,
    RuleId::Oim021,
];

/// Rule ids that fired, ranked as probable causes.
pub fn probable_causes(findings: &[Finding]) -> Vec<RuleId> {
    CAUSE_ORDER
        .iter()
        .copied()
        .filter(|id| findings.iter().any(|f| f.rule_id == *id))
        .collect()
}
