//! A hook event as the module reads it: its hook, its `eventId`, the company it is about and the
//! context that filters and templates look into — the payload, plus `hook`, `companyId` and, for
//! payloads that name only an `agentId`, the `agent` itself.
//!
//! The company comes from the payload: a top-level `companyId` (hosts with per-company
//! enablement add it to `agent:heartbeat` and the budget hooks), else `issue.companyId`,
//! `agent.companyId` or `goal.companyId`, else the company of the agent `agentId` (read from the
//! core). `server:started` is about no company: it goes to every company's channels that listen
//! to it.

use crate::agent_lookup::AgentLookup;
use module_sdk::{Hook, ModuleContext, Result};
use serde_json::Value;

/// Which companies an event concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventCompany {
    /// Every company (`server:started`).
    All,
    /// One company.
    One(String),
    /// None can be found (its agent was deleted before the event arrived): nobody is notified.
    Unknown,
}

/// One event, ready to be matched against channels.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The hook.
    pub hook: Hook,
    /// The payload's `eventId` (the same on every delivery of the event).
    pub event_id: String,
    /// The company it is about.
    pub company: EventCompany,
    /// What filters and templates see.
    pub context: Value,
    /// The payload as the host delivered it (sent as is by generic webhooks).
    pub payload: Value,
}

impl Event {
    /// Reads `payload` of `hook`. With `agents`, asks the core about the agent when the payload
    /// names only an `agentId` (for its name in messages, and its company when the payload has
    /// none); without, the event names no agent.
    pub fn read(
        ctx: &ModuleContext,
        agents: Option<&mut AgentLookup>,
        hook: Hook,
        payload: Value,
    ) -> Result<Event> {
        let event_id = match payload.get("eventId").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => uuid::Uuid::now_v7().to_string(),
        };
        let mut context = payload.clone();
        if !context.is_object() {
            context = serde_json::json!({ "value": context });
        }
        let agent_id = payload
            .get("agentId")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let (Some(agent_id), None, Some(agents)) = (&agent_id, payload.get("agent"), agents) {
            if let Some(agent) = agents.get(ctx, agent_id)? {
                context["agent"] = agent.clone();
            }
        }
        let company = if hook == Hook::ServerStarted {
            EventCompany::All
        } else {
            match company_in(&context) {
                Some(company_id) => EventCompany::One(company_id),
                None => EventCompany::Unknown,
            }
        };
        context["hook"] = Value::from(hook.as_str());
        context["eventId"] = Value::from(event_id.clone());
        if let EventCompany::One(company_id) = &company {
            context["companyId"] = Value::from(company_id.clone());
        }
        Ok(Event {
            hook,
            event_id,
            company,
            context,
            payload,
        })
    }
}

/// The company named by a payload (or context): `companyId`, or that of its issue, agent or
/// goal.
pub fn company_in(context: &Value) -> Option<String> {
    let candidates = [
        context.get("companyId"),
        context.pointer("/issue/companyId"),
        context.pointer("/agent/companyId"),
        context.pointer("/goal/companyId"),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;
    use serde_json::json;

    fn read(hook: Hook, payload: Value, host: &TestHost) -> Event {
        let ctx = host.context(json!({}));
        Event::read(&ctx, Some(&mut AgentLookup::default()), hook, payload).unwrap()
    }

    #[test]
    fn the_company_comes_from_the_payload() {
        let host = TestHost::new("notifications");
        let event = read(
            Hook::IssueStatusChanged,
            json!({"eventId": "e1", "issue": {"companyId": "c1", "identifier": "PC-1"}, "to": "done"}),
            &host,
        );
        assert_eq!(event.company, EventCompany::One("c1".into()));
        assert_eq!(event.event_id, "e1");
        assert_eq!(event.context["hook"], "issue:status_changed");
        assert_eq!(event.context["companyId"], "c1");
        assert_eq!(event.payload.get("hook"), None);
        let goal = read(
            Hook::GoalCreated,
            json!({"goal": {"companyId": "c2"}}),
            &host,
        );
        assert_eq!(goal.company, EventCompany::One("c2".into()));
        assert!(!goal.event_id.is_empty());
        let started = read(Hook::ServerStarted, json!({"port": 3100}), &host);
        assert_eq!(started.company, EventCompany::All);
        assert!(host.calls().is_empty(), "no core call: {:?}", host.calls());
    }

    #[test]
    fn an_agent_id_brings_the_agent_and_its_company() {
        let host = TestHost::new("notifications");
        host.answer_core(json!({"id": "a1", "companyId": "c9", "name": "Ada"}));
        let event = read(
            Hook::BudgetThresholdCrossed,
            json!({"agentId": "a1", "percent": 90}),
            &host,
        );
        assert_eq!(event.company, EventCompany::One("c9".into()));
        assert_eq!(event.context["agent"]["name"], "Ada");
        assert_eq!(host.calls(), [r#"core agents.get {"id":"a1"}"#]);

        // A top-level companyId (newer hosts) wins; the agent is still read for its name.
        let host = TestHost::new("notifications");
        host.answer_core(json!(null));
        let event = read(
            Hook::AgentHeartbeat,
            json!({"agentId": "gone", "companyId": "c1"}),
            &host,
        );
        assert_eq!(event.company, EventCompany::One("c1".into()));
        let host = TestHost::new("notifications");
        host.answer_core(json!(null));
        let orphan = read(Hook::BudgetSpendRecorded, json!({"agentId": "gone"}), &host);
        assert_eq!(orphan.company, EventCompany::Unknown);
    }
}
