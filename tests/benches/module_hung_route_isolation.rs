//! A hung module must not slow the core down: 100 concurrent requests to a module route that
//! hangs (the `slow-route` test module, `GET /api/modules/slow/sleep?ms=…`) while native routes
//! are measured, against the same native routes without that load, in alternating rounds on
//! one real `paperclipai` binary (release, SQLite).
//!
//! Native routes: `GET /api/health` (answered from memory) and `GET /api/companies` (a database
//! read on the core's pool, the resource a module call once shared). The hung requests keep
//! 100 clients busy: each re-sends as soon as it gets an answer, or, after a 503 from the
//! module's full queue, once its `Retry-After` has passed (as a well-behaved client does). Each hung call sleeps longer than
//! `routeTimeoutMs`, so the module's call threads end up stuck and its queue full, exactly the
//! situation a slow or hung module creates.
//!
//! Goal: the native routes keep ≥ 0.9 of their throughput under the hung load.
//!
//! Run: `scripts/build-modules.sh --release && cargo build --release -p paperclip-server &&
//! cargo bench -p paperclip-e2e --bench module_hung_route_isolation` (`PAPERCLIP_BENCH_SECS`
//! sets the total measured time, default 16 s, over 8 alternating rounds;
//! `PAPERCLIP_BENCH_ISOLATION` the module's isolation level, default `threaded`).

mod module_bench_support;

use module_bench_support::load_average;
use paperclip_e2e::bench_support::{bench_duration, millis, LatencyStats};
use paperclip_e2e::TestServer;
use paperclip_e2e::{copy_dir, find_bundle, json, server_binary, ServerOptions, TestBackend};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NATIVE_CLIENTS: usize = 4;
const HUNG_CLIENTS: usize = 100;
const ROUNDS: usize = 8;
/// Each hung call sleeps this long in the module (within `ROUTE_TIMEOUT_MS`, so the module
/// stays active with every call thread busy and its queue full).
const HANG_MS: u64 = 1_000;
const ROUTE_TIMEOUT_MS: u64 = 5_000;
/// The module's call threads and queue: 4 + 8 calls in the module, the other hung clients
/// get 503 at once and try again after its `Retry-After` (1 s).
const MAX_CONCURRENCY: usize = 4;
const QUEUE_CAPACITY: usize = 8;

/// Requests answered and latencies of one native route over its rounds.
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
    let total = bench_duration(Duration::from_secs(16));
    let round = total / (ROUNDS as u32);
    let level = std::env::var("PAPERCLIP_BENCH_ISOLATION").unwrap_or_else(|_| "threaded".into());
    let modules = tempfile::tempdir().expect("temporary folder");
    copy_dir(
        &find_bundle("slow-route"),
        &modules.path().join("slow-route"),
    );
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .config(json!({"modules": {
                "dir": modules.path().to_string_lossy(),
                "routeTimeoutMs": ROUTE_TIMEOUT_MS,
                "maxConcurrency": MAX_CONCURRENCY,
                "queueCapacity": QUEUE_CAPACITY,
                "isolation": {"slow-route": level},
            }}))
            .env("PAPERCLIP_LOG", "error"),
    );
    let (status, company) = server.post("/api/companies", &json!({"name": "Bench Co"}));
    assert!(status.is_success(), "company created: {status} {company}");
    let hung_url = server.url(&format!("/api/modules/slow/sleep?ms={HANG_MS}"));
    let targets = [
        ("GET /api/health", server.url("/api/health")),
        ("GET /api/companies", server.url("/api/companies")),
    ];

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime");
    for (_, url) in &targets {
        runtime.block_on(run_clients(url, Duration::from_millis(500)));
    }

    let mut quiet = [Tally::default(), Tally::default()];
    let mut loaded = [Tally::default(), Tally::default()];
    let mut hung_answers = HungAnswers::default();
    for r in 0..ROUNDS {
        let with_load_first = r % 2 == 1;
        for with_load in [with_load_first, !with_load_first] {
            for (i, (_, url)) in targets.iter().enumerate() {
                if with_load {
                    let (tally, answers) =
                        runtime.block_on(run_with_hung_load(url, &hung_url, round / 2));
                    loaded[i].add(tally);
                    hung_answers.add(&answers);
                    wait_until_module_idle(&server);
                } else {
                    quiet[i].add(runtime.block_on(run_clients(url, round / 2)));
                }
            }
        }
    }

    let view = server.get_ok("/api/admin/modules/slow-route");
    println!(
        "module_hung_route_isolation [sqlite] {HUNG_CLIENTS} hung clients on slow-route ({level}), \
         {NATIVE_CLIENTS} native clients, {ROUNDS} alternating rounds of {:.1} s",
        round.as_secs_f64()
    );
    for (i, (name, _)) in targets.iter().enumerate() {
        println!(
            "  {name:<19}: quiet {:.0} req/s (p99 {}), under hung load {:.0} req/s (p99 {}), ratio {:.3} (goal ≥ 0.90)",
            quiet[i].rate(),
            millis(quiet[i].latency.percentile(99.0)),
            loaded[i].rate(),
            millis(loaded[i].latency.percentile(99.0)),
            loaded[i].rate() / quiet[i].rate()
        );
    }
    println!(
        "  hung route answers: {} × 503 (queue full), {} × 504 (overdue), {} other",
        hung_answers.unavailable, hung_answers.timed_out, hung_answers.other
    );
    println!(
        "  module status {}, executor {}",
        view["status"], view["executor"]
    );
    let errors: usize = quiet.iter().chain(&loaded).map(|t| t.errors).sum();
    assert_eq!(errors, 0, "every native request answered 200");
}

