//! `--format markdown`: the report to paste into a ticket. The same content as
//! the text report, as headings, tables, lists and code spans. Strings from
//! scanned files are sanitised like for a terminal and then escaped, so a
//! file name with `|`, backticks, `*` or `<` cannot break the layout.

use super::model::{AttemptOut, Report, SettingOut, SourceOut, Verdict};
use super::term::clean;
use super::text::kind_count;
use super::{event_time, plural, severity_groups, ItemsByPath, Spill};
use oimdiag_analysis::correlate::Outcome;
use oimdiag_rules::{info, Finding};
use oimdiag_vocab::found::InputKind;
use oimdiag_vocab::timefmt::{human_duration, offset_string, rfc3339};
use std::fmt::Write;
use std::io;

/// Skipped inputs listed before pointing at the JSON report.
const MAX_SKIPPED_SHOWN: usize = 100;

/// Escapes a string from a scanned file for running Markdown text (also
/// inside a table cell): every character that could start emphasis, a link,
/// HTML, a table cell, math, an issue reference or a mention is
/// backslash-escaped.
pub fn text(s: &str) -> String {
    let s = clean(s);
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let special = matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' | '#'
        ) || (c == '@' && !matches!(prev, Some(p) if p.is_alphanumeric()));
        if special {
            out.push('\\');
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// Like `text`, for a paragraph of its own: a leading `-`, `+`, `=` or `1.`
/// must not turn it into a list or a heading underline.
fn block(s: &str) -> String {
    let t = text(s);
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    match t.chars().next() {
        Some('-' | '+' | '=') => format!("\\{t}"),
        Some(_) if digits > 0 && matches!(t[digits..].chars().next(), Some('.' | ')')) => {
            format!("{}\\{}", &t[..digits], &t[digits..])
        }
        _ => t,
    }
}

/// A code span holding `s` verbatim: fenced with more backticks than it
/// contains in a row. In a table cell `|` must still be escaped (GFM splits
/// cells before it reads code spans).
fn code(s: &str, in_table: bool) -> String {
    let s = clean(s);
    let s = if in_table { s.replace('|', "\\|") } else { s };
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || s.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn location(path: &str, line: Option<u64>) -> String {
    match line {
        Some(l) => format!("{path}:{l}"),
        None => path.to_string(),
    }
}

/// Writes the Markdown report, handing it on in pieces as it grows.
pub fn write(r: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let mut o = Spill::new(out);
    summary(&mut o, r);
    crate::machine::write_markdown(&r.machine, &mut o, text);
    probable_cause(&mut o, r);
    findings(&mut o, r);
    probe(&mut o, r);
    if !r.probe_only() {
        coverage(&mut o, r);
        facts(&mut o, r);
        timeline(&mut o, r);
        spool_items(&mut o, r);
        inputs(&mut o, r);
    }
    o.finish()
}

pub fn render(r: &Report) -> String {
    super::to_string(|out| write(r, out))
}

fn summary(o: &mut Spill<'_>, r: &Report) {
    let v = r.summary.verdict;
    let meaning = match v {
        Verdict::Failing => "Offline IM is not working",
        Verdict::Degraded => "Offline IM works, with problems",
        Verdict::Healthy => "Offline IM looks healthy",
        Verdict::Inconclusive => "nothing to judge Offline IM by",
    };
    let verdict = v.as_str().to_ascii_uppercase();
    let _ = writeln!(o, "# Offline IM diagnosis: {verdict}\n");
    let _ = writeln!(o, "**{}**\n", text(&r.summary.headline));
    let causes: Vec<String> = r
        .summary
        .probable_causes
        .iter()
        .map(|id| format!("{id} {}", text(info(*id).title)))
        .collect();
    let causes = if causes.is_empty() {
        "none".to_string()
    } else {
        causes.join("; ")
    };
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| Verdict | **{}**: {meaning} |", v.as_str());
    let _ = writeln!(
        o,
        "| Findings | {}, {}, {} info |",
        plural(r.summary.errors, "error", "errors"),
        plural(r.summary.warnings, "warning", "warnings"),
        r.summary.infos
    );
    let _ = writeln!(o, "| Probable causes | {causes} |");
    let _ = writeln!(o, "| Scan time (UTC) | {} |", rfc3339(r.scan_time));
    let _ = writeln!(
        o,
        "| Local log times read as | UTC{} |",
        offset_string(r.utc_offset)
    );
    if r.redacted {
        let _ = writeln!(
            o,
            "| Names | pseudonyms (`--redact`), not real addresses or hosts |"
        );
    }
    let _ = writeln!(
        o,
        "| Tool | {} {} (report schema {}) |",
        r.tool.name, r.tool.version, r.schema_version
    );
}

fn probable_cause(o: &mut Spill<'_>, r: &Report) {
    let Some(id) = r.summary.probable_causes.first() else {
        return;
    };
    let title = info(*id).title;
    let _ = writeln!(o, "\n## Probable cause: {id} {}\n", text(title));
    if let Some(f) = r.findings.iter().find(|f| f.rule_id == *id) {
        let _ = writeln!(o, "{}\n", block(&f.message));
        let _ = writeln!(o, "**What to do:** {}", text(&f.remediation));
    }
}

fn findings(o: &mut Spill<'_>, r: &Report) {
    let _ = writeln!(o, "\n## Findings");
    if r.findings.is_empty() {
        let _ = writeln!(o, "\nNone.");
        return;
    }
    for (_, name, group) in severity_groups(r) {
        let _ = writeln!(o, "\n### {name} ({})", group.len());
        for f in group {
            finding(o, f);
        }
    }
}

fn finding(o: &mut Spill<'_>, f: &Finding) {
    let _ = writeln!(
        o,
        "\n#### {} {} ({})\n",
        f.rule_id,
        text(f.title),
        f.severity.as_str()
    );
    let _ = writeln!(o, "{}\n", block(&f.message));
    if !f.evidence.is_empty() {
        let _ = writeln!(o, "Evidence:\n");
    }
    for e in &f.evidence {
        if e.path.is_empty() {
            let _ = writeln!(o, "- {}", text(&e.excerpt));
        } else {
            let _ = writeln!(
                o,
                "- {}: {}",
                code(&location(&e.path, e.line), false),
                code(&e.excerpt, false)
            );
        }
    }
    if !f.evidence.is_empty() {
        o.push('\n');
    }
    let _ = writeln!(o, "**What to do:** {}", text(&f.remediation));
}

fn source_cell(s: Option<&SourceOut>) -> String {
    match s {
        Some(SourceOut {
            path: Some(path),
            line,
            excerpt,
            ..
        }) => format!(
            "{} {}",
            code(&location(path, *line), true),
            code(excerpt, true)
        ),
        Some(s) => format!("command line: {}", code(&s.excerpt, true)),
        None => String::new(),
    }
}

fn facts(o: &mut Spill<'_>, r: &Report) {
    let fa = &r.facts;
    let _ = writeln!(o, "\n## Facts\n");
    let _ = writeln!(o, "| Fact | Value | Source |\n|---|---|---|");
    let users = if fa.sip_users.is_empty() {
        "unknown".to_string()
    } else {
        fa.sip_users
            .iter()
            .map(|u| text(u))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(o, "| Users | {users} | |");
    let build = fa.client_build.as_deref().map_or("unknown".into(), text);
    let _ = writeln!(
        o,
        "| Client build | {build} | {} |",
        source_cell(fa.client_build_source.as_ref())
    );
    let install = match fa.install_type.as_str() {
        "c2r" => "Click-to-Run (c2r)".to_string(),
        "msi" => "MSI (msi): no Offline IM".to_string(),
        other => other.to_string(),
    };
    let _ = writeln!(o, "| Install type | {install} | |");
    let mailbox = match fa.mailbox_location.as_str() {
        "online" => "Exchange Online".to_string(),
        "on_premises" => "Exchange on-premises".to_string(),
        other => other.to_string(),
    };
    let _ = writeln!(
        o,
        "| Mailbox | {mailbox} | {} |",
        source_cell(fa.mailbox_location_source.as_ref())
    );
    let ews = fa
        .ews_url
        .as_deref()
        .map_or("unknown".into(), |u| code(u, true));
    let _ = writeln!(o, "| EWS URL | {ews} | |");
    let p = &fa.policies;
    policy_row(o, "EnableOfflineIM (server)", &p.enable_offline_im);
    policy_row(
        o,
        "EnableIMAutoArchiving (client policy)",
        &p.enable_im_auto_archiving,
    );
    policy_row(
        o,
        "IM auto-archiving (user's option)",
        &p.user_im_auto_archiving,
    );
}

fn policy_row(o: &mut Spill<'_>, name: &str, s: &Option<SettingOut>) {
    let value = match s {
        Some(s) if s.value => "True",
        Some(_) => "**False**",
        None => "not seen",
    };
    let _ = writeln!(
        o,
        "| {name} | {value} | {} |",
        source_cell(s.as_ref().map(|s| &s.source))
    );
}

fn timeline(o: &mut Spill<'_>, r: &Report) {
    if r.attempts.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n## Offline messages in the logs ({})",
        r.attempts.len()
    );
    let items = ItemsByPath::new(&r.spool_items);
    for a in r.attempts.iter() {
        attempt(o, r, &a, &items);
    }
}

fn attempt(o: &mut Spill<'_>, r: &Report, a: &AttemptOut, items: &ItemsByPath<'_>) {
    let offset = Some(r.utc_offset);
    let id = a.id.map(text).unwrap_or_default();
    let to = text(a.recipient.unwrap_or("unknown recipient"));
    let from = a
        .user
        .map(|u| format!(" from {}", text(u)))
        .unwrap_or_default();
    let outcome = a.outcome.as_str().replace('_', " ");
    let _ = writeln!(o, "\n### Message {id} to {to}{from}: {outcome}\n");
    let _ = writeln!(
        o,
        "| Time (UTC) | Local (UTC{}) | Event | Where | Excerpt |\n|---|---|---|---|---|",
        offset_string(r.utc_offset)
    );
    for e in &a.evidence {
        let t = event_time(e);
        let (utc, local) = match (t, offset) {
            (Some(t), Some(off)) => (
                t.format("%Y-%m-%d %H:%M:%S").to_string(),
                t.with_timezone(&off).format("%H:%M:%S").to_string(),
            ),
            _ => ("unknown".into(), String::new()),
        };
        let _ = writeln!(
            o,
            "| {utc} | {local} | {} | {} | {} |",
            text(e.event),
            code(&location(&e.path, e.line), true),
            code(e.excerpt, true)
        );
    }
    if a.events_dropped > 0 {
        let _ = writeln!(o, "\n{} more events not kept.", a.events_dropped);
    }
    for p in &a.spool_items {
        let state = items.state_suffix(p);
        let _ = writeln!(o, "\nIn the History Spooler{state}: {}", code(p, false));
    }
    if a.outcome == Outcome::Expired {
        let _ = writeln!(o, "\nNothing logged after the two-minute timer ran out.");
    }
}

fn spool_items(o: &mut Spill<'_>, r: &Report) {
    if r.spool_items.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## History Spooler items ({})\n", r.spool_items.len());
    let _ = writeln!(
        o,
        "| State | Age | Sent (UTC) | Recipient | Format | Path |\n|---|---|---|---|---|---|"
    );
    for i in r.spool_items.iter() {
        let mut state = i.state.as_str().to_string();
        if matches!(
            i.attempt_outcome,
            Some(Outcome::Delivered | Outcome::DeliveredLate)
        ) {
            state.push_str(" (delivered per the log)");
        }
        let mut path = code(&i.path, true);
        if let Some(p) = &i.problem {
            let _ = write!(path, " {}", text(p));
        }
        if let Some(s) = &i.subject {
            let _ = write!(path, " subject: {}", code(s, true));
        }
        let source = match i.sent_at_source.as_str() {
            "content" => "",
            _ => " (file time)",
        };
        let _ = writeln!(
            o,
            "| {state} | {} | {}{source} | {} | {} | {path} |",
            human_duration(i.age_seconds),
            rfc3339(i.sent_at),
            super::recipient_list(i.recipients, text).unwrap_or_else(|| "unknown".to_string()),
            i.format.as_str(),
        );
    }
}

fn probe(o: &mut Spill<'_>, r: &Report) {
    let Some(p) = &r.probe else { return };
    let _ = writeln!(o, "\n## Live probe\n");
    for l in super::probe_words::preamble(p) {
        let _ = writeln!(o, "- {}", text(&l));
    }
    for t in super::probe_words::targets(p) {
        let _ = writeln!(o, "\n### {}\n", text(&t.heading));
        for s in &t.steps {
            let _ = writeln!(o, "- {}", text(s));
        }
    }
}

fn coverage(o: &mut Spill<'_>, r: &Report) {
    let _ = writeln!(o, "\n## What oimdiag could judge\n");
    for l in super::coverage_lines(r) {
        let _ = writeln!(o, "- {}", text(&l));
    }
}

fn inputs(o: &mut Spill<'_>, r: &Report) {
    let ins = &r.inputs;
    let _ = writeln!(o, "\n## What was scanned\n");
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
    let _ = writeln!(
        o,
        "{} read{read}, {} skipped.",
        plural(ins.scanned.len(), "file", "files"),
        ins.skipped.len()
    );
    let noted: Vec<_> = ins.scanned.iter().filter(|s| s.note.is_some()).collect();
    if !noted.is_empty() {
        let _ = writeln!(o, "\n| Read with a note | Note |\n|---|---|");
        for s in noted {
            let _ = writeln!(
                o,
                "| {} | {} |",
                code(&s.path.to_string_lossy(), true),
                text(s.note.as_deref().unwrap_or_default())
            );
        }
    }
    if !ins.skipped.is_empty() {
        let _ = writeln!(o, "\n| Skipped | Reason |\n|---|---|");
        for s in ins.skipped.iter().take(MAX_SKIPPED_SHOWN) {
            let _ = writeln!(o, "| {} | {} |", code(&s.path, true), text(&s.reason));
        }
        if ins.skipped.len() > MAX_SKIPPED_SHOWN {
            let _ = writeln!(
                o,
                "\n… and {} more skipped (all listed with `--format json`).",
                ins.skipped.len() - MAX_SKIPPED_SHOWN
            );
        }
    }
    if !ins.limits.is_empty() {
        let _ = writeln!(o, "\nLimits that bit:\n");
        for l in &ins.limits {
            let _ = writeln!(o, "- {}", text(l));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_are_escaped() {
        assert_eq!(text("a|b*c_d`e<f>"), "a\\|b\\*c\\_d\\`e\\<f\\>");
        assert_eq!(
            text("[x](y) $m$ #1 ~s~ &amp;"),
            "\\[x\\](y) \\$m\\$ \\#1 \\~s\\~ \\&amp;"
        );
        assert_eq!(text("alice@contoso.com @team"), "alice@contoso.com \\@team");
        assert_eq!(text("esc\u{1b}[31m"), "esc\\\\u{1b}\\[31m");
    }

    #[test]
    fn a_paragraph_cannot_become_a_list_or_heading() {
        assert_eq!(block("- item"), "\\- item");
        assert_eq!(block("1. first"), "1\\. first");
        assert_eq!(block("3 messages"), "3 messages");
    }

    #[test]
    fn code_spans_outfence_backticks_and_escape_pipes_in_tables() {
        assert_eq!(code("a`b", false), "``a`b``");
        assert_eq!(code("`x", false), "`` `x ``");
        assert_eq!(code("a|b", true), "`a\\|b`");
        assert_eq!(code("a|b", false), "`a|b`");
    }
}
