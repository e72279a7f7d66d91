//! What only the OS can tell: the Click-to-Run configuration in the
//! registry (Windows, 64-bit view), the host and user names, the OS, the
//! Desktop folder.

use super::ClickToRun;
#[cfg(not(windows))]
use std::path::PathBuf;

/// The user who ran the scan, as the environment names them.
pub fn user_name() -> Option<String> {
    let var = if cfg!(windows) { "USERNAME" } else { "USER" };
    std::env::var(var)
        .ok()
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.trim().is_empty())
}

#[cfg(windows)]
pub use self::windows::{click_to_run_configuration, desktop_folder, hostname, os_description};

#[cfg(not(windows))]
pub fn click_to_run_configuration() -> Option<ClickToRun> {
    None
}

#[cfg(not(windows))]
pub fn desktop_folder() -> Option<PathBuf> {
    None
}

#[cfg(not(windows))]
pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

#[cfg(not(windows))]
pub fn os_description() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        });
    match pretty {
        Some(p) => format!("{p} ({} {})", std::env::consts::OS, std::env::consts::ARCH),
        None => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

#[cfg(windows)]
mod windows {
    use super::ClickToRun;
    use std::ffi::{c_void, OsStr, OsString};
    use std::os::windows::ffi::{OsStrExt, OsStringExt};
    use std::path::PathBuf;

    const HKEY_LOCAL_MACHINE: isize = 0x8000_0002_u32 as i32 as isize;
    const RRF_RT_REG_SZ: u32 = 0x0000_0002;
    /// Read the 64-bit view of the registry even from a 32-bit process.
    const RRF_SUBKEY_WOW6464KEY: u32 = 0x0001_0000;
    const ERROR_SUCCESS: u32 = 0;
    const ERROR_MORE_DATA: u32 = 234;

    #[link(name = "advapi32")]
    extern "system" {
        fn RegGetValueW(
            hkey: isize,
            subkey: *const u16,
            value: *const u16,
            flags: u32,
            kind: *mut u32,
            data: *mut c_void,
            len: *mut u32,
        ) -> u32;
    }

    #[link(name = "kernel32")]
    extern "system" {
        fn GetComputerNameExW(kind: i32, buf: *mut u16, len: *mut u32) -> i32;
    }

    fn wide(s: &str) -> Vec<u16> {
        OsStr::new(s).encode_wide().chain(Some(0)).collect()
    }

    /// A REG_SZ of HKLM through the 64-bit view, or `None`.
    fn hklm_string(subkey: &str, value: &str) -> Option<String> {
        let (k, v) = (wide(subkey), wide(value));
        let mut buf: Vec<u16> = vec![0; 256];
        for _ in 0..4 {
            let mut len = u32::try_from(buf.len() * 2).ok()?;
            // SAFETY: `k` and `v` are NUL-terminated; `buf` holds `len`
            // bytes; RegGetValueW writes at most `len` bytes and sets it.
            let rc = unsafe {
                RegGetValueW(
                    HKEY_LOCAL_MACHINE,
                    k.as_ptr(),
                    v.as_ptr(),
                    RRF_RT_REG_SZ | RRF_SUBKEY_WOW6464KEY,
                    std::ptr::null_mut(),
                    buf.as_mut_ptr().cast(),
                    &mut len,
                )
            };
            match rc {
                ERROR_SUCCESS => {
                    let n = (len as usize / 2).min(buf.len());
                    let s = buf.get(..n)?;
                    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
                    let text = OsString::from_wide(s.get(..end)?)
                        .to_string_lossy()
                        .trim()
                        .to_string();
                    return (!text.is_empty()).then_some(text);
                }
                ERROR_MORE_DATA => buf.resize(len as usize / 2 + 1, 0),
                _ => return None,
            }
        }
        None
    }

    const C2R: &str = r"SOFTWARE\Microsoft\Office\ClickToRun\Configuration";

    pub fn click_to_run_configuration() -> Option<ClickToRun> {
        let c = ClickToRun {
            version_to_report: hklm_string(C2R, "VersionToReport"),
            cdn_base_url: hklm_string(C2R, "CDNBaseUrl"),
            platform: hklm_string(C2R, "Platform"),
        };
        (c != ClickToRun::default()).then_some(c)
    }

    pub fn hostname() -> Option<String> {
        // ComputerNamePhysicalDnsHostname = 5; fall back to NetBIOS (0).
        for kind in [5, 0] {
            let mut buf = [0u16; 256];
            let mut len = buf.len() as u32;
            // SAFETY: `buf` holds `len` UTF-16 units; the call sets `len`.
            let ok = unsafe { GetComputerNameExW(kind, buf.as_mut_ptr(), &mut len) };
            if ok != 0 {
                if let Some(s) = buf.get(..len as usize) {
                    let name = String::from_utf16_lossy(s);
                    if !name.is_empty() {
                        return Some(name);
                    }
                }
            }
        }
        std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty())
    }

    pub fn os_description() -> String {
        const NT: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
        let product = hklm_string(NT, "ProductName").unwrap_or_else(|| "Windows".into());
        let display = hklm_string(NT, "DisplayVersion");
        let build = hklm_string(NT, "CurrentBuildNumber");
        let mut s = product;
        if let Some(d) = display {
            s.push_str(&format!(" {d}"));
        }
        if let Some(b) = build {
            s.push_str(&format!(" (build {b})"));
        }
        format!("{s}, {}", std::env::consts::ARCH)
    }

    #[repr(C)]
    struct Guid {
        data1: u32,
        data2: u16,
        data3: u16,
        data4: [u8; 8],
    }

    /// FOLDERID_Desktop {B4BFCC3A-DB2C-424C-B029-7FE99A87C641}.
    const FOLDERID_DESKTOP: Guid = Guid {
        data1: 0xB4BF_CC3A,
        data2: 0xDB2C,
        data3: 0x424C,
        data4: [0xB0, 0x29, 0x7F, 0xE9, 0x9A, 0x87, 0xC6, 0x41],
    };

    #[link(name = "shell32")]
    extern "system" {
        fn SHGetKnownFolderPath(
            rfid: *const Guid,
            flags: u32,
            token: *mut c_void,
            path: *mut *mut u16,
        ) -> i32;
    }

    #[link(name = "ole32")]
    extern "system" {
        fn CoTaskMemFree(pv: *mut c_void);
    }

    /// The user's Desktop folder, when it exists.
    pub fn desktop_folder() -> Option<PathBuf> {
        let mut raw: *mut u16 = std::ptr::null_mut();
        // SAFETY: as in discover's known-folder lookup: a static GUID, the
        // current user's token, and `raw` freed with CoTaskMemFree.
        let path = unsafe {
            let hr = SHGetKnownFolderPath(&FOLDERID_DESKTOP, 0, std::ptr::null_mut(), &mut raw);
            let path = if hr >= 0 && !raw.is_null() {
                let mut len = 0;
                while *raw.add(len) != 0 {
                    len += 1;
                }
                Some(PathBuf::from(OsString::from_wide(
                    std::slice::from_raw_parts(raw, len),
                )))
            } else {
                None
            };
            CoTaskMemFree(raw.cast());
            path
        };
        path.filter(|p| p.is_dir())
    }
}
