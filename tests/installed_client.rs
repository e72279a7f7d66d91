//! The client build from `lync.exe`: a collected copy in a scanned folder is
//! read on any OS (its version resource), wins over the logs, loses to
//! `--client-build`, and OIM014 says when it differs from the logged build.
//! The `machine` block says who ran the scan, on what, with which options,
//! and `--redact` hides the host and user. (The installed client under
//! Program Files and the registry are tested under Wine: ci/wine/installed_client.sh.)

mod common;

use common::*;
use std::ffi::OsStr;

const USER: &str = "alice@contoso.com";
const C2R_EXE: &[u8] = include_bytes!("fixtures/lync-exe/c2r-16.0.7766.2047.exe");
const MSI_EXE: &[u8] = include_bytes!("fixtures/lync-exe/msi-16.0.4849.1000.exe");

/// A log whose REGISTER shows client build `oc` (User-Agent `OC/<oc>`).
fn log_with_build(env: &TestEnv, oc: &str) {
    let log = register_and_480(ago(600), USER, "bob@contoso.com")
        .replace("OC/16.0.6965.2117", &format!("OC/{oc}"));
    assert!(log.contains(oc), "the helper's User-Agent changed");
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        log,
    );
}

fn source_kind(s: &Scan) -> &str {
    s.json["facts"]["client_build_source"]["kind"]
        .as_str()
        .unwrap_or("")
}

#[test]
fn a_collected_lync_exe_gives_the_build_and_install_type() {
    let env = TestEnv::new();
    env.spooler(USER);
    env.write_file("collected/Office16/lync.exe", C2R_EXE);
    let s = env.scan_root(&["--mailbox", "online"]);
    let facts = &s.json["facts"];
    assert_eq!(facts["client_build"], "16.0.7766.2047", "{facts:#}");
    assert_eq!(facts["install_type"], "c2r");
    assert_eq!(source_kind(&s), "file");
    let path = facts["client_build_source"]["path"].as_str().unwrap();
    assert!(path.ends_with("lync.exe"), "{path}");
    assert!(!s.has("OIM013"), "{:?}", s.rule_ids());
    let scanned = s.json["inputs"]["scanned"].as_array().unwrap();
    assert!(
        scanned
            .iter()
            .any(|i| i["kind"] == "client_binary"
                && i["path"].as_str().unwrap().ends_with("lync.exe")),
        "{scanned:#?}"
    );
    assert_eq!(s.json["coverage"]["client_evidence"], true);
}

#[test]
fn a_collected_msi_lync_exe_is_oim010() {
    let env = TestEnv::new();
    env.spooler(USER);
    env.write_file("LYNC.EXE", MSI_EXE);
    let s = env.scan_root(&["--mailbox", "online"]);
    assert_eq!(s.json["facts"]["client_build"], "16.0.4849.1000");
    assert_eq!(s.json["facts"]["install_type"], "msi");
    assert!(s.has("OIM010"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "failing");
}

#[test]
fn lync_exe_wins_over_the_logs_and_oim014_says_it_was_updated() {
    let env = TestEnv::new();
    env.spooler(USER);
    log_with_build(&env, "16.0.6965.2058");
    env.write_file("lync.exe", C2R_EXE);
    let s = env.scan_root(&["--mailbox", "on-premises"]);
    assert_eq!(s.json["facts"]["client_build"], "16.0.7766.2047");
    assert_eq!(source_kind(&s), "file");
    let f = s.finding("OIM014");
    assert_eq!(f["severity"], "info");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("updated after these logs"), "{msg}");
    assert!(msg.contains("16.0.6965.2058"), "{msg}");
    assert!(msg.contains("passes the build thresholds"), "{msg}");
    let ev = f["evidence"].as_array().unwrap();
    assert_eq!(ev.len(), 2, "{f:#}");
    assert!(
        ev.iter()
            .any(|e| e["path"].as_str().unwrap().ends_with(".UccApilog")),
        "{f:#}"
    );
    // Info only: never a probable cause.
    assert!(!s.causes().contains(&"OIM014".to_string()));
}

