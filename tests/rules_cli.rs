//! `oimdiag rules` and `oimdiag explain`: the catalog a user reads.

mod report_support;

use report_support::oimdiag;
use serde_json::Value;

fn stdout(args: &[&str]) -> String {
    let out = oimdiag(args);
    assert!(out.status.success(), "{args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn rules_json_has_every_field_for_every_rule() {
    let rules: Value = serde_json::from_str(&stdout(&["rules", "--format", "json"])).unwrap();
    let rules = rules.as_array().expect("an array of rules");
    assert_eq!(rules.len(), 27, "OIM001..OIM062");
    let mut ids = Vec::new();
    for r in rules {
        let obj = r.as_object().unwrap();
        for key in [
            "id",
            "severity",
            "title",
            "fires_when",
            "why",
            "remediation",
        ] {
            let v = obj.get(key).and_then(Value::as_str).unwrap_or_default();
            assert!(!v.trim().is_empty(), "{r}: no {key}");
        }
        assert!(["error", "warning", "info"].contains(&r["severity"].as_str().unwrap()));
        ids.push(r["id"].as_str().unwrap().to_string());
    }
    for id in ["OIM001", "OIM022", "OIM030", "OIM060", "OIM061"] {
        assert!(ids.contains(&id.to_string()), "{id} missing");
    }
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "duplicate ids");
}

#[test]
fn explain_is_readable_on_an_80_column_terminal() {
    let rules: Value = serde_json::from_str(&stdout(&["rules", "--format", "json"])).unwrap();
    for r in rules.as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        let text = stdout(&["explain", &id.to_lowercase()]);
        assert!(text.starts_with(&format!("{id} ({}) ", r["severity"].as_str().unwrap())));
        for l in text.lines() {
            assert!(l.chars().count() <= 80, "{id}: line over 80 columns: {l}");
        }
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for (label, key) in [
            ("Fires when:", "fires_when"),
            ("Why it matters:", "why"),
            ("What to do:", "remediation"),
        ] {
            let want = r[key]
                .as_str()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                flat.contains(&format!("{label} {want}")),
                "{id}: {label} is not the catalog's"
            );
        }
    }
}

#[test]
fn rules_text_fits_80_columns_and_an_unknown_rule_is_a_usage_error() {
    let list = stdout(&["rules"]);
    assert_eq!(list.lines().filter(|l| l.starts_with("OIM")).count(), 27);
    assert!(list.lines().all(|l| l.chars().count() <= 80));
    let out = oimdiag(&["explain", "OIM999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule 'OIM999'"));
}

#[test]
fn explain_takes_a_rule_number_and_every_catalog_format() {
    let by_number = stdout(&["explain", "30"]);
    assert_eq!(by_number, stdout(&["explain", "OIM030"]));
    assert!(by_number.starts_with("OIM030 "), "{by_number}");
    let one: Value = serde_json::from_str(&stdout(&["explain", "1", "--format", "json"])).unwrap();
    assert_eq!(one["id"], "OIM001");
    assert_eq!(one["assumed_wording"], false);
    let md = stdout(&["rules", "--format", "markdown"]);
    assert!(
        md.starts_with("| Rule | Severity | Title | Fires when |"),
        "{md}"
    );
    assert_eq!(md.lines().filter(|l| l.starts_with("| OIM")).count(), 27);
}

#[test]
fn explain_says_which_rules_rest_on_assumed_log_wording() {
    for id in ["OIM003", "OIM004", "OIM030", "OIM062"] {
        let e = stdout(&["explain", id]);
        assert!(e.contains("Rests on assumed wording"), "{id}: {e}");
        assert!(e.contains("signatures --test"), "{id}: {e}");
    }
    for id in ["OIM001", "OIM010", "OIM022"] {
        assert!(
            !stdout(&["explain", id]).contains("assumed wording"),
            "{id}"
        );
    }
}
