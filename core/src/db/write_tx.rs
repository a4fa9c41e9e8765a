//! Write transactions that behave the same on both backends.

use super::connection::DbConnection;
use diesel::connection::SimpleConnection;
use diesel::Connection;

/// Runs `work` in a write transaction: committed when it returns `Ok`, rolled back on `Err`
/// (and on panic). On SQLite the transaction starts with `BEGIN IMMEDIATE` so it holds the
/// write lock from the start: a deferred transaction that reads first and writes later can
/// fail with `SQLITE_BUSY` when another writer commits in between, and the busy timeout cannot
/// help there.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Pg(_) => conn.transaction(work),
        DbConnection::Sqlite(_) => {
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let mut guard = RollbackGuard {
                conn,
                finished: false,
            };
            let result = work(guard.conn);
            match result {
                Ok(value) => {
                    guard.conn.batch_execute("COMMIT")?;
                    guard.finished = true;
                    Ok(value)
                }
                Err(error) => {
                    guard.finished = true;
                    guard.conn.batch_execute("ROLLBACK")?;
                    Err(error)
                }
            }
        }
    }
}

/// Rolls the SQLite transaction back if `work` panicked, so the pooled connection is not
/// returned to the pool inside an open transaction.
struct RollbackGuard<'a> {
    conn: &'a mut DbConnection,
    finished: bool,
}

impl Drop for RollbackGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}
