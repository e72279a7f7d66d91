//! `--format html`: one self-contained page to attach to a ticket. The same
//! report model as every format (so `--redact` applies), laid out by the
//! askama template `crates/report/templates/report.html`: inline CSS and SVG, no script,
//! no remote load (a Content-Security-Policy meta forbids both), A4 print.
//!
//! Every string from evidence reaches the page through askama's HTML
//! escaping (`&`, `<`, `>`, `"`, `'`), which is right for text, for quoted
//! attributes and for SVG text alike; control and bidi characters are made
//! visible first (`term::clean`). Numbers in SVG geometry are made here.
//! The page is rendered into a [`Spill`], which hands it to the writer in
//! 32 KiB pieces: it is written as it is rendered, never held whole.

mod svg;

use super::model::{Report, SettingOut, SourceOut, Verdict};
use super::text::kind_count;
use super::{coverage_lines, plural, severity_groups, Spill};
use askama::Template;
use chrono::{DateTime, FixedOffset, Utc};
use oimdiag_analysis::correlate::Outcome;
use oimdiag_rules::{info, Finding};
use oimdiag_vocab::found::InputKind;
use oimdiag_vocab::timefmt::{human_duration, offset_string, rfc3339};
use std::io;

pub use svg::MAX_TIMELINES;

/// Skipped inputs listed before pointing at the JSON report.
const MAX_SKIPPED_SHOWN: usize = 100;

/// Writes the HTML page, handing it on in pieces as it is rendered.
pub fn write(r: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let page = Page::new(r);
    let mut o = Spill::new(out);
    if let Err(e) = page.render_into(&mut o) {
        // Only a formatting error can come back: the writer's own error,
        // if any, is kept by the Spill and returned by finish.
        let _ = o.finish();
        return Err(io::Error::other(e.to_string()));
    }
    o.finish()
}

pub fn render(r: &Report) -> String {
    super::to_string(|out| write(r, out))
}

/// The template's own filters.
mod filters {
    /// A string from evidence made safe to show: control and bidi characters
    /// become visible escapes. askama escapes the result for HTML after.
    pub fn clean<T: std::fmt::Display>(s: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(crate::term::clean(&s.to_string()))
    }
}

#[derive(Template)]
#[template(path = "report.html", escape = "html")]
struct Page<'r> {
    r: &'r Report,
    verdict: &'static str,
    meaning: &'static str,
    causes: Vec<String>,
    local: String,
    scan_time: String,
    cause: Option<Cause<'r>>,
    machine: Vec<(&'static str, String)>,
    coverage: Vec<String>,
    groups: Vec<Group<'r>>,
    facts: Vec<FactRow>,
    overview: svg::Overview,
    timelines: Vec<svg::Timeline>,
    /// Messages that would have a timeline (logged ones and unlogged stuck
    /// or pending items), drawn or not.
    timelines_total: usize,
    scanned: String,
    noted: Vec<(String, String)>,
    skipped_more: usize,
    limits: Vec<String>,
    /// The live probe, when one ran: its preamble and each target's steps.
    probe_lines: Vec<String>,
    probe_targets: Vec<ProbeTargetRow>,
    /// `oimdiag probe` alone: no evidence sections.
    probe_only: bool,
}

struct ProbeTargetRow {
    heading: String,
    /// `answered`, `unreachable`, `untrusted`, `not_ews`.
    class: &'static str,
    /// Step, `ok`/`FAILED`, milliseconds, what happened.
    steps: Vec<(&'static str, &'static str, u64, String)>,
}

