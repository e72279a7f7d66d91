//! What the scan read and what it understood (BRIEF §5 "Judged only from
//! what was understood"): the counts behind the report's `coverage`, and
//! whether there is client evidence at all. A verdict rests on these, so
//! they are counted from the same data the rules read, never estimated.

use crate::scan_data::ScanData;
use oimdiag_vocab::found::{Facts, ItemFormat, MailboxLocation, Placement, Window};
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Coverage {
    /// A History Spooler folder was listed (empty counts) or an item in one
    /// was read, or an offline-IM or EWS line was recognised in the logs
    /// within the judged time span.
    /// Without it the verdict cannot be better than `inconclusive`.
    pub client_evidence: bool,
    pub spooler: SpoolerCoverage,
    pub logs: LogCoverage,
    pub admin: AdminCoverage,
    /// Facts no evidence (and no flag) settled, by their JSON name.
    pub unknown_facts: Vec<&'static str>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SpoolerCoverage {
    /// History Spooler folders listed.
    pub folders: usize,
    /// Profile, spooler and other client folders that could not be listed.
    pub folders_unreadable: usize,
    /// Spool items read (`inputs.scanned` of kind `spool_item`):
    /// `parsed + opaque + empty`.
    pub items: usize,
    /// MIME or EWS-XML items.
    pub parsed: usize,
    /// Items of no known format, not empty.
    pub opaque: usize,
    /// Zero-byte items.
    pub empty: usize,
    /// Windows shell files below a spooler, skipped (in `inputs.skipped`).
    pub not_messages: usize,
    /// Items dated after the scan time / before `--since`: listed, not judged.
    pub after_scan_time: usize,
    pub before_since: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct LogCoverage {
    /// UccApilog and tracerpt CSV files read.
    pub files: usize,
    pub records: u64,
    pub sip_packets: u64,
    /// Offline-IM (`oim.*`) and EWS (`ews.*`) lines recognised and judged.
    pub oim_events: u64,
    pub ews_events: u64,
    /// Events dated after the scan time / before `--since`: not judged.
    pub after_scan_time: usize,
    pub before_since: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AdminCoverage {
    /// Admin exports read.
    pub files: usize,
    /// Objects (one `Identity` in one file) holding a setting read.
    pub objects: usize,
    /// Settings read (EnableOfflineIM, EnableIMAutoArchiving).
    pub settings: usize,
}

impl Coverage {
    pub fn of(scan: &ScanData, facts: &Facts, window: Window) -> Coverage {
        let mut spooler = SpoolerCoverage {
            folders: scan.spoolers.len(),
            folders_unreadable: scan.unreadable_folders.len(),
            not_messages: scan.not_messages,
            ..SpoolerCoverage::default()
        };
        for item in &scan.spool_items {
            spooler.items += 1;
            if item.size_bytes == 0 {
                spooler.empty += 1;
            } else if item.format == ItemFormat::Opaque {
                spooler.opaque += 1;
            } else {
                spooler.parsed += 1;
            }
            match window.place(item.sent_at) {
                Placement::AfterScanTime => spooler.after_scan_time += 1,
                Placement::BeforeSince => spooler.before_since += 1,
                Placement::Within => {}
            }
        }
        let l = &scan.logs;
        let logs = LogCoverage {
            files: scan.scanned.iter().filter(|s| s.kind.is_log()).count(),
            records: scan.log_stats.records,
            sip_packets: scan.log_stats.sip_packets,
            oim_events: l.oim_events,
            ews_events: l.ews_events,
            after_scan_time: l.future.count,
            before_since: l.before_since.count,
        };
        let objects: BTreeSet<(
            &std::path::Path,
            Option<&str>,
            oimdiag_vocab::events::AdminObject,
        )> = scan
            .admin
            .iter()
            .map(|s| (&*s.origin.path, s.identity.as_deref(), s.object))
            .collect();
        let admin = AdminCoverage {
            files: scan.admin_files,
            objects: objects.len(),
            settings: scan.admin.len(),
        };
        Coverage {
            // An item named on its own (its folder not listed) is client
            // evidence too: the client spooled it.
            client_evidence: spooler.folders > 0
                || spooler.items > spooler.after_scan_time + spooler.before_since
                || logs.oim_events + logs.ews_events > 0,
            spooler,
            logs,
            admin,
            unknown_facts: unknown_facts(facts),
        }
    }
}

fn unknown_facts(f: &Facts) -> Vec<&'static str> {
    let p = &f.policies;
    [
        ("sip_users", f.sip_users.is_empty()),
        ("client_build", f.client_build.is_none()),
        (
            "mailbox_location",
            f.mailbox_location == MailboxLocation::Unknown,
        ),
        ("ews_url", f.ews_url.is_none()),
        ("policies.enable_offline_im", p.enable_offline_im.is_none()),
        (
            "policies.enable_im_auto_archiving",
            p.enable_im_auto_archiving.is_none(),
        ),
        (
            "policies.user_im_auto_archiving",
            p.user_im_auto_archiving.is_none(),
        ),
    ]
    .into_iter()
    .filter_map(|(name, unknown)| unknown.then_some(name))
    .collect()
}
