//! `--format json`: the report model as `serde_json::to_writer_pretty`
//! writes it, plus a final newline.
//!
//! Nothing here formats JSON by hand. The long lists are serialised an
//! element at a time from what the scan holds (`SpoolItems` and `Attempts`
//! build each element's view as it is written; the findings and the files
//! scanned are the report's own vectors), into the buffered sink of
//! `output`: the report is never held whole as a `String` or a `Value`.

use crate::model::Report;
use std::io::{self, Write};

/// The report written as it is serialised, never held whole.
pub fn write(report: &Report, mut w: impl Write) -> io::Result<()> {
    // A failed write comes back as the writer's own error (`From` unwraps it).
    serde_json::to_writer_pretty(&mut w, report)?;
    w.write_all(b"\n")
}

/// The report as a string (the fuzz harness, tests).
pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).expect("the report model always serialises");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}
