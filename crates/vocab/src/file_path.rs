//! A file's path held as its folder and its name: a spooler's 100,000 items
//! share their folder's path instead of holding it 100,000 times.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file's path, as it was met, held in two parts whose bytes, one after
/// the other, are the path: its folder up to and with the separator before
/// the name (shared by the files met in that folder), and its name. A path
/// that does not end in a plain name after a separator is held whole as the
/// name, with an empty folder. Never UTF-8 by assumption: both parts are
/// paths' bytes, split only just after a separator.
#[derive(Debug, Clone)]
pub struct FilePath {
    /// One word (the path's own length is in the folder's allocation):
    /// a word on each of 100,000 items is 0.8 MB.
    folder: Arc<PathBuf>,
    name: Arc<Path>,
}

impl FilePath {
    /// `path`, held whole (its folder is empty).
    pub fn whole(path: &Path) -> FilePath {
        FilePath {
            folder: Arc::new(PathBuf::new()),
            name: path.into(),
        }
    }

    /// `path` as its file name in `folder`, when `path` is `folder`'s bytes
    /// then its file name's, and `folder` ends in a separator: then the two
    /// give `path` back byte for byte, and its file name is the name.
    pub fn in_folder(folder: &Arc<PathBuf>, path: &Path) -> Option<FilePath> {
        let dir = folder.as_os_str().as_encoded_bytes();
        let ends_in_separator = dir
            .last()
            .is_some_and(|b| std::path::is_separator(char::from(*b)));
        let rest = path.as_os_str().as_encoded_bytes().strip_prefix(dir)?;
        if !ends_in_separator {
            return None;
        }
        let name = plain_name(rest)
            .or_else(|| path.file_name().filter(|n| n.as_encoded_bytes() == rest))?;
        Some(FilePath {
            folder: Arc::clone(folder),
            name: Path::new(name).into(),
        })
    }

    /// The folder part: the path up to and with the separator before the
    /// name, or empty when the path is held whole.
    pub fn folder(&self) -> &Arc<PathBuf> {
        &self.folder
    }

    /// The path's file name, as [`Path::file_name`] gives it for the whole.
    pub fn file_name(&self) -> Option<&std::ffi::OsStr> {
        match self.folder.as_os_str().is_empty() {
            true => self.name.file_name(),
            false => Some(self.name.as_os_str()),
        }
    }

    /// The whole path, made.
    pub fn to_path_buf(&self) -> PathBuf {
        match self.folder.as_os_str().is_empty() {
            true => self.name.to_path_buf(),
            false => {
                let (dir, name) = (self.folder.as_os_str(), self.name.as_os_str());
                // Room for both at once: pushing the name would grow the copy.
                let mut s = std::ffi::OsString::with_capacity(dir.len() + name.len());
                s.push(dir);
                s.push(name);
                s.into()
            }
        }
    }

    /// Whether the whole path is valid UTF-8.
    pub fn is_utf8(&self) -> bool {
        self.folder.to_str().is_some() && self.name.to_str().is_some()
    }

    /// The whole path as text, with U+FFFD for what is not UTF-8, as
    /// [`Path::to_string_lossy`] gives it (borrowed when the path is held
    /// whole and UTF-8). Each part's text is the whole's: a part ends just
    /// after a separator, an ASCII byte no character's bytes hold.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        fn shown(p: &Path) -> Cow<'_, str> {
            match p.to_str() {
                Some(s) => Cow::Borrowed(s),
                None => p.to_string_lossy(),
            }
        }
        if self.folder.as_os_str().is_empty() {
            return shown(&self.name);
        }
        let (dir, name) = (shown(&self.folder), shown(&self.name));
        let mut s = String::with_capacity(dir.len() + name.len());
        s.push_str(&dir);
        s.push_str(&name);
        Cow::Owned(s)
    }

    /// The whole path for `{}`, as [`Path::display`] shows it.
    pub fn display(&self) -> impl fmt::Display + '_ {
        Shown(self)
    }

    /// The order of the two whole paths' bytes (as
    /// [`std::ffi::OsStr::as_encoded_bytes`] gives them), without making them.
    pub fn cmp_bytes(&self, other: &FilePath) -> Ordering {
        fn parts(p: &FilePath) -> [&[u8]; 2] {
            [
                p.folder.as_os_str().as_encoded_bytes(),
                p.name.as_os_str().as_encoded_bytes(),
            ]
        }
        if Arc::ptr_eq(&self.folder, &other.folder) {
            return parts(self)[1].cmp(parts(other)[1]);
        }
        let (a, b) = (parts(self), parts(other));
        let (mut ai, mut bi) = (a.iter().copied(), b.iter().copied());
        let (mut x, mut y): (&[u8], &[u8]) = (&[], &[]);
        loop {
            while x.is_empty() {
                match ai.next() {
                    Some(p) => x = p,
                    None => break,
                }
            }
            while y.is_empty() {
                match bi.next() {
                    Some(p) => y = p,
                    None => break,
                }
            }
            if x.is_empty() || y.is_empty() {
                return x.len().cmp(&y.len());
            }
            let n = x.len().min(y.len());
            match x[..n].cmp(&y[..n]) {
                Ordering::Equal => (x, y) = (&x[n..], &y[n..]),
                other => return other,
            }
        }
    }
}

