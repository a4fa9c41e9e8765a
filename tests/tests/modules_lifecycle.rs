//! Runtime control of modules on the real server, SQLite and PostgreSQL: disable detaches
//! routes, hooks and services and keeps the data; enable brings them back without re-running
//! migrations; the state survives a restart; a rescan picks up a bundle dropped in while the
//! server runs; `paperclipai db migrate` applies module migrations once.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first.

mod modules_support;

use modules_support::{
    assert_server_and_kitchen_sink_work, kitchen_config, kitchen_event_count, kitchen_events,
    module, module_log_lines, wait_for, wait_for_status, Database, KITCHEN_SECRET, KITCHEN_SINK,
};
use paperclip_e2e::{
    each_backend_and_level, json, run_cli_with, ServerOptions, StatusCode, TestBackend,
    TestDatabase, TestServer, Value,
};
use std::time::Duration;

/// A server with the kitchen sink and `tiny` (the control: it keeps receiving hooks while the
/// kitchen sink is disabled, which shows that the events were emitted).
fn start(backend: TestBackend) -> TestServer {
    let server = TestServer::start(
        backend,
        ServerOptions::new()
            .module(KITCHEN_SINK)
            .module("tiny")
            .config(kitchen_config())
            .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
    );
    wait_for_status(&server, KITCHEN_SINK, "active");
    wait_for_status(&server, "tiny", "active");
    server
}

/// `POST /api/admin/modules/{id}/{action}`, asserting 2xx.
fn control(server: &TestServer, id: &str, action: &str) -> Value {
    let (status, body) = server.post(&format!("/api/admin/modules/{id}/{action}"), &json!({}));
    assert!(
        status.is_success(),
        "{action} {id} answered {status}: {body}"
    );
    body
}

/// How many hook payloads `tiny` has received.
fn tiny_hooks(server: &TestServer) -> u64 {
    server.get_ok("/api/modules/tiny/hooks")["count"]
        .as_u64()
        .expect("a numeric count")
}

/// Creates an agent and waits until `tiny` received its `agent:created`, so any other
/// subscriber that was going to get it has had it queued too.
fn create_agent_seen_by_tiny(server: &TestServer, company: &str, name: &str) -> String {
    let before = tiny_hooks(server);
    let agent = server.create_agent(company, json!({ "name": name }));
    wait_for("tiny to receive agent:created", || {
        (tiny_hooks(server) > before).then_some(())
    });
    agent
}

/// The kitchen sink's service counter, read from its table directly (its routes may be off).
fn service_runs(db: &mut Database) -> i64 {
    db.scalar_i64("SELECT value AS n FROM mod_kitchen_sink_counters WHERE name = 'service'")
}

