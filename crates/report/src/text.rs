//! `--format text`: the report for people, 80 columns wide. Verdict and
//! headline first, then the probable cause and what to do, findings by
//! severity with their evidence, facts, the per-message timeline, the spooled
//! items and what was scanned. Every string that came from a scanned file
//! goes through `clean` before it can reach a terminal.

use super::model::{AttemptOut, Report, SettingOut, SourceOut, Verdict};
use super::term::{wrap_into, Paint, Style};
use super::{event_time, plural, severity_groups, ItemsByPath, Spill};
use chrono::{DateTime, FixedOffset, SubsecRound, Utc};
use oimdiag_analysis::correlate::Outcome;
use oimdiag_rules::{info, Finding, Severity};
use oimdiag_vocab::found::InputKind;
use oimdiag_vocab::timefmt::{human_duration, offset_string, rfc3339};
use std::fmt::Write;
use std::io;

pub use super::term::clean;

/// How many skipped inputs the text lists before pointing at the JSON.
const MAX_SKIPPED_SHOWN: usize = 10;

/// Whether the text report is coloured: `Auto` = only when stdout is a
/// terminal and `NO_COLOR` is unset or empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `--color auto` colours only output to a terminal, and never when
/// `NO_COLOR` is set to a non-empty value; `always` and `never` are absolute.
pub fn use_color(choice: ColorChoice, to_terminal: bool, no_color_env: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && !no_color_env,
    }
}

/// Writes the text report, handing it on in pieces as it grows.
pub fn write(r: &Report, color: bool, out: &mut dyn io::Write) -> io::Result<()> {
    let mut w = Writer {
        o: Spill::new(out),
        p: Paint { on: color },
        base: common_folder(r),
    };
    w.summary(r);
    crate::machine::write_text(&r.machine, &mut |label, value| {
        w.wrap(&clean(value), &format!("{label}: "), "    ")
    });
    w.base_folder(r);
    w.probable_cause(r);
    w.findings(r);
    w.probe(r);
    if !r.probe_only() {
        w.coverage(r);
        w.facts(r);
        w.timeline(r);
        w.spool_items(r);
        w.inputs(r);
    }
    w.o.finish()
}

pub fn render(r: &Report, color: bool) -> String {
    super::to_string(|out| write(r, color, out))
}

struct Writer<'w> {
    o: Spill<'w>,
    p: Paint,
    /// The folder every path named is in (see [`common_folder`]), said once
    /// and left out of each path shown; empty when there is none.
    base: String,
}

/// A path separator in the paths the report names.
fn is_separator(b: u8) -> bool {
    b == b'/' || (cfg!(windows) && b == b'\\')
}

/// The deepest folder every file the report names is in, with its final
/// separator (`C:\Users\…\Lync\`), so that each path can be shown
/// below it and fit in 80 columns. Empty when the paths share no folder, or
/// only the root of a drive or of the file system.
impl Writer<'_> {
    /// The folder every path below is shown relative to: named once, or, when
    /// it is the folder scanned (already named above), said to be that.
    fn base_folder(&mut self, r: &Report) {
        if self.base.is_empty() {
            return;
        }
        let base = self.base.clone();
        // Below the folder scanned (named above): shown from there.
        let below = r.machine.scanned_roots.iter().find_map(|s| {
            let rest = base.strip_prefix(s.as_str())?;
            rest.starts_with(['/', '\\'])
                .then(|| rest.trim_start_matches(['/', '\\']))
        });
        match below {
            Some("") => self.line("Paths below are relative to the folder scanned."),
            Some(rest) => {
                // A line of its own: a path is not wrapped at its spaces.
                self.line("Paths below are relative to this folder in the folder scanned:");
                let shown = clean(rest);
                self.line(&format!("  {shown}"));
            }
            None => {
                self.line("Paths below are relative to this folder:");
                let shown = clean(&self.base);
                self.line(&format!("  {shown}"));
            }
        }
    }
}

