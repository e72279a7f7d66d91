//! One scan from configuration to report: discover, read, judge, render, write.

use crate::config::{Format, ScanConfig};
use crate::discover::{self, Discovery, FoundFile};
use crate::events::{AdminSetting, LogEvent, ReadStats};
use crate::exit::ExitStatus;
use crate::model::{InputKind, ScanData, ScannedInput, SkippedInput, SpoolItem};
use crate::report::{self, Report};
use crate::rules::{self, RuleContext};
use crate::scan::{classify, logs, spooler};
use crate::signatures::Signatures;
use crate::{correlate, facts, output, redact};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

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

    let sigs = match &cfg.signatures {
        Some(p) => Signatures::with_user_file(p).map_err(UsageError)?,
        None => Signatures::builtin(),
    };
    let found = discover::discover(&roots, default_location);
    let data = read_all(found, cfg, &sigs);
    let facts = facts::derive(&data, cfg);
    let ctx = RuleContext {
        now: cfg.now,
        roots: roots.iter().map(|r| r.display().to_string()).collect(),
    };
    // Logs in the shared Tracing folder name their user in REGISTERs; with one
    // profile and no REGISTER, that profile is the user.
    let sole_user = match facts.sip_users.as_slice() {
        [only] => Some(only.as_str()),
        _ => None,
    };
    let attempts = correlate::correlate(&data, cfg.now, sole_user);
    let findings = rules::evaluate(&data, &facts, &attempts, &ctx);
    Ok(report::build(&data, &facts, &attempts, findings, cfg))
}

fn read_all(found: Discovery, cfg: &ScanConfig, sigs: &Signatures) -> ScanData {
    let Discovery {
        files,
        profiles,
        spoolers,
        skipped,
    } = found;
    let mut data = ScanData {
        profiles,
        spoolers,
        skipped,
        ..ScanData::default()
    };
    let progress = progress_bar(cfg, files.len() as u64);
    let opts = spooler::ItemOptions {
        utc_offset: cfg.utc_offset,
        include_subjects: cfg.include_subjects,
        now: cfg.now,
    };
    let results = read_files(&files, &|f| {
        let r = read_file(f, cfg, sigs, &opts);
        progress.inc(1);
        r
    });
    progress.finish_and_clear();
    // Merged in discovery order, so the result is the same however the
    // files were shared out.
    for (f, r) in files.into_iter().zip(results) {
        merge(f, r, &mut data);
    }
    data.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    // Rotated logs (-0, -1, -2, .bak) and CSV exports merge into one timeline.
    data.events.sort_by(|a, b| {
        (a.time.is_none(), a.time, &a.origin.path, a.origin.line).cmp(&(
            b.time.is_none(),
            b.time,
            &b.origin.path,
            b.origin.line,
        ))
    });
    // The same moment told by two sources (a UccApilog and the tracerpt export
    // of the ETL trace) is one event: keep the first telling.
    // UccApilog times have milliseconds, ETL exports 100 ns: compare at the
    // coarser precision.
    // Decided on borrowed kinds (no copy of every event), then applied.
    let keep: Vec<bool> = {
        let mut told = std::collections::HashSet::with_capacity(data.events.len());
        data.events
            .iter()
            .map(|e| match e.time {
                None => true,
                Some(t) => told.insert((t.timestamp_millis(), &e.kind)),
            })
            .collect()
    };
    let mut keep = keep.into_iter();
    data.events.retain(|_| keep.next().unwrap_or(true));
    data.events.shrink_to_fit();
    data
}

/// What reading one file gave, before it joins the scan's data.
enum FileResult {
    Spool(Box<SpoolItem>),
    Log {
        kind: InputKind,
        events: Vec<LogEvent>,
        result: Result<(ReadStats, Option<String>), String>,
    },
    Admin(Result<(Vec<AdminSetting>, bool), String>),
    Other(InputKind),
    Skipped(String),
}

/// Threads for reading files: `OIMDIAG_THREADS` when set (1 = no threads),
/// else one per core, at most 8.
fn worker_count(files: usize) -> usize {
    let wanted = std::env::var("OIMDIAG_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(8)
        });
    wanted.min(files).max(1)
}

