//! The module host's policy operations: the capabilities granted to a module (saved through the
//! admin API, else `modules.grants.<id>`), the companies it serves, and `awaiting_approval` for a
//! module that asks for more than it was granted. Changes apply to the running module at once.

use super::{HostState, ModuleHost, ModuleOpError, ModuleRecord};
use crate::manifest::Manifest;
use crate::module_policy::{ModulePolicy, PolicyCounts};
use crate::module_policy_store::{save_grants, save_scope};
use crate::module_status::{ModuleStatus, StatusReason};
use crate::module_view::ModuleView;
use module_sdk::{Capability, CompanyScope};
use paperclip_core::core::company;
use paperclip_core::isolation_level::IsolationLevel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

/// One capability a module asks for, as the Modules page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityView {
    /// Its name (the core method it unlocks).
    pub name: String,
    /// What it allows.
    pub description: String,
    /// Why the module needs it, in its own words.
    pub reason: Option<String>,
    /// Whether the operator granted it.
    pub granted: bool,
    /// The module runs without it (what it unlocks is off until granted).
    pub optional: bool,
}

/// A module's capabilities: asked for, granted, missing; and what its policy counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantsView {
    /// What the manifest asks for, each with the module's reason.
    pub requested: Vec<CapabilityView>,
    /// What is granted (possibly more than asked: granted ahead of an upgrade).
    pub granted: Vec<String>,
    /// Asked for (not optional) and not granted: the module waits for approval while any is
    /// missing.
    pub missing: Vec<String>,
    /// Where the grants come from: `api` (saved by the operator), `config`
    /// (`modules.grants.<id>`) or `none`.
    pub source: String,
    /// What the running module's policy allowed and refused since it started.
    pub counts: Option<PolicyCounts>,
}

