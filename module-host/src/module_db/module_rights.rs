//! Running module SQL with the module's rights as the database engine enforces them: on
//! PostgreSQL under the module's own role ([`pg_module_role`](super::pg_module_role)) with a
//! `statement_timeout`, on SQLite inside an authorizer scope with a deadline
//! ([`sqlite_rights`](super::sqlite_rights)). The SQL guard is the first line, with friendly
//! errors; this is the authority.

use super::foreign_key_audit::{blocking_foreign_keys, describe as describe_blocking};
use super::pg_module_connections::ModuleConn;
use super::pg_module_role::{ensure_module_role, enter_role_sql};
use super::sqlite_rights::ModuleAuthorizer;
use super::ModuleDbError;
use diesel::connection::SimpleConnection;
use paperclip_core::db::sqlite_scope::{self, SqliteScope, StatementAuthorizer};
use paperclip_core::db::DbConnection;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// One module's rights on the database engine. Shared by the module's calls and migrations.
pub struct ModuleRights {
    module_id: String,
    prefix: String,
    /// The PostgreSQL role, once created for this database.
    pg_role: OnceLock<String>,
    /// What SQLite lets the module do.
    authorizer: Arc<dyn StatementAuthorizer>,
}

impl std::fmt::Debug for ModuleRights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleRights")
            .field("module_id", &self.module_id)
            .field("pg_role", &self.pg_role.get())
            .finish()
    }
}

impl ModuleRights {
    /// The rights of module `module_id`, whose tables are named `<prefix>*`.
    pub fn new(module_id: &str, prefix: &str) -> ModuleRights {
        ModuleRights {
            module_id: module_id.to_string(),
            prefix: prefix.to_ascii_lowercase(),
            pg_role: OnceLock::new(),
            authorizer: Arc::new(ModuleAuthorizer {
                prefix: prefix.to_ascii_lowercase(),
            }),
        }
    }

    /// The rights of the module `guard` checks.
    pub fn for_guard(guard: &crate::sql_guard::SqlGuard) -> ModuleRights {
        ModuleRights::new(guard.module_id(), guard.table_prefix())
    }

    /// Makes sure the engine can enforce the rights: on PostgreSQL, creates (or updates) the
    /// module's role. Fails when the server's database user cannot create roles.
    pub fn prepare(&self, conn: &mut DbConnection) -> Result<(), String> {
        if let DbConnection::Pg(pg) = conn {
            if self.pg_role.get().is_none() {
                let role = ensure_module_role(pg, &self.module_id, &self.prefix)?;
                let _ = self.pg_role.set(role);
            }
        }
        Ok(())
    }

    /// The module's PostgreSQL role, once [`Self::prepare`] made it.
    pub(super) fn pg_role(&self) -> Option<&str> {
        self.pg_role.get().map(String::as_str)
    }

    /// Runs one autocommit module statement: on PostgreSQL on a connection of the module's
    /// role pool, on SQLite in the authorizer scope; both with the time limit.
    /// A schema change (`schema`) is also checked against the catalog for foreign keys that
    /// could block deletes, and undone if it leaves any.
    pub(super) fn autocommit<T>(
        &self,
        conn: &mut ModuleConn,
        timeout: Duration,
        schema: bool,
        work: impl FnOnce(&mut DbConnection) -> Result<T, ModuleDbError>,
    ) -> Result<T, ModuleDbError> {
        let role_connection = matches!(conn, ModuleConn::Role(_));
        let conn: &mut DbConnection = conn;
        self.prepare(conn).map_err(ModuleDbError::Rights)?;
        match conn {
            // The connection already runs as the module's role with its time limit (see
            // `pg_module_connections`): one round trip, like the host's own statements.
            DbConnection::Pg(_) if role_connection && !schema => {
                work(conn).map_err(|e| classify_pg(e, timeout))
            }
            DbConnection::Pg(_) => {
                // A schema change is checked against the catalog before it commits; on one of
                // the host's connections the role is switched for this transaction only.
                let begin = match self.pg_role() {
                    Some(role) if !role_connection => {
                        format!(
                            "BEGIN; {}",
                            enter_role_sql(role, timeout.as_millis() as u64)
                        )
                    }
                    Some(_) => "BEGIN".to_string(),
                    None => {
                        return Err(ModuleDbError::Rights(
                            "the module's database role was not prepared".into(),
                        ))
                    }
                };
                conn.batch_execute(&begin)?;
                let result = work(conn)
                    .map_err(|e| classify_pg(e, timeout))
                    .and_then(|value| self.audit(conn, schema).map(|()| value));
                finish(conn, result)
            }
            DbConnection::Sqlite(_) if schema => {
                // SQLite schema changes are transactional: check before they commit.
                conn.batch_execute("BEGIN IMMEDIATE")?;
                let result = self
                    .in_sqlite_scope(conn, Some(Instant::now() + timeout), timeout, work)
                    .and_then(|value| self.audit(conn, true).map(|()| value));
                finish(conn, result)
            }
            DbConnection::Sqlite(_) => {
                self.in_sqlite_scope(conn, Some(Instant::now() + timeout), timeout, work)
            }
        }
    }

    /// After a schema change, refuses foreign keys that could block deletes.
    fn audit(&self, conn: &mut DbConnection, schema: bool) -> Result<(), ModuleDbError> {
        if !schema {
            return Ok(());
        }
        let blocking = blocking_foreign_keys(conn, &self.prefix)?;
        if blocking.is_empty() {
            Ok(())
        } else {
            Err(ModuleDbError::EngineRefused(describe_blocking(&blocking)))
        }
    }

