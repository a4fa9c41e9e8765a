//! Running several replicas of the server on one PostgreSQL database (and refusing two on one
//! SQLite file): the replica's identity and heartbeat ([`replica_keeper`]), module state that
//! another replica saved applied here ([`state_sync`], `LISTEN/NOTIFY` with a periodic sync as
//! the fallback), store-installed bundles kept in the database and laid out by every replica
//! ([`bundle_replication`]), and the SQLite data-directory lock ([`data_dir_lock`]). The
//! module leases themselves are the module host's (`module_host::cluster`).

pub mod bundle_replication;
pub mod data_dir_lock;
pub mod replica_keeper;
pub mod state_sync;

/// This replica's id: `PAPERCLIP_REPLICA_ID` when set (e.g. `a`, `b`, `c` in a compose file),
/// else a fresh UUID.
pub fn replica_id() -> String {
    std::env::var("PAPERCLIP_REPLICA_ID")
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}
