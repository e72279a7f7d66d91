//! oimdiag: diagnoses why Skype for Business Offline IM messages never arrive.
//!
//! This crate is the top layer: the command line (`cli`), the options a scan
//! runs with (`config`), the pipeline that drives the layers below (`run`)
//! and where the report goes (`output`); `double_click` is the run for
//! people who start the .exe from Explorer. The layers, each using only those
//! before it: `oimdiag-vocab` ← `oimdiag-evidence` ← `oimdiag-analysis` ←
//! `oimdiag-rules` ← `oimdiag-report` ← this crate (README, "Development").

pub mod cli;
pub mod config;
pub mod double_click;
pub mod exit;
pub mod output;
pub mod run;
pub mod sigtest;
pub mod threads;
