//! A module's database access: the host side of `db_query`, `db_execute`, `db_begin`,
//! `db_commit` and `db_rollback`.
//!
//! Modules never get a connection. They send one SQL statement at a time with `$1..$n`
//! placeholders and a JSON array of parameters; [`ModuleDb`] checks the statement with the
//! module's [`SqlGuard`] (a module writes only its own `mod_<id>_*` tables), checks the
//! parameter count, binds each JSON value with a matching SQL type
//! ([`param_binding`](self::param_binding)), runs it on the host's pool and returns the rows
//! as JSON objects (column name → value, see `sqlite_value_to_json` and `pg_value_to_json`).
//!
//! Transaction id 0 means autocommit: the statement takes a pooled connection for that one
//! call. [`ModuleDb::begin`] opens a transaction (SQLite: deferred `BEGIN`, so a module's
//! transaction takes the write lock only at its first write and an idle or read-only one never
//! holds up core writes; a write after another writer committed past its first read is a
//! [`ModuleDbError::WriteConflict`], to be run again; PostgreSQL `BEGIN`) on a connection the host
//! keeps until [`ModuleDb::commit`] or [`ModuleDb::rollback`]. Only the module that opened a
//! transaction may use it; one left open past its limit (30 s by default) is rolled back by the
//! host, and [`ModuleDb::rollback_all`] ends a module's transactions when it is disabled.
//!
//! ```no_run
//! use paperclip_core::db::Database;
//! use paperclip_module_host::module_db::ModuleDb;
//! use serde_json::json;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let db = ModuleDb::new("token-meter", Database::open("data/paperclip.db")?);
//! db.execute(0, "CREATE TABLE IF NOT EXISTS mod_token_meter_usage (agent_id TEXT, tokens INTEGER)", &[])?;
//! let tx = db.begin()?;
//! db.execute(tx, "INSERT INTO mod_token_meter_usage VALUES ($1, $2)", &[json!("a1"), json!(42)])?;
//! db.commit(tx)?;
//! let rows = db.query(0, "SELECT tokens FROM mod_token_meter_usage WHERE agent_id = $1", &[json!("a1")])?;
//! assert_eq!(rows[0]["tokens"], json!(42));
//! # Ok(()) }
//! ```

mod base64;
mod call_gate;
#[cfg(test)]
mod engine_tests;
mod foreign_key_audit;
mod module_db_error;
mod module_db_limits;
mod module_rights;
mod module_transactions;
mod param_binding;
mod pg_module_connections;
mod pg_module_role;
mod pg_value_to_json;
mod result_budget;
mod row_to_json;
mod run_statement;
mod sqlite_rights;
mod sqlite_value_to_json;
#[cfg(test)]
pub(crate) mod test_databases;
#[cfg(test)]
mod tests;

pub use module_db_error::ModuleDbError;
pub use module_db_limits::ModuleDbLimits;
pub use module_rights::{describe_migration_error, ModuleRights};
pub use row_to_json::JsonRow;

use crate::sql_guard::{CheckedStatement, SqlGuard, StatementKind};
use call_gate::{gate_for, CallGate};
use diesel::connection::SimpleConnection;
use module_transactions::{registry, OpenTransaction};
use paperclip_core::db::{Backend, Database, DbConnection};
use pg_module_connections::{module_role_pool, ModuleConn, ModuleRolePool};
use result_budget::ResultBudget;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Database access for one module: every statement checked by that module's SQL guard, then
/// run with the module's rights as the engine enforces them ([`ModuleRights`]), within the
/// module's [`ModuleDbLimits`], on the host's pool. Cheap to clone; clones share the module's
/// transactions, rights and revocation.
#[derive(Clone)]
pub struct ModuleDb {
    guard: SqlGuard,
    db: Database,
    transaction_limit: Duration,
    limits: ModuleDbLimits,
    rights: Arc<ModuleRights>,
    gate: Arc<CallGate>,
    revoked: Arc<AtomicBool>,
    /// PostgreSQL: connections running as the module's role (made on first use).
    role_pool: Arc<OnceLock<ModuleRolePool>>,
}

impl std::fmt::Debug for ModuleDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleDb")
            .field("module_id", &self.module_id())
            .field("backend", &self.db.backend())
            .finish()
    }
}

impl ModuleDb {
    /// How long a module transaction may stay open before the host rolls it back.
    pub const DEFAULT_TRANSACTION_LIMIT: Duration = Duration::from_secs(30);

