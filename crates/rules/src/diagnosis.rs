//! The diagnosis made of the findings: the verdict, the probable causes
//! ranked, and the one-sentence headline. The report only shows it.

use crate::spooler::{delivered_items, item_state, ItemState};
use crate::{info, probable_causes, Finding, RuleContext, Severity};
use oimdiag_analysis::correlate::Outcome;
use oimdiag_analysis::coverage::Coverage;
use oimdiag_analysis::scan_data::ScanData;
use oimdiag_vocab::found::Facts;
use oimdiag_vocab::probe::ProbeRun;
use oimdiag_vocab::rule_id::RuleId;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Healthy,
    Degraded,
    Failing,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::Degraded => "degraded",
            Verdict::Failing => "failing",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

// The diagnosis: the report's `summary`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Summary {
    /// `failing` if any error; else `inconclusive` if OIM060 fired; else
    /// `degraded` if any warning; else `healthy`.
    pub verdict: Verdict,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Rule ids that fired, most likely cause first (causes before symptoms).
    pub probable_causes: Vec<RuleId>,
    /// One sentence: the user, how many messages are stuck, the first cause.
    pub headline: String,
}

/// The verdict and the count of errors, warnings and infos: `failing` on any
/// error; else `inconclusive` when OIM060 says the client evidence is
/// missing; else `degraded` on any warning; else `healthy`.
fn judge(findings: &[Finding]) -> (Verdict, usize, usize, usize) {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let verdict = if errors > 0 {
        Verdict::Failing
    } else if findings.iter().any(|f| f.rule_id == RuleId::Oim060) {
        Verdict::Inconclusive
    } else if warnings > 0 {
        Verdict::Degraded
    } else {
        Verdict::Healthy
    };
    (verdict, errors, warnings, infos)
}

/// Judges the findings: `failing` on any error; else `inconclusive` when
/// OIM060 says the client evidence is missing; else `degraded` on any
/// warning; else `healthy`.
pub fn diagnose(
    findings: &[Finding],
    scan: &ScanData,
    facts: &Facts,
    ctx: &RuleContext,
) -> Summary {
    let (verdict, errors, warnings, infos) = judge(findings);
    let causes = probable_causes(findings);
    let headline = headline(verdict, findings, &causes, scan, facts, ctx);
    Summary {
        verdict,
        errors,
        warnings,
        infos,
        probable_causes: causes,
        headline,
    }
}

