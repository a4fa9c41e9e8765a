//! Heartbeats: an agent checking in with usage details (`meta`). Each one is stored, sets the
//! agent's `lastHeartbeatAt`, may change its status, emits `agent:heartbeat`, and — when it
//! carries `costCents` > 0 — records that spend through [`super::budget`] in the same
//! transaction.

use super::agent::{self, Agent, AgentRow};
use super::budget::{self, Spend, MAX_CENTS};
use super::paging::{Page, PageRequest};
use super::validate::{new_id, one_of};
use super::{activity, CoreError};
use crate::db::schema::{agents, heartbeats};
use crate::db::{now, to_rfc3339, DbConnection};
use crate::hooks::{Hook, PendingHooks};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// A stored heartbeat.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = heartbeats)]
pub struct HeartbeatRow {
    /// Id.
    pub id: String,
    /// Company of the agent.
    pub company_id: String,
    /// The agent.
    pub agent_id: String,
    /// `meta.tokensUsed`.
    pub tokens_used: Option<i64>,
    /// `meta.costCents`.
    pub cost_cents: Option<i64>,
    /// `meta.model`.
    pub model: Option<String>,
    /// `meta.latencyMs`.
    pub latency_ms: Option<i64>,
    /// The whole `meta` object as sent (JSON).
    pub meta: String,
    /// When it was received.
    pub created_at: NaiveDateTime,
}

/// The JSON view of a heartbeat.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    /// Id.
    pub id: String,
    /// Company.
    pub company_id: String,
    /// Agent.
    pub agent_id: String,
    /// Tokens used.
    pub tokens_used: Option<i64>,
    /// Cost in cents.
    pub cost_cents: Option<i64>,
    /// Model.
    pub model: Option<String>,
    /// Latency in milliseconds.
    pub latency_ms: Option<i64>,
    /// `meta` as sent, extra fields included.
    pub meta: Value,
    /// When (RFC 3339).
    pub created_at: String,
}

impl From<HeartbeatRow> for Heartbeat {
    fn from(row: HeartbeatRow) -> Heartbeat {
        Heartbeat {
            meta: serde_json::from_str(&row.meta).unwrap_or_else(|_| json!({})),
            created_at: to_rfc3339(&row.created_at),
            id: row.id,
            company_id: row.company_id,
            agent_id: row.agent_id,
            tokens_used: row.tokens_used,
            cost_cents: row.cost_cents,
            model: row.model,
            latency_ms: row.latency_ms,
        }
    }
}

/// Body of `POST /api/agents/{id}/heartbeat`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HeartbeatInput {
    /// Usage since the last heartbeat: `tokensUsed`, `costCents`, `latencyMs` (non-negative
    /// integers), `model` (string); other fields are kept as sent.
    pub meta: Option<Map<String, Value>>,
    /// New agent status, applied with `agent:status_changed` when it differs.
    pub status: Option<String>,
}

/// Answer to a heartbeat: the stored heartbeat plus the agent after it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedHeartbeat {
    /// The stored heartbeat (its fields at the top level).
    #[serde(flatten)]
    pub heartbeat: Heartbeat,
    /// The agent after the heartbeat (new `lastHeartbeatAt`, spend, status).
    pub agent: Agent,
}

/// The typed fields of `meta`, checked.
struct KnownMeta {
    tokens_used: Option<i64>,
    cost_cents: Option<i64>,
    model: Option<String>,
    latency_ms: Option<i64>,
}

/// A non-negative integer field of `meta` (`null` counts as absent).
fn meta_count(meta: &Map<String, Value>, key: &str, max: i64) -> Result<Option<i64>, CoreError> {
    match meta.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_i64() {
            Some(n) if (0..=max).contains(&n) => Ok(Some(n)),
            _ => Err(CoreError::invalid(
                format!("meta.{key}"),
                format!("meta.{key} must be an integer between 0 and {max}, got {value}"),
            )),
        },
    }
}

