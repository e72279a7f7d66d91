//! `oimdiag signatures --test FILE...`: how the signature table reads a log.
//! The client's offline-IM and EWS wording is ASSUMED (BRIEF §3.4), so when
//! a scan recognises nothing (OIM062) this shows, record by record, which
//! signature matched and which lines mention EWS, offline messages,
//! Exchange, autodiscover or conversation history without matching: the
//! lines to write a `--signatures` file for.
//!
//! Only each record's first line is shown (a SIP packet's headers and body
//! are in its continuation lines, never printed), cut to 160 characters.

use chrono::FixedOffset;
use oimdiag_evidence::scan::{classify, tracerpt, uccapilog};
use oimdiag_evidence::signatures::Signatures;
use oimdiag_report::text::clean;
use oimdiag_vocab::events::{Record, SigFields};
use oimdiag_vocab::found::InputKind;
use std::fmt::Write;
use std::path::Path;

/// Words that make an unmatched line worth showing (case-insensitive).
const TELLING_WORDS: &[&str] = &[
    "ews",
    "offline",
    "exchange",
    "autodiscover",
    "conversation history",
];

const EXCERPT_CHARS: usize = 160;

/// What one file gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub records: u64,
    pub matched: u64,
    pub unmatched_telling: u64,
}

/// Reads `path` as a scan would and writes, per record, what matched; then
/// a summary line. `Err` when the file is not a log (with the reason).
pub fn test_file(path: &Path, sigs: &Signatures, out: &mut String) -> Result<Tally, String> {
    let kind = classify::classify(path)?;
    if !kind.is_log() {
        return Err(format!(
            "read as {}, not a log (a UccApilog or a tracerpt CSV export)",
            kind_name(kind)
        ));
    }
    let file = oimdiag_evidence::fsread::open_evidence(path).map_err(|e| {
        format!(
            "cannot be read: {}",
            oimdiag_evidence::fsread::describe_io_error(&e)
        )
    })?;
    // Times are not shown, so the offset does not matter.
    let utc = FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!("0 is a valid offset"));
    let mut tally = Tally::default();
    let _ = writeln!(
        out,
        "{} ({})",
        clean(&path.display().to_string()),
        kind_name(kind)
    );
    let mut on_record = |r: Record| {
        tally.records += 1;
        let text = r.text.trim();
        match sigs.match_text(text) {
            Some((event, fields)) => {
                tally.matched += 1;
                let _ = writeln!(
                    out,
                    "  line {:>6}  {:<24} {}{}",
                    r.line,
                    event.name(),
                    excerpt(text),
                    captures(&fields)
                );
            }
            None if is_telling(text) => {
                tally.unmatched_telling += 1;
                let _ = writeln!(
                    out,
                    "  line {:>6}  {:<24} {}",
                    r.line,
                    "(no signature)",
                    excerpt(text)
                );
            }
            None => {}
        }
    };
    let read = match kind {
        InputKind::Uccapilog => uccapilog::read_records(file, &utc.into(), &mut on_record),
        InputKind::TracerptCsv => {
            tracerpt::read_records(file, &utc.into(), sigs.type_words(), &mut on_record)
        }
        _ => unreachable!("only logs get here"),
    };
    read.map_err(|e| {
        format!(
            "reading broke off: {}",
            oimdiag_evidence::fsread::describe_io_error(&e)
        )
    })?;
    let _ = writeln!(
        out,
        "  {} records: {} matched a signature, {} more mention EWS, offline, Exchange, \
         autodiscover or conversation history without matching.",
        tally.records, tally.matched, tally.unmatched_telling
    );
    Ok(tally)
}

fn kind_name(k: InputKind) -> &'static str {
    match k {
        InputKind::Uccapilog => "UccApilog",
        InputKind::TracerptCsv => "tracerpt CSV export",
        InputKind::AdminExport => "admin export",
        InputKind::SpoolItem => "spool item",
        InputKind::ClientBinary => "client executable",
    }
}

fn is_telling(text: &str) -> bool {
    let lower = text.to_lowercase();
    TELLING_WORDS.iter().any(|w| lower.contains(w))
}

fn excerpt(text: &str) -> String {
    let mut s: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        s.push('…');
    }
    clean(&s)
}

/// " [id=42 recipient=bob@contoso.com status=401]": what the signature captured.
fn captures(f: &SigFields) -> String {
    let mut parts = Vec::new();
    let mut add = |name: &str, v: Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{name}={}", clean(&v)));
        }
    };
    add("id", f.id.clone());
    add("recipient", f.recipient.clone());
    add("url", f.url.clone());
    add("url2", f.url2.clone());
    add("status", f.status.map(|s| s.to_string()));
    add("file", f.file.clone());
    add("ok", f.ok.map(|o| o.to_string()));
    if parts.is_empty() {
        String::new()
    } else {
        format!("  [{}]", parts.join(" "))
    }
}
