//! The zone rules of the machine oimdiag runs on, by name where the OS
//! tells one: on Unix `TZ` (with or without its leading colon), else the
//! `/etc/localtime` link into a zoneinfo folder, else `/etc/timezone`; on
//! Windows the zone's id (`GetDynamicTimeZoneInformation`, else
//! `GetTimeZoneInformation` where that is missing) mapped to its IANA name
//! by the CLDR table in `windows-zones.txt`. A name goes through chrono-tz's
//! rules, compiled in, so every machine reads a zone alike; where the OS
//! gives no usable name, `chrono::Local` (which reads the TZif file, a POSIX
//! `TZ` string or the Windows rules itself) is in force and the name is null.

use super::{parse_iana, LocalZone, Rules, ZoneSource};

/// The machine's zone: what local log times are read by when no flag says.
pub fn machine_zone() -> LocalZone {
    #[cfg(windows)]
    {
        windows::zone()
    }
    #[cfg(not(windows))]
    {
        let tz = std::env::var("TZ").ok();
        unix_zone(
            tz.as_deref(),
            std::fs::read_link("/etc/localtime").ok().as_deref(),
            std::fs::read_to_string("/etc/timezone").ok().as_deref(),
        )
    }
}

/// The machine's rules and no name.
fn unnamed() -> LocalZone {
    LocalZone {
        rules: Rules::Machine,
        name: None,
        windows_id: None,
        source: ZoneSource::Machine,
    }
}

fn named(name: &str) -> Option<LocalZone> {
    parse_iana(name).map(|tz| LocalZone::named(tz, ZoneSource::Machine))
}

/// `Europe/Rome` from `/usr/share/zoneinfo/Europe/Rome` (or `.../posix/...`).
#[cfg_attr(windows, allow(dead_code))]
fn name_in_zoneinfo(path: &str) -> Option<&str> {
    let (_, rest) = path.rsplit_once("zoneinfo/")?;
    Some(
        rest.strip_prefix("posix/")
            .or_else(|| rest.strip_prefix("right/"))
            .unwrap_or(rest),
    )
}

/// As glibc reads them: `TZ` first (empty = UTC; `:` may lead; a name, a
/// zoneinfo path or a POSIX rule string), else `/etc/localtime`.
#[cfg_attr(windows, allow(dead_code))]
fn unix_zone(
    tz: Option<&str>,
    localtime_link: Option<&std::path::Path>,
    etc_timezone: Option<&str>,
) -> LocalZone {
    if let Some(tz) = tz {
        let t = tz.strip_prefix(':').unwrap_or(tz).trim();
        if t.is_empty() {
            return named("UTC").unwrap_or_else(unnamed);
        }
        let name = if t.starts_with('/') {
            name_in_zoneinfo(t)
        } else {
            Some(t)
        };
        // A POSIX rule string (`CET-1CEST,M3.5.0,M10.5.0/3`) or a file
        // outside zoneinfo: chrono::Local reads it as glibc would.
        return name.and_then(named).unwrap_or_else(unnamed);
    }
    if let Some(z) = localtime_link
        .and_then(|p| p.to_str())
        .and_then(name_in_zoneinfo)
        .and_then(named)
    {
        return z;
    }
    // A copied TZif file (no link): Debian and Ubuntu also write the name here.
    etc_timezone
        .and_then(|s| s.lines().next())
        .map(str::trim)
        .and_then(named)
        .unwrap_or_else(unnamed)
}

/// The IANA zone CLDR maps a Windows zone id to.
#[cfg_attr(not(windows), allow(dead_code))]
fn iana_of_windows_id(id: &str) -> Option<&'static str> {
    include_str!("windows-zones.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .find(|(w, _)| w.eq_ignore_ascii_case(id.trim()))
        .map(|(_, iana)| iana)
}

#[cfg(windows)]
mod windows {
    use super::{iana_of_windows_id, named, unnamed, LocalZone};
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    use windows_sys::Win32::System::Time::{
        GetTimeZoneInformation, DYNAMIC_TIME_ZONE_INFORMATION, TIME_ZONE_ID_INVALID,
        TIME_ZONE_INFORMATION,
    };

    type GetDynamic = unsafe extern "system" fn(*mut DYNAMIC_TIME_ZONE_INFORMATION) -> u32;

