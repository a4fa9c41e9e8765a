//! Keeps `hook_outbox` bounded, at start and then every `modules.outboxPruneSeconds`: events
//! every retaining reader is past (`hook_readers`: at-least-once modules, and disabled ones
//! that catch up) are deleted, and so are events older than `modules.outboxRetentionHours`
//! whoever still waits for them. With no retaining reader, every event is past.

use super::{hook_outbox, hook_readers};
use crate::db::now;
use crate::db::{Database, DatabaseError};
use std::time::Duration;

/// Deletes the outbox events every retaining reader is past and those older than
/// `retention`; returns how many.
pub async fn sweep_outbox(db: &Database, retention: Duration) -> Result<usize, String> {
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let older_than = now().checked_sub_signed(retention).unwrap_or_default();
    db.run(move |conn| {
        let below = match hook_readers::slowest_retaining(conn).map_err(SweepError::from_db)? {
            Some(slowest) => slowest.saturating_add(1),
            None => hook_outbox::newest_seq(conn)
                .map_err(SweepError::from_db)?
                .map_or(0, |newest| newest.saturating_add(1)),
        };
        hook_outbox::prune(conn, below, older_than).map_err(SweepError::from_db)
    })
    .await
    .map_err(|SweepError(message)| message)
}

/// Runs [`sweep_outbox`] now and every `interval` for as long as the returned future is polled
/// (spawn it on the server's runtime); failures are logged and retried at the next sweep.
pub async fn keep_outbox_bounded(db: Database, retention: Duration, interval: Duration) {
    let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(100)));
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

impl SweepError {
    fn from_db(error: diesel::result::Error) -> SweepError {
        SweepError(error.to_string())
    }
}

impl From<DatabaseError> for SweepError {
    fn from(error: DatabaseError) -> SweepError {
        SweepError(error.to_string())
    }
}
