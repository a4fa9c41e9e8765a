//! Cost events: money an agent spent, each raising its monthly spend through
//! [`super::budget::record_spend`] (posted directly, or carried by a heartbeat's `costCents`).

use super::agent::{self, Agent};
use super::budget::{self, Spend};
use super::paging::{Page, PageRequest};
use super::validate::optional_text;
use super::{company, reference, CoreError};
use crate::db::schema::cost_events;
use crate::db::{to_rfc3339, DbConnection};
use crate::hooks::PendingHooks;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

/// A stored cost event.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cost_events)]
pub struct CostEventRow {
    /// Id.
    pub id: String,
    /// Company of the agent.
    pub company_id: String,
    /// The agent that spent.
    pub agent_id: String,
    /// Amount in cents (> 0).
    pub amount_cents: i64,
    /// `api` (posted) or `heartbeat` (carried by a heartbeat).
    pub source: String,
    /// Free text.
    pub description: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// The JSON view of a cost event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostEvent {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Agent.
    pub agent_id: String,
    /// Amount in cents.
    pub amount_cents: i64,
    /// `api` or `heartbeat`.
    pub source: String,
    /// Free text.
    pub description: Option<String>,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<CostEventRow> for CostEvent {
    fn from(row: CostEventRow) -> CostEvent {
        CostEvent {
            created_at: to_rfc3339(&row.created_at),
            id: row.id,
            company_id: row.company_id,
            agent_id: row.agent_id,
            amount_cents: row.amount_cents,
            source: row.source,
            description: row.description,
        }
    }
}

/// Answer to `POST /api/companies/{companyId}/cost-events`: the cost event plus the agent
/// after it (new `spentMonthlyCents`, maybe `paused`).
#[derive(Debug, Clone, Serialize)]
pub struct RecordedCost {
    /// The stored event (its fields at the top level).
    #[serde(flatten)]
    pub cost_event: CostEvent,
    /// The agent after the spend.
    pub agent: Agent,
}

/// Body of `POST /api/companies/{companyId}/cost-events`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewCostEvent {
    /// The agent that spent (of this company).
    pub agent_id: String,
    /// Amount in cents (> 0).
    pub amount_cents: i64,
    /// Free text.
    pub description: Option<String>,
}

/// Filters of the cost event list (`?agentId=`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CostEventFilter {
    /// Only this agent's events.
    pub agent_id: Option<String>,
}

/// Stores a cost event row (called by [`budget::record_spend`], which keeps the spend total).
pub fn insert(conn: &mut DbConnection, row: &CostEventRow) -> Result<(), CoreError> {
    diesel::insert_into(cost_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Records a cost for an agent of `company_id` (inside the caller's write transaction): the
/// spend, its activity and its budget hooks.
pub fn create(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    company_id: &str,
    input: NewCostEvent,
) -> Result<RecordedCost, CoreError> {
    let amount = budget::check_amount("amountCents", input.amount_cents)?;
    let description = optional_text("description", input.description.as_deref(), 2_000)?;
    company::ensure_exists(conn, company_id)?;
    let agent_id = reference::id("agentId", &input.agent_id)?;
    agent::referenced_row(conn, "agentId", company_id, &agent_id)?;
    let outcome = budget::record_spend(
        conn,
        hooks,
        actor,
        Spend {
            agent_id: &agent_id,
            amount_cents: amount,
            source: "api",
            description,
        },
    )?;
    Ok(RecordedCost {
        cost_event: outcome.cost_event,
        agent: outcome.agent,
    })
}

/// Lists a company's cost events, newest first.
pub fn list(
    conn: &mut DbConnection,
    company_id: &str,
    filter: &CostEventFilter,
    page: PageRequest,
) -> Result<Page<CostEvent>, CoreError> {
    let (limit, offset) = page.resolve()?;
    company::ensure_exists(conn, company_id)?;
    let query = || {
        let mut q = cost_events::table
            .filter(cost_events::company_id.eq(company_id.to_string()))
            .into_boxed();
        if let Some(agent_id) = &filter.agent_id {
            q = q.filter(cost_events::agent_id.eq(agent_id.clone()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<CostEventRow> = query()
        .order((cost_events::created_at.desc(), cost_events::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(CostEventRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, total, limit, offset))
}
