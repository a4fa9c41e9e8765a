//! Issue creation throughput over HTTP: 4 concurrent clients create issues in one company on
//! the real `paperclipai` binary for ~10 s (SQLite; also PostgreSQL when
//! `PAPERCLIP_TEST_DATABASE_URL` is set). Reports issues/s and p50/p90/p99 latency.
//! Goal: ≥ 2,000 issues/s on SQLite on a 2-core machine.
//!
//! Run: `cargo build --release -p paperclip-server && cargo bench -p paperclip-e2e --bench
//! core_issue_throughput` (`PAPERCLIP_BENCH_SECS` changes the duration).
//!
//! Hook outbox (issue 14): per backend, two servers run side by side, one as shipped (every
//! write records its events in `hook_outbox`) and one started with the benchmark-only switch
//! `PAPERCLIP_BENCH_NO_OUTBOX=1` (`paperclip_core::core::core_service::BENCH_NO_OUTBOX_VAR`,
//! not a product setting: hooks from memory only, as before issue 14). The measured time is
//! split into rounds that alternate between the two, so drift of the machine hits both alike;
//! the bench reports each one's throughput and the ratio with/without (goal ≥ 0.95).
//!
//! The clients run on one current-thread tokio runtime, so the load generator takes at most
//! one core and leaves the other to the server (the server shares the machine either way).

use paperclip_e2e::bench_support::{bench_duration, millis, LatencyStats};
use paperclip_e2e::{
    json, server_binary, test_backends, DirectDb, ServerOptions, TestBackend, TestServer,
};
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

/// Rounds per server; the two servers' rounds alternate.
const ROUNDS: u32 = 5;

/// The benchmark-only switch that starts a server without the hook outbox.
const NO_OUTBOX_VAR: &str = "PAPERCLIP_BENCH_NO_OUTBOX";

/// One server under load: its issues URL and what its rounds produced.
struct Contender {
    label: &'static str,
    server: TestServer,
    company: String,
    url: String,
    warm_created: usize,
    rounds: Vec<RunResult>,
}

impl Contender {
    fn start(backend: TestBackend, label: &'static str, outbox: bool) -> Contender {
        let mut options = ServerOptions::new().env("PAPERCLIP_LOG", "warn");
        if !outbox {
            options = options.env(NO_OUTBOX_VAR, "1");
        }
        let server = TestServer::start(backend, options);
        let company = server.create_company("Bench Corp");
        let url = server.url(&format!("/api/companies/{company}/issues"));
        Contender {
            label,
            server,
            company,
            url,
            warm_created: 0,
            rounds: Vec::new(),
        }
    }

    /// Every round merged into one result.
    fn total(&self) -> RunResult {
        let mut total = RunResult {
            created: 0,
            errors: 0,
            elapsed: Duration::ZERO,
            latency: LatencyStats::new(),
        };
        for round in &self.rounds {
            total.created += round.created;
            total.errors += round.errors;
            total.elapsed += round.elapsed;
            total.latency.merge(round.latency.clone());
        }
        total
    }
}

fn bench_backend(backend: TestBackend, duration: Duration) {
    let name = backend.name();
    let mut contenders = [
        Contender::start(backend.clone(), "with outbox", true),
        Contender::start(backend, "without outbox", false),
    ];

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    for contender in &mut contenders {
        contender.warm_created = runtime
            .block_on(run_clients(&contender.url, WARM_UP))
            .created;
    }
    let round = duration / ROUNDS;
    for _ in 0..ROUNDS {
        for contender in &mut contenders {
            let result = runtime.block_on(run_clients(&contender.url, round));
            contender.rounds.push(result);
        }
    }

    let mut per_second = Vec::new();
    for contender in &contenders {
        let server = &contender.server;
        let result = contender.total();
        let stored = server.total(&format!(
            "/api/companies/{}/issues?limit=1",
            contender.company
        ));
        assert_eq!(
            stored as usize,
            contender.warm_created + result.created,
            "every 201 is a stored issue"
        );
        let recorded = DirectDb::open(server).count("SELECT COUNT(*) AS n FROM hook_outbox");
        let expected = if contender.label == "with outbox" {
            stored
        } else {
            0
        };
        assert_eq!(
            recorded, expected,
            "{}: issue:created rows in hook_outbox",
            contender.label
        );
        let rate = result.created as f64 / result.elapsed.as_secs_f64();
        per_second.push(rate);
        println!(
            "core_issue_throughput [{name}, {}] {CLIENTS} clients, {ROUNDS} rounds, {:.1} s",
            contender.label,
            result.elapsed.as_secs_f64()
        );
        println!(
            "  issues created : {} ({} errors)",
            result.created, result.errors
        );
        println!("  throughput     : {rate:.0} issues/s (goal ≥ 2000 on sqlite)");
        println!(
            "  latency        : p50 {}  p90 {}  p99 {}  max {}",
            millis(result.latency.percentile(50.0)),
            millis(result.latency.percentile(90.0)),
            millis(result.latency.percentile(99.0)),
            millis(result.latency.max()),
        );
    }
    println!(
        "hook outbox [{name}]: with/without = {:.3} (goal ≥ 0.95)",
        per_second[0] / per_second[1]
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
