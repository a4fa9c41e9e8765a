//! Helpers shared by the module-host end-to-end tests (`modules_*.rs`): the admin API of
//! modules, waiting for asynchronous effects (hooks, services), the "everything else still
//! works" check every fault test ends with, reading the database behind the server, and
//! module bundles generated from built ones.
//!
//! Build what the tests load first: `scripts/build-modules.sh` (lays the test module bundles
//! out in `target/test-bundles/`) and `cargo build -p paperclip-server`.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};
use paperclip_e2e::{copy_dir, find_bundle, json, StatusCode, TestBackend, TestServer, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long anything asynchronous (a hook delivery, a service run, a status change) may take
/// before a test gives up; reached only when something is broken.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The id of the module that uses every part of the API.
pub const KITCHEN_SINK: &str = "kitchen-sink";

/// Polls `probe` until it returns `Some`, failing after [`PATIENCE`].
pub fn wait_for<T>(what: &str, probe: impl FnMut() -> Option<T>) -> T {
    paperclip_e2e::wait_until(what, PATIENCE, probe)
}

/// `GET /api/admin/modules`: every module the server knows, with status and counters.
pub fn modules(server: &TestServer) -> Vec<Value> {
    let body = server.get_ok("/api/admin/modules");
    body.as_array()
        .cloned()
        .unwrap_or_else(|| panic!("GET /api/admin/modules is not an array: {body}"))
}

/// `GET /api/admin/modules/{id}`, asserting 200.
pub fn module(server: &TestServer, id: &str) -> Value {
    server.get_ok(&format!("/api/admin/modules/{id}"))
}

/// Waits until module `id` reports `status`; returns its admin view.
pub fn wait_for_status(server: &TestServer, id: &str, status: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let last = module(server, id);
        if last["status"] == status {
            return last;
        }
        assert!(
            Instant::now() < deadline,
            "module {id} did not become {status:?} within {PATIENCE:?}; it is {last}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asserts module `id` has `status` and a reason containing every one of `needles`
/// (case-insensitive); returns the admin view.
pub fn assert_status(server: &TestServer, id: &str, status: &str, needles: &[&str]) -> Value {
    let view = module(server, id);
    assert_eq!(view["status"], status, "status of {id}: {view}");
    let reason = view["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("module {id} has no reason: {view}"))
        .to_lowercase();
    for needle in needles {
        assert!(
            reason.contains(&needle.to_lowercase()),
            "the reason of {id} should mention {needle:?}: {view}"
        );
    }
    view
}

/// A counter of module `id` (`hookCalls`, `hookFailures`, `routeErrors`, …).
pub fn counter(server: &TestServer, id: &str, name: &str) -> u64 {
    let view = module(server, id);
    view["counters"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("module {id} has no counter {name}: {view}"))
}

/// The config every module test starts with: the kitchen sink's secret from the environment.
pub fn kitchen_config() -> Value {
    json!({"modules": {"config": {KITCHEN_SINK: {"secret": "$KITCHEN_SINK_SECRET"}}}})
}

/// The secret the tests put in `KITCHEN_SINK_SECRET`.
pub const KITCHEN_SECRET: &str = "s3cret-from-env";

/// What every fault test ends with: the server answers health, the kitchen sink answers its
/// routes and still records hooks, and a core write succeeds.
pub fn assert_server_and_kitchen_sink_work(server: &TestServer) {
    let health = server.get_ok("/api/health");
    assert_eq!(health["status"], "ok", "{health}");
    let whoami = server.get_ok("/api/modules/kitchen-sink/whoami");
    assert_eq!(whoami["module"], KITCHEN_SINK, "{whoami}");
    let company = server.create_company("Still Working Inc");
    let agent = server.create_agent(&company, json!({"name": "Survivor"}));
    wait_for(
        "the kitchen sink to record agent:created of the survivor",
        || {
            kitchen_events(server, "agent:created")
                .iter()
                .any(|e| e["agent"]["id"] == agent.as_str())
                .then_some(())
        },
    );
}

/// The payloads of `hook` the kitchen sink recorded, in arrival order.
pub fn kitchen_events(server: &TestServer, hook: &str) -> Vec<Value> {
    let body = server.get_ok(&format!("/api/modules/kitchen-sink/events?hook={hook}"));
    body["events"]
        .as_array()
        .unwrap_or_else(|| panic!("no events array: {body}"))
        .iter()
        .map(|e| e["payload"].clone())
        .collect()
}

/// How many payloads the kitchen sink recorded in total.
pub fn kitchen_event_count(server: &TestServer) -> i64 {
    server.get_ok("/api/modules/kitchen-sink/events/count")["count"]
        .as_i64()
        .expect("a numeric count")
}

/// Server log lines tagged with module `id` (the host's `module` tracing field, quoted or not).
pub fn module_log_lines(server: &TestServer, id: &str) -> Vec<String> {
    let plain = format!("module={id}");
    let quoted = format!("module=\"{id}\"");
    server
        .stderr_log()
        .lines()
        .filter(|line| {
            line.split(|c: char| c.is_whitespace() || c == '{' || c == '}' || c == ',')
                .any(|token| token == plain || token == quoted)
        })
        .map(str::to_string)
        .collect()
}

/// The log line tagged with module `id` that contains `needle`, waiting for it.
pub fn wait_for_module_log(server: &TestServer, id: &str, needle: &str) -> String {
    wait_for(&format!("a log line of {id} containing {needle:?}"), || {
        module_log_lines(server, id)
            .into_iter()
            .find(|line| line.contains(needle))
    })
}

/// A `POST` that must answer 2xx; returns the body.
pub fn post_ok(server: &TestServer, path: &str, body: &Value) -> Value {
    let (status, answer) = server.post(path, body);
    assert!(
        status.is_success(),
        "POST {path} {body} answered {status}: {answer}"
    );
    answer
}

/// A `PATCH` that must answer 200; returns the body.
pub fn patch_ok(server: &TestServer, path: &str, body: &Value) -> Value {
    let (status, answer) = server.patch(path, body);
    assert_eq!(
        status,
        StatusCode::OK,
        "PATCH {path} {body} answered {answer}"
    );
    answer
}

/// One applied module migration as the host recorded it in `mod_migrations`.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct AppliedMigration {
    /// The migration's version (the folder name before the first `_`, or the whole name).
    #[diesel(sql_type = Text)]
    pub version: String,
    /// Checksum of its `up.sql`.
    #[diesel(sql_type = Text)]
    pub checksum: String,
    /// When it was applied, as text.
    #[diesel(sql_type = Text)]
    pub applied_at: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// A direct connection to a test server's database, to check what the host stored without
/// going through the host (module tables, `mod_migrations`).
pub enum Database {
    /// The server's SQLite file.
    Sqlite(SqliteConnection),
    /// The server's PostgreSQL database.
    Postgres(PgConnection),
}

impl Database {
    /// Connects to the database `server` uses.
    pub fn open(server: &TestServer) -> Database {
        match server.backend() {
            TestBackend::Sqlite => Database::sqlite(&server.data_dir().join("paperclip.db")),
            TestBackend::Postgres { .. } => Database::postgres(
                server
                    .database_url()
                    .expect("a PostgreSQL server has a URL"),
            ),
        }
    }

    /// Opens a SQLite database file.
    pub fn sqlite(path: &Path) -> Database {
        let url = path.to_string_lossy().into_owned();
        let mut conn =
            SqliteConnection::establish(&url).unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        diesel::sql_query("PRAGMA busy_timeout = 5000")
            .execute(&mut conn)
            .expect("busy timeout");
        Database::Sqlite(conn)
    }

    /// Connects to a PostgreSQL database.
    pub fn postgres(url: &str) -> Database {
        Database::Postgres(
            PgConnection::establish(url).unwrap_or_else(|e| panic!("cannot connect to {url}: {e}")),
        )
    }

    fn load<T>(&mut self, sql: &str) -> Vec<T>
    where
        T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
    {
        let result = match self {
            Database::Sqlite(conn) => diesel::sql_query(sql).load(conn),
            Database::Postgres(conn) => diesel::sql_query(sql).load(conn),
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The migrations recorded for `module_id`, by version.
    pub fn applied_migrations(&mut self, module_id: &str) -> Vec<AppliedMigration> {
        let sql = format!(
            "SELECT version, checksum, CAST(applied_at AS TEXT) AS applied_at FROM mod_migrations \
             WHERE module_id = {} ORDER BY version",
            literal(module_id)
        );
        self.load(&sql)
    }

    /// Whether a table named `table` exists.
    pub fn table_exists(&mut self, table: &str) -> bool {
        let sql = match self {
            Database::Sqlite(_) => format!(
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = {}",
                literal(table)
            ),
            Database::Postgres(_) => format!(
                "SELECT COUNT(*) AS n FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = {}",
                literal(table)
            ),
        };
        self.load::<Count>(&sql)[0].n > 0
    }

    /// The single integer a query selects as `n` (e.g. `SELECT value AS n FROM …`).
    pub fn scalar_i64(&mut self, sql: &str) -> i64 {
        let rows = self.load::<Count>(sql);
        assert_eq!(rows.len(), 1, "{sql} must return one row");
        rows[0].n
    }

    /// `SELECT COUNT(*) FROM table`.
    pub fn count(&mut self, table: &str) -> i64 {
        assert!(is_identifier(table), "not a plain table name: {table}");
        self.load::<Count>(&format!("SELECT COUNT(*) AS n FROM {table}"))[0].n
    }
}

/// `text` as a SQL string literal; only plain names are accepted, so quoting cannot be escaped.
fn literal(text: &str) -> String {
    assert!(
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'),
        "not a plain name: {text}"
    );
    format!("'{text}'")
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A modules folder of a test's own, filled before the server starts (the harness copies only
/// built bundles): for bundles generated from built ones, e.g. with a library removed. Point the
/// server at it with [`ModulesDir::config`].
pub struct ModulesDir {
    dir: tempfile::TempDir,
}

impl ModulesDir {
    /// An empty modules folder.
    pub fn new() -> ModulesDir {
        ModulesDir {
            dir: tempfile::Builder::new()
                .prefix("paperclip-modules-")
                .tempdir()
                .expect("a temporary folder"),
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Copies the built bundle `name` in, unchanged; returns its folder.
    pub fn add(&self, name: &str) -> PathBuf {
        let target = self.path().join(name);
        copy_dir(&find_bundle(name), &target);
        target
    }

    /// Copies the built bundle `name` in as module `new_id` (see [`copy_bundle_as`]).
    pub fn add_as(&self, name: &str, new_id: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
        copy_bundle_as(name, &self.path().join(new_id), new_id, edit)
    }

    /// `config` with `modules.dir` pointing at this folder.
    pub fn config(&self, mut config: Value) -> Value {
        config["modules"]["dir"] = json!(self.path().to_string_lossy());
        config
    }

    /// A server running this folder's modules, with `modules` settings (an object) merged into
    /// the config's `modules` section.
    #[allow(dead_code)]
    pub fn start(&self, backend: TestBackend, modules: Value) -> TestServer {
        let mut config = self.config(json!({}));
        if let Value::Object(settings) = modules {
            for (key, value) in settings {
                config["modules"][key] = value;
            }
        }
        TestServer::start(backend, paperclip_e2e::ServerOptions::new().config(config))
    }
}

/// Copies the built bundle `name` to `target` as module `new_id`: the manifest's `id`, `name`
/// and `routes.prefix` are set to `new_id` and then `edit` may change it further; the
/// migrations' `mod_<old>_` table names become `mod_<new>_`. Returns `target`.
pub fn copy_bundle_as(
    name: &str,
    target: &Path,
    new_id: &str,
    edit: impl FnOnce(&mut Value),
) -> PathBuf {
    let source = find_bundle(name);
    copy_dir(&source, target);
    let manifest_path = target.join("paperclip.module.json");
    let mut manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest_path).expect("the bundle has a manifest"),
    )
    .expect("the manifest is JSON");
    let old_id = manifest["id"].as_str().expect("manifest id").to_string();
    manifest["id"] = json!(new_id);
    manifest["name"] = json!(format!("Copy of {name} as {new_id}"));
    if manifest.get("routes").is_some() {
        manifest["routes"]["prefix"] = json!(new_id);
    }
    edit(&mut manifest);
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).expect("manifest serializes"),
    )
    .expect("writing the manifest");
    let old_prefix = format!("mod_{}_", old_id.replace('-', "_"));
    let new_prefix = format!("mod_{}_", new_id.replace('-', "_"));
    rewrite_sql_files(&target.join("migrations"), &old_prefix, &new_prefix);
    target.to_path_buf()
}

fn rewrite_sql_files(dir: &Path, from: &str, to: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("a readable folder").path();
        if path.is_dir() {
            rewrite_sql_files(&path, from, to);
        } else if path.extension().is_some_and(|e| e == "sql") {
            let text = std::fs::read_to_string(&path).expect("readable SQL");
            std::fs::write(&path, text.replace(from, to)).expect("writable SQL");
        }
    }
}