#[test]
fn oim014_says_when_the_logged_build_fails_the_thresholds() {
    let env = TestEnv::new();
    env.spooler(USER);
    log_with_build(&env, "16.0.6741.2000");
    env.write_file("lync.exe", C2R_EXE);
    let s = env.scan_root(&["--mailbox", "on-premises"]);
    let msg = s.finding("OIM014")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("fails the thresholds"), "{msg}");
    assert!(msg.contains("OIM011") && msg.contains("OIM012"), "{msg}");
    // The build rules judge lync.exe as it is now: 7766 passes them.
    for id in ["OIM010", "OIM011", "OIM012"] {
        assert!(!s.has(id), "{id}: {:?}", s.rule_ids());
    }
}

#[test]
fn an_older_lync_exe_than_the_logs_is_a_rollback_or_another_machine() {
    let env = TestEnv::new();
    env.spooler(USER);
    log_with_build(&env, "16.0.12527.20194");
    env.write_file("lync.exe", C2R_EXE);
    let s = env.scan_root(&["--mailbox", "online"]);
    let msg = s.finding("OIM014")["message"].as_str().unwrap().to_string();
    assert!(msg.contains("older than the build the logs show"), "{msg}");
    assert!(
        msg.contains("rolled back") && msg.contains("another machine"),
        "{msg}"
    );
}

#[test]
fn the_flag_wins_over_lync_exe() {
    let env = TestEnv::new();
    env.spooler(USER);
    env.write_file("lync.exe", C2R_EXE);
    let s = env.scan_root(&["--mailbox", "online", "--client-build", "16.0.6965.2058"]);
    assert_eq!(s.json["facts"]["client_build"], "16.0.6965.2058");
    assert_eq!(source_kind(&s), "flag");
    // No log: nothing for OIM014 to compare.
    assert!(!s.has("OIM014"), "{:?}", s.rule_ids());
}

#[test]
fn a_lync_exe_without_a_version_is_skipped_with_the_reason() {
    let env = TestEnv::new();
    env.spooler(USER);
    let mut junk = b"MZ".to_vec();
    junk.resize(2048, 0x41);
    env.write_file("lync.exe", &junk);
    let s = env.scan_root(&["--mailbox", "online"]);
    assert!(s.has("OIM013"), "{:?}", s.rule_ids());
    let skipped = s.json["inputs"]["skipped"].as_array().unwrap();
    assert!(
        skipped.iter().any(|k| k["reason"]
            .as_str()
            .unwrap()
            .contains("lync.exe) whose build could not be read")),
        "{skipped:#?}"
    );
}