/// Two paths are equal when their bytes are, however each is split.
impl PartialEq for FilePath {
    fn eq(&self, other: &FilePath) -> bool {
        self.cmp_bytes(other) == Ordering::Equal
    }
}

impl Eq for FilePath {}

/// `rest`, the bytes after a separator, when they are one plain name (not
/// empty, `.` or `..`, no separator): the file name of the path they end,
/// found without parsing the path's components (on Unix, where any bytes
/// are a name; elsewhere `Path::file_name` decides).
#[cfg(unix)]
fn plain_name(rest: &[u8]) -> Option<&std::ffi::OsStr> {
    let plain = !rest.is_empty() && rest != b"." && rest != b".." && !rest.contains(&b'/');
    plain.then(|| std::os::unix::ffi::OsStrExt::from_bytes(rest))
}

#[cfg(not(unix))]
fn plain_name(_: &[u8]) -> Option<&std::ffi::OsStr> {
    None
}

struct Shown<'a>(&'a FilePath);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.to_path_buf().display(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(folder: &str, path: &str) -> FilePath {
        let folder = Arc::new(PathBuf::from(folder));
        FilePath::in_folder(&folder, Path::new(path))
            .unwrap_or_else(|| FilePath::whole(path.as_ref()))
    }

    /// Whichever way a path is held, it is given back, shown, named and
    /// ordered as the whole path is.
    #[test]
    fn a_path_in_two_parts_is_the_whole_path() {
        let paths = [
            ("/s/History Spooler/", "/s/History Spooler/1.hist"),
            ("/s/History Spooler/", "/s/History Spooler/1.hist/"),
            ("/s/History Spooler/", "/s/History Spooler/.."),
            ("/s/History Spooler/", "/s/History Spooler/a/b"),
            ("/s/History Spooler", "/s/History Spooler/1.hist"),
            ("/s/", "/s/über.hist"),
            ("", "1.hist"),
            ("/", "/x"),
            ("/a/", "/a//x"),
            ("/s/History Spooler/", "/t/x"),
        ];
        let held: Vec<FilePath> = paths.iter().map(|(f, p)| held(f, p)).collect();
        for (h, (_, p)) in held.iter().zip(paths) {
            let p = Path::new(p);
            assert_eq!(h.to_path_buf().as_os_str(), p.as_os_str());
            assert_eq!(h.file_name(), p.file_name(), "{p:?}");
            assert_eq!(h.to_string_lossy(), p.to_string_lossy());
            assert_eq!(h.display().to_string(), p.display().to_string());
            assert!(h.is_utf8());
        }
        for a in &held {
            for b in &held {
                let bytes = |h: &FilePath| h.to_path_buf().into_os_string().into_encoded_bytes();
                assert_eq!(a.cmp_bytes(b), bytes(a).cmp(&bytes(b)), "{a:?} {b:?}");
            }
        }
        assert!(!held[0].folder().as_os_str().is_empty());
        assert!(held[1].folder().as_os_str().is_empty());
        assert!(held[4].folder().as_os_str().is_empty());
    }

    /// Bytes that are not UTF-8 are shown with U+FFFD as the whole path's are.
    #[cfg(unix)]
    #[test]
    fn a_name_not_utf8_is_shown_as_the_whole_path() {
        use std::os::unix::ffi::OsStrExt;
        let whole = Path::new(std::ffi::OsStr::from_bytes(b"/s/\xffH\xc3/n\xe9.hist"));
        let folder = Arc::new(PathBuf::from(std::ffi::OsStr::from_bytes(b"/s/\xffH\xc3/")));
        let h = FilePath::in_folder(&folder, whole).unwrap();
        assert!(!h.is_utf8());
        assert_eq!(h.to_string_lossy(), whole.to_string_lossy());
        assert_eq!(h.display().to_string(), whole.display().to_string());
        assert_eq!(h.to_path_buf().as_os_str(), whole.as_os_str());
    }
}