    pub fn zone() -> LocalZone {
        let Some(id) = windows_id() else {
            return unnamed();
        };
        let mut z = iana_of_windows_id(&id)
            .and_then(named)
            .unwrap_or_else(unnamed);
        z.windows_id = Some(id);
        z
    }

    fn text(w: &[u16]) -> Option<String> {
        let end = w.iter().position(|c| *c == 0).unwrap_or(w.len());
        let s = String::from_utf16_lossy(w.get(..end)?);
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    }

    /// The zone's registry key name (`W. Europe Standard Time`): never
    /// translated. Asked of `GetDynamicTimeZoneInformation` looked up at run
    /// time, so that a Windows (or Wine) without it still starts; there the
    /// standard name stands in, which is the key name on English systems
    /// and under Wine (elsewhere it is translated and maps to nothing).
    fn windows_id() -> Option<String> {
        let kernel32: Vec<u16> = "kernel32.dll\0".encode_utf16().collect();
        // SAFETY: a NUL-terminated name; a module every process has loaded.
        let module = unsafe { GetModuleHandleW(kernel32.as_ptr()) };
        if !module.is_null() {
            // SAFETY: a NUL-terminated ASCII name.
            let f =
                unsafe { GetProcAddress(module, c"GetDynamicTimeZoneInformation".as_ptr().cast()) };
            if let Some(f) = f {
                // SAFETY: the documented signature of that export.
                let get: GetDynamic = unsafe { std::mem::transmute::<_, GetDynamic>(f) };
                let mut info = DYNAMIC_TIME_ZONE_INFORMATION::default();
                // SAFETY: `info` is a writable structure of the right size.
                if unsafe { get(&mut info) } != TIME_ZONE_ID_INVALID {
                    if let Some(key) = text(&info.TimeZoneKeyName) {
                        return Some(key);
                    }
                }
            }
        }
        let mut info = TIME_ZONE_INFORMATION::default();
        // SAFETY: `info` is a writable structure of the right size.
        if unsafe { GetTimeZoneInformation(&mut info) } == TIME_ZONE_ID_INVALID {
            return None;
        }
        text(&info.StandardName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn name(z: &LocalZone) -> Option<&str> {
        z.name.as_deref()
    }

    #[test]
    fn tz_variable_first_with_or_without_colon() {
        let link = Some(Path::new("/usr/share/zoneinfo/Asia/Tokyo"));
        for tz in [
            "Europe/Rome",
            ":Europe/Rome",
            ":/usr/share/zoneinfo/Europe/Rome",
        ] {
            let z = unix_zone(Some(tz), link, None);
            assert_eq!(name(&z), Some("Europe/Rome"), "{tz}");
            assert_eq!(z.source, ZoneSource::Machine);
        }
        assert_eq!(name(&unix_zone(Some(""), link, None)), Some("UTC"));
        // A POSIX rule string: the machine's rules, no name.
        let z = unix_zone(Some("CET-1CEST,M3.5.0,M10.5.0/3"), link, None);
        assert_eq!((z.rules, z.name), (Rules::Machine, None));
    }

    #[test]
    fn localtime_link_then_etc_timezone() {
        let z = unix_zone(
            None,
            Some(Path::new("../usr/share/zoneinfo/Europe/Rome")),
            None,
        );
        assert_eq!(name(&z), Some("Europe/Rome"));
        let z = unix_zone(
            None,
            Some(Path::new("/usr/share/zoneinfo/posix/America/New_York")),
            None,
        );
        assert_eq!(name(&z), Some("America/New_York"));
        let z = unix_zone(None, None, Some("Europe/Berlin\n"));
        assert_eq!(name(&z), Some("Europe/Berlin"));
        let z = unix_zone(None, None, None);
        assert_eq!((z.rules, z.name), (Rules::Machine, None));
    }

    #[test]
    fn windows_ids_map_to_zones_chrono_tz_knows() {
        assert_eq!(
            iana_of_windows_id("W. Europe Standard Time"),
            Some("Europe/Berlin")
        );
        assert_eq!(
            iana_of_windows_id("pacific standard time"),
            Some("America/Los_Angeles")
        );
        assert_eq!(iana_of_windows_id("Nowhere Standard Time"), None);
        let table = include_str!("windows-zones.txt");
        let mut n = 0;
        for (id, iana) in table
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
        {
            assert!(parse_iana(iana).is_some(), "{id} → {iana}");
            n += 1;
        }
        assert!(n > 130, "{n}");
    }
}
