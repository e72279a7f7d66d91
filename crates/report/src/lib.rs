//! The report: a model built once from scan results and findings, and
//! renderers that read only that model.

pub mod catalog;
pub mod html;
pub mod json;
pub mod machine;
pub mod markdown;
pub mod model;
pub mod ndjson;
mod probe_words;
pub mod redact;
pub mod schema;
pub mod term;
pub mod text;

pub use model::{build, Report, ReportTime, Verdict};

use model::{SpoolItemOut, SpoolItems};
use oimdiag_rules::{Finding, Severity};
use oimdiag_vocab::timefmt::rfc3339;

use std::fmt;
use std::io::{self, Write};

/// Text for people, gathered in a string that is handed to the writer each
/// time it passes `SPILL_AT` bytes, so a long report is never held whole.
/// The first write error is kept (and returned by `finish`); nothing is
/// written after it.
pub(crate) struct Spill<'w> {
    buf: String,
    out: &'w mut dyn Write,
    err: Option<io::Error>,
}

const SPILL_AT: usize = 32 * 1024;

impl<'w> Spill<'w> {
    pub(crate) fn new(out: &'w mut dyn Write) -> Self {
        Spill {
            buf: String::with_capacity(SPILL_AT + 1024),
            out,
            err: None,
        }
    }

    pub(crate) fn push_str(&mut self, s: &str) {
        self.buf.push_str(s);
        if self.buf.len() >= SPILL_AT {
            self.spill();
        }
    }

    pub(crate) fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    fn spill(&mut self) {
        if self.err.is_none() {
            if let Err(e) = self.out.write_all(self.buf.as_bytes()) {
                self.err = Some(e);
            }
        }
        self.buf.clear();
    }

    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.spill();
        match self.err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl fmt::Write for Spill<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// The first index in `0..n` for which `before` is false (`before` is true
/// for a prefix of the range, as `slice::partition_point` asks).
fn partition_point(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The spool items of a report by path, for renderers that show the items of
/// each logged attempt: a binary search while the items are in path order
/// (as built; redaction may reorder them), else a scan. Either way the first
/// item with the path is found.
pub(crate) struct ItemsByPath<'r> {
    items: &'r SpoolItems,
    sorted: bool,
}

impl<'r> ItemsByPath<'r> {
    pub(crate) fn new(items: &'r SpoolItems) -> Self {
        let mut paths = (0..items.len()).filter_map(|k| items.path(k));
        let sorted = match paths.next() {
            Some(mut last) => paths.all(|p| {
                let ordered = last <= p;
                last = p;
                ordered
            }),
            None => true,
        };
        ItemsByPath { items, sorted }
    }

    pub(crate) fn get(&self, path: &str) -> Option<SpoolItemOut<'r>> {
        let at = |k: usize| self.items.path(k).filter(|p| p == path).and(Some(k));
        let k = if self.sorted {
            let k = partition_point(self.items.len(), |k| {
                self.items.path(k).is_some_and(|p| &*p < path)
            });
            at(k)
        } else {
            (0..self.items.len()).find_map(at)
        }?;
        self.items.get(k)
    }

    /// ": stuck for 2 h 45 min" for the item at `path`, as a message's
    /// timeline ends; empty when the report does not list it.
    pub(crate) fn state_suffix(&self, path: &str) -> String {
        self.get(path)
            .map(|i| {
                format!(
                    ": {} for {}",
                    i.state.as_str(),
                    oimdiag_vocab::timefmt::human_duration(i.age_seconds)
                )
            })
            .unwrap_or_default()
    }
}

/// "1 file", "3 files".
/// Recipients a report line names; the rest are counted.
pub(crate) const RECIPIENTS_SHOWN: usize = 5;

