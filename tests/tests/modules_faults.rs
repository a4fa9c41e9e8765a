//! Faulty modules, each in its own test next to the kitchen-sink module, on SQLite and
//! PostgreSQL: the faulty module gets the status and reason that name its fault, and the server,
//! the kitchen sink and the core keep working (health 200, a kitchen-sink route 200, a core
//! write 201 whose hook still reaches the kitchen sink).
//!
//! The fault modules are the crates `tests/modules/fault-*`; the missing-library bundle is the
//! `tiny` bundle copied without its library. Needs `scripts/build-modules.sh` and
//! `cargo build -p paperclip-server` first.

mod modules_support;

use modules_support::{
    assert_server_and_kitchen_sink_work, assert_status, counter, kitchen_config, kitchen_events,
    module, wait_for, wait_for_status, Database, ModulesDir, KITCHEN_SECRET, KITCHEN_SINK,
};
use paperclip_e2e::{
    each_backend_and_level, json, ServerOptions, StatusCode, TestBackend, TestServer, Value,
};
use std::time::{Duration, Instant};

/// A server with the kitchen sink and the given fault modules, `extra` merged into
/// `modules` of the config.
fn start_with(backend: TestBackend, faults: &[&str], extra: Value) -> TestServer {
    let mut config = kitchen_config();
    if let Value::Object(extra) = extra {
        for (key, value) in extra {
            if key == "config" {
                for (id, module_config) in value.as_object().expect("config is an object") {
                    config["modules"]["config"][id] = module_config.clone();
                }
            } else {
                config["modules"][key] = value;
            }
        }
    }
    let mut options = ServerOptions::new()
        .module(KITCHEN_SINK)
        .config(config)
        .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET);
    for fault in faults {
        options = options.module(*fault);
    }
    let server = TestServer::start(backend, options);
    wait_for_status(&server, KITCHEN_SINK, "active");
    server
}

/// The module's routes are not served: the host's 404.
fn assert_routes_not_served(server: &TestServer, prefix: &str) {
    let (status, body) = server.get(&format!("/api/modules/{prefix}/ok"));
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "{prefix} must not be mounted: {body}"
    );
}

#[test]
fn a_panic_in_register_fails_only_that_module() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-register-panic"], json!({}));
        assert_status(
            &server,
            "fault-register-panic",
            "failed",
            &["register", "register exploded on purpose"],
        );
        assert_routes_not_served(&server, "fault-register-panic");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_panic_in_a_hook_is_counted_and_delivery_goes_on() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-hook-panic"], json!({}));
        wait_for_status(&server, "fault-hook-panic", "active");
        let company = server.create_company("Panic Corp");
        for name in ["One", "Two"] {
            server.create_agent(&company, json!({ "name": name }));
        }
        wait_for("two hook failures", || {
            (counter(&server, "fault-hook-panic", "hookFailures") >= 2).then_some(())
        });
        // Both events reached the handler: a panic does not stop the module's worker.
        let ok = server.get_ok("/api/modules/fault-hook-panic/ok");
        assert_eq!(ok["calls"], 2, "{ok}");
        assert_status(
            &server,
            "fault-hook-panic",
            "degraded",
            &["hook exploded on purpose"],
        );
        assert_server_and_kitchen_sink_work(&server);
        assert_eq!(counter(&server, KITCHEN_SINK, "hookFailures"), 0);
    });
}

