//! Rules on policies and EWS: OIM020 client policy, OIM021 user option,
//! OIM022 server switch, OIM030 EWS unavailable, and OIM051 for log events
//! dated after the scan time.

use super::{cap_evidence, spooler::count, Evidence, Finding, RuleContext};
use crate::events::{EventKind, LogEvent, SigEvent};
use crate::facts::policy_settings;
use crate::model::{Facts, ScanData, Setting};
use crate::timefmt::{human_duration, rfc3339};

pub(super) fn evaluate(scan: &ScanData, facts: &Facts, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let all = policy_settings(scan);
    let off = |v: &[Setting]| -> Vec<Evidence> {
        v.iter()
            .filter(|s| !s.value)
            .map(|s| Evidence {
                path: s.source.path.clone(),
                line: s.source.line,
                excerpt: s.source.excerpt.clone(),
            })
            .collect()
    };
    let ev = off(&all.enable_offline_im.applicable);
    if !ev.is_empty() {
        out.push(Finding::new(
            "OIM022",
            format!(
                "The server's IM configuration has EnableOfflineIM set to False: no client sends \
                 offline messages while it is.{}",
                scoped_note(&all.enable_offline_im.scoped, "IM configuration")
            ),
            cap_evidence(ev, "settings"),
        ));
    }
    let ev = off(&all.enable_im_auto_archiving.applicable);
    if !ev.is_empty() {
        out.push(Finding::new(
            "OIM020",
            format!(
                "The client policy in force has EnableIMAutoArchiving set to False; senders with \
                 such a policy cannot use Offline IM.{}",
                scoped_note(&all.enable_im_auto_archiving.scoped, "client policy")
            ),
            cap_evidence(ev, "settings"),
        ));
    }
    if let Some(s) = facts
        .policies
        .user_im_auto_archiving
        .as_ref()
        .filter(|s| !s.value)
    {
        out.push(Finding::new(
            "OIM021",
            "The user's option to save IM conversations in the Conversation History folder is \
             off (published as imAutoArchiving false)."
                .to_string(),
            vec![Evidence {
                path: s.source.path.clone(),
                line: s.source.line,
                excerpt: s.source.excerpt.clone(),
            }],
        ));
    }
    ews(scan, out);
    future_events(scan, ctx, out);
}

/// Scoped objects with the switch off: they matter only to users granted them.
fn scoped_note(scoped: &[Setting], what: &str) -> String {
    let off: Vec<&str> = scoped
        .iter()
        .filter(|s| !s.value)
        .map(|s| s.source.excerpt.as_str())
        .collect();
    if off.is_empty() {
        String::new()
    } else {
        format!(
            " Scoped {what} objects also have it off ({}); they apply only to users granted them.",
            off.join("; ")
        )
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

fn ews(scan: &ScanData, out: &mut Vec<Finding>) {
    let failures: Vec<&LogEvent> = scan.events.iter().filter(|e| is_ews_failure(e)).collect();
    if failures.is_empty() {
        return;
    }
    // Name the distinct failures: "401 Unauthorized ×3, autodiscover failed ×1".
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for e in &failures {
        let label = match &e.kind {
            EventKind::Signature {
                event: SigEvent::EwsAutodiscoverFailed,
                ..
            } => "autodiscover failed".to_string(),
            EventKind::Signature {
                event: SigEvent::EwsStatus,
                ..
            } => "EWS not deployed".to_string(),
            EventKind::Signature { fields, .. } => match fields.status {
                Some(s) => format!("HTTP {s}"),
                None => "EWS error".to_string(),
            },
            _ => continue,
        };
        match kinds.iter_mut().find(|(l, _)| *l == label) {
            Some((_, n)) => *n += 1,
            None => kinds.push((label, 1)),
        }
    }
    let summary: Vec<String> = kinds.iter().map(|(l, n)| format!("{l} ×{n}")).collect();
    let span = match (
        failures.iter().filter_map(|e| e.time).min(),
        failures.iter().filter_map(|e| e.time).max(),
    ) {
        (Some(a), Some(b)) if a != b => format!(" between {} and {}", rfc3339(a), rfc3339(b)),
        (Some(a), _) => format!(" at {}", rfc3339(a)),
        _ => String::new(),
    };
    let ev = failures.iter().map(|e| event_evidence(e)).collect();
    out.push(Finding::new(
        "OIM030",
        format!(
            "The client could not use Exchange Web Services: {} logged{span} ({}).",
            count(failures.len(), "failure"),
            summary.join(", ")
        ),
        cap_evidence(ev, "failures"),
    ));
}

fn future_events(scan: &ScanData, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let future: Vec<&LogEvent> = scan
        .events
        .iter()
        .filter(|e| e.time.is_some_and(|t| t > ctx.now))
        .collect();
    if future.is_empty() {
        return;
    }
    let ahead = future
        .iter()
        .filter_map(|e| e.time)
        .max()
        .map(|t| (t - ctx.now).num_seconds())
        .unwrap_or(0);
    let ev = future.iter().map(|e| event_evidence(e)).collect();
    out.push(Finding::new(
        "OIM051",
        format!(
            "{} in the logs {} dated after the scan time {} (up to {} ahead): check the clock, \
             --now and --utc-offset.",
            count(future.len(), "event"),
            if future.len() == 1 { "is" } else { "are" },
            rfc3339(ctx.now),
            human_duration(ahead)
        ),
        cap_evidence(ev, "events"),
    ));
}

pub(crate) fn event_evidence(e: &LogEvent) -> Evidence {
    Evidence {
        path: e.origin.path.display().to_string(),
        line: e.origin.line,
        excerpt: e.origin.excerpt.clone(),
    }
}
