//! What the logs told, folded event by event as the logs are read in time
//! order, so that memory stays the same however long the logs are: the facts
//! (users, build, EWS URL, policies), counts and first evidence of EWS
//! failures and of events dated in the future, and the offline-message
//! stories (`Correlator`). No list of every event is ever kept.

use crate::clockcheck::{ClockCheck, ClockPairs};
use crate::correlate::{Correlation, Correlator};
use chrono::{DateTime, Utc};
use oimdiag_vocab::citation::{Citation, MAX_EVIDENCE};
use oimdiag_vocab::events::{EventKind, LogEvent, Origin, SigEvent};
use oimdiag_vocab::found::{Placement, Window};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// EWS failure responses remembered for the `oim.failed` lines that may
/// quote them: a bound for logs of nothing but failures.
const MAX_UNCLAIMED_RESPONSES: usize = 4_096;

/// Distinct users REGISTERs name that are remembered: a client signs in as
/// one user or a few; a log naming millions is bounded here. A REGISTER for
/// another user past this is counted (`LogFacts::users_not_kept`), and the
/// messages after it have no known sender until a remembered user signs in
/// again. Bounds every per-user table after it too: the correlator's counts
/// of messages let go are kept per user it was told of.
pub const MAX_SIP_USERS: usize = 4_096;

/// Distinct events remembered for one millisecond, to drop the same event
/// told by two sources: a log of millions of events stamped the same
/// millisecond is bounded here (those past it are not checked, and counted).
const MAX_TOLD_PER_MOMENT: usize = 4_096;

/// A fact and the event that told it.
#[derive(Debug, Clone, PartialEq)]
pub struct Told<T> {
    pub value: T,
    pub origin: Origin,
}

/// Events of one kind of trouble: how many, when, of which sorts, and the
/// first few as evidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    pub count: usize,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Labels in order of first appearance, with their counts: a few words
    /// or an HTTP status, so at most a few thousand whatever the input.
    pub labels: Vec<(String, usize)>,
    /// The first `MAX_EVIDENCE` events, in time order.
    pub evidence: Vec<Citation>,
}

impl Tally {
    fn add(&mut self, e: &LogEvent, label: Option<String>) {
        self.count += 1;
        if let Some(t) = e.time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        if let Some(label) = label {
            match self.labels.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => self.labels.push((label, 1)),
            }
        }
        if self.evidence.len() < MAX_EVIDENCE {
            self.evidence.push(event_evidence(e));
        }
    }
}

pub fn event_evidence(e: &LogEvent) -> Citation {
    Citation {
        path: e.origin.path.display().to_string(),
        line: e.origin.line,
        excerpt: e.origin.excerpt.clone(),
    }
}

/// The folded logs. Feed events with `push` in time order; `finish` judges
/// the messages.
#[derive(Debug)]
pub struct LogDigest {
    window: Window,
    /// The facts so far (what `finish` hands on).
    facts: LogFacts,
    /// The rank of `facts.ews_url`: autodiscover's answer (0), else one
    /// used (1), else any seen (2); the latest of the best rank wins.
    ews_rank: u8,
    correlator: Correlator,
    /// The same moment told by two sources counts once: what this
    /// millisecond has told so far.
    moment: Option<i64>,
    /// foldhash: an event's text is hashed once or twice; SipHash's
    /// resistance to flooding is not needed for a set of at most
    /// `MAX_TOLD_PER_MOMENT`.
    told: foldhash::HashSet<EventKind>,
    /// Times of EWS failure responses not yet quoted by an `oim.failed`
    /// line: such a line tells the same failure again.
    unclaimed_responses: VecDeque<DateTime<Utc>>,
    /// Events told both as local lines and with absolute times, compared.
    clocks: ClockCheck,
}

impl LogDigest {
    pub fn new(window: Window) -> Self {
        LogDigest {
            window,
            facts: LogFacts::default(),
            ews_rank: u8::MAX,
            correlator: Correlator::new(window.now),
            moment: None,
            told: foldhash::HashSet::default(),
            unclaimed_responses: VecDeque::new(),
            clocks: ClockCheck::default(),
        }
    }