fn probe_rows(r: &Report) -> (Vec<String>, Vec<ProbeTargetRow>) {
    use oimdiag_vocab::probe::TargetOutcome;
    let Some(p) = &r.probe else {
        return (Vec::new(), Vec::new());
    };
    let words = crate::probe_words::targets(p);
    let rows = p
        .targets
        .iter()
        .zip(words)
        .map(|(t, w)| ProbeTargetRow {
            heading: w.heading,
            class: match t.outcome {
                TargetOutcome::Answered => "answered",
                TargetOutcome::Unreachable => "unreachable",
                TargetOutcome::Untrusted => "untrusted",
                TargetOutcome::NotEws => "not_ews",
            },
            steps: t
                .steps
                .iter()
                .map(|s| {
                    (
                        s.step.as_str(),
                        if s.ok { "ok" } else { "FAILED" },
                        s.elapsed_ms,
                        s.detail.clone(),
                    )
                })
                .collect(),
        })
        .collect();
    (crate::probe_words::preamble(p), rows)
}

struct Cause<'r> {
    id: String,
    title: &'static str,
    finding: Option<&'r Finding>,
}

struct Group<'r> {
    name: &'static str,
    class: &'static str,
    findings: Vec<&'r Finding>,
}

struct FactRow {
    fact: &'static str,
    value: String,
    /// `file:line` (or "command line") and the excerpt.
    source: Option<(String, String)>,
}

impl<'r> Page<'r> {
    fn new(r: &'r Report) -> Self {
        let v = r.summary.verdict;
        let meaning = match v {
            Verdict::Failing => "Offline IM is not working",
            Verdict::Degraded => "Offline IM works, with problems",
            Verdict::Healthy => "Offline IM looks healthy",
            Verdict::Inconclusive => "nothing to judge Offline IM by",
        };
        let causes = r
            .summary
            .probable_causes
            .iter()
            .map(|id| format!("{id} {}", info(*id).title))
            .collect();
        let cause = r.summary.probable_causes.first().map(|id| Cause {
            id: id.to_string(),
            title: info(*id).title,
            finding: r.findings.iter().find(|f| f.rule_id == *id),
        });
        let groups = severity_groups(r)
            .map(|(sev, name, findings)| Group {
                name,
                class: sev.as_str(),
                findings,
            })
            .collect();
        let (timelines, timelines_total) = svg::timelines(r);
        let mut limits = r.inputs.limits.clone();
        if timelines_total > timelines.len() {
            limits.push(format!(
                "This page draws at most {MAX_TIMELINES} message timelines: {} of {} are drawn \
                 (logged messages first, then unlogged spool items); the overview counts all.",
                timelines.len(),
                timelines_total
            ));
        }
        let (probe_lines, probe_targets) = probe_rows(r);
        Page {
            probe_lines,
            probe_targets,
            probe_only: r.probe_only(),
            r,
            verdict: v.as_str(),
            meaning,
            causes,
            local: format!("UTC{}", offset_string(r.utc_offset)),
            scan_time: rfc3339(r.scan_time),
            cause,
            machine: r.machine.rows(),
            coverage: coverage_lines(r),
            groups,
            facts: facts(r),
            overview: svg::overview(r),
            timelines,
            timelines_total,
            scanned: scanned(r),
            noted: r
                .inputs
                .scanned
                .iter()
                .filter_map(|s| {
                    let note = s.note.as_ref()?;
                    Some((s.path.to_string_lossy().into_owned(), note.clone()))
                })
                .collect(),
            skipped_more: r.inputs.skipped.len().saturating_sub(MAX_SKIPPED_SHOWN),
            limits,
        }
    }

    fn skipped(&self) -> impl Iterator<Item = &'r super::model::SkippedOut> + 'r {
        self.r.inputs.skipped.iter().take(MAX_SKIPPED_SHOWN)
    }

    /// The spool items as table rows, made one at a time as the page is
    /// written.
    fn items(&self) -> impl Iterator<Item = ItemRow> + 'r {
        self.r.spool_items.iter().map(|i| {
            let delivered = matches!(
                i.attempt_outcome,
                Some(Outcome::Delivered | Outcome::DeliveredLate)
            );
            ItemRow {
                state: i.state.as_str(),
                delivered,
                age: human_duration(i.age_seconds),
                sent: rfc3339(i.sent_at),
                file_time: i.sent_at_source.as_str() != "content",
                recipients: super::recipient_list(i.recipients, str::to_string)
                    .unwrap_or_else(|| "unknown".to_string()),
                format: i.format.as_str(),
                path: i.path.to_string(),
                problem: i.problem.map(str::to_string),
                subject: i.subject.map(str::to_string),
            }
        })
    }
}

