//! Reading every file found: logs on threads of their own (large) or on a
//! pool with a shared budget of events (small), items and admin exports on
//! workers, each log's events sent in batches through bounded channels.

use super::batches::Budget;
use super::merge::{merge, merge_logs, FileResult};
use super::progress::Progress;
use super::readers::{
    file_stamp, LogThread, Piece, Pooled, Readers, Rest, SmallLogs, Stream, Streams, BATCHES_AHEAD,
    MAX_GUESSES, POOL_CHUNK, POOL_EVENTS_AHEAD, SMALL_LOG,
};
use super::*;

/// The regular files directly in `<Lync>\Tracing` of each root, largest
/// first: the logs that are most of the reading, started while discovery
/// still walks the tree.
pub(super) fn likely_logs(roots: &[PathBuf]) -> Vec<FoundFile> {
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
                    // Small ones are read on the small-log pool once
                    // discovery is done: a folder of 5,000 of them is not
                    // kept, hashed and sorted here while discovery waits.
                    if meta.is_file() && meta.len() > SMALL_LOG && seen.insert(path.clone()) {
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
    out.truncate(MAX_GUESSES);
    out
}

/// Discovers the inputs and reads them.
pub(super) fn discover_and_read(
    roots: &[PathBuf],
    strict_lync: bool,
    cfg: &ScanConfig,
    sigs: &Signatures,
) -> ScanData {
    let readers = Readers {
        progress: Progress::new(cfg),
        ahead: Budget::new(BATCHES_AHEAD, threads::count(usize::MAX)),
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
        // Found on a thread of their own: a Tracing folder of 5,000 small
        // logs is 5,000 file sizes to ask for before discovery could start.
        let guessing = (threads::count(usize::MAX) > 1).then(|| {
            s.spawn(move || {
                let likely = likely_logs(roots);
                likely
                    .into_iter()
                    .map(|g| {
                        let t = readers.spawn(s, g.clone(), None);
                        (g, t)
                    })
                    .collect::<Vec<(FoundFile, LogThread)>>()
            })
        });
        let found = discover::discover(roots, strict_lync, cfg.now);
        let guesses = match guessing.map(|g| g.join()) {
            Some(Ok(g)) => g,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => Vec::new(),
        };
        read_all(s, found, readers, guesses)
    })
}

/// How one discovered file (not a spool item: the pool reads those) is
/// being read.
pub(super) enum Reading<'scope> {
    /// On a thread of its own (logs, and guesses of logs).
    Thread(Box<LogThread<'scope>>),
    /// Already, here.
    Done(Box<FileResult>),
    /// A small file, recognised and read whole on the small-log pool; its
    /// result is put in `SmallLogs::results` at its index, a log's first
    /// events come to the merge through the pool's one channel.
    Pooled,
    /// A log about to get its thread.
    Pending,
}

