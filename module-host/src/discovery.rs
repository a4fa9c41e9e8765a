//! Finding module bundles: every sub-folder of the modules directory (`plugins-dist/` by
//! default) holding a `paperclip.module.json`. Reads files only; runs no module code.

use super::manifest::{parse_manifest, Manifest, ManifestError, MANIFEST_FILE};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// One bundle folder found in the modules directory.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The bundle folder.
    pub dir: PathBuf,
    /// The folder's name (bundles are considered in folder-name order).
    pub folder: String,
    /// The module id: the manifest's `id` when it can be read, else the folder name.
    pub id: String,
    /// The validated manifest, or why it was refused.
    pub manifest: Result<Manifest, ManifestError>,
    /// SHA-256 of the manifest file, to notice a changed bundle on rescan.
    pub manifest_digest: String,
}

impl Bundle {
    /// Reads the bundle in `dir` (which must hold a manifest file).
    pub fn read(dir: &Path) -> Bundle {
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(dir.join(MANIFEST_FILE));
        let manifest_digest = text.as_deref().map(sha256_hex).unwrap_or_default();
        let manifest = match &text {
            Ok(text) => parse_manifest(text),
            Err(e) => Err(ManifestError::Read(e.to_string())),
        };
        let id = match &manifest {
            Ok(m) => m.id.clone(),
            // An invalid manifest may still name its id; use it when it looks like one, so the
            // module is reported under the name its author expects.
            Err(_) => text
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v.get("id").and_then(|id| id.as_str()).map(str::to_owned))
                .filter(|id| looks_like_id(id))
                .unwrap_or_else(|| folder.clone()),
        };
        Bundle {
            dir: dir.to_path_buf(),
            folder,
            id,
            manifest,
            manifest_digest,
        }
    }

    /// Where the module library should be, for the manifest's `library` base name.
    pub fn library_path(&self, manifest: &Manifest) -> PathBuf {
        self.dir.join(library_file_name(&manifest.library))
    }
}

/// Scans `modules_dir` for bundles, in folder-name order. A missing directory holds no bundles;
/// folders starting with `.` (unpacking in progress) and folders without a manifest are skipped.
pub fn discover(modules_dir: &Path) -> std::io::Result<Vec<Bundle>> {
    let entries = match std::fs::read_dir(modules_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with('.') || !path.is_dir() {
            continue;
        }
        if path.join(MANIFEST_FILE).is_file() {
            dirs.push((name, path));
        } else {
            tracing::debug!(folder = %path.display(), "no {MANIFEST_FILE}; not a module bundle");
        }
    }
    dirs.sort();
    Ok(dirs
        .into_iter()
        .map(|(_, dir)| Bundle::read(&dir))
        .collect())
}

/// The platform's file name for a library base name: `lib<name>.so` (Linux and other Unix),
/// `lib<name>.dylib` (macOS), `<name>.dll` (Windows).
pub fn library_file_name(base: &str) -> String {
    if cfg!(target_os = "windows") {
        format!("{base}.dll")
    } else if cfg!(target_os = "macos") {
        format!("lib{base}.dylib")
    } else {
        format!("lib{base}.so")
    }
}

/// A cheap identity of a file's current content: size, modification time and (on Unix) device
/// and inode. Used to notice a library replaced on disk without reading it (a bundle is
/// replaced by writing new files, which changes at least one of them).
pub fn file_fingerprint(path: &Path) -> std::io::Result<String> {
    let metadata = std::fs::metadata(path)?;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    #[cfg(unix)]
    let identity = {
        use std::os::unix::fs::MetadataExt;
        format!("{}:{}", metadata.dev(), metadata.ino())
    };
    #[cfg(not(unix))]
    let identity = String::new();
    Ok(format!("{}:{modified}:{identity}", metadata.len()))
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    Sha256::digest(bytes.as_ref())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn looks_like_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, file: &str, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(file), text).unwrap();
    }

    #[test]
    fn finds_bundles_in_folder_order_and_skips_the_rest() {
        let root = tempfile::tempdir().unwrap();
        let valid = r#"{"id": "zeta", "name": "Z", "version": "1.0.0", "library": "zeta"}"#;
        write(&root.path().join("b-zeta"), MANIFEST_FILE, valid);
        write(
            &root.path().join("a-broken"),
            MANIFEST_FILE,
            r#"{"id": "broken", "name": "B"}"#,
        );
        write(&root.path().join("c-empty"), "README.md", "not a bundle");
        write(&root.path().join(".unpacking"), MANIFEST_FILE, valid);
        write(root.path(), "stray-file.json", "{}");

        let bundles = discover(root.path()).unwrap();
        let seen: Vec<(&str, &str, bool)> = bundles
            .iter()
            .map(|b| (b.folder.as_str(), b.id.as_str(), b.manifest.is_ok()))
            .collect();
        assert_eq!(
            seen,
            vec![("a-broken", "broken", false), ("b-zeta", "zeta", true)]
        );
        let zeta = &bundles[1];
        assert_eq!(zeta.manifest_digest, sha256_hex(valid));
        let manifest = zeta.manifest.as_ref().unwrap();
        assert_eq!(
            zeta.library_path(manifest),
            root.path().join("b-zeta").join(library_file_name("zeta"))
        );
    }

    #[test]
    fn an_unreadable_id_falls_back_to_the_folder_name() {
        let root = tempfile::tempdir().unwrap();
        write(&root.path().join("weird"), MANIFEST_FILE, "not json");
        write(
            &root.path().join("upper"),
            MANIFEST_FILE,
            r#"{"id": "Upper"}"#,
        );
        let bundles = discover(root.path()).unwrap();
        assert_eq!(bundles[0].id, "upper");
        assert_eq!(bundles[1].id, "weird");
    }

    #[test]
    fn a_missing_modules_dir_holds_no_bundles() {
        let root = tempfile::tempdir().unwrap();
        assert!(discover(&root.path().join("absent")).unwrap().is_empty());
    }

    #[test]
    fn a_rewritten_file_gets_a_new_fingerprint() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("libx.so");
        std::fs::write(&path, b"one").unwrap();
        let first = file_fingerprint(&path).unwrap();
        assert_eq!(file_fingerprint(&path).unwrap(), first);
        let replacement = root.path().join("libx.so.new");
        std::fs::write(&replacement, b"two").unwrap();
        std::fs::rename(&replacement, &path).unwrap();
        assert_ne!(file_fingerprint(&path).unwrap(), first);
    }

    #[test]
    fn library_names_follow_the_platform() {
        let name = library_file_name("observability");
        if cfg!(target_os = "linux") {
            assert_eq!(name, "libobservability.so");
        }
        assert!(name.contains("observability"));
    }
}
