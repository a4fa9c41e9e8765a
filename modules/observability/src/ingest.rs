//! Writing the rows of a batch of hook events: heartbeat metrics, spend events and threshold
//! crossings, in one transaction with multi-row `INSERT`s.
//!
//! Why batches? Heartbeats arrive at the rate agents report (thousands per second under load),
//! each with a spend event. One transaction per event would compete with the core for the
//! database's write lock (SQLite has one) and fall behind. The host hands the module the events
//! that queued up for it (up to 256 per call) and the module writes them at once; a quiet server
//! gets batches of one, so a row shows up as soon as its hook is delivered.
//!
//! Delivery is at least once: after a crash, or when a batch failed and the host retries its
//! events one by one, an event may come again. Every row's id is the event's `eventId` (stable
//! across redeliveries), rows are inserted with `ON CONFLICT (id) DO NOTHING`, and the running
//! totals only count the metric rows that were new, so a redelivery changes nothing. Which rows
//! are new is read before the transaction: on SQLite a transaction that reads first and then
//! writes fails at once ("database is locked") when another connection wrote in between,
//! while one that writes first waits for the lock; and no other write of these ids can come
//! in between, since the host hands a module one hook call at a time. (An event
//! redelivered after retention pruned its row would be recorded again; retention keeps rows for
//! days, redeliveries come within seconds unless a dead letter is replayed.)
//!
//! A batch that fails as a whole (say an agent was deleted after its heartbeat, so its row
//! breaks the foreign key) is written again row by row, so one bad row loses only itself: a row
//! whose agent no longer exists is logged and skipped (its rows would be deleted with the agent
//! anyway); any other failure fails the batch, and the host retries its events.

use crate::clock;
use module_sdk::{params, Db, Error, ModuleContext, Result};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// The conflict clause of row inserts: a row whose id (the event's `eventId`) is there already
/// was written by an earlier delivery of the same event.
const NEW_ROWS_ONLY: &str = "ON CONFLICT (id) DO NOTHING";

/// Rows per `INSERT` statement (9 parameters each stays far below both backends' limits).
const ROWS_PER_STATEMENT: usize = 200;

/// Least time from the start of one batch write to the next (see [`pace`]). Measured with the
/// `observability_ingest` bench: 20 ms still cost the core a few percent more on both backends,
/// 40 ms brought the hook-to-row p99 on PostgreSQL close to 50 ms; 30 ms is between.
pub const MIN_WRITE_INTERVAL: Duration = Duration::from_millis(30);

/// The most events the host hands a module in one call: a batch this large means events are
/// waiting, so the next one is not held back.
const HOST_MAX_BATCH: usize = 256;

/// Holds the hook call that wrote a batch of `events`, started at `started`, until
/// [`MIN_WRITE_INTERVAL`] is over, so batch writes are at least that far apart. Under load the
/// host hands the module whatever queued up while its previous call ran, so a call that returns
/// at once after a few rows gets a batch of a few events next time: one transaction per
/// heartbeat, each taking SQLite's only write lock away from the core. Holding the call lets the
/// next batch gather the events of the whole interval (one transaction for dozens of heartbeats
/// at thousands per second). A row still shows up at most about one interval (plus a write)
/// after its hook, and the first event after a quiet spell is written at once. A batch as large
/// as the host makes them means a backlog: no wait then.
pub fn pace(started: Instant, events: usize) {
    if events >= HOST_MAX_BATCH {
        return;
    }
    let elapsed = started.elapsed();
    if elapsed < MIN_WRITE_INTERVAL {
        std::thread::sleep(MIN_WRITE_INTERVAL - elapsed);
    }
}

/// One heartbeat's usage, as stored in `mod_observability_token_metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    /// Row id: the heartbeat event's `eventId`.
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
    /// Row id: the spend event's `eventId`.
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

/// One budget threshold crossed, as stored in `mod_observability_threshold_crossings`.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossingRow {
    /// Row id: the event's `eventId`.
    pub id: String,
    /// The agent.
    pub agent_id: String,
    /// Its company.
    pub company_id: String,
    /// Monthly budget, in cents.
    pub budget_cents: i64,
    /// Spend this month, in cents.
    pub spent_cents: i64,
    /// The threshold: 80, 90 or 100.
    pub percent: f64,
    /// When the hook handler saw it (Unix ms).
    pub recorded_at: i64,
}