fn common_folder(r: &Report) -> String {
    let scanned = r.inputs.scanned.iter().filter(|s| s.path.is_utf8());
    let scanned = scanned.map(|s| s.path.to_string_lossy());
    let skipped = r
        .inputs
        .skipped
        .iter()
        .map(|s| std::borrow::Cow::Borrowed(s.path.as_str()));
    let evidence = r
        .findings
        .iter()
        .flat_map(|f| &f.evidence)
        .map(|e| std::borrow::Cow::Borrowed(e.path.as_str()))
        // The probe cites URLs, not files.
        .filter(|p| !p.contains("://"));
    let mut common: Option<String> = None;
    for p in scanned
        .chain(skipped)
        .chain(evidence)
        .filter(|p| !p.is_empty())
    {
        let c = common.get_or_insert_with(|| p.to_string());
        let same = c.bytes().zip(p.bytes()).take_while(|(a, b)| a == b).count();
        // Up to the last separator both share (a separator is one byte: the
        // cut falls between characters).
        let end = c
            .as_bytes()
            .get(..same)
            .unwrap_or_default()
            .iter()
            .rposition(|&b| is_separator(b))
            .map_or(0, |k| k + 1);
        match c.is_char_boundary(end) {
            true => c.truncate(end),
            false => c.clear(),
        }
    }
    let c = common.unwrap_or_default();
    // "/" or "C:\\": the root of everything, nothing worth cutting.
    if c.bytes().filter(|&b| is_separator(b)).count() < 2 {
        return String::new();
    }
    c
}

fn verdict_style(v: Verdict) -> Style {
    match v {
        Verdict::Failing => Style::Red,
        Verdict::Degraded | Verdict::Inconclusive => Style::Yellow,
        Verdict::Healthy => Style::Green,
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => Style::Red,
        Severity::Warning => Style::Yellow,
        Severity::Info => Style::Cyan,
    }
}

fn outcome_style(o: Outcome) -> Style {
    match o {
        Outcome::Failed | Outcome::Expired => Style::Red,
        Outcome::DeliveredLate => Style::Yellow,
        Outcome::Delivered => Style::Green,
        Outcome::Pending => Style::Bold,
    }
}

/// "4 History Spooler items", "1 UccApilog log".
pub(crate) fn kind_count(k: InputKind, n: usize) -> String {
    let (one, many) = match k {
        InputKind::SpoolItem => ("History Spooler item", "History Spooler items"),
        InputKind::Uccapilog => ("UccApilog log", "UccApilog logs"),
        InputKind::TracerptCsv => ("tracerpt CSV export", "tracerpt CSV exports"),
        InputKind::AdminExport => ("PowerShell admin export", "PowerShell admin exports"),
        InputKind::ClientBinary => (
            "client executable (lync.exe)",
            "client executables (lync.exe)",
        ),
    };
    plural(n, one, many)
}

