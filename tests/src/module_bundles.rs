//! Finding built module bundles and copying them into a test server's modules dir.

use std::path::{Path, PathBuf};

/// The bundle folder for `name`: `target/test-bundles/<name>/` (test modules built by
/// `scripts/test.sh`) or else `<workspace>/plugins-dist/<name>/` (first-party modules).
///
/// # Panics
/// When neither exists.
pub fn find_bundle(name: &str) -> PathBuf {
    let candidates = [
        crate::target_dir().join("test-bundles").join(name),
        crate::workspace_root().join("plugins-dist").join(name),
    ];
    candidates
        .iter()
        .find(|dir| dir.is_dir())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "module bundle {name:?} not found in {} or {} — build it first: scripts/test.sh",
                candidates[0].display(),
                candidates[1].display()
            )
        })
}

/// The development key `scripts/build-modules.sh` signs every bundle with: its key id and
/// public key (`ed25519:<hex>`), read from `<target>/dev-signing-key/paperclip-dev.key`.
///
/// # Panics
/// When the bundles were not built (no key yet).
pub fn dev_signing_key() -> (String, String) {
    let path = crate::target_dir().join("dev-signing-key/paperclip-dev.key");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the development signing key {} ({e}) — build the bundles first: scripts/build-modules.sh",
            path.display()
        )
    });
    let key: serde_json::Value = serde_json::from_str(&text).expect("the key file is JSON");
    let field = |name: &str| {
        key[name]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no {name}", path.display()))
            .to_string()
    };
    (field("keyId"), field("publicKey"))
}

/// Copies the folder `from` into `to` (created), recursively; symlinks are followed.
///
/// # Panics
/// On any I/O error, naming the file.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
        let source = entry.path();
        let target = to.join(entry.file_name());
        if source.is_dir() {
            copy_dir(&source, &target);
        } else {
            std::fs::copy(&source, &target).unwrap_or_else(|e| {
                panic!(
                    "cannot copy {} to {}: {e}",
                    source.display(),
                    target.display()
                )
            });
        }
    }
}
