//! Core writes made by modules: `issues.create`, `issues.update`, `agents.pause`,
//! `agents.resume`. Each runs the same core service as the REST API (same validation and
//! errors, one transaction, hooks emitted after the commit), logged with the actor
//! `module:<id>`, after three checks of the module's [`ModulePolicy`]: the capability is granted,
//! the company is served, and the causation chain is not too deep. The write's events carry
//! its cause (`causedBy`).

use super::{Call, CoreCallError};
use crate::module_policy::{ModulePolicy, PolicyRefusal};
use module_sdk::Capability;
use paperclip_core::core::agent::{self, AgentPatch};
use paperclip_core::core::issue::{self, IssuePatch, NewIssue};
use paperclip_core::core::{Core, CoreError};
use paperclip_core::db::DbConnection;
use paperclip_core::hooks::PendingHooks;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The activity actor of a module's writes.
pub fn module_actor(module_id: &str) -> String {
    format!("module:{module_id}")
}

impl Call<'_> {
    /// Runs the write `capability` (the method of the same name) for the module of `policy`.
    pub(super) fn write(
        mut self,
        core: &Core,
        policy: &ModulePolicy,
        capability: Capability,
    ) -> Result<Value, CoreCallError> {
        policy
            .check_capability(capability)
            .map_err(|e| self.refused(e))?;
        let actor = module_actor(policy.module_id());
        let value = match capability {
            Capability::IssuesCreate => {
                let company_id = self.required_string("companyId")?;
                let input: NewIssue = self.rest_as()?;
                self.check_company(policy, &company_id)?;
                let cause = policy.cause_of_write().map_err(|e| self.refused(e))?;
                let issue = self.run(core, cause, |tx, hooks| {
                    issue::create(tx, hooks, &actor, &company_id, input)
                })?;
                self.to_json(&issue)?
            }
            Capability::IssuesUpdate => {
                let id = self.required_string("id")?;
                let patch: IssuePatch = self.rest_as()?;
                let company = self.company_of(core, "issue", &id, |c, id| {
                    issue::get(c, id).map(|i| i.company_id)
                })?;
                self.check_company(policy, &company)?;
                let cause = policy.cause_of_write().map_err(|e| self.refused(e))?;
                let issue = self.run(core, cause, |tx, hooks| {
                    issue::update(tx, hooks, &actor, &id, patch)
                })?;
                self.to_json(&issue)?
            }
            // Not a core method: `core_calls` never gets here with it.
            Capability::Webhooks => {
                return Err(CoreCallError::UnknownMethod {
                    method: self.method.to_string(),
                })
            }
            Capability::AgentsPause | Capability::AgentsResume => {
                let id = self.required_string("id")?;
                self.no_more_arguments(&["id"])?;
                let company = self.company_of(core, "agent", &id, |c, id| {
                    agent::get(c, id).map(|a| a.company_id)
                })?;
                self.check_company(policy, &company)?;
                let cause = policy.cause_of_write().map_err(|e| self.refused(e))?;
                let pause = capability == Capability::AgentsPause;
                let agent = self.run(core, cause, |tx, hooks| {
                    let current = agent::get(tx, &id)?;
                    let status = match (pause, current.status.as_str()) {
                        (true, "paused") | (false, "active" | "idle" | "error" | "terminated") => {
                            return Ok(current);
                        }
                        (true, _) => "paused",
                        (false, _) => "active",
                    };
                    let patch = AgentPatch {
                        status: Some(status.to_string()),
                        ..AgentPatch::default()
                    };
                    agent::update(tx, hooks, &actor, &id, patch)
                })?;
                self.to_json(&agent)?
            }
        };
        policy.count_write();
        Ok(value)
    }

    /// Runs `work` in one core write transaction whose events are caused by `cause`.
    fn run<T>(
        &self,
        core: &Core,
        cause: Value,
        work: impl FnOnce(&mut DbConnection, &mut PendingHooks) -> Result<T, CoreError>,
    ) -> Result<T, CoreCallError> {
        core.write_blocking(|tx, hooks| {
            let value = work(tx, hooks)?;
            hooks.set_cause(cause);
            Ok(value)
        })
        .map_err(|e| self.core_error(e))
    }

    /// The company of the `entity` with `id` (not found is the core's error).
    fn company_of(
        &self,
        core: &Core,
        entity: &str,
        id: &str,
        read: fn(&mut DbConnection, &str) -> Result<String, CoreError>,
    ) -> Result<String, CoreCallError> {
        core.read_blocking(|conn| read(conn, id))
            .map_err(|e| match e {
                CoreError::NotFound { .. } => self.bad(format!("no {entity} has the id `{id}`")),
                e => self.core_error(e),
            })
    }

    /// A required string argument, taken out.
    fn required_string(&mut self, name: &str) -> Result<String, CoreCallError> {
        self.take_string(name)?
            .ok_or_else(|| self.bad(format!("the argument `{name}` (a string) is required")))
    }

    /// The remaining arguments as `T` (the REST API's body type); an unknown or bad one is named.
    fn rest_as<T: DeserializeOwned>(&mut self) -> Result<T, CoreCallError> {
        let rest = Value::Object(std::mem::take(&mut self.args));
        serde_path_to_error::deserialize(rest).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            if path == "." {
                self.bad(message)
            } else {
                self.bad(format!("the argument `{path}`: {message}"))
            }
        })
    }

    fn check_company(&self, policy: &ModulePolicy, company_id: &str) -> Result<(), CoreCallError> {
        policy
            .check_company(company_id)
            .map_err(|e| self.refused(e))
    }

    /// A refusal by the module's policy.
    pub(super) fn refused(&self, refusal: PolicyRefusal) -> CoreCallError {
        CoreCallError::Refused {
            method: self.method.to_string(),
            refusal,
        }
    }
}
