//! `oimdiag rules` and `oimdiag explain`: the rule catalog for people,
//! wrapped to 80 columns, and as JSON.

use super::term::wrap_into;
use crate::rules::RuleInfo;

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
    o
}
