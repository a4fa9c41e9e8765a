//! The module host: the modules of this server and every operation on them — start-up, enable,
//! disable, configuration, rescan, shutdown — plus what the admin API shows of them.
//!
//! Start-up runs the spec's steps for every bundle, each failing for that module only:
//! manifest schema → `requires.core` → bundle signature ([`SignatureCheck`], every load) →
//! enabled? → library + ABI check → slot and prefix
//! conflicts → `requires.modules` order → configuration → migrations → `register` → hooks,
//! routes, services. The steps up to the library are per module ([`ModuleHost::precheck`]),
//! conflicts and dependencies are planned across modules ([`plan_load`]), the rest runs per
//! module in dependency order ([`activate`]).
//!
//! Lifecycle operations are serialized (one at a time) and blocking: call them from a blocking
//! thread. The module list is kept behind a short-held lock, so the admin API can read it while
//! an operation waits on a module.

mod cluster_ops;
pub use cluster_ops::{SyncReport, WorkLeaseView};
mod delivery_ops;
mod instance_ops;
mod policy_ops;
mod webhook_ops;

pub use instance_ops::{UpgradeReport, LIBRARY_COPIES_DIR};
use policy_ops::awaiting_approval;
pub use policy_ops::{CapabilityView, GrantsView};
pub use webhook_ops::{WebhookEndpointView, WebhooksView};

pub use delivery_ops::dead_letter_json;
use delivery_ops::DeliverySource;

use super::bundle_signature::SignatureCheck;
use super::cluster::Cluster;
use super::config_merge::keep_masked_values;
use super::discovery::{discover, file_fingerprint, library_file_name, Bundle};
use super::executor::{DeliverySettings, ExecutorSettings, ModuleClock};
use super::load_plan::{plan_load, Bystander, ClaimRank, PlanCandidate};
use super::manifest::Manifest;
use super::module_activation::{activate, deactivate, ModuleRuntime, RawConfig};
use super::module_config::{displayed_config, effective_config, ConfigProblems, ConfigSource};
use super::module_counters::{CounterSnapshot, ModuleCounters};
use super::module_db::ModuleDbLimits;
use super::module_entry::{LibraryEntry, ModuleEntry};
use super::module_loader::{LibraryCache, LoadedLibrary};
use super::module_policy_store::{load_policies, SavedPolicy};
use super::module_state_store::{
    load_saved_states, save_config_override, save_enabled, save_first_enabled, SavedModuleState,
};
use super::module_status::{ModuleStatus, StatusReason};
use super::module_view::ModuleView;
use super::process_entry::{ProcessEntry, ProcessSettings};
use super::route_table::RouteTable;
use module_sdk::Capability;
use paperclip_bundle_signing::{FileDigests, TrustedKeys};
use paperclip_core::config::ModulesConfig;
use paperclip_core::core::Core;
use paperclip_core::isolation_level::IsolationLevel;
use paperclip_core::signature_policy::SignatureEnforcement;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The key of `modules.isolation` that sets the level of every module not named there.
pub const ISOLATION_FOR_EVERY_MODULE: &str = "*";

/// The `modules` settings the host runs with.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// Folder scanned for bundles.
    pub dir: PathBuf,
    /// `modules.enabled`: which modules load (in claim order) when nothing is saved for them;
    /// `None` enables every module.
    pub enabled: Option<Vec<String>>,
    /// `modules.config`: raw per-module configuration.
    pub config: BTreeMap<String, Value>,
    /// Time limit of one hook call.
    pub hook_timeout: Duration,
    /// Time limit of one route call.
    pub route_timeout: Duration,
    /// Limits of each module's database calls (`modules.statementTimeoutMs`,
    /// `maxResultRows`, `maxResultBytes`, `maxDbCalls`).
    pub db_limits: ModuleDbLimits,
    /// `modules.isolation`: the isolation level per module id (else the manifest's, else
    /// `threaded`).
    pub isolation: BTreeMap<String, IsolationLevel>,
    /// `modules.maxConcurrency`: calls one module may run at once.
    pub max_concurrency: usize,
    /// `modules.queueCapacity`: route calls that may wait for one module.
    pub queue_capacity: usize,
    /// `modules.processMemoryMb`: address-space limit of a module process, in MiB.
    pub process_memory_mb: u64,
    /// `modules.processCpuSeconds`: CPU-time limit of a module process, in seconds.
    pub process_cpu_seconds: u64,
    /// `modules.maxAttempts`: attempts at a failing hook event before it is dead-lettered.
    pub max_attempts: u32,
    /// `modules.retryBackoffMs`: wait before the first retry of a failed hook event.
    pub retry_backoff: Duration,
    /// `modules.grants`: capabilities granted per module until the operator decides through
    /// the admin API.
    pub grants: BTreeMap<String, BTreeSet<Capability>>,
    /// `modules.maxCausationDepth`: the longest chain of module writes.
    pub max_causation_depth: u32,
    /// `modules.signatures` in force (`auto` resolved: the server sets it from its bind
    /// address; without a listener `auto` is `warn`).
    pub signatures: SignatureEnforcement,
    /// `modules.trustedKeys`: the keys whose bundle signatures are trusted.
    pub trusted_keys: TrustedKeys,
}

impl HostSettings {
    /// The settings of the folder `dir` with every other value at its default.
    pub fn for_dir(dir: PathBuf) -> HostSettings {
        HostSettings::from(&ModulesConfig {
            dir,
            ..ModulesConfig::default()
        })
    }

    /// The capacity and time limits of each module's executor.
    pub fn executor(&self) -> ExecutorSettings {
        ExecutorSettings {
            max_concurrency: self.max_concurrency.max(1),
            queue_capacity: self.queue_capacity,
            route_timeout: self.route_timeout,
            hook_timeout: self.hook_timeout,
            ..ExecutorSettings::default()
        }
    }

    /// How module hook delivery goes for `manifest`: its `delivery` and `catchUp`, with the
    /// configured attempts and backoff.
    pub fn delivery(&self, manifest: &Manifest) -> DeliverySettings {
        DeliverySettings {
            mode: manifest.delivery,
            catch_up: manifest.catch_up,
            max_attempts: self.max_attempts.max(1),
            retry_backoff: self.retry_backoff,
        }
    }

    /// The isolation level of module `id` and where it was chosen (`config`, `manifest` or
    /// `default`). The config's `modules.isolation.<id>` wins, then its `"*"` entry (every
    /// module), then the manifest's `isolation`.
    pub fn isolation_of(
        &self,
        id: &str,
        manifest: Option<&Manifest>,
    ) -> (IsolationLevel, &'static str) {
        if let Some(level) = self
            .isolation
            .get(id)
            .or_else(|| self.isolation.get(ISOLATION_FOR_EVERY_MODULE))
        {
            return (*level, "config");
        }
        match manifest.and_then(|m| m.isolation) {
            Some(level) => (level, "manifest"),
            None => (IsolationLevel::default(), "default"),
        }
    }
}

impl From<&ModulesConfig> for HostSettings {
    fn from(config: &ModulesConfig) -> HostSettings {
        HostSettings {
            dir: config.dir.clone(),
            enabled: config.enabled.clone(),
            config: config.config.clone(),
            hook_timeout: Duration::from_millis(config.hook_timeout_ms.max(1)),
            route_timeout: Duration::from_millis(config.route_timeout_ms.max(1)),
            db_limits: ModuleDbLimits {
                statement_timeout: Duration::from_millis(config.statement_timeout_ms.max(1)),
                max_rows: config.max_result_rows.max(1),
                max_bytes: config.max_result_bytes.max(1),
                max_concurrent_calls: config.max_db_calls.max(1),
            },
            isolation: config.isolation.clone(),
            max_concurrency: config.max_concurrency.max(1),
            queue_capacity: config.queue_capacity,
            process_memory_mb: config.process_memory_mb.max(1),
            process_cpu_seconds: config.process_cpu_seconds.max(1),
            max_attempts: config.max_attempts.max(1),
            retry_backoff: Duration::from_millis(config.retry_backoff_ms),
            grants: config.grants.clone(),
            max_causation_depth: config.max_causation_depth,
            signatures: config.signatures.without_listener(),
            trusted_keys: config.trusted_keys.clone(),
        }
    }
}

