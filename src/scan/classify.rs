//! Recognising a file outside `History Spooler` by its content, not its name:
//! a helpdesk renames and zips files freely.

use crate::fsread;
use crate::model::InputKind;
use crate::scan::text;
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

const SNIFF_LIMIT: usize = 16 * 1024;

static UCCAPI_RECORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^\d{2}/\d{2}/\d{4}\|\d{2}:\d{2}:\d{2}\.\d{3} +[0-9A-Fa-f]+:[0-9A-Fa-f]+ +[A-Za-z]+ +::")
        .expect("valid regex")
});

/// What the file is, or why it is skipped.
pub fn classify(path: &Path) -> Result<InputKind, String> {
    let bytes = fsread::open_evidence(path)
        .and_then(|mut f| fsread::read_prefix(&mut f, SNIFF_LIMIT))
        .map_err(|e| format!("cannot be read: {}", fsread::describe_io_error(&e)))?;
    if bytes.is_empty() {
        return Err("empty file".into());
    }
    if is_etl(path, &bytes) {
        return Err(
            "binary ETL trace: export it with `tracerpt <file>.etl -of CSV -o <file>.csv` \
                    and scan the CSV"
                .into(),
        );
    }
    let decoded = text::decode(&bytes);
    let t = decoded.text.as_str();
    if !text::is_texty(t) {
        return Err("binary file of unknown format".into());
    }
    if UCCAPI_RECORD.is_match(t) {
        return Ok(InputKind::Uccapilog);
    }
    let first_line = t.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first_line.contains("Clock-Time")
        || (first_line.contains("Event Name") && first_line.contains(','))
    {
        return Ok(InputKind::TracerptCsv);
    }
    let lower = t.to_ascii_lowercase();
    if lower.contains("enableofflineim") || lower.contains("enableimautoarchiving") {
        return Ok(InputKind::AdminExport);
    }
    Err("not recognised: not a spool item, UccApilog, tracerpt CSV or admin export".into())
}

fn is_etl(path: &Path, bytes: &[u8]) -> bool {
    let ext_etl = path
        .extension()
        .map(|e| e.eq_ignore_ascii_case("etl"))
        .unwrap_or(false);
    // ETL files are binary buffers; their extension is the reliable tell.
    ext_etl && !text::is_texty(&text::decode(bytes).text)
}
