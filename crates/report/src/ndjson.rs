//! `--format ndjson`: the report as one JSON record per line, for log
//! pipelines. First a `header` (summary and facts), then one record per
//! finding, spool item, attempt, scanned and skipped input. Each record has a
//! `type` and otherwise exactly the fields of the same object in the JSON
//! report, serialised from the same model.

use super::model::{FactsOut, Report, Summary, TimeZoneOut, Tool};
use chrono::{DateTime, FixedOffset, Utc};
use oimdiag_analysis::coverage::Coverage;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Header<'a> {
    schema_version: &'a str,
    tool: &'a Tool,
    #[serde(serialize_with = "crate::model::time::instant")]
    scan_time: DateTime<Utc>,
    #[serde(serialize_with = "crate::model::time::maybe")]
    since: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::model::time::offset")]
    utc_offset: FixedOffset,
    time_zone: &'a TimeZoneOut,
    redacted: bool,
    machine: &'a crate::machine::MachineOut,
    summary: &'a Summary,
    coverage: &'a Coverage,
    facts: &'a FactsOut,
    inputs: InputCounts<'a>,
    /// The live probe, as in the JSON report (null unless one ran).
    probe: Option<&'a oimdiag_vocab::probe::ProbeRun>,
    /// How many records follow the header, so a cut stream can be told apart.
    records: usize,
}

#[derive(Serialize)]
struct InputCounts<'a> {
    scanned: usize,
    skipped: usize,
    /// The scan's own limits that bit, as in the JSON report's `inputs`.
    limits: &'a [String],
}

#[derive(Serialize)]
struct Record<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    data: &'a T,
}

/// Writes the records one by one, as they are serialised.
pub fn write(r: &Report, mut w: impl Write) -> io::Result<()> {
    let records = r.findings.len()
        + r.spool_items.len()
        + r.attempts.len()
        + r.inputs.scanned.len()
        + r.inputs.skipped.len();
    let header = Header {
        schema_version: r.schema_version,
        tool: &r.tool,
        scan_time: r.scan_time,
        since: r.since,
        utc_offset: r.utc_offset,
        time_zone: &r.time_zone,
        redacted: r.redacted,
        machine: &r.machine,
        summary: &r.summary,
        coverage: &r.coverage,
        facts: &r.facts,
        inputs: InputCounts {
            scanned: r.inputs.scanned.len(),
            skipped: r.inputs.skipped.len(),
            limits: &r.inputs.limits,
        },
        probe: r.probe.as_ref(),
        records,
    };
    line(&mut w, "header", &header)?;
    for f in &r.findings {
        line(&mut w, "finding", f)?;
    }
    for i in r.spool_items.iter() {
        line(&mut w, "spool_item", &i)?;
    }
    for a in r.attempts.iter() {
        line(&mut w, "attempt", &a)?;
    }
    for s in &r.inputs.scanned {
        line(&mut w, "scanned", s)?;
    }
    for s in &r.inputs.skipped {
        line(&mut w, "skipped", s)?;
    }
    Ok(())
}

fn line<W: Write, T: Serialize>(w: &mut W, kind: &'static str, data: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &Record { kind, data })?;
    w.write_all(b"\n")
}

pub fn render(r: &Report) -> String {
    let mut out = Vec::new();
    write(r, &mut out).expect("the report model always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
