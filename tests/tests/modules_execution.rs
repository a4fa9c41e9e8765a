//! The module executor through the real server and real modules: a module's capacity is
//! bounded (a full queue answers 503 with `Retry-After` at once, an overdue call 504), a module
//! whose call threads are all stuck is `failed` while the core and the other modules go on, an
//! inline call that overruns moves its module to `threaded`, and the admin API shows each
//! module's isolation level, where it was chosen, its executor and its process. On SQLite and
//! PostgreSQL.
//!
//! Build first: `scripts/build-modules.sh && cargo build -p paperclip-server -p
//! paperclip-module-runner --bins`.

mod modules_support;

use modules_support::{
    assert_server_and_kitchen_sink_work, kitchen_config, module, wait_for, wait_for_status,
    KITCHEN_SECRET, KITCHEN_SINK,
};
use paperclip_e2e::{
    each_backend, json, Method, ServerOptions, StatusCode, TestBackend, TestServer, Value,
};
use std::thread;
use std::time::{Duration, Instant};

/// The kitchen sink, `slow-route` and `tiny`, with `modules` settings merged over the defaults.
fn start(backend: TestBackend, modules: Value) -> TestServer {
    let mut config = kitchen_config();
    for (key, value) in modules.as_object().expect("modules settings are an object") {
        config["modules"][key] = value.clone();
    }
    let server = TestServer::start(
        backend,
        ServerOptions::new()
            .module(KITCHEN_SINK)
            .module("slow-route")
            .module("tiny")
            .config(config)
            .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
    );
    wait_for_status(&server, KITCHEN_SINK, "active");
    wait_for_status(&server, "slow-route", "active");
    server
}

/// `GET path` in the background with its own client (the calls hang on purpose).
fn get_in_background(server: &TestServer, path: &str) -> thread::JoinHandle<u16> {
    let url = server.url(path);
    thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a client");
        client
            .get(url)
            .send()
            .map(|response| response.status().as_u16())
            .unwrap_or(0)
    })
}

#[test]
fn a_full_queue_answers_503_overdue_calls_504_and_stuck_threads_fail_only_that_module() {
    each_backend(|backend| {
        let server = start(
            backend,
            json!({
                "isolation": {"slow-route": "threaded"},
                "maxConcurrency": 2,
                "queueCapacity": 2,
                "routeTimeoutMs": 1500
            }),
        );
        // Two calls take both call threads, two wait in the queue.
        let hung: Vec<_> = (0..4)
            .map(|_| get_in_background(&server, "/api/modules/slow/sleep?ms=60000"))
            .collect();
        wait_for("two calls running and two queued", || {
            let executor = module(&server, "slow-route")["executor"].clone();
            (executor["inFlight"] == 2 && executor["queueDepth"] == 2).then_some(())
        });
        // The fifth is refused at once, with when to try again.
        let started = Instant::now();
        let response = server
            .request(Method::GET, "/api/modules/slow/sleep?ms=1")
            .send()
            .expect("the server answers");
        assert!(started.elapsed() < Duration::from_millis(500));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
        let body: Value = response.json().expect("a JSON error");
        assert_eq!(
            body["error"],
            "module `slow-route` is at capacity: 2 calls running and 2 waiting"
        );
        // The four get the host's time-out.
        for call in hung {
            assert_eq!(call.join().unwrap(), 504);
        }
        // Both threads are stuck in calls past their limit: the module failed, and says why.
        let view = wait_for_status(&server, "slow-route", "failed");
        let reason = view["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("all 2 call threads are stuck") && reason.contains("GET /sleep"),
            "{view}"
        );
        assert_eq!(view["executor"]["stuck"], 2, "{view}");
        assert!(view["executor"]["rejected"].as_u64() >= Some(1), "{view}");
        assert!(view["executor"]["timeouts"].as_u64() >= Some(4), "{view}");
        let (status, body) = server.get("/api/modules/slow/ping");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains("has failed")),
            "{body}"
        );
        // The core, the other modules and their writes are untouched.
        let started = Instant::now();
        assert_server_and_kitchen_sink_work(&server);
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(
            server.get_ok("/api/modules/tiny/ping")["pong"],
            true,
            "another module keeps serving"
        );
        // Disable and enable give it fresh threads (the stuck ones end when their calls do).
        let (status, body) = server.post("/api/admin/modules/slow-route/disable", &json!({}));
        assert!(status.is_success(), "{body}");
        let (status, body) = server.post("/api/admin/modules/slow-route/enable", &json!({}));
        assert!(status.is_success(), "{body}");
        wait_for_status(&server, "slow-route", "active");
        assert_eq!(server.get_ok("/api/modules/slow/ping")["pong"], true);
    });
}

