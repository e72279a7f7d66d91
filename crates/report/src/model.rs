//! The report model: exactly what the JSON carries (BRIEF §5), so every
//! renderer shows the same facts.

use chrono::{DateTime, Utc};
use oimdiag_analysis::correlate::{Attempt, Outcome};
use oimdiag_analysis::coverage::Coverage;
use oimdiag_analysis::scan_data::ScanData;
pub use oimdiag_rules::diagnosis::{Summary, Verdict};
use oimdiag_rules::spooler::{item_state, ItemState};
use oimdiag_rules::Finding;
use oimdiag_vocab::build_version::InstallType;
use oimdiag_vocab::events::EventKind;
use oimdiag_vocab::found::{
    Facts, InputKind, ItemFormat, MailboxLocation, Setting, Source, SourceKind, SpoolItem,
    TimeSource, Window,
};
use oimdiag_vocab::timefmt::{offset_string, rfc3339};
use oimdiag_vocab::timezone::{LocalZone, ZoneSource};
use schemars::JsonSchema;
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

pub const SCHEMA_VERSION: &str = "2.1";

/// An oimdiag report: is Offline IM working for this user, and if not, why.
/// All times are RFC 3339 in UTC.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(title = "oimdiag report")]
pub struct Report {
    /// Version of this report format.
    pub schema_version: &'static str,
    pub tool: Tool,
    /// The "now" the two-minute timer was measured against (`--now`): the
    /// report is what a scan at this time would have seen.
    #[schemars(extend("format" = "date-time"))]
    pub scan_time: String,
    /// `--since`: evidence before it was counted and listed, not judged.
    #[schemars(extend("format" = "date-time"))]
    pub since: Option<String>,
    /// The UTC offset in force at `scan_time` by the zone rules local log
    /// times were read with, e.g. `+01:00`.
    pub utc_offset: String,
    /// The zone rules local times without an offset were read by.
    pub time_zone: TimeZoneOut,
    /// True when addresses, hosts and profile names were replaced by
    /// pseudonyms (`--redact`): `user1@domain1.example` is no real address.
    pub redacted: bool,
    /// Which machine and user ran the scan, on what, with which options.
    pub machine: crate::machine::MachineOut,
    pub summary: Summary,
    /// What was read and what was understood; the verdict rests on it.
    pub coverage: Coverage,
    pub facts: FactsOut,
    /// Every History Spooler item, ordered by path.
    #[schemars(with = "Vec<SpoolItemOut<'static>>")]
    pub spool_items: SpoolItems,
    /// Offline messages seen in the logs, one per message.
    #[schemars(with = "Vec<AttemptOut<'static>>")]
    pub attempts: Attempts,
    /// Ordered by severity, then rule id.
    pub findings: Vec<Finding>,
    pub inputs: Inputs,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

/// Where a fact came from: a file and line (`kind` `file`), or a flag on
/// the command line (`kind` `flag`, no path; the excerpt is the flag).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SourceOut {
    pub kind: SourceKind,
    pub path: Option<String>,
    pub line: Option<u64>,
    pub excerpt: String,
}

impl From<&Source> for SourceOut {
    fn from(s: &Source) -> Self {
        SourceOut {
            kind: s.kind,
            path: (s.kind != SourceKind::Flag).then(|| s.path.clone()),
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
// Made from the scan's item as it is rendered (see `SpoolItems`), borrowing
// its strings.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SpoolItemOut<'a> {
    pub path: Cow<'a, str>,
    /// The sip_* profile the item belongs to.
    pub user: Option<&'a str>,
    pub size_bytes: u64,
    #[schemars(extend("format" = "date-time"))]
    pub sent_at: String,
    pub sent_at_source: TimeSource,
    pub age_seconds: i64,
    pub state: ItemState,
    /// The first recipient (`To`, then `Cc`): what the item is linked to a
    /// logged message by.
    pub recipient: Option<&'a str>,
    /// Every recipient in `To` and `Cc`, in order, `recipient` first.
    #[schemars(with = "Vec<String>")]
    pub recipients: Recipients<'a>,
    pub sender: Option<&'a str>,
    pub message_class: Option<&'a str>,
    pub format: ItemFormat,
    /// Only with --include-subjects; null otherwise.
    pub subject: Option<&'a str>,
    /// Why the item could not be fully read, if it could not.
    pub problem: Option<&'a str>,
    /// Outcome of the logged attempt this item belongs to, if one was linked.
    pub attempt_outcome: Option<Outcome>,
}

/// An item's recipients as the report lists them, borrowed from the item
/// (no list is made per item when a report is rendered).
#[derive(Debug, Clone, Copy)]
pub struct Recipients<'a>(&'a SpoolItem);

impl<'a> Recipients<'a> {
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.0.recipients().map(|r| &**r)
    }
}

