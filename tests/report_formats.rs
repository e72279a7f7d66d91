//! What a user sees in each format: text (verdict first, 80 columns, colour,
//! sanitised), Markdown (tables that hold, escaped names, no colour) and
//! NDJSON (one record per line, the same objects as the JSON report).

mod report_support;

use report_support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The colour codes our renderer emits; any other escape is a leak.
const OUR_CODES: &[&str] = &[
    "\x1b[1;31m",
    "\x1b[1;33m",
    "\x1b[1;32m",
    "\x1b[36m",
    "\x1b[1m",
    "\x1b[2m",
    "\x1b[0m",
];

/// A healthy machine: one profile with an empty History Spooler.
fn healthy_in(root: &Path) -> PathBuf {
    let dir = root.join("healthy/Lync/sip_erin@fabrikam.net/History Spooler");
    std::fs::create_dir_all(&dir).unwrap();
    root.join("healthy")
}

/// Degraded: only a warning (an item dated after the scan time).
fn degraded_in(root: &Path) -> PathBuf {
    write(
        &root.join("degraded/Lync/sip_erin@fabrikam.net/History Spooler/f.hist"),
        b"From: <sip:erin@fabrikam.net>\r\nTo: <sip:frank@fabrikam.net>\r\n\
          Date: Tue, 24 Nov 2026 09:00:00 +0000\r\n\r\nbody",
    );
    root.join("degraded")
}

/// The sample plus files whose names try to break a terminal or a table.
/// Unix only: the names hold control characters and `|*<>`, which Windows
/// file names cannot.
#[cfg(unix)]
fn hostile_in(root: &Path) -> PathBuf {
    let dest = sample_in(root);
    let lync = dest.join("Microsoft/Office/16.0/Lync");
    write(
        &lync.join("sip_alice@contoso.com/History Spooler/evil\x1b[31mRED\x1b[2J\u{202e}txt.hist"),
        b"From: <sip:alice@contoso.com>\r\nTo: <sip:bob@contoso.com>\r\n\
          Date: Mon, 23 Nov 2026 09:30:00 +0000\r\n\r\nbody",
    );
    write(
        &lync.join("Tracing/a|b`c``d*e_f<img src=x onerror=alert(1)>#1 $x$.bin"),
        b"\x00\x01\x02binary",
    );
    dest
}

fn assert_only_our_escapes(out: &str, what: &str) {
    for (i, _) in out.match_indices('\x1b') {
        assert!(
            OUR_CODES.iter().any(|c| out[i..].starts_with(c)),
            "{what}: an escape sequence that is not ours reached the output: {:?}",
            &out[i..(i + 12).min(out.len())]
        );
    }
    assert!(
        !out.contains('\u{202e}'),
        "{what}: a bidi override got through"
    );
}

fn report_paths(json: &Value) -> Vec<String> {
    let mut paths = Vec::new();
    fn walk(v: &Value, key: &str, out: &mut Vec<String>) {
        match v {
            Value::String(s) if key == "path" || key == "spool_items" => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, key, out)),
            Value::Object(m) => m.iter().for_each(|(k, x)| walk(x, k, out)),
            _ => {}
        }
    }
    walk(json, "", &mut paths);
    paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
    paths
}

