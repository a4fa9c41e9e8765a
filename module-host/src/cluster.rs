//! This replica's place among the servers sharing one database. On PostgreSQL several
//! replicas may run: each module's background work — its services and its at-least-once hook
//! delivery — is done by the one replica holding the module's lease (`module:<id>` in
//! `cluster_leases`), renewed by [`ModuleHost::keep_leases`](crate::ModuleHost::keep_leases);
//! when the holder dies another takes the lease once it expires. Routes are served by every
//! replica, and best-effort hook events by the replica that committed them. On SQLite there is
//! one replica, which holds every lease without asking the database.

use paperclip_core::cluster::leases;
use paperclip_core::db::Database;
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Default time a lease lasts without renewal (`cluster.leaseMs`).
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_millis(5000);

/// This replica's identity and the module leases it holds (see the module doc).
pub struct Cluster {
    replica_id: String,
    coordinated: bool,
    lease_ttl: Duration,
    held: Mutex<HashSet<String>>,
    peers: AtomicUsize,
}

impl Cluster {
    /// A replica alone on its database (SQLite): it holds every lease.
    pub fn single(replica_id: &str) -> Cluster {
        Cluster {
            replica_id: replica_id.to_string(),
            coordinated: false,
            lease_ttl: DEFAULT_LEASE_TTL,
            held: Mutex::new(HashSet::new()),
            peers: AtomicUsize::new(0),
        }
    }

    /// A replica that shares its database (PostgreSQL) with others: leases of `lease_ttl`
    /// decide which one does each module's background work.
    pub fn coordinated(replica_id: &str, lease_ttl: Duration) -> Cluster {
        Cluster {
            coordinated: true,
            lease_ttl,
            ..Cluster::single(replica_id)
        }
    }

    /// This replica's id.
    pub fn replica_id(&self) -> &str {
        &self.replica_id
    }

    /// Whether leases are taken in the database (PostgreSQL).
    pub fn is_coordinated(&self) -> bool {
        self.coordinated
    }

    /// How long a lease lasts without renewal.
    pub fn lease_ttl(&self) -> Duration {
        self.lease_ttl
    }

    /// The lease name of module `id`'s background work.
    pub fn lease_name(id: &str) -> String {
        format!("module:{id}")
    }

    /// Whether this replica does module `id`'s background work now.
    pub fn holds(&self, id: &str) -> bool {
        !self.coordinated || self.held.lock().contains(id)
    }

    /// Takes or renews module `id`'s lease; returns whether this replica holds it now. A
    /// database error counts as not holding it (another replica may have taken it meanwhile).
    pub fn take(&self, db: &Database, id: &str) -> bool {
        if !self.coordinated {
            return true;
        }
        let taken = db.conn().map_err(|e| e.to_string()).and_then(|mut conn| {
            leases::try_acquire(
                &mut conn,
                &Cluster::lease_name(id),
                &self.replica_id,
                self.lease_ttl,
            )
            .map_err(|e| e.to_string())
        });
        let holds = match taken {
            Ok(holds) => holds,
            Err(error) => {
                tracing::warn!(module = id, %error, "module lease not renewed");
                false
            }
        };
        let mut held = self.held.lock();
        if holds {
            held.insert(id.to_string());
        } else {
            held.remove(id);
        }
        holds
    }

    /// Gives module `id`'s lease up (the module stopped here), so another replica takes it at
    /// once.
    pub fn release(&self, db: &Database, id: &str) {
        if !self.coordinated || !self.held.lock().remove(id) {
            return;
        }
        let released = db.conn().map_err(|e| e.to_string()).and_then(|mut conn| {
            leases::release(&mut conn, &Cluster::lease_name(id), &self.replica_id)
                .map_err(|e| e.to_string())
        });
        if let Err(error) = released {
            tracing::warn!(module = id, %error, "module lease not released (it lapses)");
        }
    }

    /// The modules whose lease this replica holds.
    pub fn held(&self) -> Vec<String> {
        self.held.lock().iter().cloned().collect()
    }

    /// Other live replicas on the database, as last counted.
    pub fn peers(&self) -> usize {
        self.peers.load(Ordering::Relaxed)
    }

    /// Records how many other live replicas there are (the lease holder of an at-least-once
    /// module then also reads the events they commit from the outbox).
    pub fn set_peers(&self, peers: usize) {
        self.peers.store(peers, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_replica_holds_every_lease_without_a_database() {
        let cluster = Cluster::single("r1");
        assert!(cluster.holds("anything"));
        assert!(!cluster.is_coordinated());
        assert_eq!(Cluster::lease_name("obs"), "module:obs");
    }

    #[test]
    fn a_coordinated_replica_holds_nothing_until_it_takes_it() {
        let cluster = Cluster::coordinated("r1", Duration::from_secs(1));
        assert!(!cluster.holds("obs"));
        assert!(cluster.held().is_empty());
    }
}
