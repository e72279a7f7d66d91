//! Windows shell files below a History Spooler (BRIEF §3.2): `desktop.ini`,
//! `Thumbs.db` and the like are not offline messages. The list is data
//! (`shell-files.txt`), so a name found on a real machine is one line to add.

use std::sync::OnceLock;

/// One line of the list: a name, or a name with `*` at one end.
enum Pattern {
    Exact(String),
    Prefix(String),
    Suffix(String),
}

fn patterns() -> &'static [Pattern] {
    static LIST: OnceLock<Vec<Pattern>> = OnceLock::new();
    LIST.get_or_init(|| parse(include_str!("shell-files.txt")))
}

fn parse(list: &str) -> Vec<Pattern> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let l = l.to_lowercase();
            if let Some(p) = l.strip_suffix('*') {
                Pattern::Prefix(p.to_string())
            } else if let Some(s) = l.strip_prefix('*') {
                Pattern::Suffix(s.to_string())
            } else {
                Pattern::Exact(l)
            }
        })
        .collect()
}

/// Whether a file of this name is a shell file, not a message.
pub fn is_shell_file(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy().to_lowercase();
    patterns().iter().any(|p| match p {
        Pattern::Exact(e) => name == *e,
        Pattern::Prefix(p) => name.starts_with(p.as_str()),
        Pattern::Suffix(s) => name.ends_with(s.as_str()),
    })
}

/// The reason a shell file is skipped.
pub const REASON: &str = "Windows shell file (desktop.ini, Thumbs.db and the like), not an \
                          offline message: not read";

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn shell_files_are_told_from_messages() {
        for n in [
            "desktop.ini",
            "DESKTOP.INI",
            "Thumbs.db",
            "ehthumbs.db",
            ".DS_Store",
            "._7f3a9c.hist",
            "~$draft.hist",
            "7f3a9c.hist:Zone.Identifier",
        ] {
            assert!(is_shell_file(OsStr::new(n)), "{n}");
        }
        for n in [
            "7f3a9c.hist",
            "8b11e0.dat",
            "desktop.ini.hist",
            "Thumbs.db.bak",
            "x._y",
        ] {
            assert!(!is_shell_file(OsStr::new(n)), "{n}");
        }
    }
}
