//! Replacing a running module's instance without a restart: a saved configuration applied at
//! once, and a new version found on disk (rescan, store install) brought in by a hot upgrade.
//! The old instance serves until the new one is ready; on any failure it goes on and the reason
//! is reported.

use super::{HostState, ModuleHost, ModuleRecord};
use crate::discovery::{file_fingerprint, library_file_name, Bundle};
use crate::manifest::Manifest;
use crate::module_activation::{
    prepare, start, ActivationContext, ModuleRuntime, RawConfig, CALLS_STOP_TIMEOUT,
};
use crate::module_config::ConfigSource;
use crate::module_counters::ModuleCounters;
use crate::module_entry::LibraryEntry;
use crate::module_loader::LoadedLibrary;
use crate::module_migrations::{applied_migrations, compare_versions, read_bundle_migrations};
use crate::module_policy::ModulePolicy;
use crate::module_status::{ModuleStatus, StatusReason};
use crate::module_swap::{swap, SwapTimings, HANDOVER_TIMEOUT};
use paperclip_core::isolation_level::IsolationLevel;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Folder (inside the modules folder) holding the content-addressed copies of upgraded
/// libraries: a library path is opened once per process, so a new version is loaded from a
/// path of its own while the old mapping stays valid.
pub const LIBRARY_COPIES_DIR: &str = ".paperclip-libraries";

/// The last hot upgrade of a module: done, or why not (the old version goes on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeReport {
    /// The version that was running.
    pub from: String,
    /// The version on disk.
    pub to: String,
    /// `upgraded` or `refused`.
    pub outcome: String,
    /// Why it was refused.
    pub reason: Option<String>,
    /// How long hook events waited during the hand-over, in milliseconds (routes never wait).
    pub handover_ms: Option<f64>,
}

/// Where a replacement stands when it fails: the old instance kept (attached again), or none
/// left (both the new and the old configuration failed to register).
type Failed = (StatusReason, Option<Box<ModuleRuntime>>);