impl Serialize for Recipients<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.iter())
    }
}

/// The report's spool items: the scan's own items, moved here in path order,
/// each shown as a [`SpoolItemOut`] when it is rendered. A spooler of
/// 100,000 items is thus held once, not once as scanned and again as reported.
#[derive(Debug, Clone)]
pub struct SpoolItems {
    items: Vec<SpoolItem>,
    /// Outcome of the first attempt each item belongs to.
    outcome: Vec<Option<Outcome>>,
    /// What the ages and states are measured against.
    window: Window,
}

impl SpoolItems {
    /// `items` as they are, with the outcome of each (same order).
    pub fn new(items: Vec<SpoolItem>, outcome: Vec<Option<Outcome>>, window: Window) -> Self {
        debug_assert_eq!(items.len(), outcome.len());
        SpoolItems {
            items,
            outcome,
            window,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `k`th item as the report shows it.
    pub fn get(&self, k: usize) -> Option<SpoolItemOut<'_>> {
        let i = self.items.get(k)?;
        Some(self.show(i, self.outcome.get(k).copied().flatten()))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = SpoolItemOut<'_>> + '_ {
        self.items
            .iter()
            .zip(&self.outcome)
            .map(|(i, o)| self.show(i, *o))
    }

    fn show<'a>(&self, i: &'a SpoolItem, outcome: Option<Outcome>) -> SpoolItemOut<'a> {
        let (age, state) = item_state(i, self.window);
        SpoolItemOut {
            path: shown(&i.path),
            user: i.profile.as_deref(),
            size_bytes: i.size_bytes,
            sent_at: rfc3339(i.sent_at),
            sent_at_source: i.sent_at_source,
            age_seconds: age,
            state,
            recipient: i.recipient.as_deref(),
            recipients: Recipients(i),
            sender: i.sender.as_deref(),
            message_class: i.message_class.as_deref(),
            format: i.format,
            subject: i.subject.as_deref(),
            problem: i.problem.as_deref(),
            attempt_outcome: outcome,
        }
    }

    /// The path of the `k`th item, as shown.
    pub(crate) fn path(&self, k: usize) -> Option<Cow<'_, str>> {
        self.items.get(k).map(|i| shown(&i.path))
    }

    /// Every string of every item that did not come from the program itself
    /// (see [`Report::for_each_string_mut`]). The time is made from the
    /// item's date when shown, so it is not one of them.
    fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        for i in &mut self.items {
            shared_path(&mut i.path, f);
            shared_opt(&mut i.profile, f);
            shared_opt(&mut i.recipient, f);
            for r in i.other_recipients.iter_mut() {
                shared(r, f);
            }
            shared_opt(&mut i.sender, f);
            shared_opt(&mut i.message_class, f);
            opt(&mut i.subject, f);
            opt(&mut i.problem, f);
        }
    }
}

impl Serialize for SpoolItems {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut seq = ser.serialize_seq(Some(self.len()))?;
        for i in self.iter() {
            seq.serialize_element(&i)?;
        }
        seq.end()
    }
}

/// One offline message seen in the logs, from queued to its outcome.
// Made from the scan's attempt as it is rendered (see `Attempts`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AttemptOut<'a> {
    pub id: Option<&'a str>,
    pub user: Option<&'a str>,
    pub recipient: Option<&'a str>,
    #[schemars(extend("format" = "date-time"))]
    pub queued_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub resolved_at: Option<String>,
    pub outcome: Outcome,
    /// Paths of the spool items that are this message.
    pub spool_items: Vec<Cow<'a, str>>,
    /// The message's events in time order (capped; see `events_dropped`).
    pub evidence: Vec<TimelineEvent<'a>>,
    pub events_dropped: usize,
}

