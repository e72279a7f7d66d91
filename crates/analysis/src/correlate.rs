//! Joining log events into one story per offline message (an *attempt*) and
//! linking attempts to spool items. The two-minute timer decides outcomes:
//! delivered within 120 s, delivered late, failed, expired (nothing after the
//! timer ran out), or still pending.
//!
//! The `Correlator` is fed the events of every log in time order as they are
//! read, and keeps bounded state: the attempts themselves (at most
//! `MAX_ATTEMPTS_KEPT`, each with at most `MAX_EVENTS_PER_ATTEMPT` events),
//! indexes over them, and counts of what it had to let go. Memory follows the
//! number of messages up to that cap, never the size of the logs.

use chrono::{DateTime, Duration, Utc};
use oimdiag_vocab::events::{Clock, EventKind, LogEvent, Origin, SigEvent};
use oimdiag_vocab::found::{other_domain, TIMER_SECS};
use oimdiag_vocab::found::{SpoolItem, Window};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A spooled item and an attempt are the same message when their recipients
/// match and their times are this close (and no spooled event names the file).
const LINK_WINDOW_SECS: i64 = 300;
/// A 480 to an INVITE this long before a queued message is that message's trigger.
const TRIGGER_WINDOW_SECS: i64 = 300;
/// Events kept per attempt (the first ones, which tell the story; the count of
/// the rest is kept).
pub const MAX_EVENTS_PER_ATTEMPT: usize = 32;
/// Attempts kept whole. Past this, the oldest delivered-in-time message is let
/// go first (it explains nothing), else the oldest of any; what is let go is
/// still counted per user and outcome (`Dropped`). A real client logs tens to
/// thousands of offline messages; this bounds a log that is nothing else.
pub const MAX_ATTEMPTS_KEPT: usize = 5_000;
/// Two tellings of a queued message by different clocks this far apart
/// are still one message: the widest gap between two UTC offsets.
const RETOLD_WINDOW_SECS: i64 = 26 * 3600;
/// Recipients in another domain remembered from messages let go (for
/// OIM040): a log of millions of distinct recipients is bounded here.
pub const MAX_DROPPED_RECIPIENTS: usize = 4_096;
/// Pending 480s (callee offline) remembered: older ones than the trigger
/// window are forgotten once this many are waiting, and when that frees no
/// room, a 480 for another callee is counted (`Dropped::triggers_not_kept`),
/// not remembered.
pub const MAX_TRIGGERS: usize = 4_096;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    DeliveredLate,
    Failed,
    Expired,
    Pending,
}

impl Outcome {
    /// As the JSON report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::DeliveredLate => "delivered_late",
            Outcome::Failed => "failed",
            Outcome::Expired => "expired",
            Outcome::Pending => "pending",
        }
    }

    /// Every value, for the test that the spelling matches serde's.
    pub const ALL: &'static [Outcome] = &[
        Outcome::Delivered,
        Outcome::DeliveredLate,
        Outcome::Failed,
        Outcome::Expired,
        Outcome::Pending,
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub id: Option<String>,
    pub user: Option<String>,
    pub recipient: Option<String>,
    pub queued_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    /// The message's events (its trigger first, if any), in time order.
    pub events: Vec<LogEvent>,
    /// Events past `MAX_EVENTS_PER_ATTEMPT`, counted not kept.
    pub events_dropped: usize,
    /// Indexes into `ScanData::spool_items` of the items that are this message.
    pub spool_items: Vec<usize>,
    /// Which offline-IM steps were seen, kept or not (bit per `SigEvent`).
    steps: u16,
    /// When the first delivery was seen.
    delivered_at: Option<DateTime<Utc>>,
    /// How the queued event's time was told.
    queued_clock: Clock,
}

impl Attempt {
    pub fn is_undelivered(&self) -> bool {
        matches!(self.outcome, Outcome::Failed | Outcome::Expired)
    }

    fn has(&self, step: SigEvent) -> bool {
        self.steps & bit(step) != 0
    }
}

fn bit(e: SigEvent) -> u16 {
    1 << (e as u16)
}

