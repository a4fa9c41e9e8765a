//! Agents: the workers of a company, arranged in an org chart by `reportsTo` (a tree: cycles are
//! refused), each with a monthly budget whose spend is tracked by [`super::budget`].

use super::budget::{current_month, MAX_CENTS};
use super::change_set::ChangeSet;
use super::hierarchy::{self, TreeNode};
use super::paging::{Page, PageRequest};
use super::validate::{new_id, non_negative_cents, one_of, optional_text, required_text};
use super::{activity, company, reference, CoreError};
use crate::db::schema::agents;
use crate::db::{now, to_rfc3339, DbConnection};
use crate::hooks::{Hook, PendingHooks};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A stored agent row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = agents)]
pub struct AgentRow {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Display name.
    pub name: String,
    /// Role, e.g. `ceo`, `engineer`.
    pub role: String,
    /// Job title.
    pub title: Option<String>,
    /// One of [`STATUSES`].
    pub status: String,
    /// The manager (an agent of the same company).
    pub reports_to: Option<String>,
    /// Monthly budget in cents (0 = no budget, no threshold alerts).
    pub budget_monthly_cents: i64,
    /// Spend in `spend_month`, in cents.
    pub spent_monthly_cents: i64,
    /// The month (`YYYY-MM`, UTC) `spent_monthly_cents` and `budget_alerts_sent` belong to.
    pub spend_month: String,
    /// Thresholds already announced in `spend_month`: bit 1 = 80 %, 2 = 90 %, 4 = 100 %.
    pub budget_alerts_sent: i32,
    /// JSON object of free-form metadata.
    pub metadata: String,
    /// Last heartbeat.
    pub last_heartbeat_at: Option<NaiveDateTime>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

impl AgentRow {
    /// The spend of the current month: the stored spend belongs to an earlier month until the
    /// next spend rolls it over, and then it counts as 0.
    pub fn spent_this_month(&self) -> i64 {
        if self.spend_month == current_month() {
            self.spent_monthly_cents
        } else {
            0
        }
    }
}

/// The JSON view of an agent (also the `agent` of hook payloads).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Job title.
    pub title: Option<String>,
    /// Status.
    pub status: String,
    /// Manager's id.
    pub reports_to: Option<String>,
    /// Monthly budget in cents.
    pub budget_monthly_cents: i64,
    /// Spend this month in cents (read-only).
    pub spent_monthly_cents: i64,
    /// Last heartbeat (RFC 3339).
    pub last_heartbeat_at: Option<String>,
    /// Free-form metadata (a JSON object).
    pub metadata: Value,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<AgentRow> for Agent {
    fn from(row: AgentRow) -> Agent {
        Agent {
            spent_monthly_cents: row.spent_this_month(),
            metadata: parse_metadata(&row.metadata),
            last_heartbeat_at: row.last_heartbeat_at.as_ref().map(to_rfc3339),
            created_at: to_rfc3339(&row.created_at),
            updated_at: to_rfc3339(&row.updated_at),
            id: row.id,
            company_id: row.company_id,
            name: row.name,
            role: row.role,
            title: row.title,
            status: row.status,
            reports_to: row.reports_to,
            budget_monthly_cents: row.budget_monthly_cents,
        }
    }
}

fn parse_metadata(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Value::Object(map),
        _ => Value::Object(Map::new()),
    }
}

/// Allowed agent statuses.
pub const STATUSES: &[&str] = &["idle", "active", "paused", "error", "terminated"];
/// Role of an agent created without one.
pub const DEFAULT_ROLE: &str = "general";

/// Body of `POST /api/companies/{companyId}/agents`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAgent {
    /// Display name (required).
    pub name: String,
    /// Role (default `general`).
    pub role: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Status (default `idle`).
    pub status: Option<String>,
    /// Manager: an agent of the same company.
    pub reports_to: Option<String>,
    /// Monthly budget in cents (default 0).
    pub budget_monthly_cents: Option<i64>,
    /// Free-form metadata object.
    pub metadata: Option<Map<String, Value>>,
}

