//! Finding the files to read: resolving each PATH shape (a `%LOCALAPPDATA%`-like
//! root, an `Office\<ver>\Lync` folder, a `sip_*` profile, a `History Spooler`,
//! a single file, any folder of collected files) into a sorted list of regular
//! files. Links are never followed below a root; what is not a regular file is
//! recorded as skipped with its reason.

mod item_folders;
mod layout;
mod listing;
mod windows_paths;

pub use crate::found_file::FoundFile;
use crate::scan::spooler;
use chrono::{DateTime, Utc};
pub use item_folders::ItemFolders;
use layout::{is_office_version, link_reason, lync_links};
pub use layout::{lync_dirs, profile_address};
pub use listing::list_names;
use listing::{identity, list_dir, listing_identity, Identity, Seen};
use oimdiag_vocab::found::SpoolItem;
use oimdiag_vocab::found::{Profile, SkippedInput, UnreadableFolder};
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use windows_paths::quote_hint;
#[cfg(windows)]
use windows_paths::windows;
pub use windows_paths::{friendly_root, strip_verbatim};

pub const SPOOLER_DIR: &str = "History Spooler";
const PROFILE_PREFIX: &str = "sip_";

#[derive(Debug, Default)]
pub struct Discovery {
    /// The regular files met outside spoolers (logs, exports...), in
    /// discovery order, each with the number of spool items met before it:
    /// files and items interleave in that order. (A list of every file would
    /// be 100,000 entries for a big spooler.)
    pub files: Vec<(usize, FoundFile)>,
    /// The spool items, in discovery order, as far as their folder listing
    /// tells (path, size, file time, profile): their content is read into
    /// them later. Not a `FoundFile` each and an item each.
    pub items: Vec<SpoolItem>,
    pub item_folders: ItemFolders,
    /// Items the user named as links: what to open for `items[k]`.
    pub item_targets: Vec<(usize, PathBuf)>,
    /// For each item: its size and times are to be taken when it is read
    /// (the listing did not ask for them).
    pub item_stat_at_read: Vec<bool>,
    /// The date of an item with no file time.
    now: DateTime<Utc>,
    pub profiles: Vec<Profile>,
    pub spoolers: Vec<PathBuf>,
    pub skipped: Vec<SkippedInput>,
    /// Shell files below a spooler (also in `skipped`).
    pub not_messages: usize,
    /// Folders of the client's tree that exist but could not be listed
    /// (also in `skipped`): their evidence is missing, not healthy.
    pub unreadable: Vec<UnreadableFolder>,
}

/// A PATH the user named that cannot be used at all (exit 2).
#[derive(Debug)]
pub struct RootError {
    pub path: PathBuf,
    pub reason: String,
}

/// With no PATH: this machine's `%LOCALAPPDATA%`.
///
/// On Windows the variable can be missing (a scheduled task, `runas /env`, a
/// stripped environment in a remote shell) while the folder is still there, so
/// the shell's Known Folder (FOLDERID_LocalAppData) is asked next, then
/// `%USERPROFILE%\AppData\Local`, the folder's default place.
pub fn default_roots() -> Result<Vec<PathBuf>, String> {
    if let Some(v) = std::env::var_os("LOCALAPPDATA").filter(|v| !v.is_empty()) {
        return Ok(vec![PathBuf::from(v)]);
    }
    #[cfg(windows)]
    {
        if let Some(p) = windows::known_folder_local_app_data() {
            return Ok(vec![p]);
        }
        if let Some(home) = std::env::var_os("USERPROFILE").filter(|v| !v.is_empty()) {
            return Ok(vec![PathBuf::from(home).join("AppData").join("Local")]);
        }
    }
    Err(
        "no PATH given and %LOCALAPPDATA% is not set; name a folder to scan, \
         e.g. a copy of %LOCALAPPDATA%\\Microsoft\\Office\\16.0\\Lync"
            .to_string(),
    )
}

