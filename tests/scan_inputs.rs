//! What a scan reads (BRIEF §3.1, §6 PATH shapes): every way of naming the
//! evidence finds the same items and user; links, FIFOs and odd names are
//! handled without hanging or crashing; missing and empty inputs are told apart.

mod common;

use common::*;
use std::path::Path;

const USER: &str = "alice@contoso.com";

fn one_item_env() -> (TestEnv, std::path::PathBuf) {
    let env = TestEnv::new();
    let p = env.write_item(
        USER,
        "7f3a9c.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    (env, p)
}

fn assert_finds_the_item(s: &Scan, user: &str) {
    assert_eq!(s.items().len(), 1, "{:#?}", s.items());
    let item = s.item("7f3a9c.hist");
    assert_eq!(item["user"], user);
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["state"], "stuck");
    assert_eq!(s.json["facts"]["sip_users"], serde_json::json!([user]));
    assert!(s.has("OIM001"), "{:?}", s.rule_ids());
    assert!(!s.has("OIM060"), "{:?}", s.rule_ids());
    assert_eq!(s.code, 1);
}

// ---------------------------------------------------------------- PATH shapes

#[test]
fn localappdata_like_root_finds_the_item() {
    let (env, _) = one_item_env();
    assert_finds_the_item(&env.scan_root(&[]), USER);
}

#[test]
fn office_and_version_folders_find_the_item() {
    let (env, _) = one_item_env();
    assert_finds_the_item(&env.scan(&[env.path("Microsoft")], &[]), USER);
    assert_finds_the_item(&env.scan(&[env.path("Microsoft/Office")], &[]), USER);
    assert_finds_the_item(&env.scan(&[env.path("Microsoft/Office/16.0")], &[]), USER);
}

#[test]
fn lync_folder_finds_the_item() {
    let (env, _) = one_item_env();
    assert_finds_the_item(&env.scan(&[env.lync()], &[]), USER);
}

#[test]
fn sip_profile_folder_finds_the_item() {
    let (env, _) = one_item_env();
    assert_finds_the_item(&env.scan(&[env.profile_dir(USER)], &[]), USER);
}

#[test]
fn history_spooler_folder_finds_the_item() {
    let (env, _) = one_item_env();
    assert_finds_the_item(&env.scan(&[env.spooler(USER)], &[]), USER);
}

#[test]
fn single_item_file_finds_the_item() {
    let (env, p) = one_item_env();
    assert_finds_the_item(&env.scan(&[&p], &[]), USER);
}

#[test]
fn relative_paths_find_the_item() {
    let (env, _) = one_item_env();
    // cwd is the root
    let rel = "Microsoft/Office/16.0/Lync/sip_alice@contoso.com/History Spooler";
    assert_finds_the_item(&env.scan(&[rel], &[]), USER);
    assert_finds_the_item(&env.scan(&[format!("{rel}/7f3a9c.hist")], &[]), USER);
    assert_finds_the_item(&env.scan(&["."], &[]), USER);
}

#[test]
fn office_15_lync_folder_is_found_too() {
    let env = TestEnv::new();
    env.write_file(
        "Microsoft/Office/15.0/Lync/sip_alice@contoso.com/History Spooler/7f3a9c.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    assert_finds_the_item(&env.scan_root(&[]), USER);
}

#[test]
fn folder_names_are_case_insensitive_and_user_is_lowercased() {
    let env = TestEnv::new();
    let rel = "microsoft/OFFICE/16.0/LYNC/SIP_Alice@Contoso.com/history spooler/7f3a9c.hist";
    let p = env.write_file(rel, mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))));
    let lync = env.path("microsoft/OFFICE/16.0/LYNC");
    let prof = lync.join("SIP_Alice@Contoso.com");
    let spool = prof.join("history spooler");
    for path in [
        env.root(),
        lync.as_path(),
        prof.as_path(),
        spool.as_path(),
        p.as_path(),
    ] {
        let s = env.scan(&[path], &[]);
        assert_finds_the_item(&s, USER);
    }
}

