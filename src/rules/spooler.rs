//! Rules on History Spooler items: OIM001 stuck, OIM002 pending, OIM050
//! unreadable, OIM051 dated in the future.

use super::{Evidence, Finding, RuleContext, MAX_EVIDENCE, TIMER_SECS};
use crate::correlate::{Attempt, Outcome};
use crate::model::{ScanData, SpoolItem, TimeSource};
use crate::timefmt::{human_duration, rfc3339};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Pending,
    Stuck,
}

/// Whole seconds since the item was sent, and its state. The timer has
/// expired only once an item is *older than* 120 s: at exactly 120 s it is
/// still pending, at 120.001 s it is stuck.
pub fn item_state(item: &SpoolItem, now: DateTime<Utc>) -> (i64, ItemState) {
    let elapsed = now - item.sent_at;
    let age = elapsed.num_seconds();
    // Compared at full precision: 120.5 s is older than the timer even though
    // it shows as 120 whole seconds.
    let state = if elapsed > Duration::seconds(TIMER_SECS) {
        ItemState::Stuck
    } else {
        ItemState::Pending
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
    fn evidence(&self) -> Vec<Evidence> {
        let mut ev: Vec<Evidence> = self
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
        // Of the broken items, those whose date came from their content.
        let mut dated_inside = 0;
        let mut future = Group::new();
        let items = scan.spool_items.iter().enumerate();
        for (j, item) in items.filter(|(_, i)| i.profile.as_deref() == user) {
            let (age, state) = item_state(item, ctx.now);
            match state {
                ItemState::Stuck if delivered.contains(&j) => {}
                ItemState::Stuck => {
                    stuck.add(item, age);
                    stuck_to.extend(item.recipient.as_deref());
                }
                // Pending and not dated after the scan: still within its timer.
                ItemState::Pending if item.sent_at <= ctx.now => fresh.add(item, age),
                ItemState::Pending => {}
            }
            if item.problem.is_some() {
                broken.add(item, age);
                dated_inside += usize::from(item.sent_at_source == TimeSource::Content);
            }
            if item.sent_at > ctx.now {
                future.add(item, age);
            }
        }
        if stuck.count > 0 {
            let message = format!(
                "{} in {whose} {} older than the two-minute timer{}; the oldest has waited {} (since {}).",
                count(stuck.count, "offline message"),
                if stuck.count == 1 { "is" } else { "are" },
                recipients(&stuck_to),
                human_duration(stuck.max_age),
                rfc3339(stuck.min_sent.unwrap_or(ctx.now)),
            );
            out.push(Finding::new("OIM001", message, stuck.evidence()).for_user(user_s.clone()));
        }
        if fresh.count > 0 {
            let deadline = fresh.max_sent.unwrap_or(ctx.now) + Duration::seconds(TIMER_SECS + 1);
            let wait = (deadline - ctx.now).num_seconds().max(0);
            let message = format!(
                "{} in {whose} {} still within the two-minute timer: run oimdiag again after {} (in {}).",
                count(fresh.count, "offline message"),
                if fresh.count == 1 { "is" } else { "are" },
                rfc3339(deadline),
                human_duration(wait),
            );
            out.push(Finding::new("OIM002", message, fresh.evidence()).for_user(user_s.clone()));
        }
        if broken.count > 0 {
            let message = format!(
                "{} in {whose} could not be read or parsed; {}.",
                count(broken.count, "item"),
                broken_ages(broken.count, dated_inside),
            );
            let mut ev: Vec<Evidence> = broken
                .first
                .iter()
                .map(|(i, _)| Evidence {
                    path: i.path.display().to_string(),
                    line: None,
                    excerpt: i.problem.clone().unwrap_or_default(),
                })
                .collect();
            more_items(&mut ev, broken.count);
            out.push(Finding::new("OIM050", message, ev).for_user(user_s.clone()));
        }
        if future.count > 0 {
            let message = format!(
                "{} in {whose} {} dated after the scan time {} (up to {} ahead): a clock is wrong, so ages are too.",
                count(future.count, "item"),
                if future.count == 1 { "is" } else { "are" },
                rfc3339(ctx.now),
                human_duration(-future.min_age),
            );
            out.push(Finding::new("OIM051", message, future.evidence()).for_user(user_s));
        }
    }
}

/// Where the ages of `count` unreadable items come from, `inside` of them
/// dated by their content: what was read is said, not what was not.
fn broken_ages(count: usize, inside: usize) -> String {
    let file = count - inside.min(count);
    match (inside, file) {
        (0, 1) => "its age comes from the file time".into(),
        (0, _) => "their ages come from the file times".into(),
        (1, 0) => "its age comes from the date inside it".into(),
        (_, 0) => "their ages come from the dates inside them".into(),
        _ => format!(
            "{inside} {} dated by the date inside, {file} by the file time",
            if inside == 1 { "is" } else { "are" }
        ),
    }
}

/// Evidence for a finding about `items`, as `cap_evidence` leaves it: the
/// first `MAX_EVIDENCE`, then a line counting the rest. Only the items kept are
/// formatted (a spooler may hold 100,000 stuck items).
#[cfg(test)]
fn capped<T>(items: &[T], evidence: impl Fn(&T) -> Evidence) -> Vec<Evidence> {
    let mut ev: Vec<Evidence> = items.iter().take(MAX_EVIDENCE).map(evidence).collect();
    more_items(&mut ev, items.len());
    ev
}

/// The line that counts the items of `total` not in the evidence.
fn more_items(ev: &mut Vec<Evidence>, total: usize) {
    if total > MAX_EVIDENCE {
        let more = total - MAX_EVIDENCE;
        ev.push(Evidence {
            path: String::new(),
            line: None,
            excerpt: format!("… and {more} more items (all listed in the report's details)"),
        });
    }
}

fn item_evidence(item: &SpoolItem, age: i64) -> Evidence {
    let to = item.recipient.as_deref().unwrap_or("unknown recipient");
    let source = match item.sent_at_source {
        TimeSource::Content => "date in the item",
        TimeSource::Mtime => "file time",
    };
    Evidence {
        path: item.path.display().to_string(),
        line: None,
        excerpt: format!(
            "to {to}; sent {} ({source}); age {}",
            rfc3339(item.sent_at),
            human_duration(age)
        ),
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
    use crate::rules::cap_evidence;

    fn ev(k: &usize) -> Evidence {
        Evidence {
            path: format!("History Spooler/{k}.hist"),
            line: None,
            excerpt: format!("item {k}"),
        }
    }

    /// Formatting only what is kept says the same as formatting all and capping.
    #[test]
    fn unreadable_items_say_where_their_ages_come_from() {
        assert_eq!(broken_ages(1, 0), "its age comes from the file time");
        assert_eq!(broken_ages(3, 0), "their ages come from the file times");
        assert_eq!(broken_ages(1, 1), "its age comes from the date inside it");
        assert_eq!(
            broken_ages(2, 2),
            "their ages come from the dates inside them"
        );
        assert_eq!(
            broken_ages(3, 1),
            "1 is dated by the date inside, 2 by the file time"
        );
        assert_eq!(
            broken_ages(5, 3),
            "3 are dated by the date inside, 2 by the file time"
        );
    }

    #[test]
    fn capped_evidence_is_cap_evidence_of_all() {
        for n in [0, 1, MAX_EVIDENCE - 1, MAX_EVIDENCE, MAX_EVIDENCE + 1, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let all = items.iter().map(ev).collect();
            assert_eq!(capped(&items, ev), cap_evidence(all, "items"), "{n} items");
        }
    }
}