    /// On SQLite a transaction that wrote holds the database's only write lock, and core
    /// writes wait at most 10 s for it (the busy timeout): a module transaction there lives
    /// at most this long, well below that wait.
    pub const SQLITE_TRANSACTION_LIMIT: Duration = Duration::from_secs(4);

    /// Database access for `module_id`, with the default guard for that module.
    pub fn new(module_id: &str, db: Database) -> ModuleDb {
        ModuleDb::with_guard(SqlGuard::new(module_id), db)
    }

    /// Database access checked by `guard` (e.g. one that knows the other installed modules,
    /// see [`SqlGuard::with_other_modules`]); the module is the guard's.
    pub fn with_guard(guard: SqlGuard, db: Database) -> ModuleDb {
        let rights = Arc::new(ModuleRights::new(guard.module_id(), guard.table_prefix()));
        ModuleDb {
            gate: gate_for(&db),
            guard,
            db,
            transaction_limit: ModuleDb::DEFAULT_TRANSACTION_LIMIT,
            limits: ModuleDbLimits::default(),
            rights,
            revoked: Arc::default(),
            role_pool: Arc::default(),
        }
    }

    /// Sets the statement, result and concurrency limits.
    pub fn with_limits(mut self, limits: ModuleDbLimits) -> ModuleDb {
        self.limits = limits;
        self
    }

    /// The module's engine-level rights (also used by its migrations).
    pub fn rights(&self) -> &Arc<ModuleRights> {
        &self.rights
    }

    /// Revokes this access (the module was disabled): every later call, from any clone,
    /// answers [`ModuleDbError::Disabled`]. Open transactions are rolled back.
    pub fn revoke(&self) {
        self.revoked.store(true, Ordering::SeqCst);
        self.rollback_all();
    }