/// Checks every root exists before any work is done, so a typo fails fast.
pub fn check_roots(roots: &[PathBuf]) -> Result<(), RootError> {
    for root in roots {
        if let Err(e) = fs::metadata(root) {
            let reason = match e.kind() {
                io::ErrorKind::NotFound => format!("does not exist{}", quote_hint(root)),
                _ => format!("cannot be opened: {e}{}", quote_hint(root)),
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
/// `now`: the date of a spool item whose file has no time.
pub fn discover(roots: &[PathBuf], strict_lync: bool, now: DateTime<Utc>) -> Discovery {
    let mut d = Discovery {
        now,
        ..Discovery::default()
    };
    let mut seen = Seen::default();
    for root in roots {
        // Windows: `C:/x` and `\\?\C:\x` are reported as `C:\x` (see friendly_root).
        let root = &friendly_root(root);
        let meta = match fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                d.skipped.push(skip(root, format!("cannot be opened: {e}")));
                continue;
            }
        };
        if !meta.is_dir() {
            // A file the user named: a link to it is followed (they chose it),
            // and the real path is read; a FIFO or device is never opened.
            if !meta.is_file() {
                d.skipped.push(skip(
                    root,
                    "not a regular file (FIFO, socket or device): not opened".to_string(),
                ));
            } else {
                let (files, items) = (d.files.len(), d.items.len());
                add_file(&mut d, &mut seen, root.clone(), &meta);
                if fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink()) {
                    if let Ok(target) = fs::canonicalize(root) {
                        if let Some((_, f)) = d.files.get_mut(files) {
                            f.link_target = Some(target);
                        } else if d.items.len() > items {
                            d.item_targets.push((items, target));
                        }
                    }
                }
            }
            continue;
        }
        let lync = lync_dirs(root);
        if lync.is_empty() && strict_lync {
            // A Lync folder (or one on the way to it) moved elsewhere and
            // linked back is not followed: said, with where it points.
            let links = lync_links(root);
            if links.is_empty() {
                d.skipped.push(skip(
                    root,
                    "no Microsoft\\Office\\16.0\\Lync or 15.0\\Lync folder here: \
                     Skype for Business has not run for this user"
                        .to_string(),
                ));
            }
            for link in links {
                let reason = link_reason(&link);
                d.skipped.push(skip(&link, reason));
            }
            continue;
        }
        if lync.is_empty() {
            walk(&mut d, &mut seen, root);
            continue;
        }
        for w in &lync {
            walk(&mut d, &mut seen, w);
        }
        if !strict_lync {
            // A collected folder may hold more beside the Lync tree (admin
            // exports, tracerpt CSVs): every other top-level entry is read too,
            // but not the rest of the folder that leads to Lync (`Microsoft\...`).
            for entry in top_level_beside(root, &lync) {
                if entry.is_dir() && !entry.is_symlink() {
                    walk(&mut d, &mut seen, &entry);
                } else {
                    walk_single(&mut d, &mut seen, &entry);
                }
            }
        }
    }
    d.profiles.sort();
    d.profiles.dedup();
    d.spoolers.sort();
    d.spoolers.dedup();
    d
}

/// Every entry below `root`, depth first, each folder's entries in name
/// order (so the file list does not depend on the file system's order).
/// Links are not followed; folders are listed without moving their access
/// time where the OS allows (see [`list_dir`]).
fn walk(d: &mut Discovery, seen: &mut Seen, root: &Path) {
    // Profiles and spoolers named by the root's own path count too, e.g. when
    // the user points straight at a `History Spooler` folder.
    note_dir(d, root);
    let mut place = Place::of(root);
    walk_dir(d, seen, root, &mut place);
}

fn walk_dir(d: &mut Discovery, seen: &mut Seen, dir: &Path, place: &mut Place) {
    let entries = match list_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            let reason = format!("cannot be listed: {}", crate::fsread::describe_io_error(&e));
            note_unreadable(d, dir, place, &reason);
            d.skipped.push(skip(dir, reason));
            return;
        }
    };
    // The folder's device, asked once when an entry needs it.
    let mut dir_dev = None;
    // Each entry's path, made in one buffer (`dir.join(name)` without
    // allocating one per entry: a spooler has 100,000).
    let mut path = PathBuf::new();
    for entry in entries {
        path.clear();
        path.push(dir);
        path.push(&entry.name);
        let path = path.as_path();
        let kind = match entry.kind {
            Some(k) => k,
            // The folder did not say: ask the entry itself.
            None => match fs::symlink_metadata(path) {
                Ok(m) => Kind::of(m.file_type()),
                Err(e) => {
                    d.skipped.push(skip(path, format!("cannot be read: {e}")));
                    continue;
                }
            },
        };
        match kind {
            Kind::Dir => {
                note_dir(d, path);
                let mut inner = place.enter(&entry.name);
                walk_dir(d, seen, path, &mut inner);
            }
            Kind::Symlink => d.skipped.push(skip(path, link_reason(path))),
            // A spool item the listing says is a regular file is not asked
            // for its size and times: its reader takes them from the file it
            // opens, one system call per item fewer (100,000 in a big spooler).
            Kind::File if place.in_spooler && entry.kind.is_some() && entry.meta.is_none() => {
                match listing_identity(dir, &mut dir_dev, &entry) {
                    Some(id) => add_listed_item(d, seen, path, id, place),
                    None => match fs::symlink_metadata(path) {
                        Ok(m) => add_found(d, seen, path, &m, place),
                        Err(e) => d.skipped.push(skip(path, format!("cannot be read: {e}"))),
                    },
                }
            }
            Kind::File => match entry
                .meta
                .map_or_else(|| fs::symlink_metadata(path), |m| Ok(*m))
            {
                Ok(m) => add_found(d, seen, path, &m, place),
                Err(e) => d.skipped.push(skip(path, format!("cannot be read: {e}"))),
            },
            Kind::Other => d.skipped.push(skip(
                path,
                "not a regular file (FIFO, socket or device): not opened".to_string(),
            )),
        }
    }
}

