//! Rules on the evidence itself: OIM051 dated after the scan time, OIM060
//! not enough client evidence, OIM061 skipped files, OIM062 logs read but
//! not understood.

use super::{cap_evidence, cap_evidence_of, spooler::count, Citation, Finding, RuleContext};
use oimdiag_analysis::scan_data::ScanData;
use oimdiag_vocab::rule_id::RuleId;
use oimdiag_vocab::timefmt::{human_duration, rfc3339};

pub(super) fn evaluate(scan: &ScanData, ctx: &RuleContext, out: &mut Vec<Finding>) {
    after_scan_time(scan, ctx, out);
    clocks(scan, out);
    no_client_evidence(scan, ctx, out);
    unreadable_folders(scan, out);
    skipped(scan, out);
    not_understood(scan, ctx, out);
}

/// OIM051, once for the report: items and log events dated after the scan
/// time. They are listed, never judged.
fn after_scan_time(scan: &ScanData, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let (items, mut ev, items_ahead) = super::spooler::after_scan_time(scan, ctx.window);
    let events = &scan.logs.future;
    if items + events.count == 0 {
        return;
    }
    let events_ahead = events
        .last
        .map_or(0, |t| (t - ctx.window.now).num_seconds());
    let mut what = Vec::new();
    if items > 0 {
        what.push(format!("{} in the History Spooler", count(items, "item")));
    }
    if events.count > 0 {
        what.push(format!("{} in the logs", count(events.count, "event")));
    }
    let total = items + events.count;
    let room = super::MAX_EVIDENCE.saturating_sub(ev.len());
    ev.extend(events.evidence.iter().take(room).cloned());
    out.push(Finding::new(
        RuleId::Oim051,
        format!(
            "{} {} dated after the scan time {} (up to {} ahead): such evidence is listed, not \
             judged. A clock is wrong, or --now is earlier than the evidence.",
            what.join(" and "),
            if total == 1 { "is" } else { "are" },
            rfc3339(ctx.window.now),
            human_duration(items_ahead.max(events_ahead)),
        ),
        cap_evidence_of(ev, total, "items and events"),
    ));
}

/// OIM052, once for the report: local log lines and absolute times of the
/// same events disagree by whole quarter hours.
fn clocks(scan: &ScanData, out: &mut Vec<Finding>) {
    let Some(c) = &scan.clock_disagreement else {
        return;
    };
    let p = &c.pairs;
    let shift = p.largest_shift_secs();
    let offset = |o: i32| {
        chrono::FixedOffset::east_opt(o)
            .map(oimdiag_vocab::timefmt::offset_string)
            .unwrap_or_default()
    };
    let mut message = format!(
        "{} of {} offline-IM {} told both by a local log line and with an absolute time (a \
         CSV's FILETIME, a date with its zone) {}: read by {}, the local line comes {} {} \
         the absolute time.",
        p.disagreeing,
        p.pairs,
        if p.pairs == 1 { "event" } else { "events" },
        if p.disagreeing == 1 {
            "disagrees"
        } else {
            "disagree"
        },
        c.read_by,
        human_duration(shift.abs()),
        if shift > 0 { "after" } else { "before" },
    );
    match (c.adopted, p.reconciling()) {
        (Some(o), _) => message.push_str(&format!(
            " No --tz or --utc-offset was given, so the logs were read again at {0}, the offset \
             that reconciles them (time_zone.source: inferred). Pin it with --utc-offset {0}, or \
             with --tz and the zone of the machine that wrote the logs.",
            offset(o)
        )),
        (None, Some((o, _))) => message.push_str(&format!(
            " The flag given wins: times stay as read. The logs were written at {0}: scan again \
             with --utc-offset {0}, or --tz with the zone of the machine that wrote them.",
            offset(o)
        )),
        (None, None) => message.push_str(
            " The shifts differ between events (the logs may span a DST change): scan again with \
             --tz and the zone of the machine that wrote the logs.",
        ),
    }
    message.push_str(" Events told twice are joined by message id, never counted as two messages.");
    out.push(Finding::new(RuleId::Oim052, message, p.evidence.clone()));
}

/// OIM060 with no user: no client evidence at all (BRIEF §5). What was read
/// instead is said, and what to collect.
fn no_client_evidence(scan: &ScanData, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let c = ctx.coverage;
    if c.client_evidence {
        return;
    }
    let mut read = Vec::new();
    if c.logs.files > 0 {
        read.push(format!(
            "{} ({} records) with no offline-IM or EWS line recognised up to the scan time",
            count(c.logs.files, "log"),
            c.logs.records
        ));
    }
    if c.admin.files > 0 {
        read.push(format!(
            "{} (server settings, which say nothing of this client's messages)",
            count(c.admin.files, "admin export")
        ));
    }
    let unlisted: Vec<String> = scan
        .unreadable_folders
        .iter()
        .map(|u| format!("{} ({})", u.path.display(), u.reason))
        .collect();
    let mut message = format!(
        "No client evidence in {}: no History Spooler folder was listed{}.",
        if ctx.roots.is_empty() {
            "the scanned paths".to_string()
        } else {
            ctx.roots.join(", ")
        },
        if read.is_empty() {
            " and no client log was found".to_string()
        } else {
            format!("; read: {}", read.join("; "))
        }
    );
    if !unlisted.is_empty() {
        message.push_str(&format!(
            " Folders that could not be listed: {}: run oimdiag as the user who owns the \
             profile, or elevated.",
            unlisted.join("; ")
        ));
    }
    message.push_str(
        " Collect the sender's %LOCALAPPDATA%\\Microsoft\\Office\\16.0\\Lync folder (the \
         sip_<address> folders with their History Spooler, and Tracing).",
    );
    out.push(Finding::new(RuleId::Oim060, message, vec![]));
}

