//! The entry point of core operations: runs reads and writes on the database pool and emits a
//! write's hooks after it commits.

use super::CoreError;
use crate::db::{write_tx, Database, DbConnection};
use crate::hooks::{HookBus, PendingHooks};
use std::sync::Arc;

/// The core: database plus hook bus. Cheap to clone; shared by the API, the module host
/// (read access for modules) and the template importer.
#[derive(Clone)]
pub struct Core {
    db: Database,
    hooks: Arc<HookBus>,
}

impl Core {
    /// Wraps a database and a hook bus.
    pub fn new(db: Database, hooks: Arc<HookBus>) -> Core {
        Core { db, hooks }
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

    /// Runs `work` in one write transaction on a blocking thread; after the commit, emits the
    /// hooks it queued. On error nothing is written and nothing is emitted.
    pub async fn write<T, F>(&self, work: F) -> Result<T, CoreError>
    where
        F: FnOnce(&mut DbConnection, &mut PendingHooks) -> Result<T, CoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (value, pending) = self
            .db
            .run(move |conn| {
                write_tx(conn, |tx| {
                    let mut pending = PendingHooks::new();
                    let value = work(tx, &mut pending)?;
                    Ok::<_, CoreError>((value, pending))
                })
            })
            .await?;
        pending.emit(&self.hooks);
        Ok(value)
    }

    /// Blocking variant of [`Core::write`] for callers already on a blocking thread (CLI,
    /// module host).
    pub fn write_blocking<T, F>(&self, work: F) -> Result<T, CoreError>
    where
        F: FnOnce(&mut DbConnection, &mut PendingHooks) -> Result<T, CoreError>,
    {
        let mut conn = self.db.conn()?;
        let (value, pending) = write_tx(&mut conn, |tx| {
            let mut pending = PendingHooks::new();
            let value = work(tx, &mut pending)?;
            Ok::<_, CoreError>((value, pending))
        })?;
        pending.emit(&self.hooks);
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
