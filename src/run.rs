//! One scan from configuration to report: discover, read, judge, render, write.

use crate::config::{Format, ScanConfig};
use crate::discover::{self, Discovery, FoundFile};
use crate::exit::ExitStatus;
use crate::model::{InputKind, ScanData, ScannedInput, SkippedInput};
use crate::report::{self, Report};
use crate::rules::{self, RuleContext};
use crate::scan::{classify, logs, spooler};
use crate::signatures::Signatures;
use crate::{correlate, facts, output, redact};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A scan that could not run at all (exit 2), with the message for stderr.
#[derive(Debug)]
pub struct UsageError(pub String);

/// Discovers and reads every input, then evaluates the rules.
pub fn scan(cfg: &ScanConfig) -> Result<Report, UsageError> {
    let default_location = cfg.paths.is_empty();
    let roots = if default_location {
        discover::default_roots().map_err(UsageError)?
    } else {
        cfg.paths.clone()
    };
    discover::check_roots(&roots)
        .map_err(|e| UsageError(format!("{}: {}", e.path.display(), e.reason)))?;

    let sigs = match &cfg.signatures {
        Some(p) => Signatures::with_user_file(p).map_err(UsageError)?,
        None => Signatures::builtin(),
    };
    let found = discover::discover(&roots, default_location);
    let data = read_all(found, cfg, &sigs);
    let facts = facts::derive(&data, cfg);
    let ctx = RuleContext {
        now: cfg.now,
        roots: roots.iter().map(|r| r.display().to_string()).collect(),
    };
    // Logs in the shared Tracing folder name their user in REGISTERs; with one
    // profile and no REGISTER, that profile is the user.
    let sole_user = match facts.sip_users.as_slice() {
        [only] => Some(only.as_str()),
        _ => None,
    };
    let attempts = correlate::correlate(&data, cfg.now, sole_user);
    let findings = rules::evaluate(&data, &facts, &attempts, &ctx);
    Ok(report::build(&data, &facts, &attempts, findings, cfg))
}

fn read_all(found: Discovery, cfg: &ScanConfig, sigs: &Signatures) -> ScanData {
    let mut data = ScanData {
        profiles: found.profiles,
        spoolers: found.spoolers,
        skipped: found.skipped,
        ..ScanData::default()
    };
    let progress = progress_bar(cfg, found.files.len() as u64);
    let opts = spooler::ItemOptions {
        utc_offset: cfg.utc_offset,
        include_subjects: cfg.include_subjects,
        now: cfg.now,
    };
    for f in &found.files {
        if f.in_spooler {
            data.spool_items.push(spooler::read_item(f, &opts));
            data.scanned.push(ScannedInput {
                path: f.path.clone(),
                kind: InputKind::SpoolItem,
                note: None,
            });
        } else {
            read_other(f, cfg, sigs, &mut data);
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    data.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    // Rotated logs (-0, -1, -2, .bak) and CSV exports merge into one timeline.
    data.events.sort_by(|a, b| {
        (a.time.is_none(), a.time, &a.origin.path, a.origin.line).cmp(&(
            b.time.is_none(),
            b.time,
            &b.origin.path,
            b.origin.line,
        ))
    });
    // The same moment told by two sources (a UccApilog and the tracerpt export
    // of the ETL trace) is one event: keep the first telling.
    // UccApilog times have milliseconds, ETL exports 100 ns: compare at the
    // coarser precision.
    let mut told = std::collections::HashSet::new();
    data.events.retain(|e| match e.time {
        None => true,
        Some(t) => told.insert((t.timestamp_millis(), e.kind.clone())),
    });
    data
}

/// A file outside any History Spooler: recognise it, then read it as what it is.
fn read_other(f: &FoundFile, cfg: &ScanConfig, sigs: &Signatures, data: &mut ScanData) {
    let (path, open) = (f.path.as_path(), f.open.as_path());
    let scanned = |kind, note| ScannedInput {
        path: path.to_path_buf(),
        kind,
        note,
    };
    let skipped = |reason| SkippedInput {
        path: path.to_path_buf(),
        reason,
    };
    match classify::classify(open) {
        Ok(kind @ (InputKind::Uccapilog | InputKind::TracerptCsv)) => {
            match logs::read_log(open, path, kind, cfg.utc_offset, sigs, &mut data.events) {
                Ok((stats, broke_off)) => {
                    let note = match (logs::stats_note(&stats), broke_off) {
                        (Some(n), Some(b)) => Some(format!("{n}; {b}")),
                        (n, b) => n.or(b),
                    };
                    data.scanned.push(scanned(kind, note));
                }
                Err(reason) => data.skipped.push(skipped(reason)),
            }
        }
        Ok(InputKind::AdminExport) => match logs::read_admin(open, path) {
            Ok((settings, cut)) => {
                data.admin.extend(settings);
                let note = cut.then(|| "larger than 16 MiB: only the start was read".to_string());
                data.scanned.push(scanned(InputKind::AdminExport, note));
            }
            Err(reason) => data.skipped.push(skipped(reason)),
        },
        Ok(kind) => data.scanned.push(scanned(kind, None)),
        Err(reason) => data.skipped.push(skipped(reason)),
    }
}

/// Progress on stderr only, only on a terminal, never with --quiet.
fn progress_bar(cfg: &ScanConfig, files: u64) -> ProgressBar {
    if cfg.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(files), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} scanning {pos}/{len} files {wide_bar}")
    {
        pb.set_style(style);
    }
    pb
}

/// Renders and writes the report; the exit status follows `--fail-on`.
pub fn deliver(report: &Report, cfg: &ScanConfig) -> Result<ExitStatus, UsageError> {
    let redacted;
    let report = if cfg.redact {
        redacted = redact::redact(report.clone());
        &redacted
    } else {
        report
    };
    let text = match cfg.format {
        Format::Json => report::json::render(report),
        Format::Ndjson => report::ndjson::render(report),
        Format::Markdown => report::markdown::render(report),
        Format::Text => report::text::render(report, color_wanted(cfg)),
    };
    match &cfg.output {
        Some(path) => output::write_file(path, &text, cfg.force).map_err(UsageError)?,
        None => output::write_stdout(&text)
            .map_err(|e| UsageError(format!("cannot write the report: {e}")))?,
    }
    let failed = cfg.fail_on.is_some_and(|threshold| {
        report
            .findings
            .iter()
            .any(|f| f.severity.reaches(threshold))
    });
    Ok(if failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

/// `--color`: `auto` colours only a report going to a terminal, and not when
/// `NO_COLOR` is set to anything but the empty string (no-color.org).
fn color_wanted(cfg: &ScanConfig) -> bool {
    let to_terminal = cfg.output.is_none() && std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let wanted = report::text::use_color(cfg.color, to_terminal, no_color);
    // Windows consoles show ANSI codes only once virtual-terminal processing
    // is on; elsewhere this is `None` and terminals understand them.
    wanted && (cfg.output.is_some() || anstyle_query::windows::enable_ansi_colors().unwrap_or(true))
}
