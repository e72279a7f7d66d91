//! The Skype for Business client installed on this machine, and the machine
//! itself: `lync.exe` in the Click-to-Run and MSI layouts under both Program
//! Files folders (its file version is the client's build, BRIEF §2), the
//! Click-to-Run configuration in the registry (64-bit view), and who and
//! what ran the scan (host, OS, user). A collected `lync.exe` (a copy in a
//! scanned folder) is read by [`pe`] on any OS.
//!
//! Read only for a scan of a profile on this machine ([`is_this_machine`]):
//! a collected folder's client is not the one installed here.

pub mod pe;
mod sys;

use oimdiag_vocab::build_version::{ClientBuild, InstallType};
use std::path::{Path, PathBuf};

pub use sys::{desktop_folder, hostname, os_description, user_name};

/// The folders below a Program Files folder where `lync.exe` lives, and the
/// install type each layout means (BRIEF §2: Click-to-Run puts Office in
/// `root\`, MSI does not).
pub const LAYOUTS: &[(&str, InstallType)] = &[
    (r"Microsoft Office\root\Office16", InstallType::C2r),
    (r"Microsoft Office\root\Office15", InstallType::C2r),
    (r"Microsoft Office\Office16", InstallType::Msi),
    (r"Microsoft Office\Office15", InstallType::Msi),
];

/// `CDNBaseUrl` channel ids (BRIEF §2), lower-case, and their names.
pub const CHANNELS: &[(&str, &str)] = &[
    ("492350f6-3a01-4f97-b9c0-c7c6ddf67d60", "Current Channel"),
    ("7ffbc6bf-bc32-4f92-8982-f9dd17fd3114", "Deferred Channel"),
    (
        "64256afe-f5d9-4f86-8936-8840a6a4f5be",
        "First Release for Current Channel",
    ),
    (
        "b8f9b850-328d-4355-9145-c59439a0c4cf",
        "First Release for Deferred Channel",
    ),
    // From community scripts, not Microsoft's table (BRIEF §2).
    (
        "55336b82-a18d-4dd6-b5f6-9e5095c314a6",
        "Monthly Enterprise Channel",
    ),
];

/// One `lync.exe` found, installed or collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientExe {
    pub path: PathBuf,
    pub file_version: ClientBuild,
    pub install_type: InstallType,
    /// The Office folder it is in (`Office16`), for the Office versions list.
    pub office_folder: Option<String>,
}

/// `HKLM\SOFTWARE\Microsoft\Office\ClickToRun\Configuration`, as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClickToRun {
    /// Office's version, not the client's build (reported beside it).
    pub version_to_report: Option<String>,
    pub cdn_base_url: Option<String>,
    pub platform: Option<String>,
}

impl ClickToRun {
    /// The update channel `CDNBaseUrl` names: its name when the id is a
    /// known one, else the id (or the URL, when it holds no id).
    pub fn channel(&self) -> Option<String> {
        let url = self.cdn_base_url.as_deref()?.trim();
        let lower = url.to_ascii_lowercase();
        for (id, name) in CHANNELS {
            if lower.contains(id) {
                return Some((*name).to_string());
            }
        }
        let id = lower.rsplit('/').find(|s| !s.is_empty()).unwrap_or(&lower);
        Some(id.to_string())
    }
}

/// What was found of the installed client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installed {
    /// Every `lync.exe` found, in the order of [`LAYOUTS`] per Program Files folder.
    pub clients: Vec<ClientExe>,
    /// `lync.exe` files that exist but whose version could not be read, and why.
    pub unreadable: Vec<(PathBuf, String)>,
    pub click_to_run: Option<ClickToRun>,
}

impl Installed {
    /// The client whose build counts: with several, the Click-to-Run one
    /// matching the Click-to-Run configuration (its version, else its
    /// platform's Program Files folder), else the newest.
    pub fn chosen(&self) -> Option<&ClientExe> {
        if let Some(c2r) = &self.click_to_run {
            let c2r_clients = || {
                self.clients
                    .iter()
                    .filter(|c| c.install_type == InstallType::C2r)
            };
            let reported = c2r
                .version_to_report
                .as_deref()
                .and_then(|v| v.parse::<ClientBuild>().ok());
            if let Some(v) = reported {
                if let Some(c) = c2r_clients().find(|c| c.file_version == v) {
                    return Some(c);
                }
            }
            let x86 = c2r
                .platform
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case("x86"));
            let in_x86_folder = |c: &&ClientExe| {
                c.path
                    .to_string_lossy()
                    .to_ascii_lowercase()
                    .contains("(x86)")
            };
            if c2r.platform.is_some() {
                if let Some(c) = c2r_clients()
                    .filter(|c| in_x86_folder(c) == x86)
                    .max_by_key(|c| c.file_version)
                {
                    return Some(c);
                }
            }
        }
        self.clients.iter().max_by_key(|c| c.file_version)
    }
}

