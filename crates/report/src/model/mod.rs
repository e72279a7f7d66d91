//! The report model: exactly what the JSON carries (BRIEF §5), so every
//! renderer shows the same facts.

use chrono::{DateTime, FixedOffset, Utc};
use oimdiag_analysis::correlate::{Attempt, Outcome};
use oimdiag_analysis::coverage::Coverage;
use oimdiag_analysis::scan_data::ScanData;
pub use oimdiag_rules::diagnosis::{Summary, Verdict};
use oimdiag_rules::spooler::{item_state, ItemState};
use oimdiag_rules::Finding;
use oimdiag_vocab::build_version::InstallType;
use oimdiag_vocab::events::EventKind;
use oimdiag_vocab::file_path::FilePath;
use oimdiag_vocab::found::{
    Facts, InputKind, ItemFormat, MailboxLocation, Setting, Source, SourceKind, SpoolItem,
    TimeSource, Window,
};
use oimdiag_vocab::probe::ProbeRun;
use oimdiag_vocab::timefmt::offset_string;
use oimdiag_vocab::timezone::{LocalZone, ZoneSource};
use schemars::JsonSchema;
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

pub const SCHEMA_VERSION: &str = "2.2";

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
    #[serde(serialize_with = "time::instant")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub scan_time: DateTime<Utc>,
    /// `--since`: evidence before it was counted and listed, not judged.
    #[serde(serialize_with = "time::maybe")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub since: Option<DateTime<Utc>>,
    /// The UTC offset in force at `scan_time` by the zone rules local log
    /// times were read with, e.g. `+01:00`.
    #[serde(serialize_with = "time::offset")]
    #[schemars(with = "String")]
    pub utc_offset: FixedOffset,
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
    /// The live EWS/autodiscover probe (`oimdiag probe`, `scan --probe`):
    /// null unless one ran.
    pub probe: Option<ProbeRun>,
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

/// A file that was read, and what it was read as.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ScannedOut {
    // Shared with the spool item the file is, if it is one.
    #[serde(serialize_with = "shared::path")]
    #[schemars(with = "String")]
    pub path: FilePath,
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
                .map(|i| i.path.clone())
                .collect()
        })
        .collect();
    // In discovery order, before the items are sorted.
    let scanned = scanned_out(
        std::mem::take(&mut scan.scanned),
        &std::mem::take(&mut scan.items_before_scanned),
        &scan.spool_items,
    );
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
        scan_time: time.now,
        since: time.since,
        utc_offset: time.zone.offset_at(time.now),
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
            scanned,
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
        probe: None,
    }
}

impl Report {
    /// The report with the live probe's results (`probe`, `scan --probe`).
    pub fn with_probe(mut self, probe: Option<ProbeRun>) -> Report {
        self.probe = probe;
        self
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
    let users = scan.logs.users_not_kept;
    if users > 0 {
        out.push(format!(
            "The logs named more than {} distinct users in REGISTERs: {users} more REGISTER(s) \
             naming others were counted but their users are not listed, and the messages after \
             them are counted with no known sender.",
            oimdiag_analysis::digest::MAX_SIP_USERS
        ));
    }
    let triggers = scan.attempts_dropped.triggers_not_kept;
    if triggers > 0 {
        out.push(format!(
            "More than {} callees were offline (480) within five minutes: {triggers} more 480(s) \
             were counted but not matched to the offline messages after them.",
            oimdiag_analysis::correlate::MAX_TRIGGERS
        ));
    }
    let unchecked = scan.logs.duplicates_unchecked;
    if unchecked > 0 {
        out.push(format!(
            "More than 4,096 distinct events were stamped the same millisecond: {unchecked} \
             were not checked for a second telling by another source."
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

/// Times serialise as RFC 3339 in UTC to the second (`2026-11-23T09:14:03Z`),
/// offsets as `+01:00`: the model holds the typed values, the JSON their
/// spelling.
pub(crate) mod time {
    use chrono::{DateTime, FixedOffset, Utc};
    use oimdiag_vocab::timefmt::{offset_string, rfc3339};
    use serde::Serializer;

    pub fn instant<S: Serializer>(t: &DateTime<Utc>, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&rfc3339(*t))
    }

    pub fn maybe<S: Serializer>(t: &Option<DateTime<Utc>>, ser: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => instant(t, ser),
            None => ser.serialize_none(),
        }
    }

    pub fn offset<S: Serializer>(o: &FixedOffset, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&offset_string(*o))
    }
}

/// Shared strings serialise as the strings they hold.
mod shared {
    use oimdiag_vocab::file_path::FilePath;
    use serde::Serializer;

    pub fn path<S: Serializer>(p: &FilePath, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(&p.to_string_lossy())
    }
}

/// `inputs.scanned`: the files, moved out of the scan, and the spool items
/// (their paths shared with the items) among them in discovery order.
fn scanned_out(
    scanned: Vec<oimdiag_vocab::found::ScannedInput>,
    items_before: &[usize],
    items: &[SpoolItem],
) -> Vec<ScannedOut> {
    let mut items_out = items.iter().map(|i| ScannedOut {
        path: i.path.clone(),
        kind: InputKind::SpoolItem,
        note: oimdiag_evidence::scan::spooler::item_note(i),
    });
    let mut out = Vec::with_capacity(scanned.len() + items.len());
    let mut taken = 0;
    for (k, s) in scanned.into_iter().enumerate() {
        let before = items_before.get(k).copied().unwrap_or(0);
        out.extend(items_out.by_ref().take(before.saturating_sub(taken)));
        taken = taken.max(before);
        out.push(ScannedOut {
            path: FilePath::whole(&s.path),
            kind: s.kind,
            note: s.note,
        });
    }
    out.extend(items_out);
    out
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

mod messages;
mod visit;

use messages::spool_items_out;
pub use messages::{AttemptOut, Attempts, Recipients, SpoolItemOut, SpoolItems, TimelineEvent};
