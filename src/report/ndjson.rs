//! `--format ndjson`: the report as one JSON record per line, for log
//! pipelines. First a `header` (summary and facts), then one record per
//! finding, spool item, attempt, scanned and skipped input. Each record has a
//! `type` and otherwise exactly the fields of the same object in the JSON
//! report, serialised from the same model.

use super::model::{FactsOut, Report, Summary, Tool};
use serde::Serialize;

#[derive(Serialize)]
struct Header<'a> {
    schema_version: &'a str,
    tool: &'a Tool,
    scan_time: &'a str,
    utc_offset: &'a str,
    redacted: bool,
    summary: &'a Summary,
    facts: &'a FactsOut,
    inputs: InputCounts,
    /// How many records follow the header, so a cut stream can be told apart.
    records: usize,
}

#[derive(Serialize)]
struct InputCounts {
    scanned: usize,
    skipped: usize,
}

#[derive(Serialize)]
struct Record<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    data: &'a T,
}

pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let mut line = |kind: &'static str, value: &dyn erased::Ser| {
        out.push_str(&value.to_line(kind));
        out.push('\n');
    };
    let records = r.findings.len()
        + r.spool_items.len()
        + r.attempts.len()
        + r.inputs.scanned.len()
        + r.inputs.skipped.len();
    let header = Header {
        schema_version: r.schema_version,
        tool: &r.tool,
        scan_time: &r.scan_time,
        utc_offset: &r.utc_offset,
        redacted: r.redacted,
        summary: &r.summary,
        facts: &r.facts,
        inputs: InputCounts {
            scanned: r.inputs.scanned.len(),
            skipped: r.inputs.skipped.len(),
        },
        records,
    };
    line("header", &header);
    r.findings.iter().for_each(|f| line("finding", f));
    r.spool_items.iter().for_each(|i| line("spool_item", i));
    r.attempts.iter().for_each(|a| line("attempt", a));
    r.inputs.scanned.iter().for_each(|s| line("scanned", s));
    r.inputs.skipped.iter().for_each(|s| line("skipped", s));
    out
}

/// Lets one closure take records of different types.
mod erased {
    use super::Record;
    use serde::Serialize;

    pub trait Ser {
        fn to_line(&self, kind: &'static str) -> String;
    }

    impl<T: Serialize> Ser for T {
        fn to_line(&self, kind: &'static str) -> String {
            serde_json::to_string(&Record { kind, data: self })
                .expect("the report model always serialises")
        }
    }
}
