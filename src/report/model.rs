//! The report model: exactly what the JSON carries (BRIEF §5), so every
//! renderer shows the same facts.

use crate::build_version::InstallType;
use crate::config::ScanConfig;
use crate::model::{
    Facts, InputKind, ItemFormat, MailboxLocation, ScanData, Setting, Source, TimeSource,
};
use crate::rules::spooler::{item_state, ItemState};
use crate::rules::{probable_causes, rule_info, Evidence, Finding, Severity};
use crate::timefmt::{offset_string, rfc3339};
use serde::Serialize;

pub const SCHEMA_VERSION: &str = "1.0";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool: Tool,
    pub scan_time: String,
    pub utc_offset: String,
    pub summary: Summary,
    pub facts: FactsOut,
    pub spool_items: Vec<SpoolItemOut>,
    pub attempts: Vec<AttemptOut>,
    pub findings: Vec<Finding>,
    pub inputs: Inputs,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub verdict: Verdict,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub probable_causes: Vec<&'static str>,
    pub headline: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceOut {
    pub path: String,
    pub line: Option<u64>,
    pub excerpt: String,
}

impl From<&Source> for SourceOut {
    fn from(s: &Source) -> Self {
        SourceOut {
            path: s.path.clone(),
            line: s.line,
            excerpt: s.excerpt.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SettingOut {
    pub value: bool,
    pub source: SourceOut,
}

impl From<&Setting> for SettingOut {
    fn from(s: &Setting) -> Self {
        SettingOut {
            value: s.value,
            source: (&s.source).into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PoliciesOut {
    /// Server: Get-CsImConfiguration EnableOfflineIM.
    pub enable_offline_im: Option<SettingOut>,
    /// Client policy: EnableIMAutoArchiving.
    pub enable_im_auto_archiving: Option<SettingOut>,
    /// The user's own option (otherOptions imAutoArchiving).
    pub user_im_auto_archiving: Option<SettingOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FactsOut {
    pub sip_users: Vec<String>,
    pub client_build: Option<String>,
    pub client_build_source: Option<SourceOut>,
    pub install_type: InstallType,
    pub mailbox_location: MailboxLocation,
    pub mailbox_location_source: Option<SourceOut>,
    pub ews_url: Option<String>,
    pub policies: PoliciesOut,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpoolItemOut {
    pub path: String,
    /// The sip_* profile the item belongs to.
    pub user: Option<String>,
    pub size_bytes: u64,
    pub sent_at: String,
    pub sent_at_source: TimeSource,
    pub age_seconds: i64,
    pub state: ItemState,
    pub recipient: Option<String>,
    pub sender: Option<String>,
    pub message_class: Option<String>,
    pub format: ItemFormat,
    /// Only with --include-subjects; null otherwise.
    pub subject: Option<String>,
    /// Why the item could not be fully read, if it could not.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    DeliveredLate,
    Failed,
    Expired,
    Pending,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttemptOut {
    pub id: Option<String>,
    pub user: Option<String>,
    pub recipient: Option<String>,
    pub queued_at: String,
    pub resolved_at: Option<String>,
    pub outcome: Outcome,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScannedOut {
    pub path: String,
    pub kind: InputKind,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedOut {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    pub scanned: Vec<ScannedOut>,
    pub skipped: Vec<SkippedOut>,
}

pub fn build(scan: &ScanData, facts: &Facts, findings: Vec<Finding>, cfg: &ScanConfig) -> Report {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let inconclusive = findings.iter().any(|f| f.rule_id == "OIM060");
    let verdict = if errors > 0 {
        Verdict::Failing
    } else if inconclusive {
        Verdict::Inconclusive
    } else if warnings > 0 {
        Verdict::Degraded
    } else {
        Verdict::Healthy
    };
    let causes = probable_causes(&findings);

    let mut spool_items: Vec<SpoolItemOut> = scan
        .spool_items
        .iter()
        .map(|i| {
            let (age, state) = item_state(i, cfg.now);
            SpoolItemOut {
                path: i.path.display().to_string(),
                user: i.profile.clone(),
                size_bytes: i.size_bytes,
                sent_at: rfc3339(i.sent_at),
                sent_at_source: i.sent_at_source,
                age_seconds: age,
                state,
                recipient: i.recipient.clone(),
                sender: i.sender.clone(),
                message_class: i.message_class.clone(),
                format: i.format,
                subject: i.subject.clone(),
                problem: i.problem.clone(),
            }
        })
        .collect();
    spool_items.sort_by(|a, b| a.path.cmp(&b.path));

    let headline = headline(verdict, &findings, &causes, scan, facts, cfg);
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        scan_time: rfc3339(cfg.now),
        utc_offset: offset_string(cfg.utc_offset),
        summary: Summary {
            verdict,
            errors,
            warnings,
            infos,
            probable_causes: causes,
            headline,
        },
        facts: FactsOut {
            sip_users: facts.sip_users.clone(),
            client_build: facts.client_build.map(|b| b.to_string()),
            client_build_source: facts.client_build_source.as_ref().map(Into::into),
            install_type: facts.install_type,
            mailbox_location: facts.mailbox_location,
            mailbox_location_source: facts.mailbox_source.as_ref().map(Into::into),
            ews_url: facts.ews_url.clone(),
            policies: PoliciesOut {
                enable_offline_im: facts.policies.enable_offline_im.as_ref().map(Into::into),
                enable_im_auto_archiving: facts
                    .policies
                    .enable_im_auto_archiving
                    .as_ref()
                    .map(Into::into),
                user_im_auto_archiving: facts
                    .policies
                    .user_im_auto_archiving
                    .as_ref()
                    .map(Into::into),
            },
        },
        spool_items,
        attempts: Vec::new(),
        findings,
        inputs: Inputs {
            scanned: scan
                .scanned
                .iter()
                .map(|s| ScannedOut {
                    path: s.path.display().to_string(),
                    kind: s.kind,
                })
                .collect(),
            skipped: scan
                .skipped
                .iter()
                .map(|s| SkippedOut {
                    path: s.path.display().to_string(),
                    reason: s.reason.clone(),
                })
                .collect(),
        },
    }
}

/// One sentence: the user, how many messages are stuck or expired, and the
/// first probable cause.
fn headline(
    verdict: Verdict,
    findings: &[Finding],
    causes: &[&'static str],
    scan: &ScanData,
    facts: &Facts,
    cfg: &ScanConfig,
) -> String {
    let stuck_of = |user: Option<&str>| {
        scan.spool_items
            .iter()
            .filter(|i| i.profile.as_deref() == user)
            .filter(|i| item_state(i, cfg.now).1 == ItemState::Stuck)
            .count()
    };
    // The worst user: most stuck messages; ties go to the first by address.
    let mut users: Vec<Option<&str>> = facts.sip_users.iter().map(|u| Some(u.as_str())).collect();
    if scan.spool_items.iter().any(|i| i.profile.is_none()) {
        users.push(None);
    }
    let worst = users
        .iter()
        .copied()
        .max_by(|a, b| stuck_of(*a).cmp(&stuck_of(*b)).then(b.cmp(a)))
        .flatten();
    let who = match (worst, facts.sip_users.len()) {
        (Some(u), n) if n > 1 => format!(
            "{u} (and {} other user{})",
            n - 1,
            if n == 2 { "" } else { "s" }
        ),
        (Some(u), _) => u.to_string(),
        (None, _) => "This machine".to_string(),
    };
    let stuck: usize = scan
        .spool_items
        .iter()
        .filter(|i| item_state(i, cfg.now).1 == ItemState::Stuck)
        .count();
    match verdict {
        Verdict::Inconclusive => {
            "Nothing to diagnose: no History Spooler folder or client logs were found.".to_string()
        }
        Verdict::Healthy => {
            format!("{who}: Offline IM looks healthy; no offline message is stuck.")
        }
        Verdict::Failing | Verdict::Degraded => {
            let cause = causes
                .first()
                .or_else(|| {
                    findings
                        .iter()
                        .find(|f| f.severity != Severity::Info)
                        .map(|f| &f.rule_id)
                })
                .and_then(|id| rule_info(id))
                .map(|r| format!("{} ({})", r.title.to_lowercase(), r.id))
                .unwrap_or_else(|| "see the findings".to_string());
            let msgs = if stuck == 1 {
                "1 offline message stuck or expired".to_string()
            } else {
                format!("{stuck} offline messages stuck or expired")
            };
            format!("{who}: {msgs}; probable cause: {cause}.")
        }
    }
}