/// The Program Files folders of this machine (64-bit and 32-bit), as the
/// environment names them, without repeats.
pub fn program_files_folders() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for var in ["ProgramW6432", "ProgramFiles", "ProgramFiles(x86)"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            let p = PathBuf::from(v);
            if !out.iter().any(|o| same_path(o, &p)) {
                out.push(p);
            }
        }
    }
    out
}

fn same_path(a: &Path, b: &Path) -> bool {
    a.to_string_lossy()
        .eq_ignore_ascii_case(&b.to_string_lossy())
}

/// Looks for `lync.exe` in every layout below each of `program_files`, and
/// reads the Click-to-Run configuration.
pub fn find_installed(program_files: &[PathBuf]) -> Installed {
    let mut found = Installed::default();
    for pf in program_files {
        for (layout, install_type) in LAYOUTS {
            let mut dir = pf.clone();
            for part in layout.split('\\') {
                dir.push(part);
            }
            let exe = dir.join("lync.exe");
            if !std::fs::symlink_metadata(&exe).is_ok_and(|m| m.is_file()) {
                continue;
            }
            match pe::file_version_of(&exe) {
                Ok(v) => found.clients.push(ClientExe {
                    path: exe,
                    file_version: v,
                    install_type: *install_type,
                    office_folder: layout.rsplit('\\').next().map(str::to_string),
                }),
                Err(reason) => found.unreadable.push((exe, reason)),
            }
        }
    }
    found.click_to_run = sys::click_to_run_configuration();
    found
}

/// A `lync.exe` found in a scanned folder. Its install type comes from its
/// build number only (ASSUMED rule, `ClientBuild::install_type`: MSI builds
/// are `16.0.4xxx.1xxx`, Click-to-Run ones carry a `.2xxx` revision or a
/// 5-digit build): the folder a helpdesk copied it into says nothing.
pub fn collected_client(path: &Path, version: ClientBuild) -> ClientExe {
    let office_folder = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().to_string())
        .filter(|n| n.to_ascii_lowercase().starts_with("office1"));
    ClientExe {
        path: path.to_path_buf(),
        file_version: version,
        install_type: version.install_type(),
        office_folder,
    }
}

/// Whether a scan of `roots` is a scan of a profile on this machine: no
/// PATH (the default location), or every PATH at or below this machine's
/// `%LOCALAPPDATA%` (`local_app_data`) or another local profile's
/// `AppData\Local` (below `profiles`, the folder holding the profiles,
/// `C:\Users`). Compared after resolving both, without regard to case on
/// Windows.
pub fn is_this_machine(
    default_location: bool,
    roots: &[PathBuf],
    local_app_data: Option<&Path>,
    profiles: Option<&Path>,
) -> bool {
    if default_location {
        return true;
    }
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let fold = |p: PathBuf| -> PathBuf {
        if cfg!(windows) {
            PathBuf::from(p.to_string_lossy().to_lowercase())
        } else {
            p
        }
    };
    let local = local_app_data.map(|l| fold(canon(l)));
    let profiles = profiles.map(|p| fold(canon(p)));
    let below_a_profile = |r: &Path| -> bool {
        let Some(rest) = profiles.as_deref().and_then(|p| r.strip_prefix(p).ok()) else {
            return false;
        };
        let parts: Vec<String> = rest
            .components()
            .take(3)
            .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
            .collect();
        parts.len() == 3 && parts.get(1).is_some_and(|a| a == "appdata") && parts.get(2).is_some_and(|l| l == "local")
    };
    !roots.is_empty()
        && roots.iter().all(|r| {
            let r = fold(canon(r));
            local.as_deref().is_some_and(|l| r.starts_with(l)) || below_a_profile(&r)
        })
}

