//! The module that uses every part of the module API (`tests/modules/kitchen-sink`), loaded by
//! the real server from its real library, on SQLite and PostgreSQL: hooks from real core writes
//! arrive with the spec's payloads, its routes answer under its prefix, its service runs, its
//! migrations are applied and recorded, its config reaches it, its logs carry its id.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first.

mod modules_support;

use modules_support::{
    assert_server_and_kitchen_sink_work, counter, kitchen_config, kitchen_event_count,
    kitchen_events, module, patch_ok, post_ok, wait_for, wait_for_module_log, wait_for_status,
    Database, KITCHEN_SECRET, KITCHEN_SINK,
};
use paperclip_e2e::{
    each_backend_and_level, json, Method, ServerOptions, StatusCode, TestServer, Value,
};
use std::collections::BTreeSet;

/// A server with the kitchen sink loaded and its secret in the environment.
fn start(backend: paperclip_e2e::TestBackend) -> TestServer {
    let server = TestServer::start(
        backend,
        ServerOptions::new()
            .module(KITCHEN_SINK)
            .config(kitchen_config())
            .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
    );
    wait_for_status(&server, KITCHEN_SINK, "active");
    server
}

/// The top-level keys of a payload.
fn keys(payload: &Value) -> BTreeSet<String> {
    payload
        .as_object()
        .unwrap_or_else(|| panic!("payload is not an object: {payload}"))
        .keys()
        .cloned()
        .collect()
}

/// Asserts `payload` has exactly the spec's top-level fields for its hook, plus the `eventId`
/// (a UUID) of the hook outbox for every hook but `server:started`.
fn assert_spec_keys(hook: &str, payload: &Value, expected: &[&str]) {
    let mut expected: BTreeSet<String> = expected.iter().map(|k| k.to_string()).collect();
    if hook != "server:started" {
        expected.insert("eventId".to_string());
        let id = payload["eventId"].as_str().unwrap_or_default();
        assert!(
            id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-'),
            "{hook} payload has no UUID eventId: {payload}"
        );
    }
    assert_eq!(
        keys(payload),
        expected,
        "fields of {hook} payload {payload}"
    );
}

