//! Helpers of the SQL security tests (`security_sql_battery.rs`, `security_sql_limits.rs`):
//! a server with the `sql-probe` (attacker) and `sql-victim` (owner of secret rows) modules,
//! the probe's routes, core seed data, a direct connection to the server's database, the
//! digest of everything a module must not change, and process readings (RSS, CPU time).
//!
//! Build what the tests load first: `scripts/build-modules.sh` and
//! `cargo build -p paperclip-server`.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

pub use paperclip_e2e::DirectDb;
use paperclip_e2e::{json, ServerOptions, StatusCode, TestBackend, TestServer, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// The attacking module: runs any SQL it is given through its host handle.
pub const PROBE: &str = "sql-probe";
/// The module whose rows the probe must never read or change.
pub const VICTIM: &str = "sql-victim";
/// The rows `sql-victim`'s migration stores.
pub const VICTIM_SECRETS: [&str; 2] = ["victim-secret-7f3a9c1e", "victim-secret-b20d44aa"];
/// A value saved as the victim's config override (kept in the host table `module_state`).
pub const VICTIM_CONFIG_CANARY: &str = "victim-config-canary-5e1f0b";
/// The API key the battery servers require (kept in the server's config file).
pub const API_KEY: &str = "battery-api-key-0c9d2e71";
/// How long anything asynchronous may take before a test gives up.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Starts a server with the probe and the victim (both active), an API key, and `config`
/// merged into the config file (e.g. `{"modules": {"config": {"sql-probe": {…}}}}`).
pub fn start(backend: TestBackend, config: Value) -> TestServer {
    let server = TestServer::start(
        backend,
        ServerOptions::new()
            .module(PROBE)
            .module(VICTIM)
            .api_key(API_KEY)
            .config(config),
    );
    wait_for_status(&server, PROBE, &["active"]);
    wait_for_status(&server, VICTIM, &["active"]);
    server
}

/// Polls `probe` until it returns `Some`, failing after [`PATIENCE`].
pub fn wait_for<T>(what: &str, probe: impl FnMut() -> Option<T>) -> T {
    paperclip_e2e::wait_until(what, PATIENCE, probe)
}

/// Waits until module `id` has one of `statuses`; returns its admin view.
pub fn wait_for_status(server: &TestServer, id: &str, statuses: &[&str]) -> Value {
    wait_for(&format!("module {id} to be one of {statuses:?}"), || {
        let (status, view) = server.get(&format!("/api/admin/modules/{id}"));
        (status == StatusCode::OK && statuses.iter().any(|s| view["status"] == *s)).then_some(view)
    })
}

/// What the probe's host answered to one statement.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status of the probe's route (400 = the host refused, with its text).
    pub status: StatusCode,
    /// The route's JSON body.
    pub body: Value,
    /// How long the round trip took.
    pub took: Duration,
}

impl Answer {
    /// The host's error text, when the probe answered 400 with a non-empty `error`.
    pub fn error(&self) -> Option<&str> {
        (self.status == StatusCode::BAD_REQUEST)
            .then(|| self.body["error"].as_str())
            .flatten()
            .filter(|e| !e.trim().is_empty())
    }

    /// Whether the statement ran (200).
    pub fn succeeded(&self) -> bool {
        self.status == StatusCode::OK
    }

    /// One line for reports: status and error text or (cut) body.
    pub fn summary(&self) -> String {
        let text = match self.error() {
            Some(e) => e.to_string(),
            None => self.body.to_string(),
        };
        format!("{} {}", self.status.as_u16(), cut(&text, 300))
    }
}

/// `text` cut to at most `max` characters (with `…`).
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// The probe's routes on one server.
pub struct Probe<'a> {
    server: &'a TestServer,
}

