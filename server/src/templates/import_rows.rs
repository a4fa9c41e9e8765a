//! Borrowed rows for the multi-row `INSERT`s of a template import. `None` is written as SQL
//! `NULL` (not `DEFAULT`): SQLite has no `DEFAULT` keyword inside a multi-row `VALUES`, and
//! every column is set explicitly anyway.

use crate::core::agent::AgentRow;
use crate::core::goal::GoalRow;
use crate::core::issue::IssueRow;
use crate::core::project::ProjectRow;
use crate::db::schema::{activity, agents, goals, issues, projects};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Columns written per agent row (sizes the statement chunks).
pub const AGENT_COLUMNS: usize = 15;
/// Columns written per goal row.
pub const GOAL_COLUMNS: usize = 10;
/// Columns written per project row.
pub const PROJECT_COLUMNS: usize = 8;
/// Columns written per issue row.
pub const ISSUE_COLUMNS: usize = 14;
/// Columns written per activity row.
pub const ACTIVITY_COLUMNS: usize = 8;

/// An agent row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = agents, treat_none_as_default_value = false)]
pub struct AgentInsert<'a> {
    id: &'a str,
    company_id: &'a str,
    name: &'a str,
    role: &'a str,
    title: Option<&'a str>,
    status: &'a str,
    reports_to: Option<&'a str>,
    budget_monthly_cents: i64,
    spent_monthly_cents: i64,
    spend_month: &'a str,
    budget_alerts_sent: i32,
    metadata: &'a str,
    last_heartbeat_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl<'a> From<&'a AgentRow> for AgentInsert<'a> {
    fn from(row: &'a AgentRow) -> AgentInsert<'a> {
        AgentInsert {
            id: &row.id,
            company_id: &row.company_id,
            name: &row.name,
            role: &row.role,
            title: row.title.as_deref(),
            status: &row.status,
            reports_to: row.reports_to.as_deref(),
            budget_monthly_cents: row.budget_monthly_cents,
            spent_monthly_cents: row.spent_monthly_cents,
            spend_month: &row.spend_month,
            budget_alerts_sent: row.budget_alerts_sent,
            metadata: &row.metadata,
            last_heartbeat_at: row.last_heartbeat_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A goal row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = goals, treat_none_as_default_value = false)]
pub struct GoalInsert<'a> {
    id: &'a str,
    company_id: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    level: &'a str,
    status: &'a str,
    parent_id: Option<&'a str>,
    owner_agent_id: Option<&'a str>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl<'a> From<&'a GoalRow> for GoalInsert<'a> {
    fn from(row: &'a GoalRow) -> GoalInsert<'a> {
        GoalInsert {
            id: &row.id,
            company_id: &row.company_id,
            title: &row.title,
            description: row.description.as_deref(),
            level: &row.level,
            status: &row.status,
            parent_id: row.parent_id.as_deref(),
            owner_agent_id: row.owner_agent_id.as_deref(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A project row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = projects, treat_none_as_default_value = false)]
pub struct ProjectInsert<'a> {
    id: &'a str,
    company_id: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    status: &'a str,
    goal_id: Option<&'a str>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl<'a> From<&'a ProjectRow> for ProjectInsert<'a> {
    fn from(row: &'a ProjectRow) -> ProjectInsert<'a> {
        ProjectInsert {
            id: &row.id,
            company_id: &row.company_id,
            name: &row.name,
            description: row.description.as_deref(),
            status: &row.status,
            goal_id: row.goal_id.as_deref(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// An issue row to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = issues, treat_none_as_default_value = false)]
pub struct IssueInsert<'a> {
    id: &'a str,
    company_id: &'a str,
    number: i64,
    identifier: &'a str,
    title: &'a str,
    description: Option<&'a str>,
    status: &'a str,
    priority: &'a str,
    assignee_agent_id: Option<&'a str>,
    project_id: Option<&'a str>,
    goal_id: Option<&'a str>,
    parent_id: Option<&'a str>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl<'a> From<&'a IssueRow> for IssueInsert<'a> {
    fn from(row: &'a IssueRow) -> IssueInsert<'a> {
        IssueInsert {
            id: &row.id,
            company_id: &row.company_id,
            number: row.number,
            identifier: &row.identifier,
            title: &row.title,
            description: row.description.as_deref(),
            status: &row.status,
            priority: &row.priority,
            assignee_agent_id: row.assignee_agent_id.as_deref(),
            project_id: row.project_id.as_deref(),
            goal_id: row.goal_id.as_deref(),
            parent_id: row.parent_id.as_deref(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// An activity row to insert (owned: built while the entities are prepared).
#[derive(Debug, Insertable)]
#[diesel(table_name = activity, treat_none_as_default_value = false)]
pub struct ActivityInsert {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Who.
    pub actor: String,
    /// What, e.g. `agent.created`.
    pub action: String,
    /// Entity kind.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// JSON details.
    pub details: String,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Runs one multi-row `INSERT` of `$rows` (a slice of insert rows) into `$table` on the
/// concrete backend: diesel's `MultiConnection` cannot express multi-row inserts because
/// SQLite lacks the `DEFAULT` keyword, while each backend on its own supports them for rows
/// that set every column.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::db::DbConnection::Pg(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}
pub(crate) use insert_rows;