/// Attempts let go past `MAX_ATTEMPTS_KEPT`, per user: their counts by
/// outcome, the slowest late delivery, and recipients in other domains.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dropped {
    /// Keyed by the users REGISTERs named, which the digest bounds
    /// (`digest::MAX_SIP_USERS`; past it the sender is `None`).
    pub by_user: BTreeMap<Option<String>, DroppedCounts>,
    /// (sender, recipient) in different domains, with the queued event's origin.
    pub federated: BTreeMap<(String, String), Origin>,
    /// Recipients of messages let go past `MAX_DROPPED_RECIPIENTS`: counted.
    pub recipients_not_kept: usize,
    /// 480s (callee offline) not remembered past `MAX_TRIGGERS` pending ones.
    pub triggers_not_kept: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DroppedCounts {
    pub by_outcome: BTreeMap<Outcome, usize>,
    pub slowest_late_secs: i64,
}

impl Dropped {
    pub fn total(&self) -> usize {
        self.by_user
            .values()
            .flat_map(|c| c.by_outcome.values())
            .sum()
    }

    pub fn count(&self, user: Option<&str>, outcome: Outcome) -> usize {
        self.by_user
            .get(&user.map(str::to_string))
            .and_then(|c| c.by_outcome.get(&outcome))
            .copied()
            .unwrap_or(0)
    }
}

/// What correlation gives: the attempts kept, in queued order, and the
/// counts of those let go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Correlation {
    pub kept: Vec<Attempt>,
    pub dropped: Dropped,
    /// 480s (callee offline) an offline message was queued after.
    pub triggers_used: usize,
}

/// The streaming join. Feed it every dated event in time order with `push`,
/// then `finish`.
#[derive(Debug)]
pub struct Correlator {
    now: DateTime<Utc>,
    /// Kept attempts by sequence number (= queued order).
    attempts: BTreeMap<u64, Attempt>,
    next_seq: u64,
    /// Bounded by the attempts kept: an entry goes with its attempt (a
    /// newer attempt with the same id takes the entry over).
    by_id: foldhash::HashMap<String, u64>,
    /// Kept attempts per recipient, for events without an id: bounded by
    /// the attempts kept (an attempt let go leaves its recipient's set).
    by_recipient: foldhash::HashMap<String, BTreeSet<u64>>,
    /// Delivered in time, oldest first: the first to let go. Bounded by the
    /// attempts kept: each is pushed once, and an entry whose attempt went
    /// as the oldest is left only when no live entry was (then it is empty).
    done_in_time: VecDeque<u64>,
    /// The latest 480 per callee, waiting for a queued message: at most
    /// `MAX_TRIGGERS`.
    trigger: foldhash::HashMap<String, LogEvent>,
    /// When `trigger` was full of 480s all inside the window: the earliest
    /// of them, so it is swept again only once one can have expired.
    trigger_full_since: Option<DateTime<Utc>>,
    user: Option<String>,
    dropped: Dropped,
    /// Recipients of messages let go that may be in another domain than
    /// their sender (`None`: a sender not known yet).
    dropped_recipients: BTreeMap<(Option<String>, String), Origin>,
    triggers_used: usize,
}

impl Correlator {
    pub fn new(now: DateTime<Utc>) -> Self {
        Correlator {
            now,
            attempts: BTreeMap::new(),
            next_seq: 0,
            by_id: foldhash::HashMap::default(),
            by_recipient: foldhash::HashMap::default(),
            done_in_time: VecDeque::new(),
            trigger: foldhash::HashMap::default(),
            trigger_full_since: None,
            user: None,
            dropped: Dropped::default(),
            dropped_recipients: BTreeMap::new(),
            triggers_used: 0,
        }
    }

