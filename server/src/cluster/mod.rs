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
/// else the one kept in `<data dir>/replica-id`, else a fresh UUID kept there — so a replica
/// restarted after a crash is the same replica and takes its module leases back at once
/// (the data directory's lock keeps two processes from sharing one id).
pub fn replica_id(data_dir: &std::path::Path) -> String {
    if let Some(id) = std::env::var("PAPERCLIP_REPLICA_ID")
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
    {
        return id;
    }
    let file = data_dir.join("replica-id");
    if let Some(id) = std::fs::read_to_string(&file)
        .ok()
        .map(|text| text.trim().to_string())
        .filter(|id| !id.is_empty())
    {
        return id;
    }
    let id = uuid::Uuid::new_v4().to_string();
    if let Err(error) = std::fs::create_dir_all(data_dir).and_then(|()| std::fs::write(&file, &id))
    {
        tracing::warn!(%error, file = %file.display(), "replica id not kept (a restart gets a new one)");
    }
    id
}
