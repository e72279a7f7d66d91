//! `--format text`: the report for people. Verdict and headline first, then
//! the probable cause and what to do, findings with evidence, facts, items,
//! and what was scanned. Every string that came from a scanned file is
//! sanitised before it can reach a terminal.

use super::model::{Report, Verdict};
use crate::rules::{rule_info, Severity};
use crate::timefmt::human_duration;
use std::fmt::Write;

const WIDTH: usize = 80;

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let verdict = match r.summary.verdict {
        Verdict::Healthy => "HEALTHY",
        Verdict::Degraded => "DEGRADED",
        Verdict::Failing => "FAILING",
        Verdict::Inconclusive => "INCONCLUSIVE",
    };
    let _ = writeln!(
        o,
        "oimdiag {} — Skype for Business Offline IM diagnosis",
        r.tool.version
    );
    let _ = writeln!(o, "Verdict: {verdict}");
    wrap_into(&mut o, &clean(&r.summary.headline), "", "");
    let _ = writeln!(
        o,
        "Scan time {} (UTC); local log times read as UTC{}.",
        r.scan_time, r.utc_offset
    );

    if let Some(first) = r
        .summary
        .probable_causes
        .first()
        .and_then(|id| rule_info(id))
    {
        let _ = writeln!(o, "\nProbable cause: {} {}", first.id, first.title);
        if let Some(f) = r.findings.iter().find(|f| f.rule_id == first.id) {
            wrap_into(&mut o, &clean(&f.remediation), "  What to do: ", "    ");
        }
        if r.summary.probable_causes.len() > 1 {
            let _ = writeln!(o, "  Also: {}", r.summary.probable_causes[1..].join(", "));
        }
    }

    let _ = writeln!(
        o,
        "\nFindings: {} error(s), {} warning(s), {} info",
        r.summary.errors, r.summary.warnings, r.summary.infos
    );
    for f in &r.findings {
        let sev = match f.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARN ",
            Severity::Info => "INFO ",
        };
        let _ = writeln!(o, "\n[{sev}] {} {}", f.rule_id, f.title);
        wrap_into(&mut o, &clean(&f.message), "  ", "  ");
        for e in &f.evidence {
            if e.path.is_empty() {
                wrap_into(&mut o, &clean(&e.excerpt), "    ", "      ");
                continue;
            }
            let loc = match e.line {
                Some(l) => format!("{}:{l}", clean(&e.path)),
                None => clean(&e.path),
            };
            let _ = writeln!(o, "  - {loc}");
            wrap_into(&mut o, &clean(&e.excerpt), "      ", "      ");
        }
        if f.severity != Severity::Info || f.rule_id == "OIM013" || f.rule_id == "OIM031" {
            wrap_into(&mut o, &clean(&f.remediation), "  What to do: ", "    ");
        }
    }

    let fa = &r.facts;
    let _ = writeln!(o, "\nFacts");
    let users = if fa.sip_users.is_empty() {
        "unknown".to_string()
    } else {
        clean(&fa.sip_users.join(", "))
    };
    let _ = writeln!(o, "  Users:          {users}");
    let build = match (&fa.client_build, &fa.client_build_source) {
        (Some(b), Some(s)) => format!("{b} (from {})", clean(&s.path)),
        (Some(b), None) => b.clone(),
        _ => "unknown".into(),
    };
    let _ = writeln!(o, "  Client build:   {build}");
    let _ = writeln!(o, "  Install type:   {}", enum_str(&fa.install_type));
    let _ = writeln!(
        o,
        "  Mailbox:        {}",
        enum_str(&fa.mailbox_location).replace('_', "-")
    );
    let _ = writeln!(
        o,
        "  EWS URL:        {}",
        fa.ews_url
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "unknown".into())
    );
    let pol = |s: &Option<super::model::SettingOut>| match s {
        Some(s) if s.value => "True".to_string(),
        Some(_) => "False".to_string(),
        None => "not seen".to_string(),
    };
    let _ = writeln!(
        o,
        "  EnableOfflineIM (server):        {}",
        pol(&fa.policies.enable_offline_im)
    );
    let _ = writeln!(
        o,
        "  EnableIMAutoArchiving (policy):  {}",
        pol(&fa.policies.enable_im_auto_archiving)
    );
    let _ = writeln!(
        o,
        "  IM auto-archiving (user option): {}",
        pol(&fa.policies.user_im_auto_archiving)
    );

    if !r.spool_items.is_empty() {
        let _ = writeln!(o, "\nHistory Spooler items ({})", r.spool_items.len());
        for i in &r.spool_items {
            let _ = writeln!(
                o,
                "  {:<7} {:>14}  to {}  [{}]",
                enum_str(&i.state),
                human_duration(i.age_seconds),
                clean(i.recipient.as_deref().unwrap_or("unknown")),
                enum_str(&i.format),
            );
            let _ = writeln!(o, "          {}", clean(&i.path));
        }
    }

    let _ = writeln!(
        o,
        "\nInputs: {} file(s) scanned, {} skipped",
        r.inputs.scanned.len(),
        r.inputs.skipped.len()
    );
    for s in r.inputs.skipped.iter().take(10) {
        let _ = writeln!(o, "  skipped {}", clean(&s.path));
        wrap_into(&mut o, &clean(&s.reason), "      ", "      ");
    }
    if r.inputs.skipped.len() > 10 {
        let _ = writeln!(
            o,
            "  … and {} more (see --format json)",
            r.inputs.skipped.len() - 10
        );
    }
    o
}

fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Makes a string safe for a terminal: control characters (escape sequences
/// among them) and bidirectional overrides become visible escapes, so a
/// hostile file name cannot rewrite the screen.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
        if c.is_control() || bidi {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Word-wraps `text` to the report width, `first` before the first line and
/// `rest` before the others.
fn wrap_into(o: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = String::from(first);
    let mut line_has_word = false;
    for word in text.split_whitespace() {
        let len = line.chars().count() + word.chars().count() + usize::from(line_has_word);
        if line_has_word && len > WIDTH {
            o.push_str(line.trim_end());
            o.push('\n');
            line = String::from(rest);
            line_has_word = false;
        }
        if line_has_word {
            line.push(' ');
        }
        line.push_str(word);
        line_has_word = true;
    }
    if line_has_word {
        o.push_str(&line);
        o.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_neutralised() {
        assert_eq!(clean("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(clean("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(clean("plain é"), "plain é");
    }

    #[test]
    fn wraps_at_width() {
        let mut o = String::new();
        let text = "word ".repeat(40);
        wrap_into(&mut o, &text, "  ", "    ");
        assert!(o.lines().all(|l| l.chars().count() <= WIDTH));
        assert!(o.lines().count() > 1);
    }
}
