//! The readers of the hook outbox and how far each got (`hook_readers`): a reader is anything
//! that consumes the outbox under a name (the module host names each module's reader by the
//! module id). The outbox is pruned below the slowest reader that retains events.
//!
//! `delivered_seq` is a low-water mark: every event up to it was handled by the reader. Readers
//! save it in batches, so after a crash they deliver again what they handled since the last
//! save (at-least-once).

use crate::db::schema::{hook_outbox, hook_readers};
use crate::db::{now, DbConnection};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Whether a reader runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderState {
    /// It runs, or the server stopped (or crashed) while it ran: it resumes from its cursor.
    Active,
    /// It was disabled: when enabled again it resumes from its cursor only if it asks to catch
    /// up.
    Paused,
}

impl ReaderState {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ReaderState::Active => "active",
            ReaderState::Paused => "paused",
        }
    }

    fn parse(text: &str) -> ReaderState {
        if text == "paused" {
            ReaderState::Paused
        } else {
            ReaderState::Active
        }
    }
}

/// One reader's row.
#[derive(Debug, Clone, PartialEq)]
pub struct ReaderCursor {
    /// The reader's name (a module id).
    pub reader: String,
    /// Every event with `seq` up to this was handled.
    pub delivered_seq: i64,
    /// Whether it runs.
    pub state: ReaderState,
    /// Whether the outbox keeps the events it has not handled yet.
    pub retains_events: bool,
    /// When the row last changed.
    pub updated_at: NaiveDateTime,
}

/// A row of `hook_readers` as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = hook_readers)]
struct CursorRow {
    reader: String,
    delivered_seq: i64,
    state: String,
    retains_events: bool,
    updated_at: NaiveDateTime,
}

fn from_row(row: CursorRow) -> ReaderCursor {
    ReaderCursor {
        reader: row.reader,
        delivered_seq: row.delivered_seq,
        state: ReaderState::parse(&row.state),
        retains_events: row.retains_events,
        updated_at: row.updated_at,
    }
}

/// The reader's row, if it has one.
pub fn get(conn: &mut DbConnection, reader: &str) -> QueryResult<Option<ReaderCursor>> {
    hook_readers::table
        .filter(hook_readers::reader.eq(reader))
        .select(CursorRow::as_select())
        .first(conn)
        .optional()
        .map(|row| row.map(from_row))
}

/// Every reader's row, by name.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<ReaderCursor>> {
    let rows: Vec<CursorRow> = hook_readers::table
        .order(hook_readers::reader.asc())
        .select(CursorRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Writes the reader's whole row (inserted when new).
pub fn save(
    conn: &mut DbConnection,
    reader: &str,
    delivered_seq: i64,
    state: ReaderState,
    retains_events: bool,
) -> QueryResult<()> {
    let updated = diesel::update(hook_readers::table.filter(hook_readers::reader.eq(reader)))
        .set((
            hook_readers::delivered_seq.eq(delivered_seq),
            hook_readers::state.eq(state.as_str()),
            hook_readers::retains_events.eq(retains_events),
            hook_readers::updated_at.eq(now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(hook_readers::table)
            .values((
                hook_readers::reader.eq(reader),
                hook_readers::delivered_seq.eq(delivered_seq),
                hook_readers::state.eq(state.as_str()),
                hook_readers::retains_events.eq(retains_events),
                hook_readers::updated_at.eq(now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Moves the reader's cursor forward to `delivered_seq` (never back: a late save of an older
/// position changes nothing).
pub fn advance(conn: &mut DbConnection, reader: &str, delivered_seq: i64) -> QueryResult<()> {
    diesel::update(
        hook_readers::table
            .filter(hook_readers::reader.eq(reader))
            .filter(hook_readers::delivered_seq.lt(delivered_seq)),
    )
    .set((
        hook_readers::delivered_seq.eq(delivered_seq),
        hook_readers::updated_at.eq(now()),
    ))
    .execute(conn)
    .map(|_| ())
}

/// The lowest cursor of the readers that retain events, `None` when none does.
pub fn slowest_retaining(conn: &mut DbConnection) -> QueryResult<Option<i64>> {
    hook_readers::table
        .filter(hook_readers::retains_events.eq(true))
        .select(diesel::dsl::min(hook_readers::delivered_seq))
        .get_result(conn)
}

/// How far a reader at `delivered_seq` is behind: the events after it, and when the oldest of
/// them was committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReaderLag {
    /// Events in the outbox after the cursor.
    pub events: i64,
    /// When the oldest of them was committed, if any.
    pub oldest_at: Option<NaiveDateTime>,
}

impl ReaderLag {
    /// How long ago the oldest event after the cursor was committed, in seconds (`None` when
    /// there is none).
    pub fn oldest_age_seconds(&self) -> Option<f64> {
        self.oldest_at
            .map(|at| (now() - at).num_milliseconds().max(0) as f64 / 1000.0)
    }
}

/// The lag of a reader whose cursor is `delivered_seq` (one query).
pub fn lag(conn: &mut DbConnection, delivered_seq: i64) -> QueryResult<ReaderLag> {
    let (events, oldest_at) = hook_outbox::table
        .filter(hook_outbox::seq.gt(delivered_seq))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(hook_outbox::created_at),
        ))
        .get_result(conn)?;
    Ok(ReaderLag { events, oldest_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::hook_outbox::record;
    use crate::hooks::test_backends::each_backend;
    use crate::hooks::Hook;
    use serde_json::json;

    #[test]
    fn cursors_are_saved_only_move_forward_and_bound_the_retained_events() {
        each_backend(|db| {
            let mut conn = db.conn().unwrap();
            assert_eq!(get(&mut conn, "a").unwrap(), None);
            assert_eq!(slowest_retaining(&mut conn).unwrap(), None);
            save(&mut conn, "a", 5, ReaderState::Active, true).unwrap();
            save(&mut conn, "b", 2, ReaderState::Paused, false).unwrap();
            advance(&mut conn, "a", 9).unwrap();
            advance(&mut conn, "a", 7).unwrap();
            let a = get(&mut conn, "a").unwrap().unwrap();
            assert_eq!(
                (a.delivered_seq, a.state, a.retains_events),
                (9, ReaderState::Active, true)
            );
            // `b` retains nothing, so the slowest retaining reader is `a`.
            assert_eq!(slowest_retaining(&mut conn).unwrap(), Some(9));
            save(&mut conn, "b", 3, ReaderState::Paused, true).unwrap();
            assert_eq!(slowest_retaining(&mut conn).unwrap(), Some(3));
            assert_eq!(
                list(&mut conn)
                    .unwrap()
                    .iter()
                    .map(|r| r.reader.as_str())
                    .collect::<Vec<_>>(),
                ["a", "b"]
            );

            // Lag: the events after a cursor, and the age of the oldest.
            let events = (0..4)
                .map(|n| (Hook::AgentCreated, json!({ "n": n })))
                .collect();
            let recorded = record(&mut conn, events).unwrap();
            let lag = lag(&mut conn, recorded[1].seq).unwrap();
            assert_eq!(lag.events, 2);
            assert!(lag.oldest_at.is_some());
            assert_eq!(
                super::lag(&mut conn, recorded[3].seq).unwrap(),
                ReaderLag::default()
            );
        });
    }
}
