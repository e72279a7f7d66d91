//! One scan from configuration to report: discover, read, judge, render, write.
//!
//! Reading: every log is read on a thread of its own and sends its events,
//! in batches through a bounded channel, to this thread, which merges the
//! logs into one timeline and folds it as it comes (`LogDigest`); rotated
//! logs and CSV exports of the same trace thus join in time order, and memory
//! holds a few batches per log, not the logs' events. Logs of 1 MiB or less
//! are read on a small pool instead, which holds a bounded number of events
//! for all of them (`POOL_EVENTS_AHEAD`) and reads a log again for the rest.
//! Spool items and admin exports are read meanwhile on a pool of worker threads.

mod batches;
mod merge;
pub mod probe;
mod progress;
mod read;
mod readers;

use read::discover_and_read;

use crate::config::{Format, ScanConfig};
use crate::exit::ExitStatus;
use crate::output;
use crate::threads;
use chrono::{DateTime, FixedOffset, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use oimdiag_analysis::correlate;
use oimdiag_analysis::coverage::Coverage;
use oimdiag_analysis::digest::LogDigest;
use oimdiag_analysis::facts;
use oimdiag_analysis::scan_data::{ClockDisagreement, ScanData};
use oimdiag_evidence::discover::{self, Discovery, FoundFile};
use oimdiag_evidence::fsread;
use oimdiag_evidence::installed;
use oimdiag_evidence::scan::{classify, logs, spooler};
use oimdiag_evidence::signatures::Signatures;
use oimdiag_report::machine::{Describes, MachineContext};
use oimdiag_report::redact;
use oimdiag_report::{self as report, Report, ReportTime};
use oimdiag_rules::diagnosis::diagnose;
use oimdiag_rules::{self as rules, RuleContext};
use oimdiag_vocab::events::{AdminSetting, LogEvent, ReadStats};
use oimdiag_vocab::found::{InputKind, ScannedInput, SkippedInput};
use oimdiag_vocab::timezone::{LocalZone, ZoneSource};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};

/// A scan that could not run at all (exit 2), with the message for stderr.
#[derive(Debug)]
pub struct UsageError(pub String);

/// Discovers and reads every input, then evaluates the rules.
pub fn scan(cfg: &ScanConfig) -> Result<Report, UsageError> {
    let default_location = cfg.paths.is_empty();
    let roots = if default_location {
        discover::default_roots().map_err(UsageError)?
    } else {
        cfg.paths.clone()
    };
    discover::check_roots(&roots)
        .map_err(|e| UsageError(format!("{}: {}", e.path.display(), e.reason)))?;
    if let Some(o) = &cfg.output {
        output::check_target(o, cfg.force, &roots).map_err(UsageError)?;
    }
    if let Some(since) = cfg.since.filter(|s| *s > cfg.now) {
        return Err(UsageError(format!(
            "--since {} is after the scan time {}: nothing could be judged",
            oimdiag_vocab::timefmt::rfc3339(since),
            oimdiag_vocab::timefmt::rfc3339(cfg.now)
        )));
    }

    let sigs = match &cfg.signatures {
        Some(p) => Signatures::with_user_file(p).map_err(UsageError)?,
        None => Signatures::builtin(),
    };
    let mut data = discover_and_read(&roots, default_location, cfg, &sigs);
    give_back_free_memory();
    // Local lines that disagree with absolute times by whole quarter hours
    // were read at the wrong offset. With no flag the offset that
    // reconciles them is adopted and everything is read again with it: a
    // second pass only then, so memory stays flat and the usual scan reads
    // once (OIM052 says which).
    let inferred;
    let mut cfg = cfg;
    let pairs = data.logs.clocks.clone();
    if pairs.off_by_quarter_hours() {
        let read_by = read_by(&cfg.zone);
        let adopt = pairs
            .reconciling()
            .filter(|_| cfg.zone.source == ZoneSource::Machine)
            .and_then(|(o, _)| FixedOffset::east_opt(o));
        if let Some(o) = adopt {
            let mut again = cfg.clone();
            again.zone = LocalZone::fixed(o, ZoneSource::Inferred);
            drop(data);
            data = discover_and_read(&roots, default_location, &again, &sigs);
            give_back_free_memory();
            inferred = again;
            cfg = &inferred;
        }
        data.clock_disagreement = Some(ClockDisagreement {
            pairs,
            read_by,
            adopted: adopt.map(|o| o.local_minus_utc()),
        });
    }
    // The installed client is read only for a scan of this machine's own
    // profile: a collected folder's client is not the one installed here.
    let local = discover::default_roots()
        .ok()
        .and_then(|r| r.into_iter().next());
    let this_machine = installed::is_this_machine(
        default_location,
        &roots,
        local.as_deref(),
        installed::profiles_folder().as_deref(),
    );
    if this_machine {
        data.installed = Some(installed::find_installed(
            &installed::program_files_folders(),
        ));
    }
    let machine = machine_context(cfg, &roots, this_machine);
    let facts = facts::derive(&data, &cfg.overrides());
    let coverage = Coverage::of(&data, &facts, cfg.window());
    // The network is touched only here, and only when asked (`--probe`).
    let probed = match &cfg.probe {
        Some(s) => {
            let plan = probe::plan(s, &data, &facts);
            Some(probe::run(s, &plan, default_location)?)
        }
        None => None,
    };
    let ctx = RuleContext {
        window: cfg.window(),
        roots: roots.iter().map(|r| r.display().to_string()).collect(),
        coverage: &coverage,
        this_machine: default_location,
        probe: probed.as_ref(),
    };
    let findings = rules::evaluate(&data, &facts, &ctx);
    let summary = diagnose(&findings, &data, &facts, &ctx);
    let time = ReportTime {
        now: cfg.now,
        since: cfg.since,
        zone: cfg.zone.clone(),
    };
    Ok(report::build(data, &facts, coverage, findings, summary, &time, machine).with_probe(probed))
}

