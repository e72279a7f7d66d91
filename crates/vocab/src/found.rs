//! What the readers find: spool items, profiles, inputs scanned and skipped,
//! settings and facts, and the window of time judged. Rules never look at
//! raw text: everything they need is a field here or in `events`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The span of time a scan judges (BRIEF §5): the report is what a scan at
/// `now` would have seen, judging only evidence from `since` on. Evidence
/// outside it is counted and listed, never judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub now: DateTime<Utc>,
    pub since: Option<DateTime<Utc>>,
}

/// Where a time falls against a [`Window`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    BeforeSince,
    Within,
    AfterScanTime,
}

impl Window {
    pub fn at(now: DateTime<Utc>) -> Window {
        Window { now, since: None }
    }

    pub fn place(&self, t: DateTime<Utc>) -> Placement {
        if t > self.now {
            Placement::AfterScanTime
        } else if self.since.is_some_and(|s| t < s) {
            Placement::BeforeSince
        } else {
            Placement::Within
        }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.place(t) == Placement::Within
    }
}

/// What a file was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    SpoolItem,
    Uccapilog,
    TracerptCsv,
    AdminExport,
    /// A copy of the client's `lync.exe`: its file version is the build.
    ClientBinary,
}

impl InputKind {
    /// A UccApilog or a tracerpt CSV export (not an item, not an admin export).
    pub fn is_log(self) -> bool {
        matches!(self, InputKind::Uccapilog | InputKind::TracerptCsv)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedInput {
    /// (Spool items are not among these: see `ScanData::items_before_scanned`.)
    pub path: Arc<Path>,
    pub kind: InputKind,
    /// What the reader could not use as-is (bad bytes, cut lines, ...), if anything.
    pub note: Option<String>,
}

/// A file or folder met during the scan that was not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedInput {
    pub path: PathBuf,
    pub reason: String,
}

/// A `sip_<address>` profile folder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Profile {
    /// The sign-in address, lower-cased, without `sip:`.
    pub address: String,
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemFormat {
    Mime,
    Xml,
    Opaque,
}

impl ItemFormat {
    /// As the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemFormat::Mime => "mime",
            ItemFormat::Xml => "xml",
            ItemFormat::Opaque => "opaque",
        }
    }

    /// Every value, for the test that the spelling matches serde's.
    pub const ALL: &'static [ItemFormat] = &[ItemFormat::Mime, ItemFormat::Xml, ItemFormat::Opaque];
}

/// Where an item's sent time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    Content,
    Mtime,
}

impl TimeSource {
    /// As the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Content => "content",
            TimeSource::Mtime => "mtime",
        }
    }

    /// Every value, for the test that the spelling matches serde's.
    pub const ALL: &'static [TimeSource] = &[TimeSource::Content, TimeSource::Mtime];
}

/// One file below a `History Spooler` folder. Holds metadata only: the body is
/// never read into this type, and the subject only when the user asked for it.
#[derive(Debug, Clone, PartialEq)]
// A spooler may hold 100,000 items: the path is shared with `inputs`, and the
// strings that repeat (profile, addresses, message class) are shared among
// items rather than copied into each.
pub struct SpoolItem {
    /// The item's file: its folder, held once for the folder's items, and
    /// its name.
    pub path: crate::file_path::FilePath,
    /// The profile address this item belongs to, from the nearest `sip_*` folder.
    pub profile: Option<Arc<str>>,
    pub size_bytes: u64,
    pub sent_at: DateTime<Utc>,
    pub sent_at_source: TimeSource,
    pub format: ItemFormat,
    /// The first address in `To` (then `Cc`): what the item is linked to a
    /// logged message by.
    pub recipient: Option<Arc<str>>,
    /// The addresses after `recipient`, in order.
    pub other_recipients: MoreRecipients,
    pub sender: Option<Arc<str>>,
    pub message_class: Option<Arc<str>>,
    /// Boxed, not `String`: a word less on each of 100,000 items.
    pub subject: Option<Box<str>>,
    /// Why the item could not be (fully) read or parsed, if it could not.
    pub problem: Option<Box<str>>,
    /// Lines of its fields that were not valid UTF-8 and were read as
    /// Windows-1252 (the item has no byte-order mark). 16 bits hold them
    /// all (a line ends at a byte of the 64 KiB read) and fit beside the
    /// one-byte fields, where a wider count would grow every item.
    pub ansi_lines: u16,
    /// Its date had no offset: the offset the zone rules gave it, and
    /// whether it fell in a DST gap or overlap.
    pub local_date: Option<(i32, crate::timezone::Fold)>,
}

/// An item's recipients after the first. Most items have none, and then
/// this costs one null pointer: a boxed slice would cost two words on each
/// of 100,000 items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MoreRecipients(
    #[expect(
        clippy::box_collection,
        reason = "one word on every item: the extra allocation is made only for the few with several recipients"
    )]
    Option<Box<Vec<Arc<str>>>>,
);

impl MoreRecipients {
    pub fn iter(&self) -> std::slice::Iter<'_, Arc<str>> {
        self.0.as_deref().map_or(&[][..], Vec::as_slice).iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Arc<str>> {
        self.0
            .as_deref_mut()
            .map_or(&mut [][..], Vec::as_mut_slice)
            .iter_mut()
    }
}