/// Why a requested operation did not happen. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ModuleOpError {
    /// No module has that id.
    #[error("no module `{0}` is installed")]
    NotFound(String),
    /// The module cannot be enabled (or configured) as things stand; the status says why.
    #[error("{0}")]
    Refused(StatusReason),
    /// A configuration that breaks the module's `configSchema`.
    #[error("{0}")]
    InvalidConfig(ConfigProblems),
    /// The saved state could not be written.
    #[error("cannot save the module state: {0}")]
    Database(String),
    /// The server is shutting down.
    #[error("the module host is shutting down")]
    ShutDown,
    /// The module has no failed event with that id.
    #[error("module `{module}` has no dead letter `{event_id}`")]
    NoSuchDeadLetter {
        /// The module.
        module: String,
        /// The event id asked for.
        event_id: String,
    },
    /// Companies named for a module that do not exist.
    #[error("no company has the id {}", .0.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", "))]
    UnknownCompanies(Vec<String>),
    /// The event is still being retried; only a dead letter is replayed.
    #[error("event `{event_id}` is still being retried ({attempts} attempts so far); only a dead letter can be replayed")]
    StillRetrying {
        /// The event id.
        event_id: String,
        /// Attempts so far.
        attempts: i32,
    },
}

/// What `PUT /api/admin/modules/{id}/config` answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSaved {
    /// The saved configuration as it will apply (environment values masked, defaults filled).
    pub config: Value,
    /// When it takes effect.
    pub message: String,
    /// The module, as now.
    pub module: ModuleView,
}

/// What `POST /api/admin/modules/rescan` answers.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RescanReport {
    /// Modules whose bundle appeared since the last scan.
    pub added: Vec<String>,
    /// Modules whose bundle disappeared (and that had no code loaded).
    pub removed: Vec<String>,
    /// Loaded modules whose bundle changed on disk: the new files are used after a restart.
    pub restart_required: Vec<String>,
    /// Running modules upgraded in place to the version on disk.
    pub upgraded: Vec<String>,
    /// Running modules whose new version was refused (the old one goes on; `lastUpgrade` in
    /// the module's view says why).
    pub upgrade_refused: Vec<String>,
    /// Every module after the rescan.
    pub modules: Vec<ModuleView>,
}

/// One bundle and everything the host knows about it.
struct ModuleRecord {
    bundle: Bundle,
    /// Another bundle folder already provides this id (that one wins).
    duplicate_of: Option<String>,
    status: ModuleStatus,
    reason: Option<String>,
    /// Meant to run (saved state, else config).
    enabled: bool,
    /// The library, once opened in this process (never closed; never opened for a module at
    /// the `process` level).
    library: Option<LoadedLibrary>,
    /// What the library says about its build.
    build: Option<Value>,
    runtime: Option<ModuleRuntime>,
    /// Order in which running modules came up (shutdown goes in reverse).
    activation_seq: u64,
    counters: Arc<ModuleCounters>,
    restart_required: bool,
    /// The bundle's signature as last checked (at its last load, or rescan).
    signature: Option<SignatureCheck>,
    /// The signed digests of the bundle's files as verified when its running code was loaded
    /// (`None` when that load was not verified): what its UI files must still match.
    loaded_files: Option<Arc<FileDigests>>,
    /// Fingerprint of the bundle's library file when the running instance was brought up (a
    /// different one on disk means a new version to upgrade to).
    loaded_fingerprint: Option<String>,
    /// The last hot upgrade tried, and how it went.
    last_upgrade: Option<UpgradeReport>,
}

impl ModuleRecord {
    fn new(bundle: Bundle) -> ModuleRecord {
        ModuleRecord {
            bundle,
            duplicate_of: None,
            status: ModuleStatus::Disabled,
            reason: Some("not loaded yet".to_string()),
            enabled: false,
            library: None,
            build: None,
            runtime: None,
            activation_seq: 0,
            counters: Arc::default(),
            restart_required: false,
            signature: None,
            loaded_files: None,
            loaded_fingerprint: None,
            last_upgrade: None,
        }
    }

    fn id(&self) -> &str {
        &self.bundle.id
    }

    fn manifest(&self) -> Option<&Manifest> {
        self.bundle.manifest.as_ref().ok()
    }

    fn set(&mut self, status: ModuleStatus, reason: Option<String>) {
        self.status = status;
        self.reason = reason;
    }
}

/// The modules and what can be done with them.
struct HostState {
    /// In bundle-folder order.
    records: Vec<ModuleRecord>,
    saved: HashMap<String, SavedModuleState>,
    /// The operator's grants and company scopes, by module id.
    policies: HashMap<String, SavedPolicy>,
    next_activation: u64,
    shut_down: bool,
}

impl HostState {
    fn by_folder(&mut self, folder: &str) -> Option<&mut ModuleRecord> {
        self.records.iter_mut().find(|r| r.bundle.folder == folder)
    }

    /// The record that owns `id` (not a duplicate of another bundle).
    fn folder_of(&self, id: &str) -> Option<String> {
        self.records
            .iter()
            .find(|r| r.id() == id && r.duplicate_of.is_none())
            .map(|r| r.bundle.folder.clone())
    }

    fn owner(&self, id: &str) -> Option<&ModuleRecord> {
        self.records
            .iter()
            .find(|r| r.id() == id && r.duplicate_of.is_none())
    }

    /// Marks bundles whose id another bundle already provides. A bundle with code loaded keeps
    /// its id; otherwise the first folder in name order does.
    fn mark_duplicates(&mut self) {
        let mut owners: HashMap<String, String> = HashMap::new();
        let loaded_first = self
            .records
            .iter()
            .filter(|r| r.library.is_some() || r.runtime.is_some())
            .chain(
                self.records
                    .iter()
                    .filter(|r| r.library.is_none() && r.runtime.is_none()),
            );
        for record in loaded_first {
            owners
                .entry(record.id().to_string())
                .or_insert_with(|| record.bundle.folder.clone());
        }
        for record in &mut self.records {
            let owner = &owners[record.id()];
            if *owner == record.bundle.folder {
                record.duplicate_of = None;
            } else {
                record.duplicate_of = Some(owner.clone());
                record.set(
                    ModuleStatus::Conflict,
                    Some(format!(
                        "module id `{}` is already provided by bundle folder `{owner}`",
                        record.id()
                    )),
                );
            }
        }
    }
}

/// The module host of one server. Shared as `Arc<ModuleHost>`.
pub struct ModuleHost {
    core: Core,
    settings: HostSettings,
    routes: RouteTable,
    libraries: LibraryCache,
    /// Schedules services and watches for overdue calls, for every module.
    clock: Arc<ModuleClock>,
    /// Serializes lifecycle operations.
    ops: Mutex<()>,
    state: Mutex<HostState>,
    /// This replica among the servers on the database (module leases).
    cluster: Arc<Cluster>,
}

impl ModuleHost {
    /// A host for the modules in `settings.dir`, with nothing loaded yet (see [`ModuleHost::start`]).
    pub fn new(core: Core, settings: HostSettings) -> ModuleHost {
        ModuleHost::in_cluster(core, settings, Arc::new(Cluster::single("local")))
    }

    /// [`ModuleHost::new`] for one replica of `cluster`: a module's services and at-least-once
    /// hook delivery run here only while this replica holds the module's lease.
    pub fn in_cluster(core: Core, settings: HostSettings, cluster: Arc<Cluster>) -> ModuleHost {
        ModuleHost {
            cluster,
            core,
            settings,
            routes: RouteTable::new(),
            libraries: LibraryCache::new(),
            clock: ModuleClock::new(),
            ops: Mutex::new(()),
            state: Mutex::new(HostState {
                records: Vec::new(),
                saved: HashMap::new(),
                policies: HashMap::new(),
                next_activation: 1,
                shut_down: false,
            }),
        }
    }

