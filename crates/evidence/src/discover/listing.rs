//! Listing a folder as discovery lists it: names sorted, kinds and (on
//! Windows) metadata from the listing itself, without moving the folder's
//! access time where the OS allows; and a file's identity, so a file met
//! twice (through a link, another spelling) is read once.

use super::*;

/// One entry of a folder: its name, and its kind when the listing tells it.
pub(super) struct Entry {
    pub(super) name: OsString,
    pub(super) kind: Option<Kind>,
    /// The entry's metadata, when the listing gave it for free (Windows:
    /// the directory enumeration carries size, times and attributes; asking
    /// each file again costs an open per file, slow under Wine).
    /// Boxed: a listing of 100,000 entries is held while its folder is
    /// walked, and metadata is large (and absent on Unix).
    pub(super) meta: Option<Box<fs::Metadata>>,
    /// Unix: the entry's inode number, as the listing gives it.
    #[cfg(unix)]
    pub(super) ino: u64,
}

/// The names in a folder, sorted, listed as discovery lists folders: without
/// moving the folder's access time where the OS allows (see [`list_dir`]).
pub fn list_names(dir: &Path) -> io::Result<Vec<OsString>> {
    Ok(list_dir(dir)?.into_iter().map(|e| e.name).collect())
}

/// A folder's entries (not `.` and `..`), sorted by name.
///
/// On Linux the folder is opened with `O_NOATIME`, as evidence files are (see
/// `fsread`): listing a folder reads it, and would otherwise move its access
/// time. Only the owner (or root) may ask for that, so it falls back without.
#[cfg(unix)]
pub(super) fn list_dir(dir: &Path) -> io::Result<Vec<Entry>> {
    use std::ffi::{CStr, CString, OsStr};
    use std::os::unix::ffi::OsStrExt;

    let c = CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL byte in the path"))?;
    let base = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
    let open = |flags| {
        // SAFETY: `c` is a NUL-terminated path that outlives the call.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(fd)
        }
    };
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let fd = match open(base | libc::O_NOATIME) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(base),
        other => other,
    }?;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let fd = open(base)?;
    // SAFETY: `fd` is an open directory; fdopendir takes it over (and on
    // failure it is closed here).
    let stream = unsafe { libc::fdopendir(fd) };
    if stream.is_null() {
        let e = io::Error::last_os_error();
        // SAFETY: `fd` is still ours when fdopendir failed.
        unsafe { libc::close(fd) };
        return Err(e);
    }
    let mut entries = Vec::new();
    let result = loop {
        // readdir signals an error only through errno, so it is cleared first.
        // SAFETY: `stream` is open until closedir below; each entry is read
        // (and its name copied) before the next call.
        unsafe {
            *errno() = 0;
            let e = libc::readdir(stream);
            if e.is_null() {
                let err = *errno();
                break if err == 0 {
                    Ok(())
                } else {
                    Err(io::Error::from_raw_os_error(err))
                };
            }
            let name = CStr::from_ptr((*e).d_name.as_ptr()).to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match (*e).d_type {
                libc::DT_DIR => Some(Kind::Dir),
                libc::DT_REG => Some(Kind::File),
                libc::DT_LNK => Some(Kind::Symlink),
                libc::DT_UNKNOWN => None,
                _ => Some(Kind::Other),
            };
            entries.push(Entry {
                name: OsStr::from_bytes(name).to_os_string(),
                kind,
                meta: None,
                ino: (*e).d_ino,
            });
        }
    };
    // SAFETY: closes the stream (and its descriptor) once.
    unsafe { libc::closedir(stream) };
    result?;
    entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

#[cfg(unix)]
pub(super) fn errno() -> *mut libc::c_int {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: returns this thread's errno location.
    unsafe {
        libc::__errno_location()
    }
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    // SAFETY: returns this thread's errno location.
    unsafe {
        libc::__error()
    }
}

#[cfg(not(unix))]
pub(super) fn list_dir(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        entries.push(Entry {
            kind: e.file_type().ok().map(Kind::of),
            name: e.file_name(),
            meta: e.metadata().ok().map(Box::new),
        });
    }
    entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

/// The files met so far, by identity.
pub(super) type Seen = foldhash::HashSet<Identity>;

/// What makes two paths the same file: device and inode where the OS has
/// them, else the canonical path.
#[cfg(unix)]
pub(super) type Identity = (u64, u64);
#[cfg(not(unix))]
pub(super) type Identity = PathBuf;

/// A file's identity from its folder listing: the folder's device (asked
/// once per folder) and the inode number the listing gave. `None` where the
/// listing does not give one.
#[cfg(unix)]
pub(super) fn listing_identity(
    dir: &Path,
    dev: &mut Option<u64>,
    entry: &Entry,
) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    if dev.is_none() {
        *dev = fs::symlink_metadata(dir).ok().map(|m| m.dev());
    }
    Some(((*dev)?, entry.ino))
}

#[cfg(not(unix))]
pub(super) fn listing_identity(
    _dir: &Path,
    _dev: &mut Option<u64>,
    _entry: &Entry,
) -> Option<Identity> {
    None
}

#[cfg(unix)]
pub(super) fn identity(_path: &Path, meta: &fs::Metadata) -> Identity {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Windows: the canonical path (true case, 8.3 short names and links
/// resolved), folded as Windows compares names (see [`dedup_key`]) so that a
/// path that cannot be canonicalised still meets its other spellings.
#[cfg(not(unix))]
pub(super) fn identity(path: &Path, _meta: &fs::Metadata) -> Identity {
    let real = fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf());
    PathBuf::from(super::windows_paths::dedup_key(&real))
}
