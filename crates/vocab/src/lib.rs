//! oimdiag's vocabulary: the words every layer above speaks (spool items,
//! log events, facts, client builds, severities, citations, rule ids) and
//! the local-time rules that turn a logged time into an instant. It reads no
//! file and knows no layer above it.
//!
//! Layers, each using only those before it: `oimdiag-vocab` ←
//! `oimdiag-evidence` ← `oimdiag-analysis` ← `oimdiag-rules` ←
//! `oimdiag-report` ← the `oimdiag` binary (README, "Development").

pub mod build_version;
pub mod citation;
pub mod events;
pub mod file_path;
pub mod found;
pub mod probe;
pub mod rule_id;

/// The version and build modules read dates and versions out of file
/// content (via the readers), so none may panic on it: docs/robustness.md §1.
#[deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    clippy::unreachable
)]
#[cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
pub mod timefmt;
#[deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    clippy::unreachable
)]
#[cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
pub mod timezone;