pub(super) fn read_all<'scope, 'env>(
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
        scanned: Vec::with_capacity(files.len()),
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
    // Small files are recognised on the pool (5,000 small logs took their
    // first 0.1 s being opened here one by one); the large ones here, to
    // know how many logs will need a thread.
    let mut large: Vec<(usize, InputKind)> = Vec::new();
    let mut smalls: Vec<usize> = Vec::new();
    for (i, (_, f)) in files.iter().enumerate() {
        let guess = f
            .link_target
            .is_none()
            .then(|| guesses.remove(&f.path))
            .flatten();
        readings.push(match guess {
            Some(t) => Reading::Thread(Box::new(t)),
            None if f.size <= SMALL_LOG => {
                smalls.push(i);
                Reading::Pending
            }
            None => match classify::classify(f.open()) {
                Ok(k @ (InputKind::Uccapilog | InputKind::TracerptCsv)) => {
                    large.push((i, k));
                    Reading::Pending
                }
                other => Reading::Done(Box::new(readers.read_other(f, other))),
            },
        });
    }
    // The logs, now that it is known how many there are: large ones on
    // threads of their own, small files on a pool.
    let small_logs = SmallLogs {
        queue: Default::default(),
        results: std::sync::Mutex::new((0..files.len()).map(|_| None).collect()),
        share: (POOL_EVENTS_AHEAD / smalls.len().max(1)).max(1),
        first_left: smalls.len().into(),
        held: Default::default(),
        changed: Default::default(),
    };
    for (i, k) in large {
        if let Some((_, f)) = files.get(i) {
            let f = f.clone();
            readings[i] = Reading::Thread(Box::new(readers.spawn(s, f, Some(k))));
        }
    }
    let small_workers = threads::count(smalls.len().max(1)).min(smalls.len());
    // One channel for all the small logs' first pieces, with room for one
    // each, made now: a worker never waits for the merge, so the merge can
    // never wait for a log no worker is free to read. (A channel a log
    // took some 640 bytes each: 3.2 MB held through the merge for 5,000.)
    let (first_tx, first_rx) = sync_channel::<FirstPiece>(smalls.len());
    for i in smalls {
        if let Some((_, f)) = files.get(i) {
            readings[i] = Reading::Pooled;
            if let Ok(mut q) = small_logs.queue.lock() {
                q.push_back((i, f.clone()));
            }
        }
    }
    let small = &small_logs;
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
        let small_pool: Vec<_> = (0..small_workers)
            .map(|_| {
                let tx: SyncSender<FirstPiece> = first_tx.clone();
                ps.spawn(move || loop {
                    let next = small.queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some((i, f)) = next else { break };
                    let (kind, opened) = classify::classify_opened(f.open());
                    let r = match kind {
                        Ok(kind @ (InputKind::Uccapilog | InputKind::TracerptCsv)) => {
                            let progress = |n| readers.progress.bytes(n);
                            let log = (kind, opened);
                            let (r, mut events, seen) =
                                readers.read_log_part(&f, log, 0, small.room(), &progress);
                            let kept = small.keep_first(events.len());
                            events.truncate(kept);
                            events.shrink_to_fit();
                            let more = (seen > kept).then(|| Rest {
                                kind,
                                stamp: file_stamp(f.open()),
                            });
                            if tx.send((i, Piece { events, more })).is_err() {
                                small.taken(kept);
                            }
                            r
                        }
                        // Not a log: no events (the merge sees the stream end).
                        other => {
                            small.first_read();
                            readers.progress.bytes(f.size);
                            readers.read_other(&f, other)
                        }
                    };
                    if let Some(slot) = small
                        .results
                        .lock()
                        .ok()
                        .as_mut()
                        .and_then(|v| v.get_mut(i))
                    {
                        *slot = Some(r);
                    }
                })
            })
            .collect();
        drop(first_tx);
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

        // The merge must see the first events of every log before it can
        // give any, and the pool never waits for it: it waits for the pool
        // once, not for each small log in turn (5,000 logs: a sleep and a
        // wake-up each, on both threads).
        for h in small_pool {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
        let mut firsts = pieces_by_file(first_rx);
        // The logs, merged into one timeline by (time, path, line).
        let mut streams: Vec<(&FoundFile, Stream)> = files
            .iter()
            .zip(&readings)
            .enumerate()
            .filter_map(|(i, ((_, f), r))| match r {
                Reading::Thread(t) => Some((f, Stream::Thread(&t.events))),
                Reading::Pooled => Some((
                    f,
                    Stream::Pooled(Box::new(Pooled {
                        first: firsts.remove(&i),
                        index: i,
                        file: f,
                        taken: 0,
                        more: None,
                    })),
                )),
                _ => None,
            })
            .collect();
        drop(firsts);
        streams.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        let streams = streams.into_iter().map(|(_, s)| s).collect();
        let mut logs = Streams {
            streams,
            readers,
            small,
        };
        merge_logs(logs.streams.len(), &mut logs, &mut |e| digest.push(e));

        for h in pool {
            if let Err(panic) = h.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    // Every file's result, taken now: what the reading held for the files
    // (the small logs' channels and results) is freed before the items'
    // paths are made whole.
    let results: Vec<FileResult> = readings
        .into_iter()
        .zip(&files)
        .enumerate()
        .map(|(i, (r, (_, f)))| file_result(i, f, r, small, progress))
        .collect();
    drop(small_logs);
    // Logs in the shared Tracing folder name their user in REGISTERs; with one
    // profile and no REGISTER, that profile is the user.
    data.spool_items = items;
    let users = facts::sip_users(&data, digest.users());
    let sole_user = match users.as_slice() {
        [only] => Some(only.as_str()),
        _ => None,
    };
    let (mut logs, attempts) = digest.finish(sole_user);
    let mut kept = attempts.kept;
    // Before the memory the reading held is given back: what linking
    // builds and frees is given back with it.
    correlate::link_items(&mut kept, &data.spool_items, readers.cfg.window());
    give_back_free_memory();
    // Merged in discovery order, so the result is the same however the
    // files were shared out; the items are listed among the files by the
    // report, by the number met before each.
    for ((before, f), r) in files.into_iter().zip(results) {
        merge(f, r, &mut data);
        let scanned = data.scanned.len();
        data.items_before_scanned.resize(scanned, before);
    }
    progress.finish();
    data.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    // An item's date with its zone tells its message's queued step again.
    logs.clocks.pair_items(&kept, &data.spool_items);
    data.logs = logs;
    data.attempts = kept;
    data.attempts_dropped = attempts.dropped;
    data
}

/// A small log's first piece, sent by the pool: the file's index, the piece.
type FirstPiece = (usize, Piece);

/// Each pooled log's first piece, by the file's index (none for a small
/// file that was not a log: its stream ends at once), once the pool is done.
fn pieces_by_file(rx: Receiver<FirstPiece>) -> HashMap<usize, Piece> {
    rx.try_iter().collect()
}

/// What reading the `i`th file gave, once every reader is done with it.
fn file_result(
    i: usize,
    f: &FoundFile,
    r: Reading<'_>,
    small: &SmallLogs,
    progress: &Progress,
) -> FileResult {
    match r {
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
        Reading::Pooled => {
            progress.file_done(0);
            let r = small
                .results
                .lock()
                .ok()
                .and_then(|mut r| r.get_mut(i)?.take());
            let r = r.unwrap_or_else(|| FileResult::Skipped("its reader stopped".into()));
            let changed = small.changed.lock().ok().and_then(|mut c| c.remove(&i));
            match (r, changed) {
                (
                    FileResult::Log {
                        kind,
                        result: Ok((stats, broke_off)),
                    },
                    Some(n),
                ) => {
                    let said = format!(
                        "it changed before it could be read again: its events past the \
                         first {n} were not read"
                    );
                    let broke_off = Some(match broke_off {
                        Some(b) => format!("{b}; {said}"),
                        None => said,
                    });
                    FileResult::Log {
                        kind,
                        result: Ok((stats, broke_off)),
                    }
                }
                (r, _) => r,
            }
        }
        Reading::Pending => unreachable!("every log was given a thread"),
    }
}
