//! Typed payloads of the 13 hooks (camelCase JSON). Each type names its hook through
//! [`HookPayload::HOOK`], so `Registrar::on` infers the hook from the handler's argument type.
//! Unknown fields are ignored, so the core may add fields without breaking modules.

use crate::entities::{Agent, Goal, Issue};
use crate::hook::Hook;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

/// A hook payload type, tied to its hook.
///
/// ```
/// use module_sdk::{BudgetSpendRecorded, Hook, HookPayload};
///
/// assert_eq!(BudgetSpendRecorded::HOOK, Hook::BudgetSpendRecorded);
/// let spend: BudgetSpendRecorded =
///     serde_json::from_str(r#"{"agentId":"a1","amount":150,"total":8150,"later":"ignored"}"#).unwrap();
/// assert_eq!((spend.agent_id.as_str(), spend.amount, spend.total), ("a1", 150, 8150));
/// ```
pub trait HookPayload: Serialize + DeserializeOwned + Send + 'static {
    /// The hook whose payload this is.
    const HOOK: Hook;
}

macro_rules! payload {
    ($(#[$doc:meta])* $name:ident => $hook:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl HookPayload for $name {
            const HOOK: Hook = Hook::$hook;
        }
    };
}

payload!(
    /// `server:started`: `{ port }`.
    ServerStarted => ServerStarted {
        /// The port the server listens on.
        port: u16,
    }
);
payload!(
    /// `agent:created`: `{ agent }`.
    AgentCreated => AgentCreated {
        /// The new agent.
        agent: Agent,
    }
);
payload!(
    /// `agent:updated`: `{ agent, changes }`.
    AgentUpdated => AgentUpdated {
        /// The agent after the update.
        agent: Agent,
        /// The changed fields: camelCase name → `{"from": old, "to": new}`.
        changes: Value,
    }
);
payload!(
    /// `agent:deleted`: `{ agent }`.
    AgentDeleted => AgentDeleted {
        /// The agent as it was before removal.
        agent: Agent,
    }
);
payload!(
    /// `agent:heartbeat`: `{ agentId, companyId, timestamp, meta }`.
    AgentHeartbeat => AgentHeartbeat {
        /// The agent that checked in.
        agent_id: String,
        /// The agent's company (empty from a core older than this SDK).
        #[serde(default)]
        company_id: String,
        /// When (RFC 3339).
        timestamp: String,
        /// Usage details reported with the heartbeat (empty when absent).
        #[serde(default)]
        meta: HeartbeatMeta,
    }
);
payload!(
    /// `agent:status_changed`: `{ agent, from, to }`.
    AgentStatusChanged => AgentStatusChanged {
        /// The agent after the change.
        agent: Agent,
        /// Previous status.
        from: String,
        /// New status.
        to: String,
    }
);
payload!(
    /// `issue:created`: `{ issue }`.
    IssueCreated => IssueCreated {
        /// The new issue.
        issue: Issue,
    }
);
payload!(
    /// `issue:status_changed`: `{ issue, from, to }`.
    IssueStatusChanged => IssueStatusChanged {
        /// The issue after the change.
        issue: Issue,
        /// Previous status.
        from: String,
        /// New status.
        to: String,
    }
);
payload!(
    /// `issue:assigned`: `{ issue, agent }`.
    IssueAssigned => IssueAssigned {
        /// The issue after the assignment.
        issue: Issue,
        /// The assignee.
        agent: Agent,
    }
);
payload!(
    /// `goal:created`: `{ goal }`.
    GoalCreated => GoalCreated {
        /// The new goal.
        goal: Goal,
    }
);
payload!(
    /// `goal:completed`: `{ goal }`.
    GoalCompleted => GoalCompleted {
        /// The completed goal.
        goal: Goal,
    }
);
payload!(
    /// `budget:spend_recorded`: `{ agentId, companyId, amount, total }` (cents).
    BudgetSpendRecorded => BudgetSpendRecorded {
        /// The agent that spent.
        agent_id: String,
        /// The agent's company (empty from a core older than this SDK).
        #[serde(default)]
        company_id: String,
        /// This spend, in cents.
        amount: i64,
        /// The agent's spend this month after it, in cents.
        total: i64,
    }
);
payload!(
    /// `budget:threshold_crossed`: `{ agentId, companyId, budget, spent, percent }`.
    BudgetThresholdCrossed => BudgetThresholdCrossed {
        /// The agent whose budget was crossed.
        agent_id: String,
        /// The agent's company (empty from a core older than this SDK).
        #[serde(default)]
        company_id: String,
        /// Monthly budget, in cents.
        budget: i64,
        /// Spend this month, in cents.
        spent: i64,
        /// The threshold crossed: 80, 90 or 100.
        percent: f64,
    }
);