/// The folder holding the local user profiles (`C:\Users`): the parent of
/// `%USERPROFILE%`, on Windows only.
pub fn profiles_folder() -> Option<PathBuf> {
    if !cfg!(windows) {
        return None;
    }
    std::env::var_os("USERPROFILE")
        .filter(|v| !v.is_empty())
        .and_then(|p| PathBuf::from(p).parent().map(Path::to_path_buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(path: &str, v: &str, t: InstallType) -> ClientExe {
        ClientExe {
            path: PathBuf::from(path),
            file_version: v.parse().unwrap(),
            install_type: t,
            office_folder: None,
        }
    }

    #[test]
    fn channel_names_from_ids() {
        let c = |url: &str| {
            ClickToRun {
                cdn_base_url: Some(url.into()),
                ..ClickToRun::default()
            }
            .channel()
        };
        assert_eq!(
            c("http://officecdn.microsoft.com/pr/492350F6-3A01-4F97-B9C0-C7C6DDF67D60").as_deref(),
            Some("Current Channel")
        );
        assert_eq!(
            c("http://officecdn.microsoft.com/pr/7ffbc6bf-bc32-4f92-8982-f9dd17fd3114").as_deref(),
            Some("Deferred Channel")
        );
        assert_eq!(
            c("http://officecdn.microsoft.com/pr/0000aaaa-1111-2222-3333-444455556666/").as_deref(),
            Some("0000aaaa-1111-2222-3333-444455556666")
        );
        assert_eq!(ClickToRun::default().channel(), None);
    }

    #[test]
    fn chosen_matches_configuration_else_newest() {
        let mut i = Installed {
            clients: vec![
                client(
                    r"C:\Program Files\Microsoft Office\root\Office16\lync.exe",
                    "16.0.6741.2048",
                    InstallType::C2r,
                ),
                client(
                    r"C:\Program Files\Microsoft Office\Office16\lync.exe",
                    "16.0.4849.1000",
                    InstallType::Msi,
                ),
                client(
                    r"C:\Program Files (x86)\Microsoft Office\root\Office16\lync.exe",
                    "16.0.7766.2047",
                    InstallType::C2r,
                ),
            ],
            ..Installed::default()
        };
        assert_eq!(
            i.chosen().unwrap().file_version.to_string(),
            "16.0.7766.2047"
        );
        i.click_to_run = Some(ClickToRun {
            version_to_report: Some("16.0.6741.2048".into()),
            ..ClickToRun::default()
        });
        assert_eq!(
            i.chosen().unwrap().file_version.to_string(),
            "16.0.6741.2048"
        );
        i.click_to_run = Some(ClickToRun {
            platform: Some("x64".into()),
            ..ClickToRun::default()
        });
        assert_eq!(
            i.chosen().unwrap().file_version.to_string(),
            "16.0.6741.2048"
        );
    }

    #[test]
    fn collected_install_type_from_build() {
        let b = |s: &str| s.parse::<ClientBuild>().unwrap();
        let c = collected_client(Path::new("x/root/Office16/lync.exe"), b("16.0.4849.1000"));
        assert_eq!(c.install_type, InstallType::Msi);
        assert_eq!(c.office_folder.as_deref(), Some("Office16"));
        let c = collected_client(Path::new("x/lync.exe"), b("16.0.4849.1000"));
        assert_eq!(c.install_type, InstallType::Msi);
        let c = collected_client(Path::new("x/LYNC.EXE"), b("16.0.6741.2048"));
        assert_eq!(c.install_type, InstallType::C2r);
    }

    #[test]
    fn finds_lync_in_both_layouts() {
        let dir = tempfile::tempdir().unwrap();
        let c2r = dir
            .path()
            .join("Microsoft Office")
            .join("root")
            .join("Office16");
        std::fs::create_dir_all(&c2r).unwrap();
        std::fs::write(c2r.join("lync.exe"), b"MZ not really").unwrap();
        let found = find_installed(&[dir.path().to_path_buf()]);
        assert!(found.clients.is_empty());
        assert_eq!(found.unreadable.len(), 1, "{found:?}");
    }

    #[test]
    fn this_machine_only_below_local_app_data() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join("Local");
        let other = dir.path().join("Other");
        std::fs::create_dir_all(local.join("Microsoft")).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        assert!(is_this_machine(true, &[], None, None));
        let m = local.join("Microsoft");
        assert!(is_this_machine(false, &[m], Some(&local), None));
        let o = std::slice::from_ref(&other);
        assert!(!is_this_machine(false, o, Some(&local), None));
        let both = [local.clone(), other];
        assert!(!is_this_machine(false, &both, Some(&local), None));
        let l = std::slice::from_ref(&local);
        assert!(!is_this_machine(false, l, None, None));
        // Another local profile's AppData\Local is this machine too.
        let users = dir.path().join("Users");
        let bob = users.join("bob").join("AppData").join("Local").join("Microsoft");
        let docs = users.join("bob").join("Documents");
        std::fs::create_dir_all(&bob).unwrap();
        std::fs::create_dir_all(&docs).unwrap();
        assert!(is_this_machine(false, &[bob], None, Some(&users)));
        assert!(!is_this_machine(false, &[docs], None, Some(&users)));
    }
}
