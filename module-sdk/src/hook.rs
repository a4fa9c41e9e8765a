//! The names of the core's hook points.

use std::{fmt, str::FromStr};

/// A hook point of the core: a named event emitted after a database commit.
/// A module may only subscribe to hooks its manifest declares.
///
/// ```
/// use module_sdk::Hook;
///
/// assert_eq!(Hook::ALL.len(), 13);
/// assert_eq!(Hook::AgentHeartbeat.as_str(), "agent:heartbeat");
/// assert_eq!("issue:assigned".parse::<Hook>(), Ok(Hook::IssueAssigned));
/// assert!("issue:exploded".parse::<Hook>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Hook {
    /// `server:started` — the server is listening.
    ServerStarted,
    /// `agent:created`
    AgentCreated,
    /// `agent:updated`
    AgentUpdated,
    /// `agent:deleted`
    AgentDeleted,
    /// `agent:heartbeat` — an agent checked in.
    AgentHeartbeat,
    /// `agent:status_changed`
    AgentStatusChanged,
    /// `issue:created`
    IssueCreated,
    /// `issue:status_changed`
    IssueStatusChanged,
    /// `issue:assigned`
    IssueAssigned,
    /// `goal:created`
    GoalCreated,
    /// `goal:completed`
    GoalCompleted,
    /// `budget:spend_recorded`
    BudgetSpendRecorded,
    /// `budget:threshold_crossed` — 80 %, 90 % or 100 % of a monthly budget.
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

    /// The wire name, e.g. `"agent:heartbeat"`.
    pub const fn as_str(self) -> &'static str {
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
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a string that names no hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHook(pub String);

impl fmt::Display for UnknownHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown hook `{}`", self.0)
    }
}

impl std::error::Error for UnknownHook {}

impl FromStr for Hook {
    type Err = UnknownHook;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hook::ALL
            .into_iter()
            .find(|h| h.as_str() == s)
            .ok_or_else(|| UnknownHook(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hook_round_trips_through_its_name() {
        for hook in Hook::ALL {
            assert_eq!(hook.as_str().parse::<Hook>(), Ok(hook));
        }
        assert_eq!(Hook::AgentHeartbeat.to_string(), "agent:heartbeat");
    }

    #[test]
    fn unknown_names_are_refused() {
        let err = "agent:exploded".parse::<Hook>().unwrap_err();
        assert_eq!(err.to_string(), "unknown hook `agent:exploded`");
    }
}