#[test]
fn an_inline_call_that_overruns_answers_504_and_moves_its_module_to_threaded() {
    each_backend(|backend| {
        let server = start(
            backend,
            json!({"isolation": {"slow-route": "inline"}, "routeTimeoutMs": 300}),
        );
        assert_eq!(server.get_ok("/api/modules/slow/ping")["pong"], true);
        let view = module(&server, "slow-route");
        assert_eq!(view["isolation"], "inline", "{view}");
        assert_eq!(view["isolationSource"], "config", "{view}");
        assert_eq!(view["executor"]["level"], "inline", "{view}");
        assert_eq!(view["executor"]["threads"], 0, "inline: no call thread");

        let started = Instant::now();
        let (status, body) = server.get("/api/modules/slow/sleep?ms=800");
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
        assert!(started.elapsed() >= Duration::from_millis(800));
        assert_eq!(
            body["error"],
            "module `slow-route` did not answer within 300 ms"
        );
        let view = wait_for_status(&server, "slow-route", "degraded");
        let reason = view["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("over its limit of 300 ms: new calls run threaded"),
            "{view}"
        );
        assert_eq!(view["isolation"], "inline");
        assert_eq!(view["executor"]["level"], "threaded", "{view}");
        assert_eq!(view["executor"]["overruns"], 1, "{view}");

        // New calls run on the module's threads: the limit now holds while the call runs.
        let started = Instant::now();
        let (status, _) = server.get("/api/modules/slow/sleep?ms=3000");
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
        assert!(
            started.elapsed() < Duration::from_millis(2000),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(server.get_ok("/api/modules/slow/ping")["pong"], true);
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn the_admin_api_shows_each_modules_isolation_executor_and_process() {
    each_backend(|backend| {
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .module("slow-route")
                .module("tiny")
                .module("fault-crash")
                .config(json!({"modules": {"isolation": {"slow-route": "inline"}}})),
        );
        for id in ["slow-route", "tiny", "fault-crash"] {
            wait_for_status(&server, id, "active");
        }
        let chosen: Vec<(String, String)> = ["slow-route", "tiny", "fault-crash"]
            .iter()
            .map(|id| {
                let view = module(&server, id);
                (
                    view["isolation"].as_str().unwrap_or_default().to_string(),
                    view["isolationSource"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect();
        let expected = [
            ("inline", "config"),
            ("threaded", "default"),
            ("process", "manifest"),
        ];
        assert_eq!(
            chosen,
            expected
                .iter()
                .map(|(l, s)| (l.to_string(), s.to_string()))
                .collect::<Vec<_>>()
        );

        // In-process modules have no process; the process-level one shows its child.
        assert!(module(&server, "tiny")["process"].is_null());
        let ok = server.get_ok("/api/modules/crash/ok");
        let view = module(&server, "fault-crash");
        let process = &view["process"];
        assert_eq!(process["state"], "ready", "{view}");
        assert_eq!(
            process["pid"], ok["pid"],
            "the module runs in the shown child"
        );
        assert_ne!(
            ok["pid"].as_u64(),
            server.pid().map(u64::from),
            "not in the server"
        );
        let sandbox = process["sandbox"].as_str().unwrap_or_default();
        assert!(
            sandbox.contains("landlock") && sandbox.contains("rlimits"),
            "the sandbox is described: {sandbox}"
        );
        assert!(process["runner"]
            .as_str()
            .is_some_and(|r| r.ends_with("paperclip-module-runner")));

        // One budget for routes, hooks and services; idle modules hold no call thread.
        server.get_ok("/api/modules/tiny/ping");
        let company = server.create_company("Budget Inc");
        server.create_agent(&company, json!({"name": "Counted"}));
        wait_for("tiny's hook call to be counted", || {
            (module(&server, "tiny")["executor"]["completed"].as_u64() >= Some(2)).then_some(())
        });
        let executor = module(&server, "tiny")["executor"].clone();
        for field in [
            "maxConcurrency",
            "queueCapacity",
            "queueDepth",
            "hookQueueDepth",
            "inFlight",
            "stuck",
            "threads",
            "rejected",
            "timeouts",
            "overruns",
            "interrupts",
        ] {
            assert!(executor[field].is_u64(), "{field} in {executor}");
        }
        assert_eq!(executor["maxConcurrency"], 4);
        assert_eq!(executor["queueCapacity"], 64);
        wait_for("idle call threads to end", || {
            (module(&server, "tiny")["executor"]["threads"] == 0).then_some(())
        });
    });
}

#[test]
fn an_unknown_isolation_level_in_the_config_is_refused_at_start_with_its_name() {
    let server = TestServer::try_start(
        TestBackend::Sqlite,
        ServerOptions::new().config(json!({"modules": {"isolation": {"tiny": "sandboxed"}}})),
    );
    let failure = match server {
        Ok(_) => panic!("the server must refuse the config"),
        Err(failure) => failure.stderr,
    };
    assert!(
        failure.contains("sandboxed") && failure.contains("inline"),
        "the error names the bad value and the valid ones: {failure}"
    );
}
