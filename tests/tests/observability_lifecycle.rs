//! Observability module, end to end, through its lifecycle: disable (routes 404, heartbeats not
//! recorded) and enable (recording resumes, old rows kept), an invalid config (the status says
//! why, the server runs on), the Prometheus listener started and stopped with the module, and a
//! `kill -9` mid-burst after which redelivered events are not counted twice.
//! Needs the bundle: `scripts/build-modules.sh`.

mod observability_support;

use observability_support::{
    assert_active, free_port, get, heartbeat, module_view, options, start, wait_for,
    wait_for_heartbeats, TestDb, BASE,
};
use paperclip_e2e::{
    each_backend, each_backend_and_level, json, Method, StatusCode, TestBackend, TestServer,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn admin(server: &TestServer, action: &str) {
    let (status, body) = server.post(
        &format!("/api/admin/modules/observability/{action}"),
        &json!({}),
    );
    assert!(status.is_success(), "{action}: {body}");
}

#[test]
fn disable_stops_recording_and_enable_resumes_it_keeping_the_data() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend, json!({}));
        let company = server.create_company("Acme");
        let agent = server.create_agent(&company, json!({}));
        heartbeat(&server, &agent, json!({"tokensUsed": 10}));
        wait_for_heartbeats(&server, 1);

        admin(&server, "disable");
        assert_eq!(module_view(&server)["status"], "disabled");
        for path in ["/summary", "/metrics", "/alert-rules"] {
            let (status, body) = server.get(&format!("{BASE}{path}"));
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{path} while disabled: {body}"
            );
        }
        // The core goes on; the module records nothing.
        heartbeat(&server, &agent, json!({"tokensUsed": 20}));
        std::thread::sleep(Duration::from_millis(500));
        let mut db = TestDb::open(&server);
        assert_eq!(db.count("mod_observability_token_metrics", ""), 1);

        admin(&server, "enable");
        assert_active(&server);
        let summary = get(&server, "/summary");
        assert_eq!(
            summary["totals"]["tokens"], 10,
            "the old row is still there: {summary}"
        );
        heartbeat(&server, &agent, json!({"tokensUsed": 30}));
        let summary = wait_for_heartbeats(&server, 2);
        assert_eq!(summary["totals"]["tokens"], 40);

        // A disable right after the module got a heartbeat keeps its row: the module writes
        // each batch of events before its handler returns, so a delivered event is a written
        // row. (Events the host has not delivered yet are not delivered after a disable: the
        // manifest has no `catchUp`. So wait for the delivery.)
        let delivered = |server: &TestServer| {
            module_view(server)["counters"]["hookCalls"]
                .as_u64()
                .unwrap_or(0)
        };
        let before = delivered(&server);
        heartbeat(&server, &agent, json!({"tokensUsed": 5}));
        wait_for("the heartbeat's delivery", Duration::from_secs(5), || {
            (delivered(&server) > before).then_some(())
        });
        admin(&server, "disable");
        assert_eq!(
            db.count("mod_observability_token_metrics", "tokens_used = 5"),
            1,
            "the delivered row is there after the disable"
        );
        admin(&server, "enable");

        // A row of an agent deleted before its batch is written does not cost the others theirs.
        let doomed = server.create_agent(&company, json!({}));
        heartbeat(&server, &doomed, json!({"tokensUsed": 7}));
        heartbeat(&server, &agent, json!({"tokensUsed": 11}));
        let (status, body) = server.delete(&format!("/api/agents/{doomed}"));
        assert!(status.is_success(), "{body}");
        wait_for("the surviving agent's row", Duration::from_secs(5), || {
            (db.count("mod_observability_token_metrics", "tokens_used = 11") == 1).then_some(())
        });
        assert_eq!(
            db.count(
                "mod_observability_token_metrics",
                &format!("agent_id = '{doomed}'")
            ),
            0
        );
        assert_eq!(module_view(&server)["status"], "active");
    });
}

