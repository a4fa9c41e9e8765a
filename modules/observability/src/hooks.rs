//! Hook handlers: what the module records when the core emits an event.
//!
//! Hooks arrive after the core's commit, on the host's worker thread for this module, and never
//! hold up the request that caused them — but a handler slower than the rate of events makes
//! the host drop events, so the frequent ones (heartbeats, spend) only queue a row in memory.
//! Each handler is a plain function with the signature `Registrar::on` expects; the payload
//! type (`AgentHeartbeat`, …) selects the hook.

use crate::clock;
use crate::ingest_buffer::{MetricRow, SpendRow};
use crate::Observability;
use module_sdk::{
    params, AgentCreated, AgentHeartbeat, BudgetSpendRecorded, BudgetThresholdCrossed, Error,
    IssueStatusChanged, ModuleContext, Result,
};

/// The model recorded when a heartbeat names none.
pub const UNKNOWN_MODEL: &str = "unknown";

/// `agent:heartbeat`: a heartbeat that reports `tokensUsed` becomes one metrics row (and counts
/// toward the running totals). Heartbeats without `tokensUsed` report no usage and are skipped.
/// The row is queued in the [`crate::ingest_buffer`] and written with the next batch.
pub fn on_heartbeat(m: &Observability, ctx: &ModuleContext, beat: AgentHeartbeat) -> Result<()> {
    let Some(tokens) = beat.meta.tokens_used else {
        return Ok(());
    };
    let Some(company_id) = m.agents.company_of(ctx, &beat.agent_id)? else {
        return Ok(());
    };
    let row = MetricRow {
        id: uuid::Uuid::now_v7().to_string(),
        company_id,
        tokens_used: i64::try_from(tokens)
            .map_err(|_| Error::bad_request(format!("tokensUsed {tokens} is out of range")))?,
        cost_cents: beat.meta.cost_cents.unwrap_or(0),
        model: match beat.meta.model {
            Some(model) if !model.trim().is_empty() => model,
            _ => UNKNOWN_MODEL.to_owned(),
        },
        latency_ms: beat
            .meta
            .latency_ms
            .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX)),
        recorded_at: clock::parse_rfc3339(&beat.timestamp)?,
        agent_id: beat.agent_id,
    };
    m.buffer.push_metric(ctx, row)
}

/// `budget:spend_recorded`: every spend, whatever its source, for the burn rate. Queued like
/// heartbeats: each heartbeat with a cost brings one of these.
pub fn on_spend_recorded(
    m: &Observability,
    ctx: &ModuleContext,
    spend: BudgetSpendRecorded,
) -> Result<()> {
    let Some(company_id) = m.agents.company_of(ctx, &spend.agent_id)? else {
        return Ok(());
    };
    let row = SpendRow {
        id: uuid::Uuid::now_v7().to_string(),
        company_id,
        agent_id: spend.agent_id,
        amount_cents: spend.amount,
        total_cents: spend.total,
        recorded_at: clock::now_ms(),
    };
    m.buffer.push_spend(ctx, row)
}

/// `budget:threshold_crossed`: kept so the burn rate can show which thresholds an agent crossed.
/// Rare (three per agent and month at most), so written at once.
pub fn on_threshold_crossed(
    m: &Observability,
    ctx: &ModuleContext,
    crossed: BudgetThresholdCrossed,
) -> Result<()> {
    let Some(company_id) = m.agents.company_of(ctx, &crossed.agent_id)? else {
        return Ok(());
    };
    ctx.db().execute(
        "INSERT INTO mod_observability_threshold_crossings \
         (id, agent_id, company_id, budget_cents, spent_cents, percent, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![
            uuid::Uuid::now_v7().to_string(),
            crossed.agent_id,
            company_id,
            crossed.budget,
            crossed.spent,
            crossed.percent,
            clock::now_ms(),
        ],
    )?;
    Ok(())
}

/// `agent:created`: remembers the new agent's company, so its heartbeats need no core lookup.
/// Nothing is written: the core's `agents` table already is the record of agents.
pub fn on_agent_created(
    m: &Observability,
    _ctx: &ModuleContext,
    created: AgentCreated,
) -> Result<()> {
    m.agents
        .remember(&created.agent.id, &created.agent.company_id);
    Ok(())
}

/// `issue:status_changed`: counts transitions into each status per company (issues reaching
/// `done` are the throughput the token spend buys), exported as a Prometheus counter.
pub fn on_issue_status_changed(
    _m: &Observability,
    ctx: &ModuleContext,
    changed: IssueStatusChanged,
) -> Result<()> {
    ctx.db().execute(
        "INSERT INTO mod_observability_issue_status_counts (company_id, status, transitions) \
         VALUES ($1, $2, 1) \
         ON CONFLICT (company_id, status) DO UPDATE SET \
         transitions = mod_observability_issue_status_counts.transitions + 1",
        &params![changed.issue.company_id, changed.to],
    )?;
    Ok(())
}
