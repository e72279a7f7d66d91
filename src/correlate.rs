//! Joining log events into one story per offline message (an *attempt*) and
//! linking attempts to spool items. The two-minute timer decides outcomes:
//! delivered within 120 s, delivered late, failed, expired (nothing after the
//! timer ran out), or still pending.

use crate::events::{EventKind, LogEvent, SigEvent};
use crate::model::ScanData;
use crate::rules::TIMER_SECS;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// A spooled item and an attempt are the same message when their recipients
/// match and their times are this close (and no spooled event names the file).
const LINK_WINDOW_SECS: i64 = 300;
/// A 480 to an INVITE this long before a queued message is that message's trigger.
const TRIGGER_WINDOW_SECS: i64 = 300;
/// Events kept per attempt (the first ones, which tell the story; the count of
/// the rest is kept).
pub const MAX_EVENTS_PER_ATTEMPT: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    DeliveredLate,
    Failed,
    Expired,
    Pending,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: Option<String>,
    pub user: Option<String>,
    pub recipient: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    /// Indexes into `ScanData::events`, in time order.
    pub events: Vec<usize>,
    /// Events past `MAX_EVENTS_PER_ATTEMPT`, counted not kept.
    pub events_dropped: usize,
    /// Indexes into `ScanData::spool_items` of the items that are this message.
    pub spool_items: Vec<usize>,
}

impl Attempt {
    pub fn is_undelivered(&self) -> bool {
        matches!(self.outcome, Outcome::Failed | Outcome::Expired)
    }
}

pub fn correlate(scan: &ScanData, now: DateTime<Utc>, sole_user: Option<&str>) -> Vec<Attempt> {
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut trigger: HashMap<String, (usize, DateTime<Utc>)> = HashMap::new();
    let mut user: Option<String> = sole_user.map(str::to_string);

    for (idx, e) in scan.events.iter().enumerate() {
        let Some(t) = e.time else { continue };
        match &e.kind {
            EventKind::SipUser { address } => user = Some(address.clone()),
            EventKind::CalleeOffline { callee } => {
                trigger.insert(callee.clone(), (idx, t));
            }
            EventKind::Signature { event, fields } if is_oim(*event) => {
                // A queued event always starts a new message (ids restart with
                // the client); later events join theirs by id, else by recipient.
                let existing = if *event == SigEvent::OimQueued {
                    None
                } else {
                    match &fields.id {
                        Some(id) => by_id.get(id).copied(),
                        None => open_attempt(
                            &attempts,
                            &scan.events,
                            *event,
                            fields.recipient.as_deref(),
                        ),
                    }
                };
                let a = match existing {
                    Some(a) => a,
                    None => {
                        attempts.push(Attempt {
                            id: fields.id.clone(),
                            user: user.clone(),
                            recipient: fields.recipient.clone(),
                            queued_at: t,
                            resolved_at: None,
                            outcome: Outcome::Pending,
                            events: Vec::new(),
                            events_dropped: 0,
                            spool_items: Vec::new(),
                        });
                        let a = attempts.len() - 1;
                        if let Some(id) = &fields.id {
                            by_id.insert(id.clone(), a);
                        }
                        // The 480 that made this an offline message, when it came shortly before.
                        if let Some(r) = &fields.recipient {
                            if let Some((ti, tt)) = trigger.remove(r) {
                                if (t - tt).num_seconds() <= TRIGGER_WINDOW_SECS && tt <= t {
                                    attempts[a].events.push(ti);
                                }
                            }
                        }
                        a
                    }
                };
                let at = &mut attempts[a];
                if at.recipient.is_none() {
                    at.recipient = fields.recipient.clone();
                }
                if at.events.len() < MAX_EVENTS_PER_ATTEMPT {
                    at.events.push(idx);
                } else {
                    at.events_dropped += 1;
                }
            }
            _ => {}
        }
    }
    for a in &mut attempts {
        judge(a, &scan.events, now);
    }
    link_items(&mut attempts, scan);
    attempts
}

fn is_oim(e: SigEvent) -> bool {
    matches!(
        e,
        SigEvent::OimQueued
            | SigEvent::OimProcessing
            | SigEvent::OimDelivered
            | SigEvent::OimFailed
            | SigEvent::OimSpooled
    )
}

