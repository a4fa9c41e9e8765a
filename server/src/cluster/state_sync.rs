//! Module state another replica changed, applied here within a second: a thread `LISTEN`s on
//! the cluster channel (a connection of its own, polled every 50 ms) and, on a notification
//! from another replica — or every `cluster.syncIntervalMs` in case one was missed — lays out
//! bundles installed elsewhere ([`bundle_replication`](super::bundle_replication), then a
//! rescan) and applies the saved module state ([`ModuleHost::sync_saved_state`]).

use super::bundle_replication::lay_out_new_bundles;
use crate::module_host::ModuleHost;
use diesel::{Connection, PgConnection, RunQueryDsl};
use paperclip_core::cluster::notify::CHANNEL;
use paperclip_core::db::Database;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the listening connection is checked for notifications.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// The running sync thread; [`StateSync::stop`] ends it.
pub struct StateSync {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StateSync {
    /// Starts the thread for `modules` on `db` (PostgreSQL).
    pub fn start(
        db: Database,
        modules: Arc<ModuleHost>,
        interval: Duration,
    ) -> anyhow::Result<StateSync> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("cluster-sync".to_string())
            .spawn({
                let stop = Arc::clone(&stop);
                move || run(&db, &modules, interval, &stop)
            })?;
        Ok(StateSync {
            stop,
            thread: Some(thread),
        })
    }

    /// Ends the thread.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(db: &Database, modules: &ModuleHost, interval: Duration, stop: &AtomicBool) {
    let me = modules.cluster().replica_id().to_string();
    let mut listener: Option<PgConnection> = None;
    let mut last_sync = Instant::now();
    let mut last_connect_try: Option<Instant> = None;
    while !stop.load(Ordering::Acquire) {
        if listener.is_none()
            && !matches!(last_connect_try, Some(at) if at.elapsed() < Duration::from_secs(1))
        {
            last_connect_try = Some(Instant::now());
            listener = listen(db.url())
                .map_err(|error| tracing::warn!(%error, "cluster notifications unavailable; syncing periodically"))
                .ok();
        }
        let mut changed = false;
        let mut lost = false;
        if let Some(conn) = listener.as_mut() {
            for notification in conn.notifications_iter() {
                match notification {
                    Ok(n) => changed |= !from_me(&n.payload, &me),
                    Err(error) => {
                        tracing::warn!(%error, "cluster notification connection lost");
                        lost = true;
                        break;
                    }
                }
            }
        }
        if lost {
            // Reconnect, and sync: a notification may have been missed meanwhile.
            listener = None;
            changed = true;
        }
        if changed || last_sync.elapsed() >= interval {
            last_sync = Instant::now();
            sync_once(db, modules);
        }
        std::thread::sleep(POLL_EVERY);
    }
}

/// Opens the listening connection.
fn listen(url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(&mut conn)?;
    Ok(conn)
}

/// Whether a notification was sent by this replica (`{"from": id, …}`).
fn from_me(payload: &str, me: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v.get("from").and_then(|f| f.as_str()).map(|f| f == me))
        .unwrap_or(false)
}

/// Bundles installed elsewhere laid out (and loaded by a rescan), then the saved state applied.
pub fn sync_once(db: &Database, modules: &ModuleHost) {
    match lay_out_new_bundles(db, modules) {
        Ok(placed) if !placed.is_empty() => {
            if let Err(error) = modules.rescan() {
                tracing::warn!(%error, "rescan after laying out bundles from another replica failed");
            }
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "bundles stored by other replicas not read"),
    }
    if let Err(error) = modules.sync_saved_state() {
        tracing::warn!(%error, "module state saved by other replicas not applied");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_from_this_replica_are_ignored() {
        assert!(from_me(r#"{"from":"a","what":"x"}"#, "a"));
        assert!(!from_me(r#"{"from":"b","what":"x"}"#, "a"));
        assert!(!from_me("not json", "a"));
    }
}
