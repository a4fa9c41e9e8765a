//! The ingest buffer: heartbeat metrics and spend events are collected in memory by the hook
//! handlers and written in batches — one transaction every [`FLUSH_INTERVAL`] by the `flush`
//! service, and whatever is left when the module shuts down.
//!
//! Why not one `INSERT` per hook? Heartbeats arrive at the rate agents report (thousands per
//! second under load), each with a spend event. One guarded statement and one transaction per
//! event would compete with the core for the database's write lock (SQLite has one) and fall
//! behind; the host then drops hook events. A batch costs one transaction for hundreds of rows.
//! The price is that a row appears up to one flush interval after its hook.
//!
//! A batch that fails as a whole (say an agent was deleted between its heartbeat and the flush,
//! so its row breaks the foreign key) is retried row by row, so one bad row loses only itself.

use crate::clock;
use module_sdk::{params, ModuleContext, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::mem;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How often the `flush` service writes the buffer.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// A hook that finds this many rows waiting flushes them itself, so memory stays bounded even
/// if the service falls behind.
const MAX_PENDING: usize = 5_000;
/// Rows per `INSERT` statement (9 parameters each stays far below both backends' limits).
const ROWS_PER_STATEMENT: usize = 200;

/// One heartbeat's usage, as stored in `mod_observability_token_metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// Row id.
    pub id: String,
    /// The agent.
    pub agent_id: String,
    /// Its company.
    pub company_id: String,
    /// `meta.tokensUsed`.
    pub tokens_used: i64,
    /// `meta.costCents`, 0 when absent.
    pub cost_cents: i64,
    /// `meta.model`, `unknown` when absent.
    pub model: String,
    /// `meta.latencyMs`.
    pub latency_ms: Option<i64>,
    /// The heartbeat's time (Unix ms).
    pub recorded_at: i64,
}

/// One spend, as stored in `mod_observability_spend_events`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpendRow {
    /// Row id.
    pub id: String,
    /// The agent.
    pub agent_id: String,
    /// Its company.
    pub company_id: String,
    /// This spend, in cents.
    pub amount_cents: i64,
    /// The agent's month-to-date spend after it.
    pub total_cents: i64,
    /// When the hook handler saw it (Unix ms).
    pub recorded_at: i64,
}

#[derive(Default)]
struct Pending {
    metrics: Vec<MetricRow>,
    spends: Vec<SpendRow>,
}

impl Pending {
    fn len(&self) -> usize {
        self.metrics.len() + self.spends.len()
    }
}

/// Rows waiting to be written.
#[derive(Default)]
pub struct IngestBuffer {
    pending: Mutex<Pending>,
    /// Held while writing, so the service and a hook never flush at the same time.
    writing: Mutex<()>,
}

impl IngestBuffer {
    /// Queues a metrics row (flushing first if too much is waiting).
    pub fn push_metric(&self, ctx: &ModuleContext, row: MetricRow) -> Result<()> {
        let waiting = {
            let mut pending = lock(&self.pending);
            pending.metrics.push(row);
            pending.len()
        };
        self.flush_if_full(ctx, waiting)
    }

    /// Queues a spend event (flushing first if too much is waiting).
    pub fn push_spend(&self, ctx: &ModuleContext, row: SpendRow) -> Result<()> {
        let waiting = {
            let mut pending = lock(&self.pending);
            pending.spends.push(row);
            pending.len()
        };
        self.flush_if_full(ctx, waiting)
    }

    fn flush_if_full(&self, ctx: &ModuleContext, waiting: usize) -> Result<()> {
        if waiting >= MAX_PENDING {
            self.flush(ctx);
        }
        Ok(())
    }

    /// Writes everything waiting and returns how many rows were written. Rows that cannot be
    /// written even one by one are logged and dropped, so a bad row never blocks the rest.
    pub fn flush(&self, ctx: &ModuleContext) -> usize {
        let _writing = lock(&self.writing);
        let Pending { metrics, spends } = mem::take(&mut *lock(&self.pending));
        if metrics.is_empty() && spends.is_empty() {
            return 0;
        }
        let written_at = clock::now_ms();
        let batch = ctx.db().transaction(|tx| {
            insert_metrics(tx, &metrics, written_at)?;
            add_to_totals(tx, &metrics)?;
            insert_spends(tx, &spends)
        });
        match batch {
            Ok(()) => metrics.len() + spends.len(),
            Err(e) => {
                ctx.log().warn(format!(
                    "writing {} rows at once failed ({e}); retrying them one by one",
                    metrics.len() + spends.len()
                ));
                write_one_by_one(ctx, &metrics, &spends, written_at)
            }
        }
    }
}

