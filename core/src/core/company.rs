//! Companies: the top-level container of agents, goals, projects and issues.

use super::paging::{Page, PageRequest};
use super::validate::{new_id, optional_text, required_text};
use super::{activity, CoreError};
use crate::db::schema::companies;
use crate::db::{now, to_rfc3339, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A stored company row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = companies)]
pub struct CompanyRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Prefix of issue identifiers (`ACME` in `ACME-12`).
    pub issue_prefix: String,
    /// Number of the last issue created.
    pub issue_counter: i64,
    /// `active` or `archived`.
    pub status: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// The JSON view of a company.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Issue identifier prefix.
    pub issue_prefix: String,
    /// Status.
    pub status: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
}

impl From<CompanyRow> for Company {
    fn from(row: CompanyRow) -> Company {
        Company {
            id: row.id,
            name: row.name,
            description: row.description,
            issue_prefix: row.issue_prefix,
            status: row.status,
            created_at: to_rfc3339(&row.created_at),
            updated_at: to_rfc3339(&row.updated_at),
        }
    }
}

/// Allowed company statuses.
pub const STATUSES: &[&str] = &["active", "archived"];

/// Body of `POST /api/companies`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCompany {
    /// Name (required).
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Issue prefix; derived from the name when absent.
    pub issue_prefix: Option<String>,
}

/// Body of `PATCH /api/companies/{id}`; absent fields are unchanged.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompanyPatch {
    /// New name.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub name: Option<String>,
    /// New description (`null` clears it).
    #[serde(default, with = "super::validate_patch::double_option")]
    pub description: Option<Option<String>>,
    /// New status.
    #[serde(default, with = "super::validate_patch::non_null")]
    pub status: Option<String>,
}

/// Derives an issue prefix from a company name: the first word's letters, upper-cased, at
/// most 4 (`Acme Corp` → `ACME`); `CO` when the name has no letters.
pub fn derive_issue_prefix(name: &str) -> String {
    let word = name
        .split_whitespace()
        .find(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .unwrap_or("");
    let prefix: String = word
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(4)
        .collect::<String>()
        .to_ascii_uppercase();
    if prefix.starts_with(|c: char| c.is_ascii_alphabetic()) {
        prefix
    } else {
        "CO".to_string()
    }
}

fn check_issue_prefix(prefix: &str) -> Result<String, CoreError> {
    let valid = prefix.len() <= 10
        && prefix.starts_with(|c: char| c.is_ascii_uppercase())
        && prefix
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if valid {
        Ok(prefix.to_string())
    } else {
        Err(CoreError::invalid(
            "issuePrefix",
            "issuePrefix must be 1-10 upper-case letters or digits, starting with a letter",
        ))
    }
}

get_row_fn!(companies, CompanyRow, "company");

/// Fails with `NotFound` unless the company exists.
pub fn ensure_exists(conn: &mut DbConnection, id: &str) -> Result<(), CoreError> {
    let found: i64 = companies::table
        .filter(companies::id.eq(id))
        .count()
        .get_result(conn)?;
    if found == 0 {
        Err(CoreError::not_found("company", id))
    } else {
        Ok(())
    }
}

/// Gets one company.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Company, CoreError> {
    get_row(conn, id).map(Company::from)
}

/// Lists companies by name.
pub fn list(conn: &mut DbConnection, page: PageRequest) -> Result<Page<Company>, CoreError> {
    let (limit, offset) = page.resolve()?;
    let total: i64 = companies::table.count().get_result(conn)?;
    let rows: Vec<CompanyRow> = companies::table
        .order((companies::name.asc(), companies::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(CompanyRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, total, limit, offset))
}

/// Creates a company (inside the caller's write transaction) and logs it.
pub fn create(
    conn: &mut DbConnection,
    actor: &str,
    input: NewCompany,
) -> Result<Company, CoreError> {
    let name = required_text("name", &input.name, 200)?;
    let description = optional_text("description", input.description.as_deref(), 10_000)?;
    let issue_prefix = match input.issue_prefix {
        Some(p) => check_issue_prefix(p.trim())?,
        None => derive_issue_prefix(&name),
    };
    let ts = now();
    let row = CompanyRow {
        id: new_id(),
        name,
        description,
        issue_prefix,
        issue_counter: 0,
        status: "active".to_string(),
        created_at: ts,
        updated_at: ts,
    };
    diesel::insert_into(companies::table)
        .values((
            companies::id.eq(&row.id),
            companies::name.eq(&row.name),
            companies::description.eq(&row.description),
            companies::issue_prefix.eq(&row.issue_prefix),
            companies::issue_counter.eq(0i64),
            companies::status.eq(&row.status),
            companies::created_at.eq(ts),
            companies::updated_at.eq(ts),
        ))
        .execute(conn)?;
    activity::record(
        conn,
        &row.id,
        actor,
        "company.created",
        "company",
        &row.id,
        &json!({ "name": row.name }),
    )?;
    Ok(Company::from(row))
}

/// Applies a patch to a company and logs the change.
pub fn update(
    conn: &mut DbConnection,
    actor: &str,
    id: &str,
    patch: CompanyPatch,
) -> Result<Company, CoreError> {
    let mut row = get_row(conn, id)?;
    let mut changes = serde_json::Map::new();
    if let Some(name) = patch.name {
        row.name = required_text("name", &name, 200)?;
        changes.insert("name".into(), json!(row.name));
    }
    if let Some(description) = patch.description {
        row.description = optional_text("description", description.as_deref(), 10_000)?;
        changes.insert("description".into(), json!(row.description));
    }
    if let Some(status) = patch.status {
        row.status = super::validate::one_of("status", &status, STATUSES)?;
        changes.insert("status".into(), json!(row.status));
    }
    row.updated_at = now();
    diesel::update(companies::table.find(id))
        .set((
            companies::name.eq(&row.name),
            companies::description.eq(&row.description),
            companies::status.eq(&row.status),
            companies::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    activity::record(
        conn,
        id,
        actor,
        "company.updated",
        "company",
        id,
        &json!({ "changes": changes }),
    )?;
    Ok(Company::from(row))
}

/// Deletes a company and everything in it (the schema cascades).
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<Company, CoreError> {
    let row = get_row(conn, id)?;
    diesel::delete(companies::table.find(id)).execute(conn)?;
    Ok(Company::from(row))
}

#[cfg(test)]
mod tests {
    use super::derive_issue_prefix;

    #[test]
    fn issue_prefix_from_name() {
        assert_eq!(derive_issue_prefix("Acme Corp"), "ACME");
        assert_eq!(derive_issue_prefix("xy"), "XY");
        assert_eq!(derive_issue_prefix("42 Labs"), "LABS");
        assert_eq!(derive_issue_prefix("!!!"), "CO");
    }
}
