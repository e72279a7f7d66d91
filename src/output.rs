//! Writing the report: to stdout, or atomically to `--output` (a temporary
//! file beside the target, then a rename), never replacing a file unless
//! `--force` says so.

use std::io::{self, Write};
use std::path::Path;

pub fn write_stdout(report: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(report.as_bytes()).and_then(|_| out.flush()) {
        // `oimdiag scan | head` closing the pipe is not an error worth a word.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

pub fn write_file(path: &Path, report: &str, force: bool) -> Result<(), String> {
    let shown = path.display();
    if !force && path.symlink_metadata().is_ok() {
        return Err(format!("{shown} already exists; add --force to replace it"));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".oimdiag-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write beside {shown}: {e}"))?;
    tmp.write_all(report.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
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
