//! Rules on offline-IM attempts from the logs: OIM003 not delivered, OIM004
//! delivered late, OIM040 recipient in another organisation.

use super::{
    cap_evidence, cap_evidence_of, other_domain, spooler::count, Citation, Finding, MAX_EVIDENCE,
};
use chrono::{DateTime, Utc};
use oimdiag_analysis::correlate::{timer_end, Attempt, Outcome};
use oimdiag_analysis::scan_data::ScanData;
use oimdiag_vocab::events::{EventKind, SigEvent};
use oimdiag_vocab::rule_id::RuleId;
use oimdiag_vocab::timefmt::{human_duration, rfc3339};
use std::collections::BTreeMap;

pub(super) fn evaluate(
    scan: &ScanData,
    attempts: &[Attempt],
    now: DateTime<Utc>,
    out: &mut Vec<Finding>,
) {
    let dropped = &scan.attempts_dropped;
    let mut by_user: BTreeMap<Option<&str>, Vec<&Attempt>> = BTreeMap::new();
    for a in attempts {
        by_user.entry(a.user.as_deref()).or_default().push(a);
    }
    // Users whose messages were all past the number kept still count.
    for u in dropped.by_user.keys() {
        by_user.entry(u.as_deref()).or_default();
    }
    for (user, list) in by_user {
        let who = user.map_or(String::new(), |u| format!(" from {u}"));
        let gone = |o: Outcome| dropped.count(user, o);
        let undelivered: Vec<&&Attempt> = list.iter().filter(|a| a.is_undelivered()).collect();
        let failed = undelivered
            .iter()
            .filter(|a| a.outcome == Outcome::Failed)
            .count()
            + gone(Outcome::Failed);
        let expired = undelivered
            .iter()
            .filter(|a| a.outcome == Outcome::Expired)
            .count()
            + gone(Outcome::Expired);
        if failed + expired > 0 {
            let mut parts = Vec::new();
            if failed > 0 {
                let reason = undelivered
                    .iter()
                    .find_map(|a| failure_reason(a))
                    .map(|r| format!(" (last reason: {r})"))
                    .unwrap_or_default();
                parts.push(format!("{failed} failed{reason}"));
            }
            if expired > 0 {
                parts.push(format!(
                    "{expired} had nothing logged after the two-minute timer ran out"
                ));
            }
            let total = failed + expired;
            let ev = undelivered
                .iter()
                .take(MAX_EVIDENCE)
                .map(|a| attempt_evidence(a, now))
                .collect();
            out.push(
                Finding::new(
                    RuleId::Oim003,
                    format!(
                        "{}{who} {} not delivered: {}.",
                        count(total, "offline message"),
                        if total == 1 { "was" } else { "were" },
                        parts.join("; ")
                    ),
                    cap_evidence_of(ev, total, "messages"),
                )
                .for_user(user.map(str::to_string)),
            );
        }
        let late: Vec<&&Attempt> = list
            .iter()
            .filter(|a| a.outcome == Outcome::DeliveredLate)
            .collect();
        let late_total = late.len() + gone(Outcome::DeliveredLate);
        if late_total > 0 {
            let slowest = late
                .iter()
                .filter_map(|a| a.resolved_at.map(|r| (r - a.queued_at).num_seconds()))
                .chain(
                    dropped
                        .by_user
                        .get(&user.map(str::to_string))
                        .map(|c| c.slowest_late_secs),
                )
                .max()
                .unwrap_or(0);
            let ev = late
                .iter()
                .take(MAX_EVIDENCE)
                .map(|a| attempt_evidence(a, now))
                .collect();
            out.push(
                Finding::new(
                    RuleId::Oim004,
                    format!(
                        "{}{who} arrived, but later than the two-minute timer (slowest: {}).",
                        count(late_total, "offline message"),
                        human_duration(slowest)
                    ),
                    cap_evidence_of(ev, late_total, "messages"),
                )
                .for_user(user.map(str::to_string)),
            );
        }
    }
    pending(attempts, now, out);
    federated(scan, attempts, out);
}

