//! The report model: exactly what the JSON carries (BRIEF §5), so every
//! renderer shows the same facts.

use crate::build_version::InstallType;
use crate::config::ScanConfig;
use crate::correlate::{Attempt, Outcome};
use crate::events::EventKind;
use crate::model::{
    Facts, InputKind, ItemFormat, MailboxLocation, ScanData, Setting, Source, TimeSource,
};
use crate::rules::spooler::{delivered_items, item_state, ItemState};
use crate::rules::{probable_causes, rule_info, Finding, Severity};
use crate::timefmt::{offset_string, rfc3339};
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::Arc;

pub const SCHEMA_VERSION: &str = "1.0";

/// An oimdiag report: is Offline IM working for this user, and if not, why.
/// All times are RFC 3339 in UTC.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "oimdiag report")]
pub struct Report {
    /// Version of this report format.
    pub schema_version: &'static str,
    pub tool: Tool,
    /// The "now" the two-minute timer was measured against (`--now`).
    #[schemars(extend("format" = "date-time"))]
    pub scan_time: String,
    /// UTC offset used to read local log timestamps, e.g. `+01:00`.
    pub utc_offset: String,
    /// True when addresses, hosts and profile names were replaced by
    /// pseudonyms (`--redact`): `user1@domain1.example` is no real address.
    pub redacted: bool,
    pub summary: Summary,
    pub facts: FactsOut,
    /// Every History Spooler item, ordered by path.
    pub spool_items: Vec<SpoolItemOut>,
    /// Offline messages seen in the logs, one per message.
    pub attempts: Vec<AttemptOut>,
    /// Ordered by severity, then rule id.
    pub findings: Vec<Finding>,
    pub inputs: Inputs,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

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

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Summary {
    /// `failing` if any error; else `inconclusive` if OIM060 fired; else
    /// `degraded` if any warning; else `healthy`.
    pub verdict: Verdict,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Rule ids that fired, most likely cause first (causes before symptoms).
    pub probable_causes: Vec<&'static str>,
    /// One sentence: the user, how many messages are stuck, the first cause.
    pub headline: String,
}

/// Where a fact came from: a file and line, or the command line.
#[derive(Debug, Clone, Serialize, JsonSchema)]
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

#[derive(Debug, Clone, Serialize, JsonSchema)]
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

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PoliciesOut {
    /// Server: Get-CsImConfiguration EnableOfflineIM.
    pub enable_offline_im: Option<SettingOut>,
    /// Client policy: EnableIMAutoArchiving.
    pub enable_im_auto_archiving: Option<SettingOut>,
    /// The user's own option (otherOptions imAutoArchiving).
    pub user_im_auto_archiving: Option<SettingOut>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
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

/// One file below a History Spooler folder: an offline message not (yet) sent.
// Strings that repeat across items (user, addresses, message class) and the
// path (also in `inputs.scanned`) are shared, not copied per item.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SpoolItemOut {
    #[serde(serialize_with = "shared::str")]
    pub path: Arc<str>,
    /// The sip_* profile the item belongs to.
    #[serde(serialize_with = "shared::opt")]
    pub user: Option<Arc<str>>,
    pub size_bytes: u64,
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: String,
    pub sent_at_source: TimeSource,
    pub age_seconds: i64,
    pub state: ItemState,
    #[serde(serialize_with = "shared::opt")]
    pub recipient: Option<Arc<str>>,
    #[serde(serialize_with = "shared::opt")]
    pub sender: Option<Arc<str>>,
    #[serde(serialize_with = "shared::opt")]
    pub message_class: Option<Arc<str>>,
    pub format: ItemFormat,
    /// Only with --include-subjects; null otherwise.
    pub subject: Option<String>,
    /// Why the item could not be fully read, if it could not.
    pub problem: Option<String>,
    /// Outcome of the logged attempt this item belongs to, if one was linked.
    pub attempt_outcome: Option<Outcome>,
}

/// One offline message seen in the logs, from queued to its outcome.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AttemptOut {
    pub id: Option<String>,
    pub user: Option<String>,
    pub recipient: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub queued_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub resolved_at: Option<String>,
    pub outcome: Outcome,
    /// Paths of the spool items that are this message.
    pub spool_items: Vec<String>,
    /// The message's events in time order (capped; see `events_dropped`).
    pub evidence: Vec<TimelineEvent>,
    pub events_dropped: usize,
}

