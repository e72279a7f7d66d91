//! Reports are written as they are rendered, never held whole: what a large
//! report looks like must not depend on where it goes (stdout or `--output`)
//! nor on how it was cut into pieces on the way.

mod common;

use common::*;
use std::io::Read;
use std::process::{Command, Stdio};

const ALICE: &str = "alice@contoso.com";

/// A spooler of `n` stuck items to distinct recipients: enough for every
/// format to be written in many pieces.
fn big_spooler(n: usize) -> TestEnv {
    let env = TestEnv::new();
    for i in 0..n {
        let to = format!("user{i}@fabrikam.com");
        env.write_item(
            ALICE,
            &format!("{i:05}.hist"),
            mime_item(&to, Some(&rfc2822(ago(3600 + i as i64)))),
        );
    }
    env
}

fn args<'a>(env: &'a TestEnv, format: &'a str) -> Vec<&'a str> {
    vec![
        "scan",
        env.root().to_str().unwrap(),
        "--format",
        format,
        "--now",
        NOW,
        "--utc-offset",
        "+00:00",
        "--quiet",
    ]
}

#[test]
fn every_format_is_the_same_on_stdout_and_in_a_file() {
    let env = big_spooler(1500);
    let out = tempfile::tempdir().unwrap();
    for format in ["json", "ndjson", "text", "markdown", "html"] {
        let printed = env.run(&args(&env, format));
        assert_eq!(printed.code, 1, "{format}: {}", printed.stderr);
        // Many times the 32 KiB a renderer hands on and the 64 KiB sink.
        assert!(printed.stdout.len() > 128 * 1024, "{format}: a long report");
        let file = out.path().join(format!("report.{format}"));
        let mut a = args(&env, format);
        a.extend(["--output", file.to_str().unwrap()]);
        let r = env.run(&a);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{format}: nothing on stdout with --output");
        let written = std::fs::read_to_string(&file).unwrap();
        let want = if cfg!(windows) && matches!(format, "text" | "markdown") {
            printed.stdout.replace('\n', "\r\n")
        } else {
            printed.stdout.clone()
        };
        assert!(written == want, "{format}: the file differs from stdout");
    }
    // Every item is in the report, in path order.
    let s = env.scan_root(&[]);
    assert_eq!(s.items().len(), 1500);
    assert!(s.items()[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("00000.hist"));
    assert!(s.items()[1499]["path"]
        .as_str()
        .unwrap()
        .ends_with("01499.hist"));
}

#[test]
fn a_reader_that_stops_early_ends_the_scan_quietly() {
    let env = big_spooler(1500);
    for format in ["json", "text", "html"] {
        let mut child = common::spawn(
            Command::new(bin())
                .args(args(&env, format))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        // `oimdiag scan | head -c 1000`: read a little, then close the pipe.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 1000];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(
            matches!(status.code(), Some(0 | 1)),
            "{format}: {status:?} {stderr}"
        );
        assert_eq!(stderr, "", "{format}: a closed pipe is not worth a word");
    }
}
