//! The module host among several replicas (see [`crate::cluster`]): module leases renewed
//! every second — this replica runs a module's services and at-least-once delivery while it
//! holds the module's lease — and the module state another replica saved (enabled, config,
//! grants, companies) applied here.

use super::{HostState, ModuleHost, ModuleOpError};
use crate::cluster::Cluster;
use crate::executor::ModuleExecutor;
use crate::module_config::ConfigSource;
use crate::module_policy_store::load_policies;
use crate::module_state_store::load_saved_states;
use paperclip_core::cluster::leases::{self, Lease};
use paperclip_core::cluster::notify;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// What [`ModuleHost::sync_saved_state`] changed on this replica.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// Modules enabled here because another replica enabled them.
    pub enabled: Vec<String>,
    /// Modules disabled here.
    pub disabled: Vec<String>,
    /// Running modules given the configuration saved by another replica.
    pub reconfigured: Vec<String>,
    /// Modules whose grants or companies changed.
    pub policies: Vec<String>,
}

impl SyncReport {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.enabled.is_empty()
            && self.disabled.is_empty()
            && self.reconfigured.is_empty()
            && self.policies.is_empty()
    }
}

/// Who does a module's background work (services, at-least-once delivery), as the admin API
/// shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkLeaseView {
    /// The replica holding the module's lease (`None`: nobody yet).
    pub holder: Option<String>,
    /// Whether that is this replica.
    pub this_replica: bool,
    /// When the lease lapses unless renewed (RFC 3339).
    pub expires_at: Option<String>,
    /// The module's services, each run by the holder only.
    pub services: Vec<String>,
}

impl ModuleHost {
    /// This replica's cluster membership.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// Tells the other replicas that `what` changed in the saved module state (they apply it
    /// at once); nothing to tell alone on the database. A failure is logged: the others' periodic
    /// sync still finds the change.
    pub fn announce(&self, what: &str) {
        if !self.cluster.is_coordinated() {
            return;
        }
        let payload = serde_json::json!({ "from": self.cluster.replica_id(), "what": what });
        if let Err(error) = self.with_conn(|conn| notify::announce(conn, &payload.to_string())) {
            tracing::warn!(%error, what, "module change not announced to the other replicas");
        }
    }

    /// Takes or renews the lease of every running module (among replicas; alone on the
    /// database this changes nothing) and moves the module's background work here when this
    /// replica took it, away when another did; gives up the leases of modules that no longer
    /// run here. Called every second by the server. Blocking.
    pub fn keep_leases(&self) {
        if !self.cluster.is_coordinated() {
            return;
        }
        let running: Vec<(String, Arc<ModuleExecutor>)> = {
            let state = self.state.lock();
            state
                .records
                .iter()
                .filter_map(|r| {
                    r.runtime
                        .as_ref()
                        .map(|rt| (r.id().to_string(), Arc::clone(&rt.executor)))
                })
                .collect()
        };
        let db = self.core.db();
        // A lifecycle operation in progress may be replacing executors: only a loss is
        // applied then (it is only a flag); a gain waits for the next round.
        let op = self.ops.try_lock();
        for (id, executor) in &running {
            let holds = self.cluster.take(db, id);
            match (executor.owns_work(), holds) {
                // Taken, but the delivery could not resume: let another replica try.
                (false, true) if op.is_some() && !executor.gain_work() => {
                    self.cluster.release(db, id);
                }
                (true, false) => executor.lose_work(),
                _ => {}
            }
        }
        let here: HashSet<&str> = running.iter().map(|(id, _)| id.as_str()).collect();
        for id in self.cluster.held() {
            if !here.contains(id.as_str()) {
                self.cluster.release(db, &id);
            }
        }
    }

    /// The module leases in the database, by module id.
    pub fn work_leases(&self) -> Result<Vec<(String, Lease)>, ModuleOpError> {
        let rows = self
            .with_conn(|conn| leases::list(conn, "module:"))
            .map_err(ModuleOpError::Database)?;
        Ok(rows
            .into_iter()
            .filter_map(|lease| {
                let id = lease.name.strip_prefix("module:")?.to_string();
                Some((id, lease))
            })
            .collect())
    }

    /// Who runs module `id`'s background work: alone on the database, this replica.
    pub(super) fn work_lease_view(
        &self,
        id: &str,
        services: Vec<String>,
        leases: Option<&[(String, Lease)]>,
    ) -> WorkLeaseView {
        if !self.cluster.is_coordinated() {
            return WorkLeaseView {
                holder: Some(self.cluster.replica_id().to_string()),
                this_replica: true,
                expires_at: None,
                services,
            };
        }
        let lease = leases
            .unwrap_or_default()
            .iter()
            .find(|(module, _)| module == id)
            .map(|(_, lease)| lease);
        WorkLeaseView {
            holder: lease.map(|l| l.holder.clone()),
            this_replica: lease.is_some_and(|l| l.holder == self.cluster.replica_id()),
            expires_at: lease.map(|l| paperclip_core::db::to_rfc3339(&l.expires_at)),
            services,
        }
    }

