//! `GET /summary?companyId=&agentId=&model=&since=&until=`: usage over a window — tokens, cost,
//! heartbeats, average latency — in total, per agent and per model.

use crate::query_params::reject_unknown;
use crate::usage::{Usage, USAGE_COLUMNS};
use crate::usage_filter::{UsageFilter, FILTER_PARAMS};
use crate::Observability;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde::Serialize;

/// The answer of `GET /summary`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The filter as understood (times in RFC 3339).
    pub filter: UsageFilter,
    /// Everything the filter covers.
    pub totals: Usage,
    /// Per agent, most tokens first.
    pub by_agent: Vec<AgentUsage>,
    /// Per model, most tokens first.
    pub by_model: Vec<ModelUsage>,
}

/// One agent's usage.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentUsage {
    /// The agent.
    pub agent_id: String,
    /// Its name, read from the core's `agents` table.
    pub agent_name: Option<String>,
    /// Its usage.
    #[serde(flatten)]
    pub usage: Usage,
}

/// One model's usage.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    /// The model (`unknown` when heartbeats named none).
    pub model: String,
    /// Its usage.
    #[serde(flatten)]
    pub usage: Usage,
}

/// Handles `GET /summary`.
pub fn get_summary(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    reject_unknown(req, &FILTER_PARAMS)?;
    let filter = UsageFilter::from_request(req)?;
    let mut params = Vec::new();
    // Only fixed fragments and `$n` placeholders are formatted into the SQL; values are params.
    let where_clause = filter.where_clause(&mut params);

    // Reading the core's `agents` table is allowed; writing it is not.
    let agent_rows = ctx.db().query(
        &format!(
            "SELECT m.agent_id, a.name AS agent_name, {USAGE_COLUMNS} \
             FROM mod_observability_token_metrics m LEFT JOIN agents a ON a.id = m.agent_id \
             {where_clause} GROUP BY m.agent_id, a.name"
        ),
        &params,
    )?;
    let mut by_agent = agent_rows
        .iter()
        .map(|row| {
            Ok(AgentUsage {
                agent_id: row.get("agent_id")?,
                agent_name: row.get("agent_name")?,
                usage: Usage::from_row(row)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    by_agent.sort_by(|a, b| (b.usage.tokens, &a.agent_id).cmp(&(a.usage.tokens, &b.agent_id)));

    let model_rows = ctx.db().query(
        &format!(
            "SELECT m.model, {USAGE_COLUMNS} FROM mod_observability_token_metrics m \
             {where_clause} GROUP BY m.model"
        ),
        &params,
    )?;
    let mut by_model = model_rows
        .iter()
        .map(|row| {
            Ok(ModelUsage {
                model: row.get("model")?,
                usage: Usage::from_row(row)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    by_model.sort_by(|a, b| (b.usage.tokens, &a.model).cmp(&(a.usage.tokens, &b.model)));

    let mut totals = Usage::default();
    for agent in &by_agent {
        totals.add(&agent.usage);
    }
    Ok(Response::ok(&Summary {
        filter,
        totals,
        by_agent,
        by_model,
    }))
}
