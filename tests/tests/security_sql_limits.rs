//! Issue 11's resource limits on module SQL, on SQLite and PostgreSQL, through a real module
//! (`sql-probe`): an endless query, a huge result, a long module transaction during core
//! writes, a module foreign key then a core delete, and a disabled module calling its host
//! handle. Each must be bounded, named in the error, and leave the core working.
//!
//! The limits are configured with `modules.statementTimeoutMs` (default 5 s),
//! `modules.maxResultRows` (default 10,000) and `modules.maxResultBytes` (default 16 MiB).
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first; PostgreSQL
//! runs when `PAPERCLIP_TEST_DATABASE_URL` is set.

mod security_sql_support;

use paperclip_e2e::{each_backend, json, StatusCode, TestBackend, TestServer, Value};
use security_sql_support::{
    core_problems, cpu_ticks, cut, rss_kib, seed_core, start, wait_for, wait_for_status, Answer,
    DirectDb, Probe, PROBE,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A statement that never ends on its own (issue 11's example).
const ENDLESS: &str =
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) AS n FROM r";

/// A statement that runs for hours without a CTE: 20 cross joins of the core's agents (at
/// least 3^20 rows).
fn endless_join() -> String {
    let tables: Vec<String> = (0..20).map(|i| format!("agents a{i}")).collect();
    format!("SELECT count(*) AS n FROM {}", tables.join(", "))
}

/// Whether `error` refuses a call because the module has too many database calls running
/// (the per-module cap that keeps the pool for the core).
fn names_call_cap(error: &str) -> bool {
    error.to_lowercase().contains("too many database calls")
}

/// Whether `error` says a module transaction was ended for outliving its cap.
fn names_transaction_cap(error: &str) -> bool {
    let error = error.to_lowercase();
    names_time_limit(&error) || error.contains("rolled back") || error.contains("longer than")
}

/// Whether `error` names a statement time limit.
fn names_time_limit(error: &str) -> bool {
    let error = error.to_lowercase();
    [
        "time limit",
        "timeout",
        "timed out",
        "statement_timeout",
        "interrupted",
        "cancel",
    ]
    .iter()
    .any(|needle| error.contains(needle))
}

/// Whether `error` names the result limit (`what` = "row" or "byte").
fn names_result_limit(error: &str, what: &str) -> bool {
    let error = error.to_lowercase();
    let limit = ["limit", "too many", "too large", "exceed"]
        .iter()
        .any(|needle| error.contains(needle));
    let unit = match what {
        "row" => error.contains("row"),
        _ => ["byte", "mib", "size"].iter().any(|n| error.contains(n)),
    };
    limit && unit
}

/// Runs core reads and writes every 100 ms until `stop`; returns each failure or slow answer.
fn core_traffic(server: &TestServer, company: &str, stop: &AtomicBool) -> (usize, Vec<String>) {
    let mut done = 0;
    let mut problems = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let started = Instant::now();
        let (status, body) = server.post(
            &format!("/api/companies/{company}/agents"),
            &json!({"name": format!("Busy {n}"), "role": "engineer"}),
        );
        let write_took = started.elapsed();
        if status != StatusCode::CREATED {
            problems.push(format!(
                "core write answered {status} after {write_took:?}: {body}"
            ));
        } else if write_took > Duration::from_secs(3) {
            problems.push(format!("core write took {write_took:?}"));
        }
        let started = Instant::now();
        let (status, body) = server.get(&format!("/api/companies/{company}/agents?limit=5"));
        let read_took = started.elapsed();
        if status != StatusCode::OK {
            problems.push(format!(
                "core read answered {status} after {read_took:?}: {body}"
            ));
        } else if read_took > Duration::from_secs(3) {
            problems.push(format!("core read took {read_took:?}"));
        }
        done += 2;
        std::thread::sleep(Duration::from_millis(100));
    }
    (done, problems)
}