/// The module's hook calls so far (events handled since the server started).
fn hook_calls(server: &TestServer) -> u64 {
    module_view(server)["counters"]["hookCalls"]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn a_crash_mid_burst_counts_every_heartbeat_and_status_change_once() {
    each_backend(|backend| {
        let mut server = start(backend, json!({}));
        assert_active(&server);
        let company = server.create_company("Acme");
        let agents: Vec<String> = (0..4)
            .map(|_| server.create_agent(&company, json!({})))
            .collect();

        // 4 clients post heartbeats (each also a spend); the server is killed once 800 are
        // answered, while the module is writing rows and its saved cursor trails behind.
        let answered = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = agents
            .iter()
            .map(|agent| {
                let client = server.client().clone();
                let path = format!("/api/agents/{agent}/heartbeat");
                let (answered, stop) = (Arc::clone(&answered), Arc::clone(&stop));
                std::thread::spawn(move || {
                    let body = json!({"meta": {"tokensUsed": 3, "costCents": 1, "model": "m"}});
                    while !stop.load(Ordering::Relaxed) {
                        let sent = client.request(Method::POST, &path).json(&body).send();
                        match sent {
                            Ok(r) if r.status() == StatusCode::CREATED => {
                                answered.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => break,
                        }
                    }
                })
            })
            .collect();
        // A fifth client moves issues to `done` meanwhile (one `issue:status_changed` each).
        let mover = {
            let client = server.client().clone();
            let company = company.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let created = client
                        .request(Method::POST, &format!("/api/companies/{company}/issues"))
                        .json(&json!({"title": "moved"}))
                        .send();
                    let Ok(created) = created else { break };
                    let Ok(issue) = created.json::<serde_json::Value>() else {
                        break;
                    };
                    let Some(id) = issue["id"].as_str() else {
                        break;
                    };
                    let moved = client
                        .request(Method::PATCH, &format!("/api/issues/{id}"))
                        .json(&json!({"status": "done"}))
                        .send();
                    if moved.is_err() {
                        break;
                    }
                }
            })
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while answered.load(Ordering::Relaxed) < 800 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            let _ = client.join();
        }
        let _ = mover.join();
        let mut db = TestDb::open(&server);
        let committed = db.count("heartbeats", "");
        assert!(committed >= 800, "only {committed} heartbeats committed");
        let (rows_before, spends_before) = (
            db.count("mod_observability_token_metrics", ""),
            db.count("mod_observability_spend_events", ""),
        );

        // After the restart the module gets again what followed its saved cursor: the rows
        // (keyed by eventId) and the running totals must count each heartbeat once.
        server.restart();
        assert_active(&server);
        let mut db = TestDb::open(&server);
        wait_for(
            "a row and a spend event for every committed heartbeat",
            Duration::from_secs(60),
            || {
                (db.count("mod_observability_token_metrics", "") == committed
                    && db.count("mod_observability_spend_events", "") == committed)
                    .then_some(())
            },
        );
        wait_for("the module's lag to drain", Duration::from_secs(30), || {
            (module_view(&server)["delivery"]["lagEvents"] == 0).then_some(())
        });
        let totals = db.pairs(
            "SELECT CAST(SUM(heartbeats_total) AS BIGINT) AS a, \
             CAST(SUM(tokens_total) AS BIGINT) AS b FROM mod_observability_usage_totals",
        );
        assert_eq!(totals, [(committed, 3 * committed)], "heartbeats, tokens");
        let summary = get(&server, "/summary");
        assert_eq!(summary["totals"]["heartbeats"], committed, "{summary}");
        // Transitions to `done`, counted once each (by eventId) although some came again.
        let done = db.count("issues", "status = 'done'");
        assert!(done > 0, "no issue was moved before the kill");
        let counted = db.pairs(
            "SELECT CAST(COALESCE(SUM(transitions), 0) AS BIGINT) AS a, \
             CAST(COUNT(*) AS BIGINT) AS b FROM mod_observability_issue_status_counts \
             WHERE status = 'done'",
        );
        assert_eq!(counted[0].0, done, "transitions to done");
        // Events handled after the restart beyond the ones still missing: redelivered (their
        // number depends on where the kill fell; each was a no-op).
        let missing = (2 * committed - rows_before - spends_before) as u64;
        eprintln!(
            "[{}] {committed} heartbeats; {} events redelivered after the restart",
            server.backend(),
            hook_calls(&server).saturating_sub(missing)
        );
    });
}

