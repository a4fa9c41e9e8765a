//! What the store shows: the index's modules merged with what is installed — the version on
//! disk, and, when a running host is known, the version it runs, its status and whether a
//! restart is needed to run the version on disk — plus installs in progress and templates.

use super::bundle_install::core_version;
use super::bundle_target::host_target;
use super::install_progress::{in_progress, InstallProgress};
use super::store_index::{has_tags, LoadedIndex, ModuleEntry, TemplateEntry};
use crate::module_host::discovery::discover;
use crate::module_host::{ModuleStatus, ModuleView};
use serde::Serialize;
use std::path::Path;

/// `GET /api/store`, and what `paperclipai store list --json` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreListing {
    /// Where the index was read.
    pub index: String,
    /// This core's version (what `requires.core` is checked against).
    pub core: String,
    /// This machine's target triple (which bundle is installed).
    pub target: String,
    /// The index's modules, in index order.
    pub modules: Vec<ModuleListing>,
    /// The index's templates, in index order.
    pub templates: Vec<TemplateEntry>,
}

/// One module of the index and its local state.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleListing {
    /// The index entry.
    #[serde(flatten)]
    pub entry: ModuleEntry,
    /// Whether the index's `requiresCore` accepts this core (`null` when it gives none).
    pub compatible: Option<bool>,
    /// The installed bundle, if any.
    pub installed: Option<InstalledModule>,
    /// The index offers a newer version than the one on disk.
    pub update_available: bool,
    /// An install running now.
    pub installing: Option<InstallProgress>,
}

/// An installed module: on disk and, when known, in the running host.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstalledModule {
    /// Version of the bundle on disk (`null` when its manifest is unreadable).
    pub version: Option<String>,
    /// The bundle folder in the modules directory.
    pub folder: String,
    /// Version the server runs (`null` when it does not run the module or is not known).
    pub running_version: Option<String>,
    /// The host's status of the module.
    pub status: Option<ModuleStatus>,
    /// Why it is not simply active.
    pub reason: Option<String>,
    /// Whether it is enabled.
    pub enabled: Option<bool>,
    /// The bundle on disk changed while the module's library is loaded: the new version runs
    /// after a restart.
    pub restart_required: bool,
}

/// Builds the listing from the index, the modules folder and (for a server) the host's views;
/// `tags` keeps entries carrying every one of them.
pub fn store_listing(
    loaded: &LoadedIndex,
    modules_dir: &Path,
    host: Option<&[ModuleView]>,
    tags: &[String],
) -> StoreListing {
    let core = core_version();
    let on_disk = discover(modules_dir).unwrap_or_else(|e| {
        tracing::warn!(dir = %modules_dir.display(), error = %e, "cannot read the modules folder");
        Vec::new()
    });
    let installing = in_progress(modules_dir);
    let modules = loaded
        .index
        .modules
        .iter()
        .filter(|m| has_tags(&m.tags, tags))
        .map(|entry| {
            let view = host.and_then(|views| views.iter().find(|v| v.id == entry.id));
            let installed = on_disk.iter().find(|b| b.id == entry.id).map(|bundle| {
                let disk_version = bundle.manifest.as_ref().ok().map(|m| m.version.clone());
                let running = view
                    .filter(|v| matches!(v.status, ModuleStatus::Active | ModuleStatus::Degraded));
                (
                    disk_version.clone(),
                    InstalledModule {
                        version: disk_version.map(|v| v.to_string()),
                        folder: bundle.folder.clone(),
                        running_version: running.and_then(|v| v.version.clone()),
                        status: view.map(|v| v.status),
                        reason: view.and_then(|v| v.reason.clone()),
                        enabled: view.map(|v| v.enabled),
                        restart_required: view.is_some_and(|v| v.restart_required),
                    },
                )
            });
            let update_available = installed
                .as_ref()
                .is_some_and(|(disk, _)| disk.as_ref().is_some_and(|v| *v < entry.version));
            ModuleListing {
                compatible: entry.requires_core.as_ref().map(|r| r.matches(&core)),
                installed: installed.map(|(_, module)| module),
                update_available,
                installing: installing.get(&entry.id).cloned(),
                entry: entry.clone(),
            }
        })
        .collect();
    StoreListing {
        index: loaded.location.to_string(),
        core: core.to_string(),
        target: host_target(),
        modules,
        templates: loaded
            .index
            .templates
            .iter()
            .filter(|t| has_tags(&t.tags, tags))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::store_index::parse_index;
    use crate::store::store_location::StoreLocation;

    #[test]
    fn installed_versions_and_updates_are_shown() {
        let modules = tempfile::tempdir().unwrap();
        let bundle = modules.path().join("a-folder");
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::write(
            bundle.join("paperclip.module.json"),
            r#"{"id": "a", "name": "A", "version": "1.0.0", "library": "a"}"#,
        )
        .unwrap();
        let loaded = LoadedIndex {
            location: StoreLocation::parse("index.json").unwrap(),
            index: parse_index(
                br#"{"modules": [
                    {"id": "a", "name": "A", "version": "1.1.0", "tags": ["x"], "requiresCore": ">=99.0.0"},
                    {"id": "b", "name": "B", "version": "1.0.0", "tags": ["y"]}
                ], "templates": [{"id": "t", "name": "T", "url": "t.json", "tags": ["x"]}]}"#,
                "index.json",
            )
            .unwrap(),
        };
        let listing = store_listing(&loaded, modules.path(), None, &[]);
        assert_eq!(listing.modules.len(), 2);
        let a = &listing.modules[0];
        assert_eq!(a.compatible, Some(false));
        assert!(a.update_available);
        let installed = a.installed.as_ref().unwrap();
        assert_eq!(installed.version.as_deref(), Some("1.0.0"));
        assert_eq!(installed.folder, "a-folder");
        assert_eq!(installed.status, None);
        assert!(listing.modules[1].installed.is_none());
        assert_eq!(listing.modules[1].compatible, None);

        let tagged = store_listing(&loaded, modules.path(), None, &["x".to_string()]);
        assert_eq!(tagged.modules.len(), 1);
        assert_eq!(tagged.templates.len(), 1);
        let json = serde_json::to_value(&tagged).unwrap();
        assert_eq!(json["modules"][0]["id"], "a");
        assert_eq!(json["modules"][0]["updateAvailable"], true);
        assert_eq!(json["modules"][0]["installed"]["restartRequired"], false);
    }
}
