//! Which company an agent belongs to. Heartbeat and budget payloads carry only the agent id,
//! but every row stores its company so company-wide queries need no join.
//!
//! Agents never move between companies, so the answer is cached for the module's lifetime:
//! `agent:created` fills the cache up front, and an agent seen first in a heartbeat (created
//! before the module was enabled) is looked up once through the core.

use module_sdk::{ModuleContext, Result};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Agent id → company id, filled lazily.
#[derive(Default)]
pub struct AgentDirectory {
    companies: Mutex<HashMap<String, String>>,
}

impl AgentDirectory {
    /// Remembers the company of an agent (from `agent:created`).
    pub fn remember(&self, agent_id: &str, company_id: &str) {
        self.lock()
            .insert(agent_id.to_owned(), company_id.to_owned());
    }

    /// The company of `agent_id`: from the cache, else from the core (then cached). `None` when
    /// the core no longer knows the agent — its hook arrived after it was deleted, and its rows
    /// would be deleted with it anyway, so there is nothing to record.
    pub fn company_of(&self, ctx: &ModuleContext, agent_id: &str) -> Result<Option<String>> {
        if let Some(company) = self.lock().get(agent_id) {
            return Ok(Some(company.clone()));
        }
        // Not holding the lock during the core call: other hooks may proceed meanwhile.
        let Some(agent) = ctx.core().agent(agent_id)? else {
            ctx.log().debug(format!(
                "agent {agent_id} was deleted before its event arrived"
            ));
            return Ok(None);
        };
        self.remember(agent_id, &agent.company_id);
        Ok(Some(agent.company_id))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        // The map stays consistent even if a holder panicked: every insert is a single call.
        self.companies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
