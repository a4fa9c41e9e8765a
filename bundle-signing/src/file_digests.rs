//! What a bundle is made of: every file below its folder except the manifest and the
//! signature file at its root, by relative path (`/`-separated), with the SHA-256 of each —
//! the `files` object of a signed manifest.

use crate::{hex, MANIFEST_FILE, SIGNATURE_FILE};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// Relative path (`/`-separated) → SHA-256 (64 lowercase hex digits).
pub type FileDigests = BTreeMap<String, String>;

/// The files of the bundle folder `dir` and their digests. Links to files are followed (their
/// content counts, as `module pack` packs it); a link to a folder, a special file or a name
/// that is not UTF-8 is refused with its path, since it could not be signed or packed.
pub fn digest_folder(dir: &Path) -> Result<FileDigests, String> {
    let mut digests = FileDigests::new();
    walk(dir, "", &mut digests)?;
    Ok(digests)
}

fn walk(dir: &Path, prefix: &str, digests: &mut FileDigests) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name().into_string().map_err(|raw| {
            format!(
                "{}: file names in a bundle must be UTF-8",
                dir.join(raw).display()
            )
        })?;
        let relative = format!("{prefix}{name}");
        if prefix.is_empty() && (name == MANIFEST_FILE || name == SIGNATURE_FILE) {
            continue;
        }
        let link = std::fs::symlink_metadata(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {relative}: {e}"))?;
        if meta.is_dir() {
            if link.file_type().is_symlink() {
                return Err(format!(
                    "{relative} is a link to a folder; a bundle holds files and folders only"
                ));
            }
            walk(&path, &format!("{relative}/"), digests)?;
        } else if meta.is_file() {
            digests.insert(relative, digest_file(&path)?);
        } else {
            return Err(format!("{relative} is not a file or folder"));
        }
    }
    Ok(())
}

/// SHA-256 of a file's content, lowercase hex, read in blocks.
pub fn digest_file(path: &Path) -> Result<String, String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
    }
    Ok(hex::encode(&hasher.finalize()))
}

/// SHA-256 of bytes, lowercase hex.
pub fn digest_bytes(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes))
}

/// The platform's file name for a library base name (`lib<name>.so`, `lib<name>.dylib`,
/// `<name>.dll`), to call the library a library in problems.
pub fn library_file_name(base: &str) -> String {
    if cfg!(target_os = "windows") {
        format!("{base}.dll")
    } else if cfg!(target_os = "macos") {
        format!("lib{base}.dylib")
    } else {
        format!("lib{base}.so")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_but_the_manifest_and_signature_at_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(MANIFEST_FILE), "{}").unwrap();
        std::fs::write(root.join(SIGNATURE_FILE), "{}").unwrap();
        std::fs::write(root.join("libm.so"), b"lib").unwrap();
        std::fs::create_dir_all(root.join("migrations/sqlite/1_init")).unwrap();
        std::fs::write(root.join("migrations/sqlite/1_init/up.sql"), b"CREATE").unwrap();
        std::fs::create_dir_all(root.join("ui")).unwrap();
        // Only the root's manifest is left out.
        std::fs::write(root.join("ui").join(MANIFEST_FILE), b"x").unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        let digests = digest_folder(root).unwrap();
        let paths: Vec<&str> = digests.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            vec![
                "libm.so",
                "migrations/sqlite/1_init/up.sql",
                "ui/paperclip.module.json"
            ]
        );
        assert_eq!(digests["libm.so"], digest_bytes(b"lib"));
        assert_eq!(
            digest_file(&root.join("libm.so")).unwrap(),
            digest_bytes(b"lib")
        );
    }

    #[cfg(unix)]
    #[test]
    fn file_links_count_by_content_and_folder_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("real.js"), b"js").unwrap();
        std::os::unix::fs::symlink(outside.path().join("real.js"), dir.path().join("a.js"))
            .unwrap();
        assert_eq!(
            digest_folder(dir.path()).unwrap()["a.js"],
            digest_bytes(b"js")
        );
        std::os::unix::fs::symlink(outside.path(), dir.path().join("ui")).unwrap();
        let err = digest_folder(dir.path()).unwrap_err();
        assert!(err.contains("ui is a link to a folder"), "{err}");
    }
}
