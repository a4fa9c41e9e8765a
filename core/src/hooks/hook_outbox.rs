//! The transactional hook outbox (`hook_outbox`): every hook event of a core write is inserted
//! in the write's own transaction, so an event exists if and only if its write committed.
//!
//! [`record`] runs inside the write transaction (called by `Core::write` once the write's work
//! returned `Ok`): it gives each event a fresh `eventId` (a UUID, time-ordered v7), puts it
//! into the payload as the top-level field `"eventId"`, serializes the payload once and inserts
//! the events (SQLite: one cached prepared statement per event; PostgreSQL: one statement,
//! multi-row per 500 events). The returned [`RecordedEvent`]s are emitted from memory
//! after the commit (`HookBus::emit_recorded`) with the same payload text as stored.
//!
//! [`read_after`], [`newest_seq`], [`prune`] and [`size`] are how delivery reads the table back
//! and keeps it bounded. `seq` only grows; on PostgreSQL concurrent writers draw numbers before
//! they commit, so a lower `seq` can become visible after a higher one (SQLite has one writer at a
//! time: there commit order is `seq` order).

use super::Hook;
use crate::db::schema::hook_outbox;
use crate::db::{now, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use serde_json::Value;
use std::sync::Arc;

/// Events per PostgreSQL multi-row `INSERT`: 4 bound values each, far below its bind limit.
const INSERT_CHUNK: usize = 500;

/// One event of a committed write, as it was inserted into the outbox; what
/// `HookBus::emit_recorded` hands to subscribers after the commit.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    /// Its position in the outbox.
    pub seq: i64,
    /// Its `eventId` (also inside `payload`).
    pub event_id: Arc<str>,
    /// Which hook.
    pub hook: Hook,
    /// The JSON payload as stored and delivered (with `"eventId"`).
    pub payload: Arc<str>,
}

/// One row of the outbox, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// Its position in the outbox (only grows).
    pub seq: i64,
    /// Its `eventId` (also inside `payload`).
    pub event_id: String,
    /// Which hook.
    pub hook: Hook,
    /// The JSON payload as delivered.
    pub payload: String,
    /// When its write committed (UTC, the time the row was inserted).
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = hook_outbox, treat_none_as_default_value = false)]
struct NewOutboxRow<'a> {
    event_id: &'a str,
    hook: &'a str,
    payload: &'a str,
    created_at: NaiveDateTime,
}

/// Inserts `events` (in order) into the outbox on `conn`, which must be inside the write's
/// transaction; returns them as recorded, in the same order. See the module doc.
pub fn record(
    conn: &mut DbConnection,
    events: Vec<(Hook, Value)>,
) -> QueryResult<Vec<RecordedEvent>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut recorded: Vec<RecordedEvent> = events
        .into_iter()
        .map(|(hook, mut payload)| {
            // v7 (time-ordered) rather than v4: the unique index on `event_id` then grows at its
            // right edge like `seq`'s, instead of touching a random page of it on every write.
            let event_id = uuid::Uuid::now_v7().to_string();
            if let Value::Object(fields) = &mut payload {
                fields.insert("eventId".to_owned(), Value::String(event_id.clone()));
            }
            RecordedEvent {
                seq: 0,
                event_id: Arc::from(event_id),
                hook,
                payload: Arc::from(payload.to_string()),
            }
        })
        .collect();
    let created_at = now();
    for chunk in recorded.chunks_mut(INSERT_CHUNK) {
        let rows: Vec<NewOutboxRow<'_>> = chunk
            .iter()
            .map(|event| NewOutboxRow {
                event_id: &event.event_id,
                hook: event.hook.as_str(),
                payload: &event.payload,
                created_at,
            })
            .collect();
        let seqs = insert_chunk(conn, &rows)?;
        drop(rows);
        for (event, seq) in chunk.iter_mut().zip(seqs) {
            event.seq = seq;
        }
    }
    Ok(recorded)
}

diesel::define_sql_function! {
    /// SQLite's `last_insert_rowid()`: a typed function (unlike a SQL literal) so that diesel
    /// caches the prepared statement.
    fn last_insert_rowid() -> BigInt;
}

