//! The folders spool items lie in, each kept once for all its items.
//!
//! A spooler is one folder of up to 100,000 items, and a whole path each is
//! mostly that folder's path over and over. While the scan reads, an item's
//! `path` is its name in its folder, and the folder is kept here once for
//! the run of items met in it; the whole paths are made after the logs are
//! read, when the memory the reading held has been given back.

use oimdiag_vocab::found::SpoolItem;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct ItemFolders {
    /// For each run of items met in one folder: its first item and the folder.
    runs: Vec<(usize, PathBuf)>,
}

impl ItemFolders {
    /// Notes that item `k` (the next one) lies at `path`; gives what its
    /// `path` is to be until it is made whole: its name in its folder, or
    /// all of `path` when joining the two would not give `path` back
    /// byte for byte (then its folder is the empty path).
    pub(super) fn add(&mut self, k: usize, path: &Path) -> Arc<Path> {
        if let Some(name) = self.name_in_last_folder(path) {
            return Path::new(name).into();
        }
        let split = match (path.parent(), path.file_name()) {
            (Some(dir), Some(name)) if dir.join(name).as_os_str() == path.as_os_str() => {
                Some((dir, Path::new(name)))
            }
            _ => None,
        };
        let (dir, name) = split.unwrap_or((Path::new(""), path));
        if self
            .runs
            .last()
            .is_none_or(|(_, d)| d.as_os_str() != dir.as_os_str())
        {
            self.runs.push((k, dir.to_path_buf()));
        }
        name.into()
    }

    /// `path`'s name, when `path` is the last run's folder, one separator
    /// and a plain name, which joined give `path` back: what `add` would
    /// find by joining them, without building the join for every item of
    /// a folder.
    fn name_in_last_folder<'p>(&self, path: &'p Path) -> Option<&'p OsStr> {
        let (_, dir) = self.runs.last()?;
        let dir = dir.as_os_str().as_encoded_bytes();
        let rest = path
            .as_os_str()
            .as_encoded_bytes()
            .strip_prefix(dir)?
            .strip_prefix(&[std::path::MAIN_SEPARATOR as u8])?;
        // Joining adds a separator only after a folder that does not end in
        // one (or in a drive's `:` on Windows); a name with a separator is
        // not one component, one with `:` may be read as a drive; `.` and
        // `..` are not pushed as names.
        let odd = |b: &u8| *b == b':' || std::path::is_separator(char::from(*b));
        let plain = dir.last().is_some_and(|b| !odd(b))
            && !rest.is_empty()
            && rest != b"."
            && rest != b".."
            && !rest.iter().any(odd);
        if !plain {
            return None;
        }
        #[cfg(unix)]
        let name = Some(std::os::unix::ffi::OsStrExt::from_bytes(rest));
        #[cfg(not(unix))]
        let name = path.file_name().filter(|n| n.as_encoded_bytes() == rest);
        name
    }

    /// The folder of item `k`.
    fn folder(&self, k: usize) -> &Path {
        let run = self.runs.partition_point(|(first, _)| *first <= k);
        run.checked_sub(1)
            .and_then(|r| self.runs.get(r))
            .map_or(Path::new(""), |(_, d)| d.as_path())
    }

    /// The whole path of item `k`, whose `path` is still its name.
    pub fn path_of(&self, k: usize, item: &SpoolItem) -> PathBuf {
        let dir = self.folder(k);
        // Room for both at once: `join` would grow the folder's copy.
        let len = dir.as_os_str().len() + 1 + item.path.as_os_str().len();
        let mut whole = PathBuf::with_capacity(len);
        whole.push(dir);
        whole.push(&item.path);
        whole
    }

    /// Makes every item's `path` whole (its folder joined to its name).
    pub fn make_whole(&self, items: &mut [SpoolItem]) {
        let mut runs = self.runs.iter().peekable();
        let mut dir = Path::new("");
        // One buffer for all: the whole path is copied into the item's own.
        let mut whole = PathBuf::new();
        for (k, item) in items.iter_mut().enumerate() {
            while let Some((_, d)) = runs.next_if(|(first, _)| *first <= k) {
                dir = d;
            }
            whole.clear();
            whole.push(dir);
            whole.push(&item.path);
            item.path = whole.as_path().into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::found_file::FoundFile;
    use chrono::{TimeZone, Utc};

    fn item(path: Arc<Path>) -> SpoolItem {
        let f = FoundFile {
            path,
            link_target: None,
            size: 0,
            mtime: None,
            profile: None,
        };
        crate::scan::spooler::unstated_item(&f, Utc.timestamp_opt(0, 0).unwrap())
    }

    /// Every path, however it is spelled, is given back byte for byte, both
    /// by `path_of` and by `make_whole`, whether its name was found in the
    /// last folder or by joining, in runs of folders that come back.
    #[test]
    fn every_path_comes_back_as_it_was() {
        let dirs = [
            "/a/b/History Spooler",
            "rel/History Spooler",
            "",
            "/",
            "./x/",
            "/a/b/History Spooler/sub",
            "a//b",
            "/a/b/History Spooler",
        ];
        let names = ["0001.hist", "x", ".", "..", "n.hist/", "über.hist"];
        let mut paths = Vec::new();
        for d in dirs {
            for n in names {
                // An item of the folder first: the next is looked for in it.
                paths.push(format!("{d}/first.hist"));
                paths.push(format!("{d}{}{n}", if d.is_empty() { "" } else { "/" }));
                paths.push(format!("{d}{n}"));
            }
        }
        let mut folders = ItemFolders::default();
        let mut items: Vec<SpoolItem> = paths
            .iter()
            .enumerate()
            .map(|(k, p)| item(folders.add(k, Path::new(p))))
            .collect();
        for (k, p) in paths.iter().enumerate() {
            let whole = folders.path_of(k, &items[k]);
            assert_eq!(whole.as_os_str(), Path::new(p).as_os_str(), "{p:?}");
        }
        folders.make_whole(&mut items);
        for (i, p) in items.iter().zip(&paths) {
            assert_eq!(i.path.as_os_str(), Path::new(p).as_os_str(), "{p:?}");
        }
    }

    /// A folder of many items is kept once, not once an item.
    #[test]
    fn a_folder_is_kept_once_for_its_items() {
        let mut folders = ItemFolders::default();
        for k in 0..100 {
            let name = folders.add(
                k,
                &Path::new("/s/History Spooler").join(format!("{k}.hist")),
            );
            assert_eq!(name.as_os_str(), format!("{k}.hist").as_str());
        }
        assert_eq!(folders.runs.len(), 1);
    }
}
