//! One scan from configuration to report: discover, read, judge, render, write.
//!
//! Reading: every log is read on a thread of its own and sends its events,
//! in batches through a bounded channel, to this thread, which merges the
//! logs into one timeline and folds it as it comes (`LogDigest`); rotated
//! logs and CSV exports of the same trace thus join in time order, and memory
//! holds a few batches per log, not the logs' events. Spool items and admin
//! exports are read meanwhile on a pool of worker threads.

use crate::config::{Format, ScanConfig};
use crate::exit::ExitStatus;
use crate::output;
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
use oimdiag_vocab::threads;
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

/// Spool items a pool worker takes at a time.
const POOL_CHUNK: usize = 64;

/// Events a log thread sends at a time.
const BATCH: usize = 256;
/// Batches all log threads together may read ahead of the merge before they
/// wait: enough for logs of sparse events to be read while others are
/// merged (rotated logs cover one time span after another, so the merge
/// takes one log's events at a time, and the others are read only as far as
/// this lets them), and a bound (an event is about 400 bytes: some 26 MB)
/// for logs that are nothing but events. Shared out among the logs, between
/// 2 and 64 each. At 1 GiB + 100k items (four logs of 10,000 events each),
/// 16 a log left the last two logs to be read alone after the items: 64
/// lets them be read with the items, 8% sooner, for 1.3 MB more at the peak.
const BATCHES_AHEAD: usize = 256;

/// Logs this small are read whole by a few pooled threads rather than each
/// streamed by a thread of its own: a collection of 20,000 small rotated
/// logs would otherwise start 20,000 threads at once (293 MB peak for 90 MB
/// of logs). Their events wait for the merge in memory, which for a log this
/// size is at most a few hundred KB (and nothing for the noise most lines are).
const SMALL_LOG: u64 = 1 << 20;

/// Large logs read while discovery still walks the tree, at most.
const MAX_GUESSES: usize = 64;

fn batches_ahead(logs: usize) -> usize {
    (BATCHES_AHEAD / logs.max(1)).clamp(2, 64)
}

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
    let ctx = RuleContext {
        window: cfg.window(),
        roots: roots.iter().map(|r| r.display().to_string()).collect(),
        coverage: &coverage,
        this_machine: default_location,
    };
    let findings = rules::evaluate(&data, &facts, &ctx);
    let summary = diagnose(&findings, &data, &facts, &ctx);
    let time = ReportTime {
        now: cfg.now,
        since: cfg.since,
        zone: cfg.zone.clone(),
    };
    Ok(report::build(
        data, &facts, coverage, findings, summary, &time, machine,
    ))
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

