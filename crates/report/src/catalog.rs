//! `oimdiag rules` and `oimdiag explain`: the rule catalog for people,
//! wrapped to 80 columns, and as JSON.

use super::term::wrap_into;
use oimdiag_rules::RuleInfo;

/// One line per rule: id, severity, title.
pub fn list(catalog: &[RuleInfo]) -> String {
    let mut o = String::new();
    for r in catalog {
        wrap_into(
            &mut o,
            r.title,
            &format!("{}  {:<7}  ", r.id, r.severity.as_str()),
            &" ".repeat(19),
        );
    }
    o
}

/// Every rule with `id, severity, title, fires_when, why, remediation`.
pub fn json(catalog: &[RuleInfo]) -> String {
    serde_json::to_string_pretty(catalog).expect("the catalog serialises") + "\n"
}

/// One rule as JSON: the object `json` lists.
pub fn json_rule(r: &RuleInfo) -> String {
    serde_json::to_string_pretty(r).expect("a rule serialises") + "\n"
}

/// One rule: what it means, why it matters, what to do.
pub fn explain(r: &RuleInfo) -> String {
    let mut o = String::new();
    wrap_into(
        &mut o,
        r.title,
        &format!("{} ({}) ", r.id, r.severity.as_str()),
        "  ",
    );
    for (label, text) in [
        ("Fires when", r.fires_when),
        ("Why it matters", r.why),
        ("What to do", r.remediation),
    ] {
        o.push('\n');
        o.push_str(label);
        o.push_str(":\n");
        wrap_into(&mut o, text, "  ", "  ");
    }
    if r.assumed_wording {
        o.push_str("\nRests on assumed wording:\n");
        wrap_into(&mut o, ASSUMED_WORDING, "  ", "  ");
    }
    o
}

/// What `explain` says of a rule that reads signature-matched log lines.
const ASSUMED_WORDING: &str = "This rule reads log lines that oimdiag's signature table \
    recognises. No public sample shows the client's own offline-IM and EWS wording, so the \
    table is a model: on a real machine the client may word them otherwise, and then the rule \
    cannot fire (OIM062 says when nothing was recognised). Check a log with `oimdiag signatures \
    --test FILE`; extend the table with --signatures FILE.";

/// The catalog as a Markdown table: id, severity, title, when it fires.
pub fn markdown(catalog: &[RuleInfo]) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut o = String::from("| Rule | Severity | Title | Fires when |\n|---|---|---|---|\n");
    for r in catalog {
        o.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.id,
            r.severity.as_str(),
            cell(r.title),
            cell(r.fires_when)
        ));
    }
    o
}
