//! Projects: bodies of work that group issues, optionally serving a goal.

use super::change_set::ChangeSet;
use super::paging::{Page, PageRequest};
use super::validate::{new_id, one_of, optional_text, required_text};
use super::{activity, company, goal, CoreError};
use crate::db::schema::projects;
use crate::db::{now, to_rfc3339, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored project row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = projects)]
pub struct ProjectRow {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// One of [`STATUSES`].
    pub status: String,
    /// The goal it serves (same company).
    pub goal_id: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// The JSON view of a project.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: String,
    /// Goal.
    pub goal_id: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<ProjectRow> for Project {
    fn from(row: ProjectRow) -> Project {
        Project {
            created_at: to_rfc3339(&row.created_at),
            updated_at: to_rfc3339(&row.updated_at),
            id: row.id,
            company_id: row.company_id,
            name: row.name,
            description: row.description,
            status: row.status,
            goal_id: row.goal_id,
        }
    }
}

/// Allowed project statuses.
pub const STATUSES: &[&str] = &["planned", "active", "completed", "archived"];
/// Status of a project created without one (the schema's default).
pub const DEFAULT_STATUS: &str = "active";

/// Body of `POST /api/companies/{companyId}/projects`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewProject {
    /// Name (required).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Status (default `active`).
    pub status: Option<String>,
    /// Goal of the same company.
    pub goal_id: Option<String>,
}

/// Body of `PATCH /api/projects/{id}`; absent fields are unchanged, `null` clears a nullable one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectPatch {
    /// New name.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub description: Option<Option<String>>,
    /// New status.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub status: Option<String>,
    /// New goal.
    #[serde(default, with = "super::validate_patch::double_option")]
    pub goal_id: Option<Option<String>>,
}

/// Filters of the project list (`?status=&goalId=`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only projects serving this goal.
    pub goal_id: Option<String>,
}

get_row_fn!(projects, ProjectRow, "project");

ensure_referenced_fn!(pub projects, "project");

/// Gets one project.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Project, CoreError> {
    get_row(conn, id).map(Project::from)
}

/// Lists a company's projects, oldest first.
pub fn list(
    conn: &mut DbConnection,
    company_id: &str,
    filter: &ProjectFilter,
    page: PageRequest,
) -> Result<Page<Project>, CoreError> {
    let (limit, offset) = page.resolve()?;
    if let Some(status) = &filter.status {
        one_of("status", status, STATUSES)?;
    }
    company::ensure_exists(conn, company_id)?;
    let query = || {
        let mut q = projects::table
            .filter(projects::company_id.eq(company_id.to_string()))
            .into_boxed();
        if let Some(status) = &filter.status {
            q = q.filter(projects::status.eq(status.clone()));
        }
        if let Some(goal_id) = &filter.goal_id {
            q = q.filter(projects::goal_id.eq(goal_id.clone()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<ProjectRow> = query()
        .order((projects::created_at.asc(), projects::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(ProjectRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, total, limit, offset))
}

/// Creates a project (inside the caller's write transaction) and logs it.
pub fn create(
    conn: &mut DbConnection,
    actor: &str,
    company_id: &str,
    input: NewProject,
) -> Result<Project, CoreError> {
    let name = required_text("name", &input.name, 200)?;
    let description = optional_text("description", input.description.as_deref(), 10_000)?;
    let status = match input.status {
        Some(status) => one_of("status", &status, STATUSES)?,
        None => DEFAULT_STATUS.to_string(),
    };
    company::ensure_exists(conn, company_id)?;
    let goal_id = input
        .goal_id
        .map(|g| goal::ensure_referenced(conn, "goalId", company_id, &g))
        .transpose()?;
    let ts = now();
    let row = ProjectRow {
        id: new_id(),
        company_id: company_id.to_string(),
        name,
        description,
        status,
        goal_id,
        created_at: ts,
        updated_at: ts,
    };
    diesel::insert_into(projects::table)
        .values(&row)
        .execute(conn)?;
    activity::record(
        conn,
        company_id,
        actor,
        "project.created",
        "project",
        &row.id,
        &json!({ "name": row.name }),
    )?;
    Ok(Project::from(row))
}

/// Applies a patch (inside the caller's write transaction) and logs it. A patch that changes
/// nothing writes nothing.
pub fn update(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    patch: ProjectPatch,
) -> Result<Project, CoreError> {
    let old = get_row(conn, id)?;
    let mut row = old.clone();
    if let Some(name) = patch.name {
        row.name = required_text("name", &name, 200)?;
    }
    if let Some(description) = patch.description {
        row.description = optional_text("description", description.as_deref(), 10_000)?;
    }
    if let Some(status) = patch.status {
        row.status = one_of("status", &status, STATUSES)?;
    }
    if let Some(goal_id) = patch.goal_id {
        row.goal_id = goal_id
            .map(|g| goal::ensure_referenced(conn, "goalId", &row.company_id, &g))
            .transpose()?;
    }
    let mut changes = ChangeSet::new();
    changes.note("name", &old.name, &row.name);
    changes.note("description", &old.description, &row.description);
    changes.note("status", &old.status, &row.status);
    changes.note("goalId", &old.goal_id, &row.goal_id);
    if changes.is_empty() {
        return Ok(Project::from(old));
    }
    row.updated_at = now();
    diesel::update(projects::table.find(id))
        .set((
            projects::name.eq(&row.name),
            projects::description.eq(&row.description),
            projects::status.eq(&row.status),
            projects::goal_id.eq(&row.goal_id),
            projects::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    activity::record(
        conn,
        &row.company_id,
        actor,
        "project.updated",
        "project",
        id,
        &json!({ "changes": changes.into_value() }),
    )?;
    Ok(Project::from(row))
}

/// Deletes a project (inside the caller's write transaction) and logs it; its issues stay,
/// without a project.
pub fn delete(conn: &mut DbConnection, actor: &str, id: &str) -> Result<Project, CoreError> {
    let row = get_row(conn, id)?;
    diesel::delete(projects::table.find(id)).execute(conn)?;
    activity::record(
        conn,
        &row.company_id,
        actor,
        "project.deleted",
        "project",
        id,
        &json!({ "name": row.name }),
    )?;
    Ok(Project::from(row))
}