    /// One event, in time order (an undated one where its log put it).
    pub fn push(&mut self, e: LogEvent) {
        // Before duplicates are dropped: two tellings that agree are a pair too.
        self.clocks.push(&e);
        // The same moment told by two sources (a UccApilog and the tracerpt
        // export of the ETL trace) is one event: keep the first telling.
        // UccApilog times have milliseconds, ETL exports 100 ns: compare at
        // the coarser precision. Events arrive in time order, so one
        // millisecond's set is all that must be remembered.
        let mut remember = false;
        if let Some(t) = e.time {
            let ms = t.timestamp_millis();
            if self.moment != Some(ms) {
                self.moment = Some(ms);
                self.told.clear();
            }
            if self.told.contains(&e.kind) {
                self.facts.duplicates += 1;
                return;
            }
            if self.told.len() < MAX_TOLD_PER_MOMENT {
                remember = true;
            } else {
                self.facts.duplicates_unchecked += 1;
            }
        }
        self.fold(&e);
        // Remembered once folded (nothing folding does reads the set), so
        // that the kind is moved in rather than copied.
        if remember {
            self.told.insert(e.kind);
        }
    }

    /// An event that is not a second telling.
    fn fold(&mut self, e: &LogEvent) {
        self.facts.events += 1;
        if let EventKind::Signature { .. } = &e.kind {
            self.facts.signature_events += 1;
        }
        // Outside the window an event is counted and cited, never judged:
        // it feeds no fact, count, outcome or rule.
        match e.time.map(|t| self.window.place(t)) {
            Some(Placement::AfterScanTime) => return self.facts.future.add(e, None),
            Some(Placement::BeforeSince) => return self.facts.before_since.add(e, None),
            _ => {}
        }
        if let EventKind::Signature { event, .. } = &e.kind {
            if event.is_oim() {
                self.facts.oim_events += 1;
            } else {
                self.facts.ews_events += 1;
            }
        }
        if let EventKind::CalleeOffline { .. } = &e.kind {
            self.facts.callee_offline.add(e, None);
        }
        let user_not_kept = matches!(&e.kind, EventKind::SipUser { address }
            if self.facts.sip_users.len() >= MAX_SIP_USERS
                && !self.facts.sip_users.contains(address));
        self.fold_facts(e);
        let joined = if user_not_kept {
            self.facts.users_not_kept += 1;
            self.correlator.user_not_known();
            None
        } else {
            self.correlator.push(e)
        };
        if is_ews_failure(e) && !self.quotes_a_response(e, joined) {
            let label = failure_label(e);
            self.facts.ews_failures.add(e, label);
        }
    }

    /// Whether `e` is an `oim.failed` line retelling an EWS failure response
    /// already counted for its message (BRIEF §5: one failure per EWS
    /// response). A response belongs to the message when it came between
    /// the message being queued and this line; each response is claimed by
    /// one line at most. A failure response itself is remembered here.
    fn quotes_a_response(&mut self, e: &LogEvent, joined_queued_at: Option<DateTime<Utc>>) -> bool {
        let EventKind::Signature { event, .. } = &e.kind else {
            return false;
        };
        match (event, e.time) {
            (SigEvent::EwsResponse, Some(t)) => {
                if self.unclaimed_responses.len() >= MAX_UNCLAIMED_RESPONSES {
                    self.unclaimed_responses.pop_front();
                }
                self.unclaimed_responses.push_back(t);
                false
            }
            (SigEvent::OimFailed, Some(t)) => {
                let Some(queued) = joined_queued_at else {
                    return false;
                };
                // Responses arrive in time order: the first at or after
                // the message was queued, if it came before this line.
                let k = self.unclaimed_responses.partition_point(|r| *r < queued);
                let claimed = self.unclaimed_responses.get(k).is_some_and(|r| *r <= t);
                claimed && self.unclaimed_responses.remove(k).is_some()
            }
            _ => false,
        }
    }

    fn fold_facts(&mut self, e: &LogEvent) {
        let f = &mut self.facts;
        fn told<T>(value: T, e: &LogEvent) -> Told<T> {
            Told {
                value,
                origin: e.origin.clone(),
            }
        }
        match &e.kind {
            EventKind::SipUser { address }
                if f.sip_users.len() < MAX_SIP_USERS && !f.sip_users.contains(address) =>
            {
                f.sip_users.insert(address.clone());
            }
            // Only a build that parses counts; one that is the build kept
            // already did (a log tells its build again and again).
            EventKind::ClientBuild { build, from_oc } => {
                let slot = if *from_oc {
                    &mut f.build_oc
                } else {
                    &mut f.build_uccapi
                };
                match slot {
                    Some(kept) if kept.value == *build => kept.origin = e.origin.clone(),
                    _ if build
                        .parse::<oimdiag_vocab::build_version::ClientBuild>()
                        .is_ok() =>
                    {
                        *slot = Some(told(build.clone(), e));
                    }
                    _ => {}
                }
            }
            EventKind::Provisioning { name, value, .. } if parse_bool(value).is_some() => {
                f.provisioning
                    .insert(name.to_ascii_lowercase(), told(value.clone(), e));
            }
            EventKind::UserImAutoArchiving { enabled } => {
                f.user_im_auto_archiving = Some(told(*enabled, e));
            }
            _ => {}
        }
        note_ews_urls(&e.kind, &mut self.facts.ews_urls);
        if let Some((rank, url)) = url_rank(&e.kind) {
            if rank <= self.ews_rank {
                self.ews_rank = rank;
                self.facts.ews_url = Some(told(url, e));
            }
        }
    }

