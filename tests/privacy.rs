//! Message content never leaves the machine in a report (BRIEF §3.2, §5):
//! bodies never appear in any output; subjects only with `--include-subjects`.

mod common;

use common::*;
use std::ffi::OsString;

const USER: &str = "alice@contoso.com";

/// Every item shape and state the scanner knows, each carrying the markers.
fn marked_env() -> TestEnv {
    let env = TestEnv::new();
    let date = rfc2822(ago(600));
    env.write_item(
        USER,
        "stuck.hist",
        mime_item("bob@contoso.com", Some(&date)),
    );
    env.write_item(
        USER,
        "fresh.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(10)))),
    );
    env.write_item(USER, "nodate.hist", mime_item("bob@contoso.com", None));
    env.write_item(
        USER,
        "baddate.hist",
        mime_item("bob@contoso.com", Some("soon-ish")),
    );
    env.write_item(
        USER,
        "u16.hist",
        utf16le_bom(&mime_item("bob@contoso.com", Some(&date))),
    );
    env.write_item(
        USER,
        "u8bom.hist",
        utf8_bom(&mime_item("bob@contoso.com", Some(&date))),
    );
    env.write_item(
        USER,
        "p.xml",
        xml_item(
            "t",
            "carol@contoso.com",
            Some(("DateTimeSent", "2026-11-23T09:00:00Z")),
        ),
    );
    env.write_item(USER, "np.xml", xml_item("", "carol@contoso.com", None));
    env.write_item(
        USER,
        "u16.xml",
        utf16le_bom(&xml_item("m", "carol@contoso.com", None)),
    );
    let mut odd = utf16le_bom(&mime_item("bob@contoso.com", Some(&date)));
    odd.push(b'!');
    env.write_item(USER, "odd.hist", odd);
    // Not a recognised shape: prose that holds the markers.
    env.write_item(
        USER,
        "prose.txt",
        format!("{BODY_MARKER} {SUBJECT_MARKER}\nmore words\n"),
    );
    // Outside the spooler: an unknown file with the markers.
    env.write_file(
        "Microsoft/Office/16.0/Lync/notes.txt",
        format!("{BODY_MARKER}\n{SUBJECT_MARKER}\n"),
    );
    env
}

fn run_scan(env: &TestEnv, format: &str, extra: &[&str]) -> RunResult {
    let mut args: Vec<OsString> = vec![
        "scan".into(),
        env.root().into(),
        "--format".into(),
        format.into(),
        "--now".into(),
        NOW.into(),
        "--utc-offset".into(),
        "+00:00".into(),
    ];
    args.extend(extra.iter().map(Into::into));
    let r = env.run(&args);
    assert_eq!(r.code, 1, "{r:?}");
    r
}

#[test]
fn bodies_never_appear_in_json_or_text_output() {
    let env = marked_env();
    for format in ["json", "text"] {
        for extra in [&[][..], &["--include-subjects"][..]] {
            let r = run_scan(&env, format, extra);
            assert!(
                !r.stdout.contains(BODY_MARKER),
                "{format} {extra:?}: body in stdout"
            );
            assert!(
                !r.stderr.contains(BODY_MARKER),
                "{format} {extra:?}: body in stderr"
            );
            assert!(
                !r.stdout.contains("see you at the meeting"),
                "{format} {extra:?}"
            );
        }
    }
}

#[test]
fn bodies_never_appear_in_an_output_file() {
    let env = marked_env();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("r.json");
    let out_s = out.to_str().unwrap();
    run_scan(&env, "json", &["--include-subjects", "--output", out_s]);
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("bob@contoso.com"));
    assert!(!written.contains(BODY_MARKER));
}

#[test]
fn subjects_are_withheld_by_default() {
    let env = marked_env();
    for format in ["json", "text"] {
        let r = run_scan(&env, format, &[]);
        assert!(
            !r.stdout.contains(SUBJECT_MARKER),
            "{format}: subject in stdout"
        );
        assert!(
            !r.stderr.contains(SUBJECT_MARKER),
            "{format}: subject in stderr"
        );
    }
    let s = env.scan_root(&[]);
    for i in s.items() {
        assert!(i["subject"].is_null(), "{i:#}");
    }
}

#[test]
fn subjects_are_shown_with_include_subjects() {
    let env = marked_env();
    let s = env.scan_root(&["--include-subjects"]);
    for name in [
        "stuck.hist",
        "u16.hist",
        "u8bom.hist",
        "p.xml",
        "np.xml",
        "u16.xml",
    ] {
        assert_eq!(s.item(name)["subject"], SUBJECT_MARKER, "{name}");
    }
    // ...but never from files that were not understood.
    assert!(s.item("prose.txt")["subject"].is_null());
    assert!(!s.stdout.contains(BODY_MARKER));
}

#[test]
fn recipients_and_senders_are_still_reported() {
    // Withholding content must not withhold the facts a helpdesk needs.
    let env = marked_env();
    let s = env.scan_root(&[]);
    assert_eq!(s.item("stuck.hist")["recipient"], "bob@contoso.com");
    assert_eq!(s.item("p.xml")["recipient"], "carol@contoso.com");
    assert_eq!(s.item("u16.xml")["sender"], "alice@contoso.com");
}