struct ItemRow {
    state: &'static str,
    delivered: bool,
    age: String,
    sent: String,
    file_time: bool,
    recipients: String,
    format: &'static str,
    path: String,
    problem: Option<String>,
    subject: Option<String>,
}

fn location(path: &str, line: Option<u64>) -> String {
    match line {
        Some(l) => format!("{path}:{l}"),
        None => path.to_string(),
    }
}

fn source(s: Option<&SourceOut>) -> Option<(String, String)> {
    match s? {
        SourceOut {
            path: Some(path),
            line,
            excerpt,
            ..
        } => Some((location(path, *line), excerpt.clone())),
        s => Some(("command line".to_string(), s.excerpt.clone())),
    }
}

fn facts(r: &Report) -> Vec<FactRow> {
    let fa = &r.facts;
    let mut rows = vec![
        FactRow {
            fact: "Users",
            value: if fa.sip_users.is_empty() {
                "unknown".to_string()
            } else {
                fa.sip_users.join(", ")
            },
            source: None,
        },
        FactRow {
            fact: "Client build",
            value: fa.client_build.clone().unwrap_or_else(|| "unknown".into()),
            source: source(fa.client_build_source.as_ref()),
        },
        FactRow {
            fact: "Install type",
            value: match fa.install_type.as_str() {
                "c2r" => "Click-to-Run (c2r)".to_string(),
                "msi" => "MSI (msi): no Offline IM".to_string(),
                other => other.to_string(),
            },
            source: None,
        },
        FactRow {
            fact: "Mailbox",
            value: match fa.mailbox_location.as_str() {
                "online" => "Exchange Online".to_string(),
                "on_premises" => "Exchange on-premises".to_string(),
                other => other.to_string(),
            },
            source: source(fa.mailbox_location_source.as_ref()),
        },
        FactRow {
            fact: "EWS URL",
            value: fa.ews_url.clone().unwrap_or_else(|| "unknown".into()),
            source: None,
        },
    ];
    let p = &fa.policies;
    for (fact, s) in [
        ("EnableOfflineIM (server)", &p.enable_offline_im),
        (
            "EnableIMAutoArchiving (client policy)",
            &p.enable_im_auto_archiving,
        ),
        (
            "IM auto-archiving (user's option)",
            &p.user_im_auto_archiving,
        ),
    ] {
        rows.push(policy_row(fact, s));
    }
    rows
}

fn policy_row(fact: &'static str, s: &Option<SettingOut>) -> FactRow {
    FactRow {
        fact,
        value: match s {
            Some(s) if s.value => "True",
            Some(_) => "False",
            None => "not seen",
        }
        .to_string(),
        source: source(s.as_ref().map(|s| &s.source)),
    }
}

/// "5 files read (3 History Spooler items, 2 UccApilog logs), 1 skipped."
fn scanned(r: &Report) -> String {
    let ins = &r.inputs;
    let mut kinds: Vec<(InputKind, usize)> = Vec::new();
    for s in &ins.scanned {
        match kinds.iter_mut().find(|(k, _)| *k == s.kind) {
            Some((_, c)) => *c += 1,
            None => kinds.push((s.kind, 1)),
        }
    }
    kinds.sort();
    let read: Vec<String> = kinds.iter().map(|(k, n)| kind_count(*k, *n)).collect();
    let read = if read.is_empty() {
        String::new()
    } else {
        format!(" ({})", read.join(", "))
    };
    format!(
        "{} read{read}, {} skipped.",
        plural(ins.scanned.len(), "file", "files"),
        ins.skipped.len()
    )
}

/// A time as the page shows it: UTC to the second and the local clock.
fn both(t: DateTime<Utc>, off: FixedOffset) -> String {
    format!(
        "{} (local {})",
        rfc3339(t),
        t.with_timezone(&off).format("%H:%M:%S")
    )
}