    /// One event, in time order. Undated events tell no story and are
    /// ignored. Gives the queued time of the message an offline-IM event
    /// joined.
    pub fn push(&mut self, e: &LogEvent) -> Option<DateTime<Utc>> {
        let t = e.time?;
        match &e.kind {
            EventKind::SipUser { address } => self.user = Some(address.clone()),
            EventKind::CalleeOffline { callee } => {
                if self.trigger.len() >= MAX_TRIGGERS && !self.trigger.contains_key(callee) {
                    let horizon = t - Duration::seconds(TRIGGER_WINDOW_SECS);
                    if self.trigger_full_since.is_none_or(|f| f < horizon) {
                        self.trigger
                            .retain(|_, ev| ev.time.is_some_and(|tt| tt >= horizon));
                        self.trigger_full_since = None;
                    }
                    if self.trigger.len() >= MAX_TRIGGERS {
                        if self.trigger_full_since.is_none() {
                            self.trigger_full_since =
                                self.trigger.values().filter_map(|ev| ev.time).min();
                        }
                        self.dropped.triggers_not_kept += 1;
                        return None;
                    }
                }
                self.trigger.insert(callee.clone(), e.clone());
            }
            EventKind::Signature { event, fields } if event.is_oim() => {
                // A queued event always starts a new message (ids restart with
                // the client); later events join theirs by id, else by recipient.
                let existing = if *event == SigEvent::OimQueued {
                    self.retold(fields.id.as_ref(), t, e.clock)
                } else {
                    match &fields.id {
                        Some(id) => self.by_id.get(id).copied(),
                        None => self.open_attempt(*event, fields.recipient.as_deref()),
                    }
                };
                let seq = match existing {
                    Some(seq) => seq,
                    None => self.start(t, fields.id.as_ref(), fields.recipient.as_ref(), e.clock),
                };
                if let Some(r) = &fields.recipient {
                    self.set_recipient(seq, r);
                }
                let at = self.attempts.get_mut(&seq)?;
                at.steps |= bit(*event);
                if *event == SigEvent::OimDelivered && at.delivered_at.is_none() {
                    at.delivered_at = Some(t);
                    if t - at.queued_at <= Duration::seconds(TIMER_SECS) {
                        self.done_in_time.push_back(seq);
                    }
                }
                if at.events.len() < MAX_EVENTS_PER_ATTEMPT {
                    at.events.push(e.clone());
                } else {
                    at.events_dropped += 1;
                }
                return Some(at.queued_at);
            }
            _ => {}
        }
        None
    }

    /// A REGISTER named a user the digest does not remember (past
    /// `digest::MAX_SIP_USERS`): the messages after it have no known sender.
    pub fn user_not_known(&mut self) {
        self.user = None;
    }