    /// Runs one statement of an open module transaction (on PostgreSQL on a connection of the
    /// module's role pool, so the role and time limit are already set). On SQLite the
    /// statement stops at `deadline`; `timeout` is the limit named in the error.
    pub(super) fn in_transaction<T>(
        &self,
        conn: &mut DbConnection,
        deadline: Instant,
        timeout: Duration,
        schema: bool,
        work: impl FnOnce(&mut DbConnection) -> Result<T, ModuleDbError>,
    ) -> Result<T, ModuleDbError> {
        let value = match conn {
            DbConnection::Pg(_) => work(conn).map_err(|e| classify_pg(e, timeout))?,
            DbConnection::Sqlite(_) => self
                .in_sqlite_scope(conn, Some(deadline), timeout, work)
                .map_err(name_sqlite_write_conflict)?,
        };
        self.audit(conn, schema)?;
        Ok(value)
    }

    /// Runs a migration's statements with the module's rights inside the migration's
    /// transaction, then gives the host's rights back (for the `mod_migrations` row). No time
    /// limit: a migration may build an index on a large table. Foreign keys that could block
    /// deletes fail the migration. [`Self::prepare`] must have run on this database.
    pub fn migration<T>(
        &self,
        conn: &mut DbConnection,
        work: impl FnOnce(&mut DbConnection) -> Result<T, diesel::result::Error>,
    ) -> Result<T, diesel::result::Error> {
        match conn {
            DbConnection::Pg(_) => {
                let role = self.pg_role.get().ok_or_else(|| {
                    diesel::result::Error::QueryBuilderError(
                        "the module's database role was not prepared".into(),
                    )
                })?;
                conn.batch_execute(&enter_role_sql(role, 0))?;
                let value = work(conn)?;
                conn.batch_execute("RESET ROLE; SET LOCAL statement_timeout = DEFAULT")?;
                self.audit_migration(conn)?;
                Ok(value)
            }
            DbConnection::Sqlite(_) => {
                let value = {
                    let _scope = sqlite_scope::enter(self.scope(None));
                    work(conn)?
                };
                self.audit_migration(conn)?;
                Ok(value)
            }
        }
    }

    fn audit_migration(&self, conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
        let blocking = blocking_foreign_keys(conn, &self.prefix)?;
        if blocking.is_empty() {
            return Ok(());
        }
        Err(diesel::result::Error::QueryBuilderError(
            describe_blocking(&blocking).into(),
        ))
    }

    fn scope(&self, deadline: Option<Instant>) -> SqliteScope {
        SqliteScope {
            authorizer: Arc::clone(&self.authorizer),
            deadline,
        }
    }

    fn in_sqlite_scope<T>(
        &self,
        conn: &mut DbConnection,
        deadline: Option<Instant>,
        limit: Duration,
        work: impl FnOnce(&mut DbConnection) -> Result<T, ModuleDbError>,
    ) -> Result<T, ModuleDbError> {
        let _scope = sqlite_scope::enter(self.scope(deadline));
        work(conn).map_err(|error| classify_sqlite(error, deadline, limit))
    }
}

/// Ends the transaction a statement ran in: `COMMIT` after success (rolled back if the
/// commit fails), `ROLLBACK` after an error.
fn finish<T>(
    conn: &mut DbConnection,
    result: Result<T, ModuleDbError>,
) -> Result<T, ModuleDbError> {
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    match (result, conn.batch_execute(end)) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(e)) => {
            let _ = conn.batch_execute("ROLLBACK");
            Err(e.into())
        }
        (Err(e), _) => Err(e),
    }
}

/// The SQLite engine's refusals and interruptions, named.
fn classify_sqlite(
    error: ModuleDbError,
    deadline: Option<Instant>,
    limit: Duration,
) -> ModuleDbError {
    let ModuleDbError::Database(message) = &error else {
        return error;
    };
    if message.contains("interrupted") && deadline.is_some_and(|d| Instant::now() >= d) {
        return ModuleDbError::TimedOut { limit };
    }
    if message.contains("not authorized") || message.contains("prohibited") {
        if let Some(denied) = sqlite_scope::take_denial() {
            return ModuleDbError::EngineRefused(format!(
                "the database refused {denied}: a module may read the core's tables and its \
                 own, and change only its own"
            ));
        }
    }
    error
}

/// SQLite's "database is locked" inside a module transaction, named with what to do: a
/// transaction starts deferred (it takes the write lock at its first write), so one that read
/// first cannot write once another writer has committed since.
fn name_sqlite_write_conflict(error: ModuleDbError) -> ModuleDbError {
    match &error {
        ModuleDbError::Database(message) if message.contains("database is locked") => {
            ModuleDbError::WriteConflict(
                concat!(
                    "the transaction read the database before its first write and another ",
                    "writer committed since (SQLite takes a transaction's write lock at its ",
                    "first write), or the lock stayed taken past the busy timeout; roll back ",
                    "and run the transaction again, or write before reading"
                )
                .to_string(),
            )
        }
        _ => error,
    }
}

/// The PostgreSQL engine's refusals and time-outs, named.
fn classify_pg(error: ModuleDbError, limit: Duration) -> ModuleDbError {
    let ModuleDbError::Database(message) = &error else {
        return error;
    };
    if message.contains("statement timeout") {
        return ModuleDbError::TimedOut { limit };
    }
    if message.contains("permission denied") || message.contains("must be owner") {
        return ModuleDbError::EngineRefused(format!(
            "the database refused it under the module's role: {message}"
        ));
    }
    error
}

/// Text of a failed migration statement on SQLite, with what the authorizer refused.
pub fn describe_migration_error(error: &diesel::result::Error) -> String {
    let message = error.to_string();
    match sqlite_scope::take_denial() {
        Some(denied) if message.contains("not authorized") => {
            format!("{message}: the database refused {denied}")
        }
        _ => message,
    }
}
