//! Writing the report: to stdout, or atomically to `--output` (a temporary
//! file beside the target, then a rename), never replacing a file unless
//! `--force` says so. Reports are streamed: a renderer writes into a buffered
//! [`Sink`] as it goes, so a report of 100,000 items is never held whole.
//!
//! Line endings: on Windows, reports for people (text, Markdown) written to a
//! file with `--output` get CRLF, as Windows programs write them, so that
//! Notepad before Windows 10 1809 (still on Server 2016) shows lines. JSON and
//! NDJSON keep LF everywhere, so a machine report is byte-identical on every
//! platform; stdout keeps LF too (consoles, PowerShell and pipes take it, and
//! what a program prints stays the same on every platform). Reports are UTF-8
//! without a BOM (RFC 8259 forbids one in JSON). On a Windows console Rust's
//! std writes UTF-16 through WriteConsoleW, so non-ASCII text shows correctly
//! whatever the console code page.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Where a renderer writes: buffered, so serde's many small writes stay cheap.
pub type Sink<'a> = io::BufWriter<&'a mut dyn Write>;

const SINK_BYTES: usize = 64 * 1024;

/// Who a report is for, which decides its line endings in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// JSON, NDJSON, HTML: LF on every platform.
    Machine,
    /// Text, Markdown: CRLF in a file on Windows.
    People,
}

/// Whether a file written for `reader` on this platform gets CRLF.
fn wants_crlf(reader: Reader) -> bool {
    cfg!(windows) && reader == Reader::People
}

/// LF → CRLF on the way to `inner`, leaving existing CRLF alone, also when a
/// CR ends one write and its LF starts the next.
struct Crlf<W: Write> {
    inner: W,
    after_cr: bool,
}

impl<W: Write> Write for Crlf<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut start = 0;
        for i in memchr::memchr_iter(b'\n', buf) {
            let cr_before = if i == 0 {
                self.after_cr
            } else {
                buf[i - 1] == b'\r'
            };
            if !cr_before {
                self.inner.write_all(&buf[start..i])?;
                self.inner.write_all(b"\r")?;
                start = i;
            }
        }
        self.inner.write_all(&buf[start..])?;
        if let Some(&last) = buf.last() {
            self.after_cr = last == b'\r';
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `text` (a rule list, the schema...) to stdout.
pub fn write_stdout(text: &str) -> io::Result<()> {
    stream_stdout(|w| w.write_all(text.as_bytes()))
}

/// Streams what `render` writes to stdout. `oimdiag scan | head` closing the
/// pipe is not an error worth a word.
pub fn stream_stdout(render: impl FnOnce(&mut Sink<'_>) -> io::Result<()>) -> io::Result<()> {
    let mut lock = io::stdout().lock();
    let mut sink = io::BufWriter::with_capacity(SINK_BYTES, &mut lock as &mut dyn Write);
    let done = render(&mut sink).and_then(|_| sink.flush());
    match done {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            // What is still buffered cannot go anywhere either.
            let _ = sink.into_parts();
            Ok(())
        }
        other => other,
    }
}

/// Checks `--output` before anything is scanned, so a scan of minutes is
/// not lost to a target that was never going to be written, and nothing
/// that is not a report is ever replaced. Refused (with a plain message):
/// a missing folder, a folder, anything that is not a regular file (a
/// device, FIFO, socket, or a link to one), an existing file without
/// `--force`, a place inside a scanned History Spooler, and an existing
/// file below a scanned root that is not an oimdiag report (evidence).
/// `-` is stdout: `None`.
pub fn check_target(
    path: &Path,
    force: bool,
    roots: &[PathBuf],
) -> Result<Option<PathBuf>, String> {
    if path.as_os_str() == "-" {
        return Ok(None);
    }
    let shown = path.display();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name() else {
        return Err(format!("{shown} names a folder, not a file: name a file"));
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(format!("{} is not a folder", dir.display())),
        Err(_) => return Err(format!("folder {} does not exist", dir.display())),
    }
    let abs = std::fs::canonicalize(dir)
        .map(|d| d.join(name))
        .unwrap_or_else(|_| path.to_path_buf());
    let roots: Vec<PathBuf> = roots
        .iter()
        .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone()))
        .collect();
    let scanned_root = roots.iter().find(|r| abs.starts_with(r));
    if scanned_root.is_some() {
        // Below the root, or the root itself inside a spooler.
        let in_spooler = abs.ancestors().skip(1).any(|a| {
            a.file_name()
                .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("History Spooler"))
        });
        if in_spooler {
            return Err(format!(
                "{shown} is inside a History Spooler that is being scanned: every file there is \
                 read as a message; write the report elsewhere"
            ));
        }
    }
    let meta = match path.symlink_metadata() {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Some(path.to_path_buf())),
        Err(e) => return Err(format!("{shown} cannot be checked: {e}")),
    };
    let kind = |t: std::fs::FileType| -> Option<&'static str> {
        if t.is_dir() {
            Some("a folder")
        } else if t.is_file() {
            None
        } else {
            Some("not a regular file (a device, FIFO or socket)")
        }
    };
    if meta.file_type().is_symlink() {
        match std::fs::metadata(path) {
            Ok(t) if kind(t.file_type()).is_none() => {}
            Ok(t) => {
                return Err(format!(
                    "{shown} is a link to {}: not replaced; name a regular file",
                    kind(t.file_type()).unwrap_or("something else")
                ))
            }
            Err(_) => {
                return Err(format!(
                    "{shown} is a link to nothing: not replaced; name a regular file"
                ))
            }
        }
    } else if let Some(k) = kind(meta.file_type()) {
        return Err(if meta.is_dir() {
            format!("{shown} is a folder: name a file")
        } else {
            format!("{shown} is {k}: not replaced; name a regular file")
        });
    }
    if !force {
        return Err(format!("{shown} already exists; add --force to replace it"));
    }
    if scanned_root.is_some() && !is_report(path) {
        return Err(format!(
            "{shown} is one of the files being scanned, and not an oimdiag report: it is \
             evidence and is never replaced; write the report elsewhere"
        ));
    }
    Ok(Some(path.to_path_buf()))
}

