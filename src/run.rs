//! One scan from configuration to report: discover, read, judge, render, write.

use crate::config::{Format, ScanConfig};
use crate::discover::{self, Discovery};
use crate::exit::ExitStatus;
use crate::model::{ScanData, ScannedInput, SkippedInput};
use crate::report::{self, Report};
use crate::rules::{self, RuleContext};
use crate::scan::{classify, spooler};
use crate::{facts, output};
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

    let found = discover::discover(&roots, default_location);
    let data = read_all(found, cfg);
    let facts = facts::derive(&data, cfg);
    let ctx = RuleContext {
        now: cfg.now,
        roots: roots.iter().map(|r| r.display().to_string()).collect(),
    };
    let findings = rules::evaluate(&data, &facts, &ctx);
    Ok(report::build(&data, &facts, findings, cfg))
}

fn read_all(found: Discovery, cfg: &ScanConfig) -> ScanData {
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
                kind: crate::model::InputKind::SpoolItem,
            });
        } else {
            match classify::classify(&f.path) {
                Ok(kind) => data.scanned.push(ScannedInput {
                    path: f.path.clone(),
                    kind,
                }),
                Err(reason) => data.skipped.push(SkippedInput {
                    path: f.path.clone(),
                    reason,
                }),
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    data.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    data
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
    let text = match cfg.format {
        Format::Json => report::json::render(report),
        Format::Text => report::text::render(report),
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