/// Refuses to start a module that asks for capabilities not granted (optional ones aside).
pub(super) fn awaiting_approval(
    manifest: &Manifest,
    granted: &BTreeSet<Capability>,
) -> Result<(), StatusReason> {
    let missing: Vec<&str> = manifest
        .required_capabilities()
        .difference(granted)
        .map(|c| c.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(StatusReason::new(
        ModuleStatus::AwaitingApproval,
        format!(
            "asks for capabilities not granted: {}; grant them on the Modules page or with PUT /api/admin/modules/{}/grants",
            missing.join(", "),
            manifest.id
        ),
    ))
}

impl ModuleHost {
    /// The capabilities granted to `id`: saved through the API, else the config's.
    pub(super) fn effective_grants(&self, state: &HostState, id: &str) -> BTreeSet<Capability> {
        self.grants_and_source(state, id).0
    }

    fn grants_and_source(
        &self,
        state: &HostState,
        id: &str,
    ) -> (BTreeSet<Capability>, &'static str) {
        if let Some(granted) = state.policies.get(id).and_then(|p| p.granted.clone()) {
            return (granted, "api");
        }
        match self.settings.grants.get(id) {
            Some(granted) => (granted.clone(), "config"),
            None => (BTreeSet::new(), "none"),
        }
    }

    /// The companies `id` serves (every company unless the operator said otherwise).
    pub(super) fn company_scope(&self, state: &HostState, id: &str) -> CompanyScope {
        state
            .policies
            .get(id)
            .map_or(CompanyScope::All, |p| p.scope.clone())
    }

    /// A fresh policy for `manifest` running at `level`: what it asks for, what is granted to
    /// its id, the companies it serves.
    pub(super) fn new_policy(
        &self,
        state: &HostState,
        manifest: &Manifest,
        level: IsolationLevel,
    ) -> Arc<ModulePolicy> {
        ModulePolicy::new(
            &manifest.id,
            manifest.requested_capabilities(),
            self.effective_grants(state, &manifest.id),
            self.company_scope(state, &manifest.id),
            self.settings.max_causation_depth,
            level == IsolationLevel::Process,
        )
    }

    /// The grants part of a module's view.
    pub(super) fn grants_view(&self, state: &HostState, record: &ModuleRecord) -> GrantsView {
        let (granted, source) = self.grants_and_source(state, record.id());
        let requested: Vec<CapabilityView> = record
            .manifest()
            .map(|m| m.capabilities.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|c| CapabilityView {
                name: c.name.as_str().to_string(),
                description: c.name.description().to_string(),
                reason: c.reason.clone(),
                granted: granted.contains(&c.name),
                optional: c.optional,
            })
            .collect();
        GrantsView {
            missing: requested
                .iter()
                .filter(|c| !c.granted && !c.optional)
                .map(|c| c.name.clone())
                .collect(),
            requested,
            granted: granted.iter().map(|c| c.as_str().to_string()).collect(),
            source: source.to_string(),
            counts: record.runtime.as_ref().map(|rt| rt.policy.counts()),
        }
    }

    /// The capabilities of module `id`.
    pub fn grants(&self, id: &str) -> Result<GrantsView, ModuleOpError> {
        let state = self.state.lock();
        let record = state
            .owner(id)
            .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))?;
        Ok(self.grants_view(&state, record))
    }

    /// The capabilities `manifest` cannot run without that are not granted to its id (a store
    /// install of a new version refuses those while the old version runs).
    pub fn missing_grants(&self, manifest: &Manifest) -> Vec<Capability> {
        let state = self.state.lock();
        let granted = self.effective_grants(&state, &manifest.id);
        manifest
            .required_capabilities()
            .difference(&granted)
            .copied()
            .collect()
    }

    /// Saves the capabilities granted to `id` (replacing the config's from now on). They apply
    /// to the running module at once (a withdrawn one is refused from its next call); an
    /// enabled module that was waiting for them starts.
    pub fn set_grants(
        &self,
        id: &str,
        granted: BTreeSet<Capability>,
    ) -> Result<ModuleView, ModuleOpError> {
        let _op = self.ops.lock();
        let folder = self.folder_for_op(id)?;
        let saved = self
            .with_conn(|conn| save_grants(conn, id, &granted))
            .map_err(ModuleOpError::Database)?;
        let start = {
            let mut state = self.state.lock();
            state.policies.insert(id.to_string(), saved);
            let record = state
                .by_folder(&folder)
                .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))?;
            match &record.runtime {
                Some(runtime) => {
                    runtime.policy.set_granted(granted);
                    false
                }
                None => record.enabled,
            }
        };
        if start {
            self.bring_up(&[folder]);
        }
        tracing::info!(module = id, "module grants saved");
        self.get(id)
            .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))
    }

    /// Saves the companies `id` serves; every company named must exist. Applies to the running
    /// module at once: hooks of other companies stop reaching it, its core calls about them are
    /// refused.
    pub fn set_companies(
        &self,
        id: &str,
        scope: CompanyScope,
    ) -> Result<ModuleView, ModuleOpError> {
        let _op = self.ops.lock();
        let folder = self.folder_for_op(id)?;
        if let CompanyScope::Only { company_ids } = &scope {
            let unknown: Vec<&String> = self
                .core
                .read_blocking(|conn| {
                    let mut unknown = Vec::new();
                    for company_id in company_ids {
                        if company::ensure_exists(conn, company_id).is_err() {
                            unknown.push(company_id);
                        }
                    }
                    Ok(unknown)
                })
                .map_err(|e| ModuleOpError::Database(e.to_string()))?;
            if !unknown.is_empty() {
                return Err(ModuleOpError::UnknownCompanies(
                    unknown.into_iter().cloned().collect(),
                ));
            }
        }
        let saved = self
            .with_conn(|conn| save_scope(conn, id, &scope))
            .map_err(ModuleOpError::Database)?;
        {
            let mut state = self.state.lock();
            state.policies.insert(id.to_string(), saved);
            if let Some(runtime) = state.by_folder(&folder).and_then(|r| r.runtime.as_ref()) {
                runtime.policy.set_scope(scope);
            }
        }
        tracing::info!(module = id, "module companies saved");
        self.get(id)
            .ok_or_else(|| ModuleOpError::NotFound(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_capabilities_that_are_not_optional_keep_a_module_waiting() {
        let manifest: Manifest = serde_json::from_value(json!({
            "id": "pay", "name": "Pay", "version": "1.0.0", "library": "pay",
            "capabilities": [
                { "name": "webhooks", "optional": true },
                "issues.create"
            ]
        }))
        .unwrap();
        let waiting = awaiting_approval(&manifest, &BTreeSet::new()).unwrap_err();
        assert_eq!(waiting.status, ModuleStatus::AwaitingApproval);
        assert!(waiting.reason.contains("issues.create"), "{waiting}");
        assert!(!waiting.reason.contains("webhooks"), "{waiting}");
        assert!(awaiting_approval(&manifest, &[Capability::IssuesCreate].into()).is_ok());
    }
}
