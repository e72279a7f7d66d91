//! The typed vocabulary of log evidence. Readers (UccApilog, tracerpt CSV)
//! turn files into `Record`s; `interpret` turns records into `LogEvent`s;
//! admin exports give `AdminSetting`s. Rules read only these types.

use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;

/// One log record: a UccApilog line with its continuation lines, or one
/// tracerpt CSV row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// 1-based line number where the record starts.
    pub line: u64,
    /// The record's time in UTC (local log times already converted), when it has one.
    pub time: Option<DateTime<Utc>>,
    /// How `time` was told.
    pub clock: Clock,
    /// `INFO`, `ERROR`, ... when the format has one.
    pub level: Option<String>,
    /// The text after the `LEVEL ::` prefix on the first line (or the CSV text column).
    pub text: String,
    /// Continuation lines (a SIP packet's start line, headers, body), without line endings.
    pub continuation: Vec<String>,
}

/// How a record's time was told: an instant, or a local wall time read by
/// the zone rules in force (what cross-checking the clocks needs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Clock {
    /// No time.
    #[default]
    None,
    /// An instant as written: a FILETIME, a date with its offset.
    Absolute,
    /// A local time, read with this offset (seconds east of UTC).
    Local { offset: i32 },
}

impl Clock {
    pub fn is_absolute(self) -> bool {
        self == Clock::Absolute
    }
}

/// What a reader met that it could not use as-is; reported in `inputs`, never fatal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub records: u64,
    /// Records that carry a SIP packet (`Sending Packet` / `Data Received`).
    pub sip_packets: u64,
    /// EWS URLs met after a log's table of distinct ones was full.
    pub urls_not_noted: u64,
    /// Lines before the first record that are not records (no prefix to attach to).
    pub malformed_lines: u64,
    /// Lines with bytes invalid in the file's encoding (decoded with U+FFFD).
    pub lossy_lines: u64,
    /// Lines longer than the reader's limit (cut at the limit).
    pub cut_lines: u64,
    /// Continuation lines dropped because a record exceeded its line cap.
    pub dropped_lines: u64,
    /// Records whose timestamp could not be read.
    pub bad_times: u64,
    /// Lines not valid UTF-8 in a file without a byte-order mark, read as
    /// Windows-1252 (what Windows' ANSI code page is in the West).
    pub ansi_lines: u64,
    /// Dates were read day first (`DD/MM/YYYY`): the file's start proved it.
    pub day_first: bool,
    /// Records whose date reads only the other way round from the file's
    /// order (read that way).
    pub date_order_contradictions: u64,
    /// Records that name a SIP packet that could not be read.
    pub unparsed_packets: u64,
    /// The offsets local times were read with, and those in a DST gap or overlap.
    pub zone: crate::timezone::ZoneUse,
    /// A tracerpt header not in English: its columns were found by their shape.
    pub columns_by_shape: bool,
    /// tracerpt `Type` words the signature file's `tracerpt_type_words` does not know.
    pub unknown_types: UnknownWords,
}

/// Words a table did not know, as a reader met them: the rows counted, the
/// first few distinct words kept (for the file's note).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownWords {
    pub rows: u64,
    pub words: Vec<String>,
}

impl UnknownWords {
    /// Distinct words kept; the rest are only counted.
    const KEPT: usize = 3;
    /// The longest word kept, in characters.
    const WORD_CHARS: usize = 40;

    pub fn note(&mut self, word: &str) {
        self.rows += 1;
        if self.words.len() < Self::KEPT && !self.words.iter().any(|w| w == word) {
            self.words
                .push(word.chars().take(Self::WORD_CHARS).collect());
        }
    }

    pub fn add(&mut self, o: &UnknownWords) {
        self.rows += o.rows;
        for w in &o.words {
            if self.words.len() < Self::KEPT && !self.words.contains(w) {
                self.words.push(w.clone());
            }
        }
    }
}