#[test]
fn endless_queries_stop_at_the_statement_time_limit_and_the_core_keeps_answering() {
    each_backend(|backend| {
        // Enough call threads for all ten calls at once: what stops them here is the database
        // layer (statement time limit, cap on database calls), not the module's executor queue.
        let server = start(backend, json!({"modules": {"maxConcurrency": 16}}));
        let seeded = seed_core(&server, "Busy Corp");
        let pid = server.pid().expect("the server runs");
        // More endless statements at once than the SQLite pool has connections (8).
        let stop = AtomicBool::new(false);
        let (answers, (traffic, problems)) = std::thread::scope(|scope| {
            let join = endless_join();
            let queries: Vec<_> = (0..10)
                .map(|i| {
                    let sql = if i % 2 == 0 {
                        ENDLESS.to_string()
                    } else {
                        join.clone()
                    };
                    let server = &server;
                    scope.spawn(move || (sql.clone(), Probe::new(server).query(&sql, &[], 0)))
                })
                .collect();
            let traffic = scope.spawn(|| core_traffic(&server, &seeded.company, &stop));
            let answers: Vec<(String, Answer)> = queries
                .into_iter()
                .map(|q| q.join().expect("query thread"))
                .collect();
            stop.store(true, Ordering::SeqCst);
            (answers, traffic.join().expect("traffic thread"))
        });
        let mut failures: Vec<String> = problems;
        assert!(traffic > 0, "no core traffic ran");
        let timed_out = answers
            .iter()
            .filter(|(_, a)| a.error().is_some_and(names_time_limit))
            .count();
        if timed_out == 0 {
            failures.push("no endless query was stopped by the statement time limit".into());
        }
        for (sql, answer) in &answers {
            match answer.error() {
                // Past the module's cap on concurrent calls, a call may be refused instead.
                Some(error) if names_time_limit(error) || names_call_cap(error) => {}
                _ => failures.push(format!(
                    "endless query {:?}: expected 400 naming the statement time limit, got {} after {:?}",
                    cut(sql, 60),
                    answer.summary(),
                    answer.took
                )),
            }
            if answer.took > Duration::from_secs(30) {
                failures.push(format!(
                    "endless query answered only after {:?}",
                    answer.took
                ));
            }
        }
        // The statements really stopped: no backend still runs one (PostgreSQL), the server
        // is idle again (SQLite runs statements in the server process).
        std::thread::sleep(Duration::from_secs(1));
        let mut db = DirectDb::open(&server);
        if db.is_postgres() {
            let running = db.count(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
                 AND state = 'active' AND (query LIKE 'WITH RECURSIVE r(n)%' \
                 OR query LIKE 'SELECT count(*) AS n FROM agents a0%')",
            );
            if running > 0 {
                failures.push(format!(
                    "{running} endless statements still run on PostgreSQL after their answers"
                ));
            }
        } else {
            let before = cpu_ticks(pid).unwrap_or(0);
            std::thread::sleep(Duration::from_secs(2));
            let used = cpu_ticks(pid).unwrap_or(0).saturating_sub(before);
            // 100 ticks per second: more than half a core over 2 s means statements still run.
            if used > 100 {
                failures.push(format!(
                    "the server used {used} CPU ticks in the 2 s after the answers: statements still run"
                ));
            }
        }
        failures.extend(core_problems(&server));
        report_and_assert(&server, "endless queries", failures);
    });
}