/// Waits until the kitchen sink recorded a payload of `hook` that satisfies `matches`; on
/// time-out, fails showing what it did record for that hook.
fn wait_for_event(server: &TestServer, hook: &str, matches: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + modules_support::PATIENCE;
    loop {
        let events = kitchen_events(server, hook);
        if let Some(event) = events.iter().find(|p| matches(p)) {
            return event.clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no matching {hook} event; recorded: {events:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn hooks_from_real_core_writes_arrive_with_the_spec_payloads() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend);

        // server:started {port}, once the listener is up.
        let started = wait_for_event(&server, "server:started", |_| true);
        assert_spec_keys("server:started", &started, &["port"]);
        assert_eq!(started["port"], server.port(), "{started}");

        let company = server.create_company("Hook Corp");
        let created = server.create(
            &format!("/api/companies/{company}/agents"),
            &json!({"name": "Ada", "role": "engineer", "budgetMonthlyCents": 1000}),
        );
        let ada = created["id"].as_str().expect("agent id").to_string();
        let bob = server.create_agent(&company, json!({"name": "Bob"}));

        // agent:created {agent}: the agent exactly as the API returned it.
        let event = wait_for_event(&server, "agent:created", |p| {
            p["agent"]["id"] == ada.as_str()
        });
        assert_spec_keys("agent:created", &event, &["agent"]);
        assert_eq!(
            event["agent"], created,
            "agent:created carries the created agent"
        );

        // agent:updated {agent, changes}.
        patch_ok(
            &server,
            &format!("/api/agents/{ada}"),
            &json!({"title": "CTO"}),
        );
        let event = wait_for_event(&server, "agent:updated", |p| p["agent"]["title"] == "CTO");
        assert_spec_keys("agent:updated", &event, &["agent", "changes"]);
        assert_eq!(event["agent"]["id"], ada.as_str());
        let changes = event["changes"].as_object().expect("changes is an object");
        assert_eq!(
            changes.keys().collect::<Vec<_>>(),
            ["title"],
            "only the title changed: {event}"
        );
        assert!(event["changes"].to_string().contains("CTO"), "{event}");

        // agent:status_changed {agent, from, to}.
        patch_ok(
            &server,
            &format!("/api/agents/{ada}"),
            &json!({"status": "active"}),
        );
        let event = wait_for_event(&server, "agent:status_changed", |p| p["to"] == "active");
        assert_spec_keys("agent:status_changed", &event, &["agent", "from", "to"]);
        assert_eq!(event["from"], "idle", "{event}");
        assert_eq!(event["agent"]["id"], ada.as_str());
        assert_eq!(event["agent"]["status"], "active");

        // agent:heartbeat {agentId, timestamp, meta} (+ companyId, for per-company delivery).
        post_ok(
            &server,
            &format!("/api/agents/{ada}/heartbeat"),
            &json!({"meta": {"tokensUsed": 1200, "model": "test-model", "latencyMs": 80}}),
        );
        let event = wait_for_event(&server, "agent:heartbeat", |p| p["agentId"] == ada.as_str());
        assert_spec_keys(
            "agent:heartbeat",
            &event,
            &["agentId", "companyId", "timestamp", "meta"],
        );
        assert_eq!(event["companyId"], company.as_str());
        assert_eq!(event["meta"]["tokensUsed"], 1200, "{event}");
        assert_eq!(event["meta"]["model"], "test-model", "{event}");
        assert_eq!(event["meta"]["latencyMs"], 80, "{event}");
        let timestamp = event["timestamp"].as_str().expect("timestamp is text");
        assert!(
            timestamp.len() >= 20 && timestamp.contains('T') && timestamp.ends_with('Z'),
            "RFC 3339 UTC timestamp: {timestamp}"
        );

        // issue:created {issue}, issue:status_changed {issue, from, to}, issue:assigned {issue, agent}.
        let issue_created = server.create(
            &format!("/api/companies/{company}/issues"),
            &json!({"title": "Wire the hooks"}),
        );
        let issue = issue_created["id"].as_str().expect("issue id").to_string();
        let event = wait_for_event(&server, "issue:created", |p| {
            p["issue"]["id"] == issue.as_str()
        });
        assert_spec_keys("issue:created", &event, &["issue"]);
        assert_eq!(
            event["issue"], issue_created,
            "issue:created carries the created issue"
        );
        let first_status = issue_created["status"]
            .as_str()
            .expect("status")
            .to_string();
        assert_ne!(first_status, "in_progress");

        patch_ok(
            &server,
            &format!("/api/issues/{issue}"),
            &json!({"status": "in_progress"}),
        );
        let event = wait_for_event(&server, "issue:status_changed", |p| {
            p["issue"]["id"] == issue.as_str()
        });
        assert_spec_keys("issue:status_changed", &event, &["issue", "from", "to"]);
        assert_eq!(event["from"], first_status.as_str(), "{event}");
        assert_eq!(event["to"], "in_progress", "{event}");
        assert_eq!(event["issue"]["status"], "in_progress");

        patch_ok(
            &server,
            &format!("/api/issues/{issue}"),
            &json!({"assigneeAgentId": ada}),
        );
        let event = wait_for_event(&server, "issue:assigned", |p| {
            p["issue"]["id"] == issue.as_str()
        });
        assert_spec_keys("issue:assigned", &event, &["issue", "agent"]);
        assert_eq!(event["agent"]["id"], ada.as_str());
        assert_eq!(event["agent"]["name"], "Ada");
        assert_eq!(event["issue"]["assigneeAgentId"], ada.as_str());

        // goal:created {goal}, goal:completed {goal}.
        let goal_created = server.create(
            &format!("/api/companies/{company}/goals"),
            &json!({"title": "Ship modules", "level": "company"}),
        );
        let goal = goal_created["id"].as_str().expect("goal id").to_string();
        let event = wait_for_event(&server, "goal:created", |p| {
            p["goal"]["id"] == goal.as_str()
        });
        assert_spec_keys("goal:created", &event, &["goal"]);
        assert_eq!(
            event["goal"], goal_created,
            "goal:created carries the created goal"
        );
        patch_ok(
            &server,
            &format!("/api/goals/{goal}"),
            &json!({"status": "completed"}),
        );
        let event = wait_for_event(&server, "goal:completed", |p| {
            p["goal"]["id"] == goal.as_str()
        });
        assert_spec_keys("goal:completed", &event, &["goal"]);
        assert_eq!(event["goal"]["status"], "completed");

        // budget:spend_recorded {agentId, amount, total}; 850 of 1000 crosses 80 %:
        // budget:threshold_crossed {agentId, budget, spent, percent} (each + companyId).
        post_ok(
            &server,
            &format!("/api/companies/{company}/cost-events"),
            &json!({"agentId": ada, "amountCents": 850}),
        );
        let event = wait_for_event(&server, "budget:spend_recorded", |p| {
            p["agentId"] == ada.as_str()
        });
        assert_spec_keys(
            "budget:spend_recorded",
            &event,
            &["agentId", "companyId", "amount", "total"],
        );
        assert_eq!(
            (&event["amount"], &event["total"]),
            (&json!(850), &json!(850))
        );
        let event = wait_for_event(&server, "budget:threshold_crossed", |p| {
            p["agentId"] == ada.as_str()
        });
        assert_spec_keys(
            "budget:threshold_crossed",
            &event,
            &["agentId", "companyId", "budget", "spent", "percent"],
        );
        assert_eq!(event["budget"], 1000, "{event}");
        assert_eq!(event["spent"], 850, "{event}");
        assert_eq!(event["percent"].as_f64(), Some(80.0), "{event}");
        assert_eq!(kitchen_events(&server, "budget:threshold_crossed").len(), 1);

        // agent:deleted {agent}.
        let (status, body) = server.delete(&format!("/api/agents/{bob}"));
        assert!(
            status.is_success(),
            "DELETE agent answered {status}: {body}"
        );
        let event = wait_for_event(&server, "agent:deleted", |p| {
            p["agent"]["id"] == bob.as_str()
        });
        assert_spec_keys("agent:deleted", &event, &["agent"]);
        assert_eq!(event["agent"]["name"], "Bob");

        // Every payload also parsed as the SDK's typed payload of its hook (the module counts
        // the typed deliveries next to the raw ones), and no delivery failed.
        let hooks = module(&server, KITCHEN_SINK)["hooks"].clone();
        let hooks: Vec<String> = serde_json::from_value(hooks).expect("hooks is a list of names");
        assert_eq!(
            hooks.len(),
            13,
            "the kitchen sink subscribes to all 13 hooks: {hooks:?}"
        );
        for hook in &hooks {
            let raw = kitchen_events(&server, hook).len() as u64;
            assert!(raw >= 1, "no {hook} event recorded");
            wait_for(
                &format!("typed {hook} deliveries to match the raw ones"),
                || {
                    let typed = server.get_ok("/api/modules/kitchen-sink/typed");
                    (typed[hook.as_str()] == raw).then_some(())
                },
            );
        }
        assert_eq!(counter(&server, KITCHEN_SINK, "hookFailures"), 0);
        assert_eq!(counter(&server, KITCHEN_SINK, "hookTimeouts"), 0);
        assert_eq!(counter(&server, KITCHEN_SINK, "hookDrops"), 0);
        // One call per event, each recorded once.
        assert_eq!(
            counter(&server, KITCHEN_SINK, "hookCalls"),
            kitchen_event_count(&server) as u64
        );
    });
}