#[test]
fn an_invalid_config_is_explained_and_the_server_runs_on() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend, json!({"retentionDays": "ten"}));
        let view = module_view(&server);
        assert_eq!(view["status"], "invalid", "{view}");
        let reason = view["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("retentionDays"),
            "the reason names the field: {reason}"
        );
        let (status, _) = server.get(&format!("{BASE}/summary"));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(server.get_ok("/api/health")["status"], "ok");
        let company = server.create_company("Acme");
        let agent = server.create_agent(&company, json!({}));
        heartbeat(&server, &agent, json!({"tokensUsed": 10}));

        // Unknown keys and out-of-range values are refused too (one server at a time).
        let backend = server.backend().clone();
        drop(server);
        for config in [
            json!({"retentionDays": 0}),
            json!({"prometheusPort": 70000}),
            json!({"retentionDay": 3}),
        ] {
            let server = start(backend.clone(), config.clone());
            let view = module_view(&server);
            assert_eq!(view["status"], "invalid", "{config}: {view}");
        }
    });
}

/// `text` without the samples of hook delivery (outbox size, each module's lag and the age of
/// its oldest undelivered event), which move between two scrapes while events are delivered.
fn without_delivery_samples(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| {
            !line.starts_with("paperclip_hook_outbox_events")
                && !line.starts_with("paperclip_module_hook_")
        })
        .collect()
}

/// `GET /metrics` on the Prometheus listener, over a plain socket (what a scraper does).
fn scrape_listener(port: u16) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

#[test]
fn the_prometheus_listener_starts_and_stops_with_the_module() {
    // The listener does not depend on the backend; SQLite is enough.
    let port = free_port();
    let server = TestServer::start(
        TestBackend::Sqlite,
        options(json!({"enablePrometheus": true, "prometheusPort": port})),
    );
    assert_active(&server);
    let company = server.create_company("Acme");
    let agent = server.create_agent(&company, json!({}));
    heartbeat(&server, &agent, json!({"tokensUsed": 42, "model": "m"}));
    wait_for_heartbeats(&server, 1);

    let response = scrape_listener(port).expect("the listener answers");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    let (_, api_body) = server.get_text(&format!("{BASE}/metrics"));
    assert_eq!(
        without_delivery_samples(body),
        without_delivery_samples(&api_body),
        "the listener serves the same exposition as the route"
    );
    assert!(
        body.contains(&format!(
            "paperclip_tokens_total{{agent_id=\"{agent}\",model=\"m\"}} 42"
        )),
        "{body}"
    );

    // Disable closes the port; enable opens it again.
    admin(&server, "disable");
    assert!(
        scrape_listener(port).is_err(),
        "the listener still answers after disable"
    );
    admin(&server, "enable");
    assert_active(&server);
    wait_for("the listener after enable", Duration::from_secs(5), || {
        scrape_listener(port).ok()
    });

    // A second server cannot take the same port: its module fails with a reason naming it.
    let other = TestServer::start(
        TestBackend::Sqlite,
        options(json!({"enablePrometheus": true, "prometheusPort": port})),
    );
    let view = module_view(&other);
    assert_eq!(view["status"], "failed", "{view}");
    let reason = view["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(&port.to_string()), "{reason}");
    assert_eq!(other.get_ok("/api/health")["status"], "ok");
}
