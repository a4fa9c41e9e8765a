//! Database access for both backends through one code path: the diesel connection type that is
//! either SQLite or PostgreSQL, the pool, the core schema and its embedded migrations, and the
//! helpers that run blocking database work off the async runtime.

mod connection;
mod database;
pub mod migrations;
pub mod schema;
// The SQLite C API (authorizer, progress handler): the core's only `unsafe`.
#[allow(unsafe_code)]
pub mod sqlite_scope;
mod timestamp;
mod write_tx;

pub use connection::{Backend, DbConnection};
pub use database::{ConnectionManager, Database, DatabaseError, PooledConn};
pub use migrations::open_database;
pub use timestamp::{now, to_rfc3339};
pub use write_tx::write_tx;