    /// The live route table (read by the module route dispatcher).
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// The time limit of one module route call.
    pub fn route_timeout(&self) -> Duration {
        self.settings.route_timeout
    }

    /// The settings the host runs with.
    pub fn settings(&self) -> &HostSettings {
        &self.settings
    }

    /// The bundle folder of module `id` (e.g. to serve its `ui/` files).
    pub fn bundle_dir(&self, id: &str) -> Option<PathBuf> {
        self.state.lock().owner(id).map(|r| r.bundle.dir.clone())
    }

    /// Discovers the bundles and brings every enabled module up (blocking). Fails only when the
    /// saved module state cannot be read; a module that fails is reported in its status.
    pub fn start(&self) -> anyhow::Result<()> {
        let _op = self.ops.lock();
        let started = Instant::now();
        let saved = self.read_saved_states()?;
        let policies = self
            .with_conn(load_policies)
            .map_err(|e| anyhow::anyhow!("cannot read the saved module policies: {e}"))?;
        let bundles = self.discover_bundles();
        let folders: Vec<String> = bundles.iter().map(|b| b.folder.clone()).collect();
        {
            let mut state = self.state.lock();
            state.saved = saved;
            state.policies = policies;
            state.records = bundles.into_iter().map(ModuleRecord::new).collect();
            state.mark_duplicates();
        }
        self.warn_about_unknown_ids();
        self.bring_up(&folders);
        let state = self.state.lock();
        let active = state.records.iter().filter(|r| r.runtime.is_some()).count();
        tracing::info!(
            modules = state.records.len(),
            active,
            took_ms = started.elapsed().as_millis() as u64,
            dir = %self.settings.dir.display(),
            "module host started"
        );
        Ok(())
    }

    /// Every module, in bundle-folder order.
    pub fn list(&self) -> Vec<ModuleView> {
        let views = {
            let state = self.state.lock();
            state
                .records
                .iter()
                .map(|r| (self.view(&state, r), delivery_source(r)))
                .collect()
        };
        self.add_delivery(views)
    }

    /// One module by id.
    pub fn get(&self, id: &str) -> Option<ModuleView> {
        let view = {
            let state = self.state.lock();
            state
                .owner(id)
                .map(|r| (self.view(&state, r), delivery_source(r)))?
        };
        self.add_delivery(vec![view]).pop()
    }

    /// The call counters of module `id` now, without the rest of its view (no database read):
    /// cheap enough to poll.
    pub fn counters(&self, id: &str) -> Option<CounterSnapshot> {
        let state = self.state.lock();
        state.owner(id).map(|record| self.counter_snapshot(record))
    }

    /// A record's counters, with its live hook subscription's.
    fn counter_snapshot(&self, record: &ModuleRecord) -> CounterSnapshot {
        let live = record
            .runtime
            .as_ref()
            .and_then(|rt| rt.subscription)
            .and_then(|s| self.core.hooks().stats(s));
        record.counters.snapshot(live.as_ref())
    }