/// The fallback after a failed batch: each row in its own transaction.
fn write_one_by_one(
    ctx: &ModuleContext,
    metrics: &[MetricRow],
    spends: &[SpendRow],
    written_at: i64,
) -> usize {
    let mut written = 0;
    for row in metrics {
        let one = std::slice::from_ref(row);
        match ctx.db().transaction(|tx| {
            insert_metrics(tx, one, written_at)?;
            add_to_totals(tx, one)
        }) {
            Ok(()) => written += 1,
            Err(e) => ctx.log().warn(format!(
                "dropped the heartbeat metric of agent {}: {e}",
                row.agent_id
            )),
        }
    }
    for row in spends {
        match ctx
            .db()
            .transaction(|tx| insert_spends(tx, std::slice::from_ref(row)))
        {
            Ok(()) => written += 1,
            Err(e) => ctx.log().warn(format!(
                "dropped the spend event of agent {}: {e}",
                row.agent_id
            )),
        }
    }
    written
}

/// `INSERT INTO table (columns) VALUES (…), (…)` for `rows`, `ROWS_PER_STATEMENT` at a time.
/// Only the `$n` placeholders are generated; every value is a parameter.
fn insert_rows(
    db: &module_sdk::Db<'_>,
    table_and_columns: &str,
    rows: Vec<Vec<Value>>,
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut params = Vec::new();
        let tuples: Vec<String> = chunk
            .iter()
            .map(|row| {
                let placeholders: Vec<String> = row
                    .iter()
                    .map(|value| {
                        params.push(value.clone());
                        format!("${}", params.len())
                    })
                    .collect();
                format!("({})", placeholders.join(", "))
            })
            .collect();
        db.execute(
            &format!(
                "INSERT INTO {table_and_columns} VALUES {}",
                tuples.join(", ")
            ),
            &params,
        )?;
    }
    Ok(())
}

/// Inserts metric rows; `ingested_at` is `written_at`, when their batch was written, so
/// `ingested_at - recorded_at` is how long a heartbeat took to show up.
fn insert_metrics(db: &module_sdk::Db<'_>, rows: &[MetricRow], written_at: i64) -> Result<()> {
    insert_rows(
        db,
        "mod_observability_token_metrics (id, agent_id, company_id, tokens_used, cost_cents, \
         model, latency_ms, recorded_at, ingested_at)",
        rows.iter()
            .map(|r| {
                params![
                    r.id,
                    r.agent_id,
                    r.company_id,
                    r.tokens_used,
                    r.cost_cents,
                    r.model,
                    r.latency_ms,
                    r.recorded_at,
                    written_at,
                ]
            })
            .collect(),
    )
}

fn insert_spends(db: &module_sdk::Db<'_>, rows: &[SpendRow]) -> Result<()> {
    insert_rows(
        db,
        "mod_observability_spend_events (id, agent_id, company_id, amount_cents, total_cents, \
         recorded_at)",
        rows.iter()
            .map(|r| {
                params![
                    r.id,
                    r.agent_id,
                    r.company_id,
                    r.amount_cents,
                    r.total_cents,
                    r.recorded_at,
                ]
            })
            .collect(),
    )
}

/// Sums of one agent and model within a batch.
#[derive(Default)]
struct Totals {
    tokens: i64,
    cost_cents: i64,
    heartbeats: i64,
    latency_sum: i64,
    latency_count: i64,
}

/// Adds the batch to the running totals behind the Prometheus counters: one upsert per agent
/// and model, so the counters move exactly with the rows written in the same transaction.
fn add_to_totals(db: &module_sdk::Db<'_>, rows: &[MetricRow]) -> Result<()> {
    let mut totals: BTreeMap<(&str, &str), Totals> = BTreeMap::new();
    for row in rows {
        let t = totals.entry((&row.agent_id, &row.model)).or_default();
        t.tokens = t.tokens.saturating_add(row.tokens_used);
        t.cost_cents = t.cost_cents.saturating_add(row.cost_cents);
        t.heartbeats += 1;
        if let Some(ms) = row.latency_ms {
            t.latency_sum = t.latency_sum.saturating_add(ms);
            t.latency_count += 1;
        }
    }
    for ((agent_id, model), t) in totals {
        // `ON CONFLICT … DO UPDATE` (an upsert) reads the same on SQLite and PostgreSQL;
        // `excluded` is the row that was about to be inserted.
        db.execute(
            "INSERT INTO mod_observability_usage_totals \
             (agent_id, model, tokens_total, cost_cents_total, heartbeats_total, latency_ms_sum, latency_count) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (agent_id, model) DO UPDATE SET \
             tokens_total = mod_observability_usage_totals.tokens_total + excluded.tokens_total, \
             cost_cents_total = mod_observability_usage_totals.cost_cents_total + excluded.cost_cents_total, \
             heartbeats_total = mod_observability_usage_totals.heartbeats_total + excluded.heartbeats_total, \
             latency_ms_sum = mod_observability_usage_totals.latency_ms_sum + excluded.latency_ms_sum, \
             latency_count = mod_observability_usage_totals.latency_count + excluded.latency_count",
            &params![
                agent_id,
                model,
                t.tokens,
                t.cost_cents,
                t.heartbeats,
                t.latency_sum,
                t.latency_count
            ],
        )?;
    }
    Ok(())
}

/// Locks a mutex; the data stays usable if a holder panicked (every change is one push/take).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
