//! The shared database handle: a pool of [`DbConnection`]s plus the helper that moves blocking
//! diesel work onto a blocking thread, so no request handler touches the pool directly.

use super::connection::{Backend, DbConnection};
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::RunQueryDsl;
use std::time::Duration;

/// A connection checked out of the pool.
pub type PooledConn = PooledConnection<ConnectionManager>;

/// Errors opening or using the database handle itself (not query errors).
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// The pool could not hand out a connection in time, or could not be built.
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    /// A connection could not be opened.
    #[error("database connection: {0}")]
    Connection(#[from] diesel::ConnectionError),
    /// The data directory for the SQLite file could not be created.
    #[error("database file: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens [`DbConnection`]s for an r2d2 pool, optionally running session SQL on each new
/// connection (e.g. a module's role and time limit).
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    session_sql: Option<String>,
}

impl ConnectionManager {
    /// Connections to `url`, each set up with `session_sql` (if any) when opened.
    pub fn new(url: &str, session_sql: Option<String>) -> ConnectionManager {
        ConnectionManager {
            url: url.to_string(),
            session_sql,
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let mut conn =
            DbConnection::open(&self.url).map_err(diesel::r2d2::Error::ConnectionError)?;
        if let Some(sql) = &self.session_sql {
            diesel::connection::SimpleConnection::batch_execute(&mut conn, sql)
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
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

/// The database: a connection pool and the backend it talks to. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager>,
    backend: Backend,
    url: String,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Database {
    /// Opens a pool for `url` (a SQLite file path or a `postgres://` URL). For SQLite the
    /// parent directory is created if needed.
    pub fn open(url: &str) -> Result<Database, DatabaseError> {
        Database::open_sized(url, None)
    }

    /// [`Database::open`] with at most `pool_size` connections (`None`: 8 on SQLite, 16 on
    /// PostgreSQL — where every replica keeps its pool open, so several replicas need
    /// `max_connections` ≥ the sum of their pools plus the modules' connections).
    pub fn open_sized(url: &str, pool_size: Option<u32>) -> Result<Database, DatabaseError> {
        let backend = Backend::from_url(url);
        if backend == Backend::Sqlite {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)?;
                }
            }
        }
        let max_size = pool_size.filter(|n| *n > 0).unwrap_or(match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        });
        let pool = Pool::builder()
            .max_size(max_size)
            // A `SELECT 1` per checkout would add a round trip to every request; a broken
            // connection surfaces as a query error instead.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(15))
            .build(ConnectionManager::new(url, None))?;
        Ok(Database {
            pool,
            backend,
            url: url.to_string(),
        })
    }

    /// The backend this database runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many connections the pool holds at most.
    pub fn pool_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// The URL the pool connects to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Checks a connection out of the pool (blocking). Use [`Database::run`] from async code.
    pub fn conn(&self) -> Result<PooledConn, DatabaseError> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking database work on a blocking thread and returns its result. The closure
    /// gets a pooled connection; a pool error is converted with `From<DatabaseError>`.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DatabaseError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DatabaseError::from)?;
            work(&mut conn)
        })
        .await;
        match joined {
            Ok(result) => result,
            // A panic inside database work is a bug; surface it instead of hiding it.
            Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
        }
    }
}
