//! Running one checked statement with bound parameters on a connection of either backend.

use super::param_binding::{bind_pg, bind_sqlite};
use super::result_budget::ResultBudget;
use super::row_to_json::{row_to_json, JsonRow};
use super::ModuleDbError;
use crate::sql_guard::{CheckedStatement, StatementKind};
use diesel::connection::{DefaultLoadingMode, LoadConnection};
use diesel::pg::{Pg, PgConnection, PgRowByRowLoadingMode};
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel::RunQueryDsl;
use paperclip_core::db::DbConnection;
use serde_json::Value;

/// Runs a statement and returns the rows it yields (none for a statement without results),
/// reading them one at a time and stopping with an error once `budget` is spent.
pub(super) fn query_rows(
    conn: &mut DbConnection,
    statement: &CheckedStatement,
    params: &[Value],
    budget: ResultBudget,
) -> Result<Vec<JsonRow>, ModuleDbError> {
    match conn {
        DbConnection::Sqlite(c) => load_sqlite(c, &statement.sql, params, budget),
        DbConnection::Pg(c) => load_pg(c, &statement.sql, params, budget),
    }
}

/// Runs a statement and returns how many rows it affected: for a write, the rows written (or
/// returned, with `RETURNING`); for a read, the rows it returned; for a schema change, 0.
pub(super) fn execute_statement(
    conn: &mut DbConnection,
    statement: &CheckedStatement,
    params: &[Value],
    budget: ResultBudget,
) -> Result<u64, ModuleDbError> {
    if statement.returns_rows {
        return Ok(query_rows(conn, statement, params, budget)?.len() as u64);
    }
    let affected = match conn {
        DbConnection::Sqlite(c) => bind_sqlite(&statement.sql, params)?.execute(c)?,
        DbConnection::Pg(c) => bind_pg(&statement.sql, params)?.execute(c)?,
    };
    // SQLite reports the changes of the connection's last INSERT/UPDATE/DELETE even after a
    // schema statement, which would be a stale number here.
    Ok(if statement.kind == StatementKind::Schema {
        0
    } else {
        affected as u64
    })
}

fn load_sqlite(
    conn: &mut SqliteConnection,
    sql: &str,
    params: &[Value],
    mut budget: ResultBudget,
) -> Result<Vec<JsonRow>, ModuleDbError> {
    let statement = bind_sqlite(sql, params)?;
    let mut rows = Vec::new();
    for row in LoadConnection::<DefaultLoadingMode>::load(conn, statement)? {
        let row = row_to_json::<Sqlite, _>(&row?)?;
        budget.admit(&row)?;
        rows.push(row);
    }
    Ok(rows)
}

fn load_pg(
    conn: &mut PgConnection,
    sql: &str,
    params: &[Value],
    mut budget: ResultBudget,
) -> Result<Vec<JsonRow>, ModuleDbError> {
    let statement = bind_pg(sql, params)?;
    let mut rows = Vec::new();
    // Row by row (libpq single-row mode): a result past the budget is never held whole. Once
    // the budget is spent, the rest of the result is discarded as it arrives, within the
    // statement time limit.
    for row in LoadConnection::<PgRowByRowLoadingMode>::load(conn, statement)? {
        let row = row_to_json::<Pg, _>(&row?)?;
        budget.admit(&row)?;
        rows.push(row);
    }
    Ok(rows)
}
