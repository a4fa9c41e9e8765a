//! Issue creation throughput over HTTP: 4 concurrent clients create issues in one company on
//! the real `paperclipai` binary for ~10 s (SQLite; also PostgreSQL when
//! `PAPERCLIP_TEST_DATABASE_URL` is set). Reports issues/s and p50/p90/p99 latency.
//! Goal: ≥ 2,000 issues/s on SQLite on a 2-core machine.
//!
//! Run: `cargo build --release -p paperclip-server && cargo bench -p paperclip-e2e --bench
//! core_issue_throughput` (`PAPERCLIP_BENCH_SECS` changes the duration).
//!
//! The clients run on one current-thread tokio runtime, so the load generator takes at most
//! one core and leaves the other to the server (the server shares the machine either way).

use paperclip_e2e::bench_support::{bench_duration, millis, LatencyStats};
use paperclip_e2e::{json, server_binary, test_backends, ServerOptions, TestBackend, TestServer};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const WARM_UP: Duration = Duration::from_secs(1);

/// What one measured run produced.
struct RunResult {
    created: usize,
    errors: usize,
    elapsed: Duration,
    latency: LatencyStats,
}

fn main() {
    println!("paperclipai binary: {}", server_binary().display());
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average before the run: {}", load.trim());
    }
    let duration = bench_duration(Duration::from_secs(10));
    for backend in test_backends() {
        bench_backend(backend, duration);
    }
}

fn bench_backend(backend: TestBackend, duration: Duration) {
    let name = backend.name();
    let server = TestServer::start(backend, ServerOptions::new().env("PAPERCLIP_LOG", "warn"));
    let company = server.create_company("Bench Corp");
    let url = server.url(&format!("/api/companies/{company}/issues"));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let warm = runtime.block_on(run_clients(&url, WARM_UP));
    let result = runtime.block_on(run_clients(&url, duration));

    let stored = server.total(&format!("/api/companies/{company}/issues?limit=1"));
    assert_eq!(
        stored as usize,
        warm.created + result.created,
        "every 201 is a stored issue"
    );
    let per_second = result.created as f64 / result.elapsed.as_secs_f64();
    println!(
        "core_issue_throughput [{name}] {CLIENTS} clients, {:.1} s",
        result.elapsed.as_secs_f64()
    );
    println!(
        "  issues created : {} ({} errors)",
        result.created, result.errors
    );
    println!("  throughput     : {per_second:.0} issues/s (goal ≥ 2000 on sqlite)");
    println!(
        "  latency        : p50 {}  p90 {}  p99 {}  max {}",
        millis(result.latency.percentile(50.0)),
        millis(result.latency.percentile(90.0)),
        millis(result.latency.percentile(99.0)),
        millis(result.latency.max()),
    );
}

/// Runs `CLIENTS` concurrent create loops against `url` for `duration`.
async fn run_clients(url: &str, duration: Duration) -> RunResult {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let deadline = started + duration;
    let tasks = (0..CLIENTS).map(|worker| {
        let client = client.clone();
        let url = url.to_string();
        async move {
            let mut latency = LatencyStats::new();
            let mut errors = 0;
            let mut n = 0usize;
            while Instant::now() < deadline {
                n += 1;
                let body =
                    json!({"title": format!("Bench issue {worker}-{n}"), "priority": "high"});
                let sent = Instant::now();
                match client.post(&url).json(&body).send().await {
                    Ok(response) if response.status() == reqwest::StatusCode::CREATED => {
                        // Read the body so the connection is reused, as a real client would.
                        let _ = response.bytes().await;
                        latency.record(sent.elapsed());
                    }
                    Ok(response) => {
                        errors += 1;
                        if errors <= 3 {
                            let status = response.status();
                            eprintln!(
                                "error {status}: {}",
                                response.text().await.unwrap_or_default()
                            );
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
    let elapsed = started.elapsed();
    let mut result = RunResult {
        created: 0,
        errors: 0,
        elapsed,
        latency: LatencyStats::new(),
    };
    for (latency, errors) in outcomes {
        result.created += latency.count();
        result.errors += errors;
        result.latency.merge(latency);
    }
    result
}
