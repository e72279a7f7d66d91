//! Rules on History Spooler items: OIM001 stuck, OIM002 pending, OIM050
//! unreadable or empty. (Items dated after the scan time go to the one
//! OIM051 of the report: see `rules::after_scan_time`.)

use super::{Citation, Finding, RuleContext, MAX_EVIDENCE, TIMER_SECS};
use chrono::{DateTime, Duration, Utc};
use oimdiag_analysis::correlate::{Attempt, Outcome};
use oimdiag_analysis::scan_data::ScanData;
use oimdiag_vocab::found::{Placement, SpoolItem, TimeSource, Window};
use oimdiag_vocab::rule_id::RuleId;
use oimdiag_vocab::timefmt::{human_duration, rfc3339};
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Pending,
    Stuck,
    /// Dated after the scan time: not there yet for a scan at `--now`.
    AfterScanTime,
    /// Zero bytes: nothing the client could send (OIM050, not OIM001).
    Empty,
    /// Dated before `--since`: listed, not judged.
    BeforeSince,
}

impl ItemState {
    /// As the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::Stuck => "stuck",
            ItemState::AfterScanTime => "after_scan_time",
            ItemState::Empty => "empty",
            ItemState::BeforeSince => "before_since",
        }
    }

    /// Every value, for the test that the spelling matches serde's.
    pub const ALL: &'static [ItemState] = &[
        ItemState::Pending,
        ItemState::Stuck,
        ItemState::AfterScanTime,
        ItemState::Empty,
        ItemState::BeforeSince,
    ];
}

/// Whole seconds since the item was sent, and its state. The timer has
/// expired only once an item is *older than* 120 s: at exactly 120 s it is
/// still pending, at 120.001 s it is stuck.
pub fn item_state(item: &SpoolItem, window: Window) -> (i64, ItemState) {
    let elapsed = window.now - item.sent_at;
    let age = elapsed.num_seconds();
    let state = match window.place(item.sent_at) {
        Placement::AfterScanTime => ItemState::AfterScanTime,
        Placement::BeforeSince => ItemState::BeforeSince,
        Placement::Within if item.size_bytes == 0 => ItemState::Empty,
        // Compared at full precision: 120.5 s is older than the timer even
        // though it shows as 120 whole seconds.
        Placement::Within if elapsed > Duration::seconds(TIMER_SECS) => ItemState::Stuck,
        Placement::Within => ItemState::Pending,
    };
    (age, state)
}

/// Items the logs show were delivered after all: a lingering copy, not a stuck message.
pub fn delivered_items(attempts: &[Attempt]) -> HashSet<usize> {
    attempts
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Delivered | Outcome::DeliveredLate))
        .flat_map(|a| a.spool_items.iter().copied())
        .collect()
}

/// What a finding needs of a group of items, gathered as the items go by:
/// how many, the first `MAX_EVIDENCE` with their ages, and the extremes.
/// No list of every item is made (a spooler may hold 100,000).
struct Group<'a> {
    count: usize,
    first: Vec<(&'a SpoolItem, i64)>,
    max_age: i64,
    min_age: i64,
    min_sent: Option<DateTime<Utc>>,
    max_sent: Option<DateTime<Utc>>,
}

impl<'a> Group<'a> {
    fn new() -> Self {
        Group {
            count: 0,
            first: Vec::new(),
            max_age: i64::MIN,
            min_age: i64::MAX,
            min_sent: None,
            max_sent: None,
        }
    }

    fn add(&mut self, item: &'a SpoolItem, age: i64) {
        self.count += 1;
        if self.first.len() < MAX_EVIDENCE {
            self.first.push((item, age));
        }
        self.max_age = self.max_age.max(age);
        self.min_age = self.min_age.min(age);
        self.min_sent = Some(self.min_sent.map_or(item.sent_at, |t| t.min(item.sent_at)));
        self.max_sent = Some(self.max_sent.map_or(item.sent_at, |t| t.max(item.sent_at)));
    }

    /// The evidence, as [`capped`] gives it for the whole group.
    fn evidence(&self) -> Vec<Citation> {
        let mut ev: Vec<Citation> = self
            .first
            .iter()
            .map(|(i, a)| item_evidence(i, *a))
            .collect();
        more_items(&mut ev, self.count);
        ev
    }
}

