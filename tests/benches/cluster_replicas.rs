//! Several replicas on one PostgreSQL database (issue 17): issue creation over HTTP with 1, 2
//! and 3 replicas — one pool of client threads spread over them, rounds alternating between
//! the replica counts — and the failover time of a module's service and of its hook delivery
//! when the replica holding its lease is killed (`kill -9`). Real `paperclipai` processes
//! (release) with the `replica-probe` test module, on the local PostgreSQL.
//!
//! Run: `scripts/build-modules.sh --release && cargo build --release -p paperclip-server -p
//! paperclip-module-runner && PAPERCLIP_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
//! cargo bench -p paperclip-e2e --bench cluster_replicas` (`PAPERCLIP_BENCH_ROUNDS`, default 3;
//! `PAPERCLIP_BENCH_SECS` per measurement, default 5).

mod module_bench_support;

use module_bench_support::load_average;
use paperclip_e2e::bench_support::{bench_duration, millis, LatencyStats};
use paperclip_e2e::{json, server_binary, ApiClient, ServerOptions, TestBackend, TestServer};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 8;
const LEASE_MS: u64 = 2000;
const FAILOVERS: usize = 3;

fn options() -> ServerOptions {
    ServerOptions::new()
        .config(json!({
            "cluster": { "leaseMs": LEASE_MS },
            "database": { "poolSize": 8 },
        }))
        .module("replica-probe")
        .env("PAPERCLIP_LOG", "error")
}

fn main() {
    let Some(TestBackend::Postgres { admin_url }) = TestBackend::postgres_from_env() else {
        println!("skipped: PAPERCLIP_TEST_DATABASE_URL is not set");
        return;
    };
    println!("load average before: {}", load_average());
    println!("paperclipai binary: {}", server_binary().display());
    let rounds: usize = std::env::var("PAPERCLIP_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let seconds = bench_duration(Duration::from_secs(5));

    let first = TestServer::start(TestBackend::Postgres { admin_url }, options());
    let url = first.database_url().expect("database").to_string();
    let mut replicas = vec![first];
    for _ in 0..2 {
        replicas.push(TestServer::start(
            TestBackend::Sqlite,
            options().env("DATABASE_URL", url.clone()),
        ));
    }
    let (_, company) = replicas[0].post("/api/companies", &json!({ "name": "Bench Co" }));
    let path = format!(
        "/api/companies/{}/issues",
        company["id"].as_str().expect("company id")
    );

    // Throughput, rounds alternating between 1, 2 and 3 replicas.
    let mut rates: HashMap<usize, Vec<f64>> = HashMap::new();
    for round in 0..rounds {
        let mut order = [1usize, 2, 3];
        order.rotate_left(round % 3);
        for count in order {
            let clients: Vec<ApiClient> = replicas[..count]
                .iter()
                .map(|r| r.client().clone())
                .collect();
            let rate = measure(&clients, &path, seconds);
            println!("round {round}: {count} replica(s): {rate:.0} issues/s");
            rates.entry(count).or_default().push(rate);
        }
    }
    let median = |v: &Vec<f64>| {
        let mut v = v.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let one = median(&rates[&1]);
    println!("\n| replicas | issues/s (median of {rounds}) | vs 1 replica |\n|---|---|---|");
    for count in 1..=3 {
        let m = median(&rates[&count]);
        println!("| {count} | {m:.0} | {:.2} |", m / one);
    }

    // Failover: kill the lease holder, time until another replica runs the service and until
    // an event committed after the kill is delivered.
    let mut service = LatencyStats::new();
    let mut delivery = LatencyStats::new();
    for _ in 0..FAILOVERS {
        let holder = lease_holder(&replicas);
        let survivor = (holder + 1) % replicas.len();
        let pids: Vec<i64> = replicas
            .iter()
            .map(|r| r.pid().map_or(0, i64::from))
            .collect();
        let before = runs(&replicas[survivor]);
        replicas[holder].kill();
        let killed = Instant::now();
        let (_, issue) = replicas[survivor].post(&path, &json!({ "title": "after the kill" }));
        let issue_id = issue["id"].as_str().expect("issue").to_string();
        let mut service_at = None;
        let mut delivery_at = None;
        while (service_at.is_none() || delivery_at.is_none())
            && killed.elapsed() < Duration::from_secs(30)
        {
            if service_at.is_none() {
                let now = runs(&replicas[survivor]);
                let moved = pids.iter().enumerate().any(|(i, pid)| {
                    i != holder
                        && now.get(pid).copied().unwrap_or(0)
                            > before.get(pid).copied().unwrap_or(0)
                });
                if moved {
                    service_at = Some(killed.elapsed());
                }
            }
            if delivery_at.is_none() && received(&replicas[survivor], &issue_id) {
                delivery_at = Some(killed.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let service_took = service_at.expect("the service moved");
        let delivery_took = delivery_at.expect("the event was delivered");
        println!(
            "failover: service {} · delivery {} (lease {LEASE_MS} ms)",
            millis(service_took),
            millis(delivery_took)
        );
        service.record(service_took);
        delivery.record(delivery_took);
        replicas[holder].restart();
    }
    println!(
        "\nservice failover: median {} max {}; delivery failover: median {} max {} ({} kills, lease {LEASE_MS} ms)",
        millis(service.percentile(50.0)),
        millis(service.max()),
        millis(delivery.percentile(50.0)),
        millis(delivery.max()),
        FAILOVERS
    );
    println!("load average after: {}", load_average());
    while let Some(replica) = replicas.pop() {
        drop(replica);
    }
}

/// Issues created per second by `CLIENTS` threads spread over `clients` for `seconds`.
fn measure(clients: &[ApiClient], path: &str, seconds: Duration) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let created = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let client = clients[i % clients.len()].clone();
            let (stop, created, path) = (stop.clone(), created.clone(), path.to_string());
            std::thread::spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let (status, _) =
                        client.post(&path, &json!({ "title": format!("bench {i} {n}") }));
                    if status.as_u16() == 201 {
                        created.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                }
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(seconds);
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    created.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn lease_holder(replicas: &[TestServer]) -> usize {
    let ids: Vec<String> = replicas
        .iter()
        .map(|r| {
            r.get_ok("/api/health")["replica"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let view = replicas[0].get_ok("/api/admin/modules/replica-probe");
        if let Some(at) = view["work"]["holder"]
            .as_str()
            .and_then(|h| ids.iter().position(|id| id == h))
        {
            return at;
        }
        assert!(Instant::now() < deadline, "no lease holder: {view}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn runs(server: &TestServer) -> HashMap<i64, i64> {
    let body = server.get_ok("/api/modules/replica-probe/runs");
    body["runs"]
        .as_array()
        .map(|runs| {
            runs.iter()
                .map(|r| {
                    (
                        r["pid"].as_i64().unwrap_or(0),
                        r["runs"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn received(server: &TestServer, issue_id: &str) -> bool {
    let body = server.get_ok("/api/modules/replica-probe/events");
    body["ids"]
        .as_array()
        .is_some_and(|ids| ids.iter().any(|id| id == issue_id))
}