/// What an agent reports with a heartbeat. All fields are optional; anything else the agent sends
/// is kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatMeta {
    /// Tokens used since the last heartbeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_used: Option<u64>,
    /// Cost since the last heartbeat, in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_cents: Option<i64>,
    /// Model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Latency in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn agent() -> Value {
        json!({
            "id": "a1", "companyId": "c1", "name": "Ada", "role": "engineer", "title": null,
            "status": "active", "reportsTo": "a0", "budgetMonthlyCents": 10000,
            "spentMonthlyCents": 250, "lastHeartbeatAt": "2026-01-01T00:00:00Z",
            "metadata": {"k": 1}, "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-02T00:00:00Z", "addedLater": "tolerated"
        })
    }

    fn issue() -> Value {
        json!({
            "id": "i1", "companyId": "c1", "identifier": "PC-1", "title": "Fix", "status": "todo",
            "priority": "high", "assigneeAgentId": "a1", "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z"
        })
    }

    fn goal() -> Value {
        json!({
            "id": "g1", "companyId": "c1", "title": "Ship", "level": "company",
            "status": "completed", "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z"
        })
    }

    /// Parses `json` as `P`, checks its hook, and that re-serializing keeps every field it knows.
    fn round_trip<P: HookPayload + std::fmt::Debug + PartialEq>(hook: &str, json: Value) -> P {
        assert_eq!(P::HOOK.as_str(), hook);
        let parsed: P = serde_json::from_value(json).unwrap();
        let again: P = serde_json::from_value(serde_json::to_value(&parsed).unwrap()).unwrap();
        assert_eq!(parsed, again);
        parsed
    }

    #[test]
    fn all_thirteen_payloads_parse_from_camel_case() {
        assert_eq!(
            round_trip::<ServerStarted>("server:started", json!({"port": 3100})).port,
            3100
        );
        let created = round_trip::<AgentCreated>("agent:created", json!({"agent": agent()}));
        assert_eq!(created.agent.company_id, "c1");
        assert_eq!(created.agent.reports_to.as_deref(), Some("a0"));
        assert_eq!(created.agent.title, None);
        let updated = round_trip::<AgentUpdated>(
            "agent:updated",
            json!({"agent": agent(), "changes": {"title": {"from": null, "to": "CTO"}}}),
        );
        assert_eq!(updated.changes["title"]["to"], "CTO");
        round_trip::<AgentDeleted>("agent:deleted", json!({"agent": agent()}));
        let beat = round_trip::<AgentHeartbeat>(
            "agent:heartbeat",
            json!({"agentId": "a1", "timestamp": "2026-01-01T00:00:00Z",
                   "meta": {"tokensUsed": 1200, "costCents": 3, "model": "m", "latencyMs": 80, "gpu": "h100"}}),
        );
        assert_eq!(beat.meta.tokens_used, Some(1200));
        assert_eq!(beat.meta.cost_cents, Some(3));
        assert_eq!(beat.meta.latency_ms, Some(80));
        assert_eq!(beat.meta.extra["gpu"], "h100");
        let status = round_trip::<AgentStatusChanged>(
            "agent:status_changed",
            json!({"agent": agent(), "from": "idle", "to": "active"}),
        );
        assert_eq!(
            (status.from.as_str(), status.to.as_str()),
            ("idle", "active")
        );
        let issue_created = round_trip::<IssueCreated>("issue:created", json!({"issue": issue()}));
        assert_eq!(issue_created.issue.assignee_agent_id.as_deref(), Some("a1"));
        round_trip::<IssueStatusChanged>(
            "issue:status_changed",
            json!({"issue": issue(), "from": "todo", "to": "done"}),
        );
        round_trip::<IssueAssigned>(
            "issue:assigned",
            json!({"issue": issue(), "agent": agent()}),
        );
        round_trip::<GoalCreated>("goal:created", json!({"goal": goal()}));
        assert_eq!(
            round_trip::<GoalCompleted>("goal:completed", json!({"goal": goal()}))
                .goal
                .level,
            "company"
        );
        let spend = round_trip::<BudgetSpendRecorded>(
            "budget:spend_recorded",
            json!({"agentId": "a1", "amount": 150, "total": 8150}),
        );
        assert_eq!((spend.amount, spend.total), (150, 8150));
        let crossed = round_trip::<BudgetThresholdCrossed>(
            "budget:threshold_crossed",
            json!({"agentId": "a1", "budget": 10000, "spent": 9000, "percent": 90}),
        );
        assert_eq!(crossed.percent, 90.0);
    }

    #[test]
    fn heartbeat_meta_may_be_absent_and_serializes_camel_case() {
        let beat: AgentHeartbeat =
            serde_json::from_value(json!({"agentId": "a1", "timestamp": "t"})).unwrap();
        assert_eq!(beat.meta, HeartbeatMeta::default());
        let meta = HeartbeatMeta {
            tokens_used: Some(1),
            ..HeartbeatMeta::default()
        };
        assert_eq!(
            serde_json::to_value(meta).unwrap(),
            json!({"tokensUsed": 1})
        );
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let err =
            serde_json::from_value::<BudgetSpendRecorded>(json!({"agentId": "a1", "amount": 1}))
                .unwrap_err();
        assert!(err.to_string().contains("total"), "{err}");
    }
}
