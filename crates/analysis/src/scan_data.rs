//! Everything the readers found and the analysis folded: the only input of
//! the rules.

use oimdiag_vocab::found::{Profile, ScannedInput, SkippedInput, SpoolItem, UnreadableFolder};
use std::path::PathBuf;

/// Local log lines and absolute times of the same events that disagree by
/// whole quarter hours (OIM052): the pairs, and what the scan did.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockDisagreement {
    pub pairs: crate::clockcheck::ClockPairs,
    /// The rules the lines were read by, for people: `--tz Europe/Rome`,
    /// `this machine's zone (Europe/Rome)`.
    pub read_by: String,
    /// No flag pinned the rules, so the logs were read again at the offset
    /// that reconciles them (seconds east of UTC).
    pub adopted: Option<i32>,
}

/// Everything the scanners found; the only input of the rules.
#[derive(Debug, Default, Clone)]
pub struct ScanData {
    pub profiles: Vec<Profile>,
    /// `History Spooler` folders met, empty or not: an empty one is evidence of health.
    pub spoolers: Vec<PathBuf>,
    pub spool_items: Vec<SpoolItem>,
    /// The files read, other than spool items, in discovery order.
    pub scanned: Vec<ScannedInput>,
    /// For each of `scanned`, how many spool items were met before it: the
    /// items, read too, are listed among the files in that order (the first
    /// `items_before_scanned[k]` before `scanned[k]`, the others after all).
    pub items_before_scanned: Vec<usize>,
    pub skipped: Vec<SkippedInput>,
    /// What the logs told, folded as they were read.
    pub logs: crate::digest::LogFacts,
    /// Offline messages from the logs (those kept: see `attempts_dropped`),
    /// in queued order, linked to their spool items.
    pub attempts: Vec<crate::correlate::Attempt>,
    /// Messages past the number kept, counted.
    pub attempts_dropped: crate::correlate::Dropped,
    /// Settings from PowerShell admin exports.
    pub admin: Vec<oimdiag_vocab::events::AdminSetting>,
    /// Local and absolute times of the same events that disagree (OIM052).
    pub clock_disagreement: Option<ClockDisagreement>,
    /// What the log readers met, summed over every log read.
    pub log_stats: oimdiag_vocab::events::ReadStats,
    /// Admin exports read, and the objects in them that held a setting.
    pub admin_files: usize,
    /// Files below a History Spooler that are not messages (Windows shell
    /// files): skipped with the reason, counted here too.
    pub not_messages: usize,
    /// Profile or History Spooler folders that could not be listed, with
    /// the user they belong to (when the folder names one) and why.
    pub unreadable_folders: Vec<UnreadableFolder>,
    /// Copies of `lync.exe` found in the scanned folders.
    pub collected_clients: Vec<oimdiag_evidence::installed::ClientExe>,
    /// The client installed on this machine: read only when the scan is of
    /// a profile on this machine (`installed::is_this_machine`).
    pub installed: Option<oimdiag_evidence::installed::Installed>,
}
