//! Issues: units of work with a per-company identifier (`ACME-12`), a status, a priority, and
//! optional assignee agent, project, goal and parent issue (a tree: cycles refused).

use super::agent::{self, Agent};
use super::change_set::ChangeSet;
use super::hierarchy::{self, TreeNode};
use super::paging::{Page, PageRequest};
use super::validate::{new_id, one_of, optional_text, required_text};
use super::{activity, goal, project, CoreError};
use crate::db::schema::{companies, issues};
use crate::db::{now, to_rfc3339, DbConnection};
use crate::hooks::{Hook, PendingHooks};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored issue row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = issues)]
pub struct IssueRow {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Number within the company (1, 2, …).
    pub number: i64,
    /// `<issue prefix>-<number>`, e.g. `ACME-12`.
    pub identifier: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// One of [`STATUSES`].
    pub status: String,
    /// One of [`PRIORITIES`].
    pub priority: String,
    /// Assigned agent (same company).
    pub assignee_agent_id: Option<String>,
    /// Project (same company).
    pub project_id: Option<String>,
    /// Goal (same company).
    pub goal_id: Option<String>,
    /// Parent issue (same company).
    pub parent_id: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// The JSON view of an issue (also the `issue` of hook payloads).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Issue {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Identifier, e.g. `ACME-12`.
    pub identifier: String,
    /// Number within the company.
    pub number: i64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: String,
    /// Priority.
    pub priority: String,
    /// Assigned agent.
    pub assignee_agent_id: Option<String>,
    /// Project.
    pub project_id: Option<String>,
    /// Goal.
    pub goal_id: Option<String>,
    /// Parent issue.
    pub parent_id: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<IssueRow> for Issue {
    fn from(row: IssueRow) -> Issue {
        Issue {
            created_at: to_rfc3339(&row.created_at),
            updated_at: to_rfc3339(&row.updated_at),
            id: row.id,
            company_id: row.company_id,
            identifier: row.identifier,
            number: row.number,
            title: row.title,
            description: row.description,
            status: row.status,
            priority: row.priority,
            assignee_agent_id: row.assignee_agent_id,
            project_id: row.project_id,
            goal_id: row.goal_id,
            parent_id: row.parent_id,
        }
    }
}

/// Allowed issue statuses.
pub const STATUSES: &[&str] = &[
    "backlog",
    "todo",
    "in_progress",
    "in_review",
    "done",
    "cancelled",
];
/// Allowed issue priorities.
pub const PRIORITIES: &[&str] = &["low", "medium", "high", "urgent"];

/// Body of `POST /api/companies/{companyId}/issues`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewIssue {
    /// Title (required).
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Status (default `todo`).
    pub status: Option<String>,
    /// Priority (default `medium`).
    pub priority: Option<String>,
    /// Assigned agent of the same company (emits `issue:assigned`).
    pub assignee_agent_id: Option<String>,
    /// Project of the same company.
    pub project_id: Option<String>,
    /// Goal of the same company.
    pub goal_id: Option<String>,
    /// Parent issue of the same company.
    pub parent_id: Option<String>,
}

/// Body of `PATCH /api/issues/{id}`; absent fields are unchanged, `null` clears a nullable one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuePatch {
    /// New title.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub title: Option<String>,
    /// New description.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub description: Option<Option<String>>,
    /// New status (emits `issue:status_changed`).
    #[serde(default, with = "super::validate_patch::non_null")]
    pub status: Option<String>,
    /// New priority.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub priority: Option<String>,
    /// New assignee (emits `issue:assigned` unless `null`).
    #[serde(default, with = "super::validate_patch::double_option")]
    pub assignee_agent_id: Option<Option<String>>,
    /// New project.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub project_id: Option<Option<String>>,
    /// New goal.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub goal_id: Option<Option<String>>,
    /// New parent issue.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub parent_id: Option<Option<String>>,
}

/// Filters of the issue list (`?status=&priority=&assigneeAgentId=&projectId=&goalId=`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssueFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this priority.
    pub priority: Option<String>,
    /// Only issues assigned to this agent.
    pub assignee_agent_id: Option<String>,
    /// Only issues of this project.
    pub project_id: Option<String>,
    /// Only issues of this goal.
    pub goal_id: Option<String>,
}

get_row_fn!(issues, IssueRow, "issue");

ensure_referenced_fn!(issues, "issue");

/// Gets one issue.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Issue, CoreError> {
    get_row(conn, id).map(Issue::from)
}

