//! Modules that bring their own process down — `abort()`, a segfault, `std::process::exit` —
//! which in-process would be the server. At the `process` isolation level (the `fault-crash`
//! module asks for it in its manifest) the server survives every one: the call in progress
//! fails, the module's child is started again after a backoff (calls meanwhile answer 503 with
//! `Retry-After`), the admin API says how the child ended and what it last wrote to stderr,
//! repeated crashes make the module `failed`, and the core and the other modules never notice.
//! On SQLite and PostgreSQL.
//!
//! Build first: `scripts/build-modules.sh && cargo build -p paperclip-server -p
//! paperclip-module-runner --bins`.

mod modules_support;

use modules_support::{
    assert_server_and_kitchen_sink_work, kitchen_config, module, wait_for, wait_for_status,
    KITCHEN_SECRET, KITCHEN_SINK,
};
use paperclip_e2e::{
    each_backend, json, ServerOptions, StatusCode, TestBackend, TestServer, Value,
};

const CRASH: &str = "fault-crash";

fn start(backend: TestBackend) -> TestServer {
    let server = TestServer::start(
        backend,
        ServerOptions::new()
            .module(KITCHEN_SINK)
            .module(CRASH)
            .config(kitchen_config())
            .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
    );
    wait_for_status(&server, KITCHEN_SINK, "active");
    wait_for_status(&server, CRASH, "active");
    server
}

/// `GET /api/modules/crash/ok` once the module's process answers again.
fn wait_until_serving(server: &TestServer) -> Value {
    wait_for("the module process to serve again", || {
        let (status, body) = server.get("/api/modules/crash/ok");
        (status == StatusCode::OK).then_some(body)
    })
}

fn restarts(server: &TestServer) -> u64 {
    module(server, CRASH)["process"]["restarts"]
        .as_u64()
        .unwrap_or_default()
}

#[test]
fn abort_segfault_and_exit_restart_the_module_process_and_nothing_else() {
    each_backend(|backend| {
        let server = start(backend);
        let server_pid = server.pid();
        let mut pid = server.get_ok("/api/modules/crash/ok")["pid"].clone();
        let cases = [
            (
                "/api/modules/crash/abort",
                "signal 6",
                "aborting on request",
            ),
            (
                "/api/modules/crash/segfault",
                "signal 11",
                "writing through a null pointer",
            ),
            (
                "/api/modules/crash/exit?code=7",
                "status 7",
                "exiting with status 7",
            ),
        ];
        for (n, (path, ended, stderr_line)) in cases.into_iter().enumerate() {
            let (status, body) = server.post(path, &json!({}));
            assert!(
                status == StatusCode::INTERNAL_SERVER_ERROR
                    || status == StatusCode::SERVICE_UNAVAILABLE,
                "{path} answered {status}: {body}"
            );
            assert!(body["error"].is_string(), "a JSON error: {body}");
            // The server lives on, as do the core and the in-process module.
            assert_eq!(server.pid(), server_pid);
            assert_eq!(server.get_ok("/api/health")["status"], "ok");
            assert_eq!(
                server.get_ok("/api/modules/kitchen-sink/whoami")["module"],
                KITCHEN_SINK
            );

            let ok = wait_until_serving(&server);
            assert_ne!(ok["pid"], pid, "a new process after {path}");
            pid = ok["pid"].clone();
            let view = module(&server, CRASH);
            let process = &view["process"];
            assert_eq!(process["restarts"], (n + 1) as u64, "{view}");
            let last_exit = process["lastExit"].as_str().unwrap_or_default();
            assert!(last_exit.contains(ended), "{path}: last exit {last_exit}");
            let stderr: Vec<&str> = process["recentStderr"]
                .as_array()
                .map(|lines| lines.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert!(
                stderr.iter().any(|line| line.contains(stderr_line)),
                "{path}: stderr {stderr:?}"
            );
        }
        // Its calls failed (counted, so it shows `degraded` with the last error); it serves.
        let view = module(&server, CRASH);
        assert_eq!(view["process"]["state"], "ready", "{view}");
        assert_eq!(
            view["counters"]["routeErrors"], 3,
            "only the crashing calls: {view}"
        );
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn a_crash_in_a_hook_restarts_the_process_and_later_events_still_arrive() {
    each_backend(|backend| {
        let server = start(backend);
        let company = server.create_company("Crash Corp");
        let before = restarts(&server);
        server.create_issue(&company, json!({"title": "crash-me"}));
        wait_for("the hook crash to restart the process", || {
            (restarts(&server) > before).then_some(())
        });
        wait_until_serving(&server);
        let last_exit = module(&server, CRASH)["process"]["lastExit"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(last_exit.contains("signal 6"), "{last_exit}");
        // The core write that triggered it committed; later events reach the new process.
        server.create_issue(&company, json!({"title": "after the crash"}));
        wait_for("the new process to see the next issue", || {
            (server.get_ok("/api/modules/crash/ok")["seen"].as_u64() >= Some(1)).then_some(())
        });
        assert_eq!(
            server.get_ok(&format!("/api/companies/{company}/issues"))["total"],
            2
        );
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn repeated_crashes_fail_the_module_until_it_is_enabled_again() {
    each_backend(|backend| {
        let server = start(backend);
        // The restart policy gives up at the fifth crash within a minute.
        for _ in 0..5 {
            wait_until_serving(&server);
            server.post("/api/modules/crash/abort", &json!({}));
        }
        let view = wait_for_status(&server, CRASH, "failed");
        let reason = view["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("crash") && reason.contains("signal 6"),
            "the reason says why: {view}"
        );
        assert_eq!(view["process"]["state"], "failed", "{view}");
        let (status, body) = server.get("/api/modules/crash/ok");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_server_and_kitchen_sink_work(&server);

        let (status, body) = server.post("/api/admin/modules/fault-crash/disable", &json!({}));
        assert!(status.is_success(), "{body}");
        let (status, body) = server.post("/api/admin/modules/fault-crash/enable", &json!({}));
        assert!(status.is_success(), "{body}");
        wait_for_status(&server, CRASH, "active");
        assert_eq!(wait_until_serving(&server)["ok"], true);
    });
}
