//! How each log is read: on a thread of its own, or on the small-log pool
//! with a budget of events shared by all pooled logs (read again from the
//! file for the rest), and the streams the merge takes their events from.

use super::batches::{BatchReceiver, BatchSender, Budget};
use super::merge::{FileResult, LogBatches};
use super::progress::Progress;
use super::*;

/// Spool items a pool worker takes at a time.
pub(super) const POOL_CHUNK: usize = 64;

/// Events a log thread sends at a time.
pub(super) const BATCH: usize = 256;
/// Batches all log threads together may read ahead of the merge beyond
/// each log's own two (`batches::OWN_BATCHES`) before they wait: enough for
/// the log being merged to be read well ahead of it, and for logs of sparse
/// events to be read while others are merged, and a bound (an event is
/// about 400 bytes: some 7 MB) for logs that are nothing but events.
/// Rotated logs cover one time span after another, so the merge takes one
/// log's events at a time: a bound for each log held that much for every
/// log waiting its turn (bench/RESULTS.md, session 11).
pub(super) const BATCHES_AHEAD: usize = 64;

/// Logs this small are read whole by a few pooled threads rather than each
/// streamed by a thread of its own: a collection of 20,000 small rotated
/// logs would otherwise start 20,000 threads at once, each with its own
/// buffers (README, "Memory: logs are folded as they are read"). What their events may hold waiting for the merge is bounded by
/// `POOL_EVENTS_AHEAD`, for all of them together.
pub(super) const SMALL_LOG: u64 = 1 << 20;

/// Events all pooled small logs together hold waiting for the merge (about
/// 400 bytes each: some 13 MB), beside the first event of each, which the
/// merge must see to begin. A pooled log's first reading keeps what this
/// has room for beside the shares of the logs still to be read, at least its
/// own share (all of it for one log, 1 each for 32,768 logs: see
/// `SmallLogs::keep_first`), and notes where it stopped; when the merge has
/// taken those, the log is read again from there for as many as there is
/// room for (at least its share). Rotated logs
/// follow one another in time, so each is read again once at most; logs
/// that all cover the same hours are read again more often, never held
/// (bench/RESULTS.md, session 8: the dense-logs shape).
pub(super) const POOL_EVENTS_AHEAD: usize = 32_768;

/// Large logs read while discovery still walks the tree, at most.
pub(super) const MAX_GUESSES: usize = 64;

/// Everything a file reader needs.
pub(super) struct Readers<'a> {
    pub(super) cfg: &'a ScanConfig,
    pub(super) sigs: &'a Signatures,
    pub(super) opts: spooler::ItemOptions,
    pub(super) progress: Progress,
    /// What the large logs' channels may hold, all together.
    pub(super) ahead: Budget,
}

/// One file read on a thread of its own: a log sends its events through
/// `events`; the thread's result is the rest of what reading gave.
pub(super) struct LogThread<'scope> {
    pub(super) events: BatchReceiver<'scope, Vec<LogEvent>>,
    pub(super) done: ScopedJoinHandle<'scope, FileResult>,
}

