//! Shared helpers of the `observability_*` tests: a server with the observability bundle
//! (built into `plugins-dist/observability/` by `scripts/build-modules.sh`), heartbeats through
//! the core API, waiting for asynchronous hooks, and direct database access for rows the API
//! cannot create (back-dated metrics for the retention test).

#![allow(dead_code)] // Each test binary uses its own subset.

use diesel::sql_types::BigInt;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use paperclip_e2e::{json, ServerOptions, StatusCode, TestBackend, TestServer, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the module's routes are served.
pub const BASE: &str = "/api/modules/observability";

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Starts a server with the observability module and `config` as its module config.
pub fn start(backend: TestBackend, config: Value) -> TestServer {
    TestServer::start(backend, options(config))
}

/// Server options with the observability bundle and `config` as its module config.
pub fn options(config: Value) -> ServerOptions {
    ServerOptions::new()
        .module("observability")
        .config(json!({ "modules": { "config": { "observability": config } } }))
}

/// The module as `GET /api/admin/modules/observability` shows it.
pub fn module_view(server: &TestServer) -> Value {
    server.get_ok("/api/admin/modules/observability")
}

/// Asserts the module is active, showing its view otherwise.
pub fn assert_active(server: &TestServer) {
    let view = module_view(server);
    assert_eq!(view["status"], "active", "module not active: {view}");
}

/// `GET /api/modules/observability<path>`, asserting 200.
pub fn get(server: &TestServer, path: &str) -> Value {
    let (status, body) = server.get(&format!("{BASE}{path}"));
    assert_eq!(status, StatusCode::OK, "GET {BASE}{path} answered {body}");
    body
}

/// Posts a heartbeat of `agent` with `meta`, asserting the core accepted it.
pub fn heartbeat(server: &TestServer, agent: &str, meta: Value) -> Value {
    server.create(
        &format!("/api/agents/{agent}/heartbeat"),
        &json!({ "meta": meta }),
    )
}

/// Polls `check` until it returns `Some`, or panics after `timeout` naming `what`.
pub use paperclip_e2e::wait_until as wait_for;

/// Waits until the summary counts `heartbeats` recorded heartbeats (hooks are asynchronous).
pub fn wait_for_heartbeats(server: &TestServer, heartbeats: i64) -> Value {
    wait_for(
        &format!("{heartbeats} recorded heartbeats"),
        Duration::from_secs(10),
        || {
            let summary = get(server, "/summary");
            (summary["totals"]["heartbeats"] == heartbeats).then_some(summary)
        },
    )
}

/// The current time in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// A port nobody listens on right now (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = BigInt)]
    b: i64,
}

/// A direct connection to a test server's database, for what the API cannot do (insert
/// back-dated rows) or should not be trusted to report about itself (row counts).
pub enum TestDb {
    /// The server's SQLite file (the server keeps running: SQLite allows other connections).
    Sqlite(SqliteConnection),
    /// The server's PostgreSQL test database.
    Postgres(PgConnection),
}

impl TestDb {
    /// Connects to the database of `server`.
    pub fn open(server: &TestServer) -> TestDb {
        match server.database_url() {
            Some(url) => TestDb::Postgres(PgConnection::establish(url).expect("PostgreSQL")),
            None => {
                let path = server.data_dir().join("paperclip.db");
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
                // The server writes concurrently; wait for its lock rather than failing.
                diesel::sql_query("PRAGMA busy_timeout = 10000")
                    .execute(&mut conn)
                    .expect("busy_timeout");
                TestDb::Sqlite(conn)
            }
        }
    }

    /// Runs a statement (test data written as literals) and returns the rows affected.
    pub fn execute(&mut self, sql: &str) -> usize {
        let result = match self {
            TestDb::Sqlite(c) => diesel::sql_query(sql).execute(c),
            TestDb::Postgres(c) => diesel::sql_query(sql).execute(c),
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs `SELECT … AS n` returning one integer.
    pub fn number(&mut self, sql: &str) -> i64 {
        let result = match self {
            TestDb::Sqlite(c) => diesel::sql_query(sql).get_result::<Number>(c),
            TestDb::Postgres(c) => diesel::sql_query(sql).get_result::<Number>(c),
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}")).n
    }

    /// Runs `SELECT … AS a, … AS b` returning integer pairs.
    pub fn pairs(&mut self, sql: &str) -> Vec<(i64, i64)> {
        let result = match self {
            TestDb::Sqlite(c) => diesel::sql_query(sql).load::<Pair>(c),
            TestDb::Postgres(c) => diesel::sql_query(sql).load::<Pair>(c),
        };
        result
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|p| (p.a, p.b))
            .collect()
    }

    /// How many rows `table` holds (optionally `WHERE condition`).
    pub fn count(&mut self, table: &str, condition: &str) -> i64 {
        let filter = if condition.is_empty() {
            String::new()
        } else {
            format!(" WHERE {condition}")
        };
        self.number(&format!("SELECT COUNT(*) AS n FROM {table}{filter}"))
    }

    /// Inserts a metrics row for `agent` of `company` recorded at `recorded_at` (ms); returns its id.
    pub fn insert_metric(
        &mut self,
        agent: &str,
        company: &str,
        tokens: i64,
        recorded_at: i64,
    ) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.execute(&format!(
            "INSERT INTO mod_observability_token_metrics \
             (id, agent_id, company_id, tokens_used, cost_cents, model, latency_ms, recorded_at, ingested_at) \
             VALUES ('{id}', '{agent}', '{company}', {tokens}, 0, 'backfill', NULL, {recorded_at}, {recorded_at})"
        ));
        id
    }

    /// Inserts a spend event recorded at `recorded_at` (ms); returns its id.
    pub fn insert_spend(
        &mut self,
        agent: &str,
        company: &str,
        cents: i64,
        recorded_at: i64,
    ) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.execute(&format!(
            "INSERT INTO mod_observability_spend_events \
             (id, agent_id, company_id, amount_cents, total_cents, recorded_at) \
             VALUES ('{id}', '{agent}', '{company}', {cents}, {cents}, {recorded_at})"
        ));
        id
    }

    /// Whether the row `id` of `table` still exists.
    pub fn exists(&mut self, table: &str, id: &str) -> bool {
        self.count(table, &format!("id = '{id}'")) == 1
    }
}
