//! How a finding is graded and what it cites: severities, and citations of
//! evidence (a file, a line, a short excerpt that never holds a message
//! body), capped so one finding never lists 50,000 lines.

use serde::Serialize;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    // Declared most severe first so sorting puts errors first.
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// Whether `self` is at least as severe as `threshold`.
    pub fn reaches(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

/// One piece of evidence: where it is, and a short excerpt that never holds a
/// message body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
// The JSON schema has always called it `Evidence` (the report's field).
#[schemars(rename = "Evidence")]
pub struct Citation {
    pub path: String,
    pub line: Option<u64>,
    pub excerpt: String,
}

/// Caps evidence lists so a spooler of 50,000 items does not make a finding of
/// 50,000 lines; the full list stays in `spool_items`.
pub const MAX_EVIDENCE: usize = 20;

/// Like `cap_evidence`, for evidence already cut to its first entries out of
/// `total` (what a streaming count keeps).
pub fn cap_evidence_of(mut ev: Vec<Citation>, total: usize, what: &str) -> Vec<Citation> {
    ev.truncate(MAX_EVIDENCE);
    let more = total.saturating_sub(ev.len());
    if more > 0 {
        ev.push(Citation {
            path: String::new(),
            line: None,
            excerpt: format!("… and {more} more {what} (all listed in the report's details)"),
        });
    }
    ev
}

pub fn cap_evidence(mut ev: Vec<Citation>, what: &str) -> Vec<Citation> {
    if ev.len() > MAX_EVIDENCE {
        let more = ev.len() - MAX_EVIDENCE;
        ev.truncate(MAX_EVIDENCE);
        ev.push(Citation {
            path: String::new(),
            line: None,
            excerpt: format!("… and {more} more {what} (all listed in the report's details)"),
        });
    }
    ev
}
