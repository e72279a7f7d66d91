//! Opening evidence: read-only, never following a link into something else,
//! never blocking on a FIFO or device, and (where the OS allows) without
//! touching the access time. Every read of a user file goes through here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// An open evidence file. Reads end at the length the file had when it was
/// opened: a log the client (or anything else) keeps appending to is read as
/// it was then, and the read ends, however fast it grows.
#[derive(Debug)]
pub struct EvidenceFile {
    inner: io::Take<File>,
}

impl EvidenceFile {
    /// The open file (for its metadata; reads go through `EvidenceFile`).
    pub fn file(&self) -> &File {
        self.inner.get_ref()
    }

    /// Reads stop after at most `limit` more bytes (e.g. the size the file
    /// had when it was listed), or sooner at the length it had when opened.
    pub fn at_most(mut self, limit: u64) -> EvidenceFile {
        let left = self.inner.limit().min(limit);
        self.inner.set_limit(left);
        self
    }
}

impl Read for EvidenceFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

/// Opens `path` for reading only. Fails with a plain reason when the path is
/// not (or is no longer) a regular file.
pub fn open_evidence(path: &Path) -> io::Result<EvidenceFile> {
    Ok(open_evidence_with_metadata(path)?.0)
}

/// [`open_evidence`], with the metadata of the file opened.
pub fn open_evidence_with_metadata(path: &Path) -> io::Result<(EvidenceFile, fs::Metadata)> {
    evidence(open_readonly(path)?)
}

/// An opened file as evidence: a regular file, read no further than its
/// length now.
fn evidence(file: File) -> io::Result<(EvidenceFile, fs::Metadata)> {
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let inner = file.take(meta.len());
    Ok((EvidenceFile { inner }, meta))
}

/// A folder held open to open the files in it by name (Linux `openat`): the
/// kernel then looks up one name per file instead of walking the whole path
/// again (a spooler of 100,000 items is opened item after item).
#[cfg(target_os = "linux")]
pub struct Folder(std::os::fd::OwnedFd);

#[cfg(target_os = "linux")]
impl Folder {
    /// Holds `path` open for lookups only (`O_PATH`: nothing is read, no
    /// time moves); a link there is refused.
    pub fn open(path: &Path) -> io::Result<Folder> {
        use std::os::fd::FromRawFd;
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())?;
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: `c` is a NUL-terminated path; the descriptor returned is
        // owned by the `OwnedFd` below and by nothing else.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is not owned elsewhere.
        Ok(Folder(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }))
    }

    /// [`open_evidence_with_metadata`] for the file `name` in this folder,
    /// opened as `open_readonly` opens a path.
    pub fn open_evidence_with_metadata(
        &self,
        name: &std::ffi::OsStr,
    ) -> io::Result<(EvidenceFile, fs::Metadata)> {
        use std::os::fd::{AsRawFd, FromRawFd};
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(name.as_bytes())?;
        let base = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let at = |flags| {
            // SAFETY: `c` is a NUL-terminated name and the folder's
            // descriptor is open for as long as `self` lives.
            unsafe { libc::openat(self.0.as_raw_fd(), c.as_ptr(), flags) }
        };
        let mut fd = at(base | libc::O_NOATIME);
        if fd < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) {
            fd = at(base);
        }
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is not owned elsewhere.
        let file = File::from(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) });
        evidence(file)
    }
}

/// Elsewhere files are opened by path (see [`open_evidence_with_metadata`]).
#[cfg(not(target_os = "linux"))]
pub struct Folder;

#[cfg(not(target_os = "linux"))]
impl Folder {
    pub fn open(_path: &Path) -> io::Result<Folder> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    pub fn open_evidence_with_metadata(
        &self,
        _name: &std::ffi::OsStr,
    ) -> io::Result<(EvidenceFile, fs::Metadata)> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
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
    const GENERIC_READ: u32 = 0x8000_0000;
    const FILE_WRITE_ATTRIBUTES: u32 = 0x0100;
    // The Windows counterpart of O_NOATIME: with FILE_WRITE_ATTRIBUTES on the
    // handle, SetFileTime(last access = 0xFFFFFFFF_FFFFFFFF) tells NTFS not to
    // update the last-access time for reads through this handle. Nothing is
    // written: no time is set, and data can never be written through a handle
    // without FILE_WRITE_DATA. (Attribute access plays no part in sharing
    // checks, so the client's own handles are not disturbed.) Where the ACL
    // denies attribute access, open for reading only, as before.
    let quiet = OpenOptions::new()
        .access_mode(GENERIC_READ | FILE_WRITE_ATTRIBUTES)
        .share_mode(FILE_SHARE_ALL)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path);
    match quiet {
        Ok(f) => {
            keep_access_time(&f);
            Ok(f)
        }
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => OpenOptions::new()
            .read(true)
            .share_mode(FILE_SHARE_ALL)
            .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
            .open(path),
        Err(e) => Err(e),
    }
}

