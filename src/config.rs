//! The runtime configuration a scan runs with, built from the command line.

use chrono::{DateTime, Utc};
use oimdiag_analysis::facts::Overrides;
use oimdiag_rules::Severity;
use oimdiag_vocab::build_version::ClientBuild;
use oimdiag_vocab::found::Window;
use oimdiag_vocab::timezone::LocalZone;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Ndjson,
    Html,
}

pub use oimdiag_analysis::facts::MailboxChoice;
pub use oimdiag_report::text::ColorChoice;

/// The lowest severity that makes the exit status 1; `None` = never.
pub type FailOn = Option<Severity>;

#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Empty: this machine's `%LOCALAPPDATA%`.
    pub paths: Vec<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub force: bool,
    /// The instant the two-minute timer is measured against: the report is
    /// what a scan at this time would have seen.
    pub now: DateTime<Utc>,
    /// Evidence before this is counted and listed, not judged (`--since`).
    pub since: Option<DateTime<Utc>>,
    /// The zone rules local times without an offset are read by (logs,
    /// some item dates): `--tz`, `--utc-offset`, else the machine's.
    pub zone: LocalZone,
    pub mailbox: MailboxChoice,
    pub client_build: Option<ClientBuild>,
    /// A user signature file (extends or replaces the built-in table).
    pub signatures: Option<PathBuf>,
    pub fail_on: FailOn,
    pub quiet: bool,
    pub include_subjects: bool,
    pub color: ColorChoice,
    /// Pseudonymise addresses, hosts and profile path segments in the report.
    pub redact: bool,
    /// The options as given (not the PATHs), for the report's `machine` block.
    pub options: Vec<String>,
    /// `scan --probe` or `probe`: what to probe and how. `None`: no network.
    pub probe: Option<ProbeSettings>,
}

/// What the live probe is told.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// `--ews-url`; empty: the EWS URLs in the evidence.
    pub ews_urls: Vec<String>,
    /// `--email`.
    pub email: Option<String>,
    pub opts: oimdiag_probe::Options,
}

impl ScanConfig {
    /// What the user set that wins over the evidence.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            client_build: self.client_build,
            mailbox: self.mailbox,
        }
    }

    /// The span of time this scan judges.
    pub fn window(&self) -> Window {
        Window {
            now: self.now,
            since: self.since,
        }
    }
}
