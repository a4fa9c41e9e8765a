//! This replica's row in `replicas` and the thread that keeps it: every third of the lease
//! time it renews the heartbeat (registering again if another replica removed the row),
//! removes replicas whose heartbeat is older than the lease time, counts the live ones and
//! renews the module leases ([`ModuleHost::keep_leases`]). At a clean stop the row and every
//! lease are removed, so the others take the work over at once. On SQLite (one replica, its
//! file locked) the row is written once at start and no thread runs.

use crate::module_host::ModuleHost;
use paperclip_core::cluster::{leases, replicas};
use paperclip_core::db::{now, Database};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The running keeper; [`ReplicaKeeper::stop`] ends it and removes the replica's row.
pub struct ReplicaKeeper {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    db: Database,
    replica_id: String,
}

/// This replica's row as first written.
pub fn describe(replica_id: &str) -> replicas::Replica {
    let at = now();
    replicas::Replica {
        replica_id: replica_id.to_string(),
        host: hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "unknown".to_string()),
        pid: i64::from(std::process::id()),
        address: None,
        version: crate::VERSION.to_string(),
        started_at: at,
        heartbeat_at: at,
    }
}

impl ReplicaKeeper {
    /// Registers the replica and starts the keeper thread (renewals every `lease / 3`).
    pub fn start(
        db: Database,
        modules: Arc<ModuleHost>,
        lease: Duration,
    ) -> anyhow::Result<ReplicaKeeper> {
        let cluster = Arc::clone(modules.cluster());
        let replica_id = cluster.replica_id().to_string();
        let me = describe(&replica_id);
        {
            let mut conn = db.conn()?;
            replicas::register(&mut conn, &me)?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        if !cluster.is_coordinated() {
            // Alone on its database (SQLite, locked): no heartbeat or lease to keep.
            return Ok(ReplicaKeeper {
                stop,
                thread: None,
                db,
                replica_id,
            });
        }
        let thread = std::thread::Builder::new()
            .name("replica-keeper".to_string())
            .spawn({
                let stop = Arc::clone(&stop);
                let db = db.clone();
                move || {
                    let every = lease / 3;
                    while !stop.load(Ordering::Acquire) {
                        if let Err(error) = beat(&db, &me, lease, &modules) {
                            tracing::warn!(%error, "replica heartbeat failed");
                        }
                        modules.keep_leases();
                        sleep_unless_stopped(&stop, every);
                    }
                }
            })?;
        tracing::info!(replica = %replica_id, lease_ms = lease.as_millis() as u64, "replica registered");
        Ok(ReplicaKeeper {
            stop,
            thread: Some(thread),
            db,
            replica_id,
        })
    }

    /// Records where this replica's HTTP server listens.
    pub fn set_address(&self, address: &str) {
        let saved = self
            .db
            .conn()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                replicas::set_address(&mut conn, &self.replica_id, address)
                    .map_err(|e| e.to_string())
            });
        if let Err(error) = saved {
            tracing::warn!(%error, "replica address not saved");
        }
    }

    /// Ends the thread, then removes the replica's row and gives up its leases.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let removed = self
            .db
            .conn()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                leases::release_all(&mut conn, &self.replica_id).map_err(|e| e.to_string())?;
                replicas::remove(&mut conn, &self.replica_id).map_err(|e| e.to_string())
            });
        if let Err(error) = removed {
            tracing::warn!(%error, "replica row not removed (it expires)");
        }
    }
}

/// One heartbeat: renewed (or registered again), the dead removed, the live counted.
fn beat(
    db: &Database,
    me: &replicas::Replica,
    lease: Duration,
    modules: &ModuleHost,
) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    if !replicas::heartbeat(&mut conn, &me.replica_id)? {
        replicas::register(&mut conn, me)?;
    }
    replicas::remove_dead(&mut conn, lease)?;
    let live = replicas::list(&mut conn)?;
    let peers = live
        .iter()
        .filter(|r| r.replica_id != me.replica_id)
        .count();
    modules.cluster().set_peers(peers);
    Ok(())
}

/// Sleeps `total` in short steps, returning early once `stop` is set.
fn sleep_unless_stopped(stop: &AtomicBool, total: Duration) {
    let step = Duration::from_millis(50);
    let mut left = total;
    while !left.is_zero() && !stop.load(Ordering::Acquire) {
        let now = left.min(step);
        std::thread::sleep(now);
        left -= now;
    }
}
