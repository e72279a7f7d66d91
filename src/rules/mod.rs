//! The rule engine: stable rule ids, their catalog text, and the evaluation of
//! scanned data into findings. Rules read only `model` types.

mod attempts;
mod build;
mod catalog;
mod inputs;
mod policy;
pub mod spooler;

pub use catalog::{rule_info, RuleInfo, CATALOG};

use crate::correlate::Attempt;
use crate::coverage::Coverage;
use crate::model::{Facts, ScanData, Window};
use serde::Serialize;

/// The two-minute timer: from an offline message being sent to it being
/// picked up and processed (source document, "Troubleshooting").
pub const TIMER_SECS: i64 = 120;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    // Declared most severe first so sorting puts errors first.
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Whether `self` is at least as severe as `threshold`.
    pub fn reaches(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

/// One piece of evidence: where it is, and a short excerpt that never holds a
/// message body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    pub path: String,
    pub line: Option<u64>,
    pub excerpt: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Finding {
    pub rule_id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    pub evidence: Vec<Evidence>,
    pub remediation: String,
    /// The profile the finding is about, when it is about one user.
    #[serde(skip)]
    pub user: Option<String>,
}

impl Finding {
    /// A finding with the catalog's title, severity and remediation.
    pub fn new(rule_id: &'static str, message: String, evidence: Vec<Evidence>) -> Finding {
        let info = rule_info(rule_id).expect("rule ids used in code are in the catalog");
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
}

/// Evaluates every rule; findings come out ordered by severity, then rule id,
/// then user, so the report is the same whatever order files were read in.
pub fn evaluate(
    scan: &ScanData,
    facts: &Facts,
    attempts: &[Attempt],
    ctx: &RuleContext,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    spooler::evaluate(scan, attempts, ctx, &mut findings);
    attempts::evaluate(scan, attempts, ctx.window.now, &mut findings);
    build::evaluate(facts, &mut findings);
    policy::evaluate(scan, facts, &mut findings);
    inputs::evaluate(scan, ctx, &mut findings);
    findings
        .sort_by(|a, b| (a.severity, a.rule_id, &a.user).cmp(&(b.severity, b.rule_id, &b.user)));
    findings
}

/// Causes only, most likely first (BRIEF §5): the order `probable_causes`
/// ranks in. Symptoms (OIM001–OIM004) are never causes. (The live probe's
/// OIM032–OIM035 rank between OIM011 and OIM030, and OIM035 after it, once
/// the probe exists.)
pub const CAUSE_ORDER: &[&str] = &[
    "OIM022", "OIM020", "OIM010", "OIM011", "OIM030", "OIM023", "OIM012", "OIM021",
];

/// Rule ids that fired, ranked as probable causes.
pub fn probable_causes(findings: &[Finding]) -> Vec<&'static str> {
    CAUSE_ORDER
        .iter()
        .copied()
        .filter(|id| findings.iter().any(|f| f.rule_id == *id))
        .collect()
}

/// Caps evidence lists so a spooler of 50,000 items does not make a finding of
/// 50,000 lines; the full list stays in `spool_items`.
pub const MAX_EVIDENCE: usize = 20;

/// Like `cap_evidence`, for evidence already cut to its first entries out of
/// `total` (what a streaming count keeps).
pub(crate) fn cap_evidence_of(mut ev: Vec<Evidence>, total: usize, what: &str) -> Vec<Evidence> {
    ev.truncate(MAX_EVIDENCE);
    let more = total.saturating_sub(ev.len());
    if more > 0 {
        ev.push(Evidence {
            path: String::new(),
            line: None,
            excerpt: format!("… and {more} more {what} (all listed in the report's details)"),
        });
    }
    ev
}

/// Whether two addresses are in different domains.
pub(crate) fn other_domain(a: &str, b: &str) -> bool {
    fn domain(s: &str) -> Option<&str> {
        s.rsplit_once('@').map(|(_, d)| d)
    }
    match (domain(a), domain(b)) {
        (Some(x), Some(y)) => !x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

pub(crate) fn cap_evidence(mut ev: Vec<Evidence>, what: &str) -> Vec<Evidence> {
    if ev.len() > MAX_EVIDENCE {
        let more = ev.len() - MAX_EVIDENCE;
        ev.truncate(MAX_EVIDENCE);
        ev.push(Evidence {
            path: String::new(),
            line: None,
            excerpt: format!("… and {more} more {what} (all listed in the report's details)"),
        });
    }
    ev
}
