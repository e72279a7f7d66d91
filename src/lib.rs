//! oimdiag: diagnoses why Skype for Business Offline IM messages never arrive.
//!
//! Layers, each reading only the one before it:
//! `discover` finds files → `scan::*` turn files into typed items and events
//! (`model`), logs folded in time order as they are read (`digest`,
//! `correlate`) → `rules` judge them into findings → `report` builds the report
//! model and renders it.

pub mod build_version;
pub mod cli;
pub mod clockcheck;
pub mod config;
pub mod correlate;
pub mod coverage;
pub mod digest;
pub mod discover;
pub mod events;
pub mod exit;
pub mod facts;
pub mod model;
pub mod output;
pub mod redact;
pub mod report;
pub mod rules;
pub mod run;
pub mod scan;
pub mod signatures;
pub mod sigtest;
pub mod threads;

/// Modules outside `scan` that read file content (opening it, dates in it)
/// get the scanners' no-panic lints too (see `scan`).
macro_rules! no_panic_on_input {
    ($($m:item)*) => {$(
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
        $m
    )*};
}

no_panic_on_input! {
    pub mod fsread;
    pub mod timefmt;
    pub mod timezone;
}
