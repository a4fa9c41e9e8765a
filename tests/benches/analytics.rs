//! The analytics module: what it costs heartbeat ingestion, and how fast its series answer over
//! 90 days of data for 100 agents. On the real `paperclipai` binary, SQLite and (with
//! `PAPERCLIP_TEST_DATABASE_URL`) PostgreSQL.
//!
//! 1. **Ingestion overhead.** 4 concurrent clients post heartbeats with a cost (so the core
//!    emits `agent:heartbeat` and `budget:spend_recorded` for each) to
//!    `POST /api/agents/{id}/heartbeat`, while the module is switched on and off through the
//!    admin API in alternating phases of the same run (on, off, on, …). The module's manifest
//!    asks for `catchUp`, so when it is enabled again it first catches up on the events of the
//!    "off" phase: the bench waits for that (and, after each "on" phase, for the module to have
//!    counted every heartbeat) outside the measured phases. Ratio = heartbeats/s on ÷ off
//!    (goal ≥ 0.95).
//! 2. **Answer time over 90 days × 100 agents.** The core API cannot back-date heartbeats, so
//!    90 days of activity (heartbeats in ~60 % of each agent's hours, two spends per agent and
//!    day, 20 issues through in_progress → done and 2 goals completed per day) are written as
//!    hook events into the core's outbox while the server is stopped (payloads shaped like the
//!    core's, `eventId`s as UUIDv7 of the event time; see `tests/tests/analytics_support`), and
//!    the module ingests them through its real hook handler from its saved cursor at the next
//!    start. The catch-up rate is reported too. Then each series endpoint is asked 40 times in
//!    a row (after 5 unmeasured requests): p50, p95, max (goal < 50 ms).
//!
//! Run: `scripts/build-modules.sh --release && cargo build --release -p paperclip-server -p
//! paperclip-module-runner && cargo bench -p paperclip-e2e --bench analytics`.
//! `PAPERCLIP_BENCH_SECS` sets the measured time of part 1 per backend (default 24 s, in 6
//! phases).

#[path = "../tests/analytics_support/mod.rs"]
mod analytics_support;
mod heartbeat_load;

use analytics_support::*;
use heartbeat_load::{post_heartbeats, Phases};
use paperclip_e2e::bench_support::{bench_duration, millis, LatencyStats};
use paperclip_e2e::{json, server_binary, test_backends, DirectDb, TestBackend, TestServer, Value};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const PHASES: u32 = 6;
const WARM_UP: Duration = Duration::from_secs(1);
const AGENTS: usize = 100;
const DAYS: i64 = 90;
const ISSUES_PER_DAY: i64 = 20;
const GOALS_PER_DAY: i64 = 2;
const TIMED_REQUESTS: usize = 40;

