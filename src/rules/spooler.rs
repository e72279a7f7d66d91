//! Rules on History Spooler items: OIM001 stuck, OIM002 pending, OIM050
//! unreadable, OIM051 dated in the future.

use super::{Evidence, Finding, RuleContext, MAX_EVIDENCE, TIMER_SECS};
use crate::correlate::{Attempt, Outcome};
use crate::model::{ScanData, SpoolItem, TimeSource};
use crate::timefmt::{human_duration, rfc3339};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

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

pub(super) fn evaluate(
    scan: &ScanData,
    attempts: &[Attempt],
    ctx: &RuleContext,
    out: &mut Vec<Finding>,
) {
    let delivered = delivered_items(attempts);
    let mut by_user: BTreeMap<Option<&str>, Vec<(usize, &SpoolItem)>> = BTreeMap::new();
    for (j, item) in scan.spool_items.iter().enumerate() {
        by_user
            .entry(item.profile.as_deref())
            .or_default()
            .push((j, item));
    }
    for (user, items) in by_user {
        let user_s = user.map(str::to_string);
        let whose = user.map_or("the History Spooler".to_string(), |u| {
            format!("the History Spooler of {u}")
        });
        let mut stuck = Vec::new();
        let mut pending = Vec::new();
        let mut broken = Vec::new();
        let mut future = Vec::new();
        for (j, item) in items {
            let (age, state) = item_state(item, ctx.now);
            match state {
                ItemState::Stuck if delivered.contains(&j) => {}
                ItemState::Stuck => stuck.push((item, age)),
                ItemState::Pending => pending.push((item, age)),
            }
            if item.problem.is_some() {
                broken.push(item);
            }
            if item.sent_at > ctx.now {
                future.push((item, age));
            }
        }
        if !stuck.is_empty() {
            let oldest = stuck.iter().map(|(_, a)| *a).max().unwrap_or(0);
            let since = stuck
                .iter()
                .map(|(i, _)| i.sent_at)
                .min()
                .unwrap_or(ctx.now);
            let recipients = recipients(stuck.iter().map(|(i, _)| *i));
            let message = format!(
                "{} in {whose} {} older than the two-minute timer{}; the oldest has waited {} (since {}).",
                count(stuck.len(), "offline message"),
                if stuck.len() == 1 { "is" } else { "are" },
                recipients,
                human_duration(oldest),
                rfc3339(since),
            );
            let ev = capped(&stuck, |(i, a)| item_evidence(i, *a));
            out.push(Finding::new("OIM001", message, ev).for_user(user_s.clone()));
        }
        let fresh: Vec<_> = pending
            .iter()
            .filter(|(i, _)| i.sent_at <= ctx.now)
            .collect();
        if !fresh.is_empty() {
            let deadline = fresh
                .iter()
                .map(|(i, _)| i.sent_at)
                .max()
                .unwrap_or(ctx.now)
                + Duration::seconds(TIMER_SECS + 1);
            let wait = (deadline - ctx.now).num_seconds().max(0);
            let message = format!(
                "{} in {whose} {} still within the two-minute timer: run oimdiag again after {} (in {}).",
                count(fresh.len(), "offline message"),
                if fresh.len() == 1 { "is" } else { "are" },
                rfc3339(deadline),
                human_duration(wait),
            );
            let ev = capped(&fresh, |(i, a)| item_evidence(i, *a));
            out.push(Finding::new("OIM002", message, ev).for_user(user_s.clone()));
        }
        if !broken.is_empty() {
            let message = format!(
                "{} in {whose} could not be read or parsed; {} age comes from the file time.",
                count(broken.len(), "item"),
                if broken.len() == 1 { "its" } else { "their" },
            );
            let ev = capped(&broken, |i| Evidence {
                path: i.path.display().to_string(),
                line: None,
                excerpt: i.problem.clone().unwrap_or_default(),
            });
            out.push(Finding::new("OIM050", message, ev).for_user(user_s.clone()));
        }
        if !future.is_empty() {
            let ahead = future.iter().map(|(_, a)| -a).max().unwrap_or(0);
            let message = format!(
                "{} in {whose} {} dated after the scan time {} (up to {} ahead): a clock is wrong, so ages are too.",
                count(future.len(), "item"),
                if future.len() == 1 { "is" } else { "are" },
                rfc3339(ctx.now),
                human_duration(ahead),
            );
            let ev = capped(&future, |(i, a)| item_evidence(i, *a));
            out.push(Finding::new("OIM051", message, ev).for_user(user_s));
        }
    }
}

/// Evidence for a finding about `items`, as `cap_evidence` leaves it: the
/// first `MAX_EVIDENCE`, then a line counting the rest. Only the items kept are
/// formatted (a spooler may hold 100,000 stuck items).
fn capped<T>(items: &[T], evidence: impl Fn(&T) -> Evidence) -> Vec<Evidence> {
    let mut ev: Vec<Evidence> = items.iter().take(MAX_EVIDENCE).map(evidence).collect();
    if items.len() > MAX_EVIDENCE {
        let more = items.len() - MAX_EVIDENCE;
        ev.push(Evidence {
            path: String::new(),
            line: None,
            excerpt: format!("… and {more} more items (all listed in the report's details)"),
        });
    }
    ev
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

fn recipients<'a>(items: impl Iterator<Item = &'a SpoolItem>) -> String {
    let mut r: Vec<&str> = items.filter_map(|i| i.recipient.as_deref()).collect();
    r.sort_unstable();
    r.dedup();
    match r.len() {
        0 => String::new(),
        1..=3 => format!(" (to {})", r.join(", ")),
        n => format!(" (to {} and {} others)", r[..3].join(", "), n - 3),
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
    fn capped_evidence_is_cap_evidence_of_all() {
        for n in [0, 1, MAX_EVIDENCE - 1, MAX_EVIDENCE, MAX_EVIDENCE + 1, 1000] {
            let items: Vec<usize> = (0..n).collect();
            let all = items.iter().map(ev).collect();
            assert_eq!(capped(&items, ev), cap_evidence(all, "items"), "{n} items");
        }
    }
}