impl Writer<'_> {
    /// A path as shown: below the common folder, made safe for a terminal.
    fn path(&self, p: &str) -> String {
        clean(p.strip_prefix(self.base.as_str()).unwrap_or(p))
    }

    /// `path:line`, or just the path.
    fn location(&self, path: &str, line: Option<u64>) -> String {
        let p = self.path(path);
        match line {
            Some(l) => format!("{p}:{l}"),
            None => p,
        }
    }

    fn line(&mut self, s: &str) {
        self.o.push_str(s);
        self.o.push('\n');
    }

    fn wrap(&mut self, text: &str, first: &str, rest: &str) {
        wrap_into(&mut self.o, text, first, rest);
    }

    fn heading(&mut self, title: &str) {
        let underline = "-".repeat(super::term::visible_width(title));
        let t = self.p.paint(Style::Bold, title);
        let _ = write!(self.o, "\n{t}\n{underline}\n");
    }

    fn summary(&mut self, r: &Report) {
        let v = r.summary.verdict;
        let word = self
            .p
            .paint(verdict_style(v), &v.as_str().to_ascii_uppercase());
        let meaning = match v {
            Verdict::Failing => "Offline IM is not working",
            Verdict::Degraded => "Offline IM works, with problems",
            Verdict::Healthy => "Offline IM looks healthy",
            Verdict::Inconclusive => "nothing to judge Offline IM by",
        };
        self.line(&format!("Verdict: {word} ({meaning})"));
        self.wrap(&clean(&r.summary.headline), "", "");
        let counts = format!(
            "{}, {}, {} info",
            plural(r.summary.errors, "error", "errors"),
            plural(r.summary.warnings, "warning", "warnings"),
            r.summary.infos
        );
        self.wrap(
            &format!(
                "Findings: {counts}. Scanned at {} (UTC) by {} {}.",
                rfc3339(r.scan_time),
                r.tool.name,
                r.tool.version
            ),
            "",
            "",
        );
        if r.redacted {
            self.wrap(
                "Names are pseudonyms (--redact): user1@domain1.example, \
                 host1.domain1.example and the like stand for real addresses and hosts.",
                "",
                "",
            );
        }
    }

    fn probable_cause(&mut self, r: &Report) {
        let Some(first) = r.summary.probable_causes.first() else {
            return;
        };
        self.heading("Probable cause");
        let title = info(*first).title;
        let id = self.p.paint(Style::Red, first.as_str());
        self.wrap(title, &format!("  {id}  "), "          ");
        if let Some(f) = r.findings.iter().find(|f| f.rule_id == *first) {
            self.wrap(&clean(&f.message), "  ", "  ");
            self.line("");
            self.wrap(&clean(&f.remediation), "  What to do: ", "    ");
        }
        let others: Vec<String> = r.summary.probable_causes[1..]
            .iter()
            .map(|id| format!("{id} {};", info(*id).title))
            .collect();
        if !others.is_empty() {
            let mut text = others.join(" ");
            text.pop();
            self.line("");
            self.wrap(&text, "  Then: ", "    ");
        }
    }

    fn probe(&mut self, r: &Report) {
        let Some(p) = &r.probe else { return };
        self.heading("Live probe");
        for l in super::probe_words::preamble(p) {
            self.wrap(&clean(&l), "  ", "    ");
        }
        for t in super::probe_words::targets(p) {
            self.line("");
            self.wrap(&clean(&t.heading), "  ", "    ");
            for s in &t.steps {
                self.wrap(&clean(s), "    ", "        ");
            }
        }
    }

    fn coverage(&mut self, r: &Report) {
        self.heading("What oimdiag could judge");
        for l in super::coverage_lines(r) {
            self.wrap(&clean(&l), "  ", "    ");
        }
    }

    fn findings(&mut self, r: &Report) {
        if r.findings.is_empty() {
            self.heading("Findings");
            self.line("  None.");
            return;
        }
        let top = r.summary.probable_causes.first().copied();
        for (sev, name, group) in severity_groups(r) {
            self.heading(&format!("{name} ({})", group.len()));
            for (i, f) in group.iter().enumerate() {
                if i > 0 {
                    self.line("");
                }
                self.finding(f, sev, top == Some(f.rule_id));
            }
        }
    }

    fn finding(&mut self, f: &Finding, sev: Severity, is_top_cause: bool) {
        let id = self.p.paint(severity_style(sev), f.rule_id.as_str());
        self.wrap(f.title, &format!("  {id}  "), "          ");
        self.wrap(&clean(&f.message), "    ", "    ");
        if !f.evidence.is_empty() {
            self.line("    Evidence:");
        }
        for e in &f.evidence {
            if e.path.is_empty() {
                self.wrap(&clean(&e.excerpt), "      ", "      ");
                continue;
            }
            self.line(&format!("      {}", self.location(&e.path, e.line)));
            self.wrap(&clean(&e.excerpt), "        ", "        ");
        }
        if is_top_cause {
            self.line("    What to do: see Probable cause above.");
        } else {
            self.wrap(&clean(&f.remediation), "    What to do: ", "      ");
        }
    }

    fn facts(&mut self, r: &Report) {
        self.heading("Facts");
        let fa = &r.facts;
        let users = if fa.sip_users.is_empty() {
            "unknown".to_string()
        } else {
            clean(&fa.sip_users.join(", "))
        };
        self.fact("Users", &users, None);
        let build = match (&fa.client_build, fa.client_build_source.is_some()) {
            (Some(b), _) => clean(b),
            (None, _) => "unknown".into(),
        };
        self.fact("Client build", &build, fa.client_build_source.as_ref());
        let install = match fa.install_type.as_str() {
            "c2r" => "Click-to-Run (c2r)".to_string(),
            "msi" => "MSI (msi): no Offline IM".to_string(),
            other => other.to_string(),
        };
        self.fact("Install type", &install, None);
        let mailbox = match fa.mailbox_location.as_str() {
            "online" => "Exchange Online".to_string(),
            "on_premises" => "Exchange on-premises".to_string(),
            other => other.to_string(),
        };
        self.fact("Mailbox", &mailbox, fa.mailbox_location_source.as_ref());
        let ews = fa
            .ews_url
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "unknown".into());
        self.fact("EWS URL", &ews, None);
        let p = &fa.policies;
        self.policy("EnableOfflineIM", "server", &p.enable_offline_im);
        self.policy(
            "EnableIMAutoArchiving",
            "client policy",
            &p.enable_im_auto_archiving,
        );
        self.policy(
            "IM auto-archiving",
            "user's option",
            &p.user_im_auto_archiving,
        );
    }

    /// One row of the facts table: label, wrapped value, and where it came from.
    fn fact(&mut self, label: &str, value: &str, source: Option<&SourceOut>) {
        const COL: usize = 24;
        let first = format!("  {label:<width$}", width = COL - 2);
        let rest = " ".repeat(COL);
        self.wrap(value, &first, &rest);
        if let Some(s) = source {
            match &s.path {
                Some(path) => self.line(&format!("{rest}from {}", self.location(path, s.line))),
                None => self.line(&format!(
                    "{rest}set on the command line ({})",
                    clean(&s.excerpt)
                )),
            }
        }
    }

    fn policy(&mut self, name: &str, whose: &str, s: &Option<SettingOut>) {
        let value = match s {
            Some(s) if s.value => format!("True ({whose})"),
            Some(_) => format!("False ({whose})"),
            None => format!("not seen ({whose})"),
        };
        self.fact(name, &value, s.as_ref().map(|s| &s.source));
    }

    /// Per message: its events with local and UTC times and the gaps between
    /// them, then how it ended.
    fn timeline(&mut self, r: &Report) {
        if r.attempts.is_empty() {
            return;
        }
        self.heading(&format!(
            "Offline messages in the logs ({})",
            r.attempts.len()
        ));
        let offset = r.utc_offset;
        let now = r.scan_time.trunc_subsecs(0);
        self.wrap(
            &format!(
                "Times are local (log times read as UTC{}), with UTC in brackets.",
                offset_string(r.utc_offset)
            ),
            "  ",
            "  ",
        );
        let items = ItemsByPath::new(&r.spool_items);
        for a in r.attempts.iter() {
            self.line("");
            self.attempt(&a, &items, offset, now);
        }
    }

    fn attempt(
        &mut self,
        a: &AttemptOut,
        items: &ItemsByPath<'_>,
        offset: FixedOffset,
        now: DateTime<Utc>,
    ) {
        let id =
            a.id.map(|i| format!("Message {} ", clean(i)))
                .unwrap_or_else(|| "Message ".into());
        let to = clean(a.recipient.unwrap_or("unknown recipient"));
        let from = a
            .user
            .map(|u| format!(" from {}", clean(u)))
            .unwrap_or_default();
        let outcome = self.p.paint(
            outcome_style(a.outcome),
            &a.outcome.as_str().replace('_', " ").to_uppercase(),
        );
        self.wrap(&format!("{id}to {to}{from}: {outcome}"), "  ", "    ");
        let mut prev: Option<DateTime<FixedOffset>> = None;
        for e in &a.evidence {
            let t = event_time(e);
            let when = match (t, Some(offset)) {
                (Some(t), Some(off)) => format!(
                    "{} ({}Z)",
                    t.with_timezone(&off).format("%Y-%m-%d %H:%M:%S"),
                    t.format("%H:%M:%S")
                ),
                _ => "time unknown".into(),
            };
            let gap = match (prev, t) {
                (Some(p), Some(t)) => format!(" +{}", human_duration((t - p).num_seconds())),
                _ => String::new(),
            };
            prev = t.or(prev);
            self.wrap(
                &format!("{when}{gap}  {}", clean(e.event)),
                "    ",
                "      ",
            );
            self.line(&format!("        {}", self.location(&e.path, e.line)));
            self.wrap(&clean(e.excerpt), "        ", "        ");
        }
        if a.events_dropped > 0 {
            self.line(&format!("    … {} more events not kept", a.events_dropped));
        }
        for p in &a.spool_items {
            let age = items.state_suffix(p);
            self.line(&format!("    -> in the History Spooler{age}"));
            self.line(&format!("       {}", self.path(p)));
        }
        if a.outcome == Outcome::Expired {
            {
                self.line(&format!(
                    "    -> nothing logged since; queued {} before the scan",
                    human_duration((now - a.queued_at.trunc_subsecs(0)).num_seconds())
                ));
            }
        }
    }

    fn spool_items(&mut self, r: &Report) {
        if r.spool_items.is_empty() {
            return;
        }
        self.heading(&format!("History Spooler items ({})", r.spool_items.len()));
        for i in r.spool_items.iter() {
            let state = i.state.as_str().to_string();
            let state = self.p.paint(
                if state == "stuck" {
                    Style::Red
                } else {
                    Style::Bold
                },
                &format!("{state:<7}"),
            );
            let delivered = matches!(
                i.attempt_outcome,
                Some(Outcome::Delivered | Outcome::DeliveredLate)
            );
            let when = match i.sent_at_source.as_str() {
                "content" => "date in the item",
                _ => "file time",
            };
            let mut text = format!(
                "{} old, to {} ({}, {when})",
                human_duration(i.age_seconds),
                super::recipient_list(i.recipients, clean)
                    .unwrap_or_else(|| "unknown recipient".to_string()),
                i.format.as_str(),
            );
            if delivered {
                text.push_str("; delivered per the log: a leftover copy");
            }
            if let Some(p) = &i.problem {
                let _ = write!(text, "; {}", clean(p));
            }
            if let Some(s) = &i.subject {
                let _ = write!(text, "; subject: {}", clean(s));
            }
            self.wrap(&text, &format!("  {state} "), "          ");
            self.line(&format!("          {}", self.path(&i.path)));
        }
    }

    fn inputs(&mut self, r: &Report) {
        let ins = &r.inputs;
        self.heading("What was scanned");
        self.wrap(
            &format!(
                "{} read, {} skipped. Local log times were read as UTC{}; \
                 the two-minute timer was measured against {}.",
                plural(ins.scanned.len(), "file", "files"),
                ins.skipped.len(),
                offset_string(r.utc_offset),
                rfc3339(r.scan_time)
            ),
            "  ",
            "  ",
        );
        let mut kinds: Vec<(InputKind, usize)> = Vec::new();
        for s in &ins.scanned {
            match kinds.iter_mut().find(|(k, _)| *k == s.kind) {
                Some((_, c)) => *c += 1,
                None => kinds.push((s.kind, 1)),
            }
        }
        kinds.sort();
        if !kinds.is_empty() {
            let list: Vec<String> = kinds.iter().map(|(k, n)| kind_count(*k, *n)).collect();
            self.wrap(&format!("Read: {}.", list.join(", ")), "  ", "    ");
        }
        for s in ins.scanned.iter().filter(|s| s.note.is_some()) {
            self.line(&format!("  read {}", self.path(&s.path.to_string_lossy())));
            self.wrap(
                &clean(s.note.as_deref().unwrap_or_default()),
                "      note: ",
                "      ",
            );
        }
        for s in ins.skipped.iter().take(MAX_SKIPPED_SHOWN) {
            self.line(&format!("  skipped {}", self.path(&s.path)));
            self.wrap(&clean(&s.reason), "      ", "      ");
        }
        if ins.skipped.len() > MAX_SKIPPED_SHOWN {
            self.line(&format!(
                "  … and {} more skipped (all listed with --format json)",
                ins.skipped.len() - MAX_SKIPPED_SHOWN
            ));
        }
        for l in &ins.limits {
            self.wrap(&clean(l), "  limit: ", "         ");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_choice() {
        use ColorChoice::*;
        assert!(use_color(Auto, true, false));
        assert!(!use_color(Auto, false, false), "auto and not a terminal");
        assert!(!use_color(Auto, true, true), "auto and NO_COLOR");
        assert!(use_color(Always, false, true), "always beats NO_COLOR");
        assert!(!use_color(Never, true, false));
    }
}
