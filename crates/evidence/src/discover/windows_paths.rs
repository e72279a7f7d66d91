//! Windows path handling: the name a user should see for a root, and the
//! key files are deduplicated by. The pure string functions are compiled and
//! tested on every platform; only Windows applies them to paths.

use super::*;

/// Windows: the name the user should see and the key files are deduplicated
/// by. Elsewhere the root is used as given.
///
/// - `\\?\C:\x` becomes `C:\x` and `\\?\UNC\srv\share\x` becomes
///   `\\srv\share\x`, so reports show the paths people know. Long paths
///   keep working: Rust's std re-adds the `\\?\` prefix itself for any path
///   longer than MAX_PATH when it calls Windows. The prefix stays when taking
///   it off would change which file is meant (see [`strip_verbatim`]).
/// - `/` becomes `\`: Windows accepts both, a report should show one.
pub fn friendly_root(root: &Path) -> PathBuf {
    #[cfg(windows)]
    {
        if let Some(s) = root.to_str() {
            if let Some(plain) = strip_verbatim(s) {
                return PathBuf::from(plain);
            }
            if !s.starts_with(r"\\?\") && s.contains('/') {
                return PathBuf::from(s.replace('/', "\\"));
            }
        }
    }
    root.to_path_buf()
}

/// `\\?\C:\a\b` → `C:\a\b`, `\\?\UNC\srv\share\a` → `\\srv\share\a`; `None`
/// when `s` is not such a path or when the plain form would name another file:
/// Win32 path parsing (which the plain form goes through) drops trailing dots
/// and spaces, resolves `.` and `..`, treats `/` as a separator and maps DOS
/// device names (`NUL`, `COM1.txt`) to devices. Verbatim paths do none of it.
pub fn strip_verbatim(s: &str) -> Option<String> {
    let rest = s.strip_prefix(r"\\?\")?;
    let (plain, tail) = match rest.get(..4) {
        Some(unc) if unc.eq_ignore_ascii_case(r"UNC\") => {
            (format!(r"\\{}", &rest[4..]), &rest[4..])
        }
        _ => {
            let b = rest.as_bytes();
            let disk = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\';
            if !disk {
                return None; // \\?\Volume{..}\, \\?\GLOBALROOT\..: no plain form
            }
            (rest.to_string(), &rest[3..])
        }
    };
    if tail.contains('/') {
        return None;
    }
    let unsafe_name =
        |n: &str| n == "." || n == ".." || n.ends_with('.') || n.ends_with(' ') || is_dos_device(n);
    if tail.split('\\').filter(|n| !n.is_empty()).any(unsafe_name) {
        return None;
    }
    Some(plain)
}

/// `CON`, `nul.txt`, `COM1`, `LPT9.log`: names Win32 maps to devices.
pub(super) fn is_dos_device(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").trim_end();
    let upper = stem.to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ((upper.starts_with("COM") || upper.starts_with("LPT"))
        && upper.len() == 4
        && upper.as_bytes()[3].is_ascii_digit()
        && upper.as_bytes()[3] != b'0')
}

/// The key one file is known by. Windows file names are case-insensitive and
/// `\\?\C:\x` is `C:\x`; elsewhere the path is the key.
#[cfg(not(unix))]
pub(super) fn dedup_key(abs: &Path) -> std::ffi::OsString {
    #[cfg(windows)]
    {
        // A name that is not valid UTF-16 (an unpaired surrogate) is kept
        // as is: a lossy conversion could merge two different files.
        if let Some(s) = abs.to_str() {
            let s = strip_verbatim(s).unwrap_or_else(|| s.to_string());
            return std::ffi::OsString::from(s.replace('/', "\\").to_lowercase());
        }
    }
    abs.as_os_str().to_os_string()
}

/// cmd.exe and PowerShell pass `"C:\My Folder\"` as `C:\My Folder"`: the
/// backslash before the closing quote escapes it. No Windows file name holds
/// a `"`, so say what went wrong instead of only "does not exist".
pub(super) fn quote_hint(root: &Path) -> &'static str {
    if cfg!(windows) && root.to_string_lossy().contains('"') {
        " (it contains a double quote: a backslash before a closing quote escapes it, \
         so write \"C:\\My Folder\" rather than \"C:\\My Folder\\\")"
    } else {
        ""
    }
}

/// The shell's idea of `%LOCALAPPDATA%`, which holds even when the
/// environment variable is missing.
#[cfg(windows)]
pub(super) mod windows {
    use std::ffi::{c_void, OsString};
    use std::os::windows::ffi::OsStringExt;
    use std::path::PathBuf;

    #[repr(C)]
    struct Guid {
        data1: u32,
        data2: u16,
        data3: u16,
        data4: [u8; 8],
    }

    /// FOLDERID_LocalAppData {F1B32785-6FBA-4FCF-9D55-7B8E7F157091}.
    const FOLDERID_LOCAL_APP_DATA: Guid = Guid {
        data1: 0xF1B3_2785,
        data2: 0x6FBA,
        data3: 0x4FCF,
        data4: [0x9D, 0x55, 0x7B, 0x8E, 0x7F, 0x15, 0x70, 0x91],
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

    pub fn known_folder_local_app_data() -> Option<PathBuf> {
        let mut raw: *mut u16 = std::ptr::null_mut();
        // SAFETY: the GUID is a valid static; a null token means the current
        // user; on return `raw` is a NUL-terminated UTF-16 string owned by us
        // (even on failure it must be freed, and CoTaskMemFree accepts null).
        unsafe {
            let hr =
                SHGetKnownFolderPath(&FOLDERID_LOCAL_APP_DATA, 0, std::ptr::null_mut(), &mut raw);
            let path = if hr >= 0 && !raw.is_null() {
                let mut len = 0;
                while *raw.add(len) != 0 {
                    len += 1;
                }
                let wide = std::slice::from_raw_parts(raw, len);
                Some(PathBuf::from(OsString::from_wide(wide)))
            } else {
                None
            };
            CoTaskMemFree(raw.cast());
            path.filter(|p| !p.as_os_str().is_empty())
        }
    }
}