/// What a file's folders say about it: below a `History Spooler`, and the
/// address of the nearest `sip_*` folder. Worked out once per folder, from
/// the folder's absolute path, rather than once per file.
#[derive(Debug, Clone)]
struct Place {
    in_spooler: bool,
    profile: Option<Arc<str>>,
}

impl Place {
    fn of(dir: &Path) -> Place {
        let abs = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let mut place = Place {
            in_spooler: false,
            profile: None,
        };
        for c in abs.components() {
            if let Component::Normal(n) = c {
                place = place.enter(n);
            }
        }
        place
    }

    /// The place of the folder `name` inside this one.
    fn enter(&self, name: &std::ffi::OsStr) -> Place {
        let name = name.to_string_lossy();
        Place {
            in_spooler: self.in_spooler || name.eq_ignore_ascii_case(SPOOLER_DIR),
            profile: match profile_address(&name) {
                Some(p) => Some(p.into()),
                None => self.profile.clone(),
            },
        }
    }
}

/// What kind of entry a folder listing names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
    Other,
}

impl Kind {
    fn of(t: fs::FileType) -> Kind {
        if t.is_symlink() {
            Kind::Symlink
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else {
            Kind::Other
        }
    }
}

/// The root's top-level entries that do not lead to one of its Lync folders.
fn top_level_beside(root: &Path, lync: &[PathBuf]) -> Vec<PathBuf> {
    let Ok(names) = list_names(root) else {
        return Vec::new();
    };
    names
        .into_iter()
        .map(|n| root.join(n))
        .filter(|p| !lync.iter().any(|l| l.starts_with(p)))
        .collect()
}

/// One entry met at the top of a root: a regular file is added, anything
/// else (link, FIFO, device) is skipped with its reason, as in a walk.
fn walk_single(d: &mut Discovery, seen: &mut Seen, path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => add_file(d, seen, path.to_path_buf(), &m),
        Ok(m) if m.file_type().is_symlink() => d.skipped.push(skip(path, link_reason(path))),
        Ok(_) => d.skipped.push(skip(
            path,
            "not a regular file (FIFO, socket or device): not opened".to_string(),
        )),
        Err(e) => d.skipped.push(skip(path, format!("cannot be read: {e}"))),
    }
}

/// A folder of the client's tree (Lync, Office version, profile, Tracing,
/// History Spooler) that could not be listed: an unlisted spooler is no
/// evidence of health, so it is taken back out of `spoolers`.
fn note_unreadable(d: &mut Discovery, dir: &Path, place: &Place, reason: &str) {
    let name = file_name_lossy(dir);
    let of_client = name.eq_ignore_ascii_case(SPOOLER_DIR)
        || name.eq_ignore_ascii_case("Lync")
        || name.eq_ignore_ascii_case("Tracing")
        || is_office_version(&name)
        || profile_address(&name).is_some();
    if !of_client {
        return;
    }
    if let Some(k) = d.spoolers.iter().rposition(|s| s == dir) {
        d.spoolers.remove(k);
    }
    d.unreadable.push(UnreadableFolder {
        path: dir.to_path_buf(),
        user: place.profile.as_deref().map(str::to_string),
        reason: reason.to_string(),
    });
}

