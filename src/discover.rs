//! Finding the files to read: resolving each PATH shape (a `%LOCALAPPDATA%`-like
//! root, an `Office\<ver>\Lync` folder, a `sip_*` profile, a `History Spooler`,
//! a single file, any folder of collected files) into a sorted list of regular
//! files. Links are never followed below a root; what is not a regular file is
//! recorded as skipped with its reason.

use crate::model::{Profile, SkippedInput};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;
use walkdir::WalkDir;

pub const SPOOLER_DIR: &str = "History Spooler";
const PROFILE_PREFIX: &str = "sip_";

/// A regular file met during discovery, with what its location says about it.
#[derive(Debug, Clone)]
pub struct FoundFile {
    pub path: PathBuf,
    pub size: u64,
    pub mtime: Option<SystemTime>,
    /// Below a `History Spooler` folder: a spooled message.
    pub in_spooler: bool,
    /// Address of the nearest enclosing `sip_*` folder.
    pub profile: Option<String>,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<FoundFile>,
    pub profiles: Vec<Profile>,
    pub spoolers: Vec<PathBuf>,
    pub skipped: Vec<SkippedInput>,
}

/// A PATH the user named that cannot be used at all (exit 2).
#[derive(Debug)]
pub struct RootError {
    pub path: PathBuf,
    pub reason: String,
}

/// With no PATH: this machine's `%LOCALAPPDATA%`.
pub fn default_roots() -> Result<Vec<PathBuf>, String> {
    match std::env::var_os("LOCALAPPDATA") {
        Some(v) if !v.is_empty() => Ok(vec![PathBuf::from(v)]),
        _ => Err(
            "no PATH given and %LOCALAPPDATA% is not set; name a folder to scan, \
                  e.g. a copy of %LOCALAPPDATA%\\Microsoft\\Office\\16.0\\Lync"
                .to_string(),
        ),
    }
}

/// Checks every root exists before any work is done, so a typo fails fast.
pub fn check_roots(roots: &[PathBuf]) -> Result<(), RootError> {
    for root in roots {
        if let Err(e) = fs::metadata(root) {
            let reason = match e.kind() {
                io::ErrorKind::NotFound => "does not exist".to_string(),
                _ => format!("cannot be opened: {e}"),
            };
            return Err(RootError {
                path: root.clone(),
                reason,
            });
        }
        if fs::metadata(root).map(|m| m.is_dir()).unwrap_or(false) {
            if let Err(e) = fs::read_dir(root) {
                return Err(RootError {
                    path: root.clone(),
                    reason: format!("cannot be listed: {e}"),
                });
            }
        }
    }
    Ok(())
}

/// `strict_lync`: for the default root, look only inside Lync folders (all of
/// `%LOCALAPPDATA%` is not ours to walk); a named folder without one is walked whole.
pub fn discover(roots: &[PathBuf], strict_lync: bool) -> Discovery {
    let mut d = Discovery::default();
    let mut seen = BTreeSet::new();
    for root in roots {
        let meta = match fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                d.skipped.push(skip(root, format!("cannot be opened: {e}")));
                continue;
            }
        };
        if !meta.is_dir() {
            add_file(&mut d, &mut seen, root.clone(), &meta);
            continue;
        }
        let lync = lync_dirs(root);
        if lync.is_empty() && strict_lync {
            d.skipped.push(skip(
                root,
                "no Microsoft\\Office\\16.0\\Lync or 15.0\\Lync folder here: \
                 Skype for Business has not run for this user"
                    .to_string(),
            ));
            continue;
        }
        let walk_roots = if lync.is_empty() {
            vec![root.clone()]
        } else {
            lync
        };
        for w in walk_roots {
            walk(&mut d, &mut seen, &w);
        }
    }
    d.profiles.sort();
    d.profiles.dedup();
    d.spoolers.sort();
    d.spoolers.dedup();
    d
}

