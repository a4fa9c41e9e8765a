//! The entry point of core operations: runs reads and writes on the database pool, records a
//! write's hooks in the hook outbox inside its transaction and emits them after it commits.

use super::CoreError;
use crate::db::{write_tx, Database, DbConnection};
use crate::hooks::{hook_outbox, HookBus, PendingHooks, RecordedEvent};
use std::sync::Arc;

/// Benchmark-only switch, not a product setting: when this environment variable is `1` at
/// start-up, core writes skip the hook outbox and emit their hooks from memory only (without
/// `eventId`), as before issue 14. Exists so `tests/benches/core_issue_throughput.rs` can
/// measure the outbox's cost against a server without it in the same run.
pub const BENCH_NO_OUTBOX_VAR: &str = "PAPERCLIP_BENCH_NO_OUTBOX";

/// The core: database plus hook bus. Cheap to clone; shared by the API, the module host
/// (read access for modules) and the template importer.
#[derive(Clone)]
pub struct Core {
    db: Database,
    hooks: Arc<HookBus>,
    /// Whether writes record their hooks in the outbox (always, except under
    /// [`BENCH_NO_OUTBOX_VAR`]).
    outbox: bool,
}

impl Core {
    /// Wraps a database and a hook bus.
    pub fn new(db: Database, hooks: Arc<HookBus>) -> Core {
        let outbox = std::env::var(BENCH_NO_OUTBOX_VAR).as_deref() != Ok("1");
        if !outbox {
            tracing::warn!("{BENCH_NO_OUTBOX_VAR}=1: hook outbox off (benchmarks only)");
        }
        Core { db, hooks, outbox }
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The hook bus.
    pub fn hooks(&self) -> &Arc<HookBus> {
        &self.hooks
    }

    /// Runs read-only work on a blocking thread.
    pub async fn read<T, F>(&self, work: F) -> Result<T, CoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, CoreError> + Send + 'static,
        T: Send + 'static,
    {
        self.db.run(work).await
    }

    /// Runs `work` in one write transaction on a blocking thread. The hooks it queued are
    /// recorded in the hook outbox in the same transaction (each with a fresh `eventId`) and
    /// emitted after the commit. On error nothing is written, recorded or emitted.
    pub async fn write<T, F>(&self, work: F) -> Result<T, CoreError>
    where
        F: FnOnce(&mut DbConnection, &mut PendingHooks) -> Result<T, CoreError> + Send + 'static,
        T: Send + 'static,
    {
        let outbox = self.outbox;
        let (value, committed) = self
            .db
            .run(move |conn| {
                write_tx(conn, |tx| {
                    let mut pending = PendingHooks::new();
                    let value = work(tx, &mut pending)?;
                    Ok::<_, CoreError>((value, CommittedHooks::record(tx, pending, outbox)?))
                })
            })
            .await?;
        committed.emit(&self.hooks);
        Ok(value)
    }

    /// Blocking variant of [`Core::write`] for callers already on a blocking thread (CLI,
    /// module host).
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T, CoreError>
    where
        F: FnOnce(&mut DbConnection, &mut PendingHooks) -> Result<T, CoreError>,
    {
        let mut conn = self.db.conn()?;
        let (value, committed) = write_tx(&mut conn, |tx| {
            let mut pending = PendingHooks::new();
            let value = work(tx, &mut pending)?;
            Ok::<_, CoreError>((value, CommittedHooks::record(tx, pending, self.outbox)?))
        })?;
        committed.emit(&self.hooks);
        Ok(value)
    }

    /// Blocking variant of [`Core::read`].
    pub fn read_blocking<T, F>(&self, work: F) -> Result<T, CoreError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, CoreError>,
    {
        let mut conn = self.db.conn()?;
        work(&mut conn)
    }
}

/// A write's hooks between its commit and their emission.
enum CommittedHooks {
    /// Recorded in the hook outbox by the write's transaction.
    Recorded(Vec<RecordedEvent>),
    /// Not recorded: [`BENCH_NO_OUTBOX_VAR`] is set.
    InMemory(PendingHooks),
}

impl CommittedHooks {
    /// Inside the write transaction, after its work returned `Ok`: records `pending` in the
    /// outbox (unless `outbox` is off).
    fn record(
        tx: &mut DbConnection,
        pending: PendingHooks,
        outbox: bool,
    ) -> Result<CommittedHooks, CoreError> {
        if !outbox {
            return Ok(CommittedHooks::InMemory(pending));
        }
        Ok(CommittedHooks::Recorded(hook_outbox::record(
            tx,
            pending.into_events(),
        )?))
    }

    /// After the commit: hands every event to the bus, in order.
    fn emit(self, bus: &HookBus) {
        match self {
            CommittedHooks::Recorded(events) => {
                for event in events {
                    bus.emit_recorded(event);
                }
            }
            CommittedHooks::InMemory(pending) => pending.emit(bus),
        }
    }
}
