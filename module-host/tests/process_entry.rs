//! The `process` isolation level through real runners (`paperclip-module-runner`, built next
//! to this test binary's folder) on real test module libraries (`scripts/build-modules.sh`),
//! with real host handles on real databases (SQLite always, PostgreSQL too when
//! `PAPERCLIP_TEST_DATABASE_URL` is set).

use abi_stable::std_types::{RVec, Tuple2};
use landlock::{Access, AccessFs, CompatLevel, Compatible, Ruleset, RulesetAttr, ABI};
use module_sdk::abi::{ErrorKind, HostHandle, ModuleError, RouteRequest};
use paperclip_core::core::Core;
use paperclip_core::db::migrations::run_core_migrations;
use paperclip_core::db::Database;
use paperclip_core::hooks::HookBus;
use paperclip_module_host::host_handle::new_host_handle;
use paperclip_module_host::module_entry::{EntryHealth, LibraryEntry, ModuleEntry};
use paperclip_module_host::module_loader::LibraryCache;
use paperclip_module_host::process_entry::{ProcessEntry, ProcessSettings, RestartPolicy};
use paperclip_test_support::{postgres_admin_url, TestDatabase as PostgresDatabase};
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ── fixtures ─────────────────────────────────────────────────────────────────────────────

/// A migrated database that disappears when dropped; `dir` holds the SQLite file.
struct TestDb {
    db: Database,
    dir: Option<tempfile::TempDir>,
    _postgres: Option<PostgresDatabase>,
}

impl TestDb {
    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("paperclip.db").display().to_string();
        TestDb {
            db: migrated(&url),
            dir: Some(dir),
            _postgres: None,
        }
    }

    fn postgres(admin_url: &str) -> TestDb {
        let postgres = PostgresDatabase::create(admin_url);
        TestDb {
            db: migrated(postgres.url()),
            dir: None,
            _postgres: Some(postgres),
        }
    }

    fn host(&self, module_id: &str) -> HostHandle {
        new_host_handle(
            module_id,
            Core::new(self.db.clone(), Arc::new(HookBus::new())),
        )
    }
}

fn migrated(url: &str) -> Database {
    let db = Database::open(url).expect("open the test database");
    run_core_migrations(&mut db.conn().unwrap()).expect("apply the core migrations");
    db
}

/// Makes a fresh database of one backend.
type MakeDb = Box<dyn Fn() -> TestDb>;

/// Runs `test` on SQLite and, when configured, on PostgreSQL; failures name their backend.
fn each_backend(test: impl Fn(&TestDb)) {
    let mut failures = Vec::new();
    let mut backends: Vec<(&str, MakeDb)> = vec![("sqlite", Box::new(TestDb::sqlite))];
    if let Some(url) = postgres_admin_url() {
        backends.push(("postgres", Box::new(move || TestDb::postgres(&url))));
    }
    for (name, make) in backends {
        eprintln!("── backend: {name}");
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| test(&make()))) {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("[{name}] {message}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The bundle folder of test module `name` and its library.
fn bundle(name: &str) -> (PathBuf, PathBuf) {
    let dir = target_dir().join("test-bundles").join(name);
    let library = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "test bundle {} missing ({e}); build it first: scripts/build-modules.sh",
                dir.display()
            )
        })
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "so"))
        .expect("a library in the bundle");
    (library, dir)
}

fn settings() -> ProcessSettings {
    ProcessSettings::with_resolved_runner().expect("the runner is built")
}

fn start(name: &str, module_id: &str) -> Arc<ProcessEntry> {
    let (library, dir) = bundle(name);
    ProcessEntry::start(module_id, &library, &dir, &settings())
        .unwrap_or_else(|e| panic!("{name} does not start: {}", e.reason))
}

fn request(method: &str, path: &str, query: &str, body: Value) -> RouteRequest {
    RouteRequest {
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: RVec::from(vec![Tuple2(
            "content-type".into(),
            "application/json".into(),
        )]),
        body: RVec::from(if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        }),
    }
}