    /// Enables a module and brings it up: the steps from configuration on run again (applied
    /// migrations are not re-run; `register` is called again on the already loaded library).
    /// Refused, without saving anything, when its manifest, core version or library is unusable,
    /// its slot or prefix is held by an active module, or a module it requires is not active.
    /// The enabled state is saved before the module is brought up, so a module that then fails
    /// is reported `failed`/`invalid` and tried again at the next start.
    pub fn enable(&self, id: &str) -> Result<ModuleView, ModuleOpError> {
        let _op = self.ops.lock();
        let folder = self.folder_for_op(id)?;
        {
            let mut state = self.state.lock();
            let record = state
                .by_folder(&folder)
                .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))?;
            if record.runtime.is_some() {
                drop(state);
                return self
                    .get(id)
                    .ok_or_else(|| ModuleOpError::NotFound(id.to_string()));
            }
            if record.library.is_none() {
                // Nothing of it is loaded: take the bundle as it is on disk now.
                let fresh = Bundle::read(&record.bundle.dir);
                if fresh.id == id {
                    record.bundle = fresh;
                }
            }
        }
        let library = match self.precheck(&folder, true) {
            Ok(library) => library,
            Err(waiting) if waiting.status == ModuleStatus::AwaitingApproval => {
                // Enabled, and it starts once the operator grants what it asks for.
                self.save_enabled_state(id, &folder)?;
                return self
                    .get(id)
                    .ok_or_else(|| ModuleOpError::NotFound(id.to_string()));
            }
            Err(refusal) => return Err(ModuleOpError::Refused(refusal)),
        };
        let plan = {
            let state = self.state.lock();
            let record = state
                .records
                .iter()
                .find(|r| r.bundle.folder == folder)
                .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))?;
            let candidate = plan_candidate(record.manifest().ok_or_else(|| {
                ModuleOpError::Refused(StatusReason::new(
                    ModuleStatus::Invalid,
                    "the manifest is invalid",
                ))
            })?);
            let (active, bystanders) = self.plan_context(&state, &HashSet::from([folder.clone()]));
            plan_load(&active, &[candidate], &bystanders)
        };
        if let Some((_, refusal)) = plan.rejected.into_iter().next() {
            let mut state = self.state.lock();
            if let Some(record) = state.by_folder(&folder) {
                if record.enabled {
                    record.set(refusal.status, Some(refusal.reason.clone()));
                }
            }
            return Err(ModuleOpError::Refused(refusal));
        }
        let saved = self
            .with_conn(|conn| save_enabled(conn, id, true))
            .map_err(ModuleOpError::Database)?;
        {
            let mut state = self.state.lock();
            state.saved.insert(id.to_string(), saved);
            if let Some(record) = state.by_folder(&folder) {
                record.enabled = true;
                if library.is_some() {
                    record.library = library;
                }
            }
        }
        self.activate_record(&folder);
        self.get(id)
            .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))
    }

    /// Saves `id` as enabled and marks its record so.
    fn save_enabled_state(&self, id: &str, folder: &str) -> Result<(), ModuleOpError> {
        let saved = self
            .with_conn(|conn| save_enabled(conn, id, true))
            .map_err(ModuleOpError::Database)?;
        let mut state = self.state.lock();
        state.saved.insert(id.to_string(), saved);
        if let Some(record) = state.by_folder(folder) {
            record.enabled = true;
        }
        Ok(())
    }

    /// Disables a module: saved first, then its services are stopped, its hooks unsubscribed,
    /// its routes detached (404) and `shutdown` called. Its data stays.
    pub fn disable(&self, id: &str) -> Result<ModuleView, ModuleOpError> {
        let _op = self.ops.lock();
        let folder = self.folder_for_op(id)?;
        let saved = self
            .with_conn(|conn| save_enabled(conn, id, false))
            .map_err(ModuleOpError::Database)?;
        let runtime = {
            let mut state = self.state.lock();
            state.saved.insert(id.to_string(), saved);
            let record = state
                .by_folder(&folder)
                .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))?;
            record.enabled = false;
            record.set(ModuleStatus::Disabled, Some(disabled_reason(id, true)));
            record
                .runtime
                .take()
                .map(|rt| (rt, Arc::clone(&record.counters)))
        };
        if let Some((runtime, counters)) = runtime {
            let left = deactivate(&self.core, &self.routes, id, runtime, &counters, true);
            self.cluster.release(self.core.db(), id);
            tracing::info!(module = id, services_left_running = ?left, "module disabled");
        }
        self.get(id)
            .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))
    }

    /// Validates `config` against the module's `configSchema` (environment references resolved,
    /// defaults applied) and saves it as the module's configuration override; `null` removes
    /// the override (back to `modules.config.<id>`). It applies on the module's next enable.
    /// Values sent as `"***"` and left-out `$ENV_VAR` fields keep their previous raw value
    /// ([`keep_masked_values`]).
    pub fn set_config(&self, id: &str, config: Value) -> Result<ConfigSaved, ModuleOpError> {
        let _op = self.ops.lock();
        let folder = self.folder_for_op(id)?;
        let (schema, enabled, running, previous) = {
            let mut state = self.state.lock();
            let previous = state
                .saved
                .get(id)
                .and_then(|s| s.config_override.clone())
                .or_else(|| self.settings.config.get(id).cloned());
            let record = state
                .by_folder(&folder)
                .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))?;
            let manifest = record.bundle.manifest.as_ref().map_err(|e| {
                ModuleOpError::Refused(StatusReason::new(ModuleStatus::Invalid, e.to_string()))
            })?;
            (
                manifest.config_schema.clone(),
                record.enabled,
                record.runtime.is_some(),
                previous,
            )
        };
        // What was shown masked (`***`, or left out by the Modules page) keeps its raw value.
        let override_value = match config {
            Value::Null => None,
            config => Some(
                keep_masked_values(previous.as_ref(), config)
                    .map_err(ModuleOpError::InvalidConfig)?,
            ),
        };
        let shown = match &override_value {
            Some(value) => {
                effective_config(
                    id,
                    Some(value),
                    &ConfigSource::SavedOverride,
                    schema.as_ref(),
                )
                .map_err(ModuleOpError::InvalidConfig)?
                .masked
            }
            None => displayed_config(self.settings.config.get(id), schema.as_ref()),
        };
        if running {
            // Applied first: a configuration the module refuses is not saved.
            let (value, source) = match &override_value {
                Some(value) => (Some(value), ConfigSource::SavedOverride),
                None => (self.settings.config.get(id), ConfigSource::ConfigFile),
            };
            self.apply_config(&folder, value, source, previous.as_ref())
                .map_err(ModuleOpError::Refused)?;
        }
        self.with_conn(|conn| save_config_override(conn, id, override_value.as_ref(), enabled))
            .map_err(ModuleOpError::Database)?;
        let saved = self
            .with_conn(load_saved_states)
            .map_err(ModuleOpError::Database)?;
        self.state.lock().saved = saved;
        let message = if running {
            "saved and applied: the module runs with it now"
        } else {
            "saved; it applies when the module is next enabled"
        };
        let module = self
            .get(id)
            .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))?;
        Ok(ConfigSaved {
            config: shown,
            message: message.to_string(),
            module,
        })
    }

    /// Scans the modules folder again: new bundles are loaded (if enabled), bundles that never
    /// loaded code are re-read and retried, enabled modules that are not running are retried
    /// (a missing dependency may have arrived), running modules whose bundle changed are
    /// upgraded in place (hot upgrade: the new version takes over without a restart, or is
    /// refused and the old one goes on), and loaded modules that do not run and whose files
    /// changed are reported `restartRequired`.
    pub fn rescan(&self) -> Result<RescanReport, ModuleOpError> {
        self.rescan_with(false)
    }

    /// [`ModuleHost::rescan`]; with `force`, a running module whose bundle now holds an older
    /// version is downgraded (still refused when the database has migrations that version
    /// lacks).
    pub fn rescan_with(&self, force: bool) -> Result<RescanReport, ModuleOpError> {
        let _op = self.ops.lock();
        if self.state.lock().shut_down {
            return Err(ModuleOpError::ShutDown);
        }
        let bundles = self.discover_bundles();
        let saved = self
            .with_conn(load_saved_states)
            .map_err(ModuleOpError::Database)?;
        let mut report = RescanReport::default();
        let mut retry = Vec::new();
        let mut upgrades = Vec::new();
        {
            let mut state = self.state.lock();
            state.saved = saved;
            let on_disk: HashSet<String> = bundles.iter().map(|b| b.folder.clone()).collect();
            for bundle in bundles {
                match state.by_folder(&bundle.folder) {
                    Some(record) if record.runtime.is_some() => {
                        // A running module whose bundle changed is upgraded in place.
                        let library = match (&bundle.manifest, record.manifest()) {
                            (Ok(m), _) | (Err(_), Some(m)) => Some(bundle.library_path(m)),
                            (Err(_), None) => None,
                        };
                        let fingerprint = library.and_then(|p| file_fingerprint(&p).ok());
                        let changed = fingerprint != record.loaded_fingerprint
                            || record.bundle.manifest_digest != bundle.manifest_digest;
                        if changed {
                            upgrades.push(bundle);
                        }
                    }
                    Some(record) if record.library.is_some() => {
                        let library_changed = record.manifest().is_some_and(|m| {
                            self.libraries
                                .changed_on_disk(&record.bundle.library_path(m))
                        });
                        let changed = library_changed
                            || record.bundle.manifest_digest != bundle.manifest_digest;

                        if changed && !record.restart_required {
                            report.restart_required.push(record.id().to_string());
                        }
                        record.restart_required = changed;
                        if record.runtime.is_none() {
                            retry.push(bundle.folder.clone());
                        }
                    }
                    Some(record) => {
                        // A library this process opened (and could not use) stays opened: a new
                        // file at that path is only read by a restart.
                        let library_changed = bundle
                            .manifest
                            .as_ref()
                            .is_ok_and(|m| self.libraries.changed_on_disk(&bundle.library_path(m)));
                        if library_changed && !record.restart_required {
                            report.restart_required.push(bundle.id.clone());
                        }
                        record.restart_required = library_changed;
                        retry.push(bundle.folder.clone());
                        record.bundle = bundle;
                    }
                    None => {
                        report.added.push(bundle.id.clone());
                        retry.push(bundle.folder.clone());
                        state.records.push(ModuleRecord::new(bundle));
                    }
                }
            }
            let mut removed = Vec::new();
            state.records.retain_mut(|record| {
                if on_disk.contains(&record.bundle.folder) {
                    return true;
                }
                if record.library.is_some() || record.runtime.is_some() {
                    if !record.restart_required {
                        report.restart_required.push(record.id().to_string());
                    }
                    record.restart_required = true;
                    true
                } else {
                    removed.push(record.id().to_string());
                    false
                }
            });
            report.removed = removed;
            state
                .records
                .sort_by(|a, b| a.bundle.folder.cmp(&b.bundle.folder));
            state.mark_duplicates();
        }
        self.recheck_running_signatures();
        self.bring_up(&retry);
        for bundle in upgrades {
            let folder = bundle.folder.clone();
            let upgrade = self.upgrade_running(&folder, bundle, force);
            let mut state = self.state.lock();
            if let Some(record) = state.by_folder(&folder) {
                record.restart_required = upgrade.outcome != "upgraded";
                record.last_upgrade = Some(upgrade.clone());
                if upgrade.outcome == "upgraded" {
                    report.upgraded.push(record.id().to_string());
                } else {
                    report.upgrade_refused.push(record.id().to_string());
                }
            }
        }
        report.modules = self.list();
        tracing::info!(added = ?report.added, removed = ?report.removed, restart_required = ?report.restart_required, "modules rescanned");
        Ok(report)
    }

    /// Takes every running module down, dependents first (reverse start order). Later
    /// operations are refused.
    pub fn shutdown(&self) {
        let _op = self.ops.lock();
        let mut running = {
            let mut state = self.state.lock();
            state.shut_down = true;
            let mut running = Vec::new();
            for record in &mut state.records {
                if let Some(runtime) = record.runtime.take() {
                    running.push((
                        record.activation_seq,
                        record.id().to_string(),
                        runtime,
                        Arc::clone(&record.counters),
                    ));
                    record.set(
                        ModuleStatus::Disabled,
                        Some("the server is shutting down".to_string()),
                    );
                }
            }
            running
        };
        running.sort_by_key(|r| std::cmp::Reverse(r.0));
        for (_, id, runtime, counters) in running {
            deactivate(&self.core, &self.routes, &id, runtime, &counters, false);
            self.cluster.release(self.core.db(), &id);
            tracing::info!(module = %id, "module stopped");
        }
        self.clock.stop();
    }

    /// A module named in `modules.enabled` or `modules.config` that is not installed is most
    /// likely a typo: say so once at start.
    fn warn_about_unknown_ids(&self) {
        let state = self.state.lock();
        let installed: HashSet<&str> = state.records.iter().map(|r| r.id()).collect();
        let listed = self.settings.enabled.iter().flatten();
        for id in listed.filter(|id| !installed.contains(id.as_str())) {
            tracing::warn!(module = %id, dir = %self.settings.dir.display(), "modules.enabled names a module that is not installed");
        }
        for id in self.settings.config.keys() {
            if !installed.contains(id.as_str()) {
                tracing::warn!(module = %id, dir = %self.settings.dir.display(), "modules.config has a section for a module that is not installed");
            }
        }
    }

    /// Runs the per-module steps and plans the rest for the records in `folders` that are not
    /// running, then brings the planned ones up in dependency order.
    fn bring_up(&self, folders: &[String]) {
        let folders: Vec<String> = {
            let state = self.state.lock();
            folders
                .iter()
                .filter(|f| {
                    state.records.iter().any(|r| {
                        &r.bundle.folder == *f && r.runtime.is_none() && r.duplicate_of.is_none()
                    })
                })
                .cloned()
                .collect()
        };
        let mut candidates: Vec<(ClaimRank, PlanCandidate, String)> = Vec::new();
        for folder in &folders {
            if self.precheck(folder, false).is_err() {
                continue;
            }
            let state = self.state.lock();
            let Some(record) = state.records.iter().find(|r| &r.bundle.folder == folder) else {
                continue;
            };
            let Some(manifest) = record.manifest() else {
                continue;
            };
            let rank = ClaimRank::new(
                state.saved.get(&manifest.id).map(|s| s.enable_order),
                self.settings
                    .enabled
                    .as_ref()
                    .and_then(|list| list.iter().position(|id| *id == manifest.id)),
                folder,
            );
            candidates.push((rank, plan_candidate(manifest), folder.clone()));
        }
        candidates.sort_by(|a, b| a.0.cmp(&b.0));
        let candidate_folders: HashSet<String> =
            candidates.iter().map(|(_, _, f)| f.clone()).collect();
        let plan = {
            let state = self.state.lock();
            let (active, bystanders) = self.plan_context(&state, &candidate_folders);
            let in_order: Vec<PlanCandidate> =
                candidates.iter().map(|(_, c, _)| c.clone()).collect();
            plan_load(&active, &in_order, &bystanders)
        };

        // Freeze the claim order of modules enabled for the first time.
        let first_time: Vec<String> = {
            let state = self.state.lock();
            candidates
                .iter()
                .map(|(_, c, _)| c.id.clone())
                .filter(|id| !state.saved.contains_key(id))
                .collect()
        };
        match self.with_conn(|conn| save_first_enabled(conn, &first_time)) {
            Ok(saved) => {
                let mut state = self.state.lock();
                for row in saved {
                    state.saved.insert(row.module_id.clone(), row);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot save the enable order of new modules"),
        }

        let folder_of: HashMap<String, String> = candidates
            .iter()
            .map(|(_, c, f)| (c.id.clone(), f.clone()))
            .collect();
        {
            let mut state = self.state.lock();
            for (id, rejection) in &plan.rejected {
                if let Some(record) = state.by_folder(&folder_of[id]) {
                    tracing::warn!(module = %id, status = %rejection.status, reason = %rejection.reason, "module not loaded");
                    record.set(rejection.status, Some(rejection.reason.clone()));
                }
            }
        }
        for id in &plan.order {
            let folder = &folder_of[id];
            let missing = {
                let state = self.state.lock();
                let requires: Vec<String> = state
                    .records
                    .iter()
                    .find(|r| &r.bundle.folder == folder)
                    .and_then(|r| r.manifest())
                    .map(|m| m.requires.modules.keys().cloned().collect())
                    .unwrap_or_default();
                requires
                    .into_iter()
                    .find_map(|dep| match state.owner(&dep) {
                        Some(d) if d.runtime.is_some() => None,
                        Some(d) => Some(format!(
                            "requires module `{dep}`, which did not start ({}: {})",
                            d.status,
                            d.reason.as_deref().unwrap_or("")
                        )),
                        None => Some(format!("requires module `{dep}`, which is not installed")),
                    })
            };
            match missing {
                Some(reason) => {
                    tracing::warn!(module = %id, %reason, "module not loaded");
                    if let Some(record) = self.state.lock().by_folder(folder) {
                        record.set(ModuleStatus::Failed, Some(reason));
                    }
                }
                None => self.activate_record(folder),
            }
        }
    }

    /// The steps that need no other module: manifest, `requires.core`, bundle signature,
    /// enabled, library and ABI. Records the outcome on the record; returns the library when the module may load
    /// (`None` at the `process` level: its library is opened and checked by its own process,
    /// never in this one). With `force_enabled` the saved/config enabled state is not consulted
    /// (an explicit enable).
    fn precheck(
        &self,
        folder: &str,
        force_enabled: bool,
    ) -> Result<Option<LoadedLibrary>, StatusReason> {
        let (bundle, enabled, disabled_why, loaded, granted) = {
            let mut state = self.state.lock();
            let id = state
                .records
                .iter()
                .find(|r| r.bundle.folder == folder)
                .map(|r| r.id().to_string())
                .unwrap_or_default();
            let (enabled, why) = self.wanted(&state, &id);
            let granted = self.effective_grants(&state, &id);
            let Some(record) = state.by_folder(folder) else {
                return Err(StatusReason::new(ModuleStatus::Failed, "bundle vanished"));
            };
            if !force_enabled {
                record.enabled = enabled;
            }
            (
                record.bundle.clone(),
                enabled || force_enabled,
                why,
                record.library,
                granted,
            )
        };
        let mut signature = None;
        let outcome = (|| {
            let manifest = bundle
                .manifest
                .as_ref()
                .map_err(|e| StatusReason::new(ModuleStatus::Invalid, e.to_string()))?;
            let core = semver::Version::parse(paperclip_core::VERSION)
                .unwrap_or_else(|_| semver::Version::new(0, 0, 0));
            if !manifest.accepts_core(&core) {
                let range = manifest
                    .requires
                    .core
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                return Err(StatusReason::new(
                    ModuleStatus::Incompatible,
                    format!("requires Paperclip core {range}, but this server is {core}"),
                ));
            }
            // Every load reads the bundle again: a file changed since the last load is found
            // before any of the module's code or SQL is used.
            let check = self.check_signature(&manifest.id, &bundle.dir);
            let refusal = check.refusal();
            signature = Some(check);
            if !enabled {
                return Err(StatusReason::new(ModuleStatus::Disabled, disabled_why));
            }
            if let Some(refusal) = refusal {
                return Err(refusal);
            }
            awaiting_approval(manifest, &granted)?;
            let (level, _) = self.settings.isolation_of(&manifest.id, Some(manifest));
            if level == IsolationLevel::Process {
                let library = bundle.library_path(manifest);
                if !library.is_file() {
                    return Err(StatusReason::new(
                        ModuleStatus::Failed,
                        format!("library file {} is missing", library.display()),
                    ));
                }
                return Ok(None);
            }
            // A library already in the process stays the module's code until a restart, even if
            // the file was replaced since (that is reported as `restartRequired`).
            match loaded {
                Some(library) => Ok(Some(library)),
                None => self
                    .libraries
                    .load(&bundle.library_path(manifest))
                    .map(Some),
            }
        })();
        // `describe` is module code: called before taking the lock the admin API reads under.
        let build = outcome
            .as_ref()
            .ok()
            .and_then(|library| library.as_ref().and_then(LoadedLibrary::build_info));
        let verified_files = signature
            .as_ref()
            .filter(|check| check.is_verified())
            .and_then(|check| check.verification.as_ref())
            .map(|v| Arc::new(v.files.clone()));
        let mut state = self.state.lock();
        if let Some(record) = state.by_folder(folder) {
            if signature.is_some() {
                record.signature = signature;
            }
            if outcome.is_ok() {
                record.loaded_files = verified_files;
            }
            match &outcome {
                Ok(Some(library)) => {
                    record.build = build;
                    record.library = Some(*library);
                }
                Ok(None) => {}
                Err(problem) => {
                    if problem.status != ModuleStatus::Disabled {
                        tracing::warn!(module = %record.id(), status = %problem.status, reason = %problem.reason, "module not loaded");
                    }
                    record.set(problem.status, Some(problem.reason.clone()));
                }
            }
        }
        outcome
    }

    /// What a file of running module `id`'s bundle (`relative`, `/`-separated, e.g.
    /// `ui/index.js`) must hash to before it is served: `None` when nothing is required
    /// (`modules.signatures` is not `required`); `Some(None)` when the verified bundle did not
    /// list it (or the module's load was not verified); `Some(Some(sha256))` otherwise.
    pub fn required_file_digest(&self, id: &str, relative: &str) -> Option<Option<String>> {
        if self.settings.signatures != SignatureEnforcement::Required {
            return None;
        }
        let state = self.state.lock();
        let record = state.owner(id)?;
        Some(
            record
                .loaded_files
                .as_ref()
                .and_then(|files| files.get(relative).cloned()),
        )
    }

    /// Checks the bundles of running modules again (outside the state lock: hashing takes a
    /// while). Their code was checked when it loaded; the view then says what is on disk now,
    /// which is what the next load gets (and, under `required`, refuses).
    fn recheck_running_signatures(&self) {
        let running: Vec<(String, String, PathBuf)> = {
            let state = self.state.lock();
            state
                .records
                .iter()
                .filter(|r| r.runtime.is_some())
                .map(|r| {
                    (
                        r.bundle.folder.clone(),
                        r.id().to_string(),
                        r.bundle.dir.clone(),
                    )
                })
                .collect()
        };
        for (folder, id, dir) in running {
            let check = self.check_signature(&id, &dir);
            if let Some(record) = self.state.lock().by_folder(&folder) {
                record.signature = Some(check);
            }
        }
    }

    /// Checks the signature of module `id`'s bundle in `dir` under `modules.signatures`, and
    /// logs what is wrong with it.
    fn check_signature(&self, id: &str, dir: &std::path::Path) -> SignatureCheck {
        let check = SignatureCheck::run(dir, self.settings.signatures, &self.settings.trusted_keys);
        let view = check.view();
        tracing::debug!(module = %id, state = %view.state, took_us = check.took.as_micros() as u64, "bundle signature checked");
        if let Some(problem) = &view.problem {
            tracing::warn!(module = %id, state = %view.state, policy = %check.enforcement, %problem, "module bundle not verified");
        }
        check
    }

    /// Configuration → migrations → register → hooks, routes, services for one record.
    fn activate_record(&self, folder: &str) {
        let prepared = {
            let state = self.state.lock();
            let Some(record) = state.records.iter().find(|r| r.bundle.folder == folder) else {
                return;
            };
            let Some(manifest) = record.manifest() else {
                return;
            };
            let (level, _) = self.settings.isolation_of(&manifest.id, Some(manifest));
            let (raw, source) = self.raw_config(&state, &manifest.id);
            let known_ids: Vec<String> = state.records.iter().map(|r| r.id().to_string()).collect();
            (
                manifest.clone(),
                record.bundle.dir.clone(),
                record.library,
                raw,
                source,
                Arc::clone(&record.counters),
                known_ids,
                self.new_policy(&state, manifest, level),
                level,
            )
        };
        let (manifest, dir, library, raw, source, counters, known_ids, policy, level) = prepared;
        let ctx = self.context(&manifest, policy, &known_ids);
        let entry = self.module_entry(&manifest, &dir, library, level);
        let build = entry
            .as_ref()
            .ok()
            .filter(|_| level == IsolationLevel::Process)
            .and_then(|entry| entry.describe())
            .and_then(|text| serde_json::from_str::<Value>(&text).ok());
        let outcome = entry.and_then(|entry| {
            activate(
                &ctx,
                &manifest,
                &dir,
                entry,
                level,
                RawConfig {
                    value: raw.as_ref(),
                    source,
                },
                &counters,
            )
        });
        let mut state = self.state.lock();
        let seq = state.next_activation;
        let Some(record) = state.by_folder(folder) else {
            return;
        };
        match outcome {
            Ok(runtime) => {
                tracing::info!(
                    module = %manifest.id,
                    version = %manifest.version,
                    hooks = ?runtime.hooks,
                    routes = ?runtime.route_prefix,
                    services = ?runtime.executor.service_names(),
                    isolation = %level,
                    "module active"
                );
                if build.is_some() {
                    record.build = build;
                }
                record.runtime = Some(runtime);
                record.loaded_fingerprint =
                    file_fingerprint(&record.bundle.library_path(&manifest)).ok();
                record.activation_seq = seq;
                record.set(ModuleStatus::Active, None);
                state.next_activation += 1;
            }
            Err(problem) => {
                tracing::warn!(module = %manifest.id, status = %problem.status, reason = %problem.reason, "module not loaded");
                record.set(problem.status, Some(problem.reason));
            }
        }
    }

    /// The module's instance at `level`: the library in this process, or a new child process
    /// (`process`) that loads it.
    fn module_entry(
        &self,
        manifest: &Manifest,
        bundle_dir: &std::path::Path,
        library: Option<LoadedLibrary>,
        level: IsolationLevel,
    ) -> Result<Arc<dyn ModuleEntry>, StatusReason> {
        let failed = |reason: String| StatusReason::new(ModuleStatus::Failed, reason);
        if level != IsolationLevel::Process {
            let library = match library {
                Some(library) => library,
                None => self
                    .libraries
                    .load(&bundle_dir.join(library_file_name(&manifest.library)))?,
            };
            return Ok(Arc::new(LibraryEntry::new(library.root)));
        }
        let settings = ProcessSettings {
            runner_path: ProcessSettings::resolve_runner().map_err(failed)?,
            memory_mb: self.settings.process_memory_mb,
            cpu_seconds: self.settings.process_cpu_seconds,
            ..ProcessSettings::default()
        };
        let library_path = bundle_dir.join(library_file_name(&manifest.library));
        let entry = ProcessEntry::start(&manifest.id, &library_path, bundle_dir, &settings)?;
        Ok(entry)
    }

    /// Whether `id` is meant to run, and if not, why (as a status reason).
    fn wanted(&self, state: &HostState, id: &str) -> (bool, String) {
        if let Some(saved) = state.saved.get(id) {
            return (saved.enabled, disabled_reason(id, true));
        }
        match &self.settings.enabled {
            Some(list) => (list.iter().any(|m| m == id), disabled_reason(id, false)),
            None => (true, String::new()),
        }
    }

    /// Running modules (they hold their claims and satisfy dependencies) and the others that
    /// are not in `candidates` (so a dependency on them is explained).
    fn plan_context(
        &self,
        state: &HostState,
        candidates: &HashSet<String>,
    ) -> (Vec<PlanCandidate>, Vec<Bystander>) {
        let mut active = Vec::new();
        let mut bystanders = Vec::new();
        for record in &state.records {
            if record.duplicate_of.is_some() {
                continue;
            }
            if record.runtime.is_some() {
                if let Some(manifest) = record.manifest() {
                    active.push(plan_candidate(manifest));
                }
            } else if !candidates.contains(&record.bundle.folder) {
                let reason = record.reason.as_deref().unwrap_or("");
                let why = match record.status {
                    ModuleStatus::Disabled => "is disabled".to_string(),
                    ModuleStatus::AwaitingApproval => format!("is awaiting approval ({reason})"),
                    ModuleStatus::Invalid => format!("is invalid ({reason})"),
                    ModuleStatus::Incompatible => format!("is incompatible ({reason})"),
                    ModuleStatus::Conflict => format!("is in conflict ({reason})"),
                    _ => format!("failed to load ({reason})"),
                };
                bystanders.push(Bystander {
                    id: record.id().to_string(),
                    version: record.manifest().map(|m| m.version.clone()),
                    why,
                });
            }
        }
        (active, bystanders)
    }

    /// The view of one record, with `degraded` worked out from counters and dependencies.
    fn view(&self, state: &HostState, record: &ModuleRecord) -> ModuleView {
        let manifest = record.manifest();
        let counters = self.counter_snapshot(record);
        let raw = match state
            .saved
            .get(record.id())
            .and_then(|s| s.config_override.as_ref())
        {
            Some(saved) => Some(saved),
            None => self.settings.config.get(record.id()),
        };
        let next_config = displayed_config(raw, manifest.and_then(|m| m.config_schema.as_ref()));
        let (status, reason, hooks, config, config_pending) = match &record.runtime {
            Some(runtime) => {
                let dependency_down = manifest.and_then(|m| {
                    m.requires.modules.keys().find_map(|dep| {
                        let up = state.owner(dep).is_some_and(|d| d.runtime.is_some());
                        (!up).then(|| format!("requires module `{dep}`, which is no longer active"))
                    })
                });
                let trouble = counters
                    .trouble_since(&runtime.baseline)
                    .map(|trouble| match record.counters.last_error() {
                        Some(last) => {
                            format!("{trouble} since it was enabled (last error: {last})")
                        }
                        None => format!("{trouble} since it was enabled"),
                    });
                let executor_trouble = runtime.executor.degradation();
                let (status, reason) = match runtime.executor.failure() {
                    Some(reason) => (ModuleStatus::Failed, Some(reason)),
                    None => match executor_trouble.or(dependency_down).or(trouble) {
                        Some(reason) => (ModuleStatus::Degraded, Some(reason)),
                        None => (ModuleStatus::Active, None),
                    },
                };
                let pending = next_config != runtime.config_masked;
                (
                    status,
                    reason,
                    runtime.hooks.clone(),
                    runtime.config_masked.clone(),
                    pending,
                )
            }
            None => (
                record.status,
                record.reason.clone(),
                manifest.map(|m| m.hooks.clone()).unwrap_or_default(),
                next_config,
                false,
            ),
        };
        let (isolation, isolation_source) = self.settings.isolation_of(record.id(), manifest);
        let executor = record.runtime.as_ref().map(|rt| rt.executor.stats());
        let process = record
            .runtime
            .as_ref()
            .and_then(|rt| rt.entry.process_status());
        ModuleView {
            id: record.id().to_string(),
            name: manifest.map(|m| m.name.clone()),
            description: manifest.map(|m| m.description.clone()),
            version: manifest.map(|m| m.version.to_string()),
            author: manifest.map(|m| m.author.clone()),
            bundle: record.bundle.folder.clone(),
            status,
            reason,
            enabled: record.enabled,
            slot: manifest.and_then(|m| m.slot.clone()),
            hooks,
            route_prefix: manifest.and_then(|m| m.route_prefix().map(|p| format!("/{p}"))),
            ui: manifest.and_then(|m| m.ui.clone()),
            config_schema: manifest.and_then(|m| m.config_schema.clone()),
            config,
            config_pending,
            counters,
            restart_required: record.restart_required,
            last_upgrade: record.last_upgrade.clone(),
            build: record.build.clone(),
            isolation,
            isolation_source: isolation_source.to_string(),
            executor,
            process,
            delivery: None,
            grants: self.grants_view(state, record),
            companies: self.company_scope(state, record.id()),
            webhooks: manifest
                .map(|m| m.webhooks.iter().map(|w| w.key.clone()).collect())
                .unwrap_or_default(),
            signature: record.signature.as_ref().map(SignatureCheck::view),
            work: record
                .runtime
                .as_ref()
                .map(|rt| self.work_lease_view(record.id(), rt.executor.service_names(), None)),
        }
    }

    /// The folder of the module `id`, refusing when shut down or unknown.
    fn folder_for_op(&self, id: &str) -> Result<String, ModuleOpError> {
        let state = self.state.lock();
        if state.shut_down {
            return Err(ModuleOpError::ShutDown);
        }
        state
            .folder_of(id)
            .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))
    }

    fn read_saved_states(&self) -> anyhow::Result<HashMap<String, SavedModuleState>> {
        self.with_conn(load_saved_states)
            .map_err(|e| anyhow::anyhow!("cannot read the saved module state: {e}"))
    }

    fn discover_bundles(&self) -> Vec<Bundle> {
        discover(&self.settings.dir).unwrap_or_else(|e| {
            tracing::error!(dir = %self.settings.dir.display(), error = %e, "cannot scan the modules folder; no modules loaded from it");
            Vec::new()
        })
    }

    /// Runs database work on a pooled connection (blocking).
    fn with_conn<T>(
        &self,
        work: impl FnOnce(&mut paperclip_core::db::DbConnection) -> Result<T, diesel::result::Error>,
    ) -> Result<T, String> {
        let mut conn = self.core.db().conn().map_err(|e| e.to_string())?;
        work(&mut conn).map_err(|e| e.to_string())
    }
}

