//! The report's messages and spool items: the scan's own lists, moved here,
//! each element shown as a view (`SpoolItemOut`, `AttemptOut`) as it is
//! rendered or serialised, so thousands of items are held once.

use super::visit::{boxed_opt, opt, shared, shared_opt, shared_path};
use super::*;

/// One file below a History Spooler folder: an offline message not (yet) sent.
// Made from the scan's item as it is rendered (see `SpoolItems`), borrowing
// its strings.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SpoolItemOut<'a> {
    pub path: Cow<'a, str>,
    /// The sip_* profile the item belongs to.
    pub user: Option<&'a str>,
    pub size_bytes: u64,
    #[serde(serialize_with = "time::instant")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub sent_at: DateTime<Utc>,
    pub sent_at_source: TimeSource,
    pub age_seconds: i64,
    pub state: ItemState,
    /// The first recipient (`To`, then `Cc`): what the item is linked to a
    /// logged message by.
    pub recipient: Option<&'a str>,
    /// Every recipient in `To` and `Cc`, in order, `recipient` first.
    #[schemars(with = "Vec<String>")]
    pub recipients: Recipients<'a>,
    pub sender: Option<&'a str>,
    pub message_class: Option<&'a str>,
    pub format: ItemFormat,
    /// Only with --include-subjects; null otherwise.
    pub subject: Option<&'a str>,
    /// Why the item could not be fully read, if it could not.
    pub problem: Option<&'a str>,
    /// Outcome of the logged attempt this item belongs to, if one was linked.
    pub attempt_outcome: Option<Outcome>,
}

/// An item's recipients as the report lists them, borrowed from the item
/// (no list is made per item when a report is rendered).
#[derive(Debug, Clone, Copy)]
pub struct Recipients<'a>(&'a SpoolItem);

impl<'a> Recipients<'a> {
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.0.recipients().map(|r| &**r)
    }
}

impl Serialize for Recipients<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.iter())
    }
}

/// The report's spool items: the scan's own items, moved here in path order,
/// each shown as a [`SpoolItemOut`] when it is rendered. A spooler of
/// 100,000 items is thus held once, not once as scanned and again as reported.
#[derive(Debug, Clone)]
pub struct SpoolItems {
    pub(super) items: Vec<SpoolItem>,
    /// Outcome of the first attempt each item belongs to.
    pub(super) outcome: Vec<Option<Outcome>>,
    /// What the ages and states are measured against.
    pub(super) window: Window,
}

impl SpoolItems {
    /// `items` as they are, with the outcome of each (same order).
    pub fn new(items: Vec<SpoolItem>, outcome: Vec<Option<Outcome>>, window: Window) -> Self {
        debug_assert_eq!(items.len(), outcome.len());
        SpoolItems {
            items,
            outcome,
            window,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// No items, measured against the same window.
    pub(crate) fn empty_like(&self) -> SpoolItems {
        SpoolItems::new(Vec::new(), Vec::new(), self.window)
    }

    /// The `k`th item as the report shows it.
    pub fn get(&self, k: usize) -> Option<SpoolItemOut<'_>> {
        let i = self.items.get(k)?;
        Some(self.show(i, self.outcome.get(k).copied().flatten()))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = SpoolItemOut<'_>> + '_ {
        self.items
            .iter()
            .zip(&self.outcome)
            .map(|(i, o)| self.show(i, *o))
    }

    fn show<'a>(&self, i: &'a SpoolItem, outcome: Option<Outcome>) -> SpoolItemOut<'a> {
        let (age, state) = item_state(i, self.window);
        SpoolItemOut {
            path: i.path.to_string_lossy(),
            user: i.profile.as_deref(),
            size_bytes: i.size_bytes,
            sent_at: i.sent_at,
            sent_at_source: i.sent_at_source,
            age_seconds: age,
            state,
            recipient: i.recipient.as_deref(),
            recipients: Recipients(i),
            sender: i.sender.as_deref(),
            message_class: i.message_class.as_deref(),
            format: i.format,
            subject: i.subject.as_deref(),
            problem: i.problem.as_deref(),
            attempt_outcome: outcome,
        }
    }

    /// The path of the `k`th item, as shown.
    pub(crate) fn path(&self, k: usize) -> Option<Cow<'_, str>> {
        self.items.get(k).map(|i| i.path.to_string_lossy())
    }

    /// Every string of every item that did not come from the program itself
    /// (see [`Report::for_each_string_mut`]). The time is made from the
    /// item's date when shown, so it is not one of them.
    pub(super) fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        for i in &mut self.items {
            shared_path(&mut i.path, f);
            shared_opt(&mut i.profile, f);
            shared_opt(&mut i.recipient, f);
            for r in i.other_recipients.iter_mut() {
                shared(r, f);
            }
            shared_opt(&mut i.sender, f);
            shared_opt(&mut i.message_class, f);
            boxed_opt(&mut i.subject, f);
            boxed_opt(&mut i.problem, f);
        }
    }
}

impl Serialize for SpoolItems {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut seq = ser.serialize_seq(Some(self.len()))?;
        for i in self.iter() {
            seq.serialize_element(&i)?;
        }
        seq.end()
    }
}

/// One offline message seen in the logs, from queued to its outcome.
// Made from the scan's attempt as it is rendered (see `Attempts`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AttemptOut<'a> {
    pub id: Option<&'a str>,
    pub user: Option<&'a str>,
    pub recipient: Option<&'a str>,
    #[serde(serialize_with = "time::instant")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub queued_at: DateTime<Utc>,
    #[serde(serialize_with = "time::maybe")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub resolved_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    /// Paths of the spool items that are this message.
    pub spool_items: Vec<Cow<'a, str>>,
    /// The message's events in time order (capped; see `events_dropped`).
    pub evidence: Vec<TimelineEvent<'a>>,
    pub events_dropped: usize,
}