    /// Judges the messages. `sole_user`: see `Correlator::finish`.
    pub fn finish(self, sole_user: Option<&str>) -> (LogFacts, Correlation) {
        let mut facts = self.facts;
        facts.clocks = self.clocks.found;
        let attempts = self.correlator.finish(sole_user);
        facts.offline_after_480 = attempts.triggers_used;
        (facts, attempts)
    }

    /// The users REGISTERs named so far (to find the sole user before `finish`).
    pub fn users(&self) -> &BTreeSet<String> {
        &self.facts.sip_users
    }
}

/// The logs' facts once every event was folded: what rules and facts read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFacts {
    /// At most `MAX_SIP_USERS`.
    pub sip_users: BTreeSet<String>,
    /// REGISTERs naming a user once `sip_users` was full: counted, not kept.
    pub users_not_kept: u64,
    pub build_oc: Option<Told<String>>,
    pub build_uccapi: Option<Told<String>>,
    pub ews_url: Option<Told<String>>,
    /// Every distinct EWS URL the logs named (autodiscover's internal and
    /// external URLs first seen first), at most `MAX_EWS_URLS`: what
    /// `scan --probe` tries.
    pub ews_urls: Vec<String>,
    /// Keyed by name: only the few names `PROVISIONING_NAMES` lists are told.
    pub provisioning: BTreeMap<String, Told<String>>,
    pub user_im_auto_archiving: Option<Told<bool>>,
    pub ews_failures: Tally,
    /// Events dated after the scan time: counted and cited, not judged.
    pub future: Tally,
    /// Events dated before `--since`: counted and cited, not judged.
    pub before_since: Tally,
    /// Signature events recognised, judged or not.
    pub signature_events: u64,
    /// Offline-IM (`oim.*`) and EWS (`ews.*`) signature events judged.
    pub oim_events: u64,
    pub ews_events: u64,
    /// INVITEs answered 480 (callee offline) judged.
    pub callee_offline: Tally,
    /// Of `callee_offline`, those an offline message was queued after.
    pub offline_after_480: usize,
    /// Events folded (after duplicates were dropped), and duplicates dropped.
    pub events: u64,
    pub duplicates: u64,
    /// Events not checked for a second telling: past `MAX_TOLD_PER_MOMENT`
    /// distinct ones in one millisecond.
    pub duplicates_unchecked: u64,
    /// Events told both as local lines and with absolute times: do they agree?
    pub clocks: ClockPairs,
}

/// EWS URLs kept for the probe: a few are all a client has.
pub const MAX_EWS_URLS: usize = 8;

fn note_ews_urls(k: &EventKind, urls: &mut Vec<String>) {
    let found: [Option<&String>; 2] = match k {
        EventKind::Signature { fields, .. } => [fields.url.as_ref(), fields.url2.as_ref()],
        EventKind::EwsUrl { url } => [Some(url), None],
        _ => return,
    };
    // Once per event that names a URL: no allocation unless a new one is kept.
    for u in found.into_iter().flatten() {
        if urls.len() >= MAX_EWS_URLS {
            return;
        }
        let ews = u
            .as_bytes()
            .windows(5)
            .any(|w| w.eq_ignore_ascii_case(b"/ews/"));
        if ews && !urls.iter().any(|x| x.eq_ignore_ascii_case(u)) {
            urls.push(u.clone());
        }
    }
}

fn url_rank(k: &EventKind) -> Option<(u8, String)> {
    match k {
        EventKind::Signature {
            event: SigEvent::EwsAutodiscoverOk,
            fields,
        } => fields.url.clone().map(|u| (0, u)),
        EventKind::Signature { fields, .. } => fields
            .url
            .clone()
            .filter(|u| u.to_ascii_lowercase().contains("/ews/"))
            .map(|u| (1, u)),
        EventKind::EwsUrl { url } => Some((2, url.clone())),
        _ => None,
    }
}