pub(super) fn evaluate(
    scan: &ScanData,
    attempts: &[Attempt],
    ctx: &RuleContext,
    out: &mut Vec<Finding>,
) {
    let delivered = delivered_items(attempts);
    // Each user's items in turn, in item order.
    let mut users: BTreeSet<Option<&str>> = BTreeSet::new();
    for item in &scan.spool_items {
        users.insert(item.profile.as_deref());
    }
    for user in users {
        let user_s = user.map(str::to_string);
        let whose = user.map_or("the History Spooler".to_string(), |u| {
            format!("the History Spooler of {u}")
        });
        let mut stuck = Group::new();
        let mut stuck_to: BTreeSet<&str> = BTreeSet::new();
        let mut fresh = Group::new();
        let mut broken = Group::new();
        let items = scan.spool_items.iter().enumerate();
        for (j, item) in items.filter(|(_, i)| i.profile.as_deref() == user) {
            let (age, state) = item_state(item, ctx.window);
            match state {
                ItemState::Stuck if delivered.contains(&j) => {}
                ItemState::Stuck => {
                    stuck.add(item, age);
                    stuck_to.extend(item.recipient.as_deref());
                }
                ItemState::Pending => fresh.add(item, age),
                ItemState::Empty => broken.add(item, age),
                ItemState::AfterScanTime | ItemState::BeforeSince => continue,
            }
            if item.problem.is_some() && state != ItemState::Empty {
                broken.add(item, age);
            }
        }
        if stuck.count > 0 {
            let message = format!(
                "{} in {whose} {} older than the two-minute timer{}; the oldest has waited {} (since {}).",
                count(stuck.count, "offline message"),
                if stuck.count == 1 { "is" } else { "are" },
                recipients(&stuck_to),
                human_duration(stuck.max_age),
                rfc3339(stuck.min_sent.unwrap_or(ctx.window.now)),
            );
            out.push(
                Finding::new(RuleId::Oim001, message, stuck.evidence()).for_user(user_s.clone()),
            );
        }
        if fresh.count > 0 {
            // The timer has run out once an item is older than 120 s: one
            // second past that, a scan tells stuck from pending.
            let deadline =
                fresh.max_sent.unwrap_or(ctx.window.now) + Duration::seconds(TIMER_SECS + 1);
            let wait = (deadline - ctx.window.now).num_seconds().max(0);
            let message = format!(
                "{} in {whose} {} still within the two-minute timer: run oimdiag again after {} (in {}).",
                count(fresh.count, "offline message"),
                if fresh.count == 1 { "is" } else { "are" },
                rfc3339(deadline),
                human_duration(wait),
            );
            out.push(
                Finding::new(RuleId::Oim002, message, fresh.evidence()).for_user(user_s.clone()),
            );
        }
        if broken.count > 0 {
            let from_file_time = broken
                .first
                .iter()
                .filter(|(i, _)| i.sent_at_source == TimeSource::Mtime)
                .count();
            let ages = match from_file_time {
                0 => String::new(),
                n if n == broken.first.len() && broken.count == broken.first.len() => format!(
                    "; {} age comes from the file time",
                    if n == 1 { "its" } else { "their" }
                ),
                _ => "; the age of those without a date of their own comes from the file time"
                    .to_string(),
            };
            let message = format!(
                "{} in {whose} could not be read or parsed, or {} empty{ages}.",
                count(broken.count, "item"),
                if broken.count == 1 { "is" } else { "are" },
            );
            let mut ev: Vec<Citation> = broken
                .first
                .iter()
                .map(|(i, _)| Citation {
                    path: i.path.display().to_string(),
                    line: None,
                    excerpt: i.problem.as_deref().unwrap_or("empty file").to_string(),
                })
                .collect();
            more_items(&mut ev, broken.count);
            out.push(Finding::new(RuleId::Oim050, message, ev).for_user(user_s.clone()));
        }
    }
}

/// Items dated after the scan time, for the report's one OIM051: how many,
/// the first few as evidence, and how far ahead the furthest is.
pub(super) fn after_scan_time(scan: &ScanData, window: Window) -> (usize, Vec<Citation>, i64) {
    let mut n = 0;
    let mut ev = Vec::new();
    let mut ahead = 0;
    for item in &scan.spool_items {
        if window.place(item.sent_at) == Placement::AfterScanTime {
            n += 1;
            let secs = (item.sent_at - window.now).num_seconds();
            ahead = ahead.max(secs);
            if ev.len() < MAX_EVIDENCE {
                ev.push(item_evidence(item, -secs));
            }
        }
    }
    (n, ev, ahead)
}

/// Citation for a finding about `items`, as `cap_evidence` leaves it: the
/// first `MAX_EVIDENCE`, then a line counting the rest. Only the items kept are
/// formatted (a spooler may hold 100,000 stuck items).
#[cfg(test)]
fn capped<T>(items: &[T], evidence: impl Fn(&T) -> Citation) -> Vec<Citation> {
    let mut ev: Vec<Citation> = items.iter().take(MAX_EVIDENCE).map(evidence).collect();
    more_items(&mut ev, items.len());
    ev
}

/// The line that counts the items of `total` not in the evidence.
fn more_items(ev: &mut Vec<Citation>, total: usize) {
    if total > MAX_EVIDENCE {
        let more = total - MAX_EVIDENCE;
        ev.push(Citation {
            path: String::new(),
            line: None,
            excerpt: format!("… and {more} more items (all listed in the report's details)"),
        });
    }
}

fn item_evidence(item: &SpoolItem, age: i64) -> Citation {
    let to = item.recipient.as_deref().unwrap_or("unknown recipient");
    let source = match item.sent_at_source {
        TimeSource::Content => "date in the item",
        TimeSource::Mtime => "file time",
    };
    let age = if age < 0 {
        format!("dated {} after the scan time", human_duration(-age))
    } else {
        format!("age {}", human_duration(age))
    };
    Citation {
        path: item.path.display().to_string(),
        line: None,
        excerpt: format!("to {to}; sent {} ({source}); {age}", rfc3339(item.sent_at)),
    }
}

fn recipients(to: &BTreeSet<&str>) -> String {
    let r: Vec<&str> = to.iter().take(3).copied().collect();
    match to.len() {
        0 => String::new(),
        1..=3 => format!(" (to {})", r.join(", ")),
        n => format!(" (to {} and {} others)", r.join(", "), n - 3),
    }
}

pub(crate) fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renderers show `as_str`; the JSON shows serde's spelling: one word.
    #[test]
    fn as_str_is_the_json_spelling() {
        for v in ItemState::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
    }
    use crate::cap_evidence;

    fn ev(k: &usize) -> Citation {
        Citation {
            path: format!("History Spooler/{k}.hist"),
            line: None,
            excerpt: format!("item {k}"),
        }
    }

    /// Formatting only what is kept says the same as formatting all and capping.
    #[test]
    fn capped_evidence_is_cap_evidence_of_all() {
        for n in [0, 1, MAX_EVIDENCE - 1, MAX_EVIDENCE, MAX_EVIDENCE + 1, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let all = items.iter().map(ev).collect();
            assert_eq!(capped(&items, ev), cap_evidence(all, "items"), "{n} items");
        }
    }
}