#[test]
fn the_limits_follow_the_config() {
    each_backend(|backend| {
        let server = TestServer::try_start(
            backend.clone(),
            paperclip_e2e::ServerOptions::new()
                .module(PROBE)
                .module(security_sql_support::VICTIM)
                .config(json!({"modules": {
                    "statementTimeoutMs": 1000,
                    "maxResultRows": 50,
                    "maxResultBytes": 65536
                }})),
        )
        .unwrap_or_else(|failure| {
            panic!("the server refuses modules.statementTimeoutMs/maxResultRows/maxResultBytes: {failure}")
        });
        wait_for_status(&server, PROBE, &["active"]);
        // Agents for the endless join (3^20 rows).
        seed_core(&server, "Limits Corp");
        let probe = Probe::new(&server);
        let mut failures = Vec::new();

        let endless = probe.query(&endless_join(), &[], 0);
        if !endless.error().is_some_and(names_time_limit) || endless.took > Duration::from_secs(5) {
            failures.push(format!(
                "endless query with a 1 s limit: {} after {:?}",
                endless.summary(),
                endless.took
            ));
        }
        let rows = |n: u32| {
            format!(
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < {n}) \
                 SELECT n FROM r"
            )
        };
        let fifty = probe.query(&rows(50), &[], 0);
        if fifty.body["rows"].as_array().map(Vec::len) != Some(50) {
            failures.push(format!("50 rows with a 50-row limit: {}", fifty.summary()));
        }
        let fifty_one = probe.query(&rows(51), &[], 0);
        if !fifty_one
            .error()
            .is_some_and(|e| names_result_limit(e, "row"))
        {
            failures.push(format!(
                "51 rows with a 50-row limit: {}",
                fifty_one.summary()
            ));
        }
        let wide = probe.query(&wide_rows(&backend, 20, 8000), &[], 0);
        if !wide.error().is_some_and(|e| names_result_limit(e, "byte")) {
            failures.push(format!(
                "20 rows of 8000 bytes with a 64 KiB limit: {}",
                wide.summary()
            ));
        }
        failures.extend(core_problems(&server));
        report_and_assert(&server, "configured limits", failures);
    });
}

/// `count` rows of a `width`-character text each. The text is a literal in the statement:
/// functions that inflate a value (`repeat`, `zeroblob`) are off the module allow-list.
fn wide_rows(_backend: &TestBackend, count: u32, width: u32) -> String {
    let pad = format!("'{}'", "x".repeat(width as usize));
    format!(
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < {count}) \
         SELECT n, {pad} AS pad FROM r"
    )
}

/// Runs `sql` through the probe while sampling the server's RSS every 20 ms (and for 3 s
/// after the answer); returns the answer and the highest RSS seen, in MiB.
fn query_sampling_rss(server: &TestServer, sql: &str) -> (Answer, u64) {
    let pid = server.pid().expect("the server runs");
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut peak = 0;
            let mut after: Option<Instant> = None;
            loop {
                peak = peak.max(rss_kib(pid).unwrap_or(0));
                if done.load(Ordering::SeqCst) {
                    let since = *after.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(3) {
                        break;
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            peak / 1024
        })
    };
    let answer = Probe::new(server).query(sql, &[], 0);
    done.store(true, Ordering::SeqCst);
    let peak = sampler.join().expect("sampler");
    (answer, peak)
}

#[test]
fn huge_results_stop_at_the_result_limit_without_buffering() {
    each_backend(|backend| {
        let server = start(backend.clone(), json!({}));
        let baseline = rss_kib(server.pid().expect("runs")).unwrap_or(0) / 1024;
        let mut failures = Vec::new();

        // A million rows of 100 characters: far past the 10,000-row default.
        let many = format!(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000000) \
             SELECT n, '{}' AS pad FROM r",
            "x".repeat(100)
        );
        let (answer, peak) = query_sampling_rss(&server, &many);
        eprintln!(
            "[{}] 1M rows: {} after {:?}, RSS {baseline} → peak {peak} MiB",
            server.backend(),
            answer.summary(),
            answer.took
        );
        if !answer.error().is_some_and(|e| names_result_limit(e, "row")) {
            failures.push(format!(
                "1M rows: expected 400 naming the row limit, got {} after {:?}",
                answer.summary(),
                answer.took
            ));
        }
        if peak > 300 {
            failures.push(format!(
                "1M rows: server RSS peaked at {peak} MiB (limit 300)"
            ));
        }

        // 3,000 rows of 16,000 bytes (48 MB): under the row limit, past the 16 MiB one.
        let (answer, peak) = query_sampling_rss(&server, &wide_rows(&backend, 3000, 16000));
        eprintln!(
            "[{}] 48 MB: {} after {:?}, peak {peak} MiB",
            server.backend(),
            answer.summary(),
            answer.took
        );
        if !answer
            .error()
            .is_some_and(|e| names_result_limit(e, "byte"))
        {
            failures.push(format!(
                "48 MB of rows: expected 400 naming the byte limit, got {} after {:?}",
                answer.summary(),
                answer.took
            ));
        }
        if peak > 300 {
            failures.push(format!(
                "48 MB of rows: server RSS peaked at {peak} MiB (limit 300)"
            ));
        }
        // Within the limits, results still come back whole.
        let fine = Probe::new(&server).query(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000) \
             SELECT n FROM r",
            &[],
            0,
        );
        if fine.body["rows"].as_array().map(Vec::len) != Some(1000) {
            failures.push(format!("1,000 rows: {}", fine.summary()));
        }
        failures.extend(core_problems(&server));
        report_and_assert(&server, "huge results", failures);
    });
}