impl Readers<'_> {
    /// Starts reading `f` on its own thread. `kind` is what it was
    /// recognised as, or `None` to recognise it there.
    pub(super) fn spawn<'scope, 'env>(
        &'env self,
        s: &'scope Scope<'scope, 'env>,
        f: FoundFile,
        kind: Option<InputKind>,
    ) -> LogThread<'scope> {
        let (tx, rx) = self.ahead.channel();
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
    pub(super) fn stream_log(
        &self,
        f: &FoundFile,
        kind: InputKind,
        tx: BatchSender<'_, Vec<LogEvent>>,
    ) -> FileResult {
        self.read_log_into(f, kind, &|batch| {
            let at = batch.iter().find_map(|e| e.time);
            tx.send(batch, at.map(|t| t.timestamp_micros()))
        })
    }

    /// Reads a log, handing its events to `send` in batches; `send` says
    /// whether more are wanted.
    pub(super) fn read_log_into(
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
        let result = classify::Opened::open(f.open()).and_then(|o| {
            let progress = |n| self.progress.bytes(n);
            logs::read_log(
                o,
                &f.path,
                kind,
                &self.cfg.zone,
                self.sigs,
                &mut sink,
                &progress,
            )
        });
        if wanted && !batch.is_empty() {
            send(batch);
        }
        FileResult::Log { kind, result }
    }

    /// Reads a log whole, keeping its events from the `skip`th, `take` at
    /// most; gives also how many events it has in all. `opened`: the file as
    /// recognising it left it, when it was recognised here.
    pub(super) fn read_log_part(
        &self,
        f: &FoundFile,
        (kind, opened): (InputKind, Option<classify::Opened>),
        skip: usize,
        take: usize,
        read_bytes: &dyn Fn(u64),
    ) -> (FileResult, Vec<LogEvent>, usize) {
        let mut kept = Vec::new();
        let mut seen = 0;
        let mut sink = |e: LogEvent| {
            if seen >= skip && kept.len() < take {
                kept.push(e);
            }
            seen += 1;
        };
        let (zone, sigs) = (&self.cfg.zone, self.sigs);
        let result = opened
            .map_or_else(|| classify::Opened::open(f.open()), Ok)
            .and_then(|o| logs::read_log(o, &f.path, kind, zone, sigs, &mut sink, read_bytes));
        kept.shrink_to_fit();
        (FileResult::Log { kind, result }, kept, seen)
    }

    /// Reads a file that is not a log (or was not recognised) and not a
    /// spool item (those are read by the pool).
    pub(super) fn read_other(&self, f: &FoundFile, kind: Result<InputKind, String>) -> FileResult {
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

/// A small file waiting for the pool, which recognises it: its index among
/// the files, and the file.
pub(super) type SmallLog = (usize, FoundFile);

/// What the pool sends the merge of a small log, once: its first events,
/// and, if it has more than were kept, how to read the rest.
pub(super) struct Piece {
    pub(super) events: Vec<LogEvent>,
    pub(super) more: Option<Rest>,
}

/// The rest of a pooled log, to be read again from the file: what the log
/// is, and what the file looked like when it was read (it must not have
/// changed).
#[derive(Clone, Copy)]
pub(super) struct Rest {
    pub(super) kind: InputKind,
    pub(super) stamp: Option<FileStamp>,
}

/// A file's size and modification time: a log read again must not have changed.
pub(super) type FileStamp = (u64, Option<std::time::SystemTime>);

pub(super) fn file_stamp(p: &Path) -> Option<FileStamp> {
    std::fs::metadata(p)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

/// Small logs waiting for the pool, what reading each gave, and the events
/// they hold waiting for the merge.
pub(super) struct SmallLogs {
    pub(super) queue: std::sync::Mutex<std::collections::VecDeque<SmallLog>>,
    /// By file index: one slot for each file found (5,000 logs' results
    /// looked up by a hash cost more than a slot each).
    pub(super) results: std::sync::Mutex<Vec<Option<FileResult>>>,
    /// Events each log may keep when first read even when the budget is
    /// spent (`POOL_EVENTS_AHEAD` shared out).
    pub(super) share: usize,
    /// Small files not yet read a first time: their shares are kept for them.
    pub(super) first_left: std::sync::atomic::AtomicUsize,
    /// Events sent to the merge and not yet taken by it.
    pub(super) held: std::sync::atomic::AtomicUsize,
    /// Logs that changed before they could be read again: the events read.
    pub(super) changed: std::sync::Mutex<HashMap<usize, usize>>,
}

impl SmallLogs {
    /// Of the `n` events a log read for the first time has, how many it
    /// keeps, held from now: as many as the budget has room for beside the
    /// shares of the small files still to be read, at least its own share.
    /// (Taking the room rather than the share when there is room spares
    /// reading the log twice: 5,000 logs of 32 KiB kept 6 events each, and a
    /// third of them were read again on the merge's thread. Not keeping the
    /// others' shares let 20,000 logs hold 1.6 times the budget.)
    pub(super) fn keep_first(&self, n: usize) -> usize {
        let others = self.first_read().saturating_sub(1);
        let promised = others.saturating_mul(self.share);
        let mut kept = 0;
        let _ = self.held.fetch_update(
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
            |held| {
                let room = POOL_EVENTS_AHEAD.saturating_sub(held.saturating_add(promised));
                kept = n.min(room.max(self.share));
                Some(held + kept)
            },
        );
        kept
    }

    /// A small file was read a first time; gives how many were left before.
    pub(super) fn first_read(&self) -> usize {
        self.first_left
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed)
    }

    pub(super) fn hold(&self, n: usize) {
        self.held.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    pub(super) fn taken(&self, n: usize) {
        self.held.fetch_sub(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Events a log read again may keep: the room left, at least its share.
    pub(super) fn room(&self) -> usize {
        let held = self.held.load(std::sync::atomic::Ordering::Relaxed);
        POOL_EVENTS_AHEAD.saturating_sub(held).max(self.share)
    }
}

/// One log's events as the merge takes them.
pub(super) enum Stream<'a> {
    /// From a log's own thread.
    Thread(&'a BatchReceiver<'a, Vec<LogEvent>>),
    /// From the small-log pool, which keeps only a log's first events when
    /// there are many logs: the rest are read again from the file.
    Pooled(Box<Pooled<'a>>),
}

pub(super) struct Pooled<'a> {
    /// What the pool's first reading sent, until the merge takes it.
    pub(super) first: Option<Piece>,
    /// The file's index among the files, and the file.
    pub(super) index: usize,
    pub(super) file: &'a FoundFile,
    /// Events of the log the merge has been given.
    pub(super) taken: usize,
    /// Events past `taken` are to be read again from the file.
    pub(super) more: Option<Rest>,
}

impl Stream<'_> {
    /// The next batch, if any.
    pub(super) fn next_batch(
        &mut self,
        readers: &Readers<'_>,
        small: &SmallLogs,
    ) -> Option<Vec<LogEvent>> {
        let p = match self {
            Stream::Thread(rx) => return rx.recv(),
            Stream::Pooled(p) => p,
        };
        loop {
            if let Some(rest) = p.more.take() {
                // Read again from where the merge is, as many as there is room for.
                let now = file_stamp(p.file.open());
                if now.is_none() || now != rest.stamp {
                    if let Ok(mut c) = small.changed.lock() {
                        c.insert(p.index, p.taken);
                    }
                    return None;
                }
                let (_, events, seen) = readers.read_log_part(
                    p.file,
                    (rest.kind, None),
                    p.taken,
                    small.room(),
                    &|_| {},
                );
                let got = events.len();
                if got == 0 {
                    return None;
                }
                small.hold(got);
                p.taken += got;
                if seen > p.taken {
                    p.more = Some(rest);
                }
                return Some(events);
            }
            if p.taken > 0 {
                return None;
            }
            let piece = p.first.take()?;
            p.taken = piece.events.len();
            p.more = piece.more;
            if p.taken > 0 {
                return Some(piece.events);
            }
        }
    }

    pub(super) fn pooled(&self) -> bool {
        matches!(self, Stream::Pooled(_))
    }
}

/// The logs' streams, as the merge takes them.
pub(super) struct Streams<'a, 'r> {
    pub(super) streams: Vec<Stream<'a>>,
    pub(super) readers: &'a Readers<'r>,
    pub(super) small: &'a SmallLogs,
}

impl LogBatches for Streams<'_, '_> {
    fn next_batch(&mut self, i: usize) -> Option<Vec<LogEvent>> {
        self.streams
            .get_mut(i)?
            .next_batch(self.readers, self.small)
    }

    fn taken(&mut self, i: usize, n: usize) {
        if self.streams.get(i).is_some_and(Stream::pooled) {
            self.small.taken(n);
        }
    }
}