/// Reads every file, on as many threads as there are cores, and returns the
/// results in the order of `files`. Workers take files from a shared queue:
/// logs first, largest first, so one big log does not start last; then the
/// small files in order.
fn read_files(
    files: &[FoundFile],
    read: &(dyn Fn(&FoundFile) -> FileResult + Sync),
) -> Vec<FileResult> {
    let workers = worker_count(files.len());
    if workers <= 1 {
        return files.iter().map(read).collect();
    }
    let mut order: Vec<usize> = (0..files.len()).collect();
    // Stable: spool items (small, many) keep their order after the logs.
    order.sort_by_key(|&i| {
        let f = &files[i];
        (f.in_spooler, std::cmp::Reverse(f.size))
    });
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<FileResult>> = Vec::with_capacity(files.len());
    slots.resize_with(files.len(), || None);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&i) = order.get(k) else { break };
                        done.push((i, read(&files[i])));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(done) => {
                    for (i, r) in done {
                        slots[i] = Some(r);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    slots
        .into_iter()
        .map(|r| r.expect("every file was read by a worker"))
        .collect()
}

/// Reads one file: a spooled item, or anything else recognised by content.
fn read_file(
    f: &FoundFile,
    cfg: &ScanConfig,
    sigs: &Signatures,
    opts: &spooler::ItemOptions,
) -> FileResult {
    if f.in_spooler {
        return FileResult::Spool(Box::new(spooler::read_item(f, opts)));
    }
    let (path, open) = (f.path.as_path(), f.open.as_path());
    match classify::classify(open) {
        Ok(kind @ (InputKind::Uccapilog | InputKind::TracerptCsv)) => {
            let mut events = Vec::new();
            let result = logs::read_log(open, path, kind, cfg.utc_offset, sigs, &mut events);
            FileResult::Log {
                kind,
                events,
                result,
            }
        }
        Ok(InputKind::AdminExport) => FileResult::Admin(logs::read_admin(open, path)),
        Ok(kind) => FileResult::Other(kind),
        Err(reason) => FileResult::Skipped(reason),
    }
}

/// Adds one file's result to the scan's data, as reading it in turn would have.
fn merge(f: FoundFile, r: FileResult, data: &mut ScanData) {
    let path = f.path;
    let scanned = |path, kind, note| ScannedInput { path, kind, note };
    let skipped = |path, reason| SkippedInput { path, reason };
    match r {
        FileResult::Spool(item) => {
            let note = (item.size_bytes > spooler::ITEM_READ_LIMIT as u64).then(|| {
                format!(
                    "larger than {} KiB: its fields were read from the first {} KiB only",
                    spooler::ITEM_READ_LIMIT >> 10,
                    spooler::ITEM_READ_LIMIT >> 10
                )
            });
            data.spool_items.push(*item);
            data.scanned.push(scanned(path, InputKind::SpoolItem, note));
        }
        FileResult::Log {
            kind,
            mut events,
            result,
        } => {
            data.events.append(&mut events);
            match result {
                Ok((stats, broke_off)) => {
                    let note = match (logs::stats_note(&stats), broke_off) {
                        (Some(n), Some(b)) => Some(format!("{n}; {b}")),
                        (n, b) => n.or(b),
                    };
                    data.scanned.push(scanned(path, kind, note));
                }
                Err(reason) => data.skipped.push(skipped(path, reason)),
            }
        }
        FileResult::Admin(Ok((settings, cut))) => {
            data.admin.extend(settings);
            let note = cut.then(|| "larger than 16 MiB: only the start was read".to_string());
            data.scanned
                .push(scanned(path, InputKind::AdminExport, note));
        }
        FileResult::Admin(Err(reason)) => data.skipped.push(skipped(path, reason)),
        FileResult::Other(kind) => data.scanned.push(scanned(path, kind, None)),
        FileResult::Skipped(reason) => data.skipped.push(skipped(path, reason)),
    }
}

/// Progress on stderr only, only on a terminal, never with --quiet.
fn progress_bar(cfg: &ScanConfig, files: u64) -> ProgressBar {
    if cfg.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(files), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} scanning {pos}/{len} files {wide_bar}")
    {
        pb.set_style(style);
    }
    pb
}

/// Renders and writes the report; the exit status follows `--fail-on`.
pub fn deliver(report: &Report, cfg: &ScanConfig) -> Result<ExitStatus, UsageError> {
    let redacted;
    let report = if cfg.redact {
        redacted = redact::redact(report.clone());
        &redacted
    } else {
        report
    };
    let text = match cfg.format {
        Format::Json => report::json::render(report),
        Format::Ndjson => report::ndjson::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Text => report::text::render(report, color_wanted(cfg)),
    };
    match &cfg.output {
        Some(path) => output::write_file(path, &text, cfg.force).map_err(UsageError)?,
        None => output::write_stdout(&text)
            .map_err(|e| UsageError(format!("cannot write the report: {e}")))?,
    }
    let failed = cfg.fail_on.is_some_and(|threshold| {
        report
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
