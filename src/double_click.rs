//! Started by a double-click in Explorer: no arguments, and the console was
//! made for this process alone. Then oimdiag runs the default scan (this
//! machine's profile), writes `oimdiag-<host>-<UTC time>.json` and `.md` to
//! the Desktop (beside the .exe when there is none), prints the verdict and
//! the two paths, and waits for Enter so the window does not vanish.
//!
//! Never when an argument is given or a stream is redirected: scripts and
//! people at a prompt get the usual command line. This is the one place
//! oimdiag writes without `--output`, so it writes only new names (never over
//! a file), through the same checks and atomic write as `--output`.

use crate::exit::ExitStatus;
use crate::output;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Whether a process with `args` arguments (the program name not counted),
/// whose three standard streams are (`terminals`) consoles, sharing its
/// console with `console_processes` processes (Windows), was started by a
/// double-click: a console opened for it alone.
pub fn looks_double_clicked(args: usize, terminals: bool, console_processes: Option<u32>) -> bool {
    args == 0 && terminals && console_processes == Some(1)
}

/// This process, now.
pub fn started_from_explorer() -> bool {
    let args = std::env::args_os().count().saturating_sub(1);
    let terminals = std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal();
    looks_double_clicked(args, terminals, console_processes())
}

/// How many processes share this console (`GetConsoleProcessList`); `None`
/// off Windows or when there is no console.
#[cfg(windows)]
fn console_processes() -> Option<u32> {
    #[link(name = "kernel32")]
    extern "system" {
        fn GetConsoleProcessList(list: *mut u32, count: u32) -> u32;
    }
    let mut list = [0u32; 4];
    // SAFETY: `list` holds 4 ids; the call writes at most that many and
    // returns the total (0 on failure).
    let n = unsafe { GetConsoleProcessList(list.as_mut_ptr(), list.len() as u32) };
    (n > 0).then_some(n)
}

#[cfg(not(windows))]
fn console_processes() -> Option<u32> {
    None
}

/// `oimdiag-<host>-<UTC time>`: only letters, digits, `-` and `_` from the
/// host name, so the name is valid on every file system.
pub fn base_name(host: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> String {
    let host: String = host
        .unwrap_or("this-machine")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(63)
        .collect();
    format!("oimdiag-{host}-{}", now.format("%Y%m%dT%H%M%SZ"))
}

/// Where the reports go: the Desktop, else beside the .exe, else the
/// current folder.
fn target_folder() -> PathBuf {
    oimdiag_evidence::installed::desktop_folder()
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
        })
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Two new file names in `dir` for `base`, neither taken (`-2`, `-3`... when
/// needed).
pub fn new_names(dir: &Path, base: &str) -> Option<(PathBuf, PathBuf)> {
    (1..100).find_map(|n| {
        let stem = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let (j, m) = (
            dir.join(format!("{stem}.json")),
            dir.join(format!("{stem}.md")),
        );
        (j.symlink_metadata().is_err() && m.symlink_metadata().is_err()).then_some((j, m))
    })
}

/// The double-click run: scan, write, tell, wait.
pub fn run() -> ExitStatus {
    let status = scan_and_write();
    print!("\nPress Enter to close this window.");
    let _ = std::io::stdout().flush();
    let _ = std::io::stdin().lock().read_line(&mut String::new());
    status
}

fn scan_and_write() -> ExitStatus {
    use clap::Parser;
    let Ok(crate::cli::Cli {
        command: crate::cli::Command::Scan(args),
    }) = crate::cli::Cli::try_parse_from(["oimdiag", "scan", "--quiet"])
    else {
        return ExitStatus::Usage;
    };
    let cfg = args.into_config();
    println!(
        "oimdiag {}: checking Skype for Business offline messages on this machine...",
        env!("CARGO_PKG_VERSION")
    );
    let report = match crate::run::scan(&cfg) {
        Ok(r) => r,
        Err(crate::run::UsageError(msg)) => {
            println!(
                "oimdiag could not scan: {}",
                oimdiag_report::text::clean(&msg)
            );
            return ExitStatus::Usage;
        }
    };
    let dir = target_folder();
    let base = base_name(report.machine.hostname.as_deref(), chrono::Utc::now());
    let Some((json, md)) = new_names(&dir, &base) else {
        println!("No free file name for {base} in {}.", dir.display());
        return ExitStatus::Usage;
    };
    let roots: Vec<PathBuf> = report
        .machine
        .scanned_roots
        .iter()
        .map(PathBuf::from)
        .collect();
    for (path, reader) in [
        (&json, output::Reader::Machine),
        (&md, output::Reader::People),
    ] {
        let written = output::check_target(path, false, &roots).and_then(|_| {
            output::stream_file(path, false, reader, |w| {
                if reader == output::Reader::Machine {
                    oimdiag_report::json::write(&report, w)
                } else {
                    oimdiag_report::markdown::write(&report, w)
                }
            })
        });
        if let Err(e) = written {
            println!(
                "Could not write the report: {}",
                oimdiag_report::text::clean(&e)
            );
            return ExitStatus::Usage;
        }
    }
    let s = &report.summary;
    println!(
        "\nResult: {}\n{}\n",
        s.verdict.as_str().to_ascii_uppercase(),
        oimdiag_report::text::clean(&s.headline)
    );
    println!("The reports were saved as:");
    println!("  {}", json.display());
    println!("  {}", md.display());
    println!("Send both files to your helpdesk.");
    if s.errors + s.warnings > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_console_of_its_own_with_no_arguments() {
        assert!(looks_double_clicked(0, true, Some(1)));
        // Started from cmd or PowerShell: the shell shares the console.
        assert!(!looks_double_clicked(0, true, Some(2)));
        // An argument, or a redirected stream: the command line as usual.
        assert!(!looks_double_clicked(1, true, Some(1)));
        assert!(!looks_double_clicked(0, false, Some(1)));
        // Not Windows, or no console.
        assert!(!looks_double_clicked(0, true, None));
    }

    #[test]
    fn names_are_safe_and_new() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            base_name(Some("PC 042/x"), t),
            "oimdiag-PC_042_x-20261123T100000Z"
        );
        let dir = tempfile::tempdir().unwrap();
        let (j, m) = new_names(dir.path(), "r").unwrap();
        assert!(j.ends_with("r.json") && m.ends_with("r.md"));
        std::fs::write(dir.path().join("r.md"), "mine").unwrap();
        let (j, _) = new_names(dir.path(), "r").unwrap();
        assert!(j.ends_with("r-2.json"), "{j:?}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("r.md")).unwrap(),
            "mine"
        );
    }
}