/// One step of a message's story, with its time in UTC.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimelineEvent<'a> {
    #[schemars(extend("format" = "date-time"))]
    pub time: Option<String>,
    pub event: &'static str,
    pub path: Cow<'a, str>,
    pub line: Option<u64>,
    pub excerpt: &'a str,
}

/// The report's offline messages: the scan's own, moved here, each shown as
/// an [`AttemptOut`] when it is rendered. Thousands of messages with their
/// evidence are thus held once.
#[derive(Debug, Clone, Default)]
pub struct Attempts {
    list: Vec<Attempt>,
    /// The paths of each message's spool items.
    items: Vec<Vec<Arc<Path>>>,
}

impl Attempts {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = AttemptOut<'_>> + '_ {
        self.list
            .iter()
            .zip(&self.items)
            .map(|(a, items)| AttemptOut {
                id: a.id.as_deref(),
                user: a.user.as_deref(),
                recipient: a.recipient.as_deref(),
                queued_at: rfc3339(a.queued_at),
                resolved_at: a.resolved_at.map(rfc3339),
                outcome: a.outcome,
                spool_items: items.iter().map(|p| p.to_string_lossy()).collect(),
                evidence: a
                    .events
                    .iter()
                    .map(|e| TimelineEvent {
                        time: e.time.map(rfc3339),
                        event: event_name(&e.kind),
                        path: e.origin.path.to_string_lossy(),
                        line: e.origin.line,
                        excerpt: &e.origin.excerpt,
                    })
                    .collect(),
                events_dropped: a.events_dropped,
            })
    }

    /// Every string of every message that did not come from the program
    /// itself (see [`Report::for_each_string_mut`]). Times and event names
    /// are made by the program as a message is shown.
    fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        for (a, items) in self.list.iter_mut().zip(&mut self.items) {
            opt(&mut a.id, f);
            opt(&mut a.user, f);
            opt(&mut a.recipient, f);
            items.iter_mut().for_each(|p| shared_path(p, f));
            for e in &mut a.events {
                let shown = e.origin.path.to_string_lossy();
                let mut t = shown.to_string();
                f(&mut t);
                if *t != *shown {
                    e.origin.path = Path::new(&t).into();
                }
                f(&mut e.origin.excerpt);
            }
        }
    }
}

impl Serialize for Attempts {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut seq = ser.serialize_seq(Some(self.len()))?;
        for a in self.iter() {
            seq.serialize_element(&a)?;
        }
        seq.end()
    }
}

/// A file that was read, and what it was read as.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScannedOut {
    // Shared with the spool item the file is, if it is one.
    #[serde(serialize_with = "shared::path")]
    #[schemars(with = "String")]
    pub path: Arc<Path>,
    pub kind: InputKind,
    /// What the reader could not use as-is, if anything.
    pub note: Option<String>,
}

/// The zone rules local times (UccApilog lines, zone-less item dates,
/// tracerpt date strings; never FILETIMEs) were read by.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimeZoneOut {
    /// IANA name of the zone, e.g. `Europe/Rome`; null for a fixed offset,
    /// or for machine rules the OS gave no name.
    pub name: Option<String>,
    /// The Windows zone id the name came from (scans on Windows).
    pub windows_id: Option<String>,
    /// `flag` (`--tz`, `--utc-offset`), `machine` (this machine's zone) or
    /// `inferred` (the offset that reconciles the logs' local times with
    /// their absolute ones: OIM052 says which).
    pub source: ZoneSource,
    /// Every offset applied to a local time in the evidence (`+02:00`),
    /// ascending; empty when no local time was read.
    pub offsets_applied: Vec<String>,
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

/// When the scan judged, and by which zone rules it read local times.
#[derive(Debug, Clone)]
pub struct ReportTime {
    pub now: DateTime<Utc>,
    pub since: Option<DateTime<Utc>>,
    pub zone: LocalZone,
}

impl ReportTime {
    fn window(&self) -> Window {
        Window {
            now: self.now,
            since: self.since,
        }
    }
}