impl<'a> Probe<'a> {
    /// The probe of `server`.
    pub fn new(server: &'a TestServer) -> Probe<'a> {
        Probe { server }
    }

    fn call(&self, route: &str, body: &Value) -> Answer {
        let started = Instant::now();
        let (status, body) = self
            .server
            .post(&format!("/api/modules/{PROBE}/{route}"), body);
        Answer {
            status,
            body,
            took: started.elapsed(),
        }
    }

    /// `POST /query` (autocommit when `tx` is 0).
    pub fn query(&self, sql: &str, params: &[Value], tx: u64) -> Answer {
        self.call("query", &json!({"sql": sql, "params": params, "tx": tx}))
    }

    /// `POST /execute` (autocommit when `tx` is 0).
    pub fn execute(&self, sql: &str, params: &[Value], tx: u64) -> Answer {
        self.call("execute", &json!({"sql": sql, "params": params, "tx": tx}))
    }

    /// `POST /execute`, asserting it ran.
    pub fn execute_ok(&self, sql: &str, params: &[Value]) -> u64 {
        let answer = self.execute(sql, params, 0);
        assert!(answer.succeeded(), "{sql} → {}", answer.summary());
        answer.body["affected"].as_u64().unwrap_or_default()
    }

    /// `POST /begin` → the transaction id, or the refusal.
    pub fn begin(&self) -> Result<u64, Answer> {
        let answer = self.call("begin", &json!({}));
        answer.body["tx"].as_u64().ok_or(answer)
    }

    /// `POST /commit`.
    pub fn commit(&self, tx: u64) -> Answer {
        self.call("commit", &json!({ "tx": tx }))
    }

    /// `POST /rollback`.
    pub fn rollback(&self, tx: u64) -> Answer {
        self.call("rollback", &json!({ "tx": tx }))
    }

    /// `POST /sleep-tx`: a transaction that inserts a note and is held `ms` in the route.
    pub fn sleep_tx(&self, ms: u64, note: &str) -> Answer {
        self.call("sleep-tx", &json!({ "ms": ms, "body": note }))
    }
}

/// The core rows the tests seed through the API.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The company.
    pub company: String,
    /// Its agents (a manager and two reports).
    pub agents: Vec<String>,
}

/// Seeds a company with agents, goals, projects, issues, cost events and heartbeats.
pub fn seed_core(server: &TestServer, name: &str) -> Seeded {
    let company = server.create_company(name);
    let ceo = server.create_agent(
        &company,
        json!({"name": "Ceo", "budgetMonthlyCents": 100000}),
    );
    let mut agents = vec![ceo.clone()];
    for n in 0..2 {
        agents.push(server.create_agent(
            &company,
            json!({"name": format!("Worker {n}"), "reportsTo": ceo, "budgetMonthlyCents": 5000}),
        ));
    }
    let goal = server.create_goal(&company, json!({"title": "Win"}));
    let project = server.create_project(&company, json!({"name": "Apollo", "goalId": goal}));
    for n in 0..3 {
        server.create_issue(
            &company,
            json!({"title": format!("Issue {n}"), "projectId": project, "assigneeAgentId": agents[n % agents.len()]}),
        );
    }
    for agent in &agents {
        let (status, body) = server.post(
            &format!("/api/companies/{company}/cost-events"),
            &json!({"agentId": agent, "amountCents": 120, "description": "model usage"}),
        );
        assert_eq!(status, StatusCode::CREATED, "cost event: {body}");
        let (status, body) = server.post(
            &format!("/api/agents/{agent}/heartbeat"),
            &json!({"meta": {"tokensUsed": 10, "costCents": 1, "model": "m", "latencyMs": 5}}),
        );
        assert_eq!(status, StatusCode::CREATED, "heartbeat: {body}");
    }
    Seeded { company, agents }
}

/// Checks that the core still serves a write and a read; returns what failed.
pub fn core_problems(server: &TestServer) -> Vec<String> {
    let (status, company) = server.post("/api/companies", &json!({"name": "Still Standing"}));
    if status != StatusCode::CREATED {
        return vec![format!(
            "core: creating a company answered {status}: {company}"
        )];
    }
    let company = company["id"].as_str().unwrap_or_default().to_string();
    let (status, agent) = server.post(
        &format!("/api/companies/{company}/agents"),
        &json!({"name": "Alive", "role": "engineer"}),
    );
    if status != StatusCode::CREATED {
        return vec![format!(
            "core: creating an agent answered {status}: {agent}"
        )];
    }
    let (status, list) = server.get(&format!("/api/companies/{company}/agents"));
    if status != StatusCode::OK || list["total"] != 1 {
        return vec![format!("core: listing agents answered {status}: {list}")];
    }
    Vec::new()
}

