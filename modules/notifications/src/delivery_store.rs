//! Deliveries in `mod_notifications_deliveries`: queued by the hook handler (idempotent by
//! channel and `eventId`), picked up when due by the delivery service, their outcome recorded,
//! listed for the log, and pruned.

use crate::company_access::Companies;
use crate::delivery::{Delivery, DueDelivery, NewDelivery};
use crate::sql_params::{bind, bind_in};
use module_sdk::{params, ModuleContext, Result};
use serde_json::Value;

/// Rows per `INSERT` (8 parameters each stays far below both backends' limits).
const ROWS_PER_STATEMENT: usize = 100;

/// Queues `deliveries` in one transaction; a delivery whose channel already has the event
/// (a redelivered event) is skipped. Answers how many were queued.
pub fn enqueue(ctx: &ModuleContext, deliveries: &[NewDelivery], now: i64) -> Result<u64> {
    if deliveries.is_empty() {
        return Ok(0);
    }
    ctx.db().transaction(|tx| {
        let mut queued = 0;
        for chunk in deliveries.chunks(ROWS_PER_STATEMENT) {
            let mut params: Vec<Value> = Vec::with_capacity(chunk.len() * 8 + 1);
            let at = bind(&mut params, now);
            let mut rows = Vec::with_capacity(chunk.len());
            for d in chunk {
                let values = [
                    bind(&mut params, d.id.as_str()),
                    bind(&mut params, d.channel_id.as_str()),
                    bind(&mut params, d.company_id.as_str()),
                    bind(&mut params, d.hook.as_str()),
                    bind(&mut params, d.event_id.as_str()),
                    bind(&mut params, d.subject.clone()),
                    bind(&mut params, d.message.as_str()),
                    bind(&mut params, d.payload.to_string()),
                ];
                rows.push(format!(
                    "({}, 'pending', 0, {at}, {at}, {at})",
                    values.join(", ")
                ));
            }
            queued += tx.execute(
                &format!(
                    "INSERT INTO mod_notifications_deliveries (id, channel_id, company_id, hook, \
                     event_id, subject, message, payload, status, attempts, next_attempt_at, \
                     created_at, updated_at) VALUES {} \
                     ON CONFLICT (channel_id, event_id) DO NOTHING",
                    rows.join(", ")
                ),
                &params,
            )?;
        }
        Ok(queued)
    })
}

/// The pending deliveries due at `now`, the longest waiting first, at most `limit`.
pub fn due(ctx: &ModuleContext, now: i64, limit: u32) -> Result<Vec<DueDelivery>> {
    ctx.db().query_as(
        "SELECT id, channel_id, company_id, hook, event_id, subject, message, payload, attempts \
         FROM mod_notifications_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at, id LIMIT $2",
        &params![now, limit],
    )
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Sent.
    Sent,
    /// Failed; tried again at `next_attempt_at` (Unix ms).
    Retry {
        /// Why.
        error: String,
        /// When.
        next_attempt_at: i64,
    },
    /// Failed for good.
    Failed {
        /// Why.
        error: String,
    },
}

/// Records the outcome of the attempt number `attempts` of delivery `id`.
pub fn record(
    ctx: &ModuleContext,
    id: &str,
    attempts: i64,
    outcome: &Outcome,
    now: i64,
) -> Result<()> {
    match outcome {
        Outcome::Sent => ctx.db().execute(
            "UPDATE mod_notifications_deliveries SET status = 'sent', attempts = $1, \
             last_error = NULL, sent_at = $2, updated_at = $2 WHERE id = $3",
            &params![attempts, now, id],
        )?,
        Outcome::Retry {
            error,
            next_attempt_at,
        } => ctx.db().execute(
            "UPDATE mod_notifications_deliveries SET attempts = $1, last_error = $2, \
             next_attempt_at = $3, updated_at = $4 WHERE id = $5",
            &params![attempts, error, next_attempt_at, now, id],
        )?,
        Outcome::Failed { error } => ctx.db().execute(
            "UPDATE mod_notifications_deliveries SET status = 'failed', attempts = $1, \
             last_error = $2, updated_at = $3 WHERE id = $4",
            &params![attempts, error, now, id],
        )?,
    };
    Ok(())
}

/// What the log lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryQuery {
    /// One channel's deliveries only.
    pub channel_id: Option<String>,
    /// One status only.
    pub status: Option<String>,
    /// One hook only.
    pub hook: Option<String>,
    /// The most rows answered.
    pub limit: i64,
}

/// The deliveries of `companies` matching `query`, newest first.
pub fn list(
    ctx: &ModuleContext,
    companies: &Companies,
    query: &DeliveryQuery,
) -> Result<Vec<Delivery>> {
    let mut params: Vec<Value> = Vec::new();
    let mut conditions = Vec::new();
    if let Companies::Only(ids) = companies {
        conditions.push(bind_in(&mut params, "d.company_id", ids));
    }
    for (column, value) in [
        ("d.channel_id", &query.channel_id),
        ("d.status", &query.status),
        ("d.hook", &query.hook),
    ] {
        if let Some(value) = value {
            conditions.push(format!("{column} = {}", bind(&mut params, value.as_str())));
        }
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let limit = bind(&mut params, query.limit);
    ctx.db().query_as(
        &format!(
            "SELECT d.id, d.channel_id, c.name AS channel_name, d.company_id, d.hook, d.event_id, \
             d.status, d.attempts, d.last_error, d.subject, d.message, d.next_attempt_at, \
             d.created_at, d.updated_at, d.sent_at FROM mod_notifications_deliveries d \
             LEFT JOIN mod_notifications_channels c ON c.id = d.channel_id {filter} \
             ORDER BY d.created_at DESC, d.id DESC LIMIT {limit}"
        ),
        &params,
    )
}

/// Deletes sent and failed deliveries last changed before `before` (Unix ms); how many.
pub fn prune(ctx: &ModuleContext, before: i64) -> Result<u64> {
    ctx.db().execute(
        "DELETE FROM mod_notifications_deliveries WHERE status <> 'pending' AND updated_at < $1",
        &params![before],
    )
}