/// One sentence: the user, how many messages are stuck or expired, and the
/// first probable cause; or, when none was found, what to collect next.
fn headline(
    verdict: Verdict,
    findings: &[Finding],
    causes: &[RuleId],
    scan: &ScanData,
    facts: &Facts,
    ctx: &RuleContext,
) -> String {
    let (window, coverage, attempts) = (ctx.window, ctx.coverage, &scan.attempts[..]);
    // Stuck items (not proven delivered) plus undelivered attempts that have no
    // item of their own: each message counted once.
    let delivered = delivered_items(attempts);
    let stuck_of = |user: Option<&str>| {
        let items = scan
            .spool_items
            .iter()
            .enumerate()
            .filter(|(j, i)| i.profile.as_deref() == user && !delivered.contains(j))
            .filter(|(_, i)| item_state(i, window).1 == ItemState::Stuck)
            .count();
        let logged = attempts
            .iter()
            .filter(|a| a.user.as_deref() == user && a.is_undelivered() && a.spool_items.is_empty())
            .count();
        // Messages past the number kept were not linked to items: each is
        // counted as one without an item of its own.
        let dropped = &scan.attempts_dropped;
        let gone = dropped.count(user, Outcome::Failed) + dropped.count(user, Outcome::Expired);
        items + logged + gone
    };
    // The worst user: most stuck messages; ties go to the first by address.
    let mut users: Vec<Option<&str>> = facts.sip_users.iter().map(|u| Some(u.as_str())).collect();
    if scan.spool_items.iter().any(|i| i.profile.is_none())
        || attempts.iter().any(|a| a.user.is_none())
        || scan.attempts_dropped.by_user.contains_key(&None)
    {
        users.push(None);
    }
    let worst = users
        .iter()
        .copied()
        .max_by(|a, b| stuck_of(*a).cmp(&stuck_of(*b)).then(b.cmp(a)))
        .flatten();
    // Other users are counted only when something is wrong for them too.
    let troubled =
        |u: &str| stuck_of(Some(u)) > 0 || findings.iter().any(|f| f.user.as_deref() == Some(u));
    let others = facts
        .sip_users
        .iter()
        .filter(|u| Some(u.as_str()) != worst && troubled(u))
        .count();
    let place = if ctx.this_machine {
        "This machine"
    } else {
        "This folder"
    };
    let who = match (worst, others) {
        (Some(u), 0) => u.to_string(),
        (Some(u), n) => format!(
            "{u} (and {n} other user{} with findings)",
            if n == 1 { "" } else { "s" }
        ),
        (None, _) => place.to_string(),
    };
    let mut all_users: Vec<Option<&str>> = users.clone();
    all_users.extend(attempts.iter().map(|a| a.user.as_deref()));
    all_users.sort();
    all_users.dedup();
    let stuck: usize = all_users.iter().map(|u| stuck_of(*u)).sum();
    // Folders that could not be listed are the reason to give first: a
    // user's by the user, others (Lync, Tracing) by their name.
    let unlisted: Vec<String> = findings
        .iter()
        .filter(|f| f.rule_id == RuleId::Oim060)
        .filter_map(|f| f.user.clone())
        .collect();
    let unlisted_other: Vec<String> = scan
        .unreadable_folders
        .iter()
        .filter(|u| u.user.is_none())
        .map(|u| {
            u.path.file_name().map_or_else(
                || u.path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let unlisted_note = match (unlisted.as_slice(), unlisted_other.as_slice()) {
        ([], []) => String::new(),
        ([], o) => format!(
            " The {} folder could not be listed: run oimdiag as the user who owns the \
             profile, or elevated.",
            o.join(", ")
        ),
        (u, _) => format!(
            " The folders of {} could not be listed: run oimdiag as the user who owns the \
             profile, or elevated.",
            u.join(", ")
        ),
    };
    let msgs = match stuck {
        0 => "no offline message is stuck".to_string(),
        1 => "1 offline message stuck or expired".to_string(),
        n => format!("{n} offline messages stuck or expired"),
    };
    match verdict {
        Verdict::Inconclusive if !unlisted.is_empty() && coverage.client_evidence => {
            format!("{who}: cannot judge every user.{unlisted_note}")
        }
        Verdict::Inconclusive => format!(
            "{place}: cannot judge Offline IM: no client evidence (no History Spooler folder \
             listed, no offline-IM or EWS line recognised in the logs); collect {}.{unlisted_note}",
            to_collect(coverage, true)
        ),
        Verdict::Healthy => {
            format!("{who}: Offline IM looks healthy; no offline message is stuck.")
        }
        Verdict::Failing | Verdict::Degraded => {
            let seen = if coverage.client_evidence {
                msgs
            } else {
                "no client evidence, so no message was seen".to_string()
            };
            match causes.first().map(|id| info(*id)) {
                Some(r) => format!(
                    "{who}: {seen}; probable cause: {} ({}).{unlisted_note}",
                    r.title, r.id
                ),
                None => format!(
                    "{who}: {seen}; the cause was not found in this evidence: collect {}.{unlisted_note}",
                    to_collect(coverage, !coverage.client_evidence)
                ),
            }
        }
    }
}

/// What to collect next, from what the scan did not have.
fn to_collect(c: &Coverage, client: bool) -> String {
    let mut what = Vec::new();
    if client {
        what.push("the sender's %LOCALAPPDATA%\\Microsoft\\Office\\16.0\\Lync folder (sip_<address> folders and Tracing)");
    }
    if c.logs.files == 0 && !client {
        what.push("the client's logs (the Tracing folder; ETL traces exported with tracerpt)");
    }
    if c.admin.files == 0 {
        what.push("Get-CsImConfiguration and Get-CsClientPolicy exports");
    }
    if c.unknown_facts.contains(&"client_build") {
        what.push("the client build (lync.exe's file version, or --client-build)");
    }
    if c.logs.files > 0 && c.logs.oim_events + c.logs.ews_events == 0 {
        what.push("what `oimdiag signatures --test` shows of the logs");
    }
    if what.is_empty() {
        what.push("the client's logs from the time a message failed");
    }
    what.join(", ")
}

/// The diagnosis of a probe on its own (`oimdiag probe`): only the probe's
/// findings are judged, so there is no client evidence to miss and the
/// verdict is never `inconclusive`.
pub fn diagnose_probe(findings: &[Finding], probe: &ProbeRun) -> Summary {
    // The probe's rules never raise OIM060, so `judge` cannot say inconclusive.
    let (verdict, errors, warnings, infos) = judge(findings);
    let causes = probable_causes(findings);
    let tried = format!(
        "{} URL{} probed from this machine",
        probe.targets.len(),
        if probe.targets.len() == 1 { "" } else { "s" }
    );
    let headline = match causes.first().map(|id| info(*id)) {
        Some(r) => format!("{tried}; probable cause: {} ({}).", r.title, r.id),
        None if findings.iter().any(|f| f.rule_id == RuleId::Oim036) => format!(
            "{tried}: EWS answered as expected, asking for credentials ({}).",
            probe.auth_schemes.join(", ")
        ),
        None => format!("{tried}: nothing in the path to EWS or autodiscover was found wrong."),
    };
    Summary {
        verdict,
        errors,
        warnings,
        infos,
        probable_causes: causes,
        headline,
    }
}