/// Asserts that the core still serves a write and a read.
pub fn assert_core_works(server: &TestServer) {
    let problems = core_problems(server);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The names of the tables whose rows the digest covers.
fn tables(db: &mut DirectDb) -> Vec<String> {
    match db {
        DirectDb::Sqlite(_) => {
            db.texts("SELECT name AS v FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        DirectDb::Postgres(_) => db.texts(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS v \
             FROM information_schema.tables \
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
             AND table_type = 'BASE TABLE' ORDER BY 1",
        ),
    }
}

/// The columns of `table` the server itself renews while it runs (a replica's heartbeat, its
/// module leases' expiry): left out of the digest, the rest of those rows still covered.
fn renewed_columns(table: &str) -> Option<&'static str> {
    if table.ends_with("replicas") {
        Some("replica_id, host, pid, address, version, started_at")
    } else if table.ends_with("cluster_leases") {
        Some("name, holder, acquired_at")
    } else {
        None
    }
}

/// Every row of `table` as text, one line per row, sorted.
fn table_rows(db: &mut DirectDb, table: &str) -> String {
    if let Some(columns) = renewed_columns(table) {
        let sql = match db {
            DirectDb::Sqlite(_) => format!(
                "SELECT COALESCE(group_concat(r, char(10)), '') AS v FROM \
                 (SELECT {} AS r FROM \"{table}\" ORDER BY 1)",
                columns
                    .split(", ")
                    .map(|c| format!("quote({c})"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ")
            ),
            DirectDb::Postgres(_) => format!(
                "SELECT COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '') AS v \
                 FROM (SELECT {columns} FROM {table}) t"
            ),
        };
        return match db.try_texts(&sql) {
            Ok(rows) => rows.concat(),
            Err(e) => format!("(unreadable: {e})"),
        };
    }
    // Rows of modules the migration battery installs (`hostile-*`) are theirs to add.
    let filter = if table.ends_with("module_state") {
        " WHERE module_id NOT LIKE 'hostile-%'"
    } else {
        ""
    };
    let sql = match db {
        DirectDb::Sqlite(_) => {
            let columns = db.texts(&format!(
                "SELECT name AS v FROM pragma_table_info('{}') ORDER BY cid",
                table.replace('\'', "''")
            ));
            if columns.is_empty() {
                return "(no columns)".into();
            }
            let row = columns
                .iter()
                .map(|c| format!("quote(\"{}\")", c.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            format!(
                "SELECT COALESCE(group_concat(r, char(10)), '') AS v FROM \
                 (SELECT {row} AS r FROM \"{}\"{filter} ORDER BY 1)",
                table.replace('"', "\"\"")
            )
        }
        DirectDb::Postgres(_) => format!(
            "SELECT COALESCE(string_agg(t::text, E'\\n' ORDER BY t::text), '') AS v \
             FROM {table} t{}",
            filter.replace("module_id", "t.module_id")
        ),
    };
    match db.try_texts(&sql) {
        Ok(rows) => rows.concat(),
        Err(e) => format!("(unreadable: {e})"),
    }
}

/// Everything a module must not change, as text by section (`rows:<table>`, `schema:…`,
/// `files:…`), so a difference names what changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest(pub BTreeMap<String, String>);

/// The catalog queries of the schema digest on SQLite.
const SQLITE_SCHEMA: &[(&str, &str)] = &[
    (
        "sqlite_master",
        "SELECT type || ':' || name || ':' || tbl_name || ':' || COALESCE(sql, '') AS v \
         FROM sqlite_master ORDER BY 1",
    ),
    (
        "pragmas",
        "SELECT 'user_version=' || (SELECT user_version FROM pragma_user_version) || \
         ' application_id=' || (SELECT application_id FROM pragma_application_id) || \
         ' journal_mode=' || (SELECT journal_mode FROM pragma_journal_mode) || \
         ' auto_vacuum=' || (SELECT auto_vacuum FROM pragma_auto_vacuum) AS v",
    ),
];

/// The catalog queries of the schema digest on PostgreSQL (system schemas left out).
const POSTGRES_SCHEMA: &[(&str, &str)] = &[
    (
        "relations",
        "SELECT n.nspname || '.' || c.relname || ':' || c.relkind || ':' || \
         pg_get_userbyid(c.relowner) AS v FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
         AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1",
    ),
    (
        "columns",
        "SELECT table_schema || '.' || table_name || '.' || column_name || ':' || data_type || \
         ':' || is_nullable || ':' || COALESCE(column_default, '') AS v \
         FROM information_schema.columns \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    ),
    (
        "constraints",
        "SELECT conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid) AS v \
         FROM pg_constraint WHERE connamespace NOT IN \
         ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1",
    ),
    (
        "schemas",
        "SELECT nspname AS v FROM pg_namespace WHERE nspname NOT LIKE 'pg_toast%' ORDER BY 1",
    ),
    (
        "functions",
        "SELECT n.nspname || '.' || p.proname || '(' || \
         pg_get_function_identity_arguments(p.oid) || ')' AS v FROM pg_proc p \
         JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    ),
    (
        "triggers",
        "SELECT tgrelid::regclass::text || '.' || tgname AS v FROM pg_trigger \
         WHERE NOT tgisinternal ORDER BY 1",
    ),
    (
        "event_triggers",
        "SELECT evtname AS v FROM pg_event_trigger ORDER BY 1",
    ),
    (
        "rules",
        "SELECT schemaname || '.' || tablename || '.' || rulename AS v FROM pg_rules \
         WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1",
    ),
    (
        "policies",
        "SELECT schemaname || '.' || tablename || '.' || policyname AS v FROM pg_policies ORDER BY 1",
    ),
    ("extensions", "SELECT extname AS v FROM pg_extension ORDER BY 1"),
    (
        "publications",
        "SELECT pubname AS v FROM pg_publication ORDER BY 1",
    ),
    (
        "large_objects",
        "SELECT count(*)::text AS v FROM pg_largeobject_metadata",
    ),
    (
        "comments",
        "SELECT d.objoid::text || ':' || d.description AS v FROM pg_description d \
         JOIN pg_class c ON c.oid = d.objoid \
         WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1",
    ),
    (
        "privileged_roles",
        "SELECT rolname AS v FROM pg_roles WHERE rolsuper OR rolcreaterole OR rolcreatedb \
         OR rolbypassrls OR rolreplication ORDER BY 1",
    ),
    (
        "attack_roles",
        "SELECT rolname AS v FROM pg_roles WHERE rolname LIKE 'pwn%' ORDER BY 1",
    ),
    (
        "role_settings",
        "SELECT COALESCE(setdatabase::text, '') || ':' || COALESCE(setrole::text, '') || ':' || \
         array_to_string(setconfig, ',') AS v FROM pg_db_role_setting ORDER BY 1",
    ),
    (
        "public_grants",
        "SELECT grantee || ':' || table_name || ':' || privilege_type AS v \
         FROM information_schema.role_table_grants \
         WHERE table_schema = 'public' AND grantee <> grantor \
         AND grantee NOT LIKE '%hostile%' ORDER BY 1",
    ),
];

impl Digest {
    /// Takes the digest of `server`: every table's rows (the `hostile-*` modules' own
    /// `module_state` rows left out), the schema, and the files in the server's folder
    /// (`plugins-dist/` and the logs left out).
    pub fn take(server: &TestServer) -> Digest {
        let mut db = DirectDb::open(server);
        let mut sections = BTreeMap::new();
        for table in tables(&mut db) {
            let rows = table_rows(&mut db, &table);
            sections.insert(format!("rows:{table}"), rows);
        }
        let schema = if db.is_postgres() {
            POSTGRES_SCHEMA
        } else {
            SQLITE_SCHEMA
        };
        for (name, sql) in schema {
            let text = match db.try_texts(sql) {
                Ok(lines) => lines.join("\n"),
                Err(e) => format!("(unreadable: {e})"),
            };
            sections.insert(format!("schema:{name}"), text);
        }
        drop(db);
        let mut files = Vec::new();
        list_files(server.root_dir(), server.root_dir(), &mut files);
        files.sort();
        sections.insert("files:server".into(), files.join("\n"));
        Digest(sections)
    }

    /// The sections that differ from `before`, each with the lines it lost and gained.
    pub fn differences(&self, before: &Digest) -> Vec<String> {
        let mut names: Vec<&String> = before.0.keys().chain(self.0.keys()).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let old = before.0.get(name);
                let new = self.0.get(name);
                if old == new {
                    return None;
                }
                let lines = |text: Option<&String>| -> BTreeMap<String, usize> {
                    let mut counts = BTreeMap::new();
                    for line in text.map(String::as_str).unwrap_or_default().lines() {
                        *counts.entry(line.to_string()).or_insert(0) += 1;
                    }
                    counts
                };
                let (old_lines, new_lines) = (lines(old), lines(new));
                let lost: Vec<String> = old_lines
                    .iter()
                    .filter(|(line, n)| new_lines.get(*line) < Some(n))
                    .map(|(line, _)| format!("    - {}", cut(line, 300)))
                    .take(20)
                    .collect();
                let gained: Vec<String> = new_lines
                    .iter()
                    .filter(|(line, n)| old_lines.get(*line) < Some(n))
                    .map(|(line, _)| format!("    + {}", cut(line, 300)))
                    .take(20)
                    .collect();
                let presence = match (old, new) {
                    (None, _) => " (new)",
                    (_, None) => " (gone)",
                    _ => "",
                };
                Some(format!(
                    "{name} changed{presence}:\n{}",
                    lost.into_iter()
                        .chain(gained)
                        .collect::<Vec<_>>()
                        .join("\n")
                ))
            })
            .collect()
    }
}

/// Appends the paths (relative to `root`) of the files under `dir`, leaving out the modules
/// folder, the logs and SQLite's transient journal files.
fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        if relative == "plugins-dist"
            || relative.ends_with(".log")
            || relative.ends_with("-journal")
        {
            continue;
        }
        if path.is_dir() {
            out.push(format!("{relative}/"));
            list_files(root, &path, out);
        } else {
            out.push(relative);
        }
    }
}

/// The files in `/tmp` whose names start with `prefix` (attacks write there).
pub fn tmp_files_with_prefix(prefix: &str) -> Vec<String> {
    std::fs::read_dir("/tmp")
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// The resident set size of process `pid` in KiB (`VmRSS` of `/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The CPU time process `pid` used so far, in clock ticks (`utime + stime` of
/// `/proc/<pid>/stat`; 100 ticks a second on Linux).
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}
