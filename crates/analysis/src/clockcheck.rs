//! Cross-checking the clocks: the same offline-IM step of the same message
//! told once as a local log line (read by the zone rules in force) and once
//! with an absolute time (a tracerpt CSV's FILETIME, a date with its zone)
//! should land within a couple of seconds. When every such pair is off by
//! the same whole number of quarter hours, the local lines were read at the
//! wrong offset, and the offset that reconciles them is known.
//!
//! Fed in time order by the digest, it keeps only the tellings still
//! waiting for their other half (bounded), never a list of events.

use crate::correlate::Attempt;
use chrono::{DateTime, Utc};
use oimdiag_vocab::citation::Citation;
use oimdiag_vocab::events::{Clock, EventKind, LogEvent, SigEvent};
use oimdiag_vocab::found::{SpoolItem, TimeSource};
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Arc;

/// Two tellings of one event this close (after reading) agree.
pub const AGREE_MS: i64 = 2_000;
/// The farthest apart two tellings of one event can be: the widest gap
/// between two UTC offsets (−12:00 to +14:00).
const PAIR_WINDOW_SECS: i64 = 26 * 3600;
/// Tellings waiting for their other half: a bound for logs of nothing but
/// messages (older ones are forgotten first).
const MAX_WAITING: usize = 1_024;
const QUARTER_HOUR_MS: i64 = 900_000;

/// A telling waiting for its other half: nothing copied but the path's
/// handle, so that logs of nothing but messages stay as fast.
struct Telling {
    time: DateTime<Utc>,
    /// Seconds east of UTC the local telling was read with (0 for an absolute one).
    offset: i32,
    absolute: bool,
    path: Arc<Path>,
    line: Option<u64>,
}

impl Telling {
    fn evidence(&self, what: &str) -> Citation {
        Citation {
            path: self.path.display().to_string(),
            line: self.line,
            excerpt: format!(
                "{what}, {} {}",
                if self.absolute {
                    "told at"
                } else {
                    "local line read as"
                },
                oimdiag_vocab::timefmt::rfc3339(self.time)
            ),
        }
    }
}

/// (message id, step) as a key that costs no copy of the id.
fn key(id: &str, step: SigEvent) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (id, step).hash(&mut h);
    h.finish()
}

/// What the pairs said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClockPairs {
    /// Events told both ways.
    pub pairs: u64,
    /// Of those, the ones more than ±2 s apart.
    pub disagreeing: u64,
    /// Local-reading minus absolute time of the disagreeing pairs, lowest and highest (ms).
    shift_ms: Option<(i64, i64)>,
    /// The offset (ms east of UTC) each pair's local line was really
    /// written at, lowest and highest.
    written_ms: Option<(i64, i64)>,
    /// Disagreeing pairs whose shift is not whole quarter hours (a clock set wrong).
    pub odd_shifts: u64,
    /// The first disagreeing pair: the local line, then the absolute telling.
    pub evidence: Vec<Citation>,
}

impl ClockPairs {
    /// When every pair disagrees by the same whole number of quarter hours
    /// (±2 s) and all were written at one offset: that offset (seconds east
    /// of UTC) and the shift (seconds the local lines were read late).
    pub fn reconciling(&self) -> Option<(i32, i64)> {
        if !self.off_by_quarter_hours() || self.disagreeing != self.pairs {
            return None;
        }
        let (lo, hi) = self.shift_ms?;
        let (wlo, whi) = self.written_ms?;
        let shift = quarter_hours(lo).filter(|s| quarter_hours(hi) == Some(*s))?;
        let written = quarter_hours(wlo).filter(|w| quarter_hours(whi) == Some(*w))?;
        Some((i32::try_from(written / 1000).ok()?, shift / 1000))
    }

    /// Whether pairs disagree, each by whole quarter hours (±2 s): a zone
    /// or DST read wrong, not a clock set wrong.
    pub fn off_by_quarter_hours(&self) -> bool {
        self.disagreeing > 0 && self.odd_shifts == 0
    }

    /// The largest shift, in seconds (local line read late: positive).
    pub fn largest_shift_secs(&self) -> i64 {
        self.shift_ms.map_or(
            0,
            |(lo, hi)| if hi.abs() >= lo.abs() { hi } else { lo } / 1000,
        )
    }
}