/// What a module's delivery view is worked out from: modules with hooks only.
fn delivery_source(record: &ModuleRecord) -> Option<DeliverySource> {
    let manifest = record.manifest()?;
    let live = record
        .runtime
        .as_ref()
        .and_then(|runtime| runtime.executor.delivery_status());
    if manifest.hooks.is_empty() && live.is_none() {
        return None;
    }
    Some(DeliverySource {
        mode: manifest.delivery,
        catch_up: manifest.catch_up,
        live,
    })
}

/// A manifest as the planner sees it.
fn plan_candidate(manifest: &Manifest) -> PlanCandidate {
    PlanCandidate {
        id: manifest.id.clone(),
        version: manifest.version.clone(),
        slot: manifest.slot.clone(),
        route_prefix: manifest.route_prefix().map(str::to_string),
        requires: manifest.requires.modules.clone(),
    }
}

/// Why a module is disabled: its saved state, or the config's `modules.enabled`.
fn disabled_reason(id: &str, saved: bool) -> String {
    if saved {
        format!(
            "disabled (saved state); enable it with POST /api/admin/modules/{id}/enable or `paperclipai module enable {id}`"
        )
    } else {
        "not listed in modules.enabled of the configuration".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::MANIFEST_FILE;
    use paperclip_core::hooks::HookBus;
    use serde_json::json;
    use std::path::Path;

    fn bundle(modules: &Path, folder: &str, manifest: Value) {
        let dir = modules.join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(MANIFEST_FILE), manifest.to_string()).unwrap();
    }

    fn manifest(id: &str) -> Value {
        json!({
            "id": id, "name": id, "version": "1.0.0", "library": id,
            "configSchema": {
                "type": "object",
                "required": ["token"],
                "properties": {
                    "token": { "type": "string" },
                    "limit": { "type": "integer", "minimum": 1, "default": 10 }
                }
            }
        })
    }

    struct Fixture {
        _tmp: tempfile::TempDir,
        modules: PathBuf,
        host: ModuleHost,
        core: Core,
    }

    fn fixture(enabled: Option<Vec<&str>>) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let modules = tmp.path().join("plugins-dist");
        bundle(&modules, "a-broken", json!({ "id": "broken", "name": "B" }));
        let mut future = manifest("future");
        future["requires"] = json!({ "core": ">=9.0.0" });
        bundle(&modules, "b-future", future);
        bundle(&modules, "c-nolib", manifest("nolib"));
        bundle(&modules, "d-off", manifest("off"));
        bundle(&modules, "e-dup", manifest("nolib"));
        let db =
            paperclip_core::db::open_database(&tmp.path().join("p.db").to_string_lossy()).unwrap();
        let core = Core::new(db, Arc::new(HookBus::new()));
        let settings = HostSettings {
            dir: modules.clone(),
            enabled: enabled.map(|list| list.into_iter().map(String::from).collect()),
            config: BTreeMap::from([(
                "off".to_string(),
                json!({ "token": "$PAPERCLIP_TEST_HOST_TOKEN" }),
            )]),
            hook_timeout: Duration::from_secs(1),
            route_timeout: Duration::from_secs(1),
            db_limits: ModuleDbLimits::default(),
            ..HostSettings::for_dir(modules.clone())
        };
        let host = ModuleHost::new(core.clone(), settings);
        host.start().unwrap();
        Fixture {
            _tmp: tmp,
            modules,
            host,
            core,
        }
    }

    fn status(host: &ModuleHost, id: &str) -> (ModuleStatus, String) {
        let view = host.get(id).unwrap_or_else(|| panic!("no module {id}"));
        (view.status, view.reason.unwrap_or_default())
    }

    #[test]
    fn each_module_fails_alone_with_a_status_and_a_reason() {
        let f = fixture(Some(vec!["broken", "future", "nolib"]));
        let (s, reason) = status(&f.host, "broken");
        assert_eq!(s, ModuleStatus::Invalid);
        assert!(
            reason.contains("\"version\" is a required property"),
            "{reason}"
        );
        assert_eq!(
            status(&f.host, "future"),
            (
                ModuleStatus::Incompatible,
                format!(
                    "requires Paperclip core >=9.0.0, but this server is {}",
                    paperclip_core::VERSION
                )
            )
        );
        assert_eq!(
            status(&f.host, "nolib"),
            (
                ModuleStatus::Failed,
                "library file libnolib.so not found in the bundle".to_string()
            )
        );
        assert_eq!(
            status(&f.host, "off"),
            (
                ModuleStatus::Disabled,
                "not listed in modules.enabled of the configuration".to_string()
            )
        );
        let list = f.host.list();
        let dup = list.iter().find(|m| m.bundle == "e-dup").unwrap();
        assert_eq!(dup.status, ModuleStatus::Conflict);
        assert_eq!(
            dup.reason.as_deref(),
            Some("module id `nolib` is already provided by bundle folder `c-nolib`")
        );
        assert!(f.host.routes().prefixes().is_empty());
    }

    #[test]
    fn the_admin_view_has_the_documented_shape_and_masks_env_values() {
        let f = fixture(Some(vec![]));
        let view = serde_json::to_value(f.host.get("off").unwrap()).unwrap();
        for key in [
            "id",
            "name",
            "description",
            "version",
            "author",
            "status",
            "reason",
            "enabled",
            "slot",
            "hooks",
            "routePrefix",
            "ui",
            "configSchema",
            "config",
            "counters",
            "restartRequired",
        ] {
            assert!(view.get(key).is_some(), "{key} missing in {view}");
        }
        for counter in [
            "hookCalls",
            "hookFailures",
            "hookTimeouts",
            "hookDrops",
            "routeCalls",
            "routeErrors",
            "serviceRuns",
            "serviceFailures",
        ] {
            assert_eq!(view["counters"][counter], json!(0), "{counter}");
        }
        assert_eq!(view["config"], json!({ "token": "***", "limit": 10 }));
        assert_eq!(view["enabled"], json!(false));
    }

    #[test]
    fn enabling_is_refused_for_unusable_modules_and_unknown_ids() {
        let f = fixture(None);
        assert!(matches!(
            f.host.enable("ghost"),
            Err(ModuleOpError::NotFound(id)) if id == "ghost"
        ));
        match f.host.enable("future") {
            Err(ModuleOpError::Refused(r)) => assert_eq!(r.status, ModuleStatus::Incompatible),
            other => panic!("expected a refusal, got {other:?}"),
        }
        match f.host.enable("nolib") {
            Err(ModuleOpError::Refused(r)) => assert!(r.reason.contains("libnolib.so"), "{r}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Nothing was saved by the refusals.
        let mut conn = f.core.db().conn().unwrap();
        let saved = load_saved_states(&mut conn).unwrap();
        assert!(saved.values().all(|s| s.enabled), "{saved:?}");
    }

    #[test]
    fn disabling_is_saved_and_survives_a_new_host() {
        let f = fixture(None);
        let view = f.host.disable("nolib").unwrap();
        assert_eq!(view.status, ModuleStatus::Disabled);
        assert!(!view.enabled);
        assert!(view.reason.unwrap().starts_with("disabled (saved state)"));
        let again = ModuleHost::new(f.core.clone(), f.host.settings().clone());
        again.start().unwrap();
        assert_eq!(status(&again, "nolib").0, ModuleStatus::Disabled);
        // Without an `enabled` list, the others are enabled (and fail on their missing library).
        assert_eq!(status(&again, "off").0, ModuleStatus::Failed);
    }

    #[test]
    fn a_saved_config_is_validated_masked_and_applies_on_next_enable() {
        let f = fixture(Some(vec![]));
        match f.host.set_config("off", json!({ "token": 5, "limit": 0 })) {
            Err(ModuleOpError::InvalidConfig(problems)) => {
                assert_eq!(problems.problems.len(), 2, "{problems}");
                assert!(
                    ["config.token", "config.limit"].contains(&problems.first_field.as_str()),
                    "{}",
                    problems.first_field
                );
            }
            other => panic!("expected invalid config, got {other:?}"),
        }
        std::env::set_var("PAPERCLIP_TEST_SAVED_TOKEN", "t0ken");
        let saved = f
            .host
            .set_config("off", json!({ "token": "$PAPERCLIP_TEST_SAVED_TOKEN" }))
            .unwrap();
        assert_eq!(saved.config, json!({ "token": "***", "limit": 10 }));
        assert!(saved.message.contains("next enabled"), "{}", saved.message);
        let mut conn = f.core.db().conn().unwrap();
        let rows = load_saved_states(&mut conn).unwrap();
        assert_eq!(
            rows["off"].config_override,
            Some(json!({ "token": "$PAPERCLIP_TEST_SAVED_TOKEN" })),
            "the reference is saved, never the secret"
        );
        assert!(!rows["off"].enabled, "saving a config does not enable");
        // Saving what was shown (`***`), or leaving the masked field out, keeps the reference.
        for shown in [
            json!({ "token": "***", "limit": 12 }),
            json!({ "limit": 12 }),
        ] {
            let saved = f.host.set_config("off", shown).unwrap();
            assert_eq!(saved.config, json!({ "token": "***", "limit": 12 }));
            let rows = load_saved_states(&mut conn).unwrap();
            assert_eq!(
                rows["off"].config_override,
                Some(json!({ "token": "$PAPERCLIP_TEST_SAVED_TOKEN", "limit": 12 }))
            );
        }
        assert!(matches!(
            f.host.set_config("broken", json!({})),
            Err(ModuleOpError::Refused(_))
        ));
    }

    #[test]
    fn a_rescan_adds_and_removes_bundles_that_never_loaded_code() {
        let f = fixture(Some(vec![]));
        bundle(&f.modules, "z-new", manifest("newcomer"));
        std::fs::remove_dir_all(f.modules.join("b-future")).unwrap();
        let report = f.host.rescan().unwrap();
        assert_eq!(report.added, vec!["newcomer".to_string()]);
        assert_eq!(report.removed, vec!["future".to_string()]);
        assert!(report.restart_required.is_empty());
        assert_eq!(status(&f.host, "newcomer").0, ModuleStatus::Disabled);
        assert!(f.host.get("future").is_none());
    }

    #[test]
    fn operations_after_shutdown_are_refused() {
        let f = fixture(None);
        f.host.shutdown();
        assert!(matches!(f.host.enable("off"), Err(ModuleOpError::ShutDown)));
        assert!(matches!(f.host.rescan(), Err(ModuleOpError::ShutDown)));
    }
}