/// OIM002 for logged messages whose timer is still running: say when to look again.
fn pending(attempts: &[Attempt], now: DateTime<Utc>, out: &mut Vec<Finding>) {
    let mut by_user: BTreeMap<Option<&str>, Vec<&Attempt>> = BTreeMap::new();
    for a in attempts
        .iter()
        // A message whose item is in the spooler is already reported with it.
        .filter(|a| a.outcome == Outcome::Pending && a.queued_at <= now && a.spool_items.is_empty())
    {
        by_user.entry(a.user.as_deref()).or_default().push(a);
    }
    for (user, list) in by_user {
        let deadline = list.iter().map(|a| timer_end(a)).max().unwrap_or(now);
        let ev = list
            .iter()
            .map(|a| Citation {
                path: String::new(),
                line: None,
                excerpt: format!(
                    "{}to {}: queued {}, timer still running",
                    a.id.as_deref()
                        .map(|i| format!("message {i} "))
                        .unwrap_or_default(),
                    a.recipient.as_deref().unwrap_or("unknown recipient"),
                    rfc3339(a.queued_at)
                ),
            })
            .collect();
        out.push(
            Finding::new(
                RuleId::Oim002,
                format!(
                    "{} in the logs {} still within the two-minute timer: run oimdiag again after {} (in {}).",
                    count(list.len(), "offline message"),
                    if list.len() == 1 { "is" } else { "are" },
                    rfc3339(deadline),
                    human_duration((deadline - now).num_seconds().max(0))
                ),
                cap_evidence(ev, "messages"),
            )
            .for_user(user.map(str::to_string)),
        );
    }
}

/// OIM040: recipients in another domain than the sender, from attempts and items.
fn federated(scan: &ScanData, attempts: &[Attempt], out: &mut Vec<Finding>) {
    let mut seen: BTreeMap<(String, String), Citation> = BTreeMap::new();
    for a in attempts {
        if let (Some(u), Some(r)) = (&a.user, &a.recipient) {
            if other_domain(u, r) {
                let e = a.events.first();
                seen.entry((u.clone(), r.clone()))
                    .or_insert_with(|| Citation {
                        path: e
                            .map(|e| e.origin.path.display().to_string())
                            .unwrap_or_default(),
                        line: e.and_then(|e| e.origin.line),
                        excerpt: format!("offline message from {u} to {r}"),
                    });
            }
        }
    }
    for ((u, r), o) in &scan.attempts_dropped.federated {
        seen.entry((u.clone(), r.clone()))
            .or_insert_with(|| Citation {
                path: o.path.display().to_string(),
                line: o.line,
                excerpt: format!("offline message from {u} to {r}"),
            });
    }
    for it in &scan.spool_items {
        let sender = it.sender.as_ref().or(it.profile.as_ref());
        if let (Some(u), Some(r)) = (sender, &it.recipient) {
            if other_domain(u, r) {
                seen.entry((u.to_string(), r.to_string()))
                    .or_insert_with(|| Citation {
                        path: it.path.display().to_string(),
                        line: None,
                        excerpt: format!("spooled message from {u} to {r}"),
                    });
            }
        }
    }
    if seen.is_empty() {
        return;
    }
    // Named up to ten; the rest counted (a log may name thousands).
    let recipients: Vec<&str> = seen.keys().map(|(_, r)| r.as_str()).take(10).collect();
    let more = seen.len().saturating_sub(recipients.len());
    let named = match more {
        0 => recipients.join(", "),
        n => format!("{} and {n} more", recipients.join(", ")),
    };
    out.push(Finding::new(
        RuleId::Oim040,
        format!(
            "Offline messages went to another organisation ({named}): there they arrive as plain \
             email, not in Missed Conversations or conversation history. That is by design."
        ),
        cap_evidence(seen.into_values().collect(), "recipients"),
    ));
}

fn failure_reason(a: &Attempt) -> Option<String> {
    a.events.iter().rev().find_map(|e| match &e.kind {
        EventKind::Signature {
            event: SigEvent::OimFailed,
            fields,
        } => fields.reason.clone(),
        _ => None,
    })
}

/// "message 42 to bob@contoso.com: queued 10:14:03Z, failed 10:16:03Z (EWS returned 401)".
fn attempt_evidence(a: &Attempt, now: DateTime<Utc>) -> Citation {
    let first = a.events.first();
    let id =
        a.id.as_deref()
            .map(|i| format!("message {i} "))
            .unwrap_or_default();
    let to = a.recipient.as_deref().unwrap_or("unknown recipient");
    let what = match a.outcome {
        Outcome::Failed => format!(
            "failed {}{}",
            a.resolved_at.map(rfc3339).unwrap_or_default(),
            failure_reason(a)
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        Outcome::Expired => format!(
            "nothing since; timer ran out {} ago",
            human_duration((now - a.queued_at).num_seconds() - super::TIMER_SECS)
        ),
        Outcome::DeliveredLate | Outcome::Delivered => format!(
            "delivered {} after {}",
            a.resolved_at.map(rfc3339).unwrap_or_default(),
            human_duration(a.resolved_at.map_or(0, |r| (r - a.queued_at).num_seconds()))
        ),
        Outcome::Pending => "timer still running".to_string(),
    };
    Citation {
        path: first
            .map(|e| e.origin.path.display().to_string())
            .unwrap_or_default(),
        line: first.and_then(|e| e.origin.line),
        excerpt: format!("{id}to {to}: queued {}, {what}", rfc3339(a.queued_at)),
    }
}
