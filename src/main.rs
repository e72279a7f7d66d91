use clap::Parser;
use oimdiag::cli::{CatalogFormat, Cli, Command};
use oimdiag::exit::ExitStatus;
use oimdiag::run;
use oimdiag_evidence::signatures::Signatures;
use oimdiag_report::catalog;
use oimdiag_report::term::clean_lines;
use oimdiag_report::text::clean;
use oimdiag_rules::{rule_info, CATALOG};
use std::process::ExitCode;

fn main() -> ExitCode {
    limit_malloc_arenas();
    // Double-clicked in Explorer: scan this machine, save the reports, wait.
    if oimdiag::double_click::started_from_explorer() {
        return oimdiag::double_click::run().into();
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let status = match cli.command {
        Command::Scan(args) if !args.probe && args.net.first_given().is_some() => {
            eprintln!(
                "oimdiag: {} is an option of the live probe: add --probe (a scan never \
                 touches the network without it)",
                args.net.first_given().unwrap_or_default()
            );
            ExitStatus::Usage
        }
        Command::Scan(args) => {
            let cfg = args.into_config();
            let delivered = run::scan(&cfg).and_then(|report| {
                // Not dropped: the process ends next, and freeing 100,000
                // items one by one would only delay the exit.
                let report = std::mem::ManuallyDrop::new(report);
                run::deliver(&report, &cfg)
            });
            match delivered {
                Ok(s) => s,
                Err(run::UsageError(msg)) => {
                    eprintln!("oimdiag: {}", clean_lines(&msg, "  "));
                    ExitStatus::Usage
                }
            }
        }
        Command::Probe(args) => {
            let cfg = args.into_config();
            let delivered = run::probe::probe_only(&cfg).and_then(|r| run::deliver(&r, &cfg));
            match delivered {
                Ok(s) => s,
                Err(run::UsageError(msg)) => {
                    eprintln!("oimdiag: {}", clean_lines(&msg, "  "));
                    ExitStatus::Usage
                }
            }
        }
        Command::Rules { format } => print_or_quiet(&match format {
            CatalogFormat::Json => catalog::json(CATALOG),
            CatalogFormat::Text => catalog::list(CATALOG),
            CatalogFormat::Markdown => catalog::markdown(CATALOG),
        }),
        Command::Signatures { signatures, test } => {
            let table = match signatures {
                Some(p) => Signatures::with_user_file(&p),
                None => Ok(Signatures::builtin()),
            };
            match table {
                Ok(t) if !test.is_empty() => test_signatures(&t, &test),
                Ok(t) => print_or_quiet(
                    &(serde_json::to_string_pretty(&t.to_file()).expect("table serialises") + "\n"),
                ),
                Err(e) => {
                    eprintln!("oimdiag: {}", clean_lines(&e, "  "));
                    ExitStatus::Usage
                }
            }
        }
        Command::Schema => print_or_quiet(&oimdiag_report::schema::render()),
        Command::Explain { rule_id, format } => match rule_info(&rule_id) {
            Some(r) => print_or_quiet(&match format {
                CatalogFormat::Json => catalog::json_rule(r),
                CatalogFormat::Markdown => catalog::markdown(std::slice::from_ref(r)),
                CatalogFormat::Text => catalog::explain(r),
            }),
            None => {
                eprintln!(
                    "oimdiag: no rule '{}'; `oimdiag rules` lists them",
                    clean(&rule_id)
                );
                ExitStatus::Usage
            }
        },
    };
    status.into()
}

/// `signatures --test`: each file in turn; one that is not a log is named
/// on stderr (exit 2) and the others are still read.
fn test_signatures(sigs: &Signatures, files: &[std::path::PathBuf]) -> ExitStatus {
    let mut out = String::new();
    let mut failed = false;
    for f in files {
        if let Err(e) = oimdiag::sigtest::test_file(f, sigs, &mut out) {
            eprintln!(
                "oimdiag: {}: {}",
                clean(&f.display().to_string()),
                clean(&e)
            );
            failed = true;
        }
    }
    match print_or_quiet(&out) {
        ExitStatus::Clean if failed => ExitStatus::Usage,
        s => s,
    }
}

/// A command line clap refused (or `--help`, `--version`). Its message quotes
/// what was typed: control characters in it are shown escaped, never sent
/// to the terminal raw.
fn usage_error(e: clap::Error) -> ExitCode {
    let text = oimdiag::cli::error_text(&e);
    if e.use_stderr() {
        eprintln!("{text}");
        ExitStatus::Usage.into()
    } else {
        let _ = oimdiag::output::write_stdout(&(text + "\n"));
        ExitStatus::Clean.into()
    }
}

fn print_or_quiet(s: &str) -> ExitStatus {
    match oimdiag::output::write_stdout(s) {
        Ok(()) => ExitStatus::Clean,
        Err(e) => {
            eprintln!("oimdiag: {e}");
            ExitStatus::Usage
        }
    }
}

/// glibc gives each thread that allocates its own malloc arena; the log
/// threads' batches are freed on the merging thread, and the arenas' free
/// space adds up with the number of threads. Two arenas are as fast here and
/// keep the peak lower (bench/RESULTS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets a malloc parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
