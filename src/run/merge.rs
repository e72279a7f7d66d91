//! The logs merged into one timeline, in time order, as their batches come;
//! and each file's result folded into the scan's data.

use super::read::{file_stamp, FileStamp, Piece, Readers, SmallLogs};
use super::*;

/// One log's events as the merge takes them.
pub(super) enum Stream<'a> {
    /// From a log's own thread.
    Thread(&'a Receiver<Vec<LogEvent>>),
    /// From the small-log pool, which keeps only a log's first events when
    /// there are many logs: the rest are read again from the file.
    Pooled(Box<Pooled<'a>>),
}

pub(super) struct Pooled<'a> {
    pub(super) rx: &'a Receiver<Piece>,
    /// The log's index among the files, the file, and what it is.
    pub(super) index: usize,
    pub(super) file: &'a FoundFile,
    pub(super) kind: InputKind,
    /// Events of the log the merge has been given.
    pub(super) taken: usize,
    /// Events past `taken` are to be read again from the file, which must
    /// still look as it did.
    pub(super) more: Option<Option<FileStamp>>,
}

impl Stream<'_> {
    /// The next batch, if any.
    pub(super) fn next_batch(
        &mut self,
        readers: &Readers<'_>,
        small: &SmallLogs,
    ) -> Option<Vec<LogEvent>> {
        let p = match self {
            Stream::Thread(rx) => return rx.recv().ok(),
            Stream::Pooled(p) => p,
        };
        loop {
            if let Some(stamp) = p.more.take() {
                // Read again from where the merge is, as many as there is room for.
                let now = file_stamp(p.file.open());
                if now.is_none() || now != stamp {
                    if let Ok(mut c) = small.changed.lock() {
                        c.insert(p.index, p.taken);
                    }
                    return None;
                }
                let (_, events, seen) =
                    readers.read_log_part(p.file, p.kind, p.taken, small.room(), &|_| {});
                let got = events.len();
                if got == 0 {
                    return None;
                }
                small.hold(got);
                p.taken += got;
                if seen > p.taken {
                    p.more = Some(stamp);
                }
                return Some(events);
            }
            if p.taken > 0 {
                return None;
            }
            let piece = p.rx.recv().ok()?;
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

/// Merges time-ordered event streams into one, by (time, stream, line);
/// `streams` are in path order. An undated event keeps its place in its
/// log: it sorts at the time of the dated event before it.
pub(super) fn merge_logs(
    mut streams: Vec<Stream<'_>>,
    readers: &Readers<'_>,
    small: &SmallLogs,
    out: &mut dyn FnMut(LogEvent),
) {
    struct Head {
        batch: std::vec::IntoIter<LogEvent>,
        last_time: Option<DateTime<Utc>>,
    }
    type Key = (Option<DateTime<Utc>>, usize, u64);
    let mut heads: Vec<Head> = Vec::with_capacity(streams.len());
    let mut pending: Vec<Option<LogEvent>> = Vec::with_capacity(streams.len());
    let mut heap: BinaryHeap<Reverse<Key>> = BinaryHeap::new();
    let n = streams.len();
    // The next event of stream `i`, waiting for the log's thread (or
    // reading the pooled log again) if need be. A pooled log's event taken
    // from its batch is no longer held for it.
    let mut next = |i: usize, heads: &mut Vec<Head>| -> Option<LogEvent> {
        loop {
            if let Some(e) = heads[i].batch.next() {
                if streams[i].pooled() {
                    small.taken(1);
                }
                return Some(e);
            }
            // The spent batch's room is given back now, not when the next
            // comes: a log at its end would keep it till the merge ends, for
            // every log of a large collection.
            heads[i].batch = Vec::new().into_iter();
            heads[i].batch = streams[i].next_batch(readers, small)?.into_iter();
        }
    };
    let key = |i: usize, e: &LogEvent, h: &mut Head| -> Key {
        if e.time.is_some() {
            h.last_time = e.time;
        }
        (h.last_time, i, e.origin.line.unwrap_or(0))
    };
    for i in 0..n {
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
pub(super) enum FileResult {
    Log {
        kind: InputKind,
        result: Result<(ReadStats, Option<String>), String>,
    },
    Admin(Result<(Vec<AdminSetting>, Option<String>), String>),
    Other(InputKind),
    Skipped(String),
}

/// Adds one file's result to the scan's data, as reading it in turn would have.
pub(super) fn merge(f: FoundFile, r: FileResult, data: &mut ScanData) {
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
        FileResult::Skipped(reason) => data.skipped.push(skipped(path, reason)),
    }
}