#[test]
fn no_hook_fires_for_a_write_that_fails() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend);
        let company = server.create_company("Strict Corp");
        let agent = server.create_agent(&company, json!({"name": "Valid"}));
        wait_for_event(&server, "agent:created", |p| {
            p["agent"]["id"] == agent.as_str()
        });
        let before = kitchen_event_count(&server);

        let (status, body) = server.post(
            &format!("/api/companies/{company}/agents"),
            &json!({"name": "Broken", "status": "not-a-status"}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        // A valid write after the refused one: once its event is in, the refused one would be too.
        let marker = server.create_agent(&company, json!({"name": "Marker"}));
        wait_for_event(&server, "agent:created", |p| {
            p["agent"]["id"] == marker.as_str()
        });
        assert_eq!(
            kitchen_event_count(&server),
            before + 1,
            "only the valid write fired"
        );
    });
}

#[test]
fn routes_answer_under_the_module_prefix() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend);

        // Config: the schema's defaults applied, `$KITCHEN_SINK_SECRET` resolved.
        let config = server.get_ok("/api/modules/kitchen-sink/config");
        assert_eq!(
            config,
            json!({"greeting": "hello", "secret": KITCHEN_SECRET, "batchLimit": 10})
        );
        let whoami = server.get_ok("/api/modules/kitchen-sink/whoami");
        assert_eq!(
            whoami,
            json!({"module": KITCHEN_SINK, "greeting": "hello", "secretLength": KITCHEN_SECRET.len()})
        );

        // POST with a JSON body, GET by id.
        let (status, item) = server.post(
            "/api/modules/kitchen-sink/items",
            &json!({"name": "spoon", "qty": 3}),
        );
        assert_eq!(status, StatusCode::CREATED, "{item}");
        let id = item["id"].as_str().expect("item id");
        let fetched = server.get_ok(&format!("/api/modules/kitchen-sink/items/{id}"));
        assert_eq!(
            fetched,
            json!({"id": id, "name": "spoon", "qty": 3, "agentId": null})
        );
        let (status, body) = server.get("/api/modules/kitchen-sink/items/no-such-item");
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"], "no item no-such-item");

        // An item tied to a core agent (foreign key from a module table to a core table).
        let company = server.create_company("Route Corp");
        let agent = server.create_agent(&company, json!({"name": "Holder"}));
        let (status, item) = server.post(
            "/api/modules/kitchen-sink/items",
            &json!({"name": "fork", "qty": 1, "agentId": agent}),
        );
        assert_eq!(status, StatusCode::CREATED, "{item}");
        assert_eq!(item["agentId"], agent.as_str());

        // A body the module cannot parse: 400 with the module's message.
        let (status, body) = server.post(
            "/api/modules/kitchen-sink/items",
            &json!({"name": "knife", "qty": "three"}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap_or_default()
                .contains("invalid JSON body"),
            "{body}"
        );

        // Query strings reach the module.
        let listed = server.get_ok("/api/modules/kitchen-sink/items?name=spoon");
        assert_eq!(
            listed["items"].as_array().map(Vec::len),
            Some(1),
            "{listed}"
        );

        // Unknown path inside the prefix: the module's 404; other method: its 405.
        let (status, body) = server.get("/api/modules/kitchen-sink/nothing/here");
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert!(body["error"].is_string(), "JSON error: {body}");
        let (status, body) =
            server.send(server.request(Method::DELETE, "/api/modules/kitchen-sink/items"));
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");

        // Unknown prefix: the host's 404, as JSON.
        let (status, body) = server.get("/api/modules/no-such-module/anything");
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert!(body["error"].is_string(), "JSON error: {body}");

        assert!(counter(&server, KITCHEN_SINK, "routeCalls") >= 8);
        assert_eq!(counter(&server, KITCHEN_SINK, "routeErrors"), 0);
    });
}

