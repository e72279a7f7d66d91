//! Rules on policies and EWS: OIM020 client policy, OIM021 user option,
//! OIM022 server switch, OIM023 scoped policies, OIM030 EWS unavailable.

use super::{cap_evidence, cap_evidence_of, spooler::count, Evidence, Finding};
use crate::facts::policy_settings;
use crate::model::{Facts, ScanData, Setting};
use crate::timefmt::rfc3339;

pub(super) fn evaluate(scan: &ScanData, facts: &Facts, out: &mut Vec<Finding>) {
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

fn ews(scan: &ScanData, out: &mut Vec<Finding>) {
    let failures = &scan.logs.ews_failures;
    if failures.count == 0 {
        return;
    }
    // Name the distinct failures: "HTTP 401 ×3, autodiscover failed ×1".
    let summary: Vec<String> = failures
        .labels
        .iter()
        .map(|(l, n)| format!("{l} ×{n}"))
        .collect();
    let span = match (failures.first, failures.last) {
        (Some(a), Some(b)) if a != b => format!(" between {} and {}", rfc3339(a), rfc3339(b)),
        (Some(a), _) => format!(" at {}", rfc3339(a)),
        _ => String::new(),
    };
    out.push(Finding::new(
        "OIM030",
        format!(
            "The client could not use Exchange Web Services: {} logged{span} ({}).",
            count(failures.count, "failure"),
            summary.join(", ")
        ),
        cap_evidence_of(failures.evidence.clone(), failures.count, "failures"),
    ));
}
