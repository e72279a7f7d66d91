//! The committed JSON Schema matches the binary, and real reports validate
//! against it.

mod report_support;

use report_support::*;
use serde_json::Value;
use std::path::Path;

const REGENERATE: &str = "cargo run -- schema > docs/report.schema.json";

fn committed_schema() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!(
            "{} cannot be read ({e}); generate it with `{REGENERATE}`",
            p.display()
        )
    })
}

fn printed_schema() -> String {
    let out = oimdiag(&["schema"]);
    assert!(out.status.success(), "`oimdiag schema` failed");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn committed_schema_matches_the_binary() {
    let committed = committed_schema();
    let printed = printed_schema();
    if committed != printed {
        let line = committed
            .lines()
            .zip(printed.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "lengths differ".to_string(),
                |i| format!("first difference at line {}", i + 1),
            );
        panic!(
            "docs/report.schema.json is out of date with the report model ({line}).\n\
             Regenerate it with:\n    {REGENERATE}\nand commit the result."
        );
    }
}

/// The published schema lets consumers ignore fields they do not know; here
/// every object is closed so a field the schema does not describe fails.
fn strict(mut v: Value) -> Value {
    fn close(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.contains_key("properties") {
                    m.insert("additionalProperties".into(), Value::Bool(false));
                }
                m.values_mut().for_each(close);
            }
            Value::Array(a) => a.iter_mut().for_each(close),
            _ => {}
        }
    }
    close(&mut v);
    v
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&printed_schema()).expect("the schema is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&strict(schema))
        .expect("the schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, report: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("  at {}: {e}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "the {what} report does not match the schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn reports_of_several_trees_validate() {
    let v = validator();
    let tmp = tempfile::tempdir().unwrap();
    let sample = sample_in(tmp.path());
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let spooler_only = spooler_only_in(tmp.path());

    let cases: [(&str, &Path, &[&str]); 5] = [
        ("sample", &sample, &[]),
        (
            "sample --include-subjects",
            &sample,
            &["--include-subjects"],
        ),
        ("empty folder", &empty, &[]),
        ("spooler-only", &spooler_only, &[]),
        ("sample --mailbox online", &sample, &["--mailbox", "online"]),
    ];
    for (what, path, extra) in cases {
        let report = json_report(path, extra);
        assert_valid(&v, &report, what);
    }
}

#[test]
fn the_schema_rejects_what_the_contract_forbids() {
    // The validation above can fail: a report with a wrong verdict, a missing
    // field or an unknown field does not pass.
    let v = validator();
    let tmp = tempfile::tempdir().unwrap();
    let good = json_report(&sample_in(tmp.path()), &[]);

    let mut bad = good.clone();
    bad["summary"]["verdict"] = "broken".into();
    assert!(!v.is_valid(&bad), "an unknown verdict passed");

    let mut bad = good.clone();
    bad["facts"].as_object_mut().unwrap().remove("ews_url");
    assert!(!v.is_valid(&bad), "a missing nullable field passed");

    let mut bad = good.clone();
    bad["spool_items"][0]["body"] = "secret".into();
    assert!(!v.is_valid(&bad), "an undocumented field passed");

    let mut bad = good;
    bad["scan_time"] = "yesterday".into();
    assert!(!v.is_valid(&bad), "a scan_time that is not RFC 3339 passed");
}

/// A validator for one definition of the schema (`Finding`, `SpoolItemOut`...).
fn validator_for_def(def: &str) -> jsonschema::Validator {
    let mut schema = strict(serde_json::from_str(&printed_schema()).unwrap());
    let root = schema.as_object_mut().unwrap();
    for k in [
        "properties",
        "required",
        "type",
        "title",
        "description",
        "additionalProperties",
    ] {
        root.remove(k);
    }
    root.insert("$ref".into(), format!("#/$defs/{def}").into());
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

#[test]
fn ndjson_records_are_the_schema_s_objects() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = scan(&sample_in(tmp.path()), &["--format", "ndjson"]);
    let defs = [
        ("finding", "Finding"),
        ("spool_item", "SpoolItemOut"),
        ("attempt", "AttemptOut"),
        ("scanned", "ScannedOut"),
        ("skipped", "SkippedOut"),
    ];
    let validators: Vec<_> = defs
        .iter()
        .map(|(t, d)| (*t, validator_for_def(d)))
        .collect();
    let (summary, facts) = (validator_for_def("Summary"), validator_for_def("FactsOut"));
    let mut checked = 0;
    for line in nd.lines() {
        let mut rec: Value = serde_json::from_str(line).unwrap();
        let kind = rec["type"].as_str().unwrap().to_string();
        if kind == "header" {
            assert_valid(&summary, &rec["summary"], "header summary");
            assert_valid(&facts, &rec["facts"], "header facts");
            continue;
        }
        rec.as_object_mut().unwrap().remove("type");
        let (_, v) = validators
            .iter()
            .find(|(t, _)| *t == kind)
            .unwrap_or_else(|| panic!("unknown record type {kind}"));
        assert_valid(v, &rec, &kind);
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} records checked");
    // The check can fail: a finding without its evidence does not pass.
    let bad = serde_json::json!({"rule_id": "OIM001", "severity": "error"});
    assert!(!validators[0].1.is_valid(&bad));
}