#[test]
fn a_transaction_in_a_route_rolls_back_on_error() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend);
        let batch = "/api/modules/kitchen-sink/items/batch";

        // The second insert hits the primary key of the first: a database error inside the
        // transaction after a successful insert. Nothing of the batch may stay.
        let (status, body) = server.post(
            batch,
            &json!({"items": [
                {"id": "dup-1", "name": "tx-dup", "qty": 1},
                {"id": "dup-1", "name": "tx-dup", "qty": 2}
            ]}),
        );
        assert!(
            status.is_server_error(),
            "duplicate key answered {status}: {body}"
        );
        assert!(body["error"].is_string(), "{body}");
        let (status, _) = server.get("/api/modules/kitchen-sink/items/dup-1");
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "the first insert was rolled back"
        );

        // The module's own check fails on the third item: 400, the first two rolled back.
        let (status, body) = server.post(
            batch,
            &json!({"items": [
                {"name": "tx-check", "qty": 1},
                {"name": "tx-check", "qty": 2},
                {"name": "tx-check", "qty": -1}
            ]}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap_or_default()
                .contains("negative"),
            "{body}"
        );
        let listed = server.get_ok("/api/modules/kitchen-sink/items?name=tx-check");
        assert_eq!(
            listed["items"],
            json!([]),
            "nothing of the failed batch stayed"
        );

        // A valid batch commits whole.
        let (status, body) = server.post(
            batch,
            &json!({"items": [{"name": "tx-ok", "qty": 1}, {"name": "tx-ok", "qty": 2}]}),
        );
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let listed = server.get_ok("/api/modules/kitchen-sink/items?name=tx-ok");
        assert_eq!(
            listed["items"].as_array().map(Vec::len),
            Some(2),
            "{listed}"
        );

        // The pool is not left with a dangling transaction: ordinary writes still work.
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn core_reads_through_the_host_and_through_sql() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend);
        let company = server.create_company("Reader Corp");
        let other = server.create_company("Other Corp");
        server.create_agent(&company, json!({"name": "Zed", "budgetMonthlyCents": 500}));
        server.create_agent(&company, json!({"name": "Amy"}));
        server.create_agent(&other, json!({"name": "Outsider"}));
        let goal = server.create_goal(&company, json!({"title": "Grow"}));
        server.create_project(&company, json!({"name": "Apollo", "goalId": goal}));
        let issue = server.create(
            &format!("/api/companies/{company}/issues"),
            &json!({"title": "Read me"}),
        );

        let core = server.get_ok(&format!("/api/modules/kitchen-sink/core/{company}"));
        assert_eq!(core["agents"], json!(["Amy", "Zed"]), "{core}");
        assert_eq!(core["rawCall"], 2, "{core}");
        assert_eq!(core["goals"], json!(["Grow"]), "{core}");
        assert_eq!(core["projects"], json!(["Apollo"]), "{core}");
        assert_eq!(core["issues"], json!([issue["identifier"]]), "{core}");
        assert_eq!(core["firstIssue"], issue["identifier"], "{core}");
        assert_eq!(core["firstGoal"], "Grow", "{core}");
        assert_eq!(core["firstProject"], "Apollo", "{core}");
        assert!(core["firstAgent"].is_string(), "{core}");
        assert_eq!(core["missingAgent"], Value::Null, "{core}");
        let activity = core["activity"].as_array().expect("activity list");
        assert_eq!(
            activity.len() as i64,
            server.activity_total(&company),
            "{core}"
        );
        assert!(activity.iter().any(|a| a == "agent.created"), "{core}");

        // The same agents read with plain SQL on the core `agents` table.
        let sql_agents = core["agentsSql"].as_array().expect("SQL rows");
        let names: Vec<&str> = sql_agents
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert_eq!(names, ["Amy", "Zed"], "{core}");
        assert_eq!(sql_agents[1]["budget_monthly_cents"], 500, "{core}");
    });
}