/// Who and what ran the scan, for the report's `machine` block.
fn machine_context(cfg: &ScanConfig, roots: &[PathBuf], this_machine: bool) -> MachineContext {
    let zone = oimdiag_vocab::timezone::machine_zone();
    MachineContext {
        describes: if this_machine {
            Describes::ScannedMachine
        } else {
            Describes::ScanningMachine
        },
        hostname: installed::hostname(),
        os: installed::os_description(),
        user: installed::user_name(),
        time_zone: zone.name.or(zone.windows_id),
        scanned_roots: roots
            .iter()
            .map(|r| {
                std::path::absolute(r)
                    .unwrap_or_else(|_| r.clone())
                    .display()
                    .to_string()
            })
            .collect(),
        options: cfg.options.clone(),
    }
}

/// The zone rules in force, as a person would name them.
fn read_by(zone: &LocalZone) -> String {
    match (zone.source, &zone.name) {
        (ZoneSource::Machine, Some(name)) => format!("this machine's zone ({name})"),
        (ZoneSource::Machine, None) => "this machine's zone rules".to_string(),
        (ZoneSource::Flag, _) => zone.flag(),
        (ZoneSource::Inferred, _) => format!("the inferred offset {}", zone.flag()),
    }
}

/// Returns to the OS the memory the reading threads freed (their buffers and
/// batches) before the report is made on this thread: glibc keeps it in the
/// threads' arena, where this thread's allocations cannot reuse it, and the
/// peak would be both.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn give_back_free_memory() {
    // SAFETY: malloc_trim only releases free memory; no pointer is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn give_back_free_memory() {}

/// Renders and writes the report; the exit status follows `--fail-on`.
pub fn deliver(report: &Report, cfg: &ScanConfig) -> Result<ExitStatus, UsageError> {
    let redacted;
    let report = if cfg.redact {
        redacted = redact::redact(report.clone());
        &redacted
    } else {
        report
    };
    // Colour is decided only for text (on Windows deciding turns on the console's ANSI mode).
    let color = cfg.format == Format::Text && color_wanted(cfg);
    let reader = match cfg.format {
        // A page is LF everywhere: browsers do not mind, and its bytes are one.
        Format::Json | Format::Ndjson | Format::Html => output::Reader::Machine,
        Format::Text | Format::Markdown => output::Reader::People,
    };
    // Written as it is rendered: the report is never held whole in memory.
    let render = |w: &mut output::Sink<'_>| match cfg.format {
        Format::Json => report::json::write_on(report, crate::threads::count(usize::MAX), w),
        Format::Ndjson => report::ndjson::write(report, w),
        Format::Markdown => report::markdown::write(report, w),
        Format::Text => report::text::write(report, color, w),
        Format::Html => report::html::write(report, w),
    };
    match cfg.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            output::stream_file(path, cfg.force, reader, render).map_err(UsageError)?;
            if !cfg.quiet {
                eprintln!(
                    "oimdiag: {} — report written to {}",
                    report.summary.verdict.as_str().to_ascii_uppercase(),
                    oimdiag_report::text::clean(&path.display().to_string())
                );
            }
        }
        None => output::stream_stdout(render)
            .map_err(|e| UsageError(format!("cannot write the report: {e}")))?,
    }
    // Nothing could be judged: a script must not read that as "fine",
    // whatever --fail-on says (only `never` silences it).
    let inconclusive = report.summary.verdict == report::model::Verdict::Inconclusive;
    let failed = cfg.fail_on.is_some_and(|threshold| {
        inconclusive
            || report
                .findings
                .iter()
                .any(|f| f.severity.reaches(threshold))
    });
    Ok(if failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

/// `--color`: `auto` colours only a report going to a terminal, and not when
/// `NO_COLOR` is set to anything but the empty string (no-color.org).
fn color_wanted(cfg: &ScanConfig) -> bool {
    let to_terminal = cfg.output.is_none() && std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let wanted = report::text::use_color(cfg.color, to_terminal, no_color);
    // Windows consoles show ANSI codes only once virtual-terminal processing
    // is on; elsewhere this is `None` and terminals understand them.
    // A pipe or file gets the codes as asked (`--color always`).
    wanted && (!to_terminal || anstyle_query::windows::enable_ansi_colors().unwrap_or(true))
}