/// The regular files directly in `<Lync>\Tracing` of each root, largest
/// first: the logs that are most of the reading, started while discovery
/// still walks the tree.
fn likely_logs(roots: &[PathBuf]) -> Vec<FoundFile> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    // Listed as discovery lists (keeping the folders' access times); not
    // following links, as discovery does not.
    let is_dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
    for root in roots {
        for lync in discover::lync_dirs(root) {
            let Ok(names) = discover::list_names(&lync) else {
                continue;
            };
            for tracing in names
                .iter()
                .filter(|n| n.eq_ignore_ascii_case("Tracing"))
                .map(|n| lync.join(n))
                .filter(|p| is_dir(p))
            {
                let Ok(files) = discover::list_names(&tracing) else {
                    continue;
                };
                for path in files.into_iter().map(|n| tracing.join(n)) {
                    let Ok(meta) = std::fs::symlink_metadata(&path) else {
                        continue;
                    };
                    if meta.is_file() && seen.insert(path.clone()) {
                        out.push(FoundFile {
                            path: path.into(),
                            link_target: None,
                            size: meta.len(),
                            mtime: meta.modified().ok(),
                            profile: None,
                        });
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
    // Small ones are read on the small-log pool once discovery is done.
    out.retain(|f| f.size > SMALL_LOG);
    out.truncate(MAX_GUESSES);
    out
}

/// Everything a file reader needs.
struct Readers<'a> {
    cfg: &'a ScanConfig,
    sigs: &'a Signatures,
    opts: spooler::ItemOptions,
    progress: Progress,
}

/// One file read on a thread of its own: a log sends its events through
/// `events`; the thread's result is the rest of what reading gave.
struct LogThread<'scope> {
    events: Receiver<Vec<LogEvent>>,
    done: ScopedJoinHandle<'scope, FileResult>,
}

impl Readers<'_> {
    /// Starts reading `f` on its own thread. `kind` is what it was
    /// recognised as, or `None` to recognise it there.
    fn spawn<'scope, 'env>(
        &'env self,
        s: &'scope Scope<'scope, 'env>,
        f: FoundFile,
        kind: Option<InputKind>,
        ahead: usize,
    ) -> LogThread<'scope> {
        let (tx, rx) = sync_channel(ahead);
        let done = s.spawn(move || {
            let kind = match kind {
                Some(k) => Ok(k),
                None => classify::classify(f.open()),
            };
            match kind {
                Ok(k @ (InputKind::Uccapilog | InputKind::TracerptCsv)) => {
                    self.stream_log(&f, k, tx)
                }
                other => self.read_other(&f, other),
            }
        });
        LogThread { events: rx, done }
    }

    /// Reads a log, sending its events in batches. When the merge no longer
    /// wants them (a guess discovery did not confirm), the rest is not read.
    fn stream_log(
        &self,
        f: &FoundFile,
        kind: InputKind,
        tx: SyncSender<Vec<LogEvent>>,
    ) -> FileResult {
        self.read_log_into(f, kind, &|batch| tx.send(batch).is_ok())
    }

    /// Reads a log, handing its events to `send` in batches; `send` says
    /// whether more are wanted.
    fn read_log_into(
        &self,
        f: &FoundFile,
        kind: InputKind,
        send: &dyn Fn(Vec<LogEvent>) -> bool,
    ) -> FileResult {
        let mut batch = Vec::with_capacity(BATCH);
        let mut wanted = true;
        let mut sink = |e: LogEvent| {
            if !wanted {
                return;
            }
            batch.push(e);
            if batch.len() >= BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                wanted = send(full);
            }
        };
        let result = logs::read_log(
            f.open(),
            &f.path,
            kind,
            &self.cfg.zone,
            self.sigs,
            &mut sink,
            &|n| self.progress.bytes(n),
        );
        if wanted && !batch.is_empty() {
            send(batch);
        }
        FileResult::Log { kind, result }
    }

    /// Reads a file that is not a log (or was not recognised) and not a
    /// spool item (those are read by the pool).
    fn read_other(&self, f: &FoundFile, kind: Result<InputKind, String>) -> FileResult {
        match kind {
            Ok(InputKind::AdminExport) => {
                FileResult::Admin(logs::read_admin(f.open(), &f.path, self.sigs))
            }
            Ok(InputKind::ClientBinary) => {
                FileResult::Client(installed::pe::file_version_of(f.open()))
            }
            Ok(kind) => FileResult::Other(kind),
            Err(reason) => FileResult::Skipped(reason),
        }
    }
}

/// Discovers the inputs and reads them.
fn discover_and_read(
    roots: &[PathBuf],
    strict_lync: bool,
    cfg: &ScanConfig,
    sigs: &Signatures,
) -> ScanData {
    let readers = Readers {
        progress: Progress::new(cfg),
        cfg,
        sigs,
        opts: spooler::ItemOptions {
            zone: cfg.zone.clone(),
            include_subjects: cfg.include_subjects,
            now: cfg.now,
        },
    };
    let readers = &readers;
    std::thread::scope(|s| {
        // With more than one core, the logs that can be seen at once are
        // read while the tree is still being walked.
        let guesses: Vec<(FoundFile, LogThread)> = if threads::count(usize::MAX) > 1 {
            let likely = likely_logs(roots);
            let ahead = batches_ahead(likely.len());
            likely
                .into_iter()
                .map(|g| {
                    let t = readers.spawn(s, g.clone(), None, ahead);
                    (g, t)
                })
                .collect()
        } else {
            Vec::new()
        };
        let found = discover::discover(roots, strict_lync, cfg.now);
        read_all(s, found, readers, guesses)
    })
}