impl ModuleHost {
    /// The activation context for `manifest` under `policy`.
    pub(super) fn context<'a>(
        &'a self,
        manifest: &Manifest,
        policy: Arc<ModulePolicy>,
        known_ids: &'a [String],
    ) -> ActivationContext<'a> {
        ActivationContext {
            core: &self.core,
            routes: &self.routes,
            executor: self.settings.executor(),
            delivery: self.settings.delivery(manifest),
            clock: &self.clock,
            known_ids,
            db_limits: self.settings.db_limits,
            policy,
            cluster: &self.cluster,
        }
    }

    /// Applies `raw` (from `source`) to the running module of `folder` at once: a fresh instance
    /// is registered with it and takes over. In this process that is the same library, so the
    /// old instance is stopped first (its route calls meanwhile answer 503 with `Retry-After`)
    /// and, if the new configuration fails to register, registered again with `previous`.
    /// Nothing happens when the module is not running.
    pub(super) fn apply_config(
        &self,
        folder: &str,
        raw: Option<&Value>,
        source: ConfigSource,
        previous: Option<&Value>,
    ) -> Result<(), StatusReason> {
        let level = {
            let state = self.state.lock();
            let Some(record) = state.records.iter().find(|r| r.bundle.folder == folder) else {
                return Ok(());
            };
            let Some(manifest) = record.manifest() else {
                return Ok(());
            };
            let (level, _) = self.settings.isolation_of(&manifest.id, Some(manifest));
            if level == IsolationLevel::Process && record.restart_required {
                // A new child would load the library on disk, which is not the running one.
                return Err(StatusReason::new(
                    ModuleStatus::Failed,
                    "the bundle folder holds another version than the running one (its upgrade was refused: see lastUpgrade); rescan or restart before changing the configuration",
                ));
            }
            level
        };
        let Some((old, manifest, dir, library, counters, known_ids)) = self.take_runtime(folder)
        else {
            return Ok(());
        };
        let ctx = self.context(&manifest, Arc::clone(&old.policy), &known_ids);
        let outcome: Result<ModuleRuntime, Failed> = if level == IsolationLevel::Process {
            // A new child with the new configuration, swapped in while the old one serves.
            match self
                .module_entry(&manifest, &dir, None, level)
                .and_then(|entry| {
                    let config = RawConfig { value: raw, source };
                    prepare(&ctx, &manifest, &dir, entry, config, false)
                }) {
                Ok(prepared) => swap(&ctx, &manifest, prepared, level, &counters, old, false)
                    .map(|(new, _)| new)
                    .map_err(|(reason, old)| (reason, Some(old))),
                Err(reason) => Err((reason, Some(Box::new(old)))),
            }
        } else {
            match library {
                Some(library) => restart_in_place(
                    &ctx, &manifest, &dir, library, level, &counters, old, raw, source, previous,
                ),
                None => Err((
                    StatusReason::new(ModuleStatus::Failed, "the module's library is not loaded"),
                    Some(Box::new(old)),
                )),
            }
        };
        self.put_runtime(folder, outcome, None)
    }

    /// Replaces the running module of `folder` by the version in `bundle` (hot upgrade): the
    /// new library loaded from a content-addressed copy, checked (manifest, `requires.core`,
    /// ABI, capabilities, downgrade), its migrations run, registered, then swapped in with the
    /// delivery cursor. A downgrade is refused unless `force`, and always when this database
    /// has migrations of the module that the older version lacks. On failure the old version
    /// goes on and the report says why.
    pub(super) fn upgrade_running(
        &self,
        folder: &str,
        bundle: Bundle,
        force: bool,
    ) -> UpgradeReport {
        let (from, running_manifest) = {
            let state = self.state.lock();
            let manifest = state
                .records
                .iter()
                .find(|r| r.bundle.folder == folder)
                .and_then(ModuleRecord::manifest)
                .cloned();
            (
                manifest
                    .as_ref()
                    .map(|m| m.version.to_string())
                    .unwrap_or_default(),
                manifest,
            )
        };
        let to = bundle
            .manifest
            .as_ref()
            .map(|m| m.version.to_string())
            .unwrap_or_else(|_| "?".to_string());
        let refused = |reason: String| UpgradeReport {
            from: from.clone(),
            to: to.clone(),
            outcome: "refused".into(),
            reason: Some(reason),
            handover_ms: None,
        };
        let manifest = match (&bundle.manifest, running_manifest) {
            (Err(e), _) => return refused(format!("the new manifest is invalid: {e}")),
            (_, None) => return refused("the module is not running".into()),
            (Ok(new), Some(old)) => {
                if let Err(reason) = self.upgrade_allowed(&old, new, &bundle.dir, force) {
                    return refused(reason);
                }
                new.clone()
            }
        };
        // The new version's bundle is checked like any load, before its library is opened.
        let signature = self.check_signature(&manifest.id, &bundle.dir);
        if let Some(refusal) = signature.refusal() {
            return refused(refusal.reason);
        }
        let signed_library = signature
            .verification
            .as_ref()
            .filter(|_| signature.is_verified())
            .and_then(|v| v.files.get(&library_file_name(&manifest.library)).cloned());
        let (level, _) = self.settings.isolation_of(&manifest.id, Some(&manifest));
        let library = if level == IsolationLevel::Process {
            None
        } else {
            match self.load_copy(&bundle, &manifest, signed_library.as_deref()) {
                Ok(library) => Some(library),
                Err(reason) => return refused(reason),
            }
        };
        let Some((old, _, _, _, counters, known_ids)) = self.take_runtime(folder) else {
            return refused("the module is not running".into());
        };
        let (policy, (raw, source)) = {
            let state = self.state.lock();
            (
                self.new_policy(&state, &manifest, level),
                self.raw_config(&state, &manifest.id),
            )
        };
        let ctx = self.context(&manifest, policy, &known_ids);
        let outcome = self
            .module_entry(&manifest, &bundle.dir, library, level)
            .and_then(|entry| {
                prepare(
                    &ctx,
                    &manifest,
                    &bundle.dir,
                    entry,
                    RawConfig {
                        value: raw.as_ref(),
                        source,
                    },
                    true,
                )
            });
        let swapped: Result<(ModuleRuntime, SwapTimings), Failed> = match outcome {
            Ok(prepared) => swap(&ctx, &manifest, prepared, level, &counters, old, false)
                .map_err(|(reason, old)| (reason, Some(old))),
            Err(reason) => Err((reason, Some(Box::new(old)))),
        };
        match swapped {
            Ok((new, timings)) => {
                let build = library.and_then(|l| l.build_info());
                let _ = self.put_runtime(folder, Ok(new), Some((bundle, library, build)));
                let verified_files = signature
                    .verification
                    .as_ref()
                    .filter(|_| signature.is_verified())
                    .map(|v| Arc::new(v.files.clone()));
                if let Some(record) = self.state.lock().by_folder(folder) {
                    record.loaded_files = verified_files;
                }
                UpgradeReport {
                    from,
                    to,
                    outcome: "upgraded".into(),
                    reason: None,
                    handover_ms: Some(timings.handover.as_secs_f64() * 1000.0),
                }
            }
            Err((reason, old)) => {
                let _ = self.put_runtime(folder, Err((reason.clone(), old)), None);
                tracing::warn!(module = %manifest.id, from = %from, to = %to, reason = %reason.reason, "hot upgrade refused; the old version goes on");
                refused(reason.reason)
            }
        }
    }

    /// Why `new` may not replace the running `old`, if it may not.
    fn upgrade_allowed(
        &self,
        old: &Manifest,
        new: &Manifest,
        new_dir: &Path,
        force: bool,
    ) -> Result<(), String> {
        if new.id != old.id {
            return Err(format!("the bundle now holds module `{}`", new.id));
        }
        let core = semver::Version::parse(paperclip_core::VERSION)
            .unwrap_or_else(|_| semver::Version::new(0, 0, 0));
        if !new.accepts_core(&core) {
            return Err(format!(
                "version {} requires Paperclip core {}, but this server is {core}",
                new.version,
                new.requires
                    .core
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ));
        }
        let missing = self.missing_grants(new);
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().map(|c| c.as_str()).collect();
            return Err(format!(
                "version {} asks for capabilities not granted: {}; grant them (PUT /api/admin/modules/{}/grants) and rescan",
                new.version,
                names.join(", "),
                new.id
            ));
        }
        if new.version < old.version {
            if !force {
                return Err(format!(
                    "version {} is older than the running {}: a downgrade needs force",
                    new.version, old.version
                ));
            }
            let backend = self.core.db().backend();
            let bundled: Vec<String> = read_bundle_migrations(new_dir, backend)
                .map_err(|e| format!("cannot read the older version's migrations: {e}"))?
                .into_iter()
                .map(|m| m.version)
                .collect();
            let mut conn = self
                .core
                .db()
                .conn()
                .map_err(|e| format!("cannot read the applied migrations: {e}"))?;
            let applied = applied_migrations(&mut conn, &new.id)
                .map_err(|e| format!("cannot read the applied migrations: {e}"))?;
            let newer: Vec<String> = applied
                .into_iter()
                .map(|m| m.version)
                .filter(|v| {
                    !bundled
                        .iter()
                        .any(|b| compare_versions(b, v) == std::cmp::Ordering::Equal)
                })
                .collect();
            if !newer.is_empty() {
                return Err(format!(
                    "version {} lacks migrations this database already has ({}): refused even with force",
                    new.version,
                    newer.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Copies the bundle's library to a content-addressed path in [`LIBRARY_COPIES_DIR`]
    /// (module id, version, sha256 of the file; a path this process opened already gets a
    /// suffix, so the new instance never shares a library's state with a running one) and loads
    /// it from there (ABI checked).
    ///
    /// With `signed_sha256` (the digest the verified signature lists), the bytes copied must
    /// be those: a library replaced between the signature check and the copy is refused.
    fn load_copy(
        &self,
        bundle: &Bundle,
        manifest: &Manifest,
        signed_sha256: Option<&str>,
    ) -> Result<LoadedLibrary, String> {
        let source = bundle.library_path(manifest);
        let bytes = std::fs::read(&source)
            .map_err(|e| format!("cannot read the library {}: {e}", source.display()))?;
        let digest = Sha256::digest(&bytes);
        if let Some(signed) = signed_sha256 {
            let actual: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            if actual != signed {
                return Err(format!(
                    "library {} changed after its signature was checked (sha256 {}…, signed {}…)",
                    library_file_name(&manifest.library),
                    &actual[..16],
                    &signed[..signed.len().min(16)]
                ));
            }
        }
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = self.settings.dir.join(LIBRARY_COPIES_DIR);
        let stem = format!("{}-{}-{hex}", manifest.id, manifest.version);
        let target: PathBuf = (1..)
            .map(|n| match n {
                1 => dir.join(format!("{stem}-{name}")),
                n => dir.join(format!("{stem}.{n}-{name}")),
            })
            .find(|candidate| !self.libraries.is_opened(candidate))
            .unwrap_or_else(|| dir.join(format!("{stem}-{name}")));
        // A copy left by an earlier upgrade is used only while it still holds the same bytes.
        let reusable = std::fs::read(&target).is_ok_and(|copy| Sha256::digest(&copy) == digest);
        if !reusable {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let partial = dir.join(format!(".{}-{hex}.partial", manifest.id));
            std::fs::write(&partial, &bytes)
                .and_then(|()| std::fs::rename(&partial, &target))
                .map_err(|e| format!("cannot copy the library to {}: {e}", target.display()))?;
        }
        self.libraries.load(&target).map_err(|e| e.reason)
    }

    /// The raw configuration of `id` and where it comes from (saved override, else config).
    pub(super) fn raw_config(&self, state: &HostState, id: &str) -> (Option<Value>, ConfigSource) {
        match state.saved.get(id).and_then(|s| s.config_override.clone()) {
            Some(saved) => (Some(saved), ConfigSource::SavedOverride),
            None => (
                self.settings.config.get(id).cloned(),
                ConfigSource::ConfigFile,
            ),
        }
    }

    /// Takes the running instance of `folder` out of its record, with what replacing it needs.
    #[allow(clippy::type_complexity)]
    fn take_runtime(
        &self,
        folder: &str,
    ) -> Option<(
        ModuleRuntime,
        Manifest,
        PathBuf,
        Option<LoadedLibrary>,
        Arc<ModuleCounters>,
        Vec<String>,
    )> {
        let mut state = self.state.lock();
        let known_ids: Vec<String> = state.records.iter().map(|r| r.id().to_string()).collect();
        let record = state.by_folder(folder)?;
        let manifest = record.manifest()?.clone();
        let runtime = record.runtime.take()?;
        Some((
            runtime,
            manifest,
            record.bundle.dir.clone(),
            record.library,
            Arc::clone(&record.counters),
            known_ids,
        ))
    }

    /// Puts the outcome of a replacement back in the record of `folder`: the new (or kept old)
    /// instance, the upgraded bundle when there is one; none left → `failed`.
    #[allow(clippy::type_complexity)]
    fn put_runtime(
        &self,
        folder: &str,
        outcome: Result<ModuleRuntime, Failed>,
        upgraded: Option<(Bundle, Option<LoadedLibrary>, Option<Value>)>,
    ) -> Result<(), StatusReason> {
        let mut state = self.state.lock();
        let Some(record) = state.by_folder(folder) else {
            return Ok(());
        };
        match outcome {
            Ok(runtime) => {
                record.runtime = Some(runtime);
                if let Some((bundle, library, build)) = upgraded {
                    record.loaded_fingerprint = bundle
                        .manifest
                        .as_ref()
                        .ok()
                        .and_then(|m| file_fingerprint(&bundle.library_path(m)).ok());
                    record.bundle = bundle;
                    if library.is_some() {
                        record.library = library;
                    }
                    if build.is_some() {
                        record.build = build;
                    }
                    record.restart_required = false;
                }
                Ok(())
            }
            Err((reason, Some(old))) => {
                record.runtime = Some(*old);
                Err(reason)
            }
            Err((reason, None)) => {
                record.set(ModuleStatus::Failed, Some(reason.reason.clone()));
                Err(reason)
            }
        }
    }
}

/// Replaces an in-process instance by a fresh registration of the same library: the old one
/// is stopped first (its routes answer 503 meanwhile, its hooks wait in the outbox), then the
/// library is registered with `raw` and started with the old delivery; if that fails, it is
/// registered again with `previous`.
#[allow(clippy::too_many_arguments)]
fn restart_in_place(
    ctx: &ActivationContext<'_>,
    manifest: &Manifest,
    dir: &Path,
    library: LoadedLibrary,
    level: IsolationLevel,
    counters: &Arc<ModuleCounters>,
    mut old: ModuleRuntime,
    raw: Option<&Value>,
    source: ConfigSource,
    previous: Option<&Value>,
) -> Result<ModuleRuntime, Failed> {
    let id = manifest.id.as_str();
    old.executor.hold_routes();
    if let Some(subscription) = old.subscription.take() {
        ctx.core.hooks().unsubscribe(subscription);
    }
    old.executor.stop_hooks(HANDOVER_TIMEOUT);
    old.executor.drain_routes(CALLS_STOP_TIMEOUT);
    old.executor.close(CALLS_STOP_TIMEOUT);
    counters.retire_hook_stats(&old.executor.hook_stats());
    old.db.rollback_all();
    old.db.revoke();
    let delivery = old.executor.delivery().cloned();
    let run = |value: Option<&Value>, source: ConfigSource| {
        let entry = Arc::new(LibraryEntry::new(library.root));
        prepare(
            ctx,
            manifest,
            dir,
            entry,
            RawConfig { value, source },
            false,
        )
        .and_then(|prepared| {
            start(
                ctx,
                manifest,
                prepared,
                level,
                counters,
                delivery.as_deref(),
            )
        })
    };
    match run(raw, source) {
        Ok(new) => Ok(new),
        Err(reason) => match run(previous, ConfigSource::SavedOverride) {
            Ok(restored) => Err((reason, Some(Box::new(restored)))),
            Err(again) => {
                if let Some(prefix) = &old.route_prefix {
                    ctx.routes.unmount(prefix, id);
                }
                Err((
                    StatusReason::new(
                        ModuleStatus::Failed,
                        format!(
                            "{}; registering the previous configuration again failed too: {}",
                            reason.reason, again.reason
                        ),
                    ),
                    None,
                ))
            }
        },
    }
}