/// Whether an event says EWS did not work.
pub fn is_ews_failure(e: &LogEvent) -> bool {
    match &e.kind {
        EventKind::Signature { event, fields } => match event {
            SigEvent::EwsResponse => fields.status.is_some_and(|s| s >= 400),
            SigEvent::EwsAutodiscoverFailed => true,
            SigEvent::EwsStatus => fields.ok == Some(false),
            SigEvent::OimFailed => {
                fields.status.is_some_and(|s| s >= 400)
                    || fields
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.to_ascii_lowercase().contains("ews"))
            }
            _ => false,
        },
        _ => false,
    }
}

/// "401 Unauthorized ×3, autodiscover failed ×1": the sort of an EWS failure.
fn failure_label(e: &LogEvent) -> Option<String> {
    match &e.kind {
        EventKind::Signature {
            event: SigEvent::EwsAutodiscoverFailed,
            ..
        } => Some("autodiscover failed".to_string()),
        EventKind::Signature {
            event: SigEvent::EwsStatus,
            ..
        } => Some("EWS not deployed".to_string()),
        EventKind::Signature { fields, .. } => Some(match fields.status {
            Some(s) => format!("HTTP {s}"),
            None => "EWS error".to_string(),
        }),
        _ => None,
    }
}

/// An in-band provisioning value as a boolean (`true`, `$False`, `1`, `on`,
/// any case); anything else is not one.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v
        .trim()
        .trim_start_matches('$')
        .to_ascii_lowercase()
        .as_str()
    {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oimdiag_vocab::events::SigFields;
    use std::path::PathBuf;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn ev(time: Option<&str>, path: &str, kind: EventKind) -> LogEvent {
        LogEvent {
            time: time.map(t),
            clock: oimdiag_vocab::events::Clock::default(),
            origin: Origin {
                path: PathBuf::from(path).into(),
                line: Some(1),
                excerpt: String::new(),
            },
            kind,
        }
    }

    fn ews_401() -> EventKind {
        EventKind::Signature {
            event: SigEvent::EwsResponse,
            fields: SigFields {
                status: Some(401),
                ..SigFields::default()
            },
        }
    }

    #[test]
    fn the_same_moment_from_two_sources_counts_once() {
        let mut d = LogDigest::new(Window::at(t("2026-11-23T12:00:00Z")));
        d.push(ev(
            Some("2026-11-23T10:00:00.123Z"),
            "a.UccApilog",
            ews_401(),
        ));
        d.push(ev(Some("2026-11-23T10:00:00.1234567Z"), "a.csv", ews_401()));
        d.push(ev(
            Some("2026-11-23T10:00:00.124Z"),
            "a.UccApilog",
            ews_401(),
        ));
        let (f, _) = d.finish(None);
        assert_eq!(f.ews_failures.count, 2);
        assert_eq!(f.duplicates, 1);
        assert_eq!(f.ews_failures.labels, [("HTTP 401".to_string(), 2)]);
    }

    fn oim(event: SigEvent, id: &str, status: Option<u16>) -> EventKind {
        EventKind::Signature {
            event,
            fields: SigFields {
                id: Some(id.into()),
                recipient: Some("bob@contoso.com".into()),
                status,
                ..SigFields::default()
            },
        }
    }

    #[test]
    fn a_failure_line_quoting_a_response_of_its_message_is_not_counted_again() {
        let mut d = LogDigest::new(Window::at(t("2026-11-23T12:00:00Z")));
        let at = |s: &str| Some(format!("2026-11-23T10:00:{s}Z"));
        let push = |d: &mut LogDigest, when: Option<String>, kind| {
            d.push(ev(when.as_deref(), "l", kind));
        };
        // Message 1: a 401, then the line quoting it: one failure.
        push(&mut d, at("00"), oim(SigEvent::OimQueued, "1", None));
        push(&mut d, at("01"), ews_401());
        push(&mut d, at("02"), oim(SigEvent::OimFailed, "1", Some(401)));
        // Message 2: a failure line with no response of its own: counted.
        push(&mut d, at("10"), oim(SigEvent::OimQueued, "2", None));
        push(&mut d, at("11"), oim(SigEvent::OimFailed, "2", Some(401)));
        // Message 3: a 401 that came before it was queued is not its own.
        push(&mut d, at("20"), ews_401());
        push(&mut d, at("21"), oim(SigEvent::OimQueued, "3", None));
        push(&mut d, at("22"), oim(SigEvent::OimFailed, "3", Some(401)));
        let (f, _) = d.finish(None);
        assert_eq!(f.ews_failures.count, 4, "{:#?}", f.ews_failures.evidence);
    }

    #[test]
    fn events_outside_the_window_are_counted_not_judged() {
        let mut w = Window::at(t("2026-11-23T12:00:00Z"));
        w.since = Some(t("2026-11-23T11:00:00Z"));
        let mut d = LogDigest::new(w);
        d.push(ev(Some("2026-11-23T10:59:59Z"), "l", ews_401()));
        d.push(ev(Some("2026-11-23T11:00:00Z"), "l", ews_401()));
        d.push(ev(Some("2026-11-23T12:00:00Z"), "l", ews_401()));
        d.push(ev(Some("2026-11-23T12:00:01Z"), "l", ews_401()));
        let (f, _) = d.finish(None);
        assert_eq!(f.before_since.count, 1);
        assert_eq!(f.future.count, 1);
        assert_eq!(f.ews_failures.count, 2, "the window's ends are in it");
        assert_eq!((f.ews_events, f.signature_events), (2, 4));
    }

    #[test]
    fn evidence_is_capped_but_counts_are_whole() {
        let mut d = LogDigest::new(Window::at(t("2026-11-23T12:00:00Z")));
        for s in 0..100 {
            let when = format!("2026-11-23T10:00:{:02}Z", s % 60);
            let when = if s < 60 {
                when
            } else {
                format!("2026-11-23T10:01:{:02}Z", s - 60)
            };
            d.push(ev(Some(&when), "log", ews_401()));
        }
        let (f, _) = d.finish(None);
        assert_eq!(f.ews_failures.count, 100);
        assert_eq!(f.ews_failures.evidence.len(), MAX_EVIDENCE);
        assert_eq!(f.ews_failures.first, Some(t("2026-11-23T10:00:00Z")));
        assert_eq!(f.ews_failures.last, Some(t("2026-11-23T10:01:39Z")));
    }

    #[test]
    fn every_ews_url_is_noted_once_up_to_the_cap() {
        let mut urls = Vec::new();
        let ev = |u: &str| EventKind::EwsUrl { url: u.to_string() };
        note_ews_urls(&ev("https://a/EWS/Exchange.asmx"), &mut urls);
        note_ews_urls(&ev("HTTPS://A/ews/exchange.asmx"), &mut urls);
        note_ews_urls(&ev("https://a/owa/"), &mut urls);
        assert_eq!(urls, ["https://a/EWS/Exchange.asmx"]);
        for i in 0..20 {
            note_ews_urls(&ev(&format!("https://h{i}/EWS/Exchange.asmx")), &mut urls);
        }
        assert_eq!(urls.len(), MAX_EWS_URLS);
    }

    #[test]
    fn the_best_ews_url_is_the_latest_of_the_best_rank() {
        let mut d = LogDigest::new(Window::at(t("2026-11-23T12:00:00Z")));
        let url = |u: &str| EventKind::EwsUrl { url: u.into() };
        let auto = |u: &str| EventKind::Signature {
            event: SigEvent::EwsAutodiscoverOk,
            fields: SigFields {
                url: Some(u.into()),
                ..SigFields::default()
            },
        };
        d.push(ev(
            Some("2026-11-23T10:00:00Z"),
            "l",
            url("https://a/EWS/Exchange.asmx"),
        ));
        d.push(ev(
            Some("2026-11-23T10:00:01Z"),
            "l",
            auto("https://b/EWS/Exchange.asmx"),
        ));
        d.push(ev(
            Some("2026-11-23T10:00:02Z"),
            "l",
            url("https://c/EWS/Exchange.asmx"),
        ));
        d.push(ev(
            Some("2026-11-23T10:00:03Z"),
            "l",
            auto("https://d/EWS/Exchange.asmx"),
        ));
        let (f, _) = d.finish(None);
        assert_eq!(f.ews_url.unwrap().value, "https://d/EWS/Exchange.asmx");
    }

    #[test]
    fn future_events_are_counted() {
        let mut d = LogDigest::new(Window::at(t("2026-11-23T12:00:00Z")));
        d.push(ev(Some("2026-11-23T12:00:00Z"), "l", ews_401()));
        d.push(ev(
            Some("2026-11-23T12:30:00Z"),
            "l",
            EventKind::SipUser {
                address: "a@x.com".into(),
            },
        ));
        d.push(ev(None, "l", ews_401()));
        let (f, _) = d.finish(None);
        assert_eq!(f.future.count, 1);
        assert_eq!(f.future.last, Some(t("2026-11-23T12:30:00Z")));
        assert_eq!(f.ews_failures.count, 2, "an undated failure still counts");
        assert!(
            f.sip_users.is_empty(),
            "a user named after the scan time is not known"
        );
    }
}