/// How one discovered file (not a spool item: the pool reads those) is
/// being read.
enum Reading<'scope> {
    /// On a thread of its own (logs, and guesses of logs).
    Thread(Box<LogThread<'scope>>),
    /// Already, here.
    Done(Box<FileResult>),
    /// A small log, read whole on the small-log pool; its result is put in
    /// `SmallLogs::results` at its index.
    Pooled(Receiver<Vec<LogEvent>>),
    /// A log about to get its thread.
    Pending,
}

/// A small log waiting for the pool: its index among the files, the file,
/// what it is, and where its events go.
type SmallLog = (
    usize,
    FoundFile,
    InputKind,
    std::sync::mpsc::Sender<Vec<LogEvent>>,
);

/// Small logs waiting for the pool, and what reading each gave.
struct SmallLogs {
    queue: std::sync::Mutex<std::collections::VecDeque<SmallLog>>,
    results: std::sync::Mutex<HashMap<usize, FileResult>>,
}

fn read_all<'scope, 'env>(
    s: &'scope Scope<'scope, 'env>,
    found: Discovery,
    readers: &'env Readers<'env>,
    guesses: Vec<(FoundFile, LogThread<'scope>)>,
) -> ScanData {
    let Discovery {
        files,
        mut items,
        item_targets,
        item_stat_at_read,
        profiles,
        spoolers,
        skipped,
        not_messages,
        unreadable,
        ..
    } = found;
    let mut data = ScanData {
        profiles,
        spoolers,
        skipped,
        not_messages,
        unreadable_folders: unreadable,
        // Sized once: a spooler of 100,000 items would otherwise grow it
        // by doubling, to twice the room.
        scanned: Vec::with_capacity(files.len() + items.len()),
        ..ScanData::default()
    };
    let progress = &readers.progress;
    // Items add their bytes as they are read: most were listed without
    // their size.
    progress.discovered(
        files.len() + items.len(),
        files.iter().map(|(_, f)| f.size).sum::<u64>(),
    );
    let mut guesses: HashMap<Arc<Path>, LogThread> =
        guesses.into_iter().map(|(g, t)| (g.path, t)).collect();
    // Discovery decides what is scanned: a guess is used only for a file it
    // lists at the same path, outside any spooler, opened where it is.
    let mut readings: Vec<Reading> = Vec::with_capacity(files.len());
    let mut logs: Vec<(usize, InputKind)> = Vec::new();
    for (i, (_, f)) in files.iter().enumerate() {
        let guess = f
            .link_target
            .is_none()
            .then(|| guesses.remove(&f.path))
            .flatten();
        readings.push(match guess {
            Some(t) => Reading::Thread(Box::new(t)),
            None => match classify::classify(f.open()) {
                Ok(k @ (InputKind::Uccapilog | InputKind::TracerptCsv)) => {
                    logs.push((i, k));
                    Reading::Pending
                }
                other => Reading::Done(Box::new(readers.read_other(f, other))),
            },
        });
    }
    // The other logs, now that it is known how many there are: large ones
    // on threads of their own, small ones on a pool.
    let small = SmallLogs {
        queue: Default::default(),
        results: Default::default(),
    };
    let (large, smalls): (Vec<_>, Vec<_>) = logs
        .into_iter()
        .partition(|(i, _)| files.get(*i).is_some_and(|(_, f)| f.size > SMALL_LOG));
    let ahead = batches_ahead(large.len());
    for (i, k) in large {
        if let Some((_, f)) = files.get(i) {
            let f = f.clone();
            readings[i] = Reading::Thread(Box::new(readers.spawn(s, f, Some(k), ahead)));
        }
    }
    let small_workers = threads::count(smalls.len().max(1)).min(smalls.len());
    for (i, k) in smalls {
        if let Some((_, f)) = files.get(i) {
            // Unbounded: a worker never waits for the merge, so the merge
            // can never wait for a log no worker is free to read.
            let (tx, rx) = std::sync::mpsc::channel();
            readings[i] = Reading::Pooled(rx);
            if let Ok(mut q) = small.queue.lock() {
                q.push_back((i, f.clone(), k, tx));
            }
        }
    }
    let small = &small;
    // Guesses discovery did not confirm: their events are not wanted.
    drop(guesses);

    // Spool items are read on the pool while the logs are merged here, each
    // into its place in discovery's list: no second list of items is made.
    let targets: HashMap<usize, PathBuf> = item_targets.into_iter().collect();
    let mut digest = LogDigest::new(readers.cfg.window());
    let workers = match items.len() {
        0 => 0,
        n => threads::count(n),
    };
    // Shared out a chunk at a time, to whichever worker is free.
    let chunks = std::sync::Mutex::new(items.chunks_mut(POOL_CHUNK).enumerate());
    std::thread::scope(|ps| {
        for _ in 0..small_workers {
            ps.spawn(move || loop {
                let next = small.queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some((i, f, kind, tx)) = next else { break };
                let r = readers.read_log_into(&f, kind, &|batch| tx.send(batch).is_ok());
                drop(tx);
                if let Ok(mut results) = small.results.lock() {
                    results.insert(i, r);
                }
            });
        }
        let (chunks, targets) = (&chunks, &targets);
        let stat_at_read = &item_stat_at_read;
        let pool: Vec<_> = (0..workers)
            .map(|_| {
                ps.spawn(move || {
                    let mut shared = spooler::SharedStrings::default();
                    let mut buf = Vec::with_capacity(spooler::ITEM_READ_LIMIT + 1);
                    // The folder of the items last read, held open (Linux).
                    // (None when it could not be held: then by path.)
                    let mut folder: Option<(PathBuf, Option<fsread::Folder>)> = None;
                    loop {
                        let next = chunks.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some((c, chunk)) = next else { break };
                        for (k, item) in chunk.iter_mut().enumerate() {
                            let k = c * POOL_CHUNK + k;
                            let open = match targets.get(&k) {
                                Some(target) => target.clone(),
                                None => item.path.to_path_buf(),
                            };
                            let stat = stat_at_read.get(k).copied().unwrap_or(false);
                            let dir = open.parent().filter(|_| !targets.contains_key(&k));
                            if let Some(d) = dir {
                                if folder.as_ref().is_none_or(|(p, _)| p != d) {
                                    folder = Some((d.to_path_buf(), fsread::Folder::open(d).ok()));
                                }
                            }
                            let held = folder
                                .as_ref()
                                .filter(|_| dir.is_some())
                                .and_then(|(_, f)| f.as_ref());
                            let (opts, shared) = (&readers.opts, &mut shared);
                            spooler::read_item(item, &open, stat, held, opts, shared, &mut buf);
                        }
                        // A chunk at a time: the bar's clock is not asked 100,000 times.
                        let bytes = chunk.iter().map(|i| i.size_bytes).sum();
                        progress.items_read(chunk.len(), bytes);
                    }
                })
            })
            .collect();

        // The logs, merged into one timeline by (time, path, line).
        let mut streams: Vec<(&FoundFile, &Receiver<Vec<LogEvent>>)> = files
            .iter()
            .zip(&readings)
            .filter_map(|((_, f), r)| match r {
                Reading::Thread(t) => Some((f, &t.events)),
                Reading::Pooled(rx) => Some((f, rx)),
                _ => None,
            })
            .collect();
        streams.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        merge_logs(streams.into_iter().map(|(_, rx)| rx).collect(), &mut |e| {
            digest.push(e)
        });

        for h in pool {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    // Merged in discovery order, so the result is the same however the
    // files were shared out: the items met before each file, then the file.
    let mut items_scanned = items.iter().map(|item| ScannedInput {
        path: Arc::clone(&item.path),
        kind: InputKind::SpoolItem,
        note: spooler::item_note(item),
    });
    let mut taken = 0;
    for (i, ((before, f), r)) in files.into_iter().zip(readings).enumerate() {
        data.scanned
            .extend(items_scanned.by_ref().take(before.saturating_sub(taken)));
        taken = taken.max(before);
        let r = match r {
            Reading::Thread(t) => {
                drop(t.events);
                let r = match t.done.join() {
                    Ok(r) => r,
                    Err(panic) => std::panic::resume_unwind(panic),
                };
                progress.file_done(0);
                r
            }
            Reading::Done(r) => {
                progress.file_done(f.size);
                *r
            }
            Reading::Pooled(rx) => {
                drop(rx);
                progress.file_done(0);
                let r = small.results.lock().ok().and_then(|mut r| r.remove(&i));
                r.unwrap_or_else(|| FileResult::Skipped("its reader stopped".into()))
            }
            Reading::Pending => unreachable!("every log was given a thread"),
        };
        merge(f, r, &mut data);
    }
    data.scanned.extend(items_scanned);
    data.spool_items = items;
    progress.finish();
    data.skipped.sort_by(|a, b| a.path.cmp(&b.path));

    // Logs in the shared Tracing folder name their user in REGISTERs; with one
    // profile and no REGISTER, that profile is the user.
    let users = facts::sip_users(&data, digest.users());
    let sole_user = match users.as_slice() {
        [only] => Some(only.as_str()),
        _ => None,
    };
    let (mut logs, attempts) = digest.finish(sole_user);
    let mut kept = attempts.kept;
    correlate::link_items(&mut kept, &data.spool_items, readers.cfg.window());
    // An item's date with its zone tells its message's queued step again.
    logs.clocks.pair_items(&kept, &data.spool_items);
    data.logs = logs;
    data.attempts = kept;
    data.attempts_dropped = attempts.dropped;
    data
}

/// Merges time-ordered event streams into one, by (time, stream, line);
/// `streams` are in path order. An undated event keeps its place in its
/// log: it sorts at the time of the dated event before it.
fn merge_logs(streams: Vec<&Receiver<Vec<LogEvent>>>, out: &mut dyn FnMut(LogEvent)) {
    struct Head {
        batch: std::vec::IntoIter<LogEvent>,
        last_time: Option<DateTime<Utc>>,
    }
    type Key = (Option<DateTime<Utc>>, usize, u64);
    let mut heads: Vec<Head> = Vec::with_capacity(streams.len());
    let mut pending: Vec<Option<LogEvent>> = Vec::with_capacity(streams.len());
    let mut heap: BinaryHeap<Reverse<Key>> = BinaryHeap::new();
    // The next event of stream `i`, waiting for the log's thread if need be.
    let next = |i: usize, heads: &mut Vec<Head>| -> Option<LogEvent> {
        loop {
            if let Some(e) = heads[i].batch.next() {
                return Some(e);
            }
            heads[i].batch = streams[i].recv().ok()?.into_iter();
        }
    };
    let key = |i: usize, e: &LogEvent, h: &mut Head| -> Key {
        if e.time.is_some() {
            h.last_time = e.time;
        }
        (h.last_time, i, e.origin.line.unwrap_or(0))
    };
    for i in 0..streams.len() {
        heads.push(Head {
            batch: Vec::new().into_iter(),
            last_time: None,
        });
        let e = next(i, &mut heads);
        if let Some(e) = &e {
            heap.push(Reverse(key(i, e, &mut heads[i])));
        }
        pending.push(e);
    }
    while let Some(Reverse((_, i, _))) = heap.pop() {
        if let Some(e) = pending[i].take() {
            out(e);
        }
        if let Some(e) = next(i, &mut heads) {
            heap.push(Reverse(key(i, &e, &mut heads[i])));
            pending[i] = Some(e);
        }
    }
}

/// What reading one file gave (a log's events went to the merge).
enum FileResult {
    Log {
        kind: InputKind,
        result: Result<(ReadStats, Option<String>), String>,
    },
    Admin(Result<(Vec<AdminSetting>, Option<String>), String>),
    Other(InputKind),
    /// A collected `lync.exe`: its file version, or why it has none.
    Client(Result<oimdiag_vocab::build_version::ClientBuild, String>),
    Skipped(String),
}

/// Adds one file's result to the scan's data, as reading it in turn would have.
fn merge(f: FoundFile, r: FileResult, data: &mut ScanData) {
    let path = f.path;
    let scanned = |path, kind, note| ScannedInput { path, kind, note };
    let skipped = |path: Arc<Path>, reason| SkippedInput {
        path: path.to_path_buf(),
        reason,
    };
    match r {
        FileResult::Log { kind, result } => match result {
            Ok((stats, broke_off)) => {
                data.log_stats.add(&stats);
                let note = match (logs::stats_note(&stats), broke_off) {
                    (Some(n), Some(b)) => Some(format!("{n}; {b}")),
                    (n, b) => n.or(b),
                };
                data.scanned.push(scanned(path, kind, note));
            }
            Err(reason) => data.skipped.push(skipped(path, reason)),
        },
        FileResult::Admin(Ok((settings, note))) => {
            data.admin_files += 1;
            data.admin.extend(settings);
            data.scanned
                .push(scanned(path, InputKind::AdminExport, note));
        }
        FileResult::Admin(Err(reason)) => data.skipped.push(skipped(path, reason)),
        FileResult::Other(kind) => data.scanned.push(scanned(path, kind, None)),
        FileResult::Client(Ok(version)) => {
            data.collected_clients
                .push(installed::collected_client(&path, version));
            data.scanned
                .push(scanned(path, InputKind::ClientBinary, None));
        }
        FileResult::Client(Err(reason)) => data.skipped.push(skipped(
            path,
            format!("a client executable (lync.exe) whose build could not be read: {reason}"),
        )),
        FileResult::Skipped(reason) => data.skipped.push(skipped(path, reason)),
    }
}

/// Progress on stderr only, only on a terminal, never with --quiet: bytes
/// read of the bytes found (a long log moves it as it is read), and files.
struct Progress {
    bar: ProgressBar,
    files: std::sync::atomic::AtomicUsize,
    total_files: std::sync::atomic::AtomicUsize,
}

impl Progress {
    fn new(cfg: &ScanConfig) -> Progress {
        let bar = if cfg.quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            // Until discovery is done, the total is not known: bytes only.
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} scanning {bytes}, listing files")
            {
                pb.set_style(style);
            }
            pb
        };
        Progress {
            bar,
            files: Default::default(),
            total_files: Default::default(),
        }
    }

    /// What discovery found: so many files of so many bytes in all.
    fn discovered(&self, files: usize, bytes: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.total_files.store(files, Relaxed);
        self.bar.inc_length(bytes);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} scanning {bytes}/{total_bytes}, {msg} {wide_bar}",
        ) {
            self.bar.set_style(style);
        }
        self.files_message(0);
    }

    fn bytes(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Spool items read, and their bytes (added to the total now).
    fn items_read(&self, n: usize, bytes: u64) {
        self.bar.inc_length(bytes);
        self.bar.inc(bytes);
        self.files_message(n);
    }

    /// A file other than an item is done; `bytes` if it was not counted as read.
    fn file_done(&self, bytes: u64) {
        self.bar.inc(bytes);
        self.files_message(1);
    }

    fn files_message(&self, more: usize) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.bar.is_hidden() {
            return;
        }
        let done = self.files.fetch_add(more, Relaxed) + more;
        let total = self.total_files.load(Relaxed);
        self.bar.set_message(format!("{done}/{total} files"));
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
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