/// Inserts `rows`; returns their `seq`s in the order of `rows`. Every statement it runs for the
/// usual write (one or a few events) is a cached prepared statement.
fn insert_chunk(conn: &mut DbConnection, rows: &[NewOutboxRow<'_>]) -> QueryResult<Vec<i64>> {
    match conn {
        DbConnection::Sqlite(c) => {
            // In process, a loop of one cached statement costs no more than one multi-row
            // statement prepared anew each time.
            for row in rows {
                diesel::insert_into(hook_outbox::table)
                    .values(row)
                    .execute(c)?;
            }
            // The write transaction holds SQLite's only write lock, so the rows just inserted
            // got consecutive numbers ending at the last inserted rowid.
            let last: i64 = diesel::select(last_insert_rowid()).get_result(c)?;
            let first = last - rows.len() as i64 + 1;
            Ok((first..=last).collect())
        }
        DbConnection::Pg(c) if rows.len() == 1 => Ok(vec![diesel::insert_into(hook_outbox::table)
            .values(&rows[0])
            .returning(hook_outbox::seq)
            .get_result(c)?]),
        DbConnection::Pg(c) => {
            let returned: Vec<(i64, String)> = diesel::insert_into(hook_outbox::table)
                .values(rows)
                .returning((hook_outbox::seq, hook_outbox::event_id))
                .get_results(c)?;
            let in_order = returned.len() == rows.len()
                && returned
                    .iter()
                    .zip(rows)
                    .all(|((_, id), row)| id == row.event_id);
            if in_order {
                return Ok(returned.into_iter().map(|(seq, _)| seq).collect());
            }
            // PostgreSQL does not promise RETURNING in VALUES order; match by event id.
            let by_id: std::collections::HashMap<String, i64> =
                returned.into_iter().map(|(seq, id)| (id, seq)).collect();
            rows.iter()
                .map(|row| {
                    by_id.get(row.event_id).copied().ok_or_else(|| {
                        DieselError::DeserializationError(
                            format!("outbox insert returned no seq for {}", row.event_id).into(),
                        )
                    })
                })
                .collect()
        }
    }
}

/// Up to `limit` events with `seq > after_seq`, oldest first.
pub fn read_after(
    conn: &mut DbConnection,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<OutboxEvent>> {
    let rows: Vec<(i64, String, String, String, NaiveDateTime)> = hook_outbox::table
        .filter(hook_outbox::seq.gt(after_seq))
        .order(hook_outbox::seq.asc())
        .limit(limit.max(0))
        .select((
            hook_outbox::seq,
            hook_outbox::event_id,
            hook_outbox::hook,
            hook_outbox::payload,
            hook_outbox::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, event_id, hook, payload, created_at)| {
            let hook = hook.parse::<Hook>().map_err(|_| {
                DieselError::DeserializationError(
                    format!("hook_outbox row {seq} names an unknown hook {hook:?}").into(),
                )
            })?;
            Ok(OutboxEvent {
                seq,
                event_id,
                hook,
                payload,
                created_at,
            })
        })
        .collect()
}

/// The highest `seq` in the outbox, `None` when it is empty.
pub fn newest_seq(conn: &mut DbConnection) -> QueryResult<Option<i64>> {
    hook_outbox::table
        .select(diesel::dsl::max(hook_outbox::seq))
        .get_result(conn)
}

/// Deletes every event that all readers are past (`seq < below_seq`, e.g. the slowest delivery
/// cursor + 1) and every event beyond the retention (`created_at < older_than`), whichever
/// applies — except the newest event, which always stays so that `seq` keeps growing (on SQLite
/// a new row takes the largest `seq` + 1). Returns how many were deleted. To prune by one rule
/// only, pass `0` as `below_seq` or a time before any event (e.g. `NaiveDateTime::default()`, the
/// Unix epoch; PostgreSQL refuses `NaiveDateTime::MIN`) as `older_than`.
pub fn prune(
    conn: &mut DbConnection,
    below_seq: i64,
    older_than: NaiveDateTime,
) -> QueryResult<usize> {
    let Some(newest) = newest_seq(conn)? else {
        return Ok(0);
    };
    diesel::delete(
        hook_outbox::table
            .filter(hook_outbox::seq.lt(newest))
            .filter(
                hook_outbox::seq
                    .lt(below_seq)
                    .or(hook_outbox::created_at.lt(older_than)),
            ),
    )
    .execute(conn)
}

/// How many events of the hooks named `hooks` the outbox holds after `after_seq`.
pub fn count_after(conn: &mut DbConnection, after_seq: i64, hooks: &[&str]) -> QueryResult<i64> {
    hook_outbox::table
        .filter(hook_outbox::seq.gt(after_seq))
        .filter(hook_outbox::hook.eq_any(hooks))
        .count()
        .get_result(conn)
}

/// How many events the outbox holds.
pub fn size(conn: &mut DbConnection) -> QueryResult<i64> {
    hook_outbox::table.count().get_result(conn)
}

#[cfg(test)]
mod tests;