#[test]
fn text_report_opens_with_the_verdict_and_headline_then_sections_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let out = scan(&sample_in(tmp.path()), &[]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "Verdict: FAILING (Offline IM is not working)"
    );
    let headline = lines.next().unwrap();
    assert!(headline.starts_with("alice@contoso.com"), "{headline}");
    let order = [
        "\nProbable cause\n",
        "\nErrors (3)\n",
        "\nInformation (2)\n",
        "\nFacts\n",
        "\nOffline messages in the logs (3)\n",
        "\nHistory Spooler items (4)\n",
        "\nWhat was scanned\n",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|h| out.find(h).unwrap_or_else(|| panic!("no section {h:?}")))
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "sections out of order");
    // The probable cause says what to do; evidence is file:line.
    let cause = &out[at[0]..at[1]];
    assert!(cause.contains("OIM030") && cause.contains("What to do: In the client"));
    let sep = std::path::MAIN_SEPARATOR;
    assert!(out.contains(&format!(
        "Lync{sep}Tracing{sep}Lync-UccApi-0.UccApilog:65\n"
    )));
    // The facts table.
    for row in [
        "  Users                 alice@contoso.com, bob@contoso.com\n",
        "  Client build          16.0.6965.2117\n",
        "  Install type          Click-to-Run (c2r)\n",
        "  Mailbox               Exchange on-premises\n",
        "  EWS URL               https://mail.contoso.com/EWS/Exchange.asmx\n",
        "  EnableOfflineIM       True (server)\n",
    ] {
        assert!(out.contains(row), "missing fact row {row:?}");
    }
    assert!(out.contains("10 files read, 2 skipped."));

    // Warnings have their own section too.
    let degraded = scan(&degraded_in(tmp.path()), &[]);
    assert!(degraded.starts_with("Verdict: DEGRADED (Offline IM works, with problems)\n"));
    assert!(degraded.contains("\nWarnings (1)\n------------\n  OIM051  Dated in the future\n"));
}

/// Columns a line takes in a terminal.
fn columns(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

/// The path `line` shows: the longest tail (after a separator) of one of
/// `paths` that it contains, as `clean` shows it.
fn shown_path(line: &str, paths: &[String]) -> Option<String> {
    paths
        .iter()
        .flat_map(|p| {
            let tails = p.match_indices(['/', '\\']).map(|(k, _)| &p[k + 1..]);
            std::iter::once(p.as_str()).chain(tails).collect::<Vec<_>>()
        })
        .map(oimdiag_report::text::clean)
        .filter(|p| !p.is_empty() && line.contains(p.as_str()))
        .max_by_key(|p| p.len())
}

/// The text report's lines but the folder the paths are relative to (a
/// line of its own, as long as it is).
fn below_root(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut it = text.lines();
    while let Some(l) = it.next() {
        if l.starts_with("Paths below are relative to this folder") {
            it.next();
        } else {
            lines.push(l);
        }
    }
    lines
}

#[test]
fn text_report_fits_80_columns_except_for_long_paths() {
    let tmp = tempfile::tempdir().unwrap();
    // A deep root, said once, not before every path.
    let deep = tmp
        .path()
        .join("collected-from-a-machine-with-a-long-name/x");
    let mut long = 0;
    let empty = deep.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    #[allow(unused_mut)]
    let mut roots = vec![healthy_in(&deep), degraded_in(&deep), empty];
    #[cfg(unix)]
    roots.insert(0, hostile_in(&deep));
    for root in roots {
        let text = scan(&root, &["--include-subjects"]);
        let mut paths = report_paths(&json_report(&root, &["--include-subjects"]));
        // OIM060 names the folder it looked in.
        paths.push(root.to_str().unwrap().to_string());
        let deep = deep.to_str().unwrap();
        // The machine block names the folder scanned; nothing else repeats it
        // but OIM060, which names the folder it looked in.
        let outside_machine_block: String = text
            .lines()
            .filter(|l| !l.starts_with("Scanned: "))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            outside_machine_block.matches(deep).count() <= 1,
            "the root is said more than once:\n{text}"
        );
        // The machine block names the folder scanned whole (a path, however deep).
        for line in below_root(&text)
            .into_iter()
            .filter(|l| !l.starts_with("Scanned: "))
        {
            if columns(line) <= 80 {
                continue;
            }
            long += 1;
            let shown = shown_path(line, &paths)
                .unwrap_or_else(|| panic!("line over 80 columns without a path:\n{line}"));
            let rest = line.replacen(&shown, "", 1);
            assert!(
                columns(rest.trim()) <= 12,
                "a long path shares its line with text that should wrap:\n{line}"
            );
        }
    }
    assert!(
        long > 0,
        "the hostile sample's deep paths should still overflow (the test is blind)"
    );
}