/// One step of a message's story, with its time in UTC.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TimelineEvent<'a> {
    #[serde(serialize_with = "time::maybe")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub time: Option<DateTime<Utc>>,
    pub event: &'static str,
    pub path: Cow<'a, str>,
    pub line: Option<u64>,
    pub excerpt: &'a str,
}

/// The report's offline messages: the scan's own, moved here, each shown as
/// an [`AttemptOut`] when it is rendered. Thousands of messages with their
/// evidence are thus held once.
#[derive(Debug, Clone, Default)]
pub struct Attempts {
    pub(super) list: Vec<Attempt>,
    /// The paths of each message's spool items.
    pub(super) items: Vec<Vec<FilePath>>,
}

impl Attempts {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = AttemptOut<'_>> + '_ {
        self.list
            .iter()
            .zip(&self.items)
            .map(|(a, items)| show_attempt(a, items))
    }

    /// The `k`th message as the report shows it.
    pub fn get(&self, k: usize) -> Option<AttemptOut<'_>> {
        Some(show_attempt(self.list.get(k)?, self.items.get(k)?))
    }

    /// Every string of every message that did not come from the program
    /// itself (see [`Report::for_each_string_mut`]). Times and event names
    /// are made by the program as a message is shown.
    pub(super) fn for_each_string_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        for (a, items) in self.list.iter_mut().zip(&mut self.items) {
            opt(&mut a.id, f);
            opt(&mut a.user, f);
            opt(&mut a.recipient, f);
            items.iter_mut().for_each(|p| shared_path(p, f));
            for e in &mut a.events {
                let shown = e.origin.path.to_string_lossy();
                let mut t = shown.to_string();
                f(&mut t);
                if *t != *shown {
                    e.origin.path = Path::new(&t).into();
                }
                f(&mut e.origin.excerpt);
            }
        }
    }
}

fn show_attempt<'a>(a: &'a Attempt, items: &'a [FilePath]) -> AttemptOut<'a> {
    AttemptOut {
        id: a.id.as_deref(),
        user: a.user.as_deref(),
        recipient: a.recipient.as_deref(),
        queued_at: a.queued_at,
        resolved_at: a.resolved_at,
        outcome: a.outcome,
        spool_items: items.iter().map(|p| p.to_string_lossy()).collect(),
        evidence: a
            .events
            .iter()
            .map(|e| TimelineEvent {
                time: e.time,
                event: event_name(&e.kind),
                path: e.origin.path.to_string_lossy(),
                line: e.origin.line,
                excerpt: &e.origin.excerpt,
            })
            .collect(),
        events_dropped: a.events_dropped,
    }
}

impl Serialize for Attempts {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut seq = ser.serialize_seq(Some(self.len()))?;
        for a in self.iter() {
            seq.serialize_element(&a)?;
        }
        seq.end()
    }
}

/// The spool items as the report shows them: moved out of the scan in path
/// order (ties, two names shown alike, in scan order), with the outcome of
/// the first attempt each belongs to.
pub(super) fn spool_items_out(
    items: Vec<SpoolItem>,
    attempts: &[Attempt],
    window: Window,
) -> SpoolItems {
    // Item → outcome of the first attempt it belongs to, built once.
    let mut outcome: Vec<Option<Outcome>> = vec![None; items.len()];
    for a in attempts.iter().rev() {
        for &j in &a.spool_items {
            if let Some(o) = outcome.get_mut(j) {
                *o = Some(a.outcome);
            }
        }
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    // Paths that are all UTF-8 (nearly always) sort by their bytes, which
    // is their order as text; others by the text shown.
    if items.iter().all(|i| i.path.is_utf8()) {
        order.sort_by(|&a, &b| items[a].path.cmp_bytes(&items[b].path));
    } else {
        order.sort_by(|&a, &b| {
            items[a]
                .path
                .to_string_lossy()
                .cmp(&items[b].path.to_string_lossy())
        });
    }
    let outcome = order.iter().map(|&j| outcome[j]).collect();
    let mut items = items;
    permute(&mut items, order);
    SpoolItems::new(items, outcome, window)
}

/// Reorders `items` in place so that the `k`th is the one that was at
/// `order[k]`: no second list of items is made. `order` is a permutation.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        // Each cycle of the permutation is followed once, swapping as it goes.
        let mut at = start;
        while order[at] != DONE {
            let from = order[at];
            order[at] = DONE;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

fn event_name(k: &EventKind) -> &'static str {
    match k {
        EventKind::Signature { event, .. } => event.name(),
        EventKind::ClientBuild { .. } => "sip.client_build",
        EventKind::SipUser { .. } => "sip.register",
        EventKind::CalleeOffline { .. } => "sip.callee_offline",
        EventKind::Provisioning { .. } => "sip.provisioning",
        EventKind::UserImAutoArchiving { .. } => "sip.user_im_auto_archiving",
        EventKind::EwsUrl { .. } => "ews.url",
    }
}
#[cfg(test)]
mod permute_tests {
    use super::permute;

    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        let order = vec![3, 0, 4, 1, 2, 5];
        let mut items = vec!['a', 'b', 'c', 'd', 'e', 'f'];
        permute(&mut items, order);
        assert_eq!(items, ['d', 'a', 'e', 'b', 'c', 'f']);
        let mut none: Vec<char> = Vec::new();
        permute(&mut none, Vec::new());
        assert!(none.is_empty());
    }
}
