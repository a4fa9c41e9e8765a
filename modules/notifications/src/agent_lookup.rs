//! Agents read from the core while one batch of events is handled, each at most once: the
//! payloads of `agent:heartbeat` and the budget hooks name only an `agentId`, and a message
//! usually wants the agent's name (and, from a host that does not put `companyId` in those
//! payloads, the company).

use module_sdk::{ModuleContext, Result};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Agents by id, as the core's `agents.get` answers them (`None`: deleted).
#[derive(Default)]
pub struct AgentLookup {
    known: HashMap<String, Option<Value>>,
}

impl AgentLookup {
    /// The agent `id` as JSON, asking the core the first time.
    pub fn get(&mut self, ctx: &ModuleContext, id: &str) -> Result<Option<&Value>> {
        if !self.known.contains_key(id) {
            let agent = ctx.core().call("agents.get", &json!({ "id": id }))?;
            let agent = (!agent.is_null()).then_some(agent);
            self.known.insert(id.to_owned(), agent);
        }
        Ok(self.known.get(id).and_then(Option::as_ref))
    }
}