    /// Whether [`ModuleDb::revoke`] was called.
    pub fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::SeqCst)
    }

    fn ensure_active(&self) -> Result<(), ModuleDbError> {
        if self.is_revoked() {
            return Err(ModuleDbError::Disabled(self.module_id().to_string()));
        }
        Ok(())
    }

    fn budget(&self) -> ResultBudget {
        ResultBudget::new(self.limits.max_rows, self.limits.max_bytes)
    }

    /// Sets how long a transaction begun from now on may stay open.
    pub fn with_transaction_limit(mut self, limit: Duration) -> ModuleDb {
        self.transaction_limit = limit;
        self
    }

    /// The module this access belongs to.
    pub fn module_id(&self) -> &str {
        self.guard.module_id()
    }

    /// The backend statements run on.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Parses the parameter list a module sends as JSON text (a JSON array).
    pub fn parse_params(params_json: &str) -> Result<Vec<Value>, ModuleDbError> {
        let text = params_json.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(values)) => Ok(values),
            Ok(other) => Err(ModuleDbError::ParamsNotArray(format!(
                "got {}",
                json_type_name(&other)
            ))),
            Err(e) => Err(ModuleDbError::ParamsNotArray(e.to_string())),
        }
    }

    /// Runs a statement and returns its rows (a statement without results gives none).
    /// `tx` is 0 for autocommit or an id from [`ModuleDb::begin`].
    pub fn query(
        &self,
        tx: u64,
        sql: &str,
        params: &[Value],
    ) -> Result<Vec<JsonRow>, ModuleDbError> {
        let statement = self.check(sql, params)?;
        let budget = self.budget();
        let schema = statement.kind == StatementKind::Schema;
        self.on_connection(tx, schema, |conn| {
            run_statement::query_rows(conn, &statement, params, budget)
        })
    }

    /// Runs a statement and returns the rows it affected: written rows for `INSERT`, `UPDATE`
    /// and `DELETE` (returned rows with `RETURNING`), returned rows for a `SELECT`, 0 for a
    /// schema change. `tx` is 0 for autocommit or an id from [`ModuleDb::begin`].
    pub fn execute(&self, tx: u64, sql: &str, params: &[Value]) -> Result<u64, ModuleDbError> {
        let statement = self.check(sql, params)?;
        let budget = self.budget();
        let schema = statement.kind == StatementKind::Schema;
        self.on_connection(tx, schema, |conn| {
            run_statement::execute_statement(conn, &statement, params, budget)
        })
    }

    /// Opens a transaction and returns its id (never 0).
    /// On SQLite the transaction starts deferred (it takes the write lock at its first write,
    /// not before) and lives at most [`ModuleDb::SQLITE_TRANSACTION_LIMIT`].
    pub fn begin(&self) -> Result<u64, ModuleDbError> {
        self.ensure_active()?;
        // Each open transaction holds one of the module's `maxDbCalls` places at the call gate;
        // say so at once rather than waiting at the gate for a place the module itself holds.
        let open = registry().count_owned_by(self.module_id(), self.db.url());
        let limit = self.limits.max_concurrent_calls.max(1);
        if open >= limit {
            return Err(ModuleDbError::TooManyTransactions { open, limit });
        }
        let permit = self.acquire_permit()?;
        let mut conn = self.module_conn()?;
        let limit = match conn.backend() {
            Backend::Sqlite => self
                .transaction_limit
                .min(ModuleDb::SQLITE_TRANSACTION_LIMIT),
            Backend::Postgres => self.transaction_limit,
        };
        // Deferred on SQLite: the write lock is taken at the first write, not before.
        conn.batch_execute("BEGIN")?;
        let id = registry().insert(self.module_id(), self.db.url(), conn, permit, limit);
        tracing::debug!(module = %self.module_id(), transaction = id, "module transaction begun");
        Ok(id)
    }

    /// Commits the transaction `tx`. If the host already rolled it back (past its limit) or,
    /// on PostgreSQL, a statement in it failed, it is rolled back and the error says why.
    pub fn commit(&self, tx: u64) -> Result<(), ModuleDbError> {
        self.ensure_active()?;
        let transaction = self.owned_transaction(tx)?;
        registry().remove(tx);
        let mut state = transaction.lock();
        if let Some((reason, _)) = state.ended.take() {
            return Err(ModuleDbError::RolledBack { tx, reason });
        }
        if state.conn.is_none() {
            return Err(ModuleDbError::UnknownTransaction(tx));
        }
        if transaction.is_expired(Instant::now()) {
            state.roll_back(tx, self.module_id());
            return Err(ModuleDbError::RolledBack {
                tx,
                reason: module_db_error::timed_out_reason(transaction.limit),
            });
        }
        if let Some(failure) = state.failed.take() {
            state.roll_back(tx, self.module_id());
            return Err(ModuleDbError::RolledBack {
                tx,
                reason: format!("a statement in it failed, so it could not commit: {failure}"),
            });
        }
        state.commit(tx, self.module_id())?;
        tracing::debug!(module = %self.module_id(), transaction = tx, "module transaction committed");
        Ok(())
    }

    /// Rolls back the transaction `tx`. Rolling back one the host already rolled back
    /// succeeds: the outcome the module asked for holds.
    pub fn rollback(&self, tx: u64) -> Result<(), ModuleDbError> {
        self.ensure_active()?;
        let transaction = self.owned_transaction(tx)?;
        registry().remove(tx);
        let mut state = transaction.lock();
        if state.ended.take().is_none() && state.conn.is_none() {
            return Err(ModuleDbError::UnknownTransaction(tx));
        }
        state.roll_back(tx, self.module_id());
        tracing::debug!(module = %self.module_id(), transaction = tx, "module transaction rolled back");
        Ok(())
    }

    /// Rolls back every open transaction of this module (on disable and shutdown); returns
    /// how many there were. Waits for a call still running in one of them.
    pub fn rollback_all(&self) -> usize {
        let mut rolled_back = 0;
        for transaction in registry().remove_owned_by(self.module_id(), self.db.url()) {
            let mut state = transaction.lock();
            if state.conn.is_some() {
                state.roll_back(transaction.id, self.module_id());
                rolled_back += 1;
            }
        }
        if rolled_back > 0 {
            tracing::info!(module = %self.module_id(), count = rolled_back,
                "rolled back the module's open transactions");
        }
        rolled_back
    }

    /// How many transactions this module has open.
    pub fn open_transactions(&self) -> usize {
        registry().count_owned_by(self.module_id(), self.db.url())
    }

    /// A connection for the module's statements: on SQLite one of the host's pool (the
    /// authorizer scope carries the rights), on PostgreSQL one of the module's role pool,
    /// made (with the role) on first use.
    fn module_conn(&self) -> Result<ModuleConn, ModuleDbError> {
        let unavailable =
            |e| ModuleDbError::Unavailable(paperclip_core::db::DatabaseError::Pool(e));
        if self.db.backend() == Backend::Sqlite {
            return Ok(ModuleConn::Shared(self.db.conn()?));
        }
        if let Some(pool) = self.role_pool.get() {
            return pool.get().map(ModuleConn::Role).map_err(unavailable);
        }
        let mut conn = self.db.conn()?;
        self.rights
            .prepare(&mut conn)
            .map_err(ModuleDbError::Rights)?;
        drop(conn);
        let role = self
            .rights
            .pg_role()
            .ok_or_else(|| ModuleDbError::Rights("the module's role was not made".into()))?;
        let pool = self.role_pool.get_or_init(|| {
            module_role_pool(
                self.db.url(),
                role,
                self.limits.max_concurrent_calls,
                self.limits.statement_timeout,
            )
        });
        pool.get().map(ModuleConn::Role).map_err(unavailable)
    }

    /// Takes the module's place at the database's call gate.
    fn acquire_permit(&self) -> Result<call_gate::CallPermit, ModuleDbError> {
        // A short wait: a module that keeps more calls running than it may is told so, well
        // inside its route's time limit.
        self.gate.acquire(
            self.module_id(),
            self.limits.max_concurrent_calls,
            self.limits.statement_timeout.min(Duration::from_secs(1)),
        )
    }

    /// Checks the statement with the guard and its parameter count.
    fn check(&self, sql: &str, params: &[Value]) -> Result<CheckedStatement, ModuleDbError> {
        self.ensure_active()?;
        let statement = self.guard.check_statement(sql, self.db.backend())?;
        if statement.param_count != params.len() {
            return Err(ModuleDbError::ParamCount {
                expected: statement.param_count,
                given: params.len(),
            });
        }
        Ok(statement)
    }

    /// Runs `work` on a pooled connection (autocommit, `tx` 0) or on the connection of the
    /// module's transaction `tx`. `schema`: the statement changes the schema (then checked for
    /// foreign keys that could block deletes).
    fn on_connection<T>(
        &self,
        tx: u64,
        schema: bool,
        work: impl FnOnce(&mut DbConnection) -> Result<T, ModuleDbError>,
    ) -> Result<T, ModuleDbError> {
        if tx == 0 {
            let _permit = self.acquire_permit()?;
            let mut conn = self.module_conn()?;
            return self
                .rights
                .autocommit(&mut conn, self.limits.statement_timeout, schema, work);
        }
        let transaction = self.owned_transaction(tx)?;
        let mut state = transaction.lock();
        if let Some((reason, _)) = &state.ended {
            return Err(ModuleDbError::RolledBack {
                tx,
                reason: reason.clone(),
            });
        }
        let now = Instant::now();
        if state.conn.is_some() && transaction.is_expired(now) {
            module_transactions::expire(&transaction, &mut state, now);
            return Err(ModuleDbError::RolledBack {
                tx,
                reason: module_db_error::timed_out_reason(transaction.limit),
            });
        }
        let Some(conn) = state.conn.as_mut() else {
            return Err(ModuleDbError::UnknownTransaction(tx));
        };
        let timeout = self.limits.statement_timeout;
        let deadline = (now + timeout).min(transaction.deadline());
        let result = self
            .rights
            .in_transaction(conn, deadline, timeout, schema, work);
        if let Err(error) = &result {
            // PostgreSQL aborts the whole transaction on a failed statement (SQLite does not);
            // remember it so a later commit reports the rollback instead of pretending. A schema
            // change refused after it ran stays in the transaction: it must not commit either.
            let aborted = self.db.backend() == Backend::Postgres && failed_on_server(error);
            if state.failed.is_none() && (aborted || schema) {
                state.failed = Some(error.to_string());
            }
        }
        result
    }

    /// The transaction `tx` if this module owns it.
    fn owned_transaction(&self, tx: u64) -> Result<Arc<OpenTransaction>, ModuleDbError> {
        if tx == 0 {
            return Err(ModuleDbError::NoTransaction);
        }
        let transaction = registry()
            .get(tx)
            .ok_or(ModuleDbError::UnknownTransaction(tx))?;
        if !transaction.belongs_to(self.module_id(), self.db.url()) {
            return Err(ModuleDbError::NotOwner(tx));
        }
        Ok(transaction)
    }
}

/// Whether the error came from the database server (which then aborts a PostgreSQL
/// transaction), not from the host before or after the statement ran.
fn failed_on_server(error: &ModuleDbError) -> bool {
    matches!(
        error,
        ModuleDbError::Database(_)
            | ModuleDbError::TimedOut { .. }
            | ModuleDbError::EngineRefused(_)
    )
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
