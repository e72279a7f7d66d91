//! Opening evidence: read-only, never following a link into something else,
//! never blocking on a FIFO or device, and (where the OS allows) without
//! touching the access time. Every read of a user file goes through here.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Opens `path` for reading only. Fails with a plain reason when the path is
/// not (or is no longer) a regular file.
pub fn open_evidence(path: &Path) -> io::Result<File> {
    let file = open_readonly(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

#[cfg(unix)]
fn open_readonly(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: a FIFO swapped in after listing must not hang the scan.
    // O_NOFOLLOW: a file swapped for a symlink after listing is refused.
    let base = libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // O_NOATIME keeps the access time as it was; only the owner (or root)
        // may ask for it, so fall back without it.
        match OpenOptions::new()
            .read(true)
            .custom_flags(base | libc::O_NOATIME)
            .open(path)
        {
            Ok(f) => return Ok(f),
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            Err(e) => return Err(e),
        }
    }
    OpenOptions::new().read(true).custom_flags(base).open(path)
}

#[cfg(windows)]
fn open_readonly(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    // FILE_FLAG_OPEN_REPARSE_POINT: open a link itself rather than its target.
    // Share read/write/delete so a running client is never blocked by us.
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
    const FILE_SHARE_ALL: u32 = 0x1 | 0x2 | 0x4;
    OpenOptions::new()
        .read(true)
        .share_mode(FILE_SHARE_ALL)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

#[cfg(not(any(unix, windows)))]
fn open_readonly(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

/// Reads at most `limit` bytes from the start of `file`. A file of gigabytes
/// costs one bounded read.
pub fn read_prefix(file: &mut File, limit: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(limit.min(64 * 1024));
    file.take(limit as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// A short, user-facing reason for an I/O error.
pub fn describe_io_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "vanished before it could be read".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::InvalidInput => e.to_string(),
        _ => match e.raw_os_error() {
            #[cfg(unix)]
            Some(libc::ELOOP) => "symbolic link: not followed".to_string(),
            #[cfg(unix)]
            Some(libc::ENXIO) => "not a regular file (device or socket)".to_string(),
            _ => e.to_string(),
        },
    }
}
