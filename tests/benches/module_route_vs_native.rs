//! A module route against a native actix route, per isolation level, same load, one run: 4
//! concurrent clients on the real `paperclipai` binary (release) hit `GET /api/health` (a
//! native handler answering a small JSON object from memory) and `GET
//! /api/modules/tiny-<level>/ping` on three copies of the `tiny` module (release build,
//! answering `{"pong":true,"module":…}` through the module route dispatcher, the module's
//! executor and its `handle_route` entry point), one per isolation level: `inline` (on the
//! request's thread), `threaded` (the module's call threads) and `process` (a child process
//! over a socket). Rounds rotate over the four targets so machine noise falls on all evenly.
//! Reports requests/s of each, latency percentiles and each ratio module / native (goals:
//! inline ≥ 0.90, threaded ≥ 0.75; process reported).
//!
//! Run: `cargo build --release -p paperclip-server -p tiny && cargo bench -p paperclip-e2e
//! --bench module_route_vs_native` (`PAPERCLIP_BENCH_SECS` sets the total measured time,
//! default 24 s, split over 8 rounds of the four targets). The module runner must be built next
//! to the server (`cargo build --release -p paperclip-module-runner`).
//!
//! The clients run on one current-thread tokio runtime, so the load generator takes at most
//! one core and leaves the other to the server.

mod module_bench_support;

use module_bench_support::{load_average, tiny_bundle};
use paperclip_e2e::bench_support::{bench_duration, millis, LatencyStats};
use paperclip_e2e::{json, server_binary, ServerOptions, TestBackend, TestServer};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const ROUNDS: usize = 8;

/// Requests answered, errors and latencies of one target over all its rounds.
#[derive(Default)]
struct Tally {
    ok: usize,
    errors: usize,
    elapsed: Duration,
    latency: LatencyStats,
}

impl Tally {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    fn add(&mut self, round: Tally) {
        self.ok += round.ok;
        self.errors += round.errors;
        self.elapsed += round.elapsed;
        self.latency.merge(round.latency);
    }
}

/// The isolation levels measured, each on its own copy of `tiny` (module id `tiny-<level>`).
const LEVELS: [&str; 3] = ["inline", "threaded", "process"];

fn main() {
    println!("load average before: {}", load_average());
    println!("paperclipai binary: {}", server_binary().display());
    let total = bench_duration(Duration::from_secs(24));
    let round = total / (ROUNDS as u32 * (LEVELS.len() as u32 + 1));
    let modules = tempfile::tempdir().expect("temporary folder");
    let mut isolation = serde_json::Map::new();
    for level in LEVELS {
        let id = format!("tiny-{level}");
        tiny_bundle(modules.path(), &id);
        isolation.insert(id, json!(level));
    }
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .config(json!({"modules": {
                "dir": modules.path().to_string_lossy(),
                "isolation": isolation,
            }}))
            .env("PAPERCLIP_LOG", "warn"),
    );
    // Targets: the native route, then each level's module route.
    let mut targets: Vec<(String, String)> = vec![("native".into(), server.url("/api/health"))];
    for level in LEVELS {
        let id = format!("tiny-{level}");
        let body = server.get_ok(&format!("/api/modules/{id}/ping"));
        assert_eq!(body, json!({"pong": true, "module": id}));
        let view = server.get_ok(&format!("/api/admin/modules/{id}"));
        assert_eq!(view["executor"]["level"], level, "{view}");
        targets.push((
            level.to_string(),
            server.url(&format!("/api/modules/{id}/ping")),
        ));
    }
    let native_body = server.get_ok("/api/health");
    println!(
        "  bodies: module {} bytes, native {} bytes {native_body}",
        json!({"pong": true, "module": "tiny-inline"})
            .to_string()
            .len(),
        native_body.to_string().len()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Warm-up: connections, the modules' call threads and processes, caches.
    for (_, url) in &targets {
        runtime.block_on(run_clients(url, Duration::from_secs(1)));
    }

    let mut tallies: Vec<Tally> = targets.iter().map(|_| Tally::default()).collect();
    for r in 0..ROUNDS {
        // Each round starts with another target, so noise falls on all of them evenly.
        for k in 0..targets.len() {
            let i = (r + k) % targets.len();
            tallies[i].add(runtime.block_on(run_clients(&targets[i].1, round)));
        }
    }

    println!(
        "module_route_vs_native [sqlite] {CLIENTS} clients, {ROUNDS} rotating rounds of {:.2} s per target",
        round.as_secs_f64()
    );
    for ((name, _), tally) in targets.iter().zip(&tallies) {
        println!(
            "  {name:<9}: {:.0} req/s ({} ok, {} errors)  latency p50 {}  p99 {}  max {}",
            tally.rate(),
            tally.ok,
            tally.errors,
            millis(tally.latency.percentile(50.0)),
            millis(tally.latency.percentile(99.0)),
            millis(tally.latency.max()),
        );
    }
    let native = tallies[0].rate();
    for ((name, _), tally) in targets.iter().zip(&tallies).skip(1) {
        let goal = match name.as_str() {
            "inline" => "goal ≥ 0.90",
            "threaded" => "goal ≥ 0.75",
            _ => "reported",
        };
        println!(
            "  ratio {name:<8} / native : {:.3} ({goal})",
            tally.rate() / native
        );
    }
    let errors: usize = tallies.iter().map(|t| t.errors).sum();
    assert_eq!(errors, 0, "every request answered 200");
}

/// Runs `CLIENTS` concurrent `GET url` loops for `duration`.
async fn run_clients(url: &str, duration: Duration) -> Tally {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let deadline = started + duration;
    let tasks = (0..CLIENTS).map(|_| {
        let client = client.clone();
        let url = url.to_string();
        async move {
            let mut latency = LatencyStats::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match client.get(&url).send().await {
                    Ok(response) if response.status() == reqwest::StatusCode::OK => {
                        // Read the body so the connection is reused, as a real client would.
                        let _ = response.bytes().await;
                        latency.record(sent.elapsed());
                    }
                    Ok(response) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("error {}: {url}", response.status());
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("request failed: {e}");
                        }
                    }
                }
            }
            (latency, errors)
        }
    });
    let outcomes = futures_util::future::join_all(tasks).await;
    let mut tally = Tally {
        elapsed: started.elapsed(),
        ..Tally::default()
    };
    for (latency, errors) in outcomes {
        tally.ok += latency.count();
        tally.errors += errors;
        tally.latency.merge(latency);
    }
    tally
}
