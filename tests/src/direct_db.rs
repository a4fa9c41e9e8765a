//! A direct connection to a test server's database (not through the server), to read or
//! prepare what the server stores: row counts, digests, injected failures.

use crate::{TestBackend, TestServer};
use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

/// The database a [`TestServer`] uses, opened directly.
pub enum DirectDb {
    /// The server's SQLite file.
    Sqlite(SqliteConnection),
    /// The server's PostgreSQL database.
    Postgres(PgConnection),
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl DirectDb {
    /// Connects to the database `server` uses (SQLite with a 5 s busy timeout, so it waits
    /// for the server's writes).
    ///
    /// # Panics
    /// When the database cannot be opened.
    pub fn open(server: &TestServer) -> DirectDb {
        match server.backend() {
            TestBackend::Sqlite => {
                let path = server.data_dir().join("paperclip.db");
                let url = path.to_string_lossy().into_owned();
                let mut conn = SqliteConnection::establish(&url)
                    .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
                diesel::sql_query("PRAGMA busy_timeout = 5000")
                    .execute(&mut conn)
                    .expect("busy timeout");
                DirectDb::Sqlite(conn)
            }
            TestBackend::Postgres { .. } => {
                let url = server
                    .database_url()
                    .expect("a PostgreSQL server has a URL");
                DirectDb::Postgres(
                    PgConnection::establish(url)
                        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}")),
                )
            }
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, DirectDb::Postgres(_))
    }

    /// The text column `v` of every row of `sql`.
    ///
    /// # Panics
    /// When the statement fails.
    pub fn texts(&mut self, sql: &str) -> Vec<String> {
        self.try_texts(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The text column `v` of every row of `sql`, or the database's error.
    pub fn try_texts(&mut self, sql: &str) -> Result<Vec<String>, String> {
        let rows: Result<Vec<TextRow>, _> = match self {
            DirectDb::Sqlite(conn) => diesel::sql_query(sql).load(conn),
            DirectDb::Postgres(conn) => diesel::sql_query(sql).load(conn),
        };
        rows.map(|rows| rows.into_iter().map(|r| r.v).collect())
            .map_err(|e| e.to_string())
    }

    /// The integer column `n` of the one row of `sql`.
    ///
    /// # Panics
    /// When the statement fails or does not return exactly one row.
    pub fn count(&mut self, sql: &str) -> i64 {
        let rows: Result<Vec<CountRow>, _> = match self {
            DirectDb::Sqlite(conn) => diesel::sql_query(sql).load(conn),
            DirectDb::Postgres(conn) => diesel::sql_query(sql).load(conn),
        };
        let rows = rows.unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(rows.len(), 1, "{sql} must return one row");
        rows[0].n
    }

    /// Runs a statement, or gives the database's error.
    pub fn run(&mut self, sql: &str) -> Result<(), String> {
        let done = match self {
            DirectDb::Sqlite(conn) => diesel::sql_query(sql).execute(conn),
            DirectDb::Postgres(conn) => diesel::sql_query(sql).execute(conn),
        };
        done.map(|_| ()).map_err(|e| e.to_string())
    }
}
