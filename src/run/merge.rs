//! The logs merged into one timeline, in time order, as their batches come
//! (from wherever the reading side keeps them); and each file's result
//! folded into the scan's data.

use super::*;

/// Where the merge takes each log's events from: stream `i`'s next batch,
/// in the log's own order, `None` once it has no more; and word of the events
/// taken from a batch (a pooled log's events are no longer held for it).
pub(super) trait LogBatches {
    fn next_batch(&mut self, i: usize) -> Option<Vec<LogEvent>>;
    fn taken(&mut self, i: usize, n: usize);
}

/// Merges time-ordered event streams into one, by (time, stream, line);
/// `streams` are in path order. An undated event keeps its place in its
/// log: it sorts at the time of the dated event before it.
pub(super) fn merge_logs(n: usize, logs: &mut dyn LogBatches, out: &mut dyn FnMut(LogEvent)) {
    struct Head {
        batch: std::vec::IntoIter<LogEvent>,
        last_time: Option<DateTime<Utc>>,
    }
    type Key = (Option<DateTime<Utc>>, usize, u64);
    let mut heads: Vec<Head> = Vec::with_capacity(n);
    let mut pending: Vec<Option<LogEvent>> = Vec::with_capacity(n);
    let mut heap: BinaryHeap<Reverse<Key>> = BinaryHeap::new();
    // The next event of stream `i`, waiting for the log's thread (or
    // reading the pooled log again) if need be. A pooled log's event taken
    // from its batch is no longer held for it.
    let mut next = |i: usize, heads: &mut Vec<Head>| -> Option<LogEvent> {
        loop {
            if let Some(e) = heads[i].batch.next() {
                logs.taken(i, 1);
                return Some(e);
            }
            // The spent batch's room is given back now, not when the next
            // comes: a log at its end would keep it till the merge ends, for
            // every log of a large collection.
            heads[i].batch = Vec::new().into_iter();
            heads[i].batch = logs.next_batch(i)?.into_iter();
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
    /// A collected `lync.exe`: its file version, or why it has none.
    Client(Result<oimdiag_vocab::build_version::ClientBuild, String>),
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
