//! The logs merged into one timeline, in time order, as their batches come
//! (from wherever the reading side keeps them); and each file's result
//! folded into the scan's data.

use super::*;
use std::collections::binary_heap::PeekMut;

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
    // The stream whose event goes out next takes its place in the heap with
    // its following event: one sift from the top, which for rotated logs
    // (one stream after another) stops at once, instead of a pop and a push
    // through every level of 5,000 small logs' heap.
    while let Some(mut top) = heap.peek_mut() {
        let Reverse((_, i, _)) = *top;
        if let Some(e) = pending[i].take() {
            out(e);
        }
        match next(i, &mut heads) {
            Some(e) => {
                *top = Reverse(key(i, &e, &mut heads[i]));
                pending[i] = Some(e);
            }
            None => {
                PeekMut::pop(top);
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use oimdiag_vocab::events::{Clock, EventKind, Origin};

    struct Batches(Vec<std::collections::VecDeque<Vec<LogEvent>>>);

    impl LogBatches for Batches {
        fn next_batch(&mut self, i: usize) -> Option<Vec<LogEvent>> {
            self.0[i].pop_front()
        }
        fn taken(&mut self, _: usize, _: usize) {}
    }

    fn event(stream: usize, line: u64, time: Option<DateTime<Utc>>) -> LogEvent {
        LogEvent {
            time,
            clock: Clock::Absolute,
            origin: Origin {
                path: PathBuf::from(format!("log{stream}")).into(),
                line: Some(line),
                excerpt: String::new(),
            },
            kind: EventKind::EwsUrl { url: String::new() },
        }
    }

    /// Streams of many small logs, some rotated (one after another), some
    /// covering the same hours, with undated events and equal times, in
    /// batches of any size: the merge gives them in (time, stream, line)
    /// order, an undated event at the time of the dated one before it in
    /// its log.
    #[test]
    fn events_come_out_in_time_stream_and_line_order() {
        let mut seed = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let t0 = DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for round in 0..20 {
            let n = 1 + next(300) as usize;
            let mut streams = Vec::new();
            let mut expected = Vec::new();
            for i in 0..n {
                // Rotated logs start where the one before ended; others anywhere.
                let mut t = match round % 2 {
                    0 => t0 + chrono::Duration::seconds(600 * i as i64),
                    _ => t0 + chrono::Duration::seconds(next(3_600) as i64),
                };
                let mut events = Vec::new();
                let mut last = None;
                for line in 1..=next(40) {
                    t += chrono::Duration::seconds(next(20) as i64);
                    let time = (next(6) != 0).then_some(t);
                    last = time.or(last);
                    expected.push(((last, i, line), (i, line)));
                    events.push(event(i, line, time));
                }
                let mut batches = std::collections::VecDeque::new();
                while !events.is_empty() {
                    let k = (1 + next(8) as usize).min(events.len());
                    batches.push_back(events.drain(..k).collect());
                }
                streams.push(batches);
            }
            expected.sort();
            let want: Vec<(usize, u64)> = expected.into_iter().map(|(_, at)| at).collect();
            let mut got = Vec::new();
            merge_logs(n, &mut Batches(streams), &mut |e| {
                let stream = e.origin.path.to_str().unwrap()[3..]
                    .parse::<usize>()
                    .unwrap();
                got.push((stream, e.origin.line.unwrap()));
            });
            assert_eq!(got, want, "round {round}, {n} streams");
        }
    }
}
