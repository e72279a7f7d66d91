//! `--format json`: the report model as one JSON object.

use super::Report;
use std::io::{self, Write};

/// The report written as it is serialised, never held whole.
pub fn write(report: &Report, mut w: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, report)?;
    w.write_all(b"\n")
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("the report model always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