/// `ms` as a whole number of quarter hours (in ms), when it is one to ±2 s.
fn quarter_hours(ms: i64) -> Option<i64> {
    let q = (ms + QUARTER_HOUR_MS / 2).div_euclid(QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
    ((ms - q).abs() <= AGREE_MS).then_some(q)
}

fn widen(r: &mut Option<(i64, i64)>, v: i64) {
    *r = Some(r.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
}

#[derive(Default)]
pub struct ClockCheck {
    waiting: foldhash::HashMap<u64, Telling>,
    /// `waiting`'s keys by time: those past the horizon are found without
    /// a sweep of all of them. A log of nothing but offline messages keeps
    /// `waiting` full, and each event lets one or two go.
    by_time: BTreeSet<(DateTime<Utc>, u64)>,
    pub found: ClockPairs,
}

impl std::fmt::Debug for ClockCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClockCheck")
            .field("waiting", &self.waiting.len())
            .field("found", &self.found)
            .finish()
    }
}

impl ClockCheck {
    /// One event, in time order.
    pub fn push(&mut self, e: &LogEvent) {
        let (Some(t), EventKind::Signature { event, fields }) = (e.time, &e.kind) else {
            return;
        };
        let (Some(id), true) = (&fields.id, event.is_oim()) else {
            return;
        };
        let (offset, absolute) = match e.clock {
            Clock::None => return,
            Clock::Absolute => (0, true),
            Clock::Local { offset } => (offset, false),
        };
        let key = key(id, *event);
        let mine = Telling {
            time: t,
            offset,
            absolute,
            path: Arc::clone(&e.origin.path),
            line: e.origin.line,
        };
        if let Some(other) = self.waiting.get(&key) {
            let near = (t - other.time).num_seconds().abs() <= PAIR_WINDOW_SECS;
            if near && other.absolute != absolute {
                if let Some(other) = self.waiting.remove(&key) {
                    self.by_time.remove(&(other.time, key));
                    let (local, abs) = if absolute {
                        (other, mine)
                    } else {
                        (mine, other)
                    };
                    let what = format!("{} message {id}", event.name());
                    self.pair(&local, &abs, &what);
                }
                return;
            }
        }
        if self.waiting.len() >= MAX_WAITING {
            // The tellings too old to pair with any to come are let go.
            let horizon = t - chrono::Duration::seconds(PAIR_WINDOW_SECS);
            while let Some(&(time, old)) = self.by_time.first().filter(|(time, _)| *time < horizon)
            {
                self.by_time.remove(&(time, old));
                self.waiting.remove(&old);
            }
            if self.waiting.len() >= MAX_WAITING {
                return;
            }
        }
        if let Some(old) = self.waiting.insert(key, mine) {
            self.by_time.remove(&(old.time, key));
        }
        self.by_time.insert((t, key));
    }

    fn pair(&mut self, local: &Telling, abs: &Telling, what: &str) {
        self.found.add(local, abs, what, what);
    }
}

impl ClockPairs {
    /// Spool items whose date carries its own zone (`Date: ... +0100`),
    /// each against the local line of the queued step of the attempt it
    /// links to: the item's date is when that message was sent. A pair
    /// counts as the CSV's do. Only linked items pair: linking by
    /// recipient and time needs the times within 5 minutes, so an item an
    /// hour off pairs through the spooled file its attempt names.
    pub fn pair_items(&mut self, attempts: &[Attempt], items: &[SpoolItem]) {
        for a in attempts {
            let Some((time, offset, origin)) =
                a.events
                    .iter()
                    .find_map(|e| match (e.time, e.clock, &e.kind) {
                        (
                            Some(t),
                            Clock::Local { offset },
                            EventKind::Signature {
                                event: SigEvent::OimQueued,
                                ..
                            },
                        ) => Some((t, offset, &e.origin)),
                        _ => None,
                    })
            else {
                continue;
            };
            let local = Telling {
                time,
                offset,
                absolute: false,
                path: Arc::clone(&origin.path),
                line: origin.line,
            };
            let what = match &a.id {
                Some(id) => format!("{} message {id}", SigEvent::OimQueued.name()),
                None => format!("{} message", SigEvent::OimQueued.name()),
            };
            for item in a.spool_items.iter().filter_map(|&j| items.get(j)) {
                if item.sent_at_source != TimeSource::Content || item.local_date.is_some() {
                    continue;
                }
                let abs = Telling {
                    time: item.sent_at,
                    offset: 0,
                    absolute: true,
                    path: item.path.to_path_buf().into(),
                    line: None,
                };
                self.add(&local, &abs, &what, "its spool item's date");
            }
        }
    }

