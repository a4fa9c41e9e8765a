//! A module's hook delivery as the admin API shows it: what the running executor knows (the
//! cursor in memory, counters) joined with what the database holds (the saved cursor, how far
//! behind the outbox it is, its failed events).

use super::executor::DeliveryStatus;
use super::manifest::DeliveryMode;
use paperclip_core::db::DbConnection;
use paperclip_core::hooks::hook_dead_letters;
use paperclip_core::hooks::hook_readers::{self, ReaderState};
use serde::{Deserialize, Serialize};

/// One module's delivery (`delivery` in the admin API's module object).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// `at-least-once` or `best-effort`.
    pub mode: String,
    /// Whether it catches up on what it missed while disabled.
    pub catch_up: bool,
    /// `active`, `paused` (disabled) or `new` (never ran).
    pub state: String,
    /// Every outbox event up to this `seq` is handled (best-effort: the newest handled).
    pub cursor: i64,
    /// The cursor as saved in the database.
    pub saved_cursor: i64,
    /// Outbox events after the cursor (every hook; the module's own are delivered, the others
    /// only pass).
    pub lag_events: i64,
    /// Age of the oldest of them, in seconds (`null` when none).
    pub oldest_undelivered_age_seconds: Option<f64>,
    /// Failed events waiting for another attempt.
    pub retrying: i64,
    /// Failed events whose attempts ran out (`GET …/dead-letters`).
    pub dead_letters: i64,
    /// Since it came up: events read back from the outbox rather than memory.
    pub read_from_outbox: u64,
    /// Since it came up: retries made.
    pub retried: u64,
    /// Since it came up: events delivered on a retry.
    pub recovered: u64,
    /// Since it came up: events dead-lettered.
    pub dead_lettered: u64,
    /// Best-effort: events committed while the server was down, never delivered.
    pub missed: u64,
    /// `seq`s passed over as no event (rolled-back writes).
    pub passed_over: u64,
}

/// The delivery of module `id` (`mode`/`catch_up` from its manifest), `live` when it runs.
pub fn delivery_view(
    conn: &mut DbConnection,
    id: &str,
    mode: DeliveryMode,
    catch_up: bool,
    live: Option<&DeliveryStatus>,
) -> diesel::QueryResult<DeliveryView> {
    let row = hook_readers::get(conn, id)?;
    let saved_cursor = row.as_ref().map_or(0, |r| r.delivered_seq);
    let cursor = live.map_or(saved_cursor, |status| status.cursor);
    let state = match (&row, live) {
        (_, Some(_)) => "active",
        (None, None) => "new",
        (Some(r), None) if r.state == ReaderState::Paused => "paused",
        (Some(_), None) => "active",
    };
    let lag = if row.is_some() || live.is_some() {
        hook_readers::lag(conn, cursor)?
    } else {
        hook_readers::ReaderLag::default()
    };
    let (retrying, dead_letters) = hook_dead_letters::counts(conn, id)?;
    let count = |pick: fn(&DeliveryStatus) -> u64| live.map_or(0, pick);
    Ok(DeliveryView {
        mode: mode.as_str().to_string(),
        catch_up,
        state: state.to_string(),
        cursor,
        saved_cursor,
        lag_events: lag.events,
        oldest_undelivered_age_seconds: lag.oldest_age_seconds(),
        retrying,
        dead_letters,
        read_from_outbox: count(|s| s.read_from_outbox),
        retried: count(|s| s.retried),
        recovered: count(|s| s.recovered),
        dead_lettered: count(|s| s.dead_lettered),
        missed: count(|s| s.missed),
        passed_over: count(|s| s.passed_over),
    })
}
