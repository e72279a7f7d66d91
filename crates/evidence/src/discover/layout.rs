//! Where the client keeps things: `sip_<address>` profile folders and the
//! `Lync` folders below a root, whichever level of the usual tree the root
//! is; and links met on the way, named with their targets.

use super::*;

/// `sip_alice@contoso.com` → `alice@contoso.com`. A collected copy may
/// have the name URL-encoded (`sip_alice%40contoso.com`: an upload, a sync
/// client or a zip tool did that, not Skype): it is the same user, decoded.
pub fn profile_address(folder: &str) -> Option<String> {
    let prefix = folder.get(..PROFILE_PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(PROFILE_PREFIX) {
        return None;
    }
    let addr = folder.get(PROFILE_PREFIX.len()..)?;
    // Escapes that do not make UTF-8 are not an encoding: kept as they are.
    let addr = percent_encoding::percent_decode_str(addr)
        .decode_utf8()
        .unwrap_or(std::borrow::Cow::Borrowed(addr));
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

pub(super) fn is_office_version(name: &str) -> bool {
    let mut parts = name.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    )
}

pub(super) fn child_ci(dir: &Path, name: &str) -> Option<PathBuf> {
    subdirs(dir)
        .into_iter()
        .find(|p| file_name_lossy(p).eq_ignore_ascii_case(name))
}

/// Why a link met below a root is skipped. A link to a folder (a profile
/// or Lync folder moved to another disk, a junction on Windows) names its
/// target, so the user can scan it where it lies.
pub(super) fn link_reason(link: &Path) -> String {
    const NOT_FOLLOWED: &str = "symbolic link: not followed (evidence is read only where it lies)";
    // Follows the link: a folder only (a loop or a dangling link is not).
    if !fs::metadata(link).is_ok_and(|m| m.is_dir()) {
        return NOT_FOLLOWED.to_string();
    }
    let Ok(target) = fs::canonicalize(link).or_else(|_| fs::read_link(link)) else {
        return NOT_FOLLOWED.to_string();
    };
    let target = target.display().to_string();
    let target = strip_verbatim(&target).unwrap_or(target);
    let name = file_name_lossy(link);
    let what = match profile_address(&name) {
        Some(a) => format!("the profile folder of {a}"),
        None if name.eq_ignore_ascii_case("Lync") => "the Lync folder".to_string(),
        None if name.eq_ignore_ascii_case(SPOOLER_DIR) => "a History Spooler folder".to_string(),
        None => "a folder".to_string(),
    };
    format!(
        "{NOT_FOLLOWED}; it is {what}, a link to {target}: to read it, pass that folder \
         as PATH: oimdiag scan \"{target}\""
    )
}

/// The links on the way from `root` to where its Lync folders would be
/// (`Microsoft\Office\<ver>\Lync`, or from any level of that path), for
/// [`lync_dirs`], which follows none, to explain finding nothing.
pub(super) fn lync_links(root: &Path) -> Vec<PathBuf> {
    let mut links = Vec::new();
    let mut level = vec![root.to_path_buf()];
    for step in ["Microsoft", "Office", "<ver>", "Lync"] {
        let mut next = Vec::new();
        for dir in &level {
            let Ok(entries) = list_dir(dir) else {
                continue;
            };
            for e in entries {
                let name = e.name.to_string_lossy();
                let wanted = match step {
                    "<ver>" => is_office_version(&name),
                    _ => name.eq_ignore_ascii_case(step),
                };
                let path = dir.join(&e.name);
                let kind = e.kind.or_else(|| {
                    fs::symlink_metadata(&path)
                        .ok()
                        .map(|m| Kind::of(m.file_type()))
                });
                match kind {
                    Some(Kind::Symlink) if wanted => links.push(path),
                    Some(Kind::Dir) if wanted => next.push(path),
                    _ => {}
                }
            }
        }
        // The root may be any level of the path: each level is also looked
        // for from the root itself.
        next.push(root.to_path_buf());
        next.sort();
        next.dedup();
        level = next;
    }
    links.sort();
    links.dedup();
    links
}

/// Real directories only: a link named like ours is not followed.
pub(super) fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = list_dir(dir) else {
        return Vec::new();
    };
    entries
        .into_iter()
        .map(|e| (dir.join(&e.name), e.kind))
        .filter(|(p, kind)| match kind {
            Some(k) => *k == Kind::Dir,
            None => fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()),
        })
        .map(|(p, _)| p)
        .collect()
}
