//! What Windows itself says: the user's Internet Settings proxy (the one
//! WinINet, and so the client, uses) and SRV records through the system's
//! resolver (`DnsQuery_W`: its DNS servers, suffixes and cache).

use crate::dns::Srv;
use std::sync::mpsc;
use std::time::Duration;
use windows_sys::Win32::NetworkManagement::Dns::{
    DnsFree, DnsFreeRecordList, DnsQuery_W, DNS_QUERY_STANDARD, DNS_RECORDA, DNS_RECORDW,
    DNS_TYPE_SRV,
};
use windows_sys::Win32::System::Registry::{
    RegGetValueW, HKEY_CURRENT_USER, RRF_RT_REG_DWORD, RRF_RT_REG_SZ,
};

const SETTINGS: &str = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings";

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

fn reg_string(value: &str) -> Option<String> {
    let (key, name) = (wide(SETTINGS), wide(value));
    let mut buf = vec![0u16; 4096];
    let mut bytes = u32::try_from(buf.len() * 2).ok()?;
    // SAFETY: the key and value names are NUL-terminated; `buf` holds `bytes` bytes.
    let rc = unsafe {
        RegGetValueW(
            HKEY_CURRENT_USER,
            key.as_ptr(),
            name.as_ptr(),
            RRF_RT_REG_SZ,
            std::ptr::null_mut(),
            buf.as_mut_ptr().cast(),
            &mut bytes,
        )
    };
    if rc != 0 {
        return None;
    }
    let len = (bytes as usize / 2).min(buf.len());
    let s = String::from_utf16_lossy(buf.get(..len).unwrap_or_default());
    let s = s.trim_end_matches('\0').trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn reg_dword(value: &str) -> Option<u32> {
    let (key, name) = (wide(SETTINGS), wide(value));
    let mut v: u32 = 0;
    let mut bytes = 4u32;
    // SAFETY: as above; `v` holds four bytes.
    let rc = unsafe {
        RegGetValueW(
            HKEY_CURRENT_USER,
            key.as_ptr(),
            name.as_ptr(),
            RRF_RT_REG_DWORD,
            std::ptr::null_mut(),
            (&mut v as *mut u32).cast(),
            &mut bytes,
        )
    };
    (rc == 0).then_some(v)
}

/// The Internet Settings proxy: `ProxyEnable`, `ProxyServer`,
/// `ProxyOverride`, `AutoConfigURL`.
pub struct InternetSettings {
    pub enabled: bool,
    pub server: Option<String>,
    pub bypass: Option<String>,
    pub pac: Option<String>,
}

pub fn internet_settings() -> InternetSettings {
    InternetSettings {
        enabled: reg_dword("ProxyEnable").unwrap_or(0) != 0,
        server: reg_string("ProxyServer"),
        bypass: reg_string("ProxyOverride"),
        pac: reg_string("AutoConfigURL"),
    }
}

/// SRV records through the system resolver, within `timeout` (the call has
/// no limit of its own: it runs on a thread left behind when it passes).
pub fn srv(name: &str, timeout: Duration) -> Result<Vec<Srv>, String> {
    let (tx, rx) = mpsc::channel();
    let owned = name.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(query_srv(&owned));
    });
    rx.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(format!(
            "the system resolver gave no answer for {name} within {} ms",
            timeout.as_millis()
        ))
    })
}

fn query_srv(name: &str) -> Result<Vec<Srv>, String> {
    let w = wide(name);
    let mut results: *mut DNS_RECORDA = std::ptr::null_mut();
    // SAFETY: `w` is NUL-terminated; on success `results` is a record list
    // the system allocated, freed below with DnsFree.
    let rc = unsafe {
        DnsQuery_W(
            w.as_ptr(),
            DNS_TYPE_SRV,
            DNS_QUERY_STANDARD,
            std::ptr::null_mut(),
            &mut results,
            std::ptr::null_mut(),
        )
    };
    if rc != 0 {
        return Err(match rc {
            9003 => format!("{name} does not exist (DNS_ERROR_RCODE_NAME_ERROR)"),
            9501 => format!("no SRV record for {name} (DNS_INFO_NO_RECORDS)"),
            _ => format!("the system resolver failed for {name} (error {rc})"),
        });
    }
    let mut out = Vec::new();
    let mut p = results.cast::<DNS_RECORDW>();
    // SAFETY: the list is walked as DnsQuery_W returned it (wide records,
    // since the W function was called), each read only while it is valid.
    unsafe {
        while let Some(r) = p.as_ref() {
            if r.wType == DNS_TYPE_SRV {
                let s = r.Data.SRV;
                out.push(Srv {
                    priority: s.wPriority,
                    weight: s.wWeight,
                    port: s.wPort,
                    target: wide_to_string(s.pNameTarget),
                });
            }
            p = r.pNext;
        }
        DnsFree(results.cast_const().cast(), DnsFreeRecordList);
    }
    out.sort_by(|a, b| (a.priority, b.weight).cmp(&(b.priority, a.weight)));
    if out.is_empty() {
        Err(format!("no SRV record for {name}"))
    } else {
        Ok(out)
    }
}

/// SAFETY: `p` is null or a NUL-terminated UTF-16 string.
unsafe fn wide_to_string(p: *const u16) -> String {
    if p.is_null() {
        return String::new();
    }
    let mut len = 0usize;
    // SAFETY: the string is NUL-terminated (the caller's promise).
    while unsafe { *p.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` units were just read.
    let units = unsafe { std::slice::from_raw_parts(p, len) };
    String::from_utf16_lossy(units)
        .trim_end_matches('.')
        .to_string()
}