/// Body of `PATCH /api/agents/{id}`; absent fields are unchanged, `null` clears a nullable one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentPatch {
    /// New name.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub name: Option<String>,
    /// New role.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub role: Option<String>,
    /// New title.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub title: Option<Option<String>>,
    /// New status (emits `agent:status_changed`).
    #[serde(default, with = "super::validate_patch::non_null")]
    pub status: Option<String>,
    /// New manager (`null`: reports to nobody).
    #[serde(default, with = "super::validate_patch::double_option")]
    pub reports_to: Option<Option<String>>,
    /// New monthly budget in cents.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub budget_monthly_cents: Option<i64>,
    /// New metadata object (replaces the old one).
    #[serde(default, with = "super::validate_patch::non_null")]
    pub metadata: Option<Map<String, Value>>,
}

/// Filters of the agent list (`?status=&reportsTo=`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentFilter {
    /// Only agents with this status.
    pub status: Option<String>,
    /// Only direct reports of this agent.
    pub reports_to: Option<String>,
}

fn check_budget(value: i64) -> Result<i64, CoreError> {
    let value = non_negative_cents("budgetMonthlyCents", value)?;
    if value > MAX_CENTS {
        return Err(CoreError::invalid(
            "budgetMonthlyCents",
            format!("budgetMonthlyCents must be at most {MAX_CENTS}"),
        ));
    }
    Ok(value)
}

get_row_fn!(agents, AgentRow, "agent");

/// Loads the agent `id` referenced by `field` of an entity of `company_id`; a missing agent or
/// one of another company is a validation error on `field`.
pub fn referenced_row(
    conn: &mut DbConnection,
    field: &str,
    company_id: &str,
    id: &str,
) -> Result<AgentRow, CoreError> {
    let id = reference::id(field, id)?;
    agents::table
        .find(&id)
        .filter(agents::company_id.eq(company_id))
        .select(AgentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| reference::dangling(field, "agent", &id))
}

/// Gets one agent.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Agent, CoreError> {
    get_row(conn, id).map(Agent::from)
}

