//! The connection type shared by every query: diesel's `MultiConnection` over SQLite and
//! PostgreSQL, so core queries are written once and run on either backend.

use diesel::connection::SimpleConnection;
use diesel::{Connection, ConnectionError, PgConnection, SqliteConnection};

/// A database connection to either backend. Core code uses it through diesel's query builder;
/// code that must differ per backend (migrations, module SQL) matches on the variant.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// Embedded SQLite (the default, a file in the data directory).
    Sqlite(SqliteConnection),
    /// PostgreSQL, chosen when the database URL starts with `postgres://`.
    Pg(PgConnection),
}

/// Which database engine a URL or connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL: PostgreSQL for `postgres://` / `postgresql://`,
    /// SQLite for anything else (a file path or `sqlite://` URL).
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// The name used in `/api/health` and logs.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl DbConnection {
    /// Opens one connection and applies the per-backend session settings.
    pub fn open(url: &str) -> Result<DbConnection, ConnectionError> {
        match Backend::from_url(url) {
            Backend::Postgres => Ok(DbConnection::Pg(PgConnection::establish(url)?)),
            Backend::Sqlite => {
                let path = url.strip_prefix("sqlite://").unwrap_or(url);
                // Every SQLite connection carries the authorizer that checks module SQL.
                super::sqlite_scope::install();
                let mut conn = SqliteConnection::establish(path)?;
                // The busy timeout comes first so that switching to WAL waits for a concurrent
                // opener instead of failing. WAL lets readers run beside the single writer; the busy timeout makes
                // concurrent writers wait instead of failing; foreign keys are off by default
                // in SQLite and the schema relies on them.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    /// The backend of this connection.
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Pg(_) => Backend::Postgres,
        }
    }
}