#[test]
fn a_long_module_transaction_does_not_block_core_writes() {
    each_backend(|backend| {
        // Routes may run 20 s here, so a transaction held in a route can outlast the core's
        // 10 s wait for the SQLite write lock.
        let server = start(backend, json!({"modules": {"routeTimeoutMs": 20000}}));
        let seeded = seed_core(&server, "Writers Inc");
        let probe = Probe::new(&server);
        let mut failures = Vec::new();

        // 1. A transaction across calls: begun, written, then left open while the core writes.
        let tx = probe
            .begin()
            .unwrap_or_else(|a| panic!("/begin: {}", a.summary()));
        let insert = probe.execute(
            "INSERT INTO mod_sql_probe_notes (body) VALUES ($1)",
            &[json!("held across calls")],
            tx,
        );
        assert!(insert.succeeded(), "insert in tx: {}", insert.summary());
        let stop = AtomicBool::new(false);
        let (traffic, problems) = std::thread::scope(|scope| {
            let traffic = scope.spawn(|| core_traffic_writes(&server, &seeded, &stop));
            std::thread::sleep(Duration::from_secs(12));
            stop.store(true, Ordering::SeqCst);
            traffic.join().expect("traffic")
        });
        failures.extend(
            problems
                .into_iter()
                .map(|p| format!("held across calls: {p}")),
        );
        let commit = probe.commit(tx);
        eprintln!(
            "[{}] commit after 12 s: {} ({traffic} core writes meanwhile)",
            server.backend(),
            commit.summary()
        );
        if let Some(error) = commit.error() {
            // Ending a module transaction that outlived its cap is fine; it must say so.
            if !names_transaction_cap(error) {
                failures.push(format!(
                    "commit of the long transaction: {}",
                    commit.summary()
                ));
            }
        } else if !commit.succeeded() {
            failures.push(format!(
                "commit of the long transaction: {}",
                commit.summary()
            ));
        }

        // 2. A transaction held inside one route call for 12 s.
        let stop = AtomicBool::new(false);
        let (held, (traffic, problems)) = std::thread::scope(|scope| {
            let held = scope.spawn(|| probe.sleep_tx(12000, "held in the route"));
            std::thread::sleep(Duration::from_millis(300));
            let traffic = scope.spawn(|| core_traffic_writes(&server, &seeded, &stop));
            let held = held.join().expect("sleep-tx");
            stop.store(true, Ordering::SeqCst);
            (held, traffic.join().expect("traffic"))
        });
        eprintln!(
            "[{}] sleep-tx: {} ({traffic} core writes meanwhile)",
            server.backend(),
            held.summary()
        );
        failures.extend(
            problems
                .into_iter()
                .map(|p| format!("held in a route: {p}")),
        );
        if !held.succeeded() && !held.error().is_some_and(names_transaction_cap) {
            failures.push(format!("sleep-tx: {}", held.summary()));
        }
        failures.extend(core_problems(&server));
        report_and_assert(&server, "long module transactions", failures);
    });
}

