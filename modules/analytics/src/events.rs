//! Hook payloads turned into the facts the module counts, each with its `eventId` and its time.
//!
//! The time of a fact is when it happened in the core, not when the module saw it, so a batch
//! delivered late (after a restart, from the outbox) lands in the right buckets:
//!
//! | Hook | Fact | Time |
//! |------|------|------|
//! | `agent:heartbeat` | a heartbeat | the payload's `timestamp` |
//! | `budget:spend_recorded` | a spend of `amount` cents | the write's time, from the `eventId` (a UUIDv7) |
//! | `issue:status_changed` | an issue moved to `to` | the issue's `updatedAt` |
//! | `goal:completed` | a goal completed | the goal's `updatedAt` |

use crate::clock;
use module_sdk::{
    AgentHeartbeat, BudgetSpendRecorded, Error, GoalCompleted, Hook, HookPayload,
    IssueStatusChanged, ModuleContext, Result,
};
use serde_json::Value;

/// The hooks the module counts, all handled by one batch handler (one transaction a batch).
pub const COUNTED_HOOKS: [Hook; 4] = [
    Hook::AgentHeartbeat,
    Hook::BudgetSpendRecorded,
    Hook::IssueStatusChanged,
    Hook::GoalCompleted,
];

/// One event to count.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The payload's `eventId` (the same on every delivery of the event).
    pub id: String,
    /// What happened.
    pub fact: Fact,
}

/// What an event says, reduced to what the module counts. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// An agent checked in.
    Heartbeat {
        /// The agent.
        agent_id: String,
        /// Its company.
        company_id: String,
        /// When.
        at: i64,
    },
    /// An agent's spend was booked (from a heartbeat's cost or any other cost event).
    Spend {
        /// The agent.
        agent_id: String,
        /// Its company.
        company_id: String,
        /// The amount in cents.
        cents: i64,
        /// When.
        at: i64,
    },
    /// An issue changed status.
    IssueMoved {
        /// The issue.
        issue_id: String,
        /// Its company.
        company_id: String,
        /// Its assignee, if any.
        agent_id: Option<String>,
        /// The new status.
        to: String,
        /// When.
        at: i64,
    },
    /// A goal was completed.
    GoalCompleted {
        /// The goal.
        goal_id: String,
        /// Its company.
        company_id: String,
        /// Its owner agent, if any.
        agent_id: Option<String>,
        /// When.
        at: i64,
    },
}

/// The event of one hook payload; `None` when there is nothing to count (an agent deleted
/// before its event was delivered, when the payload does not name its company).
pub fn parse(ctx: &ModuleContext, hook: Hook, payload: Value, now: i64) -> Result<Option<Event>> {
    let id = event_id(&payload);
    let fact = match hook {
        Hook::AgentHeartbeat => {
            let beat: AgentHeartbeat = typed(payload)?;
            let Some(company_id) = company_of(ctx, &beat.agent_id, beat.company_id)? else {
                return Ok(None);
            };
            Fact::Heartbeat {
                at: clock::parse_rfc3339(&beat.timestamp)?,
                agent_id: beat.agent_id,
                company_id,
            }
        }
        Hook::BudgetSpendRecorded => {
            let spend: BudgetSpendRecorded = typed(payload)?;
            let Some(company_id) = company_of(ctx, &spend.agent_id, spend.company_id)? else {
                return Ok(None);
            };
            Fact::Spend {
                at: clock::of_uuid_v7(&id).unwrap_or(now),
                agent_id: spend.agent_id,
                company_id,
                cents: spend.amount,
            }
        }
        Hook::IssueStatusChanged => {
            let moved: IssueStatusChanged = typed(payload)?;
            Fact::IssueMoved {
                at: clock::parse_rfc3339(&moved.issue.updated_at)?,
                issue_id: moved.issue.id,
                company_id: moved.issue.company_id,
                agent_id: moved.issue.assignee_agent_id,
                to: moved.to,
            }
        }
        Hook::GoalCompleted => {
            let completed: GoalCompleted = typed(payload)?;
            Fact::GoalCompleted {
                at: clock::parse_rfc3339(&completed.goal.updated_at)?,
                goal_id: completed.goal.id,
                company_id: completed.goal.company_id,
                agent_id: completed.goal.owner_agent_id,
            }
        }
        other => {
            return Err(Error::bad_request(format!(
                "`{other}` is not a hook the analytics module counts"
            )))
        }
    };
    Ok(Some(Event { id, fact }))
}

/// The payload's `eventId`; a payload without one (a core older than the outbox) gets a fresh
/// id, so it is counted, once per delivery.
fn event_id(payload: &Value) -> String {
    match payload.get("eventId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

/// The typed payload, or a 400-kind error naming the hook.
fn typed<P: HookPayload>(payload: Value) -> Result<P> {
    serde_json::from_value(payload)
        .map_err(|e| Error::bad_request(format!("invalid `{}` payload: {e}", P::HOOK)))
}

/// The company of `agent_id`: the payload's `companyId`, else (an older core) the agent's, or
/// `None` when the agent no longer exists.
fn company_of(ctx: &ModuleContext, agent_id: &str, from_payload: String) -> Result<Option<String>> {
    if !from_payload.is_empty() {
        return Ok(Some(from_payload));
    }
    Ok(ctx.core().agent(agent_id)?.map(|agent| agent.company_id))
}