/// One step of a message's story, with its time in UTC.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimelineEvent {
    #[schemars(extend("format" = "date-time"))]
    pub time: Option<String>,
    pub event: String,
    pub path: String,
    pub line: Option<u64>,
    pub excerpt: String,
}

/// A file that was read, and what it was read as.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScannedOut {
    #[serde(serialize_with = "shared::str")]
    pub path: Arc<str>,
    pub kind: InputKind,
    /// What the reader could not use as-is, if anything.
    pub note: Option<String>,
}

/// A file or folder that was not used, and why.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SkippedOut {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Inputs {
    pub scanned: Vec<ScannedOut>,
    pub skipped: Vec<SkippedOut>,
    /// Limits that bit during the scan (e.g. more offline messages than are
    /// kept whole), each said in one sentence. Empty when none did.
    pub limits: Vec<String>,
}

pub fn build(
    scan: &ScanData,
    facts: &Facts,
    attempts: &[Attempt],
    findings: Vec<Finding>,
    cfg: &ScanConfig,
) -> Report {
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

    let (spool_items, item_paths) = spool_items_out(scan, attempts, cfg);

    let headline = headline(verdict, &findings, &causes, scan, facts, attempts, cfg);
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        scan_time: rfc3339(cfg.now),
        utc_offset: offset_string(cfg.utc_offset),
        redacted: false,
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
        attempts: attempts.iter().map(|a| attempt_out(a, scan)).collect(),
        findings,
        inputs: Inputs {
            scanned: scanned_out(scan, &item_paths),
            skipped: scan
                .skipped
                .iter()
                .map(|s| SkippedOut {
                    path: s.path.display().to_string(),
                    reason: s.reason.clone(),
                })
                .collect(),
            limits: limits(scan, attempts),
        },
    }
}

/// The scan's own limits that bit, in words.
fn limits(scan: &ScanData, attempts: &[Attempt]) -> Vec<String> {
    let mut out = Vec::new();
    let dropped = scan.attempts_dropped.total();
    if dropped > 0 {
        out.push(format!(
            "The logs hold {} offline messages: {} are listed in attempts, the other {dropped} \
             (delivered in time first, then the oldest) are counted in the findings but not \
             listed or linked to spool items.",
            attempts.len() + dropped,
            attempts.len()
        ));
    }
    out
}

/// The spool items as the report shows them, ordered by path, and each
/// item's path (in scan order) for `inputs.scanned` to share.
fn spool_items_out(
    scan: &ScanData,
    attempts: &[Attempt],
    cfg: &ScanConfig,
) -> (Vec<SpoolItemOut>, Vec<Arc<str>>) {
    // Item → outcome of the first attempt it belongs to, built once.
    let mut outcome: Vec<Option<Outcome>> = vec![None; scan.spool_items.len()];
    for a in attempts.iter().rev() {
        for &j in &a.spool_items {
            if let Some(o) = outcome.get_mut(j) {
                *o = Some(a.outcome);
            }
        }
    }
    let mut shared = Interner::default();
    let paths: Vec<Arc<str>> = scan
        .spool_items
        .iter()
        .map(|i| i.path.to_string_lossy().into())
        .collect();
    // Ordered by path, ties (two names shown alike) in scan order; sorting
    // indexes moves no item and needs no buffer of items.
    let mut order: Vec<usize> = (0..paths.len()).collect();
    order.sort_unstable_by(|&a, &b| paths[a].cmp(&paths[b]).then(a.cmp(&b)));
    let items = order
        .into_iter()
        .map(|j| {
            let i = &scan.spool_items[j];
            let (age, state) = item_state(i, cfg.now);
            SpoolItemOut {
                path: Arc::clone(&paths[j]),
                user: shared.get(i.profile.as_deref()),
                size_bytes: i.size_bytes,
                sent_at: rfc3339(i.sent_at),
                sent_at_source: i.sent_at_source,
                age_seconds: age,
                state,
                recipient: shared.get(i.recipient.as_deref()),
                sender: shared.get(i.sender.as_deref()),
                message_class: shared.get(i.message_class.as_deref()),
                format: i.format,
                subject: i.subject.clone(),
                problem: i.problem.clone(),
                attempt_outcome: outcome[j],
            }
        })
        .collect();
    (items, paths)
}

