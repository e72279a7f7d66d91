//! The command line and the output contract (BRIEF §5, §6): JSON shape,
//! finding order, verdicts and exit statuses, `--output`, `--fail-on`,
//! `--now`, `--utc-offset`, the build rules, `rules` and `explain`.

mod common;

use common::*;
use serde_json::Value;
use std::fs;

const USER: &str = "alice@contoso.com";

fn stuck_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    env
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn assert_has_keys(v: &Value, want: &[&str], what: &str) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {v}"));
    for k in want {
        assert!(
            obj.contains_key(*k),
            "{what} lacks '{k}': has {:?}",
            keys(v)
        );
    }
}

fn is_rfc3339_utc(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z')
}

// ------------------------------------------------------------ JSON contract

/// A tree that makes many rules fire at once: errors, warnings and infos.
fn busy_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "stuck.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    env.write_item(
        USER,
        "fresh.hist",
        mime_item("carol@contoso.com", Some(&rfc2822(ago(30)))),
    );
    env.write_item(
        USER,
        "future.hist",
        mime_item("dave@contoso.com", Some(&rfc2822(ago(-600)))),
    );
    let e = env.write_item(USER, "empty.hist", b"");
    set_mtime(&e, ago(20));
    env.write_file("Microsoft/Office/16.0/Lync/notes.txt", "unrelated\n");
    env
}

#[test]
fn json_report_has_every_contract_field() {
    let env = busy_env();
    let s = env.scan_root(&["--client-build", "16.0.4417.1000"]);
    let j = &s.json;
    assert_has_keys(
        j,
        &[
            "schema_version",
            "tool",
            "scan_time",
            "utc_offset",
            "summary",
            "facts",
            "spool_items",
            "attempts",
            "findings",
            "inputs",
        ],
        "report",
    );
    assert!(j["schema_version"].is_string());
    assert_eq!(j["tool"]["name"], "oimdiag");
    assert!(!j["tool"]["version"].as_str().unwrap().is_empty());
    assert_has_keys(
        &j["summary"],
        &[
            "verdict",
            "errors",
            "warnings",
            "infos",
            "probable_causes",
            "headline",
        ],
        "summary",
    );
    assert!(j["summary"]["probable_causes"].is_array());
    assert!(!j["summary"]["headline"].as_str().unwrap().is_empty());
    let facts = &j["facts"];
    assert_has_keys(
        facts,
        &[
            "sip_users",
            "client_build",
            "client_build_source",
            "install_type",
            "mailbox_location",
            "ews_url",
            "policies",
        ],
        "facts",
    );
    assert_eq!(facts["sip_users"], serde_json::json!([USER]));
    assert_eq!(facts["client_build"], "16.0.4417.1000");
    assert_eq!(facts["install_type"], "msi");
    assert_eq!(facts["mailbox_location"], "unknown");
    assert!(facts["ews_url"].is_null());
    assert!(facts["policies"].is_object());
    assert!(j["attempts"].is_array());

    let items = s.items();
    assert_eq!(items.len(), 4);
    for i in items {
        assert_has_keys(
            i,
            &[
                "path",
                "size_bytes",
                "sent_at",
                "sent_at_source",
                "age_seconds",
                "state",
                "recipient",
                "format",
            ],
            "spool item",
        );
        assert!(is_rfc3339_utc(i["sent_at"].as_str().unwrap()), "{i}");
        assert!(["content", "mtime"].contains(&i["sent_at_source"].as_str().unwrap()));
        assert!([
            "pending",
            "stuck",
            "after_scan_time",
            "empty",
            "before_since"
        ]
        .contains(&i["state"].as_str().unwrap()));
        assert!(["mime", "xml", "opaque"].contains(&i["format"].as_str().unwrap()));
        assert!(i["size_bytes"].is_u64() && i["age_seconds"].is_i64());
    }

    assert!(s.findings().len() >= 6, "{:?}", s.rule_ids());
    for f in s.findings() {
        assert_has_keys(
            f,
            &[
                "rule_id",
                "severity",
                "title",
                "message",
                "evidence",
                "remediation",
            ],
            "finding",
        );
        assert!(["error", "warning", "info"].contains(&f["severity"].as_str().unwrap()));
        for k in ["title", "message", "remediation"] {
            assert!(
                !f[k].as_str().unwrap().trim().is_empty(),
                "{k} empty in {f}"
            );
        }
        for e in f["evidence"].as_array().unwrap() {
            assert_has_keys(e, &["path", "line", "excerpt"], "evidence");
            assert!(e["path"].is_string() && e["excerpt"].is_string());
            assert!(e["line"].is_null() || e["line"].is_u64());
        }
    }

    let inputs = &j["inputs"];
    assert_has_keys(inputs, &["scanned", "skipped"], "inputs");
    for x in inputs["scanned"].as_array().unwrap() {
        assert_has_keys(x, &["path", "kind"], "scanned input");
    }
    assert_eq!(inputs["scanned"].as_array().unwrap().len(), 4);
    for x in inputs["skipped"].as_array().unwrap() {
        assert_has_keys(x, &["path", "reason"], "skipped input");
    }
}

