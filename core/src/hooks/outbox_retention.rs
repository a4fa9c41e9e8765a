//! Keeps `hook_outbox` bounded: events older than `modules.outboxRetentionHours` are deleted at
//! start and then every [`SWEEP_INTERVAL`]. (Delivery cursors will also let events every reader
//! is past go sooner; until then the retention is the only rule.)

use super::hook_outbox;
use crate::db::now;
use crate::db::{Database, DatabaseError};
use std::time::Duration;

/// How often the outbox is swept.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(600);

/// Deletes the outbox events older than `retention`; returns how many.
pub async fn sweep_outbox(db: &Database, retention: Duration) -> Result<usize, String> {
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let older_than = now().checked_sub_signed(retention).unwrap_or_default();
    db.run(move |conn| {
        hook_outbox::prune(conn, 0, older_than).map_err(|e| SweepError(e.to_string()))
    })
    .await
    .map_err(|SweepError(message)| message)
}

/// Runs [`sweep_outbox`] now and every [`SWEEP_INTERVAL`] for as long as the returned future is
/// polled (spawn it on the server's runtime); failures are logged and retried at the next sweep.
pub async fn keep_outbox_bounded(db: Database, retention: Duration) {
    let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        ticks.tick().await;
        match sweep_outbox(&db, retention).await {
            Ok(0) => {}
            Ok(deleted) => {
                tracing::info!(deleted, "hook outbox: events past the retention deleted")
            }
            Err(error) => tracing::warn!(%error, "hook outbox: sweep failed"),
        }
    }
}

/// A sweep's failure, as text.
struct SweepError(String);

impl From<DatabaseError> for SweepError {
    fn from(error: DatabaseError) -> SweepError {
        SweepError(error.to_string())
    }
}
