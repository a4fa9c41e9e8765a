//! Why a module's database call did not happen. Messages name what is wrong so a module author
//! can fix it; the host hands them to the module as `HostError` text.

use crate::sql_guard::SqlGuardError;
use paperclip_core::db::DatabaseError;
use std::time::Duration;

/// An error of [`super::ModuleDb`]. Except for `Database` inside a transaction on PostgreSQL
/// (which aborts that transaction, as PostgreSQL does), none of them changes anything.
#[derive(Debug, thiserror::Error)]
pub enum ModuleDbError {
    /// The SQL guard refused the statement.
    #[error("SQL refused: {0}")]
    Refused(#[from] SqlGuardError),
    /// The number of parameters does not match the statement's `$1..$n`.
    #[error("the statement uses {expected} parameter(s) but {given} were given{hint}", hint = param_hint(*.expected))]
    ParamCount {
        /// The highest `$n` in the statement.
        expected: usize,
        /// How many values were sent.
        given: usize,
    },
    /// The parameters are not a JSON array.
    #[error("parameters must be a JSON array of values: {0}")]
    ParamsNotArray(String),
    /// One parameter cannot be bound.
    #[error("parameter ${number}: {reason}")]
    BadParam {
        /// The parameter's number, from 1.
        number: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The transaction id is not an open transaction (never opened, or already finished).
    #[error(
        "transaction {0} is not open (it was never begun, or was already committed or rolled back)"
    )]
    UnknownTransaction(u64),
    /// The transaction id belongs to another module.
    #[error("transaction {0} belongs to another module")]
    NotOwner(u64),
    /// The host ended the transaction before the module did.
    #[error("transaction {tx} was rolled back: {reason}")]
    RolledBack {
        /// The transaction id.
        tx: u64,
        /// Why the host rolled it back.
        reason: String,
    },
    /// The module already holds as many open transactions as it may.
    #[error("the module already has {open} open transaction(s), the most it may hold at once is {limit} (modules.maxDbCalls); commit or roll back one first")]
    TooManyTransactions {
        /// How many it has open.
        open: usize,
        /// The limit.
        limit: usize,
    },
    /// The transaction id 0 (autocommit) was given to `commit` or `rollback`.
    #[error("transaction id 0 means autocommit; there is nothing to commit or roll back")]
    NoTransaction,
    /// The database refused or failed the statement.
    #[error("database error: {0}")]
    Database(String),
    /// A result column whose value cannot be shown as JSON.
    #[error("column `{column}`: {reason}")]
    UnreadableColumn {
        /// The column name.
        column: String,
        /// Why.
        reason: String,
    },
    /// Two result columns have the same name.
    #[error("the result has two columns named `{column}`; give them distinct aliases (`AS …`)")]
    DuplicateColumn {
        /// The repeated name.
        column: String,
    },
    /// The statement ran longer than the module statement time limit and was stopped.
    #[error("the statement ran longer than the module statement time limit of {} ms (modules.statementTimeoutMs) and was stopped", limit.as_millis())]
    TimedOut {
        /// The limit.
        limit: Duration,
    },
    /// The result is larger than a module may receive.
    #[error("the result is larger than the module result limit: {0}; select fewer rows or columns (LIMIT, paging)")]
    ResultTooLarge(String),
    /// The database engine refused the statement under the module's rights.
    #[error("not allowed: {0}")]
    EngineRefused(String),
    /// The engine-level rights could not be set up (e.g. the database user cannot create roles).
    #[error("module database rights: {0}")]
    Rights(String),
    /// The module has too many database calls running, or modules use their whole share of
    /// the pool.
    #[error("too many database calls at once: {reason}")]
    Busy {
        /// Which limit was reached.
        reason: String,
    },
    /// SQLite: the write lock could not be had — in a transaction that read before its first
    /// write while another writer committed (its snapshot is stale: only running the whole
    /// transaction again helps), or beyond the busy timeout.
    #[error("write conflict: {0}")]
    WriteConflict(String),
    /// The module was disabled: its host handle no longer reaches the database.
    #[error("module `{0}` is disabled; its host handle no longer works")]
    Disabled(String),
    /// No connection could be had from the pool.
    #[error("database unavailable: {0}")]
    Unavailable(#[from] DatabaseError),
}

fn param_hint(expected: usize) -> String {
    match expected {
        0 => " (it has no `$n` placeholder; send an empty array)".to_string(),
        1 => " (one value for `$1`)".to_string(),
        n => format!(" (one value for each of `$1`..`${n}`)"),
    }
}

impl From<diesel::result::Error> for ModuleDbError {
    fn from(error: diesel::result::Error) -> Self {
        ModuleDbError::Database(describe_diesel_error(&error))
    }
}

/// The database's message with its detail and hint, which PostgreSQL uses to say what to do
/// ("You will need to rewrite or cast the expression.").
fn describe_diesel_error(error: &diesel::result::Error) -> String {
    match error {
        diesel::result::Error::DatabaseError(_, info) => {
            let mut text = info.message().to_string();
            if let Some(detail) = info.details() {
                text.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = info.hint() {
                text.push_str(&format!(". Hint: {hint}"));
            }
            text
        }
        other => other.to_string(),
    }
}

/// The reason given when the host rolls back a transaction that stayed open too long.
pub(super) fn timed_out_reason(limit: Duration) -> String {
    format!(
        "it stayed open longer than the limit of {} s",
        limit.as_secs_f64()
    )
}