/// Core writes (agent creation, agent update, cost event) every 200 ms until `stop`; returns
/// how many ran and each that failed or waited longer than the core's 10 s busy time-out.
fn core_traffic_writes(
    server: &TestServer,
    seeded: &security_sql_support::Seeded,
    stop: &AtomicBool,
) -> (usize, Vec<String>) {
    let mut done = 0;
    let mut problems = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let company = &seeded.company;
        let agent = &seeded.agents[n % seeded.agents.len()];
        let writes: [(&str, String, Value); 3] = [
            (
                "POST",
                format!("/api/companies/{company}/agents"),
                json!({"name": format!("Writer {n}"), "role": "engineer"}),
            ),
            (
                "PATCH",
                format!("/api/agents/{agent}"),
                json!({"title": format!("Title {n}")}),
            ),
            (
                "POST",
                format!("/api/companies/{company}/cost-events"),
                json!({"agentId": agent, "amountCents": 1, "description": "during a module tx"}),
            ),
        ];
        for (method, path, body) in writes {
            let started = Instant::now();
            let (status, answer) = if method == "POST" {
                server.post(&path, &body)
            } else {
                server.patch(&path, &body)
            };
            let took = started.elapsed();
            done += 1;
            if !status.is_success() {
                problems.push(format!(
                    "{method} {path} answered {status} after {took:?}: {answer}"
                ));
            } else if took > Duration::from_secs(9) {
                problems.push(format!("{method} {path} waited {took:?}"));
            }
            if stop.load(Ordering::SeqCst) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    (done, problems)
}

#[test]
fn module_foreign_keys_never_block_core_deletes() {
    each_backend(|backend| {
        let server = start(backend, json!({}));
        let seeded = seed_core(&server, "Fk Corp");
        let probe = Probe::new(&server);
        let mut failures = Vec::new();
        let company = &seeded.company;
        let doomed = server.create_agent(company, json!({"name": "Doomed"}));
        let nulled = server.create_agent(company, json!({"name": "Nulled"}));
        let plain = server.create_agent(company, json!({"name": "Plain"}));

        probe.execute_ok(
            "CREATE TABLE mod_sql_probe_cascade (id TEXT PRIMARY KEY NOT NULL, \
             agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE)",
            &[],
        );
        probe.execute_ok(
            "CREATE TABLE mod_sql_probe_setnull (id TEXT PRIMARY KEY NOT NULL, \
             agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL)",
            &[],
        );
        probe.execute_ok(
            "INSERT INTO mod_sql_probe_cascade (id, agent_id) VALUES ('c1', $1)",
            &[json!(doomed)],
        );
        probe.execute_ok(
            "INSERT INTO mod_sql_probe_setnull (id, agent_id) VALUES ('n1', $1)",
            &[json!(nulled)],
        );

        let (status, body) = server.delete(&format!("/api/agents/{doomed}"));
        if !status.is_success() {
            failures.push(format!(
                "DELETE agent with a CASCADE module row: {status} {body}"
            ));
        }
        let left = probe.query("SELECT id FROM mod_sql_probe_cascade", &[], 0);
        if left.body["rows"].as_array().map(Vec::len) != Some(0) {
            failures.push(format!(
                "the cascading module row survived: {}",
                left.summary()
            ));
        }
        let (status, body) = server.delete(&format!("/api/agents/{nulled}"));
        if !status.is_success() {
            failures.push(format!(
                "DELETE agent with a SET NULL module row: {status} {body}"
            ));
        }
        let row = probe.query("SELECT agent_id FROM mod_sql_probe_setnull", &[], 0);
        if row.body["rows"] != json!([{"agent_id": null}]) {
            failures.push(format!("the SET NULL module row: {}", row.summary()));
        }

        // A reference without ON DELETE is refused with the reason; if it got in anyway, the
        // core delete must still work.
        let create = probe.execute(
            "CREATE TABLE mod_sql_probe_plain (id TEXT PRIMARY KEY NOT NULL, \
             agent_id TEXT REFERENCES agents(id))",
            &[],
            0,
        );
        match create.error() {
            Some(error) if error.to_lowercase().contains("on delete") => {}
            _ => {
                failures.push(format!(
                    "a module FK without ON DELETE CASCADE/SET NULL: expected 400 naming ON DELETE, got {}",
                    create.summary()
                ));
                if create.succeeded() {
                    probe.execute_ok(
                        "INSERT INTO mod_sql_probe_plain (id, agent_id) VALUES ('p1', $1)",
                        &[json!(plain)],
                    );
                    let (status, body) = server.delete(&format!("/api/agents/{plain}"));
                    if !status.is_success() {
                        failures.push(format!(
                            "DELETE agent referenced by a plain module FK: {status} {body}"
                        ));
                    }
                }
            }
        }
        failures.extend(core_problems(&server));
        report_and_assert(&server, "module foreign keys", failures);
    });
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// The heartbeat file's lines as (time, ok, message).
fn heartbeats(file: &std::path::Path) -> Vec<(u128, bool, String)> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            let at = parts.next()?.parse().ok()?;
            let ok = parts.next()? == "ok";
            Some((at, ok, parts.next().unwrap_or_default().to_string()))
        })
        .collect()
}