/// OIM060 for each user whose profile or History Spooler folder could not
/// be listed: that user's evidence is missing.
fn unreadable_folders(scan: &ScanData, out: &mut Vec<Finding>) {
    let mut by_user: std::collections::BTreeMap<&str, Vec<Citation>> = Default::default();
    for u in &scan.unreadable_folders {
        if let Some(user) = u.user.as_deref() {
            by_user.entry(user).or_default().push(Citation {
                path: u.path.display().to_string(),
                line: None,
                excerpt: u.reason.clone(),
            });
        }
    }
    for (user, ev) in by_user {
        out.push(
            Finding::new(
                RuleId::Oim060,
                format!(
                    "The folders of {user} could not be listed, so nothing is known of this \
                     user's offline messages: run oimdiag as the user who owns the profile, or \
                     elevated."
                ),
                cap_evidence(ev, "folders"),
            )
            .for_user(Some(user.to_string())),
        );
    }
}

/// OIM061, with a remedy for each kind of reason met.
fn skipped(scan: &ScanData, out: &mut Vec<Finding>) {
    if scan.skipped.is_empty() {
        return;
    }
    let ev = scan
        .skipped
        .iter()
        .map(|s| Citation {
            path: s.path.display().to_string(),
            line: None,
            excerpt: s.reason.clone(),
        })
        .collect();
    let mut remedies: Vec<&str> = Vec::new();
    for s in &scan.skipped {
        let r = remedy(&s.reason);
        if !remedies.contains(&r) {
            remedies.push(r);
        }
    }
    let mut f = Finding::new(
        RuleId::Oim061,
        format!(
            "{} skipped; the reasons are listed.",
            count(scan.skipped.len(), "input")
        ),
        cap_evidence(ev, "skipped inputs"),
    );
    f.remediation = remedies.join(" ");
    out.push(f);
}

/// What to do about one skip reason (the readers' and discovery's wording).
fn remedy(reason: &str) -> &'static str {
    let r = reason.to_ascii_lowercase();
    if r.contains("etl") {
        "Export binary ETL traces with `tracerpt <file>.etl -of CSV -o <file>.csv` and scan the CSV."
    } else if r.contains("cannot be listed") || r.contains("cannot be read") {
        "Files or folders that could not be read: run oimdiag as the user who owns the profile, \
         or elevated, or collect them again."
    } else if r.contains("symbolic link") {
        "Links are not followed: pass the link's target as a PATH to scan it."
    } else if r.contains("shell file") {
        "Windows shell files are not messages: nothing to do."
    } else if r.contains("oimdiag report") {
        "oimdiag's own reports are not evidence: nothing to do."
    } else if r.contains("not a regular file") {
        "Devices, FIFOs and sockets are never opened: nothing to do."
    } else {
        "Files of unknown content are not evidence oimdiag reads: nothing to do unless one is a \
         log or export that should have been recognised (then check its format)."
    }
}

/// OIM062, once for the report: logs were read but no offline-IM or EWS
/// line was recognised in any of them, in or out of the time judged.
fn not_understood(scan: &ScanData, ctx: &RuleContext, out: &mut Vec<Finding>) {
    let c = &ctx.coverage.logs;
    if c.files == 0 || scan.logs.signature_events > 0 {
        return;
    }
    let l = &scan.logs;
    let unanswered = l.callee_offline.count.saturating_sub(l.offline_after_480);
    let after_480 = if unanswered > 0 {
        format!(
            " {} answered 480 (callee offline) with no offline-IM line after {}: the clearest \
             sign that the client words these lines differently.",
            count(unanswered, "INVITE"),
            if unanswered == 1 { "it" } else { "them" }
        )
    } else {
        String::new()
    };
    let mut ev: Vec<Citation> = scan
        .scanned
        .iter()
        .filter(|s| s.kind.is_log())
        .take(super::MAX_EVIDENCE / 2)
        .map(|s| Citation {
            path: s.path.display().to_string(),
            line: None,
            excerpt: "read; no offline-IM or EWS line recognised".to_string(),
        })
        .collect();
    ev.extend(
        l.callee_offline
            .evidence
            .iter()
            .take(super::MAX_EVIDENCE / 2)
            .cloned(),
    );
    out.push(Finding::new(
        RuleId::Oim062,
        format!(
            "{} ({} records, {} SIP packets) {} read, but no offline-IM or EWS line was \
             recognised in any of them.{after_480} What the logs show of offline messages and \
             EWS cannot be judged until the signature table knows the client's wording.",
            count(c.files, "log"),
            c.records,
            c.sip_packets,
            if c.files == 1 { "was" } else { "were" },
        ),
        ev,
    ));
}