#[test]
fn disable_detaches_everything_and_keeps_data_enable_resumes_without_migrating_again() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend);
        let company = server.create_company("Lifecycle Corp");
        let first = create_agent_seen_by_tiny(&server, &company, "Before");
        wait_for("the kitchen sink to record the first agent", || {
            kitchen_events(&server, "agent:created")
                .iter()
                .any(|e| e["agent"]["id"] == first.as_str())
                .then_some(())
        });
        let mut db = Database::open(&server);
        let migrations_before = db.applied_migrations(KITCHEN_SINK);
        assert_eq!(migrations_before.len(), 2, "{migrations_before:?}");

        // Disable.
        control(&server, KITCHEN_SINK, "disable");
        let view = wait_for_status(&server, KITCHEN_SINK, "disabled");
        assert_eq!(view["enabled"], false, "{view}");
        let (status, body) = server.get("/api/modules/kitchen-sink/whoami");
        assert_eq!(status, StatusCode::NOT_FOUND, "routes are detached: {body}");
        assert!(body["error"].is_string(), "a JSON 404: {body}");

        // Hooks stop: tiny sees the next write, the kitchen sink's table does not grow.
        let events = db.count("mod_kitchen_sink_events");
        create_agent_seen_by_tiny(&server, &company, "While Disabled");
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            db.count("mod_kitchen_sink_events"),
            events,
            "no hook reached it"
        );

        // The service stops (it runs every 200 ms when active).
        let runs = service_runs(&mut db);
        std::thread::sleep(Duration::from_millis(700));
        assert_eq!(service_runs(&mut db), runs, "the service is stopped");

        // The data stays.
        assert!(db.table_exists("mod_kitchen_sink_events"));
        assert!(
            events >= 2,
            "server:started and the first agent are kept: {events}"
        );

        // Enable: routes, hooks and the service come back, on the same data.
        control(&server, KITCHEN_SINK, "enable");
        let view = wait_for_status(&server, KITCHEN_SINK, "active");
        assert_eq!(view["enabled"], true, "{view}");
        assert_eq!(
            kitchen_event_count(&server),
            events,
            "the old events are still there"
        );
        let after = server.create_agent(&company, json!({"name": "After"}));
        wait_for(
            "the kitchen sink to record the agent created after enable",
            || {
                kitchen_events(&server, "agent:created")
                    .iter()
                    .any(|e| e["agent"]["id"] == after.as_str())
                    .then_some(())
            },
        );
        wait_for("the service to run again", || {
            (service_runs(&mut db) > runs).then_some(())
        });

        // No migration ran again: same rows, same checksums, same times.
        assert_eq!(db.applied_migrations(KITCHEN_SINK), migrations_before);
        // `register` ran again (a fresh instance), visible in its log.
        let registered = module_log_lines(&server, KITCHEN_SINK)
            .iter()
            .filter(|l| l.contains("kitchen sink registered"))
            .count();
        assert_eq!(registered, 2, "registered at start and at enable");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn the_disabled_state_survives_a_restart() {
    each_backend_and_level(|backend, _level| {
        let mut server = start(backend);
        control(&server, KITCHEN_SINK, "disable");
        wait_for_status(&server, KITCHEN_SINK, "disabled");

        server.restart();
        let view = wait_for_status(&server, KITCHEN_SINK, "disabled");
        assert_eq!(view["enabled"], false, "{view}");
        let (status, _) = server.get("/api/modules/kitchen-sink/whoami");
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(module(&server, "tiny")["status"], "active");

        // Enabled again, it stays enabled across the next restart.
        control(&server, KITCHEN_SINK, "enable");
        wait_for_status(&server, KITCHEN_SINK, "active");
        server.restart();
        wait_for_status(&server, KITCHEN_SINK, "active");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn controlling_an_unknown_module_is_a_404() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend);
        for action in ["disable", "enable"] {
            let (status, body) = server.post(
                &format!("/api/admin/modules/no-such-module/{action}"),
                &json!({}),
            );
            assert_eq!(status, StatusCode::NOT_FOUND, "{action}: {body}");
            assert!(body["error"].is_string(), "{body}");
        }
        let (status, body) = server.get("/api/admin/modules/no-such-module");
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    });
}