/// Lists a company's issues, newest (highest number) first.
pub fn list(
    conn: &mut DbConnection,
    company_id: &str,
    filter: &IssueFilter,
    page: PageRequest,
) -> Result<Page<Issue>, CoreError> {
    let (limit, offset) = page.resolve()?;
    if let Some(status) = &filter.status {
        one_of("status", status, STATUSES)?;
    }
    if let Some(priority) = &filter.priority {
        one_of("priority", priority, PRIORITIES)?;
    }
    super::company::ensure_exists(conn, company_id)?;
    let query = || {
        let mut q = issues::table
            .filter(issues::company_id.eq(company_id.to_string()))
            .into_boxed();
        if let Some(status) = &filter.status {
            q = q.filter(issues::status.eq(status.clone()));
        }
        if let Some(priority) = &filter.priority {
            q = q.filter(issues::priority.eq(priority.clone()));
        }
        if let Some(assignee) = &filter.assignee_agent_id {
            q = q.filter(issues::assignee_agent_id.eq(assignee.clone()));
        }
        if let Some(project_id) = &filter.project_id {
            q = q.filter(issues::project_id.eq(project_id.clone()));
        }
        if let Some(goal_id) = &filter.goal_id {
            q = q.filter(issues::goal_id.eq(goal_id.clone()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<IssueRow> = query()
        .order(issues::number.desc())
        .limit(limit)
        .offset(offset)
        .select(IssueRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, total, limit, offset))
}

/// Takes the company's next issue number and returns it with the company's prefix. The
/// increment is one `UPDATE` in the caller's transaction: on PostgreSQL it locks the company
/// row until commit and on SQLite the transaction holds the write lock, so two concurrent
/// creations never get the same number. Fails with `NotFound` for an unknown company.
fn next_number(conn: &mut DbConnection, company_id: &str) -> Result<(String, i64), CoreError> {
    let updated = diesel::update(companies::table.find(company_id))
        .set(companies::issue_counter.eq(companies::issue_counter + 1))
        .execute(conn)?;
    if updated == 0 {
        return Err(CoreError::not_found("company", company_id));
    }
    Ok(companies::table
        .find(company_id)
        .select((companies::issue_prefix, companies::issue_counter))
        .first(conn)?)
}

/// Creates an issue (inside the caller's write transaction), logs it and queues
/// `issue:created` (then `issue:assigned` when it has an assignee).
pub fn create(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    company_id: &str,
    input: NewIssue,
) -> Result<Issue, CoreError> {
    let title = required_text("title", &input.title, 500)?;
    let description = optional_text("description", input.description.as_deref(), 100_000)?;
    let status = match input.status {
        Some(status) => one_of("status", &status, STATUSES)?,
        None => "todo".to_string(),
    };
    let priority = match input.priority {
        Some(priority) => one_of("priority", &priority, PRIORITIES)?,
        None => "medium".to_string(),
    };
    let (prefix, number) = next_number(conn, company_id)?;
    let assignee = input
        .assignee_agent_id
        .map(|a| agent::referenced_row(conn, "assigneeAgentId", company_id, &a))
        .transpose()?;
    let project_id = input
        .project_id
        .map(|p| project::ensure_referenced(conn, "projectId", company_id, &p))
        .transpose()?;
    let goal_id = input
        .goal_id
        .map(|g| goal::ensure_referenced(conn, "goalId", company_id, &g))
        .transpose()?;
    let parent_id = input
        .parent_id
        .map(|p| ensure_referenced(conn, "parentId", company_id, &p))
        .transpose()?;
    let ts = now();
    let row = IssueRow {
        id: new_id(),
        company_id: company_id.to_string(),
        number,
        identifier: format!("{prefix}-{number}"),
        title,
        description,
        status,
        priority,
        assignee_agent_id: assignee.as_ref().map(|a| a.id.clone()),
        project_id,
        goal_id,
        parent_id,
        created_at: ts,
        updated_at: ts,
    };
    diesel::insert_into(issues::table)
        .values(&row)
        .execute(conn)?;
    activity::record(
        conn,
        company_id,
        actor,
        "issue.created",
        "issue",
        &row.id,
        &json!({
            "identifier": row.identifier,
            "title": row.title,
            "assigneeAgentId": row.assignee_agent_id,
        }),
    )?;
    let issue = Issue::from(row);
    hooks.push(Hook::IssueCreated, json!({ "issue": &issue }));
    if let Some(assignee) = assignee {
        hooks.push(
            Hook::IssueAssigned,
            json!({ "issue": &issue, "agent": Agent::from(assignee) }),
        );
    }
    Ok(issue)
}

/// Applies a patch (inside the caller's write transaction) and logs it (`issue.updated` with
/// the changes, plus `issue.status_changed` / `issue.assigned`). Queues
/// `issue:status_changed {issue, from, to}` when the status changes and
/// `issue:assigned {issue, agent}` when it gets a new assignee. A patch that changes nothing
/// writes nothing.
pub fn update(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    id: &str,
    patch: IssuePatch,
) -> Result<Issue, CoreError> {
    let old = get_row(conn, id)?;
    let mut row = old.clone();
    if let Some(title) = patch.title {
        row.title = required_text("title", &title, 500)?;
    }
    if let Some(description) = patch.description {
        row.description = optional_text("description", description.as_deref(), 100_000)?;
    }
    if let Some(status) = patch.status {
        row.status = one_of("status", &status, STATUSES)?;
    }
    if let Some(priority) = patch.priority {
        row.priority = one_of("priority", &priority, PRIORITIES)?;
    }
    let mut new_assignee = None;
    if let Some(assignee) = patch.assignee_agent_id {
        row.assignee_agent_id = match assignee {
            None => None,
            Some(assignee) => {
                let agent =
                    agent::referenced_row(conn, "assigneeAgentId", &row.company_id, &assignee)?;
                let id = agent.id.clone();
                new_assignee = Some(agent);
                Some(id)
            }
        };
    }
    if let Some(project_id) = patch.project_id {
        row.project_id = project_id
            .map(|p| project::ensure_referenced(conn, "projectId", &row.company_id, &p))
            .transpose()?;
    }
    if let Some(goal_id) = patch.goal_id {
        row.goal_id = goal_id
            .map(|g| goal::ensure_referenced(conn, "goalId", &row.company_id, &g))
            .transpose()?;
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
    changes.note("status", &old.status, &row.status);
    changes.note("priority", &old.priority, &row.priority);
    changes.note(
        "assigneeAgentId",
        &old.assignee_agent_id,
        &row.assignee_agent_id,
    );
    changes.note("projectId", &old.project_id, &row.project_id);
    changes.note("goalId", &old.goal_id, &row.goal_id);
    changes.note("parentId", &old.parent_id, &row.parent_id);
    if changes.is_empty() {
        return Ok(Issue::from(old));
    }
    let status_changed = changes.contains("status");
    let assigned = changes.contains("assigneeAgentId");
    row.updated_at = now();
    diesel::update(issues::table.find(id))
        .set((
            issues::title.eq(&row.title),
            issues::description.eq(&row.description),
            issues::status.eq(&row.status),
            issues::priority.eq(&row.priority),
            issues::assignee_agent_id.eq(&row.assignee_agent_id),
            issues::project_id.eq(&row.project_id),
            issues::goal_id.eq(&row.goal_id),
            issues::parent_id.eq(&row.parent_id),
            issues::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    activity::record(
        conn,
        &row.company_id,
        actor,
        "issue.updated",
        "issue",
        id,
        &json!({ "identifier": row.identifier, "changes": changes.into_value() }),
    )?;
    if status_changed {
        activity::record(
            conn,
            &row.company_id,
            actor,
            "issue.status_changed",
            "issue",
            id,
            &json!({ "identifier": row.identifier, "from": old.status, "to": row.status }),
        )?;
    }
    let assignee = new_assignee.filter(|_| assigned);
    if let Some(agent) = &assignee {
        activity::record(
            conn,
            &row.company_id,
            actor,
            "issue.assigned",
            "issue",
            id,
            &json!({ "identifier": row.identifier, "agentId": agent.id }),
        )?;
    }
    let issue = Issue::from(row);
    if status_changed {
        hooks.push(
            Hook::IssueStatusChanged,
            json!({ "issue": &issue, "from": old.status, "to": issue.status }),
        );
    }
    if let Some(agent) = assignee {
        hooks.push(
            Hook::IssueAssigned,
            json!({ "issue": &issue, "agent": Agent::from(agent) }),
        );
    }
    Ok(issue)
}

fn ensure_no_parent_cycle(
    conn: &mut DbConnection,
    issue: &IssueRow,
    parent: &str,
) -> Result<(), CoreError> {
    hierarchy::ensure_no_cycle(
        "parentId",
        "have as parent",
        &issue.id,
        &issue.identifier,
        parent,
        |id| {
            let node: Option<(Option<String>, String)> = issues::table
                .find(id)
                .select((issues::parent_id, issues::identifier))
                .first(conn)
                .optional()?;
            Ok(node.map(|(parent, label)| TreeNode { parent, label }))
        },
    )
}

/// Deletes an issue (inside the caller's write transaction) and logs it; its sub-issues stay,
/// without a parent. Its number is not reused.
pub fn delete(conn: &mut DbConnection, actor: &str, id: &str) -> Result<Issue, CoreError> {
    let row = get_row(conn, id)?;
    diesel::delete(issues::table.find(id)).execute(conn)?;
    activity::record(
        conn,
        &row.company_id,
        actor,
        "issue.deleted",
        "issue",
        id,
        &json!({ "identifier": row.identifier, "title": row.title }),
    )?;
    Ok(Issue::from(row))
}