fn call(
    entry: &dyn ModuleEntry,
    method: &str,
    path: &str,
    query: &str,
    body: Value,
) -> Result<(u16, Value), ModuleError> {
    let response = entry.handle_route(&request(method, path, query, body))?;
    let value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    Ok((response.status, value))
}

fn get(entry: &dyn ModuleEntry, path: &str) -> (u16, Value) {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    call(entry, "GET", path, query, Value::Null).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn post(entry: &dyn ModuleEntry, path: &str, body: Value) -> (u16, Value) {
    call(entry, "POST", path, "", body).unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// Waits (generously) until the entry is ready again.
fn wait_ready(entry: &ProcessEntry) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while entry.health() != EntryHealth::Ready {
        assert!(Instant::now() < deadline, "still {:?}", entry.health());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn landlock_supported() -> bool {
    Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(ABI::V1))
        .and_then(|ruleset| ruleset.create())
        .is_ok()
}

// ── tests ────────────────────────────────────────────────────────────────────────────────

#[test]
fn routes_hooks_services_and_describe_cross_the_process_boundary() {
    let db = TestDb::sqlite();
    let entry = start("env-probe", "env-probe");
    let registration = entry.register(db.host("env-probe"), "{}").unwrap();
    assert_eq!(
        registration
            .hooks
            .iter()
            .map(|h| h.as_str())
            .collect::<Vec<_>>(),
        ["agent:heartbeat"]
    );
    assert_eq!(registration.services.len(), 1);
    assert_eq!(registration.services[0].name.as_str(), "tick");
    assert!(registration.has_routes);

    assert_eq!(get(&*entry, "/ping"), (200, json!({"pong": true})));
    assert_eq!(get(&*entry, "/nowhere").0, 404);
    for _ in 0..3 {
        entry
            .on_hook("agent:heartbeat", r#"{"agentId": "a1"}"#)
            .unwrap();
    }
    assert_eq!(get(&*entry, "/hooks"), (200, json!({"count": 3})));
    let bad_payload = entry.on_hook("agent:heartbeat", "not json").unwrap_err();
    assert_eq!(bad_payload.kind, ErrorKind::BadRequest, "{bad_payload}");
    entry.run_service("tick").unwrap();
    assert_eq!(get(&*entry, "/ticks"), (200, json!({"count": 1})));
    assert_eq!(
        entry.run_service("nope").unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(get(&*entry, "/log"), (200, json!({"logged": true})));

    let describe: Value =
        serde_json::from_str(&entry.describe().expect("ABI 1.1 describes")).unwrap();
    assert_eq!(describe["crate"], "env-probe", "{describe}");

    let status = entry.process_status().unwrap();
    assert_eq!(status.state, "ready");
    assert!(status.pid.is_some());
    assert_eq!(
        (status.in_flight, status.restarts, status.last_exit),
        (0, 0, None)
    );
    assert!(
        status
            .sandbox
            .contains("rlimits: as 1024 MiB, cpu 3600 s, core 0, nofile 64"),
        "{}",
        status.sandbox
    );
    assert!(
        status.runner.ends_with("paperclip-module-runner"),
        "{}",
        status.runner
    );

    // Concurrent calls each get their own answer.
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let entry = entry.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    assert_eq!(get(&*entry, "/ping").0, 200);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }

    // Shutdown ends the child without a restart; a new register starts a fresh one.
    let pid = status.pid;
    entry.shutdown();
    let stopped = entry.process_status().unwrap();
    assert_eq!((stopped.state.as_str(), stopped.pid), ("stopped", None));
    assert_eq!(stopped.restarts, 0);
    let refused = entry
        .handle_route(&request("GET", "/ping", "", Value::Null))
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::NotRegistered, "{refused}");
    entry.register(db.host("env-probe"), "{}").unwrap();
    assert_eq!(get(&*entry, "/hooks"), (200, json!({"count": 0})));
    assert_ne!(entry.process_status().unwrap().pid, pid);
}

#[test]
fn module_database_calls_go_through_the_host_and_its_sql_guard() {
    each_backend(|db| {
        let entry = start("sql-probe", "sql-probe");
        entry.register(db.host("sql-probe"), "{}").unwrap();
        let created = post(
            &*entry,
            "/execute",
            json!({"sql": "CREATE TABLE mod_sql_probe_proc (id INTEGER PRIMARY KEY, body TEXT)"}),
        );
        assert_eq!(created.0, 200, "{created:?}");
        let inserted = post(
            &*entry,
            "/execute",
            json!({"sql": "INSERT INTO mod_sql_probe_proc (id, body) VALUES ($1, $2)", "params": [1, "from a child"]}),
        );
        assert_eq!(inserted, (200, json!({"affected": 1})));

        let (status, begun) = post(&*entry, "/begin", json!({}));
        assert_eq!(status, 200, "{begun}");
        let tx = begun["tx"].clone();
        assert_eq!(post(&*entry, "/execute", json!({"sql": "INSERT INTO mod_sql_probe_proc (id, body) VALUES ($1, $2)", "params": [2, "in a transaction"], "tx": tx})).0, 200);
        assert_eq!(
            post(&*entry, "/commit", json!({"tx": tx})),
            (200, json!({"ok": true}))
        );
        assert_eq!(
            post(
                &*entry,
                "/query",
                json!({"sql": "SELECT id, body FROM mod_sql_probe_proc ORDER BY id"})
            ),
            (
                200,
                json!({"rows": [{"id": 1, "body": "from a child"}, {"id": 2, "body": "in a transaction"}]})
            )
        );

        // The guard refuses exactly as it does for the library loaded in this process.
        let (library, _) = bundle("sql-probe");
        let in_process = LibraryEntry::new(LibraryCache::new().load(&library).unwrap().root);
        in_process.register(db.host("sql-probe"), "{}").unwrap();
        for sql in [
            "DELETE FROM agents WHERE id = 'x'",
            "SELECT * FROM mod_other_notes",
            "DROP TABLE companies",
        ] {
            let through_process = post(&*entry, "/execute", json!({"sql": sql}));
            let direct = post(&in_process, "/execute", json!({"sql": sql}));
            assert_eq!(through_process.0, 400, "{sql}: {through_process:?}");
            assert_eq!(through_process, direct, "{sql}");
        }
        let refused = post(
            &*entry,
            "/execute",
            json!({"sql": "DELETE FROM agents WHERE id = 'x'"}),
        );
        assert!(
            refused.1["error"]
                .as_str()
                .unwrap()
                .starts_with("SQL refused: "),
            "{refused:?}"
        );
        in_process.shutdown();
        entry.shutdown();
    });
}

#[test]
fn a_transaction_left_open_by_a_crashed_child_is_rolled_back() {
    each_backend(|db| {
        let entry = start("sql-probe", "sql-probe");
        entry.register(db.host("sql-probe"), "{}").unwrap();
        post(
            &*entry,
            "/execute",
            json!({"sql": "CREATE TABLE mod_sql_probe_left (id INTEGER PRIMARY KEY)"}),
        );
        let tx = post(&*entry, "/begin", json!({})).1["tx"].clone();
        assert_eq!(
            post(
                &*entry,
                "/execute",
                json!({"sql": "INSERT INTO mod_sql_probe_left (id) VALUES (1)", "tx": tx})
            )
            .0,
            200
        );
        assert!(entry.interrupt());
        wait_ready(&entry);
        // The insert was rolled back, and the table is not locked by a forgotten transaction.
        assert_eq!(
            post(
                &*entry,
                "/query",
                json!({"sql": "SELECT COUNT(*) AS n FROM mod_sql_probe_left"})
            ),
            (200, json!({"rows": [{"n": 0}]}))
        );
        assert_eq!(
            post(
                &*entry,
                "/execute",
                json!({"sql": "INSERT INTO mod_sql_probe_left (id) VALUES (2)"})
            )
            .0,
            200
        );
        entry.shutdown();
    });
}

#[test]
fn the_child_sees_an_empty_environment() {
    std::env::set_var("PAPERCLIP_SECRET", "do-not-leak");
    let db = TestDb::sqlite();
    let entry = start("env-probe", "env-probe");
    entry.register(db.host("env-probe"), "{}").unwrap();
    assert_eq!(get(&*entry, "/env"), (200, json!({})));
    entry.shutdown();
}

#[test]
fn landlock_keeps_the_child_out_of_the_data_dir() {
    let db = TestDb::sqlite();
    let data_dir = db.dir.as_ref().unwrap().path();
    let db_file = data_dir.join("paperclip.db");
    let other_file = data_dir.join("secret.txt");
    std::fs::write(&other_file, "server secret").unwrap();
    let (_, bundle_dir) = bundle("env-probe");
    let entry = start("env-probe", "env-probe");
    entry.register(db.host("env-probe"), "{}").unwrap();

    let manifest = bundle_dir.join("paperclip.module.json");
    let (status, body) = get(&*entry, &format!("/read?path={}", manifest.display()));
    assert_eq!(status, 200, "the bundle stays readable: {body}");
    assert_eq!(body["size"], std::fs::metadata(&manifest).unwrap().len());

    let sandbox = entry.process_status().unwrap().sandbox;
    if !landlock_supported() {
        eprintln!("this kernel has no Landlock; the sandbox says: {sandbox}");
        assert!(sandbox.starts_with("landlock not"), "{sandbox}");
        return;
    }
    assert!(
        sandbox.starts_with("landlock fully enforced (ABI "),
        "{sandbox}"
    );
    for path in [&db_file, &other_file, Path::new("/etc/passwd")] {
        assert!(path.exists());
        let (status, body) = get(&*entry, &format!("/read?path={}", path.display()));
        assert_eq!(
            status,
            403,
            "{} must not be readable: {body}",
            path.display()
        );
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("Permission denied"),
            "{body}"
        );
    }
    entry.shutdown();
}

#[test]
fn a_crashed_child_is_restarted_with_its_config_and_named_exit() {
    let db = TestDb::sqlite();
    // A backoff long enough to look at the restarting entry even on a loaded machine.
    let backoff = Duration::from_secs(1);
    let settings = ProcessSettings {
        restart: RestartPolicy {
            initial_backoff: backoff,
            max_backoff: backoff,
            ..RestartPolicy::default()
        },
        ..settings()
    };
    let (library, dir) = bundle("env-probe");
    let entry = ProcessEntry::start("env-probe", &library, &dir, &settings).unwrap();
    entry.register(db.host("env-probe"), "{}").unwrap();
    entry.on_hook("agent:heartbeat", "{}").unwrap();

    let crashed = entry
        .handle_route(&request("GET", "/abort", "", Value::Null))
        .unwrap_err();
    assert_eq!(
        crashed.message.as_str(),
        "module process killed by signal 6 (SIGABRT)"
    );
    match entry.health() {
        EntryHealth::Restarting {
            retry_after,
            reason,
        } => {
            assert!(retry_after <= backoff, "{retry_after:?}");
            assert_eq!(reason, "module process killed by signal 6 (SIGABRT)");
        }
        other => panic!("expected Restarting, got {other:?}"),
    }
    let refused = entry
        .handle_route(&request("GET", "/ping", "", Value::Null))
        .unwrap_err();
    assert!(refused.message.contains("restarting"), "{refused}");
    assert_eq!(entry.process_status().unwrap().state, "restarting");
    // The child's last words, read from its stderr pipe by their own thread.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stderr = entry.process_status().unwrap().recent_stderr;
        if stderr
            .iter()
            .any(|line| line == "env-probe: aborting on request")
        {
            break;
        }
        assert!(Instant::now() < deadline, "{stderr:?}");
        std::thread::sleep(Duration::from_millis(10));
    }

    wait_ready(&entry);
    // Registered again (a fresh instance: its counter starts over), not merely started.
    assert_eq!(get(&*entry, "/hooks"), (200, json!({"count": 0})));
    let status = entry.process_status().unwrap();
    assert_eq!(status.restarts, 1);
    assert_eq!(
        status.last_exit.as_deref(),
        Some("killed by signal 6 (SIGABRT)")
    );

    let exited = entry
        .handle_route(&request("GET", "/exit", "code=3", Value::Null))
        .unwrap_err();
    assert_eq!(
        exited.message.as_str(),
        "module process exited with status 3"
    );
    wait_ready(&entry);

    assert!(entry.interrupt());
    wait_ready(&entry);
    let status = entry.process_status().unwrap();
    assert_eq!(status.restarts, 3);
    assert_eq!(
        status.last_exit.as_deref(),
        Some("killed by signal 9 (SIGKILL) (killed by the host: a call was interrupted)")
    );
    assert_eq!(get(&*entry, "/ping").0, 200);
    entry.shutdown();
}

