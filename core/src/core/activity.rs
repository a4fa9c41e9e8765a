//! The activity log: one row per core write (actor, action, entity, details).

use super::paging::{Page, PageRequest};
use super::validate::new_id;
use super::CoreError;
use crate::db::schema::activity;
use crate::db::{now, to_rfc3339, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

/// A stored activity row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = activity)]
pub struct ActivityRow {
    /// Id.
    pub id: String,
    /// Company the entity belongs to.
    pub company_id: String,
    /// Who did it (`user`, `api-key`, `template-import`, `system`, …).
    pub actor: String,
    /// What happened, e.g. `agent.created`.
    pub action: String,
    /// Kind of entity, e.g. `agent`.
    pub entity_type: String,
    /// Id of the entity.
    pub entity_id: String,
    /// JSON details.
    pub details: String,
    /// When.
    pub created_at: NaiveDateTime,
}

/// The JSON view of an activity row.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// Entity kind.
    pub entity_type: String,
    /// Entity id.
    pub entity_id: String,
    /// Details.
    pub details: Value,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<ActivityRow> for Activity {
    fn from(row: ActivityRow) -> Activity {
        Activity {
            details: serde_json::from_str(&row.details).unwrap_or(Value::Null),
            created_at: to_rfc3339(&row.created_at),
            id: row.id,
            company_id: row.company_id,
            actor: row.actor,
            action: row.action,
            entity_type: row.entity_type,
            entity_id: row.entity_id,
        }
    }
}

/// Appends an activity row inside the caller's transaction.
pub fn record(
    conn: &mut DbConnection,
    company_id: &str,
    actor: &str,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    details: &Value,
) -> Result<(), CoreError> {
    diesel::insert_into(activity::table)
        .values((
            activity::id.eq(new_id()),
            activity::company_id.eq(company_id),
            activity::actor.eq(actor),
            activity::action.eq(action),
            activity::entity_type.eq(entity_type),
            activity::entity_id.eq(entity_id),
            activity::details.eq(details.to_string()),
            activity::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Filters of the activity list. Unknown filters are refused, so a typo is reported instead of
/// listing everything.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivityFilter {
    /// Only this entity kind.
    pub entity_type: Option<String>,
    /// Only this entity.
    pub entity_id: Option<String>,
    /// Only this action.
    pub action: Option<String>,
}

/// Lists a company's activity, newest first.
pub fn list(
    conn: &mut DbConnection,
    company_id: &str,
    filter: &ActivityFilter,
    page: PageRequest,
) -> Result<Page<Activity>, CoreError> {
    let (limit, offset) = page.resolve()?;
    let query = || {
        let mut q = activity::table
            .filter(activity::company_id.eq(company_id.to_string()))
            .into_boxed();
        if let Some(t) = &filter.entity_type {
            q = q.filter(activity::entity_type.eq(t.clone()));
        }
        if let Some(id) = &filter.entity_id {
            q = q.filter(activity::entity_id.eq(id.clone()));
        }
        if let Some(a) = &filter.action {
            q = q.filter(activity::action.eq(a.clone()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<ActivityRow> = query()
        .order((activity::created_at.desc(), activity::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(ActivityRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, total, limit, offset))
}