#[test]
fn folder_of_collected_files_without_lync_tree_finds_the_item() {
    let env = TestEnv::new();
    env.write_file(
        "ticket-4711/sip_alice@contoso.com/History Spooler/7f3a9c.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    assert_finds_the_item(&env.scan(&[env.path("ticket-4711")], &[]), USER);
}

#[test]
fn two_profiles_are_two_users_with_their_own_items() {
    let env = TestEnv::new();
    env.write_item(
        "alice@contoso.com",
        "a.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    env.write_item(
        "carol@contoso.com",
        "c.hist",
        mime_item("dave@contoso.com", Some(&rfc2822(ago(30)))),
    );
    let s = env.scan_root(&[]);
    assert_eq!(
        s.json["facts"]["sip_users"],
        serde_json::json!(["alice@contoso.com", "carol@contoso.com"])
    );
    assert_eq!(s.item("a.hist")["user"], "alice@contoso.com");
    assert_eq!(s.item("c.hist")["user"], "carol@contoso.com");
    // The headline names the user whose message is stuck.
    let headline = s.json["summary"]["headline"].as_str().unwrap();
    assert!(headline.starts_with("alice@contoso.com"), "{headline}");
}

#[test]
fn overlapping_paths_report_each_item_once() {
    let (env, p) = one_item_env();
    let s = env.scan(&[env.root(), env.spooler(USER).as_path(), p.as_path()], &[]);
    assert_finds_the_item(&s, USER);
}

#[test]
fn same_folder_named_relative_and_absolute_reports_each_item_once() {
    let (env, _) = one_item_env();
    let s = env.scan(&[env.root(), Path::new(".")], &[]);
    assert_finds_the_item(&s, USER);
}

// ------------------------------------------------ unknown files, missing, empty

#[test]
fn unknown_files_outside_the_spooler_are_skipped_with_a_reason() {
    let (env, _) = one_item_env();
    env.write_file(
        "Microsoft/Office/16.0/Lync/notes.txt",
        "shopping list: milk, eggs\n",
    );
    env.write_file(
        "Microsoft/Office/16.0/Lync/sip_alice@contoso.com/contacts.cache",
        [0u8, 159, 146, 150, 1, 2, 3, 0, 0, 255],
    );
    let s = env.scan_root(&[]);
    assert_finds_the_item(&s, USER);
    for name in ["notes.txt", "contacts.cache"] {
        let reason = s.skip_reason(name);
        assert!(!reason.trim().is_empty(), "{name}: empty reason");
    }
    let f = s.finding("OIM061");
    assert_eq!(f["severity"], "info");
    let ev = f["evidence"].as_array().unwrap();
    assert!(
        ev.iter()
            .any(|e| e["path"].as_str().unwrap().ends_with("notes.txt")),
        "{f:#}"
    );
    // A spool item is never "skipped".
    assert!(s.skipped().iter().all(|(p, _)| !p.ends_with("7f3a9c.hist")));
}

#[test]
fn missing_path_is_a_usage_error_naming_it() {
    let env = TestEnv::new();
    let missing = env.path("no-such-folder-3141");
    let r = env.run(&[
        "scan".as_ref(),
        missing.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--now".as_ref(),
        NOW.as_ref(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("no-such-folder-3141"),
        "stderr: {}",
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "no report on a usage error: {}",
        r.stdout
    );
}

#[test]
fn one_missing_path_among_good_ones_is_a_usage_error() {
    let (env, _) = one_item_env();
    let missing = env.path("gone-2718");
    let r = env.run(&[
        "scan".as_ref(),
        env.root().as_os_str(),
        missing.as_os_str(),
        "--now".as_ref(),
        NOW.as_ref(),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("gone-2718"), "stderr: {}", r.stderr);
}

#[test]
fn empty_folder_is_inconclusive() {
    let env = TestEnv::new();
    let s = env.scan_root(&[]);
    assert!(s.has("OIM060"), "{:?}", s.rule_ids());
    assert_eq!(s.finding("OIM060")["severity"], "warning");
    assert_eq!(s.verdict(), "inconclusive");
    assert!(s.items().is_empty());
    assert_eq!(s.code, 1);
}

#[test]
fn folder_of_only_unknown_files_is_inconclusive() {
    let env = TestEnv::new();
    env.write_file("readme.txt", "nothing to see here\n");
    let s = env.scan_root(&[]);
    assert!(s.has("OIM060") && s.has("OIM061"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "inconclusive");
    assert_eq!(s.code, 1);
}

#[test]
fn empty_history_spooler_is_healthy() {
    let env = TestEnv::new();
    env.spooler(USER);
    let s = env.scan_root(&[
        "--client-build",
        "16.0.12527.20194",
        "--mailbox",
        "online",
        "--fail-on",
        "warning",
    ]);
    assert!(!s.has("OIM060"), "{:?}", s.rule_ids());
    assert_eq!(s.rule_ids(), Vec::<String>::new());
    assert_eq!(s.verdict(), "healthy");
    assert_eq!(s.json["facts"]["sip_users"], serde_json::json!([USER]));
    assert_eq!(s.code, 0);
    let headline = s.json["summary"]["headline"].as_str().unwrap();
    assert!(headline.contains(USER), "{headline}");
}

#[test]
fn empty_history_spooler_named_directly_is_healthy_not_inconclusive() {
    let env = TestEnv::new();
    let sp = env.spooler(USER);
    let s = env.scan(
        &[sp],
        &["--client-build", "16.0.12527.20194", "--mailbox", "online"],
    );
    assert!(!s.has("OIM060"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "healthy");
    assert_eq!(s.code, 0);
}

// ------------------------------------------------------ links, FIFOs, odd names

#[cfg(unix)]
#[test]
fn symlink_loop_and_file_link_are_skipped_and_the_scan_finishes() {
    use std::os::unix::fs::symlink;
    let (env, item) = one_item_env();
    let sp = env.spooler(USER);
    std::fs::create_dir(sp.join("sub")).unwrap();
    symlink("..", sp.join("sub/loop")).unwrap();
    symlink(&sp, sp.join("self")).unwrap();
    symlink(&item, sp.join("link.hist")).unwrap();
    let outside = env.write_file("elsewhere/secret.txt", "not evidence\n");
    symlink(&outside, env.lync().join("outside.txt")).unwrap();
    let s = env.scan_root(&[]);
    assert_finds_the_item(&s, USER);
    for name in [
        "sub/loop",
        "History Spooler/self",
        "link.hist",
        "outside.txt",
    ] {
        let reason = s.skip_reason(name);
        assert!(!reason.trim().is_empty(), "{name}: empty reason");
    }
    assert!(s.has("OIM061"), "{:?}", s.rule_ids());
    let scanned = s.json["inputs"]["scanned"].as_array().unwrap();
    assert!(
        scanned
            .iter()
            .all(|x| !x["path"].as_str().unwrap().contains("secret.txt")),
        "a link was followed out of the tree: {scanned:#?}"
    );
}

#[cfg(unix)]
#[test]
fn fifo_in_the_spooler_is_skipped_without_hanging() {
    let (env, _) = one_item_env();
    let fifo = env.spooler(USER).join("pipe.hist");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let s = env.scan_root(&[]);
    assert_finds_the_item(&s, USER);
    assert!(!s.skip_reason("pipe.hist").trim().is_empty());
    assert!(s.has("OIM061"), "{:?}", s.rule_ids());
}

#[cfg(unix)]
#[test]
fn fifo_named_as_path_does_not_hang() {
    let env = TestEnv::new();
    let fifo = env.spooler(USER).join("pipe.hist");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let r = env.run(&[
        "scan".as_ref(),
        fifo.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        "--now".as_ref(),
        NOW.as_ref(),
    ]);
    // Either a report or a usage error, but an answer, and a valid one.
    assert!(matches!(r.code, 0..=2), "{r:?}");
    if r.code != 2 {
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert!(v["findings"].is_array());
    }
}

#[cfg(unix)]
#[test]
fn non_utf8_file_name_is_still_an_item_and_json_stays_valid() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::new();
    let name = OsStr::from_bytes(b"item-\xff\xfe-\x80.hist");
    let p = env.spooler(USER).join(name);
    write_at(
        &p,
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))).as_bytes(),
    );
    let s = env.scan_root(&[]); // Scan::parse fails unless stdout is one JSON document
    assert_eq!(s.items().len(), 1);
    let item = &s.items()[0];
    assert_eq!(item["recipient"], "bob@contoso.com");
    assert_eq!(item["user"], USER);
    assert!(item["path"].as_str().unwrap().contains("item-"));
    assert!(s.has("OIM001"));
    // The text report copes too.
    let r = env.run(&[
        "scan".as_ref(),
        env.root().as_os_str(),
        "--now".as_ref(),
        NOW.as_ref(),
        "--utc-offset".as_ref(),
        "+00:00".as_ref(),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
}

#[cfg(unix)]
#[test]
fn control_characters_in_file_names_do_not_reach_the_terminal() {
    let env = TestEnv::new();
    env.write_item(
        USER,
        "evil\u{1b}[2J\u{202e}.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    let r = env.run(&[
        "scan".as_ref(),
        env.root().as_os_str(),
        "--now".as_ref(),
        NOW.as_ref(),
        "--utc-offset".as_ref(),
        "+00:00".as_ref(),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("evil"), "{}", r.stdout);
    assert!(!r.stdout.contains('\u{1b}'), "raw ESC in text report");
    assert!(
        !r.stdout.contains('\u{202e}'),
        "raw bidi override in text report"
    );
}

#[cfg(unix)]
#[test]
fn fifo_named_as_path_is_not_a_spool_item() {
    let env = TestEnv::new();
    let fifo = env.spooler(USER).join("pipe.hist");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    // Path-based: setting times through an open() would block on the FIFO.
    let t = filetime_of(ago(3600));
    filetime::set_symlink_file_times(&fifo, t, t).unwrap();
    let s = env.scan(&[&fifo], &[]);
    assert!(s.items().is_empty(), "{:#?}", s.items());
    assert!(!s.has("OIM001"), "{:?}", s.rule_ids());
    assert!(!s.skip_reason("pipe.hist").trim().is_empty());
}

#[cfg(unix)]
#[test]
fn symlink_named_as_path_is_read_or_skipped_not_an_unreadable_item() {
    let env = TestEnv::new();
    let real = env.write_file(
        "elsewhere/real.hist",
        mime_item("bob@contoso.com", Some(&rfc2822(ago(600)))),
    );
    let link = env.spooler(USER).join("link.hist");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let s = env.scan(&[&link], &[]);
    assert!(!s.has("OIM050"), "{:?}", s.rule_ids());
    match s.items().as_slice() {
        [] => assert!(!s.skip_reason("link.hist").trim().is_empty()),
        [item] => assert_eq!(item["recipient"], "bob@contoso.com"),
        many => panic!("{many:#?}"),
    }
}

// ------------------------------------------------------ the default location

fn default_scan(localappdata: Option<&Path>) -> RunResult {
    let cwd = tempfile::tempdir().unwrap();
    let args = [
        "scan",
        "--format",
        "json",
        "--now",
        NOW,
        "--utc-offset",
        "+00:00",
    ];
    match localappdata {
        Some(l) => run_with_env(cwd.path(), &args, &[("LOCALAPPDATA", l.as_os_str())]),
        None => run_in(cwd.path(), &args),
    }
}

#[test]
fn no_path_scans_localappdata() {
    let (env, _) = one_item_env();
    let s = Scan::parse(default_scan(Some(env.root())));
    assert_finds_the_item(&s, USER);
}

/// Not on Windows: there the folder is found without the variable (the
/// shell's Known Folder, see `discover::default_roots` and ci/windows.sh).
#[cfg(not(windows))]
#[test]
fn no_path_and_no_localappdata_is_a_usage_error() {
    let r = default_scan(None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("LOCALAPPDATA"), "stderr: {}", r.stderr);
}

#[test]
fn localappdata_without_lync_is_inconclusive() {
    let env = TestEnv::new();
    env.write_file("Google/Chrome/User Data/prefs.txt", "not ours\n");
    let s = Scan::parse(default_scan(Some(env.root())));
    assert!(s.has("OIM060"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "inconclusive");
    assert_eq!(s.code, 1);
    // It says why, and does not wander through other programs' files.
    assert!(!s.skip_reason(&env.root().display().to_string()).is_empty());
    assert!(!s.stdout.contains("prefs.txt"), "{}", s.stdout);
}

#[test]
fn localappdata_scan_stays_inside_lync() {
    let (env, _) = one_item_env();
    env.write_file("Google/Chrome/User Data/prefs.txt", "not ours\n");
    let s = Scan::parse(default_scan(Some(env.root())));
    assert_finds_the_item(&s, USER);
    assert!(!s.stdout.contains("prefs.txt"), "{}", s.stdout);
}

#[test]
fn logs_are_recognised_by_content_and_etl_is_skipped_with_advice() {
    let env = TestEnv::new();
    env.spooler(USER);
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/renamed-by-helpdesk.txt",
        "11/23/2026|09:14:03.123 1A2B:3C4D INFO  :: signed in\n",
    );
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-1.etl",
        [0u8, 1, 2, 3, 0xFF, 0, 0, 7, 9],
    );
    let s = env.scan_root(&[]);
    let scanned = s.json["inputs"]["scanned"].as_array().unwrap();
    assert!(
        scanned.iter().any(|x| x["path"]
            .as_str()
            .unwrap()
            .ends_with("renamed-by-helpdesk.txt")
            && x["kind"] == "uccapilog"),
        "{scanned:#?}"
    );
    assert!(s.skip_reason("Lync-1.etl").contains("tracerpt"));
    assert!(s.has("OIM061"));
}

#[test]
fn logs_without_a_spooler_but_with_offline_im_lines_are_not_inconclusive() {
    let env = TestEnv::new();
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        "11/23/2026|09:14:03.123 1A2B:3C4D INFO  :: OfflineIM: queued message 1 for sip:bob@contoso.com\n\
         11/23/2026|09:14:04.123 1A2B:3C4D INFO  :: OfflineIM: message 1 delivered to sip:bob@contoso.com\n",
    );
    let s = env.scan_root(&[]);
    assert!(!s.has("OIM060"), "{:?}", s.rule_ids());
    assert!(!s.has("OIM062"), "{:?}", s.rule_ids());
    assert_eq!(s.json["coverage"]["client_evidence"], true);
    assert_eq!(s.json["coverage"]["logs"]["oim_events"], 2);
    assert_ne!(s.verdict(), "inconclusive");
}

#[test]
fn logs_with_no_recognised_line_are_inconclusive_and_say_so() {
    let env = TestEnv::new();
    env.write_file(
        "Microsoft/Office/16.0/Lync/Tracing/Lync-UccApi-0.UccApilog",
        "11/23/2026|09:14:03.123 1A2B:3C4D INFO  :: signed in\n",
    );
    let s = env.scan_root(&[]);
    assert!(s.has("OIM060") && s.has("OIM062"), "{:?}", s.rule_ids());
    assert_eq!(s.verdict(), "inconclusive");
    assert_eq!(s.json["coverage"]["client_evidence"], false);
    assert_eq!(s.json["coverage"]["logs"]["files"], 1);
    assert_eq!(s.json["coverage"]["logs"]["records"], 1);
    assert_eq!(s.code, 1, "nothing could be judged: exit 1");
}

#[test]
fn many_skipped_inputs_are_all_listed() {
    let env = TestEnv::new();
    env.spooler(USER);
    for n in 0..30 {
        env.write_file(
            &format!("Microsoft/Office/16.0/Lync/junk/{n:02}.txt"),
            "unrelated words\n",
        );
    }
    let s = env.scan_root(&[]);
    assert_eq!(s.skipped().len(), 30);
    let f = s.finding("OIM061");
    assert!(f["message"].as_str().unwrap().contains("30"), "{f:#}");
}
