//! Loading module libraries into the process: the file must be in the bundle, then the SDK's
//! `load_module_root` opens it and checks its ABI layout (a newer server loads modules built
//! against an older SDK; a module built against a newer SDK is refused).
//!
//! abi_stable never unloads a library, so a path is opened at most once per process: loading
//! it again returns the first outcome. A file replaced on disk after it was opened is only
//! picked up by a restart; [`LibraryCache::changed_on_disk`] tells the host so.

use super::discovery::file_fingerprint;
use super::module_status::{ModuleStatus, StatusReason};
use module_sdk::abi::{load_module_root, LoadError, ModuleRoot_Ref};
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A module library in the process.
#[derive(Clone, Copy)]
pub struct LoadedLibrary {
    /// The checked root module: the module's entry points.
    pub root: ModuleRoot_Ref,
}

impl LoadedLibrary {
    /// What the module says about its build (`describe`, added in ABI 1.1): SDK, ABI and crate
    /// versions. `None` for modules built against ABI 1.0 or with an unreadable answer.
    pub fn build_info(&self) -> Option<Value> {
        let describe = self.root.describe()?;
        serde_json::from_str(describe().as_str()).ok()
    }
}

/// One library path the process has opened, and the result.
struct Opened {
    /// Fingerprint of the file when it was opened.
    fingerprint: String,
    outcome: Result<LoadedLibrary, StatusReason>,
}

/// The libraries this process has opened, by path.
#[derive(Default)]
pub struct LibraryCache {
    opened: Mutex<HashMap<PathBuf, Opened>>,
}

impl LibraryCache {
    /// An empty cache.
    pub fn new() -> LibraryCache {
        LibraryCache::default()
    }

    /// Whether this process opened the library at `path` already.
    pub fn is_opened(&self, path: &Path) -> bool {
        self.opened.lock().contains_key(path)
    }

    /// Loads the library at `path` (once per process) and checks its ABI. Errors carry the
    /// module's status: `failed` when the file is missing or cannot be opened or initialized,
    /// `incompatible` when it is not a Paperclip module or its ABI does not fit.
    pub fn load(&self, path: &Path) -> Result<LoadedLibrary, StatusReason> {
        let fingerprint = match file_fingerprint(path) {
            Ok(fingerprint) => fingerprint,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StatusReason::new(
                    ModuleStatus::Failed,
                    format!(
                        "library file {} not found in the bundle",
                        display_name(path)
                    ),
                ))
            }
            Err(e) => {
                return Err(StatusReason::new(
                    ModuleStatus::Failed,
                    format!("cannot read library file {}: {e}", path.display()),
                ))
            }
        };
        let mut opened = self.opened.lock();
        if let Some(previous) = opened.get(path) {
            if previous.fingerprint != fingerprint {
                return Err(StatusReason::new(
                    ModuleStatus::Failed,
                    format!(
                        "library file {} changed on disk after this server opened it; restart the server to load the new file",
                        display_name(path)
                    ),
                ));
            }
            return previous.outcome.clone();
        }
        let outcome = open(path);
        let keep = !matches!(&outcome, Err(e) if e.reason.starts_with(OPEN_FAILED));
        if keep {
            opened.insert(
                path.to_path_buf(),
                Opened {
                    fingerprint,
                    outcome: outcome.clone(),
                },
            );
        }
        outcome
    }

    /// Whether the file at `path` differs from the one this process opened (or was removed).
    /// `false` for a path never opened.
    pub fn changed_on_disk(&self, path: &Path) -> bool {
        let opened = self.opened.lock();
        match opened.get(path) {
            Some(previous) => match file_fingerprint(path) {
                Ok(fingerprint) => fingerprint != previous.fingerprint,
                Err(_) => true,
            },
            None => false,
        }
    }
}

/// Reason prefix of a library the system loader could not open at all (nothing stays loaded,
/// so a later attempt may succeed).
const OPEN_FAILED: &str = "cannot open";

fn open(path: &Path) -> Result<LoadedLibrary, StatusReason> {
    // The SDK's loader catches panics of the library's constructor itself; a panic in the
    // loader would be a bug in abi_stable, which must not take the server down either.
    let loaded = std::panic::catch_unwind(|| load_module_root(path)).map_err(|_| {
        StatusReason::new(
            ModuleStatus::Failed,
            format!("loading {} panicked", display_name(path)),
        )
    })?;
    loaded
        .map(|root| LoadedLibrary { root })
        .map_err(|error| load_failure(path, &error))
}

/// The module status and reason for a library at `path` the SDK's loader refused (here or in a
/// module process's runner, with the same words).
pub(crate) fn load_failure(path: &Path, error: &LoadError) -> StatusReason {
    let status = match error {
        LoadError::Open(_) | LoadError::Init(_) => ModuleStatus::Failed,
        LoadError::NotAModule(_)
        | LoadError::NoLayout
        | LoadError::NewerSdk(_)
        | LoadError::Incompatible(_) => ModuleStatus::Incompatible,
    };
    let reason = match error {
        LoadError::Open(_) => format!("{OPEN_FAILED} {}: {error}", display_name(path)),
        _ => format!("{}: {error}", display_name(path)),
    };
    StatusReason::new(status, reason)
}

pub(crate) fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_fails_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = LibraryCache::new()
            .load(&dir.path().join("libghost.so"))
            .err()
            .unwrap();
        assert_eq!(err.status, ModuleStatus::Failed);
        assert_eq!(
            err.reason,
            "library file libghost.so not found in the bundle"
        );
    }

    #[test]
    fn a_file_that_is_no_library_fails_and_can_be_retried() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libjunk.so");
        std::fs::write(&path, b"this is not an ELF file").unwrap();
        let cache = LibraryCache::new();
        let err = cache.load(&path).err().unwrap();
        assert_eq!(err.status, ModuleStatus::Failed);
        assert!(
            err.reason.starts_with("cannot open libjunk.so"),
            "{}",
            err.reason
        );
        // Nothing stayed loaded, so the path is not remembered and a fixed file may load.
        assert!(!cache.changed_on_disk(&path));
    }
}
