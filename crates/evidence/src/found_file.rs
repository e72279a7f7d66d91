//! A file met while finding evidence: where it is, and what its place in
//! the tree says about it (its profile). Discovery makes these; the readers
//! take them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// A regular file met during discovery, with what its location says about it.
#[derive(Debug, Clone)]
pub struct FoundFile {
    /// The path as met (or named): what the report shows, and where the file
    /// sits in the tree (below a spooler, in a profile). Shared with the
    /// item and the `inputs` entry it becomes, not copied.
    pub path: Arc<Path>,
    /// For a link the user named directly: its target, which is opened
    /// instead (see [`FoundFile::open`]).
    pub link_target: Option<PathBuf>,
    pub size: u64,
    pub mtime: Option<SystemTime>,
    /// Address of the nearest enclosing `sip_*` folder, one string shared by
    /// every file below it.
    pub profile: Option<Arc<str>>,
}

impl FoundFile {
    /// What to open: the path, or a named link's target.
    pub fn open(&self) -> &Path {
        self.link_target.as_deref().unwrap_or(&self.path)
    }
}