fn walk(d: &mut Discovery, seen: &mut BTreeSet<PathBuf>, root: &Path) {
    // Profiles and spoolers named by the root's own path count too, e.g. when
    // the user points straight at a `History Spooler` folder.
    note_dir(d, root);
    let walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1);
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let reason = match e.io_error() {
                    Some(io) => {
                        format!("cannot be listed: {}", crate::fsread::describe_io_error(io))
                    }
                    None => e.to_string(),
                };
                d.skipped.push(SkippedInput { path, reason });
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            note_dir(d, entry.path());
        } else if ft.is_symlink() {
            d.skipped.push(skip(
                entry.path(),
                "symbolic link: not followed (evidence is read only where it lies)".to_string(),
            ));
        } else if ft.is_file() {
            match entry.metadata() {
                Ok(m) => add_file(d, seen, entry.into_path(), &m),
                Err(e) => d
                    .skipped
                    .push(skip(entry.path(), format!("cannot be read: {e}"))),
            }
        } else {
            d.skipped.push(skip(
                entry.path(),
                "not a regular file (FIFO, socket or device): not opened".to_string(),
            ));
        }
    }
}

fn note_dir(d: &mut Discovery, dir: &Path) {
    let name = file_name_lossy(dir);
    if let Some(address) = profile_address(&name) {
        d.profiles.push(Profile {
            address,
            dir: dir.to_path_buf(),
        });
    }
    if name.eq_ignore_ascii_case(SPOOLER_DIR) {
        d.spoolers.push(dir.to_path_buf());
    }
}

fn add_file(d: &mut Discovery, seen: &mut BTreeSet<PathBuf>, path: PathBuf, meta: &fs::Metadata) {
    if !seen.insert(path.clone()) {
        return;
    }
    let abs = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    let names: Vec<String> = abs
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let dirs = &names[..names.len().saturating_sub(1)];
    let in_spooler = dirs.iter().any(|n| n.eq_ignore_ascii_case(SPOOLER_DIR));
    let profile = dirs.iter().rev().find_map(|n| profile_address(n));
    d.files.push(FoundFile {
        path,
        size: meta.len(),
        mtime: meta.modified().ok(),
        in_spooler,
        profile,
    });
}

/// `sip_alice@contoso.com` → `alice@contoso.com`.
pub fn profile_address(folder: &str) -> Option<String> {
    let prefix = folder.get(..PROFILE_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(PROFILE_PREFIX) {
        return None;
    }
    let addr = &folder[PROFILE_PREFIX.len()..];
    (!addr.is_empty()).then(|| addr.to_lowercase())
}

/// The Lync folders below `root`, whichever level of the usual tree the root
/// is: `%LOCALAPPDATA%`, `Microsoft`, `Office`, `Office\<ver>` or `Lync` itself.
/// Names compare case-insensitively: collected copies keep Windows' spelling
/// but any case.
pub fn lync_dirs(root: &Path) -> Vec<PathBuf> {
    if file_name_lossy(root).eq_ignore_ascii_case("Lync") {
        return vec![root.to_path_buf()];
    }
    let mut out = Vec::new();
    for base in [
        child_ci(root, "Microsoft").and_then(|m| child_ci(&m, "Office")),
        child_ci(root, "Office"),
        Some(root.to_path_buf()),
    ]
    .into_iter()
    .flatten()
    {
        for ver in subdirs(&base) {
            let name = file_name_lossy(&ver);
            if is_office_version(&name) {
                if let Some(l) = child_ci(&ver, "Lync") {
                    out.push(l);
                }
            }
        }
        if let Some(l) = child_ci(&base, "Lync") {
            if is_office_version(&file_name_lossy(&base)) {
                out.push(l);
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out.sort();
    out.dedup();
    out
}

fn is_office_version(name: &str) -> bool {
    let mut parts = name.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    )
}

fn child_ci(dir: &Path, name: &str) -> Option<PathBuf> {
    subdirs(dir)
        .into_iter()
        .find(|p| file_name_lossy(p).eq_ignore_ascii_case(name))
}

/// Real directories only: a link named like ours is not followed.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn file_name_lossy(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn skip(path: &Path, reason: String) -> SkippedInput {
    SkippedInput {
        path: path.to_path_buf(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        assert_eq!(
            profile_address("sip_Alice@Contoso.com").as_deref(),
            Some("alice@contoso.com")
        );
        assert_eq!(
            profile_address("SIP_bob@x.org").as_deref(),
            Some("bob@x.org")
        );
        assert_eq!(profile_address("sip_"), None);
        assert_eq!(profile_address("Tracing"), None);
        assert_eq!(profile_address("s"), None);
    }

    #[test]
    fn office_versions() {
        assert!(is_office_version("16.0"));
        assert!(is_office_version("15.0"));
        assert!(!is_office_version("16"));
        assert!(!is_office_version("Lync"));
    }
}
