//! Goals: what a company, a team or an agent works towards, arranged in a tree by `parentId`
//! (cycles refused) and optionally owned by an agent.

use super::change_set::ChangeSet;
use super::hierarchy::{self, TreeNode};
use super::paging::{Page, PageRequest};
use super::validate::{new_id, one_of, optional_text, required_text};
use super::{activity, agent, company, CoreError};
use crate::db::schema::goals;
use crate::db::{now, to_rfc3339, DbConnection};
use crate::hooks::{Hook, PendingHooks};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored goal row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = goals)]
pub struct GoalRow {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// One of [`LEVELS`].
    pub level: String,
    /// One of [`STATUSES`].
    pub status: String,
    /// Parent goal (same company).
    pub parent_id: Option<String>,
    /// Owning agent (same company).
    pub owner_agent_id: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// The JSON view of a goal (also the `goal` of hook payloads).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Goal {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Level.
    pub level: String,
    /// Status.
    pub status: String,
    /// Parent goal.
    pub parent_id: Option<String>,
    /// Owning agent.
    pub owner_agent_id: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<GoalRow> for Goal {
    fn from(row: GoalRow) -> Goal {
        Goal {
            created_at: to_rfc3339(&row.created_at),
            updated_at: to_rfc3339(&row.updated_at),
            id: row.id,
            company_id: row.company_id,
            title: row.title,
            description: row.description,
            level: row.level,
            status: row.status,
            parent_id: row.parent_id,
            owner_agent_id: row.owner_agent_id,
        }
    }
}

/// Allowed goal levels.
pub const LEVELS: &[&str] = &["company", "team", "agent"];
/// Allowed goal statuses.
pub const STATUSES: &[&str] = &["planned", "active", "completed", "cancelled"];
/// Level of a goal created without one.
pub const DEFAULT_LEVEL: &str = "company";

/// Body of `POST /api/companies/{companyId}/goals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewGoal {
    /// Title (required).
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Level (default `company`).
    pub level: Option<String>,
    /// Status (default `planned`).
    pub status: Option<String>,
    /// Parent goal of the same company.
    pub parent_id: Option<String>,
    /// Owning agent of the same company.
    pub owner_agent_id: Option<String>,
}

/// Body of `PATCH /api/goals/{id}`; absent fields are unchanged, `null` clears a nullable one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalPatch {
    /// New title.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub description: Option<Option<String>>,
    /// New level.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub level: Option<String>,
    /// New status (`completed` emits `goal:completed`).
    #[serde(default, with = "super::validate_patch::non_null")]
    pub status: Option<String>,
    /// New parent goal.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub parent_id: Option<Option<String>>,
    /// New owner.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub owner_agent_id: Option<Option<String>>,
}

/// Filters of the goal list (`?level=&status=&parentId=`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalFilter {
    /// Only this level.
    pub level: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only children of this goal.
    pub parent_id: Option<String>,
}

get_row_fn!(goals, GoalRow, "goal");

ensure_referenced_fn!(pub goals, "goal");

/// Gets one goal.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Goal, CoreError> {
    get_row(conn, id).map(Goal::from)
}

