//! The 13 hook points of the core, by their wire names.

use std::fmt;
use std::str::FromStr;

/// A named event the core emits after a successful write (see the spec's hook table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hook {
    /// `server:started {port}` — after the HTTP listener is bound and modules are up.
    ServerStarted,
    /// `agent:created {agent}`
    AgentCreated,
    /// `agent:updated {agent, changes}`
    AgentUpdated,
    /// `agent:deleted {agent}`
    AgentDeleted,
    /// `agent:heartbeat {agentId, timestamp, meta}`
    AgentHeartbeat,
    /// `agent:status_changed {agent, from, to}`
    AgentStatusChanged,
    /// `issue:created {issue}`
    IssueCreated,
    /// `issue:status_changed {issue, from, to}`
    IssueStatusChanged,
    /// `issue:assigned {issue, agent}`
    IssueAssigned,
    /// `goal:created {goal}`
    GoalCreated,
    /// `goal:completed {goal}`
    GoalCompleted,
    /// `budget:spend_recorded {agentId, amount, total}`
    BudgetSpendRecorded,
    /// `budget:threshold_crossed {agentId, budget, spent, percent}`
    BudgetThresholdCrossed,
}

impl Hook {
    /// Every hook, in the spec's order.
    pub const ALL: [Hook; 13] = [
        Hook::ServerStarted,
        Hook::AgentCreated,
        Hook::AgentUpdated,
        Hook::AgentDeleted,
        Hook::AgentHeartbeat,
        Hook::AgentStatusChanged,
        Hook::IssueCreated,
        Hook::IssueStatusChanged,
        Hook::IssueAssigned,
        Hook::GoalCreated,
        Hook::GoalCompleted,
        Hook::BudgetSpendRecorded,
        Hook::BudgetThresholdCrossed,
    ];

    /// The wire name, e.g. `agent:heartbeat`.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::ServerStarted => "server:started",
            Hook::AgentCreated => "agent:created",
            Hook::AgentUpdated => "agent:updated",
            Hook::AgentDeleted => "agent:deleted",
            Hook::AgentHeartbeat => "agent:heartbeat",
            Hook::AgentStatusChanged => "agent:status_changed",
            Hook::IssueCreated => "issue:created",
            Hook::IssueStatusChanged => "issue:status_changed",
            Hook::IssueAssigned => "issue:assigned",
            Hook::GoalCreated => "goal:created",
            Hook::GoalCompleted => "goal:completed",
            Hook::BudgetSpendRecorded => "budget:spend_recorded",
            Hook::BudgetThresholdCrossed => "budget:threshold_crossed",
        }
    }

    /// Index in [`Hook::ALL`], handy for per-hook tables.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a hook name that is not one of the 13.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hook \"{0}\"")]
pub struct UnknownHook(pub String);

impl FromStr for Hook {
    type Err = UnknownHook;

    fn from_str(name: &str) -> Result<Hook, UnknownHook> {
        Hook::ALL
            .into_iter()
            .find(|h| h.as_str() == name)
            .ok_or_else(|| UnknownHook(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for hook in Hook::ALL {
            assert_eq!(hook.as_str().parse::<Hook>(), Ok(hook));
        }
        assert!("agent:exploded".parse::<Hook>().is_err());
    }
}