    /// Applies what another replica saved — a module enabled or disabled, its configuration,
    /// its grants or companies — to this replica's modules (a module is enabled, disabled or
    /// reconfigured here the way the API does it). Returns what changed. Blocking.
    pub fn sync_saved_state(&self) -> Result<SyncReport, ModuleOpError> {
        let mut report = SyncReport::default();
        let (to_enable, to_disable) = {
            let _op = self.ops.lock();
            if self.state.lock().shut_down {
                return Err(ModuleOpError::ShutDown);
            }
            let saved = self
                .with_conn(load_saved_states)
                .map_err(ModuleOpError::Database)?;
            let policies = self
                .with_conn(load_policies)
                .map_err(ModuleOpError::Database)?;
            let mut to_enable = Vec::new();
            let mut to_disable = Vec::new();
            let mut reconfigure: Vec<(String, String, Option<Value>, Option<Value>)> = Vec::new();
            let mut start = Vec::new();
            {
                let mut state = self.state.lock();
                for policy_id in changed_policies(&state, &policies) {
                    report.policies.push(policy_id);
                }
                state.policies = policies;
                for id in &report.policies {
                    let grants = self.effective_grants(&state, id);
                    let scope = self.company_scope(&state, id);
                    if let Some(record) = state.records.iter().find(|r| r.id() == id) {
                        match &record.runtime {
                            Some(runtime) => {
                                runtime.policy.set_granted(grants);
                                runtime.policy.set_scope(scope);
                            }
                            None if record.enabled => start.push(record.bundle.folder.clone()),
                            None => {}
                        }
                    }
                }
                for record in &state.records {
                    let id = record.id();
                    let Some(now) = saved.get(id) else {
                        continue;
                    };
                    // What changed since this replica last read (or, for a module it never
                    // saved, what differs from what it runs): retrying a module that fails
                    // here on every sync would only repeat its failure.
                    let before = state
                        .saved
                        .get(id)
                        .map_or(record.enabled, |saved| saved.enabled);
                    if now.enabled && !before {
                        to_enable.push(id.to_string());
                    } else if !now.enabled && before {
                        to_disable.push(id.to_string());
                    } else if record.runtime.is_some() {
                        let before = state.saved.get(id).and_then(|s| s.config_override.clone());
                        if before != now.config_override {
                            reconfigure.push((
                                id.to_string(),
                                record.bundle.folder.clone(),
                                now.config_override.clone(),
                                before,
                            ));
                        }
                    }
                }
                state.saved = saved;
            }
            for (id, folder, value, before) in reconfigure {
                let (value, source) = match value {
                    Some(value) => (Some(value), ConfigSource::SavedOverride),
                    None => (
                        self.settings.config.get(&id).cloned(),
                        ConfigSource::ConfigFile,
                    ),
                };
                let previous = before.or_else(|| self.settings.config.get(&id).cloned());
                match self.apply_config(&folder, value.as_ref(), source, previous.as_ref()) {
                    Ok(()) => report.reconfigured.push(id),
                    Err(refusal) => {
                        tracing::warn!(module = %id, reason = %refusal.reason, "configuration saved by another replica refused here")
                    }
                }
            }
            if !start.is_empty() {
                self.bring_up(&start);
            }
            (to_enable, to_disable)
        };
        for id in to_disable {
            match self.disable(&id) {
                Ok(_) => report.disabled.push(id),
                Err(error) => {
                    tracing::warn!(module = %id, %error, "disabled by another replica, not here")
                }
            }
        }
        for id in to_enable {
            match self.enable(&id) {
                Ok(_) => report.enabled.push(id),
                Err(error) => {
                    tracing::warn!(module = %id, %error, "enabled by another replica, not here")
                }
            }
        }
        if !report.is_empty() {
            tracing::info!(?report, "module state saved by another replica applied");
        }
        Ok(report)
    }
}

/// The modules whose saved policy differs between this replica's copy and `fresh`.
fn changed_policies(
    state: &HostState,
    fresh: &std::collections::HashMap<String, crate::module_policy_store::SavedPolicy>,
) -> Vec<String> {
    let ids: HashSet<&String> = state.policies.keys().chain(fresh.keys()).collect();
    let mut changed: Vec<String> = ids
        .into_iter()
        .filter(|id| state.policies.get(*id) != fresh.get(*id))
        .cloned()
        .collect();
    changed.sort();
    changed
}