/// For an event without an id: the oldest message to the same recipient (any
/// recipient, when none is named) that has not had this step yet and is not
/// delivered — messages are processed in order — else the newest such message.
fn open_attempt(
    attempts: &[Attempt],
    events: &[LogEvent],
    step: SigEvent,
    recipient: Option<&str>,
) -> Option<usize> {
    let has = |a: &Attempt, want: SigEvent| {
        a.events.iter().any(
            |&i| matches!(&events[i].kind, EventKind::Signature { event, .. } if *event == want),
        )
    };
    let candidates = || {
        attempts
            .iter()
            .enumerate()
            .filter(|(_, a)| match recipient {
                Some(r) => a.recipient.as_deref() == Some(r),
                None => true,
            })
    };
    candidates()
        .find(|(_, a)| !has(a, step) && !has(a, SigEvent::OimDelivered))
        .or_else(|| candidates().next_back())
        .map(|(i, _)| i)
}

/// Outcome from the attempt's events and the scan time: a delivery anywhere
/// wins (a retry may succeed after a failure); else a failure or spooling;
/// else the timer decides.
fn judge(a: &mut Attempt, events: &[LogEvent], now: DateTime<Utc>) {
    let when = |want: &[SigEvent]| {
        a.events.iter().find_map(|&i| match &events[i].kind {
            EventKind::Signature { event, .. } if want.contains(event) => events[i].time,
            _ => None,
        })
    };
    if let Some(t) = when(&[SigEvent::OimDelivered]) {
        a.resolved_at = Some(t);
        a.outcome = if t - a.queued_at > Duration::seconds(TIMER_SECS) {
            Outcome::DeliveredLate
        } else {
            Outcome::Delivered
        };
    } else if let Some(t) = when(&[SigEvent::OimFailed, SigEvent::OimSpooled]) {
        a.resolved_at = Some(t);
        a.outcome = Outcome::Failed;
    } else if now - a.queued_at > Duration::seconds(TIMER_SECS) {
        a.outcome = Outcome::Expired;
    } else {
        a.outcome = Outcome::Pending;
    }
}

/// Links spool items to attempts: by the file a `spooled` event names, else
/// by recipient (and user) within a time window. An item joins one attempt.
///
/// Indexed, not nested: items by lower-cased file name and by recipient
/// (sorted by time), so thousands of attempts against a hundred thousand
/// items cost lookups, not a scan of every item per attempt. The result is
/// the same as trying every item in order for every attempt.
fn link_items(attempts: &mut [Attempt], scan: &ScanData) {
    let items = &scan.spool_items;
    let mut taken = vec![false; items.len()];
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (j, it) in items.iter().enumerate() {
        if let Some(n) = it.path.file_name() {
            by_name
                .entry(n.to_string_lossy().to_lowercase())
                .or_default()
                .push(j);
        }
    }
    for a in attempts.iter_mut() {
        let mut named: Vec<String> = a
            .events
            .iter()
            .filter_map(|&i| match &scan.events[i].kind {
                EventKind::Signature {
                    event: SigEvent::OimSpooled,
                    fields,
                } => fields.file.as_ref().map(|f| base_name(f).to_lowercase()),
                _ => None,
            })
            .collect();
        if named.is_empty() {
            continue;
        }
        named.sort_unstable();
        named.dedup();
        // Every untaken item with one of these names, in item order.
        let mut hits: Vec<usize> = named
            .iter()
            .filter_map(|n| by_name.get(n))
            .flatten()
            .copied()
            .filter(|&j| !taken[j])
            .collect();
        hits.sort_unstable();
        for j in hits {
            taken[j] = true;
            a.spool_items.push(j);
        }
    }
    // Per recipient, items ordered by (sent time, index).
    let mut by_recipient: HashMap<&str, Vec<(DateTime<Utc>, usize)>> = HashMap::new();
    for (j, it) in items.iter().enumerate() {
        if let Some(r) = it.recipient.as_deref() {
            by_recipient.entry(r).or_default().push((it.sent_at, j));
        }
    }
    for v in by_recipient.values_mut() {
        v.sort_unstable();
    }
    // Whole seconds truncate toward zero: |d| <= LINK_WINDOW_SECS means
    // strictly less than one second more than the window.
    let reach = Duration::seconds(LINK_WINDOW_SECS + 1);
    for a in attempts.iter_mut() {
        if !a.spool_items.is_empty() {
            continue;
        }
        let Some(r) = a.recipient.as_deref() else {
            continue;
        };
        let Some(list) = by_recipient.get(r) else {
            continue;
        };
        let lo = list.partition_point(|(t, _)| *t <= a.queued_at - reach);
        let hi = list.partition_point(|(t, _)| *t < a.queued_at + reach);
        let best = list[lo..hi]
            .iter()
            .filter(|(_, j)| {
                let it = &items[*j];
                !taken[*j] && (a.user.is_none() || it.profile.is_none() || it.profile == a.user)
            })
            .map(|&(t, j)| (j, (t - a.queued_at).num_seconds().abs()))
            .filter(|(_, d)| *d <= LINK_WINDOW_SECS)
            // The nearest in time; among equals, the first in item order.
            .min_by_key(|&(j, d)| (d, j));
        if let Some((j, _)) = best {
            taken[j] = true;
            a.spool_items.push(j);
        }
    }
}