/// Shared strings serialise as the strings they hold.
mod shared {
    use serde::Serializer;
    use std::sync::Arc;

    pub fn str<S: Serializer>(s: &Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s)
    }

    pub fn opt<S: Serializer>(s: &Option<Arc<str>>, ser: S) -> Result<S::Ok, S::Error> {
        match s {
            Some(s) => ser.serialize_some(&**s),
            None => ser.serialize_none(),
        }
    }
}

/// One `Arc` per distinct string: a spooler of 100,000 items names a few
/// users, recipients and message classes over and over.
#[derive(Default)]
struct Interner<'a>(std::collections::HashMap<&'a str, Arc<str>>);

impl<'a> Interner<'a> {
    fn get(&mut self, s: Option<&'a str>) -> Option<Arc<str>> {
        s.map(|s| self.0.entry(s).or_insert_with(|| s.into()).clone())
    }
}

/// `inputs.scanned`, sharing the path of each spool item: the items were
/// merged in the order their files were scanned, so they are met in turn.
fn scanned_out(scan: &ScanData, item_paths: &[Arc<str>]) -> Vec<ScannedOut> {
    let mut next_item = scan.spool_items.iter().zip(item_paths).peekable();
    scan.scanned
        .iter()
        .map(|s| {
            let path = match next_item.peek() {
                Some((i, p)) if s.kind == InputKind::SpoolItem && i.path == s.path => {
                    let p = Arc::clone(p);
                    next_item.next();
                    p
                }
                _ => s.path.to_string_lossy().into(),
            };
            ScannedOut {
                path,
                kind: s.kind,
                note: s.note.clone(),
            }
        })
        .collect()
}

/// One sentence: the user, how many messages are stuck or expired, and the
/// first probable cause.
fn headline(
    verdict: Verdict,
    findings: &[Finding],
    causes: &[&'static str],
    scan: &ScanData,
    facts: &Facts,
    attempts: &[Attempt],
    cfg: &ScanConfig,
) -> String {
    // Stuck items (not proven delivered) plus undelivered attempts that have no
    // item of their own: each message counted once.
    let delivered = delivered_items(attempts);
    let stuck_of = |user: Option<&str>| {
        let items = scan
            .spool_items
            .iter()
            .enumerate()
            .filter(|(j, i)| i.profile.as_deref() == user && !delivered.contains(j))
            .filter(|(_, i)| item_state(i, cfg.now).1 == ItemState::Stuck)
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
    let who = match (worst, facts.sip_users.len()) {
        (Some(u), n) if n > 1 => format!(
            "{u} (and {} other user{})",
            n - 1,
            if n == 2 { "" } else { "s" }
        ),
        (Some(u), _) => u.to_string(),
        (None, _) => "This machine".to_string(),
    };
    let mut all_users: Vec<Option<&str>> = users.clone();
    all_users.extend(attempts.iter().map(|a| a.user.as_deref()));
    all_users.sort();
    all_users.dedup();
    let stuck: usize = all_users.iter().map(|u| stuck_of(*u)).sum();
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
                .map(|r| format!("{} ({})", r.title, r.id))
                .unwrap_or_else(|| "see the findings".to_string());
            let msgs = match stuck {
                0 => "no offline message is stuck".to_string(),
                1 => "1 offline message stuck or expired".to_string(),
                n => format!("{n} offline messages stuck or expired"),
            };
            format!("{who}: {msgs}; probable cause: {cause}.")
        }
    }
}

fn attempt_out(a: &Attempt, scan: &ScanData) -> AttemptOut {
    AttemptOut {
        id: a.id.clone(),
        user: a.user.clone(),
        recipient: a.recipient.clone(),
        queued_at: rfc3339(a.queued_at),
        resolved_at: a.resolved_at.map(rfc3339),
        outcome: a.outcome,
        spool_items: a
            .spool_items
            .iter()
            .map(|&j| scan.spool_items[j].path.display().to_string())
            .collect(),
        evidence: a
            .events
            .iter()
            .map(|e| TimelineEvent {
                time: e.time.map(rfc3339),
                event: event_name(&e.kind),
                path: e.origin.path.display().to_string(),
                line: e.origin.line,
                excerpt: e.origin.excerpt.clone(),
            })
            .collect(),
        events_dropped: a.events_dropped,
    }
}