#[test]
fn every_report_carries_the_machine_block() {
    let env = TestEnv::new();
    env.spooler(USER);
    let s = env.scan_root(&["--mailbox", "online"]);
    let m = &s.json["machine"];
    assert_eq!(s.json["schema_version"], "2.2");
    // A PATH that is not below this machine's %LOCALAPPDATA%: a collected folder.
    assert_eq!(m["describes"], "scanning_machine", "{m:#}");
    assert_eq!(m["installed_clients"].as_array().unwrap().len(), 0);
    let roots = m["scanned_roots"].as_array().unwrap();
    assert_eq!(roots.len(), 1);
    assert!(
        std::path::Path::new(roots[0].as_str().unwrap()).is_absolute(),
        "{roots:?}"
    );
    let opts: Vec<&str> = m["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert_eq!(
        opts,
        [
            "--now 2026-11-23T10:00:00Z",
            "--utc-offset +00:00",
            "--mailbox online"
        ]
    );
    assert!(m["os"].as_str().is_some_and(|o| !o.is_empty()), "{m:#}");
    assert_eq!(m["oimdiag_version"], env!("CARGO_PKG_VERSION"));

    let text = env.scan_as("text");
    assert!(text.stdout.contains("\nMachine: "), "{}", text.stdout);
    assert!(text.stdout.contains("ran the scan only"), "{}", text.stdout);
    let md = env.scan_as("markdown");
    assert!(md.stdout.starts_with("# Offline IM diagnosis:"));
    assert!(md.stdout.contains("\n## Machine\n"), "{}", md.stdout);
    let nd = env.scan_as("ndjson");
    let header: serde_json::Value =
        serde_json::from_str(nd.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(header["machine"]["describes"], "scanning_machine");
}

#[test]
fn a_scan_below_local_app_data_describes_the_scanned_machine() {
    let env = TestEnv::new();
    env.spooler(USER);
    let local = env.root().as_os_str();
    // No PATH: this machine's %LOCALAPPDATA%.
    let r = run_with_env(
        env.root(),
        &[
            "scan",
            "--format",
            "json",
            "--now",
            NOW,
            "--utc-offset",
            "+00:00",
            "--quiet",
        ],
        &[("LOCALAPPDATA", local)],
    );
    let s = Scan::parse(r);
    assert_eq!(s.json["machine"]["describes"], "scanned_machine");
    // A PATH below it is this machine too.
    let lync = env.lync();
    let r = run_with_env(
        env.root(),
        &[
            OsStr::new("scan"),
            lync.as_os_str(),
            OsStr::new("--format"),
            OsStr::new("json"),
            OsStr::new("--now"),
            OsStr::new(NOW),
            OsStr::new("--quiet"),
        ],
        &[("LOCALAPPDATA", local)],
    );
    let s = Scan::parse(r);
    assert_eq!(s.json["machine"]["describes"], "scanned_machine");
}

#[test]
fn redact_names_no_host_or_user() {
    let env = TestEnv::new();
    env.spooler(USER);
    env.write_file("lync.exe", C2R_EXE);
    let user = "zed-secret-user";
    let plain = Scan::parse(run_with_env(
        env.root(),
        &["scan", ".", "--format", "json", "--now", NOW, "--quiet"],
        &[("USER", OsStr::new(user)), ("USERNAME", OsStr::new(user))],
    ));
    assert_eq!(
        plain.json["machine"]["user"], user,
        "the user is named unredacted"
    );
    let host = plain.json["machine"]["hostname"]
        .as_str()
        .map(str::to_string);
    let Some(host) = host else {
        cannot_run("this machine reports no host name, so its redaction cannot be shown");
    };
    let word = regex::Regex::new(&format!(r"(?i)\b{}\b", regex::escape(&host))).unwrap();
    for format in ["json", "text", "markdown", "ndjson"] {
        let r = run_with_env(
            env.root(),
            &[
                "scan", ".", "--format", format, "--now", NOW, "--quiet", "--redact",
            ],
            &[("USER", OsStr::new(user)), ("USERNAME", OsStr::new(user))],
        );
        assert!(!r.stdout.is_empty(), "{format}: {r:?}");
        assert!(
            !r.stdout.contains(user),
            "{format} names the user:\n{}",
            r.stdout
        );
        assert!(
            !word.is_match(&r.stdout),
            "{format} names the host {host}:\n{}",
            r.stdout
        );
    }
    let red = Scan::parse(run_with_env(
        env.root(),
        &[
            "scan", ".", "--format", "json", "--now", NOW, "--quiet", "--redact",
        ],
        &[("USER", OsStr::new(user)), ("USERNAME", OsStr::new(user))],
    ));
    let m = &red.json["machine"];
    assert!(m["user"].as_str().unwrap().starts_with("account"), "{m:#}");
    assert!(m["hostname"].as_str().unwrap().starts_with("host"), "{m:#}");
    // The build is not a name: it survives redaction.
    assert_eq!(red.json["facts"]["client_build"], "16.0.7766.2047");
}