#[test]
fn findings_are_ordered_by_severity_then_rule_id() {
    let env = busy_env();
    let s = env.scan_root(&["--client-build", "16.0.4417.1000"]);
    let ids = s.rule_ids();
    for want in ["OIM001", "OIM002", "OIM010", "OIM050", "OIM051", "OIM061"] {
        assert!(
            ids.contains(&want.to_string()),
            "{want} missing from {ids:?}"
        );
    }
    let rank = |sev: &str| match sev {
        "error" => 0,
        "warning" => 1,
        "info" => 2,
        other => panic!("severity {other}"),
    };
    let keys: Vec<(i32, String)> = s
        .findings()
        .iter()
        .map(|f| {
            (
                rank(f["severity"].as_str().unwrap()),
                f["rule_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn summary_counts_match_findings_and_causes_are_causes_only() {
    let env = busy_env();
    let s = env.scan_root(&["--client-build", "16.0.4417.1000"]);
    let count = |sev: &str| s.findings().iter().filter(|f| f["severity"] == sev).count();
    let sum = &s.json["summary"];
    assert_eq!(sum["errors"], count("error"));
    assert_eq!(sum["warnings"], count("warning"));
    assert_eq!(sum["infos"], count("info"));
    assert_eq!(sum["verdict"], "failing");
    assert_eq!(
        sum["probable_causes"],
        serde_json::json!(["OIM010"]),
        "OIM001 fired but is a symptom, never a cause"
    );
    let headline = sum["headline"].as_str().unwrap();
    assert!(headline.contains(USER), "{headline}");
    assert!(headline.contains("OIM010"), "{headline}");
    assert_eq!(s.code, 1);
}

#[test]
fn now_is_echoed_as_utc_scan_time() {
    let env = stuck_env();
    let r = env.run(&[
        "scan",
        ".",
        "--format",
        "json",
        "--now",
        "2026-11-23T15:30:00+05:30",
        "--utc-offset",
        "+00:00",
    ]);
    let s = Scan::parse(r);
    assert_eq!(s.json["scan_time"], "2026-11-23T10:00:00Z");
    // ...and the timer is measured against it.
    assert_eq!(s.item("a.hist")["age_seconds"], 600);
}

#[test]
fn scan_time_is_the_given_now() {
    let env = stuck_env();
    let s = env.scan_root(&[]);
    assert_eq!(s.json["scan_time"], NOW);
}

#[test]
fn utc_offset_is_echoed() {
    let env = stuck_env();
    for (given, shown) in [
        ("+05:30", "+05:30"),
        ("-08:00", "-08:00"),
        ("+00:00", "+00:00"),
    ] {
        let s = env.scan_root(&["--utc-offset", given]);
        assert_eq!(s.json["utc_offset"], shown);
    }
}

#[test]
fn bad_now_or_offset_is_a_usage_error() {
    let env = stuck_env();
    let r = env.run(&["scan", ".", "--now", "yesterday"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = env.run(&["scan", ".", "--now", NOW, "--utc-offset", "5:30"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn text_format_shows_verdict_and_findings() {
    let env = stuck_env();
    let r = env.run(&["scan", ".", "--now", NOW, "--utc-offset", "+00:00"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("FAILING"), "{}", r.stdout);
    assert!(r.stdout.contains("OIM001"), "{}", r.stdout);
    assert!(r.stdout.contains("bob@contoso.com"), "{}", r.stdout);
}

// -------------------------------------------------------------- --fail-on

#[test]
fn fail_on_never_exits_zero_despite_errors() {
    let env = stuck_env();
    let s = env.scan_root(&["--fail-on", "never"]);
    assert!(s.has("OIM001"));
    assert_eq!(s.verdict(), "failing");
    assert_eq!(s.code, 0);
}

/// Only a warning (OIM050, from an empty item still within the timer) and infos.
fn warning_only_env() -> TestEnv {
    let env = TestEnv::new();
    let p = env.write_item(USER, "empty.hist", b"");
    set_mtime(&p, ago(30));
    env
}

#[test]
fn fail_on_error_with_only_warnings_exits_zero() {
    let env = warning_only_env();
    let s = env.scan_root(&["--fail-on", "error"]);
    assert_eq!(s.json["summary"]["errors"], 0);
    assert!(s.has("OIM050"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "degraded");
    assert_eq!(s.code, 0);
}

#[test]
fn default_fail_on_is_warning() {
    let env = warning_only_env();
    assert_eq!(env.scan_root(&[]).code, 1);
    assert_eq!(env.scan_root(&["--fail-on", "warning"]).code, 1);
}

#[test]
fn fail_on_info_counts_infos_and_warning_does_not() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(30)))),
    );
    let s = env.scan_root(&["--fail-on", "warning"]);
    assert_eq!(s.rule_ids(), vec!["OIM002", "OIM013", "OIM031"]);
    assert_eq!(s.code, 0);
    assert_eq!(env.scan_root(&["--fail-on", "info"]).code, 1);
}

// --------------------------------------------------------------- --output

fn scan_to(env: &TestEnv, out: &std::path::Path, extra: &[&str]) -> RunResult {
    let mut args: Vec<std::ffi::OsString> = vec![
        "scan".into(),
        env.root().into(),
        "--format".into(),
        "json".into(),
        "--now".into(),
        NOW.into(),
        "--utc-offset".into(),
        "+00:00".into(),
        "--output".into(),
        out.into(),
    ];
    args.extend(extra.iter().map(Into::into));
    env.run(&args)
}

fn dir_names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn output_writes_the_report_to_the_file_not_stdout() {
    let env = stuck_env();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("report.json");
    let r = scan_to(&env, &out, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
    let written: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    let direct = env.scan_root(&[]);
    assert_eq!(written, direct.json);
    assert_eq!(dir_names(out_dir.path()), vec!["report.json"]);
}

#[test]
fn output_refuses_to_overwrite_without_force() {
    let env = stuck_env();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("report.json");
    fs::write(&out, "precious\n").unwrap();
    let r = scan_to(&env, &out, &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("report.json"), "stderr: {}", r.stderr);
    assert!(r.stderr.contains("--force"), "stderr: {}", r.stderr);
    assert_eq!(fs::read_to_string(&out).unwrap(), "precious\n");
    assert_eq!(
        dir_names(out_dir.path()),
        vec!["report.json"],
        "temp file left behind"
    );
}

#[test]
fn output_with_force_replaces_the_file() {
    let env = stuck_env();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("report.json");
    fs::write(&out, "old report\n").unwrap();
    let r = scan_to(&env, &out, &["--force"]);
    assert_eq!(r.code, 1, "{r:?}");
    let written: Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["scan_time"], NOW);
    assert_eq!(
        dir_names(out_dir.path()),
        vec!["report.json"],
        "temp file left behind"
    );
}

#[test]
fn output_relative_to_the_working_directory() {
    let env = stuck_env();
    let out_dir = tempfile::tempdir().unwrap();
    let r = run_in(
        out_dir.path(),
        &[
            "scan".as_ref(),
            env.root().as_os_str(),
            "--format".as_ref(),
            "json".as_ref(),
            "--now".as_ref(),
            NOW.as_ref(),
            "-o".as_ref(),
            "r.json".as_ref(),
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(dir_names(out_dir.path()), vec!["r.json"]);
}

#[test]
fn output_into_a_missing_folder_is_a_usage_error() {
    let env = stuck_env();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("no-such-dir/report.json");
    let r = scan_to(&env, &out, &[]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(!r.stderr.trim().is_empty());
    assert!(dir_names(out_dir.path()).is_empty());
}

#[test]
fn output_with_a_missing_path_writes_nothing() {
    let env = TestEnv::new();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("report.json");
    let r = env.run(&[
        "scan".as_ref(),
        env.path("missing").as_os_str(),
        "--now".as_ref(),
        NOW.as_ref(),
        "--output".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(dir_names(out_dir.path()).is_empty());
}

// ------------------------------------------------------------- build rules

fn build_rules(build: Option<&str>, mailbox: &str) -> Vec<String> {
    let env = TestEnv::new();
    env.spooler(USER);
    let mut extra = vec!["--mailbox", mailbox];
    if let Some(b) = build {
        extra.extend(["--client-build", b]);
    }
    let s = env.scan_root(&extra);
    s.rule_ids()
        .into_iter()
        .filter(|id| ["OIM010", "OIM011", "OIM012", "OIM013"].contains(&id.as_str()))
        .collect()
}

#[test]
fn msi_build_is_unsupported() {
    assert_eq!(
        build_rules(Some("16.0.4417.1000"), "online"),
        vec!["OIM010"]
    );
    assert_eq!(
        build_rules(Some("16.0.4417.1000"), "on-premises"),
        vec!["OIM010"]
    );
}

#[test]
fn msi_build_is_reported_as_msi_error() {
    let env = TestEnv::new();
    env.spooler(USER);
    let s = env.scan_root(&["--client-build", "16.0.4417.1000", "--mailbox", "online"]);
    assert_eq!(s.json["facts"]["install_type"], "msi");
    assert_eq!(s.finding("OIM010")["severity"], "error");
    assert_eq!(s.verdict(), "failing");
    assert_eq!(
        s.json["summary"]["probable_causes"],
        serde_json::json!(["OIM010"])
    );
    assert_eq!(s.code, 1);
}

#[test]
fn c2r_build_older_than_6701_is_unsupported() {
    assert_eq!(
        build_rules(Some("16.0.6001.2000"), "online"),
        vec!["OIM010"]
    );
}

#[test]
fn deferred_6741_2048_on_premises_needs_6920_but_has_drafts_fix() {
    assert_eq!(
        build_rules(Some("16.0.6741.2048"), "on-premises"),
        vec!["OIM011"]
    );
}

#[test]
fn build_6925_on_premises_lacks_only_the_drafts_fix() {
    assert_eq!(
        build_rules(Some("16.0.6925.1000"), "on-premises"),
        vec!["OIM012"]
    );
}

#[test]
fn modern_c2r_build_on_premises_is_fine() {
    assert!(build_rules(Some("16.0.12527.20194"), "on-premises").is_empty());
    assert!(build_rules(Some("16.0.6965.2058"), "on-premises").is_empty());
}

#[test]
fn build_comparison_is_numeric_not_textual() {
    // "16.0.12527" sorts before "16.0.6701" as text.
    assert!(build_rules(Some("16.0.12527.20194"), "online").is_empty());
}

#[test]
fn no_build_is_an_info_saying_how_to_supply_it() {
    let env = TestEnv::new();
    env.spooler(USER);
    let s = env.scan_root(&["--mailbox", "online"]);
    assert_eq!(s.rule_ids(), vec!["OIM013"]);
    let f = s.finding("OIM013");
    assert_eq!(f["severity"], "info");
    assert!(
        f["remediation"]
            .as_str()
            .unwrap()
            .contains("--client-build"),
        "{f:#}"
    );
    assert_eq!(s.json["facts"]["install_type"], "unknown");
    assert!(s.json["facts"]["client_build"].is_null());
    assert_eq!(s.code, 0);
}

#[test]
fn bad_client_build_is_a_usage_error() {
    let env = TestEnv::new();
    let r = env.run(&["scan", ".", "--now", NOW, "--client-build", "sixteen"]);
    assert_eq!(r.code, 2, "{r:?}");
}

// ------------------------------------------------------- rules and explain

const ALL_RULES: [&str; 27] = [
    "OIM001", "OIM002", "OIM003", "OIM004", "OIM010", "OIM011", "OIM012", "OIM013", "OIM014",
    "OIM020", "OIM021", "OIM022", "OIM023", "OIM030", "OIM031", "OIM032", "OIM033", "OIM034",
    "OIM035", "OIM036", "OIM040", "OIM050", "OIM051", "OIM052", "OIM060", "OIM061", "OIM062",
];

#[test]
fn rules_json_lists_all_27_rules_with_severities() {
    let r = run_in(std::path::Path::new("."), &["rules", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let rules = v.as_array().expect("an array of rules");
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ALL_RULES);
    let sev = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["severity"].clone();
    for (id, want) in [
        ("OIM001", "error"),
        ("OIM002", "info"),
        ("OIM012", "warning"),
        ("OIM050", "warning"),
        ("OIM052", "warning"),
        ("OIM023", "warning"),
        ("OIM060", "warning"),
        ("OIM061", "info"),
        ("OIM062", "warning"),
        ("OIM032", "error"),
        ("OIM033", "error"),
        ("OIM034", "error"),
        ("OIM035", "warning"),
        ("OIM036", "info"),
    ] {
        assert_eq!(sev(id), want, "{id}");
    }
}

#[test]
fn rules_text_lists_all_rules() {
    let r = run_in(std::path::Path::new("."), &["rules"]);
    assert_eq!(r.code, 0, "{r:?}");
    for id in ALL_RULES {
        assert!(r.stdout.contains(id), "{id} missing");
    }
}

#[test]
fn explain_oim001_mentions_the_two_minute_timer() {
    let r = run_in(std::path::Path::new("."), &["explain", "OIM001"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("two-minute"), "{}", r.stdout);
    assert!(r.stdout.contains("History Spooler"), "{}", r.stdout);
}

#[test]
fn explain_unknown_rule_is_a_usage_error() {
    let r = run_in(std::path::Path::new("."), &["explain", "OIM999"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("OIM999"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn quiet_scan_says_nothing_on_stderr() {
    let env = stuck_env();
    for format in ["json", "text"] {
        let r = env.scan_as(format);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.stderr.is_empty(), "stderr: {}", r.stderr);
    }
}

#[test]
fn an_error_outranks_inconclusive() {
    let env = TestEnv::new();
    let s = env.scan_root(&["--client-build", "16.0.4417.1000"]);
    assert!(s.has("OIM060") && s.has("OIM010"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "failing");
    assert_eq!(s.code, 1);
}

#[test]
fn old_on_premises_build_gets_both_build_findings_causes_ranked() {
    assert_eq!(
        build_rules(Some("16.0.6741.2000"), "on-premises"),
        vec!["OIM011", "OIM012"]
    );
    let env = TestEnv::new();
    env.write_item(
        USER,
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    let s = env.scan_root(&[
        "--client-build",
        "16.0.6900.2000",
        "--mailbox",
        "on-premises",
    ]);
    assert_eq!(
        s.json["summary"]["probable_causes"],
        serde_json::json!(["OIM011", "OIM012"])
    );
    assert_eq!(s.json["facts"]["mailbox_location"], "on_premises");
    assert_eq!(s.json["facts"]["install_type"], "c2r");
}

#[test]
fn unknown_mailbox_location_is_an_info() {
    let env = TestEnv::new();
    env.spooler(USER);
    let s = env.scan_root(&["--client-build", "16.0.12527.20194"]);
    assert_eq!(s.rule_ids(), vec!["OIM031"]);
    assert_eq!(s.finding("OIM031")["severity"], "info");
    assert_eq!(s.json["facts"]["mailbox_location"], "unknown");
    assert_eq!(s.code, 0);
}