fn base_name(f: &str) -> &str {
    f.rsplit(['\\', '/']).next().unwrap_or(f)
}

/// When the attempt's timer runs out (for "re-run after").
pub fn timer_end(a: &Attempt) -> DateTime<Utc> {
    a.queued_at + Duration::seconds(TIMER_SECS + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Origin, SigFields};
    use crate::model::SpoolItem;
    use crate::model::{ItemFormat, TimeSource};
    use std::path::PathBuf;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sig(time: &str, event: SigEvent, id: Option<&str>, to: Option<&str>) -> LogEvent {
        LogEvent {
            time: Some(t(time)),
            origin: Origin {
                path: PathBuf::from("Lync-UccApi-0.UccApilog"),
                line: Some(1),
                excerpt: String::new(),
            },
            kind: EventKind::Signature {
                event,
                fields: SigFields {
                    id: id.map(str::to_string),
                    recipient: to.map(str::to_string),
                    ..SigFields::default()
                },
            },
        }
    }

    fn with_file(mut e: LogEvent, file: &str) -> LogEvent {
        if let EventKind::Signature { fields, .. } = &mut e.kind {
            fields.file = Some(file.to_string());
        }
        e
    }

    fn scan(events: Vec<LogEvent>) -> ScanData {
        ScanData {
            events,
            ..ScanData::default()
        }
    }

    const NOW: &str = "2026-11-23T12:00:00Z";

    #[test]
    fn timer_boundary_for_attempts() {
        // Queued exactly 120 s before now: still pending; 121 s: expired.
        let s = scan(vec![sig(
            "2026-11-23T11:58:00Z",
            SigEvent::OimQueued,
            Some("1"),
            Some("b@x.com"),
        )]);
        assert_eq!(correlate(&s, t(NOW), None)[0].outcome, Outcome::Pending);
        let s = scan(vec![sig(
            "2026-11-23T11:57:59Z",
            SigEvent::OimQueued,
            Some("1"),
            Some("b@x.com"),
        )]);
        assert_eq!(correlate(&s, t(NOW), None)[0].outcome, Outcome::Expired);
    }

    #[test]
    fn delivery_within_and_after_the_timer() {
        let s = scan(vec![
            sig(
                "2026-11-23T10:00:00Z",
                SigEvent::OimQueued,
                Some("1"),
                Some("b@x.com"),
            ),
            sig(
                "2026-11-23T10:02:00Z",
                SigEvent::OimDelivered,
                Some("1"),
                None,
            ),
            sig(
                "2026-11-23T10:10:00Z",
                SigEvent::OimQueued,
                Some("2"),
                Some("c@x.com"),
            ),
            sig(
                "2026-11-23T10:15:00Z",
                SigEvent::OimDelivered,
                Some("2"),
                None,
            ),
        ]);
        let a = correlate(&s, t(NOW), None);
        assert_eq!(a[0].outcome, Outcome::Delivered);
        assert_eq!(a[1].outcome, Outcome::DeliveredLate);
        assert_eq!(a[1].resolved_at, Some(t("2026-11-23T10:15:00Z")));
    }

    #[test]
    fn failure_then_retry_delivered_counts_as_delivered() {
        let s = scan(vec![
            sig(
                "2026-11-23T10:00:00Z",
                SigEvent::OimQueued,
                Some("7"),
                Some("b@x.com"),
            ),
            sig("2026-11-23T10:01:00Z", SigEvent::OimFailed, Some("7"), None),
            sig(
                "2026-11-23T10:01:30Z",
                SigEvent::OimDelivered,
                Some("7"),
                None,
            ),
        ]);
        assert_eq!(correlate(&s, t(NOW), None)[0].outcome, Outcome::Delivered);
    }

    #[test]
    fn without_ids_events_join_by_recipient() {
        let s = scan(vec![
            sig(
                "2026-11-23T10:00:00Z",
                SigEvent::OimQueued,
                None,
                Some("b@x.com"),
            ),
            sig(
                "2026-11-23T10:00:05Z",
                SigEvent::OimQueued,
                None,
                Some("c@x.com"),
            ),
            sig(
                "2026-11-23T10:02:00Z",
                SigEvent::OimFailed,
                None,
                Some("b@x.com"),
            ),
            sig(
                "2026-11-23T10:02:01Z",
                SigEvent::OimDelivered,
                None,
                Some("c@x.com"),
            ),
        ]);
        let a = correlate(&s, t(NOW), None);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].recipient.as_deref(), Some("b@x.com"));
        assert_eq!(a[0].outcome, Outcome::Failed);
        assert_eq!(a[1].outcome, Outcome::Delivered);
    }

    #[test]
    fn two_users_each_get_their_attempts() {
        let user = |time: &str, who: &str| LogEvent {
            time: Some(t(time)),
            origin: Origin {
                path: PathBuf::from("log"),
                line: Some(1),
                excerpt: String::new(),
            },
            kind: EventKind::SipUser {
                address: who.to_string(),
            },
        };
        let s = scan(vec![
            user("2026-11-23T09:00:00Z", "alice@x.com"),
            sig(
                "2026-11-23T09:10:00Z",
                SigEvent::OimQueued,
                Some("1"),
                Some("b@x.com"),
            ),
            user("2026-11-23T10:00:00Z", "carol@x.com"),
            sig(
                "2026-11-23T10:10:00Z",
                SigEvent::OimQueued,
                Some("1"),
                Some("d@x.com"),
            ),
        ]);
        let a = correlate(&s, t(NOW), None);
        assert_eq!(a[0].user.as_deref(), Some("alice@x.com"));
        assert_eq!(a[1].user.as_deref(), Some("carol@x.com"));
        assert_eq!(a[1].recipient.as_deref(), Some("d@x.com"));
    }

    #[test]
    fn items_link_by_spooled_file_name_else_by_recipient_and_time() {
        let item = |name: &str, to: &str, sent: &str| SpoolItem {
            path: PathBuf::from(format!("History Spooler/{name}")),
            profile: Some("alice@x.com".into()),
            size_bytes: 10,
            sent_at: t(sent),
            sent_at_source: TimeSource::Content,
            format: ItemFormat::Mime,
            recipient: Some(to.into()),
            sender: None,
            message_class: None,
            subject: None,
            problem: None,
        };
        let mut s = scan(vec![
            sig(
                "2026-11-23T10:00:00Z",
                SigEvent::OimQueued,
                Some("1"),
                Some("b@x.com"),
            ),
            with_file(
                sig(
                    "2026-11-23T10:02:00Z",
                    SigEvent::OimSpooled,
                    Some("1"),
                    None,
                ),
                "C:\\Users\\a\\AppData\\Local\\...\\History Spooler\\AB12.hist",
            ),
            sig(
                "2026-11-23T11:00:00Z",
                SigEvent::OimQueued,
                Some("2"),
                Some("c@x.com"),
            ),
            sig(
                "2026-11-23T11:30:00Z",
                SigEvent::OimQueued,
                Some("3"),
                Some("c@x.com"),
            ),
        ]);
        s.spool_items = vec![
            item("ab12.hist", "b@x.com", "2026-11-23T08:00:00Z"),
            item("zz.hist", "c@x.com", "2026-11-23T11:00:30Z"),
        ];
        let a = correlate(&s, t(NOW), Some("alice@x.com"));
        assert_eq!(a[0].spool_items, [0], "named file, whatever its time");
        assert_eq!(a[1].spool_items, [1], "recipient within the window");
        assert!(
            a[2].spool_items.is_empty(),
            "an item joins one attempt only"
        );
        assert_eq!(a[0].outcome, Outcome::Failed);
    }

    #[test]
    fn a_480_before_queued_is_the_trigger() {
        let offline = LogEvent {
            time: Some(t("2026-11-23T10:00:00Z")),
            origin: Origin {
                path: PathBuf::from("log"),
                line: Some(5),
                excerpt: String::new(),
            },
            kind: EventKind::CalleeOffline {
                callee: "b@x.com".into(),
            },
        };
        let s = scan(vec![
            offline,
            sig(
                "2026-11-23T10:00:01Z",
                SigEvent::OimQueued,
                Some("1"),
                Some("b@x.com"),
            ),
        ]);
        let a = correlate(&s, t(NOW), None);
        assert_eq!(a[0].events, [0, 1]);
        assert_eq!(a[0].queued_at, t("2026-11-23T10:00:01Z"));
    }
}