/// The report, made from what the scan found (whose items and inputs it
/// takes over rather than copies).
pub fn build(
    mut scan: ScanData,
    facts: &Facts,
    coverage: Coverage,
    findings: Vec<Finding>,
    summary: Summary,
    time: &ReportTime,
    machine: crate::machine::MachineContext,
) -> Report {
    let machine = crate::machine::machine_out(machine, &scan);
    let attempts = std::mem::take(&mut scan.attempts);
    let limits = limits(&scan, &attempts);
    // Before the items are taken over below.
    let time_zone = time_zone_out(&time.zone, &scan);
    let items = attempts
        .iter()
        .map(|a| {
            a.spool_items
                .iter()
                .filter_map(|&j| scan.spool_items.get(j))
                .map(|i| Arc::clone(&i.path))
                .collect()
        })
        .collect();
    let spool_items = spool_items_out(
        std::mem::take(&mut scan.spool_items),
        &attempts,
        time.window(),
    );
    let attempts_out = Attempts {
        list: attempts,
        items,
    };
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "oimdiag",
            version: env!("CARGO_PKG_VERSION"),
        },
        scan_time: rfc3339(time.now),
        since: time.since.map(rfc3339),
        utc_offset: offset_string(time.zone.offset_at(time.now)),
        time_zone,
        redacted: false,
        machine,
        summary,
        coverage,
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
        attempts: attempts_out,
        findings,
        inputs: Inputs {
            scanned: scanned_out(std::mem::take(&mut scan.scanned)),
            skipped: scan
                .skipped
                .iter()
                .map(|s| SkippedOut {
                    path: s.path.display().to_string(),
                    reason: s.reason.clone(),
                })
                .collect(),
            limits,
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
    let lost = scan.attempts_dropped.recipients_not_kept;
    if lost > 0 {
        out.push(format!(
            "Recipients in another organisation are remembered for {} messages let go; {lost} \
             more were counted but are not named in OIM040.",
            oimdiag_analysis::correlate::MAX_DROPPED_RECIPIENTS
        ));
    }
    let urls = scan.log_stats.urls_not_noted;
    if urls > 0 {
        out.push(format!(
            "A log named more than 4,096 distinct EWS URLs: {urls} more were not noted (the EWS \
             URL shown is among the first)."
        ));
    }
    out
}

/// The spool items as the report shows them: moved out of the scan in path
/// order (ties, two names shown alike, in scan order), with the outcome of
/// the first attempt each belongs to.
fn spool_items_out(items: Vec<SpoolItem>, attempts: &[Attempt], window: Window) -> SpoolItems {
    // Item → outcome of the first attempt it belongs to, built once.
    let mut outcome: Vec<Option<Outcome>> = vec![None; items.len()];
    for a in attempts.iter().rev() {
        for &j in &a.spool_items {
            if let Some(o) = outcome.get_mut(j) {
                *o = Some(a.outcome);
            }
        }
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    // Paths that are all UTF-8 (nearly always) sort by their bytes, which
    // is their order as text; others by the text shown.
    if items.iter().all(|i| i.path.to_str().is_some()) {
        order.sort_by(|&a, &b| {
            let key = |k: usize| items[k].path.as_os_str().as_encoded_bytes();
            key(a).cmp(key(b))
        });
    } else {
        order.sort_by(|&a, &b| {
            items[a]
                .path
                .to_string_lossy()
                .cmp(&items[b].path.to_string_lossy())
        });
    }
    let outcome = order.iter().map(|&j| outcome[j]).collect();
    let mut items = items;
    permute(&mut items, order);
    SpoolItems::new(items, outcome, window)
}

/// Reorders `items` in place so that the `k`th is the one that was at
/// `order[k]`: no second list of items is made. `order` is a permutation.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        // Each cycle of the permutation is followed once, swapping as it goes.
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// Shared strings serialise as the strings they hold.
mod shared {
    use serde::Serializer;
    use std::path::Path;
    use std::sync::Arc;

    pub fn path<S: Serializer>(p: &Arc<Path>, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&super::shown(p))
    }
}

