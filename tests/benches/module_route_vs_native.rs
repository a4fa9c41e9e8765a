//! A module route against a native actix route, same load, one run: 4 concurrent clients on
//! the real `paperclipai` binary (release) hit `GET /api/modules/tiny/ping` (the `tiny` module,
//! release build, answering `{"pong":true,"module":"tiny"}` through the catch-all dispatcher,
//! a blocking thread with a time limit, and the module's `handle_route` FFI entry point) and
//! `GET /api/health` (a native handler answering a JSON object of the same size from memory).
//! Rounds alternate between the two so machine noise falls on both evenly. Reports requests/s
//! of each, latency percentiles and the ratio module / native (goal ≥ 0.90).
//!
//! Run: `cargo build --release -p paperclip-server -p tiny && cargo bench -p paperclip-e2e
//! --bench module_route_vs_native` (`PAPERCLIP_BENCH_SECS` sets the total measured time,
//! default 12 s, split over 8 alternating rounds).
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

fn main() {
    println!("load average before: {}", load_average());
    println!("paperclipai binary: {}", server_binary().display());
    let total = bench_duration(Duration::from_secs(12));
    let round = total / (ROUNDS as u32);
    let modules = tempfile::tempdir().expect("temporary folder");
    tiny_bundle(modules.path(), "tiny");
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .config(json!({"modules": {"dir": modules.path().to_string_lossy()}}))
            .env("PAPERCLIP_LOG", "warn"),
    );
    let module_url = server.url("/api/modules/tiny/ping");
    let native_url = server.url("/api/health");
    let module_body = server.get_ok("/api/modules/tiny/ping");
    let native_body = server.get_ok("/api/health");
    assert_eq!(module_body, json!({"pong": true, "module": "tiny"}));
    println!(
        "  bodies: module {} bytes {module_body}, native {} bytes {native_body}",
        module_body.to_string().len(),
        native_body.to_string().len()
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Warm-up: connections, the module's blocking threads, caches.
    runtime.block_on(run_clients(&module_url, Duration::from_secs(1)));
    runtime.block_on(run_clients(&native_url, Duration::from_secs(1)));

    let mut module = Tally::default();
    let mut native = Tally::default();
    for r in 0..ROUNDS {
        if r % 2 == 0 {
            module.add(runtime.block_on(run_clients(&module_url, round)));
            native.add(runtime.block_on(run_clients(&native_url, round)));
        } else {
            native.add(runtime.block_on(run_clients(&native_url, round)));
            module.add(runtime.block_on(run_clients(&module_url, round)));
        }
    }

    println!(
        "module_route_vs_native [sqlite] {CLIENTS} clients, {ROUNDS} alternating rounds of {:.1} s each",
        round.as_secs_f64()
    );
    for (name, tally) in [("module route", &module), ("native route", &native)] {
        println!(
            "  {name:<13}: {:.0} req/s ({} ok, {} errors)  latency p50 {}  p99 {}  max {}",
            tally.rate(),
            tally.ok,
            tally.errors,
            millis(tally.latency.percentile(50.0)),
            millis(tally.latency.percentile(99.0)),
            millis(tally.latency.max()),
        );
    }
    println!(
        "  ratio module / native : {:.3} (goal ≥ 0.90)",
        module.rate() / native.rate()
    );
    assert_eq!(
        module.errors + native.errors,
        0,
        "every request answered 200"
    );
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