    /// A new attempt, queued at `t`; lets the oldest go when too many are kept.
    fn start(
        &mut self,
        t: DateTime<Utc>,
        id: Option<&String>,
        recipient: Option<&String>,
        clock: Clock,
    ) -> u64 {
        if self.attempts.len() >= MAX_ATTEMPTS_KEPT {
            self.let_one_go();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut a = Attempt {
            id: id.cloned(),
            user: self.user.clone(),
            recipient: None,
            queued_at: t,
            resolved_at: None,
            outcome: Outcome::Pending,
            events: Vec::new(),
            events_dropped: 0,
            spool_items: Vec::new(),
            steps: 0,
            delivered_at: None,
            queued_clock: clock,
        };
        // The 480 that made this an offline message, when it came shortly before.
        if let Some(trig) = recipient.and_then(|r| self.trigger.remove(r)) {
            if let Some(tt) = trig.time {
                if tt <= t && (t - tt).num_seconds() <= TRIGGER_WINDOW_SECS {
                    a.events.push(trig);
                    self.triggers_used += 1;
                }
            }
        }
        if let Some(id) = id {
            self.by_id.insert(id.clone(), seq);
        }
        self.attempts.insert(seq, a);
        seq
    }

    /// The message a queued event with `id` tells again, when it is told by
    /// the other clock (a CSV's FILETIME beside a local log line): one
    /// message, however far apart the zone rules put the two (at most the
    /// widest gap between two UTC offsets). OIM052 says when they disagree.
    fn retold(&self, id: Option<&String>, t: DateTime<Utc>, clock: Clock) -> Option<u64> {
        let seq = *self.by_id.get(id?)?;
        let a = self.attempts.get(&seq)?;
        let other_clock = a.queued_clock.is_absolute() != clock.is_absolute();
        let near = (t - a.queued_at).num_seconds().abs() <= RETOLD_WINDOW_SECS;
        (a.has(SigEvent::OimQueued) && other_clock && near).then_some(seq)
    }

    fn set_recipient(&mut self, seq: u64, r: &str) {
        if let Some(a) = self.attempts.get_mut(&seq) {
            if a.recipient.is_none() {
                a.recipient = Some(r.to_string());
                self.by_recipient
                    .entry(r.to_string())
                    .or_default()
                    .insert(seq);
            }
        }
    }

    /// For an event without an id: the oldest message to the same recipient
    /// (any recipient, when none is named) that has not had this step yet and
    /// is not delivered — messages are processed in order — else the newest
    /// such message.
    fn open_attempt(&self, step: SigEvent, recipient: Option<&str>) -> Option<u64> {
        let open = |a: &Attempt| !a.has(step) && !a.has(SigEvent::OimDelivered);
        match recipient {
            Some(r) => {
                let seqs = self.by_recipient.get(r)?;
                seqs.iter()
                    .copied()
                    .find(|s| self.attempts.get(s).is_some_and(open))
                    .or_else(|| seqs.last().copied())
            }
            None => self
                .attempts
                .iter()
                .find(|(_, a)| open(a))
                .or_else(|| self.attempts.last_key_value())
                .map(|(s, _)| *s),
        }
    }

    /// Lets one attempt go: the oldest delivered in time, else the oldest.
    fn let_one_go(&mut self) {
        // Entries of `done_in_time` already let go (as the oldest) are skipped.
        let in_time = std::iter::from_fn(|| self.done_in_time.pop_front())
            .find(|s| self.attempts.contains_key(s));
        let Some((seq, mut a)) = in_time
            .and_then(|s| self.attempts.remove_entry(&s))
            .or_else(|| self.attempts.pop_first())
        else {
            return;
        };
        if let Some(id) = &a.id {
            if self.by_id.get(id) == Some(&seq) {
                self.by_id.remove(id);
            }
        }
        if let Some(r) = &a.recipient {
            if let Some(set) = self.by_recipient.get_mut(r) {
                set.remove(&seq);
                if set.is_empty() {
                    self.by_recipient.remove(r);
                }
            }
        }
        judge(&mut a, self.now);
        let counts = self.dropped.by_user.entry(a.user.clone()).or_default();
        *counts.by_outcome.entry(a.outcome).or_default() += 1;
        if a.outcome == Outcome::DeliveredLate {
            let secs = a.resolved_at.map_or(0, |r| (r - a.queued_at).num_seconds());
            counts.slowest_late_secs = counts.slowest_late_secs.max(secs);
        }
        // Whether the recipient is in another domain is decided in
        // `finish`, when the sole user is known.
        if let (Some(r), Some(e)) = (&a.recipient, a.events.first()) {
            let foreign = a.user.as_ref().is_none_or(|u| other_domain(u, r));
            let key = (a.user.clone(), r.clone());
            if foreign && self.dropped_recipients.len() < MAX_DROPPED_RECIPIENTS {
                self.dropped_recipients
                    .entry(key)
                    .or_insert_with(|| e.origin.clone());
            } else if foreign && !self.dropped_recipients.contains_key(&key) {
                self.dropped.recipients_not_kept += 1;
            }
        }
    }

    /// Judges every kept attempt. `sole_user` is the user of attempts logged
    /// before any REGISTER named one, when the scan knows only one user.
    pub fn finish(self, sole_user: Option<&str>) -> Correlation {
        let now = self.now;
        let mut kept: Vec<Attempt> = self.attempts.into_values().collect();
        for a in &mut kept {
            if a.user.is_none() {
                a.user = sole_user.map(str::to_string);
            }
            judge(a, now);
        }
        let mut dropped = self.dropped;
        for ((user, r), origin) in self.dropped_recipients {
            if let Some(u) = user.or_else(|| sole_user.map(str::to_string)) {
                if other_domain(&u, &r) {
                    dropped.federated.entry((u, r)).or_insert(origin);
                }
            }
        }
        if let Some(u) = sole_user {
            if let Some(c) = dropped.by_user.remove(&None) {
                let into = dropped.by_user.entry(Some(u.to_string())).or_default();
                for (o, n) in c.by_outcome {
                    *into.by_outcome.entry(o).or_default() += n;
                }
                into.slowest_late_secs = into.slowest_late_secs.max(c.slowest_late_secs);
            }
        }
        Correlation {
            kept,
            dropped,
            triggers_used: self.triggers_used,
        }
    }
}

/// Outcome from the attempt's events and the scan time: a delivery anywhere
/// wins (a retry may succeed after a failure); else a failure or spooling;
/// else the timer decides.
fn judge(a: &mut Attempt, now: DateTime<Utc>) {
    let failed_at = || {
        a.events.iter().find_map(|e| match &e.kind {
            EventKind::Signature {
                event: SigEvent::OimFailed | SigEvent::OimSpooled,
                ..
            } => e.time,
            _ => None,
        })
    };
    if let Some(t) = a.delivered_at {
        a.resolved_at = Some(t);
        a.outcome = if t - a.queued_at > Duration::seconds(TIMER_SECS) {
            Outcome::DeliveredLate
        } else {
            Outcome::Delivered
        };
    } else if let Some(t) = failed_at() {
        a.resolved_at = Some(t);
        a.outcome = Outcome::Failed;
    } else if a.has(SigEvent::OimFailed) || a.has(SigEvent::OimSpooled) {
        // The failure was past the events kept: its time is not known.
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
/// items cost lookups, not a scan of every item per attempt. Only the names
/// and recipients the attempts ask for are indexed: this runs while every
/// item is held. The result is the same as trying every item in order for
/// every attempt.
/// Items dated outside `window` are not judged, so they link to nothing.
pub fn link_items(attempts: &mut [Attempt], items: &[SpoolItem], window: Window) {
    let mut taken: Vec<bool> = items.iter().map(|i| !window.contains(i.sent_at)).collect();
    let named_in = |a: &Attempt| -> Vec<String> {
        a.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Signature {
                    event: SigEvent::OimSpooled,
                    fields,
                } => fields.file.as_ref().map(|f| base_name(f).to_lowercase()),
                _ => None,
            })
            .collect()
    };
    // foldhash: these maps are looked up once per item, 100,000 times.
    let mut by_name: foldhash::HashMap<String, Vec<usize>> = attempts
        .iter()
        .flat_map(named_in)
        .map(|n| (n, Vec::new()))
        .collect();
    if !by_name.is_empty() {
        // Only names as long as a named one can be it (lower-casing keeps an
        // ASCII name's length; others are always compared).
        let mut lengths = vec![false; by_name.keys().map(String::len).max().unwrap_or(0) + 1];
        for n in by_name.keys() {
            if let Some(l) = lengths.get_mut(n.len()) {
                *l = true;
            }
        }
        let mut lower = String::new();
        for (j, it) in items.iter().enumerate() {
            let Some(n) = it.path.file_name() else {
                continue;
            };
            let n = match n.to_str() {
                Some(n) => std::borrow::Cow::Borrowed(n),
                None => n.to_string_lossy(),
            };
            lower.clear();
            if n.is_ascii() {
                if !lengths.get(n.len()).copied().unwrap_or(false) {
                    continue;
                }
                lower.push_str(&n);
                lower.make_ascii_lowercase();
            } else {
                lower.extend(n.chars().flat_map(char::to_lowercase));
            }
            if let Some(v) = by_name.get_mut(lower.as_str()) {
                v.push(j);
            }
        }
    }
    for a in attempts.iter_mut() {
        let mut named = named_in(a);
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
    // Per recipient an attempt without items has, items ordered by (sent
    // time, index).
    let wanted: foldhash::HashSet<String> = attempts
        .iter()
        .filter(|a| a.spool_items.is_empty())
        .filter_map(|a| a.recipient.clone())
        .collect();
    let mut by_recipient: foldhash::HashMap<&str, Vec<(DateTime<Utc>, usize)>> =
        foldhash::HashMap::default();
    for (j, it) in items.iter().enumerate() {
        if let Some(r) = it.recipient.as_deref().filter(|r| wanted.contains(*r)) {
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
                !taken[*j]
                    && (a.user.is_none()
                        || it.profile.is_none()
                        || it.profile.as_deref() == a.user.as_deref())
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

    /// Renderers show `as_str`; the JSON shows serde's spelling: one word.
    #[test]
    fn as_str_is_the_json_spelling() {
        for v in Outcome::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
    }
    use oimdiag_vocab::events::{Origin, SigFields};
    use oimdiag_vocab::file_path::FilePath;
    use oimdiag_vocab::found::{ItemFormat, TimeSource};
    use std::path::PathBuf;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sig(time: &str, event: SigEvent, id: Option<&str>, to: Option<&str>) -> LogEvent {
        LogEvent {
            time: Some(t(time)),
            clock: oimdiag_vocab::events::Clock::default(),
            origin: Origin {
                path: PathBuf::from("Lync-UccApi-0.UccApilog").into(),
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

    struct Scan {
        events: Vec<LogEvent>,
        spool_items: Vec<SpoolItem>,
    }

    fn scan(events: Vec<LogEvent>) -> Scan {
        Scan {
            events,
            spool_items: Vec::new(),
        }
    }

    /// The whole join as a scan runs it: events in order, then items linked.
    fn correlate(s: &Scan, now: DateTime<Utc>, sole_user: Option<&str>) -> Vec<Attempt> {
        let mut c = Correlator::new(now);
        for e in &s.events {
            c.push(e);
        }
        let mut kept = c.finish(sole_user).kept;
        link_items(&mut kept, &s.spool_items, Window::at(now));
        kept
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
            clock: oimdiag_vocab::events::Clock::default(),
            origin: Origin {
                path: PathBuf::from("log").into(),
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
            path: FilePath::whole(&PathBuf::from(format!("History Spooler/{name}"))),
            profile: Some("alice@x.com".into()),
            size_bytes: 10,
            sent_at: t(sent),
            sent_at_source: TimeSource::Content,
            format: ItemFormat::Mime,
            recipient: Some(to.into()),
            other_recipients: Default::default(),
            sender: None,
            message_class: None,
            subject: None,
            problem: None,
            ansi_lines: 0,
            local_date: None,
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
            clock: oimdiag_vocab::events::Clock::default(),
            origin: Origin {
                path: PathBuf::from("log").into(),
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
        assert_eq!(a[0].events.len(), 2);
        assert!(matches!(
            a[0].events[0].kind,
            EventKind::CalleeOffline { .. }
        ));
        assert_eq!(a[0].queued_at, t("2026-11-23T10:00:01Z"));
    }

    #[test]
    fn past_the_cap_delivered_messages_go_first_and_are_counted() {
        let mut c = Correlator::new(t(NOW));
        let base = t("2026-11-20T00:00:00Z");
        let at = |s: i64| (base + Duration::seconds(s)).to_rfc3339();
        // The first message fails; then more delivered-in-time messages than are kept.
        c.push(&sig(
            &at(0),
            SigEvent::OimQueued,
            Some("f"),
            Some("b@x.com"),
        ));
        c.push(&sig(&at(1), SigEvent::OimFailed, Some("f"), None));
        let extra = 25;
        for k in 0..(MAX_ATTEMPTS_KEPT + extra) as i64 {
            let id = format!("d{k}");
            c.push(&sig(
                &at(10 + 2 * k),
                SigEvent::OimQueued,
                Some(&id),
                Some("c@y.com"),
            ));
            c.push(&sig(
                &at(11 + 2 * k),
                SigEvent::OimDelivered,
                Some(&id),
                None,
            ));
        }
        let out = c.finish(Some("alice@x.com"));
        assert_eq!(out.kept.len(), MAX_ATTEMPTS_KEPT);
        assert_eq!(out.kept[0].outcome, Outcome::Failed, "the failure is kept");
        assert_eq!(out.dropped.total(), extra + 1);
        assert_eq!(
            out.dropped.count(Some("alice@x.com"), Outcome::Delivered),
            extra + 1,
            "the sole user is filled in for dropped ones too"
        );
        assert!(out
            .dropped
            .federated
            .contains_key(&("alice@x.com".to_string(), "c@y.com".to_string())));
    }

    #[test]
    fn past_the_cap_with_nothing_delivered_the_oldest_go() {
        let mut c = Correlator::new(t(NOW));
        let base = t("2026-11-20T00:00:00Z");
        for k in 0..(MAX_ATTEMPTS_KEPT + 3) as i64 {
            let when = (base + Duration::seconds(k)).to_rfc3339();
            c.push(&sig(&when, SigEvent::OimQueued, None, Some("b@x.com")));
        }
        let out = c.finish(None);
        assert_eq!(out.kept.len(), MAX_ATTEMPTS_KEPT);
        assert_eq!(out.kept[0].queued_at, base + Duration::seconds(3));
        assert_eq!(out.dropped.count(None, Outcome::Expired), 3);
    }
}