/// A shell file below a spooler is skipped, not made an item.
fn not_a_message(d: &mut Discovery, path: &Path, place: &Place) -> bool {
    let shell = place.in_spooler
        && path
            .file_name()
            .is_some_and(crate::scan::shell_files::is_shell_file);
    if shell {
        d.not_messages += 1;
        d.skipped
            .push(skip(path, crate::scan::shell_files::REASON.to_string()));
    }
    shell
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

/// A file met on its own (a root, or an entry at the top of one).
fn add_file(d: &mut Discovery, seen: &mut Seen, path: PathBuf, meta: &fs::Metadata) {
    // A bare file name lies in the working folder.
    let place = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => Place::of(dir),
        _ => Place::of(Path::new(".")),
    };
    add_found(d, seen, &path, meta, &place);
}

fn add_found(d: &mut Discovery, seen: &mut Seen, path: &Path, meta: &fs::Metadata, place: &Place) {
    // The same file reached twice (PATHs `.` and its absolute form, or
    // overlapping roots) is read once.
    if !seen.insert(identity(path, meta)) || not_a_message(d, path, place) {
        return;
    }
    if place.in_spooler {
        let path = d.item_folders.add(path);
        let profile = place.profile.clone();
        let mtime = meta.modified().ok();
        let item = spooler::listed_item(path, profile, meta.len(), mtime, d.now);
        d.items.push(item);
        d.item_stat_at_read.push(false);
        return;
    }
    let f = FoundFile {
        path: path.into(),
        link_target: None,
        size: meta.len(),
        mtime: meta.modified().ok(),
        profile: place.profile.clone(),
    };
    d.files.push((d.items.len(), f));
}

