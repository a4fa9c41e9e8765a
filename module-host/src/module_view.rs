//! How a module is shown by the admin API (`GET /api/admin/modules`) and the CLI.

use super::bundle_signature::SignatureView;
use super::delivery_view::DeliveryView;
use super::executor::ExecutorStats;
use super::module_counters::CounterSnapshot;
use super::module_entry::ProcessStatus;
use super::module_lifecycle::{GrantsView, UpgradeReport, WorkLeaseView};
use super::module_status::ModuleStatus;
use module_sdk::CompanyScope;
use paperclip_core::isolation_level::IsolationLevel;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One module as the admin API shows it. Fields that come from the manifest are `null` when the
/// manifest could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleView {
    /// Module id (the folder name when the manifest names none).
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// Short description.
    pub description: Option<String>,
    /// The module's version.
    pub version: Option<String>,
    /// Who maintains it.
    pub author: Option<String>,
    /// The bundle folder in the modules directory.
    pub bundle: String,
    /// Where the module stands.
    pub status: ModuleStatus,
    /// Why it is not simply active (`null` when active).
    pub reason: Option<String>,
    /// Whether it is meant to run (saved state, else the config's `modules.enabled`).
    pub enabled: bool,
    /// Its exclusive slot.
    pub slot: Option<String>,
    /// Hooks: the ones registered while running, else the ones the manifest declares.
    pub hooks: Vec<String>,
    /// Route prefix with its leading `/`; routes are served under `/api/modules<routePrefix>/`.
    pub route_prefix: Option<String>,
    /// The manifest's `ui` (pages and widgets) for the web shell.
    pub ui: Option<Value>,
    /// The manifest's `configSchema`.
    pub config_schema: Option<Value>,
    /// The effective configuration (running one, else the one the next enable would use), with
    /// values that came from `$ENV_VAR` references shown as `"***"`.
    pub config: Value,
    /// A saved configuration differs from the one the running module got; it applies on the
    /// next enable.
    pub config_pending: bool,
    /// Calls into the module since the server started.
    pub counters: CounterSnapshot,
    /// The bundle's library or manifest changed on disk (or the bundle was removed) while the
    /// module's library is loaded: the new version is served after a restart.
    pub restart_required: bool,
    /// The last hot upgrade tried (a new version found by a rescan): upgraded, or refused and
    /// why (the old version goes on).
    #[serde(default)]
    pub last_upgrade: Option<UpgradeReport>,
    /// What the library says about its build (SDK, ABI, crate versions), when loaded.
    pub build: Option<Value>,
    /// The isolation level chosen for the module (`executor.level` is the one calls run at
    /// now: an `inline` module that overran runs `threaded`).
    pub isolation: IsolationLevel,
    /// Where the level was chosen: `config` (`modules.isolation.<id>`), `manifest` or `default`.
    pub isolation_source: String,
    /// The running module's executor: one budget for its routes, hooks and services.
    pub executor: Option<ExecutorStats>,
    /// The running module's child process (`process` level): state, pid, restarts, last exit,
    /// recent stderr, sandbox (whether Landlock is enforced).
    pub process: Option<ProcessStatus>,
    /// Its hook delivery (modules with hooks): mode, cursor, lag behind the outbox, retries and
    /// dead letters.
    #[serde(default)]
    pub delivery: Option<Box<DeliveryView>>,
    /// The capabilities (core writes) it asks for, the ones granted and missing, and what its
    /// policy allowed and refused.
    pub grants: GrantsView,
    /// The companies it serves: `{"mode":"all"}` or `{"mode":"only","companyIds":[…]}`.
    pub companies: CompanyScope,
    /// The keys of the inbound webhooks its manifest declares (served at
    /// `/webhooks/<id>/<key>`; details and deliveries at `GET /api/admin/modules/{id}/webhooks`).
    #[serde(default)]
    pub webhooks: Vec<String>,
    /// Its bundle's signature as last checked: `{state, keyId, problem, policy}` with state
    /// `verified`, `unsigned`, `untrusted`, `invalid` or `unchecked` (`null` before a check:
    /// e.g. an invalid manifest).
    #[serde(default)]
    pub signature: Option<SignatureView>,
    /// A running module's background work — its services and at-least-once hook delivery —
    /// and the replica that runs it (the holder of the module's lease among replicas).
    #[serde(default)]
    pub work: Option<WorkLeaseView>,
}