/// The rows of one batch of hook events.
#[derive(Debug, Default)]
pub struct Batch {
    /// Heartbeat metrics.
    pub metrics: Vec<MetricRow>,
    /// Spend events.
    pub spends: Vec<SpendRow>,
    /// Threshold crossings.
    pub crossings: Vec<CrossingRow>,
}

impl Batch {
    /// How many rows it holds.
    pub fn len(&self) -> usize {
        self.metrics.len() + self.spends.len() + self.crossings.len()
    }

    /// Whether it holds no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Writes `batch` in one transaction; if that fails, row by row (see the module docs). `Err`
/// only when a row whose agent still exists could not be written.
pub fn write(ctx: &ModuleContext, batch: &Batch) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = batch.metrics.iter().map(|r| r.id.as_str()).collect();
    let known = existing_ids(&ctx.db(), "mod_observability_token_metrics", &ids)?;
    let written_at = clock::now_ms();
    let at_once = ctx.db().transaction(|tx| {
        insert_metrics(tx, &batch.metrics, &known, written_at)?;
        insert_spends(tx, &batch.spends)?;
        insert_crossings(tx, &batch.crossings)
    });
    match at_once {
        Ok(()) => Ok(()),
        Err(e) if batch.len() == 1 => settle_row_error(ctx, row_agents(batch).next(), e),
        Err(e) => {
            ctx.log().warn(format!(
                "writing {} rows at once failed ({e}); writing them one by one",
                batch.len()
            ));
            write_one_by_one(ctx, batch, &known, written_at)
        }
    }
}

/// The agents of `batch`'s rows, in order.
fn row_agents(batch: &Batch) -> impl Iterator<Item = &str> {
    batch
        .metrics
        .iter()
        .map(|r| r.agent_id.as_str())
        .chain(batch.spends.iter().map(|r| r.agent_id.as_str()))
        .chain(batch.crossings.iter().map(|r| r.agent_id.as_str()))
}

/// The fallback after a failed batch: each row in its own transaction. Returns the first
/// failure that was not a deleted agent's, after trying every row.
fn write_one_by_one(
    ctx: &ModuleContext,
    batch: &Batch,
    known: &HashSet<String>,
    written_at: i64,
) -> Result<()> {
    let mut first_error = None;
    let mut settle = |agent_id: &str, written: Result<()>| {
        if let Err(e) = written.or_else(|e| settle_row_error(ctx, Some(agent_id), e)) {
            first_error.get_or_insert(e);
        }
    };
    for row in &batch.metrics {
        let written = ctx
            .db()
            .transaction(|tx| insert_metrics(tx, std::slice::from_ref(row), known, written_at));
        settle(&row.agent_id, written);
    }
    for row in &batch.spends {
        let written = ctx
            .db()
            .transaction(|tx| insert_spends(tx, std::slice::from_ref(row)));
        settle(&row.agent_id, written);
    }
    for row in &batch.crossings {
        let written = ctx
            .db()
            .transaction(|tx| insert_crossings(tx, std::slice::from_ref(row)));
        settle(&row.agent_id, written);
    }
    first_error.map_or(Ok(()), Err)
}

/// A row of `agent_id` could not be written: skipped (`Ok`) when the agent no longer exists,
/// else the error, for the host to retry the event.
fn settle_row_error(ctx: &ModuleContext, agent_id: Option<&str>, error: Error) -> Result<()> {
    let Some(agent_id) = agent_id else {
        return Err(error);
    };
    match ctx.core().agent(agent_id) {
        Ok(None) => {
            ctx.log().info(format!(
                "skipped a row of agent {agent_id}: the agent was deleted ({error})"
            ));
            Ok(())
        }
        _ => Err(error),
    }
}