/// A spool item known from its listing only: its size and times are taken
/// when it is read.
fn add_listed_item(d: &mut Discovery, seen: &mut Seen, path: &Path, id: Identity, place: &Place) {
    if !seen.insert(id) || not_a_message(d, path, place) {
        return;
    }
    let path = d.item_folders.add(path);
    d.items
        .push(spooler::unstated_item(path, place.profile.clone(), d.now));
    d.item_stat_at_read.push(true);
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
    use super::windows_paths::is_dos_device;
    use super::*;

    /// Discovery as the tests use it: an item with no file time is dated at the epoch.
    fn discover(roots: &[PathBuf], strict_lync: bool) -> Discovery {
        super::discover(roots, strict_lync, DateTime::UNIX_EPOCH)
    }

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
        // URL-encoded by a copy: the same user.
        assert_eq!(
            profile_address("sip_alice%40Contoso.com").as_deref(),
            Some("alice@contoso.com")
        );
        assert_eq!(
            profile_address("sip_J%C3%BCrgen%40x.de").as_deref(),
            Some("jürgen@x.de")
        );
        // Escapes that make no UTF-8, or none at all, are kept.
        assert_eq!(profile_address("sip_a%FF%40x").as_deref(), Some("a%ff%40x"));
        assert_eq!(profile_address("sip_100%").as_deref(), Some("100%"));
        assert_eq!(profile_address("sip_%zz@x").as_deref(), Some("%zz@x"));
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

    #[test]
    fn verbatim_prefix_comes_off_only_when_harmless() {
        let plain = |s: &str| strip_verbatim(s);
        assert_eq!(
            plain(r"\\?\C:\Users\a b\x").as_deref(),
            Some(r"C:\Users\a b\x")
        );
        assert_eq!(plain(r"\\?\c:\").as_deref(), Some(r"c:\"));
        assert_eq!(
            plain(r"\\?\UNC\srv\share\Lync").as_deref(),
            Some(r"\\srv\share\Lync")
        );
        assert_eq!(plain(r"\\?\unc\srv\share").as_deref(), Some(r"\\srv\share"));
        // Not verbatim, or no plain form.
        assert_eq!(plain(r"C:\x"), None);
        assert_eq!(plain(r"\\?\Volume{0b1e}\x"), None);
        assert_eq!(plain(r"\\?\GLOBALROOT\Device\x"), None);
        // The plain form would name another file.
        assert_eq!(plain(r"\\?\C:\x\trailing."), None);
        assert_eq!(plain(r"\\?\C:\x\trailing \y"), None);
        assert_eq!(plain(r"\\?\C:\x\..\y"), None);
        assert_eq!(plain(r"\\?\C:\x\.\y"), None);
        assert_eq!(plain(r"\\?\C:\x/y"), None);
        assert_eq!(plain(r"\\?\C:\logs\NUL"), None);
        assert_eq!(plain(r"\\?\C:\logs\com1.txt"), None);
        // Look-alikes of device names are ordinary.
        assert_eq!(
            plain(r"\\?\C:\console\COM10").as_deref(),
            Some(r"C:\console\COM10")
        );
    }

    #[test]
    fn dos_device_names() {
        for n in ["CON", "con", "nul.txt", "COM1", "lpt9.log", "AUX .x"] {
            assert!(is_dos_device(n), "{n}");
        }
        for n in [
            "COM0",
            "COM10",
            "CONSOLE",
            "nullable",
            "History Spooler",
            "",
        ] {
            assert!(!is_dos_device(n), "{n}");
        }
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn names_match_in_any_case() {
        let tmp = tempfile::tempdir().unwrap();
        let lync = tmp
            .path()
            .join("MICROSOFT")
            .join("office")
            .join("16.0")
            .join("LYNC");
        write(
            &lync
                .join("SIP_Alice@Contoso.COM")
                .join("history spooler")
                .join("1.hist"),
            "x",
        );
        let d = discover(&[tmp.path().to_path_buf()], true);
        assert_eq!(d.items.len(), 1, "{:?}", d.skipped);
        assert!(d.files.is_empty());
        assert_eq!(d.items[0].profile.as_deref(), Some("alice@contoso.com"));
        assert_eq!(d.spoolers.len(), 1);
    }

    #[test]
    fn overlapping_roots_read_a_file_once() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = tmp.path().join("Lync").join("sip_a@b.c").join(SPOOLER_DIR);
        write(&spool.join("1.hist"), "x");
        let d = discover(
            &[tmp.path().join("Lync"), spool.clone(), spool.join("1.hist")],
            false,
        );
        assert_eq!(d.items.len(), 1);
        assert!(d.files.is_empty());
    }

    /// Listing a folder reads it: discovery must not move folder access times
    /// (relatime updates an access time that is older than the modified time).
    #[cfg(target_os = "linux")]
    #[test]
    fn walking_keeps_folder_access_times() {
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let lync = tmp.path().join("Microsoft/Office/16.0/Lync");
        write(
            &lync.join("sip_a@b.c").join(SPOOLER_DIR).join("1.hist"),
            "x",
        );
        write(&lync.join("Tracing").join("Lync-UccApi-0.UccApilog"), "x");
        write(&tmp.path().join("admin").join("policy.txt"), "x");
        let old = filetime::FileTime::from_unix_time(1_577_836_800, 0);
        let newer = filetime::FileTime::from_unix_time(1_609_459_200, 0);
        let mut dirs = vec![tmp.path().to_path_buf()];
        let mut k = 0;
        while k < dirs.len() {
            for e in fs::read_dir(&dirs[k]).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    dirs.push(e.path());
                }
            }
            k += 1;
        }
        for d in &dirs {
            filetime::set_file_times(d, old, newer).unwrap();
        }
        for strict in [true, false] {
            let d = discover(&[tmp.path().to_path_buf()], strict);
            let found = d.files.len() + d.items.len();
            assert_eq!(found, if strict { 2 } else { 3 }, "{:?}", d.skipped);
        }
        for d in &dirs {
            let atime = fs::metadata(d).unwrap().atime();
            assert_eq!(
                atime,
                1_577_836_800,
                "{} was read with its atime moved",
                d.display()
            );
        }
    }

    /// Windows only (runs under Wine in CI): a `\\?\` root longer than
    /// MAX_PATH, with spaces, non-ASCII names and other letter case, is walked
    /// whole and reported without the prefix.
    #[cfg(windows)]
    #[test]
    fn verbatim_long_root_is_walked_and_reported_plainly() {
        let tmp = tempfile::tempdir().unwrap();
        let mut base = std::path::absolute(tmp.path()).unwrap();
        base.push("Jürgen Müller 東京");
        for i in 0..12 {
            base.push(format!("collected copy number {i} of 12"));
        }
        let item = base
            .join("Microsoft\\Office\\16.0\\lync\\sip_Alice@contoso.com\\HISTORY SPOOLER\\7f.hist");
        assert!(item.as_os_str().len() > 260);
        write(&item, "From: <sip:alice@contoso.com>\r\n\r\n");
        let verbatim = PathBuf::from(format!(r"\\?\{}", base.display()));
        let d = discover(&[verbatim.clone(), base.join("microsoft")], false);
        assert_eq!(d.items.len(), 1, "{:?}", d.skipped);
        let whole = d.items[0].path.to_path_buf();
        let shown = whole.to_str().unwrap();
        assert!(!shown.starts_with(r"\\?\"), "{shown}");
        assert!(shown.ends_with(r"\HISTORY SPOOLER\7f.hist"), "{shown}");
        assert_eq!(d.items[0].profile.as_deref(), Some("alice@contoso.com"));
        assert!(d.items[0].size_bytes > 0);
        // and it can be opened for reading through its plain (long) name
        crate::fsread::open_evidence(&whole).unwrap();
    }

    /// Windows only (runs under Wine in CI): non-ASCII names are found and
    /// shown as they are.
    #[cfg(windows)]
    #[test]
    fn non_ascii_names_are_items() {
        let tmp = tempfile::tempdir().unwrap();
        let spool = tmp.path().join("sip_jürgen@contoso.com").join(SPOOLER_DIR);
        write(&spool.join("Ärger 東京.hist"), "x");
        let d = discover(&[tmp.path().to_path_buf()], false);
        assert_eq!(d.items.len(), 1, "{:?}", d.skipped);
        assert_eq!(d.items[0].profile.as_deref(), Some("jürgen@contoso.com"));
        assert!(d.items[0]
            .path
            .to_path_buf()
            .display()
            .to_string()
            .ends_with("\\Ärger 東京.hist"));
    }

    /// Windows file names are UTF-16 and may hold unpaired surrogates, which
    /// no UTF-8 string can. Two such names must stay two files, not be merged
    /// by a lossy conversion. (Wine cannot create such files, as its names are
    /// UTF-8 on disk, so the key is tested rather than a scan.)
    #[cfg(windows)]
    #[test]
    fn dedup_keys_fold_case_but_keep_ill_formed_names_apart() {
        use super::windows_paths::dedup_key;
        use std::ffi::OsString;
        use std::os::windows::ffi::OsStringExt;
        let key = |s: &str| dedup_key(Path::new(s));
        assert_eq!(
            key(r"C:\Users\A\History Spooler\X.hist"),
            key(r"c:/users/a/HISTORY SPOOLER/x.hist")
        );
        assert_eq!(key(r"\\?\C:\a\b"), key(r"C:\A\B"));
        let lone = |u: u16| {
            let mut w: Vec<u16> = r"C:\s\x".encode_utf16().collect();
            w.push(u);
            PathBuf::from(OsString::from_wide(&w))
        };
        assert_ne!(dedup_key(&lone(0xD800)), dedup_key(&lone(0xDC00)));
    }

    #[cfg(windows)]
    #[test]
    fn forward_slashes_are_shown_as_backslashes() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            &tmp.path()
                .join("sip_a@b.c")
                .join(SPOOLER_DIR)
                .join("1.hist"),
            "x",
        );
        let slashed = PathBuf::from(tmp.path().to_str().unwrap().replace('\\', "/"));
        let d = discover(&[slashed], false);
        assert_eq!(d.items.len(), 1);
        let whole = d.items[0].path.to_path_buf();
        assert!(!whole.to_str().unwrap().contains('/'));
    }

    #[cfg(windows)]
    #[test]
    fn local_app_data_without_the_variable() {
        let p = windows::known_folder_local_app_data().expect("FOLDERID_LocalAppData");
        assert!(p.is_absolute() && p.is_dir(), "{}", p.display());
    }

    #[cfg(windows)]
    #[test]
    fn a_quote_left_by_a_trailing_backslash_is_explained() {
        let e = check_roots(&[PathBuf::from("C:\\no such folder\"")]).unwrap_err();
        assert!(
            e.reason.contains("backslash before a closing quote"),
            "{}",
            e.reason
        );
    }
}