impl FromIterator<Arc<str>> for MoreRecipients {
    fn from_iter<I: IntoIterator<Item = Arc<str>>>(iter: I) -> Self {
        let v: Vec<Arc<str>> = iter.into_iter().collect();
        MoreRecipients((!v.is_empty()).then(|| Box::new(v)))
    }
}

impl SpoolItem {
    /// Every recipient: `recipient`, then `other_recipients`.
    pub fn recipients(&self) -> impl Iterator<Item = &Arc<str>> + '_ {
        self.recipient.iter().chain(self.other_recipients.iter())
    }
}

/// A profile or History Spooler folder that exists but could not be listed:
/// that user's evidence is missing, not healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableFolder {
    pub path: PathBuf,
    pub user: Option<String>,
    pub reason: String,
}

/// Where the user's mailbox lives, as far as the evidence (or the user) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailboxLocation {
    Online,
    OnPremises,
    Unknown,
}

impl MailboxLocation {
    /// As the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MailboxLocation::Online => "online",
            MailboxLocation::OnPremises => "on_premises",
            MailboxLocation::Unknown => "unknown",
        }
    }

    /// Every value, for the test that the spelling matches serde's.
    pub const ALL: &'static [MailboxLocation] = &[
        MailboxLocation::Online,
        MailboxLocation::OnPremises,
        MailboxLocation::Unknown,
    ];
}

/// Where a fact came from: a file and line, or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub kind: SourceKind,
    /// The file (empty for a flag).
    pub path: String,
    pub line: Option<u64>,
    pub excerpt: String,
}

/// Whether a fact was read from a file, set by a flag, or read from this
/// machine's installation (the installed `lync.exe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    File,
    Flag,
    Machine,
}

/// A policy value and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: bool,
    pub source: Source,
}

/// Policies bearing on Offline IM, as seen in logs or admin exports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    /// Server: `Get-CsImConfiguration` EnableOfflineIM.
    pub enable_offline_im: Option<Setting>,
    /// Client policy: `Get-CsClientPolicy` EnableIMAutoArchiving (or in-band provisioning).
    pub enable_im_auto_archiving: Option<Setting>,
    /// The user's own option, `otherOptions` `imAutoArchiving`.
    pub user_im_auto_archiving: Option<Setting>,
}

/// What is known about the machine and user, derived from scans and overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub sip_users: Vec<String>,
    pub client_build: Option<crate::build_version::ClientBuild>,
    pub client_build_source: Option<Source>,
    pub install_type: crate::build_version::InstallType,
    pub mailbox_location: MailboxLocation,
    pub mailbox_source: Option<Source>,
    pub ews_url: Option<String>,
    pub policies: Policies,
    /// The build the logs show, whether or not it is `client_build`.
    pub logged_build: Option<(crate::build_version::ClientBuild, Source)>,
    /// The file version of `lync.exe` (installed, else collected), whether
    /// or not it is `client_build`.
    pub exe_build: Option<ExeBuild>,
}

/// A `lync.exe`'s file version and where it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct ExeBuild {
    pub build: crate::build_version::ClientBuild,
    pub install_type: crate::build_version::InstallType,
    pub source: Source,
    /// Installed on this machine (else a copy in a scanned folder).
    pub installed: bool,
}

/// The two-minute timer: from an offline message being sent to it being
/// picked up and processed (source document, "Troubleshooting").
pub const TIMER_SECS: i64 = 120;

/// Whether two addresses are in different domains.
pub fn other_domain(a: &str, b: &str) -> bool {
    fn domain(s: &str) -> Option<&str> {
        s.rsplit_once('@').map(|(_, d)| d)
    }
    match (domain(a), domain(b)) {
        (Some(x), Some(y)) => !x.eq_ignore_ascii_case(y),
        _ => false,
    }
}

#[cfg(test)]
mod spelling_tests {
    use super::*;
    use crate::build_version::InstallType;

    fn serde_spelling<T: Serialize>(v: T) -> String {
        serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Renderers show `as_str`; the JSON shows serde's spelling: one word.
    #[test]
    fn as_str_is_the_json_spelling() {
        for v in ItemFormat::ALL {
            assert_eq!(v.as_str(), serde_spelling(v));
        }
        for v in TimeSource::ALL {
            assert_eq!(v.as_str(), serde_spelling(v));
        }
        for v in MailboxLocation::ALL {
            assert_eq!(v.as_str(), serde_spelling(v));
        }
        for v in InstallType::ALL {
            assert_eq!(v.as_str(), serde_spelling(v));
        }
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// A scan holds every spool item to the end (100,000 in the memory
    /// bench): each word on the item is 0.8 MB of peak memory there. (Its
    /// path is three: its name and its folder, the folder's bytes held
    /// once for the folder's items.)
    #[test]
    fn a_spool_item_stays_small() {
        assert!(
            std::mem::size_of::<SpoolItem>() <= 160,
            "{} bytes",
            std::mem::size_of::<SpoolItem>()
        );
    }
}
