//! Hook handlers: what the module records when the core emits an event.
//!
//! Hooks arrive after the core's commit, on the host's worker thread for this module, and never
//! hold up the request that caused them. Each handler is a plain function with the signature
//! `Registrar::on` expects; the payload type (`AgentHeartbeat`, …) selects the hook.

use crate::clock;
use crate::Observability;
use module_sdk::{
    params, AgentCreated, AgentHeartbeat, BudgetSpendRecorded, BudgetThresholdCrossed, Error,
    IssueStatusChanged, ModuleContext, Result,
};

/// The model recorded when a heartbeat names none.
pub const UNKNOWN_MODEL: &str = "unknown";

/// `agent:heartbeat`: a heartbeat that reports `tokensUsed` becomes one metrics row and is added
/// to the running totals, in one transaction so the two never disagree. Heartbeats without
/// `tokensUsed` report no usage and are skipped.
pub fn on_heartbeat(m: &Observability, ctx: &ModuleContext, beat: AgentHeartbeat) -> Result<()> {
    let Some(tokens) = beat.meta.tokens_used else {
        return Ok(());
    };
    let tokens = i64::try_from(tokens)
        .map_err(|_| Error::bad_request(format!("tokensUsed {tokens} is out of range")))?;
    let company_id = m.agents.company_of(ctx, &beat.agent_id)?;
    let recorded_at = clock::parse_rfc3339(&beat.timestamp)?;
    let cost_cents = beat.meta.cost_cents.unwrap_or(0);
    let model = match beat.meta.model {
        Some(model) if !model.trim().is_empty() => model,
        _ => UNKNOWN_MODEL.to_owned(),
    };
    let latency_ms = beat
        .meta
        .latency_ms
        .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX));

    ctx.db().transaction(|tx| {
        tx.execute(
            "INSERT INTO mod_observability_token_metrics \
             (id, agent_id, company_id, tokens_used, cost_cents, model, latency_ms, recorded_at, ingested_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &params![
                uuid::Uuid::new_v4().to_string(),
                beat.agent_id,
                company_id,
                tokens,
                cost_cents,
                model,
                latency_ms,
                recorded_at,
                clock::now_ms(),
            ],
        )?;
        // `ON CONFLICT … DO UPDATE` (an upsert) reads the same on SQLite and PostgreSQL;
        // `excluded` is the row that was about to be inserted.
        tx.execute(
            "INSERT INTO mod_observability_usage_totals \
             (agent_id, model, tokens_total, cost_cents_total, heartbeats_total, latency_ms_sum, latency_count) \
             VALUES ($1, $2, $3, $4, 1, $5, $6) \
             ON CONFLICT (agent_id, model) DO UPDATE SET \
             tokens_total = mod_observability_usage_totals.tokens_total + excluded.tokens_total, \
             cost_cents_total = mod_observability_usage_totals.cost_cents_total + excluded.cost_cents_total, \
             heartbeats_total = mod_observability_usage_totals.heartbeats_total + 1, \
             latency_ms_sum = mod_observability_usage_totals.latency_ms_sum + excluded.latency_ms_sum, \
             latency_count = mod_observability_usage_totals.latency_count + excluded.latency_count",
            &params![
                beat.agent_id,
                model,
                tokens,
                cost_cents,
                latency_ms.unwrap_or(0),
                i64::from(latency_ms.is_some()),
            ],
        )?;
        Ok(())
    })
}

/// `budget:spend_recorded`: every spend, whatever its source, for the burn rate.
pub fn on_spend_recorded(
    m: &Observability,
    ctx: &ModuleContext,
    spend: BudgetSpendRecorded,
) -> Result<()> {
    let company_id = m.agents.company_of(ctx, &spend.agent_id)?;
    ctx.db().execute(
        "INSERT INTO mod_observability_spend_events \
         (id, agent_id, company_id, amount_cents, total_cents, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &params![
            uuid::Uuid::new_v4().to_string(),
            spend.agent_id,
            company_id,
            spend.amount,
            spend.total,
            clock::now_ms(),
        ],
    )?;
    Ok(())
}

/// `budget:threshold_crossed`: kept so the burn rate can show which thresholds an agent crossed.
pub fn on_threshold_crossed(
    m: &Observability,
    ctx: &ModuleContext,
    crossed: BudgetThresholdCrossed,
) -> Result<()> {
    let company_id = m.agents.company_of(ctx, &crossed.agent_id)?;
    ctx.db().execute(
        "INSERT INTO mod_observability_threshold_crossings \
         (id, agent_id, company_id, budget_cents, spent_cents, percent, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![
            uuid::Uuid::new_v4().to_string(),
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
