//! Hook handlers: what the module records when the core emits an event.
//!
//! Hooks arrive after the core's commit, on the host's worker thread for this module, and never
//! hold up the request that caused them. The host delivers them from its outbox in batches (the
//! events that queued up for the module, in emit order) and at least once: a handler's error
//! makes the host retry the batch's events one by one, then keep them as dead letters.
//!
//! The frequent events (heartbeats, spend, and the rare threshold crossings the core emits
//! beside them) share one batch handler, [`on_usage_events`], because the core emits
//! `agent:heartbeat` and `budget:spend_recorded` in turn: a handler per hook would get batches
//! of one. Each batch becomes one transaction ([`crate::ingest`]), with the events' `eventId`s
//! as row ids so a redelivery writes nothing twice.

use crate::agent_directory::AgentDirectory;
use crate::clock;
use crate::ingest::{self, Batch, CrossingRow, MetricRow, SpendRow};
use crate::Observability;
use module_sdk::{
    params, AgentCreated, AgentHeartbeat, BudgetSpendRecorded, BudgetThresholdCrossed, Error, Hook,
    HookPayload, IssueStatusChanged, ModuleContext, Result,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;

/// The model recorded when a heartbeat names none.
pub const UNKNOWN_MODEL: &str = "unknown";

/// The hooks [`on_usage_events`] handles, in one batch handler.
pub const USAGE_HOOKS: [Hook; 3] = [
    Hook::AgentHeartbeat,
    Hook::BudgetSpendRecorded,
    Hook::BudgetThresholdCrossed,
];

/// `agent:heartbeat`, `budget:spend_recorded` and `budget:threshold_crossed`, a batch at a time:
///
/// - a heartbeat that reports `tokensUsed` becomes one metrics row (and counts toward the
///   running totals); heartbeats without `tokensUsed` report no usage and are skipped;
/// - every spend, whatever its source, becomes a spend event, for the burn rate;
/// - a threshold crossing (80, 90, 100 % of a budget) is kept so the burn rate can show it.
///
/// Events of agents deleted before delivery are skipped. All rows are written in one
/// transaction; then the call waits out the rest of [`crate::ingest::MIN_WRITE_INTERVAL`], so
/// that under load the next batch is larger (see [`crate::ingest::pace`]).
pub fn on_usage_events(
    m: &Observability,
    ctx: &ModuleContext,
    events: Vec<(Hook, Value)>,
) -> Result<()> {
    let started = Instant::now();
    let count = events.len();
    let mut batch = Batch::default();
    let handled_at = clock::now_ms();
    for (hook, payload) in events {
        match hook {
            Hook::AgentHeartbeat => {
                let (id, beat) = parse::<AgentHeartbeat>(payload)?;
                if let Some(row) = metric_row(&m.agents, ctx, id, beat)? {
                    batch.metrics.push(row);
                }
            }
            Hook::BudgetSpendRecorded => {
                let (id, spend) = parse::<BudgetSpendRecorded>(payload)?;
                if let Some(company_id) = m.agents.company_of(ctx, &spend.agent_id)? {
                    batch.spends.push(SpendRow {
                        id,
                        company_id,
                        agent_id: spend.agent_id,
                        amount_cents: spend.amount,
                        total_cents: spend.total,
                        recorded_at: handled_at,
                    });
                }
            }
            Hook::BudgetThresholdCrossed => {
                let (id, crossed) = parse::<BudgetThresholdCrossed>(payload)?;
                if let Some(company_id) = m.agents.company_of(ctx, &crossed.agent_id)? {
                    batch.crossings.push(CrossingRow {
                        id,
                        company_id,
                        agent_id: crossed.agent_id,
                        budget_cents: crossed.budget,
                        spent_cents: crossed.spent,
                        percent: crossed.percent,
                        recorded_at: handled_at,
                    });
                }
            }
            other => return Err(Error::bad_request(format!("`{other}` is not a usage hook"))),
        }
    }
    ingest::write(ctx, &batch)?;
    ingest::pace(started, count);
    Ok(())
}

/// The metrics row of a heartbeat, `None` when it reports no usage or its agent is gone.
fn metric_row(
    agents: &AgentDirectory,
    ctx: &ModuleContext,
    id: String,
    beat: AgentHeartbeat,
) -> Result<Option<MetricRow>> {
    let Some(tokens) = beat.meta.tokens_used else {
        return Ok(None);
    };
    let Some(company_id) = agents.company_of(ctx, &beat.agent_id)? else {
        return Ok(None);
    };
    Ok(Some(MetricRow {
        id,
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
    }))
}

/// The row id of an event and its typed payload. The id is the payload's `eventId`, the same on
/// every delivery of the event; a payload without one (an older core) gets a fresh id.
fn parse<P: HookPayload>(payload: Value) -> Result<(String, P)> {
    let id = match payload.get("eventId").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => uuid::Uuid::now_v7().to_string(),
    };
    let parsed = serde_json::from_value(payload)
        .map_err(|e| Error::bad_request(format!("invalid `{}` payload: {e}", P::HOOK)))?;
    Ok((id, parsed))
}

/// `agent:created`: remembers the new agent's company, so its heartbeats need no core lookup.
/// Nothing is written: the core's `agents` table already is the record of agents.
pub fn on_agents_created(
    m: &Observability,
    _ctx: &ModuleContext,
    created: Vec<AgentCreated>,
) -> Result<()> {
    for created in created {
        m.agents
            .remember(&created.agent.id, &created.agent.company_id);
    }
    Ok(())
}

/// `issue:status_changed`: counts transitions into each status per company (issues reaching
/// `done` are the throughput the token spend buys), exported as a Prometheus counter. In one
/// transaction: the batch's `eventId`s are inserted into `mod_observability_issue_status_events`
/// first (a write first: on SQLite the transaction holds the write lock from its first statement),
/// and only the events that were not there yet are added, one upsert per company and status — an
/// event delivered again after a crash is not counted twice.
pub fn on_issue_status_changes(
    _m: &Observability,
    ctx: &ModuleContext,
    events: Vec<(Hook, Value)>,
) -> Result<()> {
    let mut changes = Vec::with_capacity(events.len());
    for (_, payload) in events {
        let (id, changed) = parse::<IssueStatusChanged>(payload)?;
        changes.push((id, changed.issue.company_id, changed.to));
    }
    let now = clock::now_ms();
    ctx.db().transaction(|tx| {
        let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (id, company_id, status) in changes {
            let new = tx.execute(
                "INSERT INTO mod_observability_issue_status_events (event_id, recorded_at) \
                 VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING",
                &params![id, now],
            )?;
            if new > 0 {
                *counts.entry((company_id, status)).or_default() += 1;
            }
        }
        for ((company_id, status), transitions) in &counts {
            tx.execute(
                "INSERT INTO mod_observability_issue_status_counts \
                 (company_id, status, transitions) VALUES ($1, $2, $3) \
                 ON CONFLICT (company_id, status) DO UPDATE SET \
                 transitions = mod_observability_issue_status_counts.transitions \
                 + excluded.transitions",
                &params![company_id, status, transitions],
            )?;
        }
        Ok(())
    })
}