impl ReadStats {
    pub fn add(&mut self, o: &ReadStats) {
        self.records += o.records;
        self.sip_packets += o.sip_packets;
        self.urls_not_noted += o.urls_not_noted;
        self.malformed_lines += o.malformed_lines;
        self.lossy_lines += o.lossy_lines;
        self.cut_lines += o.cut_lines;
        self.dropped_lines += o.dropped_lines;
        self.bad_times += o.bad_times;
        self.ansi_lines += o.ansi_lines;
        self.day_first |= o.day_first;
        self.date_order_contradictions += o.date_order_contradictions;
        self.unparsed_packets += o.unparsed_packets;
        self.zone.add(&o.zone);
        self.columns_by_shape |= o.columns_by_shape;
        self.unknown_types.add(&o.unknown_types);
    }
}

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// One string for every event of a file, shared.
    pub path: Arc<Path>,
    pub line: Option<u64>,
    /// A short excerpt of the record's first line; never a message body.
    pub excerpt: String,
}

/// The offline-IM and EWS events the signature table recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigEvent {
    OimQueued,
    OimProcessing,
    OimDelivered,
    OimFailed,
    OimSpooled,
    EwsResponse,
    EwsAutodiscoverOk,
    EwsAutodiscoverFailed,
    EwsStatus,
}

impl SigEvent {
    pub const ALL: [SigEvent; 9] = [
        SigEvent::OimQueued,
        SigEvent::OimProcessing,
        SigEvent::OimDelivered,
        SigEvent::OimFailed,
        SigEvent::OimSpooled,
        SigEvent::EwsResponse,
        SigEvent::EwsAutodiscoverOk,
        SigEvent::EwsAutodiscoverFailed,
        SigEvent::EwsStatus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SigEvent::OimQueued => "oim.queued",
            SigEvent::OimProcessing => "oim.processing",
            SigEvent::OimDelivered => "oim.delivered",
            SigEvent::OimFailed => "oim.failed",
            SigEvent::OimSpooled => "oim.spooled",
            SigEvent::EwsResponse => "ews.response",
            SigEvent::EwsAutodiscoverOk => "ews.autodiscover_ok",
            SigEvent::EwsAutodiscoverFailed => "ews.autodiscover_failed",
            SigEvent::EwsStatus => "ews.status",
        }
    }

    /// An offline-IM step (`oim.*`), as opposed to an EWS event (`ews.*`).
    pub fn is_oim(self) -> bool {
        matches!(
            self,
            SigEvent::OimQueued
                | SigEvent::OimProcessing
                | SigEvent::OimDelivered
                | SigEvent::OimFailed
                | SigEvent::OimSpooled
        )
    }

    pub fn from_name(s: &str) -> Option<SigEvent> {
        SigEvent::ALL.into_iter().find(|e| e.name() == s)
    }
}

/// Named captures a signature may fill.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SigFields {
    pub id: Option<String>,
    /// Lower-cased address without `sip:`.
    pub recipient: Option<String>,
    pub url: Option<String>,
    /// A second URL (autodiscover's external URL).
    pub url2: Option<String>,
    pub status: Option<u16>,
    pub file: Option<String>,
    pub reason: Option<String>,
    /// For `ews.status`: whether the status says EWS works.
    pub ok: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A signature-table hit.
    Signature { event: SigEvent, fields: SigFields },
    /// A client build from a SIP `User-Agent` (`OC/` part, or `UCCAPI/` as fallback).
    ClientBuild { build: String, from_oc: bool },
    /// The signed-in user, from a REGISTER.
    SipUser { address: String },
    /// `480 Temporarily Unavailable` to an INVITE: the callee is offline.
    CalleeOffline { callee: String },
    /// An in-band provisioning property of interest (e.g. EnableIMAutoArchiving).
    Provisioning {
        group: Option<String>,
        name: String,
        value: String,
    },
    /// The user's own `otherOptions` `imAutoArchiving`.
    UserImAutoArchiving { enabled: bool },
    /// An EWS URL seen anywhere in a record (tells where the mailbox is).
    EwsUrl { url: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogEvent {
    pub time: Option<DateTime<Utc>>,
    /// How `time` was told.
    pub clock: Clock,
    pub origin: Origin,
    pub kind: EventKind,
}

/// Which admin cmdlet's object a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdminObject {
    /// `Get-CsImConfiguration`
    ImConfiguration,
    /// `Get-CsClientPolicy`
    ClientPolicy,
}

/// A boolean setting read from a PowerShell admin export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSetting {
    pub object: AdminObject,
    /// The object's `Identity` (e.g. `Global`, `Tag:NoArchiving`), when present.
    pub identity: Option<String>,
    /// `EnableOfflineIM` or `EnableIMAutoArchiving`, as spelled in the export.
    pub name: String,
    pub value: bool,
    pub origin: Origin,
}