/// The known rough edge: every evidence path overflowed 80 columns. Paths
/// are shown below the folder they all share, which is said once.
#[test]
fn text_report_names_the_root_once_and_paths_below_it() {
    let tmp = tempfile::tempdir().unwrap();
    let lync = tmp
        .path()
        .join("C_Users_a.long.account.name/AppData/Local/Microsoft/Office/16.0/Lync");
    copy_tree(&sample_dir().join("Microsoft/Office/16.0/Lync"), &lync);
    let text = scan(tmp.path(), &["--color", "never"]);
    // The folder scanned is named once, in the machine block; the folder
    // every path shares is shown from there.
    let root = tmp.path().to_str().unwrap();
    assert_eq!(text.matches(root).count(), 1, "{text}");
    assert!(text.contains(&format!("\nScanned: {root}\n")), "{text}");
    // Paths are shown as the platform writes them.
    let native = |p: &str| p.replace('/', std::path::MAIN_SEPARATOR_STR);
    let shared = native("C_Users_a.long.account.name/AppData/Local/Microsoft/Office/16.0/Lync/");
    assert!(
        text.contains(&format!(
            "Paths below are relative to this folder in the folder scanned:\n  {shared}\n"
        )),
        "{text}"
    );
    let item = native("sip_alice@contoso.com/History Spooler/7f3a9c.hist");
    assert!(text.contains(&format!("\n      {item}\n")), "{text}");
    let log = native("Tracing/Lync-UccApi-0.UccApilog:48");
    assert!(text.contains(&format!("\n      {log}\n")), "{text}");
    // The machine block's line naming the folder scanned is as long as that
    // folder's path (a temporary folder under Wine is deep).
    for line in below_root(&text)
        .into_iter()
        .filter(|l| !l.starts_with("Scanned: "))
    {
        assert!(columns(line) <= 80, "{} columns:\n{line}", columns(line));
    }
}

/// A profile and item names in Japanese, one with a combining accent: the
/// text report measures them in columns (a CJK character takes two), so
/// no line is wider than 80, and every name is shown whole.
#[test]
fn text_report_with_cjk_names_fits_80_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let user = "山田太郎の長い名前テスト@contoso.co.jp";
    let spooler = tmp.path().join(format!(
        "Microsoft/Office/16.0/Lync/sip_{user}/History Spooler"
    ));
    let names = [
        "メッセージ日本語.hist",
        "Rene\u{301}e-送信待ち.hist",
        "未送信のメッセージ.hist",
    ];
    for (k, name) in names.iter().enumerate() {
        write(
            &spooler.join(name),
            format!(
                "From: <sip:{user}>\r\nTo: <sip:受信者{k}の名前@fabrikam.co.jp>\r\n\
                 Date: Mon, 23 Nov 2026 0{k}:30:00 +0000\r\n\r\nbody"
            )
            .as_bytes(),
        );
    }
    let text = scan(tmp.path(), &["--color", "never"]);
    for name in names.iter().chain([&user]) {
        assert!(text.contains(name), "{name} is not shown whole:\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.contains("山田太郎") && columns(l) > 70),
        "no line carries the long name near the width (the test is blind):\n{text}"
    );
    for line in below_root(&text) {
        assert!(columns(line) <= 80, "{} columns:\n{line}", columns(line));
    }
}