/// Lists a company's agents, oldest first.
pub fn list(
    conn: &mut DbConnection,
    company_id: &str,
    filter: &AgentFilter,
    page: PageRequest,
) -> Result<Page<Agent>, CoreError> {
    let (limit, offset) = page.resolve()?;
    if let Some(status) = &filter.status {
        one_of("status", status, STATUSES)?;
    }
    company::ensure_exists(conn, company_id)?;
    let query = || {
        let mut q = agents::table
            .filter(agents::company_id.eq(company_id.to_string()))
            .into_boxed();
        if let Some(status) = &filter.status {
            q = q.filter(agents::status.eq(status.clone()));
        }
        if let Some(manager) = &filter.reports_to {
            q = q.filter(agents::reports_to.eq(manager.clone()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<AgentRow> = query()
        .order((agents::created_at.asc(), agents::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(AgentRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, total, limit, offset))
}

/// Creates an agent in `company_id` (inside the caller's write transaction), logs it and
/// queues `agent:created`.
pub fn create(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    company_id: &str,
    input: NewAgent,
) -> Result<Agent, CoreError> {
    let name = required_text("name", &input.name, 200)?;
    let role = match input.role {
        Some(role) => required_text("role", &role, 100)?,
        None => DEFAULT_ROLE.to_string(),
    };
    let title = optional_text("title", input.title.as_deref(), 200)?;
    let status = match input.status {
        Some(status) => one_of("status", &status, STATUSES)?,
        None => "idle".to_string(),
    };
    let budget = check_budget(input.budget_monthly_cents.unwrap_or(0))?;
    let metadata = Value::Object(input.metadata.unwrap_or_default()).to_string();
    company::ensure_exists(conn, company_id)?;
    let reports_to = match input.reports_to {
        Some(manager) => Some(referenced_row(conn, "reportsTo", company_id, &manager)?.id),
        None => None,
    };
    let ts = now();
    let row = AgentRow {
        id: new_id(),
        company_id: company_id.to_string(),
        name,
        role,
        title,
        status,
        reports_to,
        budget_monthly_cents: budget,
        spent_monthly_cents: 0,
        spend_month: current_month(),
        budget_alerts_sent: 0,
        metadata,
        last_heartbeat_at: None,
        created_at: ts,
        updated_at: ts,
    };
    diesel::insert_into(agents::table)
        .values((
            agents::id.eq(&row.id),
            agents::company_id.eq(&row.company_id),
            agents::name.eq(&row.name),
            agents::role.eq(&row.role),
            agents::title.eq(&row.title),
            agents::status.eq(&row.status),
            agents::reports_to.eq(&row.reports_to),
            agents::budget_monthly_cents.eq(row.budget_monthly_cents),
            agents::spent_monthly_cents.eq(0i64),
            agents::spend_month.eq(&row.spend_month),
            agents::budget_alerts_sent.eq(0),
            agents::metadata.eq(&row.metadata),
            agents::created_at.eq(ts),
            agents::updated_at.eq(ts),
        ))
        .execute(conn)?;
    activity::record(
        conn,
        company_id,
        actor,
        "agent.created",
        "agent",
        &row.id,
        &json!({ "name": row.name, "role": row.role, "reportsTo": row.reports_to }),
    )?;
    let agent = Agent::from(row);
    hooks.push(Hook::AgentCreated, json!({ "agent": &agent }));
    Ok(agent)
}

/// Applies a patch (inside the caller's write transaction). When something changed: logs
/// `agent.updated` and queues `agent:updated {agent, changes}` (changes = `{field: {from, to}}`),
/// plus `agent:status_changed` when the status changed. A patch that changes nothing writes
/// nothing.
pub fn update(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    id: &str,
    patch: AgentPatch,
) -> Result<Agent, CoreError> {
    let old = get_row(conn, id)?;
    let mut row = old.clone();
    if let Some(name) = patch.name {
        row.name = required_text("name", &name, 200)?;
    }
    if let Some(role) = patch.role {
        row.role = required_text("role", &role, 100)?;
    }
    if let Some(title) = patch.title {
        row.title = optional_text("title", title.as_deref(), 200)?;
    }
    if let Some(status) = patch.status {
        row.status = one_of("status", &status, STATUSES)?;
    }
    if let Some(budget) = patch.budget_monthly_cents {
        row.budget_monthly_cents = check_budget(budget)?;
    }
    if let Some(metadata) = patch.metadata {
        row.metadata = Value::Object(metadata).to_string();
    }
    if let Some(manager) = patch.reports_to {
        row.reports_to = match manager {
            None => None,
            Some(manager) => {
                let manager = referenced_row(conn, "reportsTo", &row.company_id, &manager)?;
                if old.reports_to.as_deref() != Some(manager.id.as_str()) {
                    ensure_no_reporting_cycle(conn, &old, &manager)?;
                }
                Some(manager.id)
            }
        };
    }

    let mut changes = ChangeSet::new();
    changes.note("name", &old.name, &row.name);
    changes.note("role", &old.role, &row.role);
    changes.note("title", &old.title, &row.title);
    changes.note("status", &old.status, &row.status);
    changes.note("reportsTo", &old.reports_to, &row.reports_to);
    changes.note(
        "budgetMonthlyCents",
        &old.budget_monthly_cents,
        &row.budget_monthly_cents,
    );
    changes.note(
        "metadata",
        &parse_metadata(&old.metadata),
        &parse_metadata(&row.metadata),
    );
    if changes.is_empty() {
        return Ok(Agent::from(old));
    }

    row.updated_at = now();
    // Only the patchable columns are written: the spend columns belong to `budget`, which
    // updates them atomically, and must not be overwritten with this transaction's copy.
    diesel::update(agents::table.find(id))
        .set((
            agents::name.eq(&row.name),
            agents::role.eq(&row.role),
            agents::title.eq(&row.title),
            agents::status.eq(&row.status),
            agents::reports_to.eq(&row.reports_to),
            agents::budget_monthly_cents.eq(row.budget_monthly_cents),
            agents::metadata.eq(&row.metadata),
            agents::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    let status_changed = changes.contains("status");
    let changes = changes.into_value();
    activity::record(
        conn,
        &row.company_id,
        actor,
        "agent.updated",
        "agent",
        id,
        &json!({ "changes": &changes }),
    )?;
    let status_change = status_changed.then(|| (old.status.clone(), row.status.clone()));
    if let Some((from, to)) = &status_change {
        record_status_change(conn, actor, &row, from, to, None)?;
    }
    let agent = Agent::from(row);
    hooks.push(
        Hook::AgentUpdated,
        json!({ "agent": &agent, "changes": changes }),
    );
    if let Some((from, to)) = status_change {
        push_status_changed(hooks, &agent, &from, &to);
    }
    Ok(agent)
}

/// Refuses to make `manager` the manager of `agent` when `agent` is above `manager` in the
/// org chart (or is `manager`), naming the cycle.
fn ensure_no_reporting_cycle(
    conn: &mut DbConnection,
    agent: &AgentRow,
    manager: &AgentRow,
) -> Result<(), CoreError> {
    hierarchy::ensure_no_cycle(
        "reportsTo",
        "report to",
        &agent.id,
        &agent.name,
        &manager.id,
        |id| {
            let node: Option<(Option<String>, String)> = agents::table
                .find(id)
                .select((agents::reports_to, agents::name))
                .first(conn)
                .optional()?;
            Ok(node.map(|(parent, label)| TreeNode { parent, label }))
        },
    )
}

/// Logs an agent status transition as `agent.status_changed {from, to, reason?}`.
pub fn record_status_change(
    conn: &mut DbConnection,
    actor: &str,
    row: &AgentRow,
    from: &str,
    to: &str,
    reason: Option<&str>,
) -> Result<(), CoreError> {
    let mut details = json!({ "from": from, "to": to });
    if let Some(reason) = reason {
        details["reason"] = json!(reason);
    }
    activity::record(
        conn,
        &row.company_id,
        actor,
        "agent.status_changed",
        "agent",
        &row.id,
        &details,
    )
}

/// Queues `agent:status_changed {agent, from, to}`.
pub fn push_status_changed(hooks: &mut PendingHooks, agent: &Agent, from: &str, to: &str) {
    hooks.push(
        Hook::AgentStatusChanged,
        json!({ "agent": agent, "from": from, "to": to }),
    );
}

/// Deletes an agent (inside the caller's write transaction), logs it and queues
/// `agent:deleted`. Refused with a conflict while other agents report to it: the org chart
/// would otherwise lose a branch silently. Its heartbeats and cost events go with it; issues
/// and goals it held become unassigned/unowned.
pub fn delete(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    id: &str,
) -> Result<Agent, CoreError> {
    let row = get_row(conn, id)?;
    let reports: i64 = agents::table
        .filter(agents::reports_to.eq(id))
        .count()
        .get_result(conn)?;
    if reports > 0 {
        return Err(CoreError::conflict(format!(
            "agent {id} (\"{}\") has {reports} direct report(s); reassign them (PATCH reportsTo) before deleting it",
            row.name
        )));
    }
    diesel::delete(agents::table.find(id)).execute(conn)?;
    activity::record(
        conn,
        &row.company_id,
        actor,
        "agent.deleted",
        "agent",
        id,
        &json!({ "name": row.name }),
    )?;
    let agent = Agent::from(row);
    hooks.push(Hook::AgentDeleted, json!({ "agent": &agent }));
    Ok(agent)
}