#[test]
fn a_panic_in_a_route_answers_500_and_the_module_keeps_serving() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-route-panic"], json!({}));
        wait_for_status(&server, "fault-route-panic", "active");
        let (status, body) = server.get("/api/modules/fault-route-panic/boom");
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert!(body["error"].is_string(), "a JSON error: {body}");
        let ok = server.get_ok("/api/modules/fault-route-panic/ok");
        assert_eq!(ok["ok"], true);
        assert!(counter(&server, "fault-route-panic", "routeErrors") >= 1);
        assert!(counter(&server, "fault-route-panic", "routeCalls") >= 2);
        assert_status(
            &server,
            "fault-route-panic",
            "degraded",
            &["route exploded on purpose"],
        );
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_panic_in_a_service_is_counted_and_the_service_keeps_its_schedule() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-service-panic"], json!({}));
        wait_for("three failed service runs", || {
            (counter(&server, "fault-service-panic", "serviceFailures") >= 3).then_some(())
        });
        let runs = server.get_ok("/api/modules/fault-service-panic/ok")["runs"]
            .as_u64()
            .expect("runs");
        assert!(
            runs >= 3,
            "the service is rescheduled after each panic: {runs}"
        );
        assert!(counter(&server, "fault-service-panic", "serviceRuns") >= 3);
        assert_status(
            &server,
            "fault-service-panic",
            "degraded",
            &["service exploded on purpose"],
        );
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_hook_that_never_returns_times_out_without_slowing_the_core() {
    each_backend_and_level(|backend, level| {
        let server = start_with(
            backend,
            &["fault-hook-hang"],
            json!({"hookTimeoutMs": 300, "routeTimeoutMs": 300}),
        );
        wait_for_status(&server, "fault-hook-hang", "active");
        let company = server.create_company("Hang Corp");
        for name in ["First", "Second", "Third"] {
            let started = Instant::now();
            server.create_agent(&company, json!({ "name": name }));
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "the core write waited for the hung module: {:?}",
                started.elapsed()
            );
        }
        wait_for("the hung call to time out", || {
            (counter(&server, "fault-hook-hang", "hookTimeouts") >= 1).then_some(())
        });
        // The kitchen sink got all three events although the other subscriber hangs.
        wait_for("the kitchen sink to get all three agents", || {
            (kitchen_events(&server, "agent:created").len() >= 3).then_some(())
        });
        if level == "process" {
            // The hung call gets the module's process killed and started again.
            wait_for("the module process to be restarted", || {
                let view = module(&server, "fault-hook-hang");
                (view["process"]["restarts"].as_u64() >= Some(1)).then_some(())
            });
            let ok = wait_for("the restarted module to answer", || {
                let (status, body) = server.get("/api/modules/fault-hook-hang/ok");
                (status == StatusCode::OK).then_some(body)
            });
            assert_eq!(ok["ok"], true);
        } else {
            // While the first call hangs, later events are not queued behind it in memory: the
            // module is at-least-once (the default), so they stay in the hook outbox, counted
            // as its lag, for when the handler returns (or the next start). (The first three
            // may have gone into the hung call as one batch: a fourth is offered while the
            // call is overdue.)
            server.create_agent(&company, json!({ "name": "Fourth" }));
            let delivery = wait_for("the later events to wait in the outbox", || {
                let delivery = module(&server, "fault-hook-hang")["delivery"].clone();
                (delivery["lagEvents"].as_i64() >= Some(1)).then_some(delivery)
            });
            assert_eq!(delivery["mode"], "at-least-once", "{delivery}");
            assert_eq!(counter(&server, "fault-hook-hang", "hookDrops"), 0);
            let ok = server.get_ok("/api/modules/fault-hook-hang/ok");
            assert_eq!(ok["entered"], 1, "only one call is stuck: {ok}");
            assert_status(&server, "fault-hook-hang", "degraded", &[]);
        }

        // A route that never answers gets the host's time-out, and the module keeps serving.
        // (Not inline: an inline call that never returns keeps its HTTP worker; that level is
        // for trusted modules, and its overrun switch is tested in `modules_execution`.)
        if level != "inline" {
            let started = Instant::now();
            let (status, body) = server.get("/api/modules/fault-hook-hang/hang");
            assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
            assert!(body["error"].is_string(), "a JSON error: {body}");
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{:?}",
                started.elapsed()
            );
            let ok = wait_for("the module to answer again", || {
                let (status, body) = server.get("/api/modules/fault-hook-hang/ok");
                (status == StatusCode::OK).then_some(body)
            });
            assert_eq!(ok["ok"], true);
            assert!(counter(&server, "fault-hook-hang", "routeErrors") >= 1);
        }

        // Disabling it does not wait for its hung calls for ever.
        let started = Instant::now();
        let (status, body) = server.post("/api/admin/modules/fault-hook-hang/disable", &json!({}));
        assert!(status.is_success(), "disable answered {status}: {body}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{:?}",
            started.elapsed()
        );
        wait_for_status(&server, "fault-hook-hang", "disabled");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn bad_sql_in_a_migration_rolls_it_back_and_fails_the_module() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-bad-migration"], json!({}));
        assert_status(
            &server,
            "fault-bad-migration",
            "failed",
            &["2026-01-02-000000"],
        );
        assert_routes_not_served(&server, "fault-bad-migration");
        let mut db = Database::open(&server);
        assert!(
            db.table_exists("mod_fault_bad_migration_a"),
            "migration 1 applied"
        );
        assert!(
            !db.table_exists("mod_fault_bad_migration_b"),
            "migration 2 rolled back whole"
        );
        let applied = db.applied_migrations("fault-bad-migration");
        assert_eq!(applied.len(), 1, "only migration 1 recorded: {applied:?}");
        assert!(
            applied[0].version.starts_with("2026-01-01-000000"),
            "{applied:?}"
        );
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_migration_writing_a_core_table_is_refused() {
    each_backend_and_level(|backend, _level| {
        // Start without it, with an agent it would rename, then drop it in and rescan.
        let server = start_with(backend, &[], json!({}));
        let company = server.create_company("Core Corp");
        let agent = server.create_agent(&company, json!({"name": "Untouchable"}));
        server.add_module("fault-core-write");
        let (status, body) = server.post("/api/admin/modules/rescan", &json!({}));
        assert!(status.is_success(), "rescan answered {status}: {body}");
        let view = wait_for("fault-core-write to be scanned", || {
            let (status, view) = server.get("/api/admin/modules/fault-core-write");
            (status == StatusCode::OK && view["status"] != "disabled").then_some(view)
        });
        assert_eq!(view["status"], "failed", "{view}");
        assert_status(&server, "fault-core-write", "failed", &["agents"]);
        let agent_now = server.get_ok(&format!("/api/agents/{agent}"));
        assert_eq!(agent_now["name"], "Untouchable");
        let mut db = Database::open(&server);
        assert!(
            !db.table_exists("mod_fault_core_write_t"),
            "nothing of the migration applied"
        );
        assert!(db.applied_migrations("fault-core-write").is_empty());
        assert_routes_not_served(&server, "fault-core-write");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn sql_on_another_modules_tables_or_the_hosts_is_refused_at_run_time() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-foreign-write"], json!({}));
        wait_for_status(&server, "fault-foreign-write", "active");
        let company = server.create_company("Foreign Corp");
        let agent = server.create_agent(&company, json!({"name": "Keep My Name"}));
        let before = wait_for("the kitchen sink to record the agent", || {
            let events = kitchen_events(&server, "agent:created");
            events
                .iter()
                .any(|e| e["agent"]["id"] == agent.as_str())
                .then_some(events.len())
        });

        let refused = |method: &str, path: &str, body: Value, table: &str| {
            let (status, answer) = match method {
                "GET" => server.get(path),
                _ => server.post(path, &body),
            };
            assert!(
                status.is_server_error(),
                "{method} {path} answered {status}: {answer}"
            );
            let error = answer["error"].as_str().unwrap_or_default();
            assert!(error.contains(table), "the refusal names {table}: {answer}");
        };
        refused(
            "POST",
            "/api/modules/fault-foreign-write/foreign-write",
            json!({}),
            "mod_kitchen_sink_items",
        );
        refused(
            "GET",
            "/api/modules/fault-foreign-write/foreign-read",
            Value::Null,
            "mod_kitchen_sink_events",
        );
        refused(
            "POST",
            "/api/modules/fault-foreign-write/core-write",
            json!({ "agentId": agent }),
            "agents",
        );
        refused(
            "GET",
            "/api/modules/fault-foreign-write/host-read",
            Value::Null,
            "mod_migrations",
        );

        // Nothing changed, and reading a core table is allowed.
        let (status, _) =
            server.get("/api/modules/kitchen-sink/items/planted-by-fault-foreign-write");
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            server.get_ok(&format!("/api/agents/{agent}"))["name"],
            "Keep My Name"
        );
        assert_eq!(kitchen_events(&server, "agent:created").len(), before);
        let read = server.get_ok("/api/modules/fault-foreign-write/core-read");
        assert_eq!(read["agents"], 1, "{read}");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_wrong_core_requirement_is_incompatible() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-wrong-core"], json!({}));
        assert_status(
            &server,
            "fault-wrong-core",
            "incompatible",
            &[">=9.0.0", "0.1.0"],
        );
        assert_routes_not_served(&server, "fault-wrong-core");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_missing_library_fails_only_that_module() {
    each_backend_and_level(|backend, _level| {
        let modules = ModulesDir::new();
        modules.add(KITCHEN_SINK);
        let bundle = modules.add_as("tiny", "fault-missing-library", |_| {});
        let library = bundle.join(format!(
            "{}tiny{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ));
        std::fs::remove_file(&library).expect("the copied bundle has the tiny library");
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .config(modules.config(kitchen_config()))
                .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
        );
        wait_for_status(&server, KITCHEN_SINK, "active");
        assert_status(&server, "fault-missing-library", "failed", &["libtiny"]);
        assert_routes_not_served(&server, "fault-missing-library");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_library_that_is_not_a_module_is_refused() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-not-a-module"], json!({}));
        assert_status(
            &server,
            "fault-not-a-module",
            "incompatible",
            &["not a paperclip module"],
        );
        assert_routes_not_served(&server, "fault-not-a-module");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_root_module_of_another_layout_is_refused() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-abi-layout"], json!({}));
        assert_status(
            &server,
            "fault-abi-layout",
            "incompatible",
            &["incompatible"],
        );
        assert_routes_not_served(&server, "fault-abi-layout");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_module_built_against_a_newer_abi_is_refused() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-abi-newer"], json!({}));
        assert_status(&server, "fault-abi-newer", "incompatible", &["newer sdk"]);
        assert_routes_not_served(&server, "fault-abi-newer");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn the_first_holder_keeps_a_slot_and_the_other_is_a_conflict() {
    each_backend_and_level(|backend, _level| {
        // `fault-slot-taker` sorts first by folder name; the config's order gives the kitchen
        // sink the slot.
        let server = start_with(
            backend,
            &["fault-slot-taker"],
            json!({"enabled": [KITCHEN_SINK, "fault-slot-taker"]}),
        );
        assert_status(
            &server,
            "fault-slot-taker",
            "conflict",
            &["kitchen", KITCHEN_SINK],
        );
        assert_eq!(module(&server, KITCHEN_SINK)["slot"], "kitchen");
        assert_routes_not_served(&server, "fault-slot-taker");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_dependency_cycle_fails_both_modules() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(backend, &["fault-cycle-a", "fault-cycle-b"], json!({}));
        for id in ["fault-cycle-a", "fault-cycle-b"] {
            assert_status(&server, id, "failed", &["cycle"]);
            assert_routes_not_served(&server, id);
        }
        let reason = module(&server, "fault-cycle-a")["reason"].to_string();
        assert!(
            reason.contains("fault-cycle-b"),
            "the cycle is named: {reason}"
        );
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_config_violating_the_schema_is_invalid() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(
            backend,
            &["fault-config-schema"],
            json!({"config": {"fault-config-schema": {"limit": "lots"}}}),
        );
        assert_status(&server, "fault-config-schema", "invalid", &["limit"]);
        assert_routes_not_served(&server, "fault-config-schema");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_config_naming_a_missing_env_var_is_invalid() {
    each_backend_and_level(|backend, _level| {
        let server = start_with(
            backend,
            &["fault-missing-env"],
            json!({"config": {"fault-missing-env": {"token": "$PAPERCLIP_E2E_SURELY_UNSET_VAR"}}}),
        );
        assert_status(
            &server,
            "fault-missing-env",
            "invalid",
            &["PAPERCLIP_E2E_SURELY_UNSET_VAR"],
        );
        assert_routes_not_served(&server, "fault-missing-env");
        assert_server_and_kitchen_sink_work(&server);
    });
}

/// A server on `modules` (a folder of the test's own) with the kitchen sink in it.
fn start_on(backend: TestBackend, modules: &ModulesDir) -> TestServer {
    modules.add(KITCHEN_SINK);
    let server = TestServer::start(
        backend,
        ServerOptions::new()
            .config(modules.config(kitchen_config()))
            .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
    );
    wait_for_status(&server, KITCHEN_SINK, "active");
    server
}

#[test]
fn registering_a_hook_the_manifest_does_not_declare_fails_the_module() {
    each_backend_and_level(|backend, _level| {
        // `tiny` registers all 13 hooks; this copy's manifest declares only one.
        let modules = ModulesDir::new();
        modules.add_as("tiny", "fault-undeclared-hook", |manifest| {
            manifest["hooks"] = json!(["agent:created"]);
        });
        let server = start_on(backend, &modules);
        assert_status(
            &server,
            "fault-undeclared-hook",
            "failed",
            &["agent:updated"],
        );
        assert_routes_not_served(&server, "fault-undeclared-hook");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_route_prefix_held_by_another_module_is_a_conflict() {
    each_backend_and_level(|backend, _level| {
        // Same prefix `shared`; without `modules.enabled`, folder order decides: `tiny-a` first.
        let modules = ModulesDir::new();
        for id in ["tiny-a", "tiny-b"] {
            modules.add_as("tiny", id, |manifest| {
                manifest["routes"]["prefix"] = json!("shared");
            });
        }
        let server = start_on(backend, &modules);
        wait_for_status(&server, "tiny-a", "active");
        assert_status(&server, "tiny-b", "conflict", &["shared", "tiny-a"]);
        let ping = server.get_ok("/api/modules/shared/ping");
        assert_eq!(ping["module"], "tiny-a", "{ping}");
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn two_bundles_with_one_id_load_once() {
    each_backend_and_level(|backend, _level| {
        let modules = ModulesDir::new();
        modules.add("tiny");
        // A second folder whose manifest says `tiny` too.
        let second = paperclip_e2e::find_bundle("tiny");
        paperclip_e2e::copy_dir(&second, &modules.path().join("tiny-again"));
        let server = start_on(backend, &modules);
        let tiny: Vec<Value> = modules_support::modules(&server)
            .into_iter()
            .filter(|m| m["id"] == "tiny")
            .collect();
        let active = tiny.iter().filter(|m| m["status"] == "active").count();
        let conflicts = tiny.iter().filter(|m| m["status"] == "conflict").count();
        assert_eq!((active, conflicts), (1, 1), "{tiny:?}");
        assert_eq!(server.get_ok("/api/modules/tiny/ping")["module"], "tiny");
        assert_server_and_kitchen_sink_work(&server);
    });
}
