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

/// A row of `hook_dead_letters` as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = hook_dead_letters)]
struct DeadLetterRow {
    reader: String,
    event_id: String,
    seq: i64,
    hook: String,
    payload: String,
    state: String,
    attempts: i32,
    last_error: String,
    first_failed_at: NaiveDateTime,
    last_failed_at: NaiveDateTime,
}

fn from_row(row: DeadLetterRow) -> QueryResult<DeadLetter> {
    let DeadLetterRow {
        reader,
        event_id,
        seq,
        hook,
        payload,
        state,
        attempts,
        last_error,
        first_failed_at: first,
        last_failed_at: last,
    } = row;
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
        .select(DeadLetterRow::as_select())
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
        .select(DeadLetterRow::as_select())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::test_backends::each_backend;

    fn event(seq: i64, id: &str) -> OutboxEvent {
        OutboxEvent {
            seq,
            event_id: id.to_string(),
            hook: Hook::IssueCreated,
            payload: format!(r#"{{"eventId":"{id}"}}"#),
            created_at: now(),
        }
    }

    #[test]
    fn failures_are_recorded_counted_rearmed_and_removed() {
        each_backend(|db| {
            let mut conn = db.conn().unwrap();
            let (one, two) = (event(1, "e-1"), event(2, "e-2"));
            record_failure(&mut conn, "m", &two, DeadLetterState::Retrying, 1, "boom").unwrap();
            record_failure(&mut conn, "m", &one, DeadLetterState::Retrying, 1, "boom").unwrap();
            record_failure(&mut conn, "m", &one, DeadLetterState::Dead, 3, "still boom").unwrap();
            record_failure(&mut conn, "other", &one, DeadLetterState::Dead, 1, "x").unwrap();
            assert_eq!(counts(&mut conn, "m").unwrap(), (1, 1));
            let all = list(&mut conn, "m", None).unwrap();
            assert_eq!(
                all.iter()
                    .map(|l| l.event.event_id.as_str())
                    .collect::<Vec<_>>(),
                ["e-1", "e-2"],
                "oldest event first"
            );
            let dead = list(&mut conn, "m", Some(DeadLetterState::Dead)).unwrap();
            assert_eq!((dead.len(), dead[0].attempts), (1, 3));
            assert_eq!(dead[0].last_error, "still boom");
            assert_eq!(dead[0].event.payload, one.payload);

            let rearmed = rearm(&mut conn, "m", "e-1").unwrap().unwrap();
            assert_eq!(
                (rearmed.state, rearmed.attempts),
                (DeadLetterState::Retrying, 0)
            );
            assert_eq!(rearm(&mut conn, "m", "nope").unwrap(), None);
            assert!(remove(&mut conn, "m", "e-1").unwrap());
            assert!(!remove(&mut conn, "m", "e-1").unwrap());
            assert_eq!(counts(&mut conn, "m").unwrap(), (1, 0));
            assert_eq!(counts(&mut conn, "other").unwrap(), (0, 1));
        });
    }
}
