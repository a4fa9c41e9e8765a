//! Typed payloads of the 13 hooks (camelCase JSON). Each type names its hook through
//! [`HookPayload::HOOK`], so `Registrar::on` infers the hook from the handler's argument type.
//! Unknown fields are ignored, so the core may add fields without breaking modules.

use crate::entities::{Agent, Goal, Issue};
use crate::hook::Hook;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

/// A hook payload type, tied to its hook.
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
        /// The changed fields (camelCase name → new value).
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
    /// `agent:heartbeat`: `{ agentId, timestamp, meta }`.
    AgentHeartbeat => AgentHeartbeat {
        /// The agent that checked in.
        agent_id: String,
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
    /// `budget:spend_recorded`: `{ agentId, amount, total }` (cents).
    BudgetSpendRecorded => BudgetSpendRecorded {
        /// The agent that spent.
        agent_id: String,
        /// This spend, in cents.
        amount: i64,
        /// The agent's spend this month after it, in cents.
        total: i64,
    }
);
payload!(
    /// `budget:threshold_crossed`: `{ agentId, budget, spent, percent }`.
    BudgetThresholdCrossed => BudgetThresholdCrossed {
        /// The agent whose budget was crossed.
        agent_id: String,
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