    /// One event told by a local line and with an absolute time.
    fn add(&mut self, local: &Telling, abs: &Telling, what_local: &str, what_abs: &str) {
        let f = self;
        f.pairs += 1;
        let shift = (local.time - abs.time).num_milliseconds();
        // The local line's wall time minus the instant: the offset it was written at.
        widen(&mut f.written_ms, i64::from(local.offset) * 1000 + shift);
        if shift.abs() <= AGREE_MS {
            return;
        }
        f.disagreeing += 1;
        if quarter_hours(shift).is_none() {
            f.odd_shifts += 1;
        }
        widen(&mut f.shift_ms, shift);
        if f.evidence.is_empty() {
            f.evidence = vec![local.evidence(what_local), abs.evidence(what_abs)];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oimdiag_vocab::events::{Origin, SigFields};
    use std::path::PathBuf;

    fn ev(time: &str, clock: Clock, id: &str, event: SigEvent) -> LogEvent {
        LogEvent {
            time: Some(
                DateTime::parse_from_rfc3339(time)
                    .unwrap()
                    .with_timezone(&Utc),
            ),
            clock,
            origin: Origin {
                path: PathBuf::from("x").into(),
                line: Some(1),
                excerpt: String::new(),
            },
            kind: EventKind::Signature {
                event,
                fields: SigFields {
                    id: Some(id.into()),
                    ..SigFields::default()
                },
            },
        }
    }

    const UTC_READ: Clock = Clock::Local { offset: 0 };

    #[test]
    fn an_hour_off_on_every_pair_reconciles_at_the_written_offset() {
        let mut c = ClockCheck::default();
        // Written at +01:00, read as UTC: an hour late against the FILETIME.
        c.push(&ev(
            "2026-11-23T08:00:00.100Z",
            Clock::Absolute,
            "1",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T08:00:01Z",
            Clock::Absolute,
            "1",
            SigEvent::OimFailed,
        ));
        c.push(&ev(
            "2026-11-23T09:00:00.100Z",
            UTC_READ,
            "1",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T09:00:02.500Z",
            UTC_READ,
            "1",
            SigEvent::OimFailed,
        ));
        assert_eq!((c.found.pairs, c.found.disagreeing), (2, 2));
        assert_eq!(c.found.reconciling(), Some((3600, 3600)));
        assert_eq!(c.found.evidence.len(), 2);
    }

    #[test]
    fn agreeing_pairs_and_odd_shifts_reconcile_nothing() {
        let mut c = ClockCheck::default();
        c.push(&ev(
            "2026-11-23T08:00:00Z",
            Clock::Absolute,
            "1",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T08:00:01.900Z",
            UTC_READ,
            "1",
            SigEvent::OimQueued,
        ));
        assert_eq!((c.found.pairs, c.found.disagreeing), (1, 0));
        assert_eq!(c.found.reconciling(), None);
        // 37 minutes off: a clock set wrong, not a zone.
        let mut c = ClockCheck::default();
        c.push(&ev(
            "2026-11-23T08:00:00Z",
            Clock::Absolute,
            "1",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T08:37:00Z",
            UTC_READ,
            "1",
            SigEvent::OimQueued,
        ));
        assert_eq!(c.found.disagreeing, 1);
        assert_eq!(c.found.reconciling(), None);
        // Pairs that disagree among themselves: no one offset.
        let mut c = ClockCheck::default();
        c.push(&ev(
            "2026-11-23T08:00:00Z",
            Clock::Absolute,
            "1",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T09:00:00Z",
            UTC_READ,
            "1",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T10:00:00Z",
            Clock::Absolute,
            "2",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T12:00:00Z",
            UTC_READ,
            "2",
            SigEvent::OimQueued,
        ));
        assert_eq!(c.found.disagreeing, 2);
        assert_eq!(c.found.reconciling(), None);
    }

    #[test]
    fn same_clock_kinds_and_other_steps_do_not_pair() {
        let mut c = ClockCheck::default();
        c.push(&ev(
            "2026-11-23T08:00:00Z",
            UTC_READ,
            "1",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T09:00:00Z",
            UTC_READ,
            "1",
            SigEvent::OimQueued,
        ));
        c.push(&ev(
            "2026-11-23T09:00:00Z",
            Clock::Absolute,
            "1",
            SigEvent::OimFailed,
        ));
        c.push(&ev(
            "2026-11-23T09:00:00Z",
            Clock::Absolute,
            "2",
            SigEvent::OimQueued,
        ));
        assert_eq!(c.found.pairs, 0);
    }

    /// The tellings kept by a sweep of all of them, as they were before
    /// they were kept by time: what `ClockCheck` must still find.
    #[derive(Default)]
    struct Swept {
        waiting: std::collections::HashMap<u64, Telling>,
        found: ClockPairs,
    }

    impl Swept {
        fn push(&mut self, e: &LogEvent) {
            let (Some(t), EventKind::Signature { event, fields }) = (e.time, &e.kind) else {
                return;
            };
            let id = fields.id.as_deref().unwrap();
            let (offset, absolute) = match e.clock {
                Clock::Local { offset } => (offset, false),
                _ => (0, true),
            };
            let key = key(id, *event);
            let mine = Telling {
                time: t,
                offset,
                absolute,
                path: Arc::clone(&e.origin.path),
                line: e.origin.line,
            };
            if let Some(other) = self.waiting.get(&key) {
                if (t - other.time).num_seconds().abs() <= PAIR_WINDOW_SECS
                    && other.absolute != absolute
                {
                    let other = self.waiting.remove(&key).unwrap();
                    let (local, abs) = if absolute {
                        (other, mine)
                    } else {
                        (mine, other)
                    };
                    let what = format!("{} message {id}", event.name());
                    self.found.add(&local, &abs, &what, &what);
                    return;
                }
            }
            if self.waiting.len() >= MAX_WAITING {
                let horizon = t - chrono::Duration::seconds(PAIR_WINDOW_SECS);
                self.waiting.retain(|_, w| w.time >= horizon);
                if self.waiting.len() >= MAX_WAITING {
                    return;
                }
            }
            self.waiting.insert(key, mine);
        }
    }

    /// Long runs of tellings, most never paired, some told again, the
    /// times mostly rising and now and then falling back: what is paired
    /// is what a sweep of every waiting telling would have paired.
    #[test]
    fn tellings_let_go_by_time_pair_as_a_sweep_of_all_would() {
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let steps = [SigEvent::OimQueued, SigEvent::OimFailed];
        for round in 0..8 {
            let (mut new, mut old) = (ClockCheck::default(), Swept::default());
            let mut full = false;
            let mut t = DateTime::parse_from_rfc3339("2026-11-23T08:00:00Z")
                .unwrap()
                .with_timezone(&Utc);
            for _ in 0..6_000 {
                // Mostly minutes apart, so that a day's tellings fill the
                // bound; now and then a step back (a log's clock set back).
                let ms = match next(20) {
                    0 => -(next(3_600_000) as i64),
                    1 => next(4 * 3_600_000) as i64,
                    _ => next(240_000) as i64,
                };
                t += chrono::Duration::milliseconds(ms);
                let clock = match next(3) {
                    0 => Clock::Absolute,
                    _ => Clock::Local {
                        offset: 900 * (next(9) as i32 - 4),
                    },
                };
                let id = next(1_500 + 500 * round).to_string();
                let step = steps[next(2) as usize];
                let mut e = ev("2026-11-23T08:00:00Z", clock, &id, step);
                e.time = Some(t + chrono::Duration::milliseconds(next(5_000) as i64));
                new.push(&e);
                old.push(&e);
                full |= new.waiting.len() == MAX_WAITING;
            }
            assert!(new.found.pairs > 50, "round {round}: {:?}", new.found);
            assert!(full, "round {round}: the bound was never reached");
            assert_eq!(new.found, old.found, "round {round}");
            assert_eq!(new.waiting.len(), old.waiting.len(), "round {round}");
            assert_eq!(new.by_time.len(), new.waiting.len(), "round {round}");
        }
    }
}