#[test]
fn a_rescan_picks_up_a_newly_copied_bundle() {
    each_backend_and_level(|backend, _level| {
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .module(KITCHEN_SINK)
                .config(kitchen_config())
                .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
        );
        wait_for_status(&server, KITCHEN_SINK, "active");
        let (status, _) = server.get("/api/admin/modules/tiny");
        assert_eq!(status, StatusCode::NOT_FOUND, "tiny is not installed yet");

        server.add_module("tiny");
        let (status, body) = server.post("/api/admin/modules/rescan", &json!({}));
        assert!(status.is_success(), "rescan answered {status}: {body}");
        wait_for_status(&server, "tiny", "active");
        let ping = server.get_ok("/api/modules/tiny/ping");
        assert_eq!(ping, json!({"pong": true, "module": "tiny"}));

        // Its migration ran, and it receives hooks like any module loaded at start.
        let mut db = Database::open(&server);
        assert!(db.table_exists("mod_tiny_pings"));
        assert_eq!(db.applied_migrations("tiny").len(), 1);
        let company = server.create_company("Rescan Corp");
        server.create_agent(&company, json!({"name": "Seen"}));
        wait_for("tiny to receive agent:created", || {
            (server.get_ok("/api/modules/tiny/hooks")["count"].as_u64() >= Some(1)).then_some(())
        });

        // A second rescan with nothing new changes nothing.
        let (status, _) = server.post("/api/admin/modules/rescan", &json!({}));
        assert!(status.is_success());
        assert_eq!(module(&server, "tiny")["status"], "active");
        assert_eq!(db.applied_migrations("tiny").len(), 1);
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn db_migrate_applies_module_migrations_once() {
    each_backend_and_level(|backend, _level| {
        // Start once so the bundles are in place, then stop and migrate with the CLI.
        let mut server = start(backend);
        server.stop();
        let config = server.config_path();
        let data_dir = server.data_dir();
        let mut env: Vec<(&str, &str)> = Vec::new();
        if let Some(url) = server.database_url() {
            env.push(("DATABASE_URL", url));
        }
        let args = [
            "db",
            "migrate",
            "--config",
            config.to_str().expect("utf-8 path"),
            "--data-dir",
            data_dir.to_str().expect("utf-8 path"),
            "--module",
            KITCHEN_SINK,
        ];
        let mut db = Database::open(&server);
        let before = db.applied_migrations(KITCHEN_SINK);
        let out = run_cli_with(&args, &env, Some(server.root_dir()));
        assert!(out.success(), "db migrate --module failed: {out:?}");
        assert_eq!(
            db.applied_migrations(KITCHEN_SINK),
            before,
            "nothing applied twice"
        );

        // On a fresh database, `db migrate` alone applies the core's and the module's migrations.
        let fresh = tempfile::tempdir().expect("a temporary folder");
        let fresh_db = match server.backend() {
            TestBackend::Postgres { admin_url } => Some(TestDatabase::create(admin_url)),
            TestBackend::Sqlite => None,
        };
        let mut env: Vec<(&str, &str)> = Vec::new();
        if let Some(database) = &fresh_db {
            env.push(("DATABASE_URL", database.url()));
        }
        let fresh_dir = fresh.path().to_str().expect("utf-8 path");
        let config = config.to_str().expect("utf-8 path");
        let args = ["db", "migrate", "--config", config, "--data-dir", fresh_dir];
        let out = run_cli_with(&args, &env, Some(server.root_dir()));
        assert!(out.success(), "db migrate failed: {out:?}");
        let mut fresh_conn = match &fresh_db {
            Some(database) => Database::postgres(database.url()),
            None => Database::sqlite(&fresh.path().join("paperclip.db")),
        };
        let applied = fresh_conn.applied_migrations(KITCHEN_SINK);
        assert_eq!(applied.len(), 2, "{applied:?}");
        assert!(fresh_conn.table_exists("mod_kitchen_sink_items"));
        assert!(fresh_conn.table_exists("mod_tiny_pings"));
        assert_eq!(fresh_conn.applied_migrations("tiny").len(), 1);
    });
}

#[test]
fn the_module_cli_talks_to_the_running_server_or_to_the_database_when_it_is_down() {
    each_backend_and_level(|backend, _level| {
        let mut server = start(backend);
        let base = server.base_url().to_string();
        let config = server.config_path().to_string_lossy().into_owned();
        let data_dir = server.data_dir().to_string_lossy().into_owned();
        let database_url = server.database_url().map(str::to_string);
        let cli = |args: &[&str]| {
            let mut all: Vec<&str> = args.to_vec();
            all.extend([
                "--server",
                &base,
                "--config",
                &config,
                "--data-dir",
                &data_dir,
            ]);
            let mut env: Vec<(&str, &str)> = Vec::new();
            if let Some(url) = &database_url {
                env.push(("DATABASE_URL", url));
            }
            run_cli_with(&all, &env, None)
        };

        // Running server: list, disable and enable go through the admin API.
        let out = cli(&["module", "list", "--json"]);
        assert!(out.success(), "{out:?}");
        let listed: Value = serde_json::from_str(&out.stdout).expect("module list --json is JSON");
        let kitchen = listed
            .as_array()
            .and_then(|all| all.iter().find(|m| m["id"] == KITCHEN_SINK))
            .unwrap_or_else(|| panic!("kitchen-sink listed: {listed}"));
        assert_eq!(kitchen["status"], "active", "{kitchen}");
        let out = cli(&["module", "list"]);
        assert!(out.success(), "{out:?}");
        assert!(
            out.stdout
                .lines()
                .any(|l| l.contains(KITCHEN_SINK) && l.contains("active")),
            "{}",
            out.stdout
        );

        let out = cli(&["module", "disable", KITCHEN_SINK]);
        assert!(out.success(), "{out:?}");
        assert_eq!(module(&server, KITCHEN_SINK)["status"], "disabled");
        let (status, _) = server.get("/api/modules/kitchen-sink/whoami");
        assert_eq!(status, StatusCode::NOT_FOUND);
        let out = cli(&["module", "enable", KITCHEN_SINK]);
        assert!(out.success(), "{out:?}");
        wait_for_status(&server, KITCHEN_SINK, "active");
        let out = cli(&["module", "disable", "no-such-module"]);
        assert!(!out.success(), "an unknown module is an error: {out:?}");

        // Server down: the CLI saves the state in the database; the next start applies it.
        server.stop();
        let out = cli(&["module", "disable", "tiny"]);
        assert!(out.success(), "{out:?}");
        assert!(out.stderr.contains("no server answers"), "{out:?}");
        let out = cli(&["module", "list", "--json"]);
        assert!(out.success(), "{out:?}");
        let listed: Value = serde_json::from_str(&out.stdout).expect("JSON");
        let tiny = listed
            .as_array()
            .and_then(|all| all.iter().find(|m| m["id"] == "tiny"))
            .unwrap_or_else(|| panic!("tiny listed offline: {listed}"));
        assert_eq!(tiny["enabled"], false, "{tiny}");
        server.restart();
        wait_for_status(&server, "tiny", "disabled");
        let (status, _) = server.get("/api/modules/tiny/ping");
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_config_saved_through_the_admin_api_is_validated_and_applies_at_once() {
    each_backend_and_level(|backend, _level| {
        let mut server = start(backend);
        let path = "/api/admin/modules/kitchen-sink/config";

        // Refused by the configSchema: 400 naming the field, nothing saved.
        let (status, body) = server.put(path, &json!({"batchLimit": 0}));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.to_string().contains("batchLimit"), "{body}");
        assert_eq!(
            server.get_ok("/api/modules/kitchen-sink/whoami")["greeting"],
            "hello"
        );

        // Accepted: saved, masked, and applied to the running module at once (at every level).
        let (status, body) = server.put(
            path,
            &json!({"greeting": "bonjour", "secret": "$KITCHEN_SINK_SECRET"}),
        );
        assert!(status.is_success(), "{status}: {body}");
        assert!(
            !body.to_string().contains(KITCHEN_SECRET),
            "secret masked: {body}"
        );
        assert_eq!(
            server.get_ok("/api/modules/kitchen-sink/whoami")["greeting"],
            "bonjour"
        );
        let config = server.get_ok("/api/modules/kitchen-sink/config");
        assert_eq!(
            config,
            json!({"greeting": "bonjour", "secret": KITCHEN_SECRET, "batchLimit": 10})
        );
        let view = wait_for_status(&server, KITCHEN_SINK, "active");
        assert_eq!(view["configPending"], false, "{view}");

        // The saved config survives a restart.
        server.restart();
        wait_for_status(&server, KITCHEN_SINK, "active");
        assert_eq!(
            server.get_ok("/api/modules/kitchen-sink/whoami")["greeting"],
            "bonjour"
        );
    });
}
