//! Writing the report: to stdout, or atomically to `--output` (a temporary
//! file beside the target, then a rename), never replacing a file unless
//! `--force` says so.
//!
//! Line endings: on Windows, reports for people (text, Markdown) written to a
//! file with `--output` get CRLF, as Windows programs write them, so that
//! Notepad before Windows 10 1809 (still on Server 2016) shows lines. JSON and
//! NDJSON keep LF everywhere, so a machine report is byte-identical on every
//! platform; stdout keeps LF too (consoles, PowerShell and pipes take it, and
//! what a program prints stays the same on every platform). Reports are UTF-8
//! without a BOM (RFC 8259 forbids one in JSON). On a Windows console Rust's
//! std writes UTF-16 through WriteConsoleW, so non-ASCII text shows correctly
//! whatever the console code page.

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;

/// The report as a file on this platform holds it (see the module comment).
pub fn platform_newlines(report: &str) -> Cow<'_, str> {
    if cfg!(windows) && !is_machine_format(report) {
        Cow::Owned(to_crlf(report))
    } else {
        Cow::Borrowed(report)
    }
}

/// JSON, NDJSON and the JSON Schema start with `{` or `[`; the people's
/// formats never do (text starts with its verdict line or a colour escape,
/// Markdown with a heading, the rule list with a rule id).
fn is_machine_format(report: &str) -> bool {
    report.trim_start().starts_with(['{', '['])
}

/// LF → CRLF, leaving existing CRLF alone.
fn to_crlf(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 32);
    let mut prev = '\0';
    for c in s.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

pub fn write_stdout(report: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(report.as_bytes()).and_then(|_| out.flush()) {
        // `oimdiag scan | head` closing the pipe is not an error worth a word.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

pub fn write_file(path: &Path, report: &str, force: bool) -> Result<(), String> {
    let report = platform_newlines(report);
    let shown = path.display();
    if !force && path.symlink_metadata().is_ok() {
        return Err(format!("{shown} already exists; add --force to replace it"));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".oimdiag-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write beside {shown}: {e}"))?;
    tmp.write_all(report.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    let persisted = if force {
        tmp.persist(path).map(|_| ())
    } else {
        // No-clobber even if the file appeared since the check above.
        tmp.persist_noclobber(path).map(|_| ())
    };
    persisted.map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            format!("{shown} already exists; add --force to replace it")
        } else {
            format!("cannot write {shown}: {}", e.error)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_conversion() {
        assert_eq!(to_crlf("a\nb\r\nc\n"), "a\r\nb\r\nc\r\n");
        assert_eq!(to_crlf("—\n\n"), "—\r\n\r\n");
        assert_eq!(to_crlf(""), "");
    }

    #[test]
    fn only_reports_for_people_change_on_windows() {
        let json = "{\n  \"a\": 1\n}\n";
        let rules = "[\n]\n";
        let text = "oimdiag 0.1.0 — diagnosis\nVerdict: FAILING\n";
        assert_eq!(platform_newlines(json), json);
        assert_eq!(platform_newlines(rules), rules);
        let want = if cfg!(windows) {
            "oimdiag 0.1.0 — diagnosis\r\nVerdict: FAILING\r\n"
        } else {
            text
        };
        assert_eq!(platform_newlines(text), want);
    }

    #[test]
    fn output_file_is_written_once_and_not_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("Ticket 42").join("report.txt");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        write_file(&p, "line one\nline two\n", false).unwrap();
        let want: &[u8] = if cfg!(windows) {
            b"line one\r\nline two\r\n"
        } else {
            b"line one\nline two\n"
        };
        assert_eq!(std::fs::read(&p).unwrap(), want);
        let e = write_file(&p, "other\n", false).unwrap_err();
        assert!(e.contains("already exists"), "{e}");
        write_file(&p, "{}\n", true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{}\n");
        let left: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }
}
