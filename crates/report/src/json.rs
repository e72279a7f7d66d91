//! `--format json`: the report model as `serde_json::to_writer_pretty`
//! writes it, plus a final newline.
//!
//! Nothing here formats JSON by hand. The long lists are serialised an
//! element at a time from what the scan holds (`SpoolItems` and `Attempts`
//! build each element's view as it is written; the files scanned are the
//! report's own vector), into the buffered sink of `output`: the report is
//! never held whole as a `String` or a `Value`.
//!
//! With more than one thread ([`write_on`]) the three long lists
//! (`spool_items`, `attempts`, `inputs.scanned`: 100,000 items make 40 MB of
//! them, the rest of a report a few KB) are shared out in chunks: the
//! report's thread serialises some chunks straight into the sink and writes
//! the others as the workers serialised them. The report is first
//! serialised with those lists empty (the *frame*); each list is then
//! written in place of its `[]`, its brackets, separators and elements
//! written by serde_json's own `PrettyFormatter` and serialiser set to the
//! list's depth. The bytes are those of [`write`] (tests/json_writer.rs
//! compares them); only a few chunks a worker are held at once.

use crate::model::{Inputs, Report};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};
use std::io::{self, Write};
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// The report written as it is serialised, never held whole, on this
/// thread only.
pub fn write(report: &Report, mut w: impl Write) -> io::Result<()> {
    // A failed write comes back as the writer's own error (`From` unwraps it).
    serde_json::to_writer_pretty(&mut w, report)?;
    w.write_all(b"\n")
}

/// The report as [`write`] writes it, its long lists serialised by this
/// thread and `threads - 1` workers.
pub fn write_on(report: &Report, threads: usize, mut w: impl Write) -> io::Result<()> {
    let plan = Plan::of(report, threads);
    if plan.threads <= 1 {
        // Too short to share: a worker would cost more than it saves.
        return write(report, w);
    }
    let Some(frame) = Frame::of(report)? else {
        return write(report, w);
    };
    std::thread::scope(|s| {
        let mut from = Vec::with_capacity(plan.threads - 1);
        for k in 1..plan.threads {
            let (tx, rx) = sync_channel(CHUNKS_AHEAD);
            s.spawn(move || plan.serialise_share(k, tx));
            from.push(rx);
        }
        // Returning drops `from`: a worker whose chunks nobody will take
        // (a write failed) stops at its next send.
        plan.write(&frame, &from, &mut w)
    })
}

/// The report as a string (the fuzz harness, tests).
pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("the report model always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Elements a chunk carries: enough that handing one over costs little
/// beside serialising it, few enough that a 1,000-item list is shared.
const CHUNK: usize = 128;
/// Chunks a worker may have serialised and not yet handed over.
const CHUNKS_AHEAD: usize = 4;
/// Below this many chunks in all, one thread writes the report.
const CHUNKS_TO_SHARE: usize = 4;

/// The long lists, in the order the report writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LongList {
    SpoolItems,
    Attempts,
    Scanned,
}

impl LongList {
    const ALL: [LongList; 3] = [LongList::SpoolItems, LongList::Attempts, LongList::Scanned];

    /// How the frame shows the list empty: its key at its indent, after a
    /// line end (a line end in a string is written `\n`, so a raw one is
    /// always the printer's own). `scanned` is the first key of `inputs`.
    fn empty_in_frame(self) -> &'static str {
        match self {
            LongList::SpoolItems => "\n  \"spool_items\": []",
            LongList::Attempts => "\n  \"attempts\": []",
            LongList::Scanned => "\n  \"inputs\": {\n    \"scanned\": []",
        }
    }

    /// The printer's indent level for the list's elements.
    fn depth(self) -> usize {
        match self {
            LongList::SpoolItems | LongList::Attempts => 2,
            LongList::Scanned => 3,
        }
    }
}

/// The report serialised with its long lists empty, and where each `[]` is.
struct Frame {
    text: String,
    /// Byte offset of each list's `[]`, in [`LongList::ALL`] order.
    at: [usize; 3],
}

impl Frame {
    /// `None` if a list is not where the frame should show it.
    fn of(report: &Report) -> io::Result<Option<Frame>> {
        let text = serde_json::to_string_pretty(&without_long_lists(report))?;
        let mut at = [0; 3];
        let mut from = 0;
        for (k, list) in LongList::ALL.into_iter().enumerate() {
            let key = list.empty_in_frame();
            let Some(i) = text[from..].find(key) else {
                // The model's order or spelling changed: the tests stop
                // here; a user still gets the report, from one thread.
                debug_assert!(false, "no empty {list:?} in the frame");
                return Ok(None);
            };
            at[k] = from + i + key.len() - "[]".len();
            from = at[k];
        }
        Ok(Some(Frame { text, at }))
    }
}