/// A path as the report shows it: as it is when it is UTF-8 (checked by
/// `to_str`, several times faster than `to_string_lossy`'s own check),
/// else with U+FFFD for what is not.
pub(crate) fn shown(p: &Path) -> Cow<'_, str> {
    match p.to_str() {
        Some(s) => Cow::Borrowed(s),
        None => p.to_string_lossy(),
    }
}

/// `inputs.scanned`, moved out of the scan (the paths of spool items are
/// shared with the items).
fn scanned_out(scanned: Vec<oimdiag_vocab::found::ScannedInput>) -> Vec<ScannedOut> {
    scanned
        .into_iter()
        .map(|s| ScannedOut {
            path: s.path,
            kind: s.kind,
            note: s.note,
        })
        .collect()
}

fn event_name(k: &EventKind) -> &'static str {
    match k {
        EventKind::Signature { event, .. } => event.name(),
        EventKind::ClientBuild { .. } => "sip.client_build",
        EventKind::SipUser { .. } => "sip.register",
        EventKind::CalleeOffline { .. } => "sip.callee_offline",
        EventKind::Provisioning { .. } => "sip.provisioning",
        EventKind::UserImAutoArchiving { .. } => "sip.user_im_auto_archiving",
        EventKind::EwsUrl { .. } => "ews.url",
    }
}

impl Report {
    /// Calls `f` on every string the report holds that did not come from the
    /// program itself (paths, excerpts, messages, facts, times...): what
    /// `--redact` rewrites. A field added to the model must be added here;
    /// a test in `redact` fails if one is missed.
    pub fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        fn source(s: &mut SourceOut, f: &mut dyn FnMut(&mut String)) {
            opt(&mut s.path, f);
            f(&mut s.excerpt);
        }
        f(&mut self.scan_time);
        self.machine.for_each_string_mut(f);
        opt(&mut self.since, f);
        f(&mut self.utc_offset);
        opt(&mut self.time_zone.name, f);
        opt(&mut self.time_zone.windows_id, f);
        self.time_zone.offsets_applied.iter_mut().for_each(&mut *f);
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

        self.spool_items.for_each_string_mut(f);
        self.attempts.for_each_string_mut(f);
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
            shared_path(&mut s.path, f);
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

fn time_zone_out(zone: &LocalZone, scan: &ScanData) -> TimeZoneOut {
    let mut used = scan.log_stats.zone;
    for (offset, _) in scan.spool_items.iter().filter_map(|i| i.local_date) {
        used.offset(offset);
    }
    TimeZoneOut {
        name: zone.name.clone(),
        windows_id: zone.windows_id.clone(),
        source: zone.source,
        offsets_applied: used
            .offsets()
            .into_iter()
            .filter_map(|o| chrono::FixedOffset::east_opt(o).map(offset_string))
            .collect(),
    }
}

fn opt(s: &mut Option<String>, f: &mut dyn FnMut(&mut String)) {
    if let Some(s) = s {
        f(s);
    }
}

// A shared string is replaced, never changed in place: the others holding it
// keep theirs until they are visited too.
fn shared_opt(s: &mut Option<Arc<str>>, f: &mut dyn FnMut(&mut String)) {
    if let Some(s) = s {
        shared(s, f);
    }
}

fn shared(s: &mut Arc<str>, f: &mut dyn FnMut(&mut String)) {
    let mut t = s.to_string();
    f(&mut t);
    if *t != **s {
        *s = t.into();
    }
}

/// A path is rewritten as the text it is shown as.
fn shared_path(p: &mut Arc<Path>, f: &mut dyn FnMut(&mut String)) {
    let shown = p.to_string_lossy();
    let mut t = shown.to_string();
    f(&mut t);
    if *t != *shown {
        *p = Path::new(&t).into();
    }
}

#[cfg(test)]
mod permute_tests {
    use super::permute;

    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        let order = vec![3, 0, 4, 1, 2, 5];
        let mut items = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        permute(&mut items, order);
        assert_eq!(items, ['d', 'a', 'e', 'b', 'c', 'f']);
        let mut none: Vec<char> = Vec::new();
        permute(&mut none, Vec::new());
        assert!(none.is_empty());
    }
}
