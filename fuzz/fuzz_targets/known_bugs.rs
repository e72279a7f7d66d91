//! Lets a fuzz run go on past a panic that is already known and filed.
//!
//! `OIMDIAG_FUZZ_IGNORE=spooler.rs:268,sip.rs:40` names panic locations
//! (`file name:line`) to treat as uninteresting: such a panic unwinds quietly
//! and the input is dropped instead of stopping the run. Unset (the default),
//! every panic is a crash, as libFuzzer expects.

use std::panic::{self, PanicHookInfo};
use std::sync::Once;

static INSTALL: Once = Once::new();

fn ignored() -> Vec<String> {
    std::env::var("OIMDIAG_FUZZ_IGNORE")
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn is_ignored(info: &PanicHookInfo<'_>, list: &[String]) -> bool {
    let Some(loc) = info.location() else {
        return false;
    };
    let file = loc.file().rsplit('/').next().unwrap_or(loc.file());
    let here = format!("{file}:{}", loc.line());
    list.contains(&here)
}

/// Runs `f` on `data`; a panic at an ignored location is swallowed.
pub fn run(data: &[u8], f: fn(&[u8])) {
    INSTALL.call_once(|| {
        let list = ignored();
        if list.is_empty() {
            return;
        }
        // libFuzzer's hook aborts; keep it for every other panic.
        let abort_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !is_ignored(info, &list) {
                abort_hook(info);
            }
        }));
    });
    let _ = panic::catch_unwind(|| f(data));
}