#[test]
fn service_runs_tables_exist_migrations_are_recorded_and_logs_carry_the_id() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend);

        // The `counter` service (every 200 ms) increments its row.
        let runs = wait_for("the service to run three times", || {
            let runs = server.get_ok("/api/modules/kitchen-sink/service")["runs"]
                .as_i64()
                .expect("numeric runs");
            (runs >= 3).then_some(runs)
        });
        assert!(counter(&server, KITCHEN_SINK, "serviceRuns") >= runs as u64);
        assert_eq!(counter(&server, KITCHEN_SINK, "serviceFailures"), 0);

        // Its tables, created by its two migrations, and the host's record of them.
        let mut db = Database::open(&server);
        for table in [
            "mod_kitchen_sink_events",
            "mod_kitchen_sink_items",
            "mod_kitchen_sink_counters",
        ] {
            assert!(db.table_exists(table), "{table} exists");
        }
        let applied = db.applied_migrations(KITCHEN_SINK);
        let versions: Vec<&str> = applied.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(versions.len(), 2, "{applied:?}");
        assert!(versions[0].starts_with("2026-01-01-000000"), "{applied:?}");
        assert!(versions[1].starts_with("2026-01-02-000000"), "{applied:?}");
        assert!(applied
            .iter()
            .all(|m| !m.checksum.is_empty() && !m.applied_at.is_empty()));
        assert_eq!(
            db.count("mod_kitchen_sink_counters"),
            1,
            "the seed row of migration 2"
        );

        // What the admin API says about it.
        let view = module(&server, KITCHEN_SINK);
        assert_eq!(view["id"], KITCHEN_SINK);
        assert_eq!(view["name"], "Kitchen Sink");
        assert_eq!(view["version"], "0.1.0");
        assert_eq!(view["enabled"], true);
        assert_eq!(view["slot"], "kitchen");
        assert_eq!(
            view["routePrefix"]
                .as_str()
                .map(|p| p.trim_start_matches('/')),
            Some("kitchen-sink"),
            "{view}"
        );
        assert_eq!(view["ui"]["pages"][0]["path"], "/kitchen-sink", "{view}");
        assert!(
            view["configSchema"]["properties"]["greeting"].is_object(),
            "{view}"
        );
        assert_eq!(view["restartRequired"], false, "{view}");
        assert!(
            !view.to_string().contains(KITCHEN_SECRET),
            "the admin API must not show the resolved secret: {view}"
        );
        let listed = modules_support::modules(&server);
        assert!(listed.iter().any(|m| m["id"] == KITCHEN_SINK), "{listed:?}");

        // Its log line from register, tagged with its id by the host.
        wait_for_module_log(&server, KITCHEN_SINK, "kitchen sink registered");
    });
}

#[test]
fn the_module_config_comes_from_the_config_file_with_env_vars() {
    each_backend_and_level(|backend, _level| {
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .module(KITCHEN_SINK)
                .config(json!({
                    "modules": {"config": {KITCHEN_SINK: {
                        "greeting": "ahoy",
                        "secret": "$KITCHEN_SINK_SECRET",
                        "batchLimit": 2
                    }}}
                }))
                .env("KITCHEN_SINK_SECRET", "another-secret"),
        );
        wait_for_status(&server, KITCHEN_SINK, "active");
        let config = server.get_ok("/api/modules/kitchen-sink/config");
        assert_eq!(
            config,
            json!({"greeting": "ahoy", "secret": "another-secret", "batchLimit": 2})
        );
        // The module acts on it: a batch over its limit is refused.
        let (status, body) = server.post(
            "/api/modules/kitchen-sink/items/batch",
            &json!({"items": [
                {"name": "a", "qty": 1}, {"name": "b", "qty": 1}, {"name": "c", "qty": 1}
            ]}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], "at most 2 items per batch");
    });
}