/// Lists a company's goals, oldest first.
pub fn list(
    conn: &mut DbConnection,
    company_id: &str,
    filter: &GoalFilter,
    page: PageRequest,
) -> Result<Page<Goal>, CoreError> {
    let (limit, offset) = page.resolve()?;
    if let Some(level) = &filter.level {
        one_of("level", level, LEVELS)?;
    }
    if let Some(status) = &filter.status {
        one_of("status", status, STATUSES)?;
    }
    company::ensure_exists(conn, company_id)?;
    let query = || {
        let mut q = goals::table
            .filter(goals::company_id.eq(company_id.to_string()))
            .into_boxed();
        if let Some(level) = &filter.level {
            q = q.filter(goals::level.eq(level.clone()));
        }
        if let Some(status) = &filter.status {
            q = q.filter(goals::status.eq(status.clone()));
        }
        if let Some(parent) = &filter.parent_id {
            q = q.filter(goals::parent_id.eq(parent.clone()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<GoalRow> = query()
        .order((goals::created_at.asc(), goals::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(GoalRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, total, limit, offset))
}

/// Creates a goal (inside the caller's write transaction), logs it and queues `goal:created`
/// (and `goal:completed` when it is created completed).
pub fn create(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    company_id: &str,
    input: NewGoal,
) -> Result<Goal, CoreError> {
    let title = required_text("title", &input.title, 500)?;
    let description = optional_text("description", input.description.as_deref(), 10_000)?;
    let level = match input.level {
        Some(level) => one_of("level", &level, LEVELS)?,
        None => DEFAULT_LEVEL.to_string(),
    };
    let status = match input.status {
        Some(status) => one_of("status", &status, STATUSES)?,
        None => "planned".to_string(),
    };
    company::ensure_exists(conn, company_id)?;
    let parent_id = input
        .parent_id
        .map(|p| ensure_referenced(conn, "parentId", company_id, &p))
        .transpose()?;
    let owner_agent_id = match input.owner_agent_id {
        Some(owner) => Some(agent::referenced_row(conn, "ownerAgentId", company_id, &owner)?.id),
        None => None,
    };
    let ts = now();
    let row = GoalRow {
        id: new_id(),
        company_id: company_id.to_string(),
        title,
        description,
        level,
        status,
        parent_id,
        owner_agent_id,
        created_at: ts,
        updated_at: ts,
    };
    diesel::insert_into(goals::table)
        .values(&row)
        .execute(conn)?;
    activity::record(
        conn,
        company_id,
        actor,
        "goal.created",
        "goal",
        &row.id,
        &json!({ "title": row.title, "level": row.level }),
    )?;
    let goal = Goal::from(row);
    hooks.push(Hook::GoalCreated, json!({ "goal": &goal }));
    if goal.status == "completed" {
        hooks.push(Hook::GoalCompleted, json!({ "goal": &goal }));
    }
    Ok(goal)
}

/// Applies a patch (inside the caller's write transaction) and logs it; queues
/// `goal:completed` when the status becomes `completed`. A patch that changes nothing writes
/// nothing.
pub fn update(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    id: &str,
    patch: GoalPatch,
) -> Result<Goal, CoreError> {
    let old = get_row(conn, id)?;
    let mut row = old.clone();
    if let Some(title) = patch.title {
        row.title = required_text("title", &title, 500)?;
    }
    if let Some(description) = patch.description {
        row.description = optional_text("description", description.as_deref(), 10_000)?;
    }
    if let Some(level) = patch.level {
        row.level = one_of("level", &level, LEVELS)?;
    }
    if let Some(status) = patch.status {
        row.status = one_of("status", &status, STATUSES)?;
    }
    if let Some(owner) = patch.owner_agent_id {
        row.owner_agent_id = match owner {
            None => None,
            Some(owner) => {
                Some(agent::referenced_row(conn, "ownerAgentId", &row.company_id, &owner)?.id)
            }
        };
    }
    if let Some(parent) = patch.parent_id {
        row.parent_id = match parent {
            None => None,
            Some(parent) => {
                let parent = ensure_referenced(conn, "parentId", &row.company_id, &parent)?;
                if old.parent_id.as_deref() != Some(parent.as_str()) {
                    ensure_no_parent_cycle(conn, &old, &parent)?;
                }
                Some(parent)
            }
        };
    }

    let mut changes = ChangeSet::new();
    changes.note("title", &old.title, &row.title);
    changes.note("description", &old.description, &row.description);
    changes.note("level", &old.level, &row.level);
    changes.note("status", &old.status, &row.status);
    changes.note("parentId", &old.parent_id, &row.parent_id);
    changes.note("ownerAgentId", &old.owner_agent_id, &row.owner_agent_id);
    if changes.is_empty() {
        return Ok(Goal::from(old));
    }
    row.updated_at = now();
    diesel::update(goals::table.find(id))
        .set((
            goals::title.eq(&row.title),
            goals::description.eq(&row.description),
            goals::level.eq(&row.level),
            goals::status.eq(&row.status),
            goals::parent_id.eq(&row.parent_id),
            goals::owner_agent_id.eq(&row.owner_agent_id),
            goals::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    let completed = old.status != "completed" && row.status == "completed";
    activity::record(
        conn,
        &row.company_id,
        actor,
        if completed {
            "goal.completed"
        } else {
            "goal.updated"
        },
        "goal",
        id,
        &json!({ "changes": changes.into_value() }),
    )?;
    let goal = Goal::from(row);
    if completed {
        hooks.push(Hook::GoalCompleted, json!({ "goal": &goal }));
    }
    Ok(goal)
}

fn ensure_no_parent_cycle(
    conn: &mut DbConnection,
    goal: &GoalRow,
    parent: &str,
) -> Result<(), CoreError> {
    hierarchy::ensure_no_cycle(
        "parentId",
        "have as parent",
        &goal.id,
        &goal.title,
        parent,
        |id| {
            let node: Option<(Option<String>, String)> = goals::table
                .find(id)
                .select((goals::parent_id, goals::title))
                .first(conn)
                .optional()?;
            Ok(node.map(|(parent, label)| TreeNode { parent, label }))
        },
    )
}

/// Deletes a goal (inside the caller's write transaction) and logs it. Refused with a conflict
/// while it has sub-goals; projects and issues pointing at it lose the link.
pub fn delete(conn: &mut DbConnection, actor: &str, id: &str) -> Result<Goal, CoreError> {
    let row = get_row(conn, id)?;
    let children: i64 = goals::table
        .filter(goals::parent_id.eq(id))
        .count()
        .get_result(conn)?;
    if children > 0 {
        return Err(CoreError::conflict(format!(
            "goal {id} (\"{}\") has {children} sub-goal(s); move or delete them first",
            row.title
        )));
    }
    diesel::delete(goals::table.find(id)).execute(conn)?;
    activity::record(
        conn,
        &row.company_id,
        actor,
        "goal.deleted",
        "goal",
        id,
        &json!({ "title": row.title }),
    )?;
    Ok(Goal::from(row))
}
