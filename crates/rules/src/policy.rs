//! Rules on policies and EWS: OIM020 client policy, OIM021 user option,
//! OIM022 server switch, OIM023 scoped policies, OIM030 EWS unavailable.

use super::{cap_evidence, cap_evidence_of, spooler::count, Citation, Finding};
use oimdiag_analysis::facts::{policy_settings, PolicySettings};
use oimdiag_analysis::scan_data::ScanData;
use oimdiag_vocab::found::{Facts, Setting};
use oimdiag_vocab::rule_id::RuleId;
use oimdiag_vocab::timefmt::rfc3339;

pub(super) fn evaluate(scan: &ScanData, facts: &Facts, out: &mut Vec<Finding>) {
    let all = policy_settings(scan);
    let off = |v: &[Setting]| -> Vec<Citation> {
        v.iter()
            .filter(|s| !s.value)
            .map(|s| Citation {
                path: s.source.path.clone(),
                line: s.source.line,
                excerpt: s.source.excerpt.clone(),
            })
            .collect()
    };
    let ev = off(&all.enable_offline_im.applicable);
    if !ev.is_empty() {
        out.push(Finding::new(
            RuleId::Oim022,
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
            RuleId::Oim020,
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
            RuleId::Oim021,
            "The user's option to save IM conversations in the Conversation History folder is \
             off (published as imAutoArchiving false)."
                .to_string(),
            vec![Citation {
                path: s.source.path.clone(),
                line: s.source.line,
                excerpt: s.source.excerpt.clone(),
            }],
        ));
    }
    scoped_off(&all, out);
    ews(scan, out);
}

/// OIM023: scoped policies that turn Offline IM off for the users granted
/// them, while the Global one has it on (or was not exported) and nothing
/// shows which applies to this user. One finding naming every such scope.
fn scoped_off(all: &PolicySettings, out: &mut Vec<Finding>) {
    let settings = [
        (
            &all.enable_im_auto_archiving,
            "EnableIMAutoArchiving",
            "client policy",
            "Get-CsUser <address> | Format-List ClientPolicy",
        ),
        (
            &all.enable_offline_im,
            "EnableOfflineIM",
            "IM configuration",
            "Get-CsUser <address> | Format-List RegistrarPool, then the IM configuration of \
             that pool's site (Get-CsImConfiguration -Identity site:<name>)",
        ),
    ];
    let mut parts = Vec::new();
    let mut commands = Vec::new();
    let mut ev = Vec::new();
    for (policy, name, what, command) in settings {
        let global_off = policy.applicable.iter().any(|s| !s.value);
        if policy.provisioned || global_off {
            continue;
        }
        let off: Vec<&(String, Setting)> = policy.scoped.iter().filter(|(_, s)| !s.value).collect();
        if off.is_empty() {
            continue;
        }
        // The same scope may be exported twice (as a table and as JSON).
        let mut scopes: Vec<&str> = Vec::new();
        for (scope, _) in &off {
            if !scopes.iter().any(|s| s.eq_ignore_ascii_case(scope)) {
                scopes.push(scope);
            }
        }
        let global = if policy.applicable.is_empty() {
            "no Global one was exported"
        } else {
            "the Global one has it on"
        };
        parts.push(format!(
            "{what} {} {} {name} False ({global})",
            plural_word(scopes.len(), "scope", "scopes"),
            scopes.join(", "),
        ));
        commands.push(format!("{name}: {command}"));
        ev.extend(off.iter().map(|(_, s)| Citation {
            path: s.source.path.clone(),
            line: s.source.line,
            excerpt: s.source.excerpt.clone(),
        }));
    }
    if parts.is_empty() {
        return;
    }
    let mut f = Finding::new(
        RuleId::Oim023,
        format!(
            "A scoped policy turns Offline IM off for the users granted it: {}. Nothing in the \
             evidence shows which policy this user has (no in-band provisioning was logged).",
            parts.join("; ")
        ),
        cap_evidence(ev, "settings"),
    );
    f.remediation = format!(
        "Find out which policy the user has — {}. If it is one of these scopes, set the setting \
         to True there or grant the user another policy.",
        commands.join("; ")
    );
    out.push(f);
}

fn plural_word(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_string()
    } else {
        many.to_string()
    }
}

/// Scoped objects with the switch off: they matter only to users granted them.
fn scoped_note(scoped: &[(String, Setting)], what: &str) -> String {
    let off: Vec<&str> = scoped
        .iter()
        .filter(|(_, s)| !s.value)
        .map(|(_, s)| s.source.excerpt.as_str())
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
        RuleId::Oim030,
        format!(
            "The client could not use Exchange Web Services: {} logged{span} ({}).",
            count(failures.count, "failure"),
            summary.join(", ")
        ),
        cap_evidence_of(failures.evidence.clone(), failures.count, "failures"),
    ));
}