/// Whether an existing file is an oimdiag report (which a scan skips, and
/// `--force` may replace).
fn is_report(path: &Path) -> bool {
    let Ok(mut f) = oimdiag_evidence::fsread::open_evidence(path) else {
        return false;
    };
    let Ok(head) = oimdiag_evidence::fsread::read_prefix(&mut f, 16 * 1024) else {
        return false;
    };
    oimdiag_evidence::scan::classify::is_own_report(
        &oimdiag_evidence::scan::encoding::decode(&head).text,
    )
}

/// Streams what `render` writes into `path`: into a temporary file beside
/// it, synced, then renamed into place, so a reader never sees half a
/// report; an existing file is replaced only with `force`.
pub fn stream_file(
    path: &Path,
    force: bool,
    reader: Reader,
    render: impl FnOnce(&mut Sink<'_>) -> io::Result<()>,
) -> Result<(), String> {
    let shown = path.display();
    if !force && path.symlink_metadata().is_ok() {
        return Err(format!("{shown} already exists; add --force to replace it"));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".oimdiag-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write beside {shown}: {e}"))?;
    let written = {
        let mut file = tmp.as_file();
        let mut crlf;
        let inner: &mut dyn Write = if wants_crlf(reader) {
            crlf = Crlf {
                inner: file,
                after_cr: false,
            };
            &mut crlf
        } else {
            &mut file
        };
        let mut sink = io::BufWriter::with_capacity(SINK_BYTES, inner);
        let done = render(&mut sink).and_then(|_| sink.flush());
        if done.is_err() {
            // Nothing more is written; the temporary file is removed on drop.
            let _ = sink.into_parts();
        }
        done
    };
    written
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    set_mode(tmp.as_file(), path);
    let persisted = if force {
        tmp.persist(path).map(|_| ())
    } else {
        // No-clobber even if the file appeared since the check above.
        tmp.persist_noclobber(path).map(|_| ())
    };
    persisted.map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            format!("{shown} already exists; add --force to replace it")
        } else {
            format!("cannot write {shown}: {}", e.error)
        }
    })
}

