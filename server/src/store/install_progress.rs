//! The module installs running in this process: at most one per module and modules folder
//! (two installs of the same module would race for its folder), each with its progress, which
//! `GET /api/store` shows while `POST /api/store/install` is still working.
//!
//! Process-wide on purpose: the registry guards the modules folder, and every server, request
//! and CLI call in this process that installs into that folder must see the same one.

use super::store_error::StoreError;
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What an install is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InstallStage {
    /// Downloading the bundle (see `received` / `total`).
    Downloading,
    /// Checking the digest, the archive entries and the manifest.
    Verifying,
    /// Unpacking into a temporary folder beside the module's folder and swapping it in.
    Unpacking,
}

/// Progress of one install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallProgress {
    /// The module.
    pub module_id: String,
    /// The version being installed.
    pub version: String,
    /// Current stage.
    pub stage: InstallStage,
    /// Bytes of the bundle received so far.
    pub received: u64,
    /// The bundle's size, when the source says it.
    pub total: Option<u64>,
}

type Key = (PathBuf, String);

static INSTALLS: Mutex<BTreeMap<Key, InstallProgress>> = parking_lot::const_mutex(BTreeMap::new());

/// An install in progress; dropping it ends it.
#[derive(Debug)]
pub struct InstallGuard {
    key: Key,
}

impl InstallGuard {
    /// Changes the recorded progress and returns a copy of it.
    pub fn update(&self, change: impl FnOnce(&mut InstallProgress)) -> InstallProgress {
        let mut installs = INSTALLS.lock();
        let progress = installs
            .get_mut(&self.key)
            .expect("an install stays registered while its guard lives");
        change(progress);
        progress.clone()
    }
}

impl Drop for InstallGuard {
    fn drop(&mut self) {
        INSTALLS.lock().remove(&self.key);
    }
}

/// Registers the install of `module_id` `version` into `modules_dir`, or refuses when one
/// already runs.
pub fn begin(
    modules_dir: &Path,
    module_id: &str,
    version: &str,
) -> Result<InstallGuard, StoreError> {
    let key = (folder_key(modules_dir), module_id.to_string());
    let mut installs = INSTALLS.lock();
    if installs.contains_key(&key) {
        return Err(StoreError::Busy(module_id.to_string()));
    }
    installs.insert(
        key.clone(),
        InstallProgress {
            module_id: module_id.to_string(),
            version: version.to_string(),
            stage: InstallStage::Downloading,
            received: 0,
            total: None,
        },
    );
    Ok(InstallGuard { key })
}

/// The installs into `modules_dir` running now, by module id.
pub fn in_progress(modules_dir: &Path) -> BTreeMap<String, InstallProgress> {
    let folder = folder_key(modules_dir);
    INSTALLS
        .lock()
        .iter()
        .filter(|((dir, _), _)| *dir == folder)
        .map(|((_, id), progress)| (id.clone(), progress.clone()))
        .collect()
}

/// The same folder named relatively or absolutely gives the same key (the folder may not exist
/// yet, so it is not canonicalized).
fn folder_key(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_install_per_module_and_folder() {
        let dir = tempfile::tempdir().unwrap();
        let guard = begin(dir.path(), "m", "1.0.0").unwrap();
        assert!(matches!(
            begin(dir.path(), "m", "1.0.1"),
            Err(StoreError::Busy(id)) if id == "m"
        ));
        let other = tempfile::tempdir().unwrap();
        let elsewhere = begin(other.path(), "m", "1.0.0").unwrap();
        let seen = guard.update(|p| {
            p.received = 10;
            p.total = Some(20);
        });
        assert_eq!(seen.received, 10);
        assert_eq!(in_progress(dir.path())["m"].total, Some(20));
        drop(guard);
        assert!(in_progress(dir.path()).is_empty());
        assert_eq!(in_progress(other.path()).len(), 1);
        drop(elsewhere);
        begin(dir.path(), "m", "1.0.1").unwrap();
    }
}