/// How the hung route answered.
#[derive(Default)]
struct HungAnswers {
    unavailable: usize,
    timed_out: usize,
    other: usize,
}

impl HungAnswers {
    fn add(&mut self, other: &HungAnswers) {
        self.unavailable += other.unavailable;
        self.timed_out += other.timed_out;
        self.other += other.other;
    }
}

/// Waits until the module has no call queued or running, so a quiet round starts quiet.
fn wait_until_module_idle(server: &TestServer) {
    let started = Instant::now();
    loop {
        let executor = server.get_ok("/api/admin/modules/slow-route")["executor"].clone();
        let busy = executor["inFlight"].as_u64().unwrap_or(0)
            + executor["queueDepth"].as_u64().unwrap_or(0);
        if busy == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the module's calls did not drain: {executor}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Measures `url` for `duration` while `HUNG_CLIENTS` clients keep calling `hung_url`.
async fn run_with_hung_load(url: &str, hung_url: &str, duration: Duration) -> (Tally, HungAnswers) {
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new([
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    ]);
    let client = reqwest::Client::new();
    let hung: Vec<_> = (0..HUNG_CLIENTS)
        .map(|_| {
            let client = client.clone();
            let url = hung_url.to_string();
            let stop = Arc::clone(&stop);
            let counts = Arc::clone(&counts);
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let (slot, retry_after) = match client.get(&url).send().await {
                        Ok(r) if r.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => {
                            let seconds = r
                                .headers()
                                .get("retry-after")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse::<u64>().ok())
                                .unwrap_or(1);
                            (0, Some(Duration::from_secs(seconds)))
                        }
                        Ok(r) if r.status() == reqwest::StatusCode::GATEWAY_TIMEOUT => (1, None),
                        _ => (2, None),
                    };
                    counts[slot].fetch_add(1, Ordering::Relaxed);
                    // A well-behaved client honours `Retry-After` (in slices, to stop on time).
                    if let Some(wait) = retry_after {
                        let until = Instant::now() + wait;
                        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            })
        })
        .collect();
    // Let the hung calls fill the module's threads and queue first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let tally = run_clients(url, duration).await;
    stop.store(true, Ordering::Relaxed);
    for task in hung {
        let _ = task.await;
    }
    let answers = HungAnswers {
        unavailable: counts[0].load(Ordering::Relaxed),
        timed_out: counts[1].load(Ordering::Relaxed),
        other: counts[2].load(Ordering::Relaxed),
    };
    (tally, answers)
}

/// Runs `NATIVE_CLIENTS` concurrent `GET url` loops for `duration`.
async fn run_clients(url: &str, duration: Duration) -> Tally {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let deadline = started + duration;
    let tasks = (0..NATIVE_CLIENTS).map(|_| {
        let client = client.clone();
        let url = url.to_string();
        async move {
            let mut latency = LatencyStats::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match client.get(&url).send().await {
                    Ok(response) if response.status() == reqwest::StatusCode::OK => {
                        let _ = response.bytes().await;
                        latency.record(sent.elapsed());
                    }
                    _ => errors += 1,
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