fn main() {
    println!("paperclipai binary: {}", server_binary().display());
    let total = bench_duration(Duration::from_secs(24));
    for backend in test_backends() {
        ingestion_overhead(backend.clone(), total / PHASES);
        answer_times(backend);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Ingestion overhead

fn ingestion_overhead(backend: TestBackend, phase: Duration) {
    let name = backend.name();
    let server = TestServer::start(backend, options().env("PAPERCLIP_LOG", "warn"));
    wait_active(&server);
    let company = server.create_company("Bench Corp");
    let urls: Vec<String> = (0..CLIENTS)
        .map(|i| {
            let agent = server.create_agent(&company, json!({"name": format!("Agent {i}")}));
            server.url(&format!("/api/agents/{agent}/heartbeat"))
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Every heartbeat costs 1 cent: the module has counted them all when the company's spend
    // (today's bucket) equals the number posted.
    let counted = |posted: usize| wait_for_spend(&server, &company, posted);

    let mut posted = runtime
        .block_on(post_heartbeats(&urls, WARM_UP, one_cent))
        .posted;
    counted(posted);
    let (mut on, mut off) = (Phases::default(), Phases::default());
    for i in 0..PHASES {
        let enabled = i % 2 == 0;
        admin(&server, if enabled { "enable" } else { "disable" });
        if enabled {
            wait_active(&server);
            counted(posted); // the catch-up on the "off" phase, outside the measurement
        }
        let result = runtime.block_on(post_heartbeats(&urls, phase, one_cent));
        posted += result.posted;
        if enabled {
            counted(posted);
            on.add(result);
        } else {
            off.add(result);
        }
    }
    admin(&server, "enable");
    let counters = server.get_ok("/api/admin/modules/analytics")["counters"].clone();

    println!(
        "analytics ingestion [{name}] {CLIENTS} clients, {PHASES} phases of {:.1} s",
        phase.as_secs_f64()
    );
    for (label, p) in [("module enabled ", &on), ("module disabled", &off)] {
        println!(
            "  {label} : {:.0} heartbeats/s ({} posted, {} errors), p50 {} p99 {} per request",
            p.rate(),
            p.posted,
            p.errors,
            millis(p.latency.percentile(50.0)),
            millis(p.latency.percentile(99.0))
        );
    }
    println!(
        "  throughput ratio: {:.3} (goal ≥ 0.95)",
        on.rate() / off.rate()
    );
    println!(
        "  module counters : hook calls {}, failures {}, timeouts {}, drops {}",
        counters["hookCalls"],
        counters["hookFailures"],
        counters["hookTimeouts"],
        counters["hookDrops"]
    );
}

/// Switches the module on or off.
fn admin(server: &TestServer, action: &str) {
    let (status, body) = server.post(
        &format!("/api/admin/modules/analytics/{action}"),
        &json!({}),
    );
    assert!(status.is_success(), "{action} analytics: {body}");
}

/// Waits until the company's spend today is `cents`.
fn wait_for_spend(server: &TestServer, company: &str, cents: usize) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let burn = get(
            server,
            &format!(
                "/burn-rate?companyId={company}&from={}",
                rfc3339(day_of(now_ms()))
            ),
        );
        if burn["totalCents"].as_u64() == Some(cents as u64) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the module did not count {cents} heartbeats: {}",
            burn["totalCents"]
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every heartbeat reports a cost of 1 cent (so the core books a spend for it).
fn one_cent(_worker: usize, _n: u64) -> Value {
    json!({"meta": {"tokensUsed": 500, "costCents": 1}})
}

// ---------------------------------------------------------------------------------------------
// 2. Answer time over 90 days × 100 agents

/// A cheap deterministic hash for the generated activity.
fn mix(a: i64, b: i64, c: i64) -> i64 {
    let mut x = (a * 73_856_093) ^ (b * 19_349_663) ^ (c * 83_492_791);
    x ^= x >> 13;
    x = x.wrapping_mul(0x5bd1_e995);
    (x ^ (x >> 15)).rem_euclid(1_000_000)
}

/// 90 days of activity of `agents`, ending yesterday; returns the events and the spend total.
fn ninety_days(company: &str, agents: &[String], today: i64) -> (Vec<OutboxEvent>, i64) {
    let mut events = Vec::new();
    let mut spend = 0;
    for k in (1..=DAYS).rev() {
        let day = today - k * DAY_MS;
        for h in 0..24 {
            for (a, agent) in agents.iter().enumerate() {
                if mix(a as i64, k, h) % 10 < 6 {
                    // Within the first 17 minutes of the hour.
                    let at = day + h * HOUR_MS + mix(a as i64, k, h);
                    events.push(heartbeat_event(company, agent, at));
                }
            }
        }
        for (a, agent) in agents.iter().enumerate() {
            for (n, hour) in [(0, 9), (1, 17)] {
                let cents = 20 + mix(a as i64, k, n) % 300;
                events.push(spend_event(company, agent, cents, day + hour * HOUR_MS));
                spend += cents;
            }
        }
        for i in 0..ISSUES_PER_DAY {
            let issue = format!("bench-issue-{k}-{i}");
            let assignee = &agents[(mix(k, i, 1) as usize) % agents.len()];
            let start = day + mix(k, i, 2) % (12 * HOUR_MS);
            let done = start + 30 * 60_000 + mix(k, i, 3) % (11 * HOUR_MS);
            events.push(issue_event(
                company,
                &issue,
                Some(assignee),
                "todo",
                "in_progress",
                start,
            ));
            events.push(issue_event(
                company,
                &issue,
                Some(assignee),
                "in_progress",
                "done",
                done,
            ));
        }
        for g in 0..GOALS_PER_DAY {
            let owner = &agents[(mix(k, g, 4) as usize) % agents.len()];
            events.push(goal_event(
                company,
                &format!("bench-goal-{k}-{g}"),
                Some(owner),
                day + (10 + g) * HOUR_MS,
            ));
        }
    }
    (events, spend)
}

fn answer_times(backend: TestBackend) {
    let name = backend.name();
    let mut server = TestServer::start(backend, options().env("PAPERCLIP_LOG", "warn"));
    wait_active(&server);
    let company = server.create_company("Ninety Days Inc");
    let agents: Vec<String> = (0..AGENTS)
        .map(|i| server.create_agent(&company, json!({"name": format!("Agent {i:03}")})))
        .collect();
    let today = day_of(now_ms());
    let (events, spend) = ninety_days(&company, &agents, today);

    server.stop();
    let mut db = DirectDb::open(&server);
    let started = Instant::now();
    for agent in &agents {
        backdate_agent(&mut db, agent, today - (DAYS + 10) * DAY_MS);
    }
    inject(&mut db, &events);
    let seq = newest_seq(&mut db);
    let injected = started.elapsed();
    server.restart();
    let started = Instant::now();
    wait_delivered_within(&mut db, seq, Duration::from_secs(1800));
    let caught_up = started.elapsed();
    let from = rfc3339(today - DAYS * DAY_MS);
    let to = rfc3339(today);
    let scope = format!("companyId={company}&from={from}&to={to}");
    let burn = get(&server, &format!("/burn-rate?{scope}"));
    assert_eq!(burn["totalCents"], spend, "every back-dated spend counted");
    println!(
        "analytics answer time [{name}] {AGENTS} agents × {DAYS} days: {} events written to the outbox in {:.1} s, ingested by the module in {:.1} s ({:.0} events/s)",
        events.len(),
        injected.as_secs_f64(),
        caught_up.as_secs_f64(),
        events.len() as f64 / caught_up.as_secs_f64()
    );
    let mut rows = |table: &str| {
        db.count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"
        ))
    };
    println!(
        "  module rows: {} agent-days, {} agent-hours, {} issues done, {} goals, {} event ids",
        rows("mod_analytics_agent_days"),
        rows("mod_analytics_agent_hours"),
        rows("mod_analytics_issues_done"),
        rows("mod_analytics_goals_completed"),
        rows("mod_analytics_events")
    );

    let agent = &agents[0];
    let endpoints = [
        format!("/burn-rate?{scope}"),
        format!("/burn-rate?{scope}&granularity=week"),
        format!("/burn-rate?{scope}&agentId={agent}"),
        format!("/utilisation?{scope}"),
        format!("/utilisation?{scope}&granularity=week"),
        format!("/utilisation?{scope}&agentId={agent}"),
        format!("/utilisation/recent?companyId={company}&hours=720"),
        format!("/velocity?{scope}"),
        format!("/velocity?{scope}&granularity=day"),
        format!("/velocity?{scope}&agentId={agent}"),
    ];
    let client = reqwest::blocking::Client::new();
    for path in &endpoints {
        let url = server.url(&format!("{BASE}{path}"));
        let mut stats = LatencyStats::new();
        for i in 0..(5 + TIMED_REQUESTS) {
            let sent = Instant::now();
            let response = client.get(&url).send().expect("request");
            assert!(
                response.status().is_success(),
                "{path}: {}",
                response.status()
            );
            let _ = response.bytes().expect("body");
            if i >= 5 {
                stats.record(sent.elapsed());
            }
        }
        println!(
            "  {:<70} p50 {:>8}  p95 {:>8}  max {:>8}",
            path.replace(&company, "<company>")
                .replace(agent.as_str(), "<agent>")
                .replace(&from, "<-90d>")
                .replace(&to, "<today>"),
            millis(stats.percentile(50.0)),
            millis(stats.percentile(95.0)),
            millis(stats.max())
        );
    }
}