/// `INSERT INTO table (columns) VALUES (…), (…) <on_conflict>` for `rows`, `ROWS_PER_STATEMENT`
/// at a time. Only the `$n` placeholders are generated; every value is a parameter.
fn insert_rows(
    db: &Db<'_>,
    table_and_columns: &str,
    rows: Vec<Vec<Value>>,
    on_conflict: &str,
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
                "INSERT INTO {table_and_columns} VALUES {} {on_conflict}",
                tuples.join(", ")
            ),
            &params,
        )?;
    }
    Ok(())
}

/// The ids among `ids` that `table` already holds (rows of events delivered before).
fn existing_ids(db: &Db<'_>, table: &str, ids: &[&str]) -> Result<HashSet<String>> {
    let mut existing = HashSet::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let params: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
        for row in db.query(
            &format!(
                "SELECT id FROM {table} WHERE id IN ({})",
                placeholders.join(", ")
            ),
            &params,
        )? {
            existing.insert(row.get::<String>("id")?);
        }
    }
    Ok(existing)
}

/// Inserts the metric rows whose ids are not `known` (written before) and adds them to the
/// running totals, in the caller's transaction. `ingested_at` is `written_at`, when their batch
/// was written, so `ingested_at - recorded_at` is how long a heartbeat took to show up.
fn insert_metrics(
    db: &Db<'_>,
    rows: &[MetricRow],
    known: &HashSet<String>,
    written_at: i64,
) -> Result<()> {
    // New rows only (a repeated id within the batch counts once).
    let mut seen = HashSet::new();
    let new: Vec<&MetricRow> = rows
        .iter()
        .filter(|r| !known.contains(&r.id) && seen.insert(r.id.as_str()))
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    insert_rows(
        db,
        "mod_observability_token_metrics (id, agent_id, company_id, tokens_used, cost_cents, \
         model, latency_ms, recorded_at, ingested_at)",
        new.iter()
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
        NEW_ROWS_ONLY,
    )?;
    add_to_totals(db, &new)
}

fn insert_spends(db: &Db<'_>, rows: &[SpendRow]) -> Result<()> {
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
        NEW_ROWS_ONLY,
    )
}

fn insert_crossings(db: &Db<'_>, rows: &[CrossingRow]) -> Result<()> {
    insert_rows(
        db,
        "mod_observability_threshold_crossings (id, agent_id, company_id, budget_cents, \
         spent_cents, percent, recorded_at)",
        rows.iter()
            .map(|r| {
                params![
                    r.id,
                    r.agent_id,
                    r.company_id,
                    r.budget_cents,
                    r.spent_cents,
                    r.percent,
                    r.recorded_at,
                ]
            })
            .collect(),
        NEW_ROWS_ONLY,
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

/// Adds new metric rows to the running totals behind the Prometheus counters (a row per agent
/// and model), so the counters move exactly with the rows written in the same transaction.
fn add_to_totals(db: &Db<'_>, rows: &[&MetricRow]) -> Result<()> {
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
    // One multi-row upsert (`ON CONFLICT … DO UPDATE` reads the same on SQLite and PostgreSQL;
    // `excluded` is the row that was about to be inserted). Each key occurs once, as PostgreSQL
    // requires of one statement.
    insert_rows(
        db,
        "mod_observability_usage_totals (agent_id, model, tokens_total, cost_cents_total, \
         heartbeats_total, latency_ms_sum, latency_count)",
        totals
            .into_iter()
            .map(|((agent_id, model), t)| {
                params![
                    agent_id,
                    model,
                    t.tokens,
                    t.cost_cents,
                    t.heartbeats,
                    t.latency_sum,
                    t.latency_count
                ]
            })
            .collect(),
        "ON CONFLICT (agent_id, model) DO UPDATE SET \
         tokens_total = mod_observability_usage_totals.tokens_total + excluded.tokens_total, \
         cost_cents_total = mod_observability_usage_totals.cost_cents_total + excluded.cost_cents_total, \
         heartbeats_total = mod_observability_usage_totals.heartbeats_total + excluded.heartbeats_total, \
         latency_ms_sum = mod_observability_usage_totals.latency_ms_sum + excluded.latency_ms_sum, \
         latency_count = mod_observability_usage_totals.latency_count + excluded.latency_count",
    )
}