/// Asks Windows not to move the last-access time for reads through `file`
/// (SetFileTime's documented "-1" value). Best effort: a file system that
/// does not support it leaves the time as its own settings decide.
#[cfg(windows)]
fn keep_access_time(file: &File) {
    use std::os::windows::io::AsRawHandle;
    #[repr(C)]
    struct FileTime {
        low: u32,
        high: u32,
    }
    #[link(name = "kernel32")]
    extern "system" {
        fn SetFileTime(
            file: *mut std::ffi::c_void,
            creation: *const FileTime,
            last_access: *const FileTime,
            last_write: *const FileTime,
        ) -> i32;
    }
    let keep = FileTime {
        low: u32::MAX,
        high: u32::MAX,
    };
    // SAFETY: the handle is open for as long as `file` lives; null pointers
    // leave the creation and write times alone, as documented.
    unsafe {
        SetFileTime(
            file.as_raw_handle(),
            std::ptr::null(),
            &keep,
            std::ptr::null(),
        );
    }
}

#[cfg(not(any(unix, windows)))]
fn open_readonly(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

/// Reads at most `limit` more bytes of `file`. A file of gigabytes costs one
/// bounded read.
pub fn read_prefix(file: &mut EvidenceFile, limit: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(limit.min(64 * 1024));
    // Through the file's own bound and `read_to_end`: the standard library
    // reads a `File` into the buffer's room as it is, but zeroes the room
    // first for any other reader (16 KiB for each small log recognised).
    let left = file.inner.limit();
    file.inner.set_limit(left.min(limit as u64));
    let read = file.inner.read_to_end(&mut buf);
    file.inner.set_limit(left - (buf.len() as u64).min(left));
    read?;
    Ok(buf)
}

/// [`read_prefix`] into `buf`, a buffer reused from file to file; returns
/// how many bytes were read: the prefix is `buf[..n]`. The buffer is grown
/// (and zeroed) to `limit` bytes once and keeps them: `read_to_end` zeroes
/// the room it reads into on every call, 100,000 times in a big spooler.
pub fn read_prefix_reusing<R: Read>(
    file: &mut R,
    limit: usize,
    buf: &mut Vec<u8>,
) -> io::Result<usize> {
    if buf.len() < limit {
        buf.resize(limit, 0);
    }
    let room = buf.get_mut(..limit).unwrap_or_default();
    let mut n = 0;
    while let Some(rest) = room.get_mut(n..).filter(|r| !r.is_empty()) {
        match file.read(rest) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A short, user-facing reason for an I/O error.
pub fn describe_io_error(e: &io::Error) -> String {
    #[cfg(windows)]
    if let Some(reason) = describe_windows_error(e) {
        return reason.to_string();
    }
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

/// Windows errors whose system text ("The process cannot access the file
/// because it is being used by another process. (os error 32)") does not say
/// what to do about them.
#[cfg(windows)]
fn describe_windows_error(e: &io::Error) -> Option<&'static str> {
    const ERROR_SHARING_VIOLATION: i32 = 32;
    const ERROR_LOCK_VIOLATION: i32 = 33;
    const ERROR_CANT_ACCESS_FILE: i32 = 1920;
    match e.raw_os_error()? {
        // A running client may hold its files open without sharing them.
        ERROR_SHARING_VIOLATION | ERROR_LOCK_VIOLATION => Some(
            "in use by another program that does not share it (Skype for Business may hold it \
             open): sign out of the client, or scan a copy, and run oimdiag again",
        ),
        ERROR_CANT_ACCESS_FILE => {
            Some("Windows cannot open it (a link or a cloud-file placeholder): not followed")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_bounded_prefix() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("item.hist");
        std::fs::write(&p, b"0123456789").unwrap();
        let mut f = open_evidence(&p).unwrap();
        assert_eq!(read_prefix(&mut f, 4).unwrap(), b"0123");
        // The rest is read from where the prefix stopped, to the file's end.
        assert_eq!(read_prefix(&mut f, 4).unwrap(), b"4567");
        let mut rest = Vec::new();
        f.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"89");
        assert_eq!(read_prefix(&mut f, 4).unwrap(), b"");
    }

    /// A buffer reused from file to file shows each file's own bytes, never
    /// what an earlier, longer one left in it; a file longer than the limit
    /// gives the limit, in reads of any size.
    #[test]
    fn a_reused_buffer_gives_each_file_its_own_prefix() {
        /// Gives its bytes `step` at a time, after an interruption.
        struct Trickle<'a>(&'a [u8], usize, bool);
        impl Read for Trickle<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                if !self.2 {
                    self.2 = true;
                    return Err(io::ErrorKind::Interrupted.into());
                }
                let k = self.1.min(out.len()).min(self.0.len());
                out[..k].copy_from_slice(&self.0[..k]);
                self.0 = &self.0[k..];
                Ok(k)
            }
        }
        let mut buf = Vec::new();
        let long = b"a long item, longer than the limit".as_slice();
        let n = read_prefix_reusing(&mut Trickle(long, 3, false), 11, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"a long item");
        let n = read_prefix_reusing(&mut Trickle(b"short", 2, false), 11, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"short");
        let n = read_prefix_reusing(&mut Trickle(b"", 2, false), 11, &mut buf).unwrap();
        assert_eq!(n, 0);
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("item.hist");
        std::fs::write(&p, b"0123456789").unwrap();
        let mut f = open_evidence(&p).unwrap();
        let n = read_prefix_reusing(&mut f, 11, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"0123456789");
    }

    #[test]
    fn reads_end_at_the_length_at_open_or_at_a_smaller_limit() {
        use std::io::Write;
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("Lync-UccApi-0.UccApilog");
        std::fs::write(&p, b"0123456789").unwrap();
        let mut f = open_evidence(&p).unwrap();
        // Appended after opening: not read.
        let mut w = OpenOptions::new().append(true).open(&p).unwrap();
        w.write_all(b"appended").unwrap();
        let mut all = Vec::new();
        f.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"0123456789");
        assert_eq!(f.file().metadata().unwrap().len(), 18);
        let mut f = open_evidence(&p).unwrap().at_most(4);
        let mut all = Vec::new();
        f.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"0123");
        let mut f = open_evidence(&p).unwrap().at_most(100);
        assert_eq!(read_prefix(&mut f, 1000).unwrap().len(), 18);
    }

    /// Items opened by name in their folder held open are read as by path:
    /// a regular file whole, its access time kept; a link or a FIFO swapped
    /// in is refused, not followed or waited on.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_held_open_opens_its_files_as_paths_do() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("7f3a.hist");
        let content = b"To: <sip:bob@contoso.com>\r\n";
        std::fs::write(&p, content).unwrap();
        let old = filetime::FileTime::from_unix_time(1_577_836_800, 0);
        filetime::set_file_times(
            &p,
            old,
            filetime::FileTime::from_unix_time(1_609_459_200, 0),
        )
        .unwrap();
        std::os::unix::fs::symlink(&p, tmp.path().join("link.hist")).unwrap();
        let fifo = tmp.path().join("fifo.hist");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);

        let folder = Folder::open(tmp.path()).unwrap();
        let (mut f, meta) = folder
            .open_evidence_with_metadata(std::ffi::OsStr::new("7f3a.hist"))
            .unwrap();
        assert_eq!(meta.len(), content.len() as u64);
        assert_eq!(read_prefix(&mut f, 100).unwrap(), content);
        assert_eq!(std::fs::metadata(&p).unwrap().atime(), 1_577_836_800);
        for name in ["link.hist", "fifo.hist", "missing.hist"] {
            let r = folder.open_evidence_with_metadata(std::ffi::OsStr::new(name));
            assert!(r.is_err(), "{name} was opened");
        }
        // A folder reached through a link is not held: items there are opened by path.
        std::os::unix::fs::symlink(tmp.path(), tmp.path().join("again")).unwrap();
        assert!(Folder::open(&tmp.path().join("again")).is_err());
    }

    #[test]
    fn a_folder_is_not_evidence() {
        let tmp = tempfile::tempdir().unwrap();
        // Windows opens a folder only with FILE_FLAG_BACKUP_SEMANTICS: either
        // way it must be refused, never read.
        assert!(open_evidence(tmp.path()).is_err());
    }

    /// Windows only (runs under Wine in CI): a file another program holds
    /// open without sharing is reported with a reason a helpdesk can act on.
    #[cfg(windows)]
    #[test]
    fn a_file_held_open_by_the_client_is_explained() {
        use std::os::windows::fs::OpenOptionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("7f3a9c.hist");
        std::fs::write(&p, b"x").unwrap();
        let _held = OpenOptions::new()
            .read(true)
            .write(true)
            .share_mode(0)
            .open(&p)
            .unwrap();
        let e = open_evidence(&p).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(32), "{e}");
        assert!(describe_io_error(&e).contains("in use by another program"));
    }
}