/// An item's recipients for a line of a report, each written by `show`:
/// `a, b, c and 2 more`. `None` when the item names none.
pub(crate) fn recipient_list(
    all: model::Recipients<'_>,
    show: impl Fn(&str) -> String,
) -> Option<String> {
    let mut shown = Vec::new();
    let mut more = 0usize;
    for r in all.iter() {
        if shown.len() < RECIPIENTS_SHOWN {
            shown.push(show(r));
        } else {
            more += 1;
        }
    }
    if shown.is_empty() {
        return None;
    }
    let mut s = shown.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    Some(s)
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "What oimdiag could judge", one sentence a line, for the text and
/// Markdown reports: the report's `coverage` in words.
pub(crate) fn coverage_lines(r: &Report) -> Vec<String> {
    let c = &r.coverage;
    let mut out = Vec::new();
    out.push(if c.client_evidence {
        "Client evidence: yes (a History Spooler folder was listed or an item read, or \
         offline-IM or EWS lines were recognised in the logs)."
            .to_string()
    } else {
        "Client evidence: none (no History Spooler folder listed, no offline-IM or EWS line \
         recognised): the verdict cannot be better than inconclusive."
            .to_string()
    });
    let sp = &c.spooler;
    let mut spool = format!(
        "History Spooler: {} listed",
        plural(sp.folders, "folder", "folders")
    );
    if sp.folders_unreadable > 0 {
        spool.push_str(&format!(
            ", {} could not be listed",
            plural(sp.folders_unreadable, "client folder", "client folders")
        ));
    }
    spool.push_str(&format!(
        "; {}: {} parsed, {} opaque, {} empty",
        plural(sp.items, "item", "items"),
        sp.parsed,
        sp.opaque,
        sp.empty
    ));
    if sp.not_messages > 0 {
        spool.push_str(&format!(
            "; {} skipped (not messages)",
            plural(sp.not_messages, "shell file", "shell files")
        ));
    }
    spool.push_str(&not_judged(sp.after_scan_time, sp.before_since));
    out.push(spool + ".");
    let l = &c.logs;
    out.push(format!(
        "Logs: {}, {} records, {} SIP packets; {} offline-IM and {} EWS lines recognised{}.",
        plural(l.files, "file", "files"),
        l.records,
        l.sip_packets,
        l.oim_events,
        l.ews_events,
        not_judged(l.after_scan_time, l.before_since),
    ));
    let a = &c.admin;
    out.push(format!(
        "Admin exports: {}, {}, {}.",
        plural(a.files, "file", "files"),
        plural(a.objects, "object", "objects"),
        plural(a.settings, "setting", "settings")
    ));
    out.push(if c.unknown_facts.is_empty() {
        "Every fact was settled by evidence or a flag.".to_string()
    } else {
        format!("Not known: {}.", c.unknown_facts.join(", "))
    });
    let now = rfc3339(r.scan_time);
    out.push(match r.since {
        Some(since) => format!(
            "Judged: evidence from {} (--since) to the scan time {now}.",
            rfc3339(since)
        ),
        None => format!("Judged: evidence up to the scan time {now}."),
    });
    out
}

/// "; 2 dated after the scan time and 1 before --since, not judged".
fn not_judged(after: usize, before: usize) -> String {
    match (after, before) {
        (0, 0) => String::new(),
        (a, 0) => format!("; {a} dated after the scan time, not judged"),
        (0, b) => format!("; {b} dated before --since, not judged"),
        (a, b) => format!("; {a} dated after the scan time and {b} before --since, not judged"),
    }
}

/// The findings by severity, errors first, each group with its heading;
/// the text and Markdown reports list them so. Empty groups are left out.
pub(crate) fn severity_groups(
    r: &Report,
) -> impl Iterator<Item = (Severity, &'static str, Vec<&Finding>)> {
    [
        (Severity::Error, "Errors"),
        (Severity::Warning, "Warnings"),
        (Severity::Info, "Information"),
    ]
    .into_iter()
    .filter_map(|(sev, name)| {
        let group: Vec<_> = r.findings.iter().filter(|f| f.severity == sev).collect();
        (!group.is_empty()).then_some((sev, name, group))
    })
}

/// When a timeline event happened, if its time is known: to the second, as
/// the report shows it, so steps between shown times add up.
pub(crate) fn event_time(
    e: &model::TimelineEvent,
) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    use chrono::SubsecRound;
    e.time.map(|t| t.trunc_subsecs(0).fixed_offset())
}

/// A report for people rendered into a string (tests, fuzzing).
pub(crate) fn to_string(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("reports are built from strings")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// Takes what it is given until `limit` bytes, then fails.
    struct Full {
        got: Vec<u8>,
        limit: usize,
    }

    impl Write for Full {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if self.got.len() + b.len() > self.limit {
                return Err(io::Error::other("disk full"));
            }
            self.got.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-11-23T09:00:00Z".parse().unwrap()
    }

    fn item(path: &str, age: i64) -> oimdiag_vocab::found::SpoolItem {
        use oimdiag_vocab::found::{ItemFormat, TimeSource};
        oimdiag_vocab::found::SpoolItem {
            path: oimdiag_vocab::file_path::FilePath::whole(std::path::Path::new(path)),
            profile: None,
            size_bytes: 1,
            sent_at: now() - chrono::TimeDelta::seconds(age),
            sent_at_source: TimeSource::Content,
            recipient: None,
            other_recipients: Default::default(),
            sender: None,
            message_class: None,
            format: ItemFormat::Mime,
            subject: None,
            problem: None,
            ansi_lines: 0,
            local_date: None,
        }
    }

    fn items(list: Vec<oimdiag_vocab::found::SpoolItem>) -> SpoolItems {
        let outcome = vec![None; list.len()];
        SpoolItems::new(list, outcome, oimdiag_vocab::found::Window::at(now()))
    }

    /// An attempt's item is found whether the items are in path order (as
    /// built) or not (after redaction renamed them); the first of two alike wins.
    #[test]
    fn items_are_found_by_path_in_any_order() {
        let sorted = items(vec![item("a", 1), item("b", 2), item("b", 3), item("c", 4)]);
        let shuffled = items(vec![item("c", 4), item("b", 2), item("a", 1), item("b", 3)]);
        for items in [&sorted, &shuffled] {
            let by = ItemsByPath::new(items);
            assert_eq!(by.get("a").map(|i| i.age_seconds), Some(1));
            assert_eq!(by.get("b").map(|i| i.age_seconds), Some(2));
            assert_eq!(by.get("c").map(|i| i.age_seconds), Some(4));
            assert!(by.get("d").is_none() && by.get("").is_none());
        }
        assert!(ItemsByPath::new(&items(Vec::new())).get("a").is_none());
    }

    #[test]
    fn spilled_text_arrives_in_order_and_whole() {
        let mut want = String::new();
        let got = to_string(|w| {
            let mut s = Spill::new(w);
            for i in 0..10_000 {
                let _ = writeln!(s, "line {i} — é");
                s.push('x');
                s.push_str("yz\n");
            }
            s.finish()
        });
        for i in 0..10_000 {
            let _ = writeln!(want, "line {i} — é");
            want.push_str("xyz\n");
        }
        assert_eq!(got, want);
    }

    #[test]
    fn the_first_write_error_is_returned() {
        let mut full = Full {
            got: Vec::new(),
            limit: SPILL_AT * 2,
        };
        let mut s = Spill::new(&mut full);
        for _ in 0..10_000 {
            s.push_str("0123456789\n");
        }
        let e = s.finish().unwrap_err();
        assert_eq!(e.to_string(), "disk full");
        assert!(full.got.len() <= SPILL_AT * 2);
    }
}
