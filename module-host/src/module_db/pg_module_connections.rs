//! A module's own PostgreSQL connections: a small pool whose connections run as the module's
//! role from the moment they open (`SET ROLE`, `SET statement_timeout`), so an autocommit
//! module statement is one round trip, as the host's own statements are. They never serve the
//! core (the core's pool is never switched to a module role) and never another module.
//!
//! The pool holds at most the module's `maxDbCalls` connections, opens them on demand and
//! closes them after a minute unused.

use super::pg_module_role::quote_ident;
use diesel::r2d2::{Pool, PooledConnection};
use paperclip_core::db::{ConnectionManager, DbConnection, PooledConn};
use std::ops::{Deref, DerefMut};
use std::time::Duration;

/// The pool of one module's role connections.
pub(super) type ModuleRolePool = Pool<ConnectionManager>;

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
        .build_unchecked(ConnectionManager::new(
            url,
            Some(format!(
                "SET ROLE {}; SET statement_timeout = {}",
                quote_ident(role),
                statement_timeout.as_millis().max(1)
            )),
        ))
}

/// A connection a module statement runs on: from the host's pool (SQLite, where the
/// authorizer scope carries the module's rights) or from the module's own role pool
/// (PostgreSQL).
pub(super) enum ModuleConn {
    /// A connection of the host's pool.
    Shared(PooledConn),
    /// A connection running as the module's role.
    Role(PooledConnection<ConnectionManager>),
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