/// The report with no spool items, messages or files scanned: every other
/// field as it is (a field added to `Report` must be named here).
fn without_long_lists(r: &Report) -> Report {
    let Report {
        schema_version,
        tool,
        scan_time,
        since,
        utc_offset,
        time_zone,
        redacted,
        machine,
        summary,
        coverage,
        facts,
        spool_items,
        attempts: _,
        findings,
        inputs: Inputs {
            scanned: _,
            skipped,
            limits,
        },
        probe,
    } = r;
    Report {
        schema_version,
        tool: tool.clone(),
        scan_time: *scan_time,
        since: *since,
        utc_offset: *utc_offset,
        time_zone: time_zone.clone(),
        redacted: *redacted,
        machine: machine.clone(),
        summary: summary.clone(),
        coverage: coverage.clone(),
        facts: facts.clone(),
        spool_items: spool_items.empty_like(),
        attempts: Default::default(),
        findings: findings.clone(),
        inputs: Inputs {
            scanned: Vec::new(),
            skipped: skipped.clone(),
            limits: limits.clone(),
        },
        probe: probe.clone(),
    }
}

/// Who serialises which chunk: the lists' chunks are numbered in writing
/// order, and chunk `n` is the report thread's when `n % threads` is 0,
/// else worker `n % threads`'s.
#[derive(Clone, Copy)]
struct Plan<'a> {
    report: &'a Report,
    threads: usize,
}

impl<'a> Plan<'a> {
    fn of(report: &'a Report, threads: usize) -> Self {
        let plan = Plan { report, threads };
        let chunks: usize = LongList::ALL
            .iter()
            .map(|&l| plan.len(l).div_ceil(CHUNK))
            .sum();
        let threads = if chunks < CHUNKS_TO_SHARE {
            1
        } else {
            threads.clamp(1, chunks)
        };
        Plan { report, threads }
    }

    fn len(&self, list: LongList) -> usize {
        match list {
            LongList::SpoolItems => self.report.spool_items.len(),
            LongList::Attempts => self.report.attempts.len(),
            LongList::Scanned => self.report.inputs.scanned.len(),
        }
    }

    /// Every chunk in writing order: its number, list and elements.
    fn chunks(&self) -> impl Iterator<Item = (usize, LongList, Range<usize>)> + '_ {
        LongList::ALL
            .into_iter()
            .flat_map(move |list| {
                let len = self.len(list);
                (0..len)
                    .step_by(CHUNK)
                    .map(move |start| (list, start..(start + CHUNK).min(len)))
            })
            .enumerate()
            .map(|(n, (list, range))| (n, list, range))
    }

    /// Worker `k` serialises its chunks and hands them over in order,
    /// until they are done or nobody takes them.
    fn serialise_share(self, k: usize, to: SyncSender<Vec<u8>>) {
        for (n, list, range) in self.chunks() {
            if n % self.threads != k {
                continue;
            }
            let mut out = Vec::with_capacity(range.len() * 1024);
            self.elements(list, range, &mut out)
                .expect("serialising into memory does not fail");
            if to.send(out).is_err() {
                return;
            }
        }
    }

    /// The report: the frame, each long list in place of its `[]`.
    fn write(
        &self,
        frame: &Frame,
        from: &[Receiver<Vec<u8>>],
        w: &mut impl Write,
    ) -> io::Result<()> {
        let mut chunks = self.chunks().peekable();
        let mut written = 0;
        for (k, list) in LongList::ALL.into_iter().enumerate() {
            if self.len(list) == 0 {
                continue; // its `[]` is written with the frame
            }
            let at = frame.at[k];
            w.write_all(&frame.text.as_bytes()[written..at])?;
            written = at + "[]".len();
            let mut brackets = at_depth(list.depth() - 1);
            brackets.begin_array(w)?;
            while let Some((n, _, range)) = chunks.next_if(|(_, l, _)| *l == list) {
                match n % self.threads {
                    0 => self.elements(list, range, w)?,
                    k => {
                        let chunk = from[k - 1]
                            .recv()
                            .map_err(|_| io::Error::other("a JSON rendering thread stopped"))?;
                        w.write_all(&chunk)?;
                    }
                }
            }
            brackets.end_array_value(w)?;
            brackets.end_array(w)?;
        }
        w.write_all(&frame.text.as_bytes()[written..])?;
        w.write_all(b"\n")
    }

    /// Elements `range` of `list`, each after its separator, as the
    /// printer writes them inside the report.
    fn elements(&self, list: LongList, range: Range<usize>, w: &mut impl Write) -> io::Result<()> {
        let f = at_depth(list.depth());
        let r = self.report;
        for i in range {
            f.clone().begin_array_value(w, i == 0)?;
            let mut ser = serde_json::Serializer::with_formatter(&mut *w, f.clone());
            match list {
                LongList::SpoolItems => r.spool_items.get(i).serialize(&mut ser),
                LongList::Attempts => r.attempts.get(i).serialize(&mut ser),
                LongList::Scanned => r.inputs.scanned.get(i).serialize(&mut ser),
            }?;
        }
        Ok(())
    }
}

/// serde_json's pretty printer as it stands `depth` levels into the report
/// (set by opening that many levels into nothing).
fn at_depth(depth: usize) -> PrettyFormatter<'static> {
    let mut f = PrettyFormatter::new();
    for _ in 0..depth {
        f.begin_array(&mut io::sink())
            .expect("a sink takes anything");
    }
    f
}
