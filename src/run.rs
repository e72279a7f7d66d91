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
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

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
    let data = discover_and_read(&roots, default_location, cfg, &sigs);
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

/// Files read before discovery has finished: the files of each Lync
/// folder's `Tracing` folder, the logs that are most of the reading, which a
/// second thread reads while the tree is walked. Discovery still decides what
/// is scanned: a guess it does not list is dropped, and a file it lists
/// differently (below a spooler, opened at another path) is read as listed.
struct Prefetch {
    files: Vec<FoundFile>,
    next: AtomicUsize,
}

impl Prefetch {
    fn claim(&self) -> Option<usize> {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        (k < self.files.len()).then_some(k)
    }

    /// Reads guesses until none is left unclaimed.
    fn drain(&self, read: &ReadFn) -> Vec<(usize, FileResult)> {
        let mut done = Vec::new();
        while let Some(k) = self.claim() {
            done.push((k, read(&self.files[k])));
        }
        done
    }
}

type ReadFn<'a> = dyn Fn(&FoundFile) -> FileResult + Sync + 'a;

/// Guesses read on their own thread while discovery ran: the results come
/// with the join.
type EarlyThread<'scope> = std::thread::ScopedJoinHandle<'scope, Vec<(usize, FileResult)>>;

/// The regular files directly in `<Lync>\Tracing` of each root, largest first.
fn likely_logs(roots: &[PathBuf]) -> Vec<FoundFile> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for root in roots {
        for lync in discover::lync_dirs(root) {
            let Ok(entries) = std::fs::read_dir(&lync) else {
                continue;
            };
            for dir in entries.flatten() {
                let is_tracing = dir.file_name().eq_ignore_ascii_case("Tracing")
                    && dir.file_type().is_ok_and(|t| t.is_dir());
                let Some(files) = is_tracing
                    .then(|| std::fs::read_dir(dir.path()).ok())
                    .flatten()
                else {
                    continue;
                };
                for f in files.flatten() {
                    // Not following links, as discovery does not.
                    let Ok(meta) = std::fs::symlink_metadata(f.path()) else {
                        continue;
                    };
                    if meta.is_file() && seen.insert(f.path()) {
                        out.push(FoundFile {
                            path: f.path(),
                            open: f.path(),
                            size: meta.len(),
                            mtime: meta.modified().ok(),
                            in_spooler: false,
                            profile: None,
                        });
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    out
}

/// Discovers the inputs and reads them. With more than one thread, the logs
/// that can be seen at once are read while the tree is still being walked.
fn discover_and_read(
    roots: &[PathBuf],
    strict_lync: bool,
    cfg: &ScanConfig,
    sigs: &Signatures,
) -> ScanData {
    let opts = spooler::ItemOptions {
        utc_offset: cfg.utc_offset,
        include_subjects: cfg.include_subjects,
        now: cfg.now,
    };
    let read = |f: &FoundFile| read_file(f, cfg, sigs, &opts);
    let guesses = if worker_count(usize::MAX) > 1 {
        likely_logs(roots)
    } else {
        Vec::new()
    };
    let prefetch = Prefetch {
        files: guesses,
        next: AtomicUsize::new(0),
    };
    if prefetch.files.is_empty() {
        return read_all(discover::discover(roots, strict_lync), cfg, &read, None);
    }
    std::thread::scope(|s| {
        let early = s.spawn(|| prefetch.drain(&read));
        let found = discover::discover(roots, strict_lync);
        read_all(found, cfg, &read, Some((&prefetch, early)))
    })
}

fn read_all(
    found: Discovery,
    cfg: &ScanConfig,
    read: &ReadFn,
    early: Option<(&Prefetch, EarlyThread<'_>)>,
) -> ScanData {
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
    let (prefetch, early_thread) = match early {
        Some((p, t)) => (Some(p), Some(t)),
        None => (None, None),
    };
    // Which discovered files were guessed, and so read (or being read) already.
    let guessed: Vec<Option<usize>> = match prefetch {
        Some(p) => {
            let by_path: std::collections::HashMap<&Path, usize> = p
                .files
                .iter()
                .enumerate()
                .map(|(k, g)| (g.path.as_path(), k))
                .collect();
            files
                .iter()
                .map(|f| {
                    by_path
                        .get(f.path.as_path())
                        .copied()
                        .filter(|_| !f.in_spooler && f.open == f.path)
                })
                .collect()
        }
        None => vec![None; files.len()],
    };
    let (mut results, mut early_results) =
        read_files(&files, &guessed, prefetch, read, &|| progress.inc(1));
    if let Some(t) = early_thread {
        match t.join() {
            Ok(done) => early_results.extend(done),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    let mut early_slots: Vec<Option<FileResult>> = Vec::new();
    early_slots.resize_with(prefetch.map_or(0, |p| p.files.len()), || None);
    for (k, r) in early_results {
        early_slots[k] = Some(r);
    }
    progress.inc(guessed.iter().flatten().count() as u64);
    progress.finish_and_clear();
    // Merged in discovery order, so the result is the same however the
    // files were shared out.
    for ((f, g), r) in files.into_iter().zip(guessed).zip(results.iter_mut()) {
        let r = match g {
            Some(k) => early_slots[k].take(),
            None => r.take(),
        };
        merge(f, r.expect("every file was read"), &mut data);
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

/// Reads every file not already `guessed`, on as many threads as there are
/// cores, and returns the results in the order of `files` (`None` for the
/// guessed ones), with the guesses the workers read. Workers first help with
/// the guesses left, then take files from a shared queue: logs first, largest
/// first, so one big log does not start last; then the small files in order.
fn read_files(
    files: &[FoundFile],
    guessed: &[Option<usize>],
    prefetch: Option<&Prefetch>,
    read: &ReadFn,
    tick: &(dyn Fn() + Sync),
) -> (Vec<Option<FileResult>>, Vec<(usize, FileResult)>) {
    let mut order: Vec<usize> = (0..files.len()).filter(|&i| guessed[i].is_none()).collect();
    let mut slots: Vec<Option<FileResult>> = Vec::with_capacity(files.len());
    slots.resize_with(files.len(), || None);
    let workers = worker_count(order.len());
    if workers <= 1 && prefetch.is_none() {
        for i in order {
            slots[i] = Some(read(&files[i]));
            tick();
        }
        return (slots, Vec::new());
    }
    // Stable: spool items (small, many) keep their order after the logs.
    order.sort_by_key(|&i| {
        let f = &files[i];
        (f.in_spooler, std::cmp::Reverse(f.size))
    });
    let next = AtomicUsize::new(0);
    let mut early = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let guesses = prefetch.map(|p| p.drain(read)).unwrap_or_default();
                    let mut done = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = order.get(k) else { break };
                        done.push((i, read(&files[i])));
                        tick();
                    }
                    (done, guesses)
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok((done, guesses)) => {
                    for (i, r) in done {
                        slots[i] = Some(r);
                    }
                    early.extend(guesses);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    (slots, early)
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
    // Colour is decided only for text (on Windows deciding turns on the console's ANSI mode).
    let color = cfg.format == Format::Text && color_wanted(cfg);
    let reader = match cfg.format {
        Format::Json | Format::Ndjson => output::Reader::Machine,
        Format::Text | Format::Markdown => output::Reader::People,
    };
    // Written as it is rendered: the report is never held whole in memory.
    let render = |w: &mut output::Sink<'_>| match cfg.format {
        Format::Json => report::json::write(report, w),
        Format::Ndjson => report::ndjson::write(report, w),
        Format::Markdown => report::markdown::write(report, w),
        Format::Text => report::text::write(report, color, w),
    };
    match &cfg.output {
        Some(path) => output::stream_file(path, cfg.force, reader, render).map_err(UsageError)?,
        None => output::stream_stdout(render)
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
