//! A module's own PostgreSQL connections: a small pool whose connections run as the module's
//! role from the moment they open (`SET ROLE`, `SET statement_timeout`), so an autocommit
//! module statement is one round trip, as the host's own statements are. They never serve the
//! core (the core's pool is never switched to a module role) and never another module.
//!
//! The pool holds at most the module's `maxDbCalls` connections, opens them on demand and
//! closes them after a minute unused.

use super::pg_module_role::quote_ident;
use crate::db::{DbConnection, PooledConn};
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};
use diesel::RunQueryDsl;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

/// Opens connections that run as one module's role.
#[derive(Debug)]
pub(super) struct ModuleRoleConnections {
    url: String,
    role: String,
    statement_timeout_ms: u64,
}

impl ManageConnection for ModuleRoleConnections {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let mut conn =
            DbConnection::open(&self.url).map_err(diesel::r2d2::Error::ConnectionError)?;
        conn.batch_execute(&format!(
            "SET ROLE {}; SET statement_timeout = {}",
            quote_ident(&self.role),
            self.statement_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// The pool of one module's role connections.
pub(super) type ModuleRolePool = Pool<ModuleRoleConnections>;

/// Builds the pool of module connections running as `role` on `url` (no connection is
/// opened until one is asked for).
pub(super) fn module_role_pool(
    url: &str,
    role: &str,
    size: usize,
    statement_timeout: Duration,
) -> ModuleRolePool {
    Pool::builder()
        .max_size(size.max(1) as u32)
        .min_idle(Some(0))
        .idle_timeout(Some(Duration::from_secs(60)))
        .connection_timeout(Duration::from_secs(5))
        .test_on_check_out(false)
        .build_unchecked(ModuleRoleConnections {
            url: url.to_string(),
            role: role.to_string(),
            statement_timeout_ms: statement_timeout.as_millis().max(1) as u64,
        })
}

/// A connection a module statement runs on: from the host's pool (SQLite, where the
/// authorizer scope carries the module's rights) or from the module's own role pool
/// (PostgreSQL).
pub(super) enum ModuleConn {
    /// A connection of the host's pool.
    Shared(PooledConn),
    /// A connection running as the module's role.
    Role(PooledConnection<ModuleRoleConnections>),
}

impl Deref for ModuleConn {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        match self {
            ModuleConn::Shared(conn) => conn,
            ModuleConn::Role(conn) => conn,
        }
    }
}

impl DerefMut for ModuleConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        match self {
            ModuleConn::Shared(conn) => conn,
            ModuleConn::Role(conn) => conn,
        }
    }
}
