//! The folders spool items lie in, each held once for all its items.
//!
//! A spooler is one folder of up to 100,000 items, and a whole path each is
//! mostly that folder's path over and over: an item's path is held as its
//! folder, shared with the items met before it in that folder, and its name.

use oimdiag_vocab::file_path::FilePath;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct ItemFolders {
    /// The folder of the last item met, up to and with its separator.
    last: Option<Arc<PathBuf>>,
}

impl ItemFolders {
    /// `path`, held as its name in its folder (the last item's, when it is
    /// the same), or whole when the two would not give `path` back byte for
    /// byte.
    pub(super) fn add(&mut self, path: &Path) -> FilePath {
        if let Some(p) = self
            .last
            .as_ref()
            .and_then(|f| FilePath::in_folder(f, path))
        {
            return p;
        }
        match Self::folder_of(path).and_then(|f| FilePath::in_folder(&f, path).map(|p| (f, p))) {
            Some((folder, p)) => {
                self.last = Some(folder);
                p
            }
            None => FilePath::whole(path),
        }
    }

    /// `path`'s parent and the separator after it, when that is what comes
    /// before its file name (`in_folder` checks it byte for byte).
    fn folder_of(path: &Path) -> Option<Arc<PathBuf>> {
        let bytes = path.as_os_str().as_encoded_bytes();
        let name = path.file_name()?.as_encoded_bytes();
        let at = bytes.len().checked_sub(name.len() + 1)?;
        let sep = char::from(*bytes.get(at)?);
        if !std::path::is_separator(sep) {
            return None;
        }
        let mut folder = path.parent()?.as_os_str().to_os_string();
        folder.push(sep.encode_utf8(&mut [0; 4]));
        Some(Arc::new(folder.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path, however it is spelled, is given back byte for byte, and
    /// with the file name of the whole path, in runs of folders that come
    /// back.
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
        let names = ["0001.hist", "x", ".", "..", "n.hist/", "über.hist", "a:b"];
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
        let held: Vec<FilePath> = paths.iter().map(|p| folders.add(Path::new(p))).collect();
        for (h, p) in held.iter().zip(&paths) {
            let p = Path::new(p);
            assert_eq!(h.to_path_buf().as_os_str(), p.as_os_str(), "{p:?}");
            assert_eq!(h.file_name(), p.file_name(), "{p:?}");
        }
    }

    /// A folder of many items is held once, not once an item.
    #[test]
    fn a_folder_is_held_once_for_its_items() {
        let mut folders = ItemFolders::default();
        let held: Vec<FilePath> = (0..100)
            .map(|k| folders.add(&Path::new("/s/History Spooler").join(format!("{k}.hist"))))
            .collect();
        for (k, h) in held.iter().enumerate() {
            assert_eq!(h.file_name().unwrap(), format!("{k}.hist").as_str());
            assert!(Arc::ptr_eq(h.folder(), held[0].folder()));
        }
        // The folder keeps the separator `join` put before the name.
        let folder = format!("/s/History Spooler{}", std::path::MAIN_SEPARATOR);
        assert_eq!(held[0].folder().as_os_str(), folder.as_str());
    }
}