#[test]
fn a_crash_loop_gives_the_module_up() {
    let db = TestDb::sqlite();
    let entry = start("env-probe", "env-probe");
    entry.register(db.host("env-probe"), "{}").unwrap();
    for crash in 1..=5 {
        wait_ready(&entry);
        let error = entry
            .handle_route(&request("GET", "/abort", "", Value::Null))
            .unwrap_err();
        assert_eq!(
            error.message.as_str(),
            "module process killed by signal 6 (SIGABRT)",
            "crash {crash}"
        );
    }
    match entry.health() {
        EntryHealth::Failed { reason } => assert_eq!(
            reason,
            "module process killed by signal 6 (SIGABRT); it crashed 5 times within 60 s, so it is not started again"
        ),
        other => panic!("expected Failed, got {other:?}"),
    }
    let status = entry.process_status().unwrap();
    assert_eq!(
        (status.state.as_str(), status.pid, status.restarts),
        ("failed", None, 4)
    );
    let refused = entry
        .handle_route(&request("GET", "/ping", "", Value::Null))
        .unwrap_err();
    assert!(
        refused
            .message
            .starts_with("the module process was given up: "),
        "{refused}"
    );
    assert!(!entry.interrupt());
}

#[test]
fn a_library_that_cannot_load_fails_with_the_loaders_reason() {
    let (library, dir) = bundle("fault-not-a-module");
    let in_process = LibraryCache::new()
        .load(&library)
        .err()
        .expect("not a module");
    let error = ProcessEntry::start("fault-not-a-module", &library, &dir, &settings())
        .err()
        .expect("not a module");
    assert_eq!(error, in_process);

    let missing = dir.join("libmissing.so");
    let error = ProcessEntry::start("ghost", &missing, &dir, &settings())
        .err()
        .unwrap();
    assert_eq!(error.status, paperclip_module_host::ModuleStatus::Failed);
    assert!(
        error.reason.starts_with("cannot open libmissing.so: "),
        "{}",
        error.reason
    );

    let no_runner = ProcessSettings {
        runner_path: dir.join("no-such-runner"),
        ..settings()
    };
    let (library, dir) = bundle("env-probe");
    let error = ProcessEntry::start("env-probe", &library, &dir, &no_runner)
        .err()
        .unwrap();
    assert!(
        error.reason.contains("cannot start the module runner"),
        "{}",
        error.reason
    );
}

#[test]
fn a_call_over_the_frame_limit_is_refused_and_the_child_keeps_serving() {
    let db = TestDb::sqlite();
    let entry = start("env-probe", "env-probe");
    entry.register(db.host("env-probe"), "{}").unwrap();
    let mut huge = request("POST", "/ping", "", Value::Null);
    huge.body = RVec::from(vec![b'x'; 65 << 20]);
    let refused = entry.handle_route(&huge).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::BadRequest);
    assert!(
        refused
            .message
            .contains("over the 64 MiB limit of the module process connection"),
        "{refused}"
    );
    assert_eq!(get(&*entry, "/ping"), (200, json!({"pong": true})));
    assert_eq!(entry.process_status().unwrap().restarts, 0);
    entry.shutdown();
}