#[test]
fn verdict_is_coloured_only_when_asked_or_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (sample_in(tmp.path()), "\x1b[1;31mFAILING\x1b[0m"),
        (degraded_in(tmp.path()), "\x1b[1;33mDEGRADED\x1b[0m"),
        (healthy_in(tmp.path()), "\x1b[1;32mHEALTHY\x1b[0m"),
    ];
    for (root, painted) in &cases {
        let always = scan(root, &["--color", "always"]);
        assert!(
            always.lines().next().unwrap().contains(painted),
            "{painted:?} not in the first line:\n{always}"
        );
        assert_only_our_escapes(&always, "--color always");
        // stdout is a pipe here: auto means no colour.
        for plain in [scan(root, &[]), scan(root, &["--color", "never"])] {
            assert!(!plain.contains('\x1b'), "colour without a terminal");
        }
    }
    // NO_COLOR does not override an explicit --color always.
    let root = cases[0].0.to_str().unwrap();
    let out = retry_spawn::output(
        std::process::Command::new(env!("CARGO_BIN_EXE_oimdiag"))
            .args(["scan", root, "--now", NOW, "--utc-offset", OFFSET])
            .args(["--color", "always"])
            .env("NO_COLOR", "1"),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b[1;31mFAILING"));
}

#[cfg(unix)]
#[test]
fn hostile_file_names_cannot_rewrite_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let root = hostile_in(tmp.path());
    for args in [&["--color", "never"][..], &["--color", "always"][..]] {
        let out = scan(&root, args);
        assert_only_our_escapes(&out, &args.join(" "));
        assert!(
            out.contains("evil\\u{1b}[31mRED\\u{1b}[2J\\u{202e}txt.hist"),
            "the hostile name should be shown escaped"
        );
    }
}

#[test]
fn markdown_report_has_headings_tables_and_no_colour() {
    let tmp = tempfile::tempdir().unwrap();
    let md = scan(
        &sample_in(tmp.path()),
        &["--format", "markdown", "--color", "always"],
    );
    assert!(md.starts_with("# Offline IM diagnosis: FAILING\n\n**alice@contoso.com"));
    for part in [
        "| Verdict | **failing**: Offline IM is not working |",
        "| Probable causes | OIM030 Exchange Web Services unavailable to the client; ",
        "\n## Probable cause: OIM030 ",
        "\n## Findings\n",
        "\n### Errors (3)\n",
        "\n#### OIM001 Offline message stuck in History Spooler (error)\n",
        "Lync-UccApi-0.UccApilog:65`: `EWS: POST https://mail.contoso.com/EWS/Exchange.asmx",
        "\n## Facts\n\n| Fact | Value | Source |\n|---|---|---|\n",
        "| Client build | 16.0.6965.2117 | `",
        "\n## Offline messages in the logs (3)\n",
        "| Time (UTC) | Local (UTC+01:00) | Event | Where | Excerpt |",
        "\n## History Spooler items (4)\n",
        "\n## What was scanned\n",
    ] {
        assert!(md.contains(part), "missing {part:?} in:\n{md}");
    }
    assert!(!md.contains('\x1b'), "colour codes in Markdown");
}

/// `line` without its code spans (a run of n backticks up to the next run of
/// exactly n), so what is left is what Markdown interprets.
#[cfg(unix)] // used by the hostile-name tests only
fn outside_code_spans(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            out.push_str(&line[i..i + 2]);
            i += 2;
            continue;
        }
        if b[i] == b'`' {
            let n = b[i..].iter().take_while(|&&c| c == b'`').count();
            let fence = "`".repeat(n);
            let mut j = i + n;
            let close = loop {
                match line[j..].find(&fence) {
                    Some(k) => {
                        let at = j + k;
                        let run = b[at..].iter().take_while(|&&c| c == b'`').count();
                        if run == n {
                            break Some(at);
                        }
                        j = at + run;
                    }
                    None => break None,
                }
            };
            match close {
                Some(c) => {
                    out.push_str("CODE");
                    i = c + n;
                }
                None => panic!("unclosed code span in {line}"),
            }
            continue;
        }
        out.push(line[i..].chars().next().unwrap());
        i += line[i..].chars().next().unwrap().len_utf8();
    }
    out
}

