//! Read-only snapshots of core entities, as hooks and `core_call` deliver them (camelCase JSON,
//! RFC 3339 timestamps, money in integer cents). Unknown fields are ignored, so the core may add
//! fields without breaking modules.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An agent of a company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// UUID.
    pub id: String,
    /// Owning company's UUID.
    pub company_id: String,
    /// Display name.
    pub name: String,
    /// Role (e.g. `"ceo"`, `"engineer"`).
    pub role: String,
    /// Job title.
    #[serde(default)]
    pub title: Option<String>,
    /// Status (e.g. `"idle"`, `"active"`, `"paused"`, `"error"`).
    pub status: String,
    /// The manager agent's UUID.
    #[serde(default)]
    pub reports_to: Option<String>,
    /// Monthly budget in cents.
    pub budget_monthly_cents: i64,
    /// Spend this month in cents.
    pub spent_monthly_cents: i64,
    /// Last heartbeat (RFC 3339).
    #[serde(default)]
    pub last_heartbeat_at: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Value,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last update time (RFC 3339).
    pub updated_at: String,
}

/// A goal (company, team or agent level).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Goal {
    /// UUID.
    pub id: String,
    /// Owning company's UUID.
    pub company_id: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Level: `"company"`, `"team"` or `"agent"`.
    pub level: String,
    /// Status.
    pub status: String,
    /// Parent goal's UUID.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Owning agent's UUID.
    #[serde(default)]
    pub owner_agent_id: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last update time (RFC 3339).
    pub updated_at: String,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// UUID.
    pub id: String,
    /// Owning company's UUID.
    pub company_id: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Status.
    pub status: String,
    /// The goal it serves.
    #[serde(default)]
    pub goal_id: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last update time (RFC 3339).
    pub updated_at: String,
}

/// An issue (a unit of work).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    /// UUID.
    pub id: String,
    /// Owning company's UUID.
    pub company_id: String,
    /// Human identifier (e.g. `"PC-12"`).
    pub identifier: String,
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Status.
    pub status: String,
    /// Priority.
    pub priority: String,
    /// Assigned agent's UUID.
    #[serde(default)]
    pub assignee_agent_id: Option<String>,
    /// Project UUID.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Goal UUID.
    #[serde(default)]
    pub goal_id: Option<String>,
    /// Parent issue UUID.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last update time (RFC 3339).
    pub updated_at: String,
}

/// One entry of the activity log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// UUID.
    pub id: String,
    /// Owning company's UUID.
    pub company_id: String,
    /// Who acted (e.g. `"user"`, `"agent:<id>"`, `"system"`).
    pub actor: String,
    /// What was done (e.g. `"issue.created"`).
    pub action: String,
    /// Kind of entity acted on (e.g. `"issue"`).
    pub entity_type: String,
    /// The entity's UUID.
    pub entity_id: String,
    /// Free-form details.
    #[serde(default)]
    pub details: Value,
    /// When (RFC 3339).
    pub created_at: String,
}
