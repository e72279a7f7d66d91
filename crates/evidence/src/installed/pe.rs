//! The file version of a Windows executable (`lync.exe`): the
//! `VS_FIXEDFILEINFO` of its version resource, read with `pelite` from the
//! file's bytes, on any OS. This is what Explorer shows as "File version"
//! and what Microsoft says to read for the client's build (BRIEF §2).

use oimdiag_vocab::build_version::ClientBuild;

/// A `lync.exe` this large is not one (the real one is some 25 MB): reading
/// stops there.
pub const MAX_EXE_BYTES: u64 = 256 << 20;

/// The file version in `bytes` (a whole PE file), or why there is none.
pub fn file_version(bytes: &[u8]) -> Result<ClientBuild, String> {
    if !bytes.starts_with(b"MZ") {
        return Err("not a Windows executable (no MZ header)".into());
    }
    // pelite checks every offset it follows; the guard is for the day a
    // crafted file finds a path it does not.
    let read = std::panic::catch_unwind(|| -> Result<ClientBuild, String> {
        let pe = pelite::PeFile::from_bytes(bytes)
            .map_err(|e| format!("not a readable Windows executable: {e}"))?;
        let res = pe
            .resources()
            .map_err(|e| format!("has no resources to read a version from: {e}"))?;
        let info = res
            .version_info()
            .map_err(|e| format!("has no version resource: {e}"))?;
        let fixed = info
            .fixed()
            .ok_or_else(|| "its version resource has no fixed file information".to_string())?;
        let v = fixed.dwFileVersion;
        Ok(ClientBuild::new(
            u32::from(v.Major),
            u32::from(v.Minor),
            u32::from(v.Patch),
            u32::from(v.Build),
        ))
    });
    match read {
        Ok(r) => r,
        Err(_) => Err("its version resource could not be read (malformed)".into()),
    }
}

/// Reads the file version of the executable at `path` (read-only, at most
/// [`MAX_EXE_BYTES`]).
pub fn file_version_of(path: &std::path::Path) -> Result<ClientBuild, String> {
    use std::io::Read;
    let f = crate::fsread::open_evidence(path)
        .map_err(|e| format!("cannot be read: {}", crate::fsread::describe_io_error(&e)))?;
    let mut bytes = Vec::new();
    f.take(MAX_EXE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {}", crate::fsread::describe_io_error(&e)))?;
    file_version(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_is_an_error_not_a_panic() {
        assert!(file_version(b"").is_err());
        assert!(file_version(b"MZ").is_err());
        let mut b = b"MZ".to_vec();
        b.resize(4096, 0xff);
        assert!(file_version(&b).is_err());
        assert!(file_version(b"hello").is_err());
    }
}