#[test]
fn a_disabled_module_handle_is_revoked() {
    each_backend(|backend| {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("heartbeat.log");
        let server = start(
            backend,
            json!({"modules": {"config": {PROBE: {
                "heartbeatFile": file.to_string_lossy(),
                "heartbeatMs": 50
            }}}}),
        );
        wait_for("five heartbeats through the host handle", || {
            (heartbeats(&file).iter().filter(|(_, ok, _)| *ok).count() >= 5).then_some(())
        });
        let mut failures = Vec::new();

        let (status, body) =
            server.post(&format!("/api/admin/modules/{PROBE}/disable"), &json!({}));
        assert!(status.is_success(), "disable answered {status}: {body}");
        let disabled_at = now_ms();
        wait_for_status(&server, PROBE, &["disabled"]);
        // A call in flight when the disable answered may still finish.
        std::thread::sleep(Duration::from_millis(300));
        let mut db = DirectDb::open(&server);
        let count_sql = "SELECT count(*) AS n FROM mod_sql_probe_notes WHERE body = 'heartbeat'";
        let rows_then = db.count(count_sql);
        std::thread::sleep(Duration::from_millis(1500));
        let rows_now = db.count(count_sql);
        if rows_now != rows_then {
            failures.push(format!(
                "the disabled module kept writing: {rows_then} → {rows_now} heartbeat rows in 1.5 s"
            ));
        }
        let after: Vec<_> = heartbeats(&file)
            .into_iter()
            .filter(|(at, _, _)| *at > disabled_at + 300)
            .collect();
        if after.is_empty() {
            failures.push("the heartbeat thread made no calls after the disable".into());
        }
        if let Some((_, _, message)) = after
            .iter()
            .find(|(_, ok, message)| *ok || !message.to_lowercase().contains("disabled"))
        {
            failures.push(format!(
                "a host-handle call after the disable was not refused as \"module disabled\": {:?} \
                 ({} calls after the disable, {} succeeded)",
                if message.is_empty() { "ok" } else { message.as_str() },
                after.len(),
                after.iter().filter(|(_, ok, _)| *ok).count()
            ));
        }
        // Its routes are detached as well.
        let (status, _) = server.post(
            &format!("/api/modules/{PROBE}/query"),
            &json!({"sql": "SELECT 1"}),
        );
        if status != StatusCode::NOT_FOUND {
            failures.push(format!("a disabled module's route answered {status}"));
        }
        failures.extend(core_problems(&server));
        report_and_assert(&server, "disabled module", failures);
    });
}

/// Prints the failures of one check and fails the test with them.
fn report_and_assert(server: &TestServer, what: &str, failures: Vec<String>) {
    for failure in &failures {
        eprintln!("  [{}] {what}: {failure}", server.backend());
    }
    assert!(
        failures.is_empty(),
        "{what} on {}:\n{}",
        server.backend(),
        failures.join("\n")
    );
}