fn check_meta(meta: &Map<String, Value>) -> Result<KnownMeta, CoreError> {
    let model = match meta.get("model") {
        None | Some(Value::Null) => None,
        Some(Value::String(model)) if model.chars().count() <= 200 => Some(model.clone()),
        Some(Value::String(_)) => {
            return Err(CoreError::invalid(
                "meta.model",
                "meta.model must be at most 200 characters",
            ))
        }
        Some(other) => {
            return Err(CoreError::invalid(
                "meta.model",
                format!("meta.model must be a string, got {other}"),
            ))
        }
    };
    Ok(KnownMeta {
        tokens_used: meta_count(meta, "tokensUsed", i64::MAX)?,
        cost_cents: meta_count(meta, "costCents", MAX_CENTS)?,
        model,
        latency_ms: meta_count(meta, "latencyMs", i64::MAX)?,
    })
}

/// Records a heartbeat of agent `agent_id` (inside the caller's write transaction).
pub fn record(
    conn: &mut DbConnection,
    hooks: &mut PendingHooks,
    actor: &str,
    agent_id: &str,
    input: HeartbeatInput,
) -> Result<RecordedHeartbeat, CoreError> {
    let meta = input.meta.unwrap_or_default();
    let known = check_meta(&meta)?;
    let status = input
        .status
        .map(|s| one_of("status", &s, agent::STATUSES))
        .transpose()?;
    let mut row: AgentRow = agent::get_row(conn, agent_id)?;
    let ts = now();
    let meta = Value::Object(meta);
    let heartbeat = HeartbeatRow {
        id: new_id(),
        company_id: row.company_id.clone(),
        agent_id: row.id.clone(),
        tokens_used: known.tokens_used,
        cost_cents: known.cost_cents,
        model: known.model,
        latency_ms: known.latency_ms,
        meta: meta.to_string(),
        created_at: ts,
    };
    diesel::insert_into(heartbeats::table)
        .values(&heartbeat)
        .execute(conn)?;

    let from = row.status.clone();
    row.last_heartbeat_at = Some(ts);
    row.updated_at = ts;
    if let Some(status) = status {
        row.status = status;
    }
    diesel::update(agents::table.find(agent_id))
        .set((
            agents::last_heartbeat_at.eq(ts),
            agents::status.eq(&row.status),
            agents::updated_at.eq(ts),
        ))
        .execute(conn)?;
    activity::record(
        conn,
        &row.company_id,
        actor,
        "agent.heartbeat",
        "agent",
        agent_id,
        &json!({ "heartbeatId": heartbeat.id, "meta": &meta }),
    )?;
    hooks.push(
        Hook::AgentHeartbeat,
        json!({
            "agentId": agent_id, "companyId": row.company_id,
            "timestamp": to_rfc3339(&ts), "meta": meta
        }),
    );
    if from != row.status {
        agent::record_status_change(conn, actor, &row, &from, &row.status, None)?;
        let view = Agent::from(row.clone());
        agent::push_status_changed(hooks, &view, &from, &row.status);
    }

    let agent = match heartbeat.cost_cents {
        Some(cost) if cost > 0 => {
            budget::record_spend(
                conn,
                hooks,
                actor,
                Spend {
                    agent_id,
                    amount_cents: cost,
                    source: "heartbeat",
                    description: heartbeat.model.clone(),
                },
            )?
            .agent
        }
        _ => Agent::from(row),
    };
    Ok(RecordedHeartbeat {
        heartbeat: Heartbeat::from(heartbeat),
        agent,
    })
}

/// Lists an agent's heartbeats, newest first.
pub fn list(
    conn: &mut DbConnection,
    agent_id: &str,
    page: PageRequest,
) -> Result<Page<Heartbeat>, CoreError> {
    let (limit, offset) = page.resolve()?;
    agent::get_row(conn, agent_id)?;
    let total: i64 = heartbeats::table
        .filter(heartbeats::agent_id.eq(agent_id))
        .count()
        .get_result(conn)?;
    let rows: Vec<HeartbeatRow> = heartbeats::table
        .filter(heartbeats::agent_id.eq(agent_id))
        .order((heartbeats::created_at.desc(), heartbeats::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(HeartbeatRow::as_select())
        .load(conn)?;
    Ok(Page::from_rows(rows, total, limit, offset))
}