/// The temporary file is created private (0600); the report gets what a
/// new file gets (0666 less the umask), or the mode of the file it replaces.
#[cfg(unix)]
fn set_mode(tmp: &std::fs::File, target: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(target) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(_) => {
            // SAFETY: umask only swaps the process's file mode mask; it is
            // put back at once, and no other thread creates files now.
            let mask = unsafe {
                let m = libc::umask(0o022);
                libc::umask(m);
                m
            };
            0o666 & !(mask as u32)
        }
    };
    let _ = tmp.set_permissions(std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(_tmp: &std::fs::File, _target: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: LF → CRLF over the whole text at once.
    fn to_crlf(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, &b) in s.iter().enumerate() {
            if b == b'\n' && (i == 0 || s[i - 1] != b'\r') {
                out.push(b'\r');
            }
            out.push(b);
        }
        out
    }

    fn crlf_in_pieces(s: &[u8], cuts: &[usize]) -> Vec<u8> {
        let mut w = Crlf {
            inner: Vec::new(),
            after_cr: false,
        };
        let mut at = 0;
        for &c in cuts.iter().chain([s.len()].iter()) {
            let c = c.clamp(at, s.len());
            w.write_all(&s[at..c]).unwrap();
            at = c;
        }
        w.inner
    }

    #[test]
    fn crlf_conversion_in_any_pieces() {
        let s = "a\nb\r\nc\n\n—\r\n\r\nend".as_bytes();
        let want = b"a\r\nb\r\nc\r\n\r\n\xe2\x80\x94\r\n\r\nend".to_vec();
        assert_eq!(to_crlf(s), want);
        // Every way of cutting it in two or three writes, including between
        // a CR and its LF and inside the multibyte dash.
        for i in 0..=s.len() {
            for j in i..=s.len() {
                assert_eq!(crlf_in_pieces(s, &[i, j]), want, "cut at {i}, {j}");
            }
        }
        assert_eq!(crlf_in_pieces(b"", &[]), b"");
        assert_eq!(crlf_in_pieces(b"\n", &[0]), b"\r\n");
        assert_eq!(crlf_in_pieces(b"\r\n", &[1]), b"\r\n");
    }

    fn put(text: &'static str) -> impl FnOnce(&mut Sink<'_>) -> io::Result<()> {
        move |w| w.write_all(text.as_bytes())
    }

    #[test]
    fn output_file_is_written_once_and_not_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("Ticket 42").join("report.txt");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        stream_file(&p, false, Reader::People, put("line one\nline two\n")).unwrap();
        let want: &[u8] = if cfg!(windows) {
            b"line one\r\nline two\r\n"
        } else {
            b"line one\nline two\n"
        };
        assert_eq!(std::fs::read(&p).unwrap(), want);
        let e = stream_file(&p, false, Reader::People, put("other\n")).unwrap_err();
        assert!(e.contains("already exists"), "{e}");
        stream_file(&p, true, Reader::Machine, put("{\n}\n")).unwrap();
        assert_eq!(
            std::fs::read(&p).unwrap(),
            b"{\n}\n",
            "JSON keeps LF everywhere"
        );
        let left: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_report_that_fails_halfway_replaces_nothing_and_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("report.json");
        std::fs::write(&p, "the old report\n").unwrap();
        let e = stream_file(&p, true, Reader::Machine, |w| {
            w.write_all(&[b'x'; 3 * SINK_BYTES])?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(e.contains("cannot write") && e.contains("disk full"), "{e}");
        assert_eq!(std::fs::read(&p).unwrap(), b"the old report\n");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "the temporary file is removed");
    }

    #[test]
    fn a_long_report_arrives_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("report.md");
        let line = "| stuck | 3 days | `History Spooler/item.hist` |\n";
        stream_file(&p, false, Reader::People, |w| {
            for _ in 0..20_000 {
                w.write_all(line.as_bytes())?;
            }
            Ok(())
        })
        .unwrap();
        let got = std::fs::read_to_string(&p).unwrap();
        let one = if cfg!(windows) {
            line.replace('\n', "\r\n")
        } else {
            line.to_string()
        };
        assert_eq!(got, one.repeat(20_000));
    }
}
