//! Events an outbox reader's handler failed on (`hook_dead_letters`): `retrying` while attempts
//! remain, `dead` once they ran out (kept until replayed). A row is written before the reader's
//! cursor moves past its event, so a failed event survives a restart; it is deleted once the
//! event is delivered.

use super::hook_outbox::OutboxEvent;
use super::Hook;
use crate::db::schema::hook_dead_letters;
use crate::db::{now, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::Error as DieselError;

/// Where a failed event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetterState {
    /// It will be tried again.
    Retrying,
    /// Its attempts ran out; it waits for a replay.
    Dead,
}

impl DeadLetterState {
    /// The stored (and shown) text.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterState::Retrying => "retrying",
            DeadLetterState::Dead => "dead",
        }
    }
}

/// One failed event of one reader.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    /// The reader (a module id).
    pub reader: String,
    /// The event, as in the outbox.
    pub event: OutboxEvent,
    /// Where it stands.
    pub state: DeadLetterState,
    /// Attempts so far.
    pub attempts: i32,
    /// The handler's last error.
    pub last_error: String,
    /// When it first failed.
    pub first_failed_at: NaiveDateTime,
    /// When it last failed.
    pub last_failed_at: NaiveDateTime,
}

type DeadLetterRow = (
    String,
    String,
    i64,
    String,
    String,
    String,
    i32,
    String,
    NaiveDateTime,
    NaiveDateTime,
);

const COLUMNS: (
    hook_dead_letters::reader,
    hook_dead_letters::event_id,
    hook_dead_letters::seq,
    hook_dead_letters::hook,
    hook_dead_letters::payload,
    hook_dead_letters::state,
    hook_dead_letters::attempts,
    hook_dead_letters::last_error,
    hook_dead_letters::first_failed_at,
    hook_dead_letters::last_failed_at,
) = (
    hook_dead_letters::reader,
    hook_dead_letters::event_id,
    hook_dead_letters::seq,
    hook_dead_letters::hook,
    hook_dead_letters::payload,
    hook_dead_letters::state,
    hook_dead_letters::attempts,
    hook_dead_letters::last_error,
    hook_dead_letters::first_failed_at,
    hook_dead_letters::last_failed_at,
);

fn from_row(row: DeadLetterRow) -> QueryResult<DeadLetter> {
    let (reader, event_id, seq, hook, payload, state, attempts, last_error, first, last) = row;
    let hook = hook.parse::<Hook>().map_err(|_| {
        DieselError::DeserializationError(
            format!("hook_dead_letters row {event_id} names an unknown hook {hook:?}").into(),
        )
    })?;
    Ok(DeadLetter {
        reader,
        event: OutboxEvent {
            seq,
            event_id,
            hook,
            payload,
            created_at: first,
        },
        state: if state == "dead" {
            DeadLetterState::Dead
        } else {
            DeadLetterState::Retrying
        },
        attempts,
        last_error,
        first_failed_at: first,
        last_failed_at: last,
    })
}

/// Records a failed attempt of `reader` at `event` (`attempts` so far): inserted as `state` when
/// new, else its attempts, error and state updated.
pub fn record_failure(
    conn: &mut DbConnection,
    reader: &str,
    event: &OutboxEvent,
    state: DeadLetterState,
    attempts: i32,
    error: &str,
) -> QueryResult<()> {
    let at = now();
    let updated = diesel::update(
        hook_dead_letters::table
            .filter(hook_dead_letters::reader.eq(reader))
            .filter(hook_dead_letters::event_id.eq(&event.event_id)),
    )
    .set((
        hook_dead_letters::state.eq(state.as_str()),
        hook_dead_letters::attempts.eq(attempts),
        hook_dead_letters::last_error.eq(error),
        hook_dead_letters::last_failed_at.eq(at),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(hook_dead_letters::table)
            .values((
                hook_dead_letters::reader.eq(reader),
                hook_dead_letters::event_id.eq(&event.event_id),
                hook_dead_letters::seq.eq(event.seq),
                hook_dead_letters::hook.eq(event.hook.as_str()),
                hook_dead_letters::payload.eq(&event.payload),
                hook_dead_letters::state.eq(state.as_str()),
                hook_dead_letters::attempts.eq(attempts),
                hook_dead_letters::last_error.eq(error),
                hook_dead_letters::first_failed_at.eq(at),
                hook_dead_letters::last_failed_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets a failed event (it was delivered); returns whether there was one.
pub fn remove(conn: &mut DbConnection, reader: &str, event_id: &str) -> QueryResult<bool> {
    diesel::delete(
        hook_dead_letters::table
            .filter(hook_dead_letters::reader.eq(reader))
            .filter(hook_dead_letters::event_id.eq(event_id)),
    )
    .execute(conn)
    .map(|deleted| deleted > 0)
}

/// The reader's failed events in `state` (all states when `None`), oldest event first.
pub fn list(
    conn: &mut DbConnection,
    reader: &str,
    state: Option<DeadLetterState>,
) -> QueryResult<Vec<DeadLetter>> {
    let mut query = hook_dead_letters::table
        .filter(hook_dead_letters::reader.eq(reader))
        .order(hook_dead_letters::seq.asc())
        .select(COLUMNS)
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(hook_dead_letters::state.eq(state.as_str()));
    }
    let rows: Vec<DeadLetterRow> = query.load(conn)?;
    rows.into_iter().map(from_row).collect()
}

/// One of the reader's failed events.
pub fn get(
    conn: &mut DbConnection,
    reader: &str,
    event_id: &str,
) -> QueryResult<Option<DeadLetter>> {
    let row: Option<DeadLetterRow> = hook_dead_letters::table
        .filter(hook_dead_letters::reader.eq(reader))
        .filter(hook_dead_letters::event_id.eq(event_id))
        .select(COLUMNS)
        .first(conn)
        .optional()?;
    row.map(from_row).transpose()
}

/// Sets a failed event back to `retrying` with no attempts (a replay); returns it, `None` when
/// the reader has no such event.
pub fn rearm(
    conn: &mut DbConnection,
    reader: &str,
    event_id: &str,
) -> QueryResult<Option<DeadLetter>> {
    diesel::update(
        hook_dead_letters::table
            .filter(hook_dead_letters::reader.eq(reader))
            .filter(hook_dead_letters::event_id.eq(event_id)),
    )
    .set((
        hook_dead_letters::state.eq(DeadLetterState::Retrying.as_str()),
        hook_dead_letters::attempts.eq(0),
    ))
    .execute(conn)?;
    get(conn, reader, event_id)
}

/// How many failed events the reader has in each state: `(retrying, dead)`.
pub fn counts(conn: &mut DbConnection, reader: &str) -> QueryResult<(i64, i64)> {
    let rows: Vec<(String, i64)> = hook_dead_letters::table
        .filter(hook_dead_letters::reader.eq(reader))
        .group_by(hook_dead_letters::state)
        .select((hook_dead_letters::state, diesel::dsl::count_star()))
        .load(conn)?;
    let count = |state: DeadLetterState| {
        rows.iter()
            .find(|(s, _)| s == state.as_str())
            .map_or(0, |(_, n)| *n)
    };
    Ok((
        count(DeadLetterState::Retrying),
        count(DeadLetterState::Dead),
    ))
}
