//! Recognising a file outside `History Spooler` by its content, not its name:
//! a helpdesk renames and zips files freely.

use crate::fsread;
use crate::scan::{admin, encoding, tracerpt, uccapilog};
use oimdiag_vocab::found::InputKind;
use std::path::Path;

const SNIFF_LIMIT: usize = 16 * 1024;

/// A file recognised from its first bytes and held open after them: a
/// reader that goes on from there ([`crate::scan::logs::read_log`])
/// does not open the file and read its start a second time (for 5,000
/// small logs, a sixth of the scan).
pub struct Opened {
    pub(crate) file: fsread::EvidenceFile,
    pub(crate) head: Vec<u8>,
}

/// What the file is, or why it is skipped.
pub fn classify(path: &Path) -> Result<InputKind, String> {
    classify_opened(path).0
}

impl Opened {
    /// `path` opened for reading from its start.
    pub fn open(path: &Path) -> Result<Opened, String> {
        let file = fsread::open_evidence(path).map_err(cannot_read)?;
        Ok(Opened {
            file,
            head: Vec::new(),
        })
    }
}

fn cannot_read(e: std::io::Error) -> String {
    format!("cannot be read: {}", fsread::describe_io_error(&e))
}

/// [`classify`], and the file held open after what was read of it, when it
/// could be read.
pub fn classify_opened(path: &Path) -> (Result<InputKind, String>, Option<Opened>) {
    let mut opened = match Opened::open(path) {
        Ok(o) => o,
        Err(e) => return (Err(e), None),
    };
    match fsread::read_prefix(&mut opened.file, SNIFF_LIMIT) {
        Ok(head) => {
            opened.head = head;
            (classify_head(path, &opened.head), Some(opened))
        }
        Err(e) => (Err(cannot_read(e)), None),
    }
}

/// What the file is, from its first [`SNIFF_LIMIT`] bytes and its name.
fn classify_head(path: &Path, bytes: &[u8]) -> Result<InputKind, String> {
    if bytes.is_empty() {
        return Err("empty file".into());
    }
    if is_etl(path, bytes) {
        return Err(
            "binary ETL trace: export it with `tracerpt <file>.etl -of CSV -o <file>.csv` \
                    and scan the CSV"
                .into(),
        );
    }
    let decoded = encoding::decode(bytes);
    let t: &str = &decoded.text;
    if is_own_report(t) {
        return Err(OWN_REPORT.into());
    }
    // The reader's own prefix parser decides, so what it reads and what is
    // recognised cannot drift apart. A rotated log may begin with the tail of
    // a packet longer than the sniffed prefix: its name then speaks for it.
    // Records come before the binary test (a log may be padded with NULs);
    // the name alone speaks only for text.
    if t.lines().any(|l| uccapilog::parse_prefix(l).is_some()) {
        return Ok(InputKind::Uccapilog);
    }
    if bytes.starts_with(b"MZ") && is_lync_exe(path) {
        return Ok(InputKind::ClientBinary);
    }
    if !encoding::is_texty(t) {
        return Err("binary file of unknown format".into());
    }
    if named_uccapilog(path) {
        return Ok(InputKind::Uccapilog);
    }
    let first_line = t.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first_line.contains("Clock-Time")
        || (first_line.contains("Event Name") && first_line.contains(','))
        || tracerpt::recognises_by_shape(t)
    {
        return Ok(InputKind::TracerptCsv);
    }
    if admin::recognises(&t.to_lowercase()) {
        return Ok(InputKind::AdminExport);
    }
    Err("not recognised: not a spool item, UccApilog, tracerpt CSV or admin export".into())
}

/// A copy of the client's executable: named `lync.exe` in any case (its
/// version resource is read by `installed::pe`).
fn is_lync_exe(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("lync.exe"))
}

/// The skip reason of oimdiag's own reports.
pub const OWN_REPORT: &str = "an oimdiag report, not evidence: not read";

/// How far into a file the marker of an oimdiag report is looked for.
const REPORT_MARKER_WITHIN: usize = 4096;

/// Whether text is one of oimdiag's own reports, in any format it writes
/// (schema 1.x and redacted ones too): each carries the tool's name where
/// a report names its maker, in its first 4 KiB. A report left in a
/// scanned folder would otherwise be read as an admin export (it quotes
/// EnableOfflineIM) and judged again.
pub fn is_own_report(text: &str) -> bool {
    // The first REPORT_MARKER_WITHIN characters: bytes, when they are
    // ASCII (nearly always), without walking them one by one.
    let b = text.as_bytes();
    let head = if b.len() <= REPORT_MARKER_WITHIN {
        text
    } else if b.get(..REPORT_MARKER_WITHIN).is_some_and(<[u8]>::is_ascii) {
        text.get(..REPORT_MARKER_WITHIN).unwrap_or(text)
    } else {
        match text.char_indices().nth(REPORT_MARKER_WITHIN) {
            Some((end, _)) => text.get(..end).unwrap_or(text),
            None => text,
        }
    };
    let head = head.trim_start_matches('\u{feff}').trim_start();
    // JSON (pretty) and NDJSON: the `tool` object.
    let json = head.contains("\"schema_version\"")
        && (head.contains("\"name\": \"oimdiag\"") || head.contains("\"name\":\"oimdiag\""));
    // Markdown: the summary table's Tool row.
    let markdown =
        head.starts_with("# Offline IM diagnosis:") && head.contains("| Tool | oimdiag ");
    // Text: the verdict line, then "Scanned at … by oimdiag X" (wrapped
    // anywhere, so spaces and line ends are one).
    let text = head.starts_with("Verdict: ") && {
        let words: Vec<&str> = head.split_whitespace().collect();
        words.windows(2).any(|w| w == ["by", "oimdiag"])
    };
    json || markdown || text
}

/// `Lync-UccApi-0.UccApilog`, `...-1.UccApilog.bak` and the like.
fn named_uccapilog(path: &Path) -> bool {
    path.file_name()
        .map(|n| {
            n.to_string_lossy()
                .to_ascii_lowercase()
                .contains(".uccapilog")
        })
        .unwrap_or(false)
}

fn is_etl(path: &Path, bytes: &[u8]) -> bool {
    let ext_etl = path
        .extension()
        .map(|e| e.eq_ignore_ascii_case("etl"))
        .unwrap_or(false);
    // ETL files are binary buffers; their extension is the reliable tell.
    ext_etl && !encoding::is_texty(&encoding::decode(bytes).text)
}