fn event_name(k: &EventKind) -> String {
    match k {
        EventKind::Signature { event, .. } => event.name().to_string(),
        EventKind::ClientBuild { .. } => "sip.client_build".into(),
        EventKind::SipUser { .. } => "sip.register".into(),
        EventKind::CalleeOffline { .. } => "sip.callee_offline".into(),
        EventKind::Provisioning { .. } => "sip.provisioning".into(),
        EventKind::UserImAutoArchiving { .. } => "sip.user_im_auto_archiving".into(),
        EventKind::EwsUrl { .. } => "ews.url".into(),
    }
}

impl Report {
    /// Calls `f` on every string the report holds that did not come from the
    /// program itself (paths, excerpts, messages, facts, times...): what
    /// `--redact` rewrites. A field added to the model must be added here;
    /// a test in `redact` fails if one is missed.
    pub fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        fn opt(s: &mut Option<String>, f: &mut dyn FnMut(&mut String)) {
            if let Some(s) = s {
                f(s);
            }
        }
        // A shared string is replaced, never changed in place: the others
        // holding it keep theirs until they are visited too.
        fn shared(s: &mut Arc<str>, f: &mut dyn FnMut(&mut String)) {
            let mut t = s.to_string();
            f(&mut t);
            if *t != **s {
                *s = t.into();
            }
        }
        fn shared_opt(s: &mut Option<Arc<str>>, f: &mut dyn FnMut(&mut String)) {
            if let Some(s) = s {
                shared(s, f);
            }
        }
        fn source(s: &mut SourceOut, f: &mut dyn FnMut(&mut String)) {
            f(&mut s.path);
            f(&mut s.excerpt);
        }
        f(&mut self.scan_time);
        f(&mut self.utc_offset);
        f(&mut self.summary.headline);

        let fa = &mut self.facts;
        fa.sip_users.iter_mut().for_each(&mut *f);
        opt(&mut fa.client_build, f);
        if let Some(s) = &mut fa.client_build_source {
            source(s, f);
        }
        if let Some(s) = &mut fa.mailbox_location_source {
            source(s, f);
        }
        opt(&mut fa.ews_url, f);
        let p = &mut fa.policies;
        for s in [
            &mut p.enable_offline_im,
            &mut p.enable_im_auto_archiving,
            &mut p.user_im_auto_archiving,
        ]
        .into_iter()
        .flatten()
        {
            source(&mut s.source, f);
        }

        for i in &mut self.spool_items {
            shared(&mut i.path, f);
            shared_opt(&mut i.user, f);
            f(&mut i.sent_at);
            shared_opt(&mut i.recipient, f);
            shared_opt(&mut i.sender, f);
            shared_opt(&mut i.message_class, f);
            opt(&mut i.subject, f);
            opt(&mut i.problem, f);
        }
        for a in &mut self.attempts {
            opt(&mut a.id, f);
            opt(&mut a.user, f);
            opt(&mut a.recipient, f);
            f(&mut a.queued_at);
            opt(&mut a.resolved_at, f);
            a.spool_items.iter_mut().for_each(&mut *f);
            for e in &mut a.evidence {
                opt(&mut e.time, f);
                f(&mut e.event);
                f(&mut e.path);
                f(&mut e.excerpt);
            }
        }
        for x in &mut self.findings {
            f(&mut x.message);
            for e in &mut x.evidence {
                f(&mut e.path);
                f(&mut e.excerpt);
            }
            f(&mut x.remediation);
            opt(&mut x.user, f);
        }
        for s in &mut self.inputs.scanned {
            shared(&mut s.path, f);
            opt(&mut s.note, f);
        }
        for s in &mut self.inputs.skipped {
            f(&mut s.path);
            f(&mut s.reason);
        }
        for l in &mut self.inputs.limits {
            f(l);
        }
    }
}