#[cfg(unix)] // used by the hostile-name tests only
fn unescaped(s: &str, c: char) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for x in s.chars() {
        if x == c && !escaped {
            n += 1;
        }
        escaped = x == '\\' && !escaped;
    }
    n
}

#[cfg(unix)]
#[test]
fn markdown_escapes_names_so_tables_and_text_hold() {
    let tmp = tempfile::tempdir().unwrap();
    let md = scan(&hostile_in(tmp.path()), &["--format", "markdown"]);
    let mut table_cells = None;
    for line in md.lines() {
        let plain = outside_code_spans(line);
        if line.starts_with('|') {
            let cells = unescaped(&plain, '|');
            let expect = *table_cells.get_or_insert(cells);
            assert_eq!(cells, expect, "a table row has a different shape:\n{line}");
        } else {
            table_cells = None;
        }
        assert_eq!(unescaped(&plain, '<'), 0, "raw HTML possible:\n{line}");
        assert_eq!(unescaped(&plain, '_'), 0, "emphasis possible:\n{line}");
        assert_eq!(unescaped(&plain, '$'), 0, "math possible:\n{line}");
        let stars = unescaped(&plain.replace("**", ""), '*');
        assert_eq!(stars, 0, "emphasis possible:\n{line}");
    }
    // The hostile name is there, whole, in a code span.
    assert!(
        md.contains("a\\|b`c``d*e_f<img src=x onerror=alert(1)>#1 $x$.bin```"),
        "the skipped name should be in a fenced code span:\n{md}"
    );
    assert!(!md.contains('\x1b'));
}

#[test]
fn ndjson_is_a_header_then_one_record_per_line_matching_the_json_report() {
    let tmp = tempfile::tempdir().unwrap();
    let root = sample_in(tmp.path());
    let json = json_report(&root, &[]);
    let nd = scan(&root, &["--format", "ndjson"]);
    let records: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let header = &records[0];
    assert_eq!(header["type"], "header");
    for key in [
        "schema_version",
        "tool",
        "scan_time",
        "utc_offset",
        "redacted",
        "summary",
        "facts",
    ] {
        assert_eq!(header[key], json[key], "header.{key}");
    }
    assert_eq!(header["inputs"]["scanned"], 10);
    assert_eq!(header["inputs"]["skipped"], 2);
    assert_eq!(header["records"], records.len() - 1);

    let of = |t: &str| -> Vec<Value> {
        records[1..]
            .iter()
            .filter(|r| r["type"] == t)
            .map(|r| {
                let mut r = r.clone();
                r.as_object_mut().unwrap().remove("type");
                r
            })
            .collect()
    };
    assert_eq!(Value::Array(of("finding")), json["findings"]);
    assert_eq!(Value::Array(of("spool_item")), json["spool_items"]);
    assert_eq!(Value::Array(of("attempt")), json["attempts"]);
    assert_eq!(Value::Array(of("scanned")), json["inputs"]["scanned"]);
    assert_eq!(Value::Array(of("skipped")), json["inputs"]["skipped"]);
    let types = ["finding", "spool_item", "attempt", "scanned", "skipped"];
    assert!(records[1..]
        .iter()
        .all(|r| types.contains(&r["type"].as_str().unwrap())));
}

#[test]
fn an_empty_folder_gives_a_header_only_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let nd = scan(tmp.path(), &["--format", "ndjson"]);
    let records: Vec<Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["summary"]["verdict"], "inconclusive");
    assert_eq!(records[0]["records"], records.len() - 1);
    assert!(records[1..].iter().all(|r| r["type"] == "finding"));
}

#[test]
fn stderr_stays_silent_when_it_is_not_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let root = sample_in(tmp.path());
    for format in ["text", "json", "markdown", "ndjson"] {
        let out = oimdiag(&[
            "scan",
            root.to_str().unwrap(),
            "--now",
            NOW,
            "--utc-offset",
            OFFSET,
            "--format",
            format,
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "findings reach --fail-on warning"
        );
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
    }
}
