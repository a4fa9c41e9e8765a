//! Heartbeat ingestion through the core with the observability module enabled vs disabled, in
//! one run on one server, and the module's hook-to-row latency.
//!
//! 4 concurrent clients post heartbeats (`tokensUsed`, `costCents`, `model`, `latencyMs`) to
//! `POST /api/agents/{id}/heartbeat` on the real `paperclipai` binary. The module is switched
//! on and off through the admin API in alternating phases (on, off, on, off, …), so both sides
//! see the same warm server, database size and machine noise. Before each "off" phase the bench
//! waits until the module has written a row for every heartbeat of the "on" phase, so its
//! backlog never runs in an "off" phase.
//!
//! - Throughput ratio = heartbeats/s with the module ÷ heartbeats/s without (goal ≥ 0.97).
//! - Hook-to-row latency = `ingested_at − recorded_at` of every metric row: from the core's
//!   heartbeat timestamp (taken in the transaction that emits the hook) to the module's batch
//!   insert. The host delivers the events from its outbox in batches (up to 256 per call) and
//!   the module writes each batch in one transaction as it arrives (no buffer of its own, see
//!   `modules/observability/src/ingest.rs`), so this is the host's delivery delay plus one
//!   write (goal p99 < 50 ms).
//! - The same phases with `tiny` — a test module subscribed to every hook with handlers that do
//!   nothing — give the baseline: what the host's hook delivery costs before a module does any
//!   work. (The counters of `tiny` also count `agent:created` and `server:started`, so its drain
//!   wait may end a few events early; it waits for ≥, never ==.)
//!
//! Run: `scripts/build-modules.sh --release && cargo build --release -p paperclip-server &&
//! cargo bench -p paperclip-e2e --bench observability_ingest` (SQLite; PostgreSQL too when
//! `PAPERCLIP_TEST_DATABASE_URL` is set). `PAPERCLIP_BENCH_SECS` sets the total measured time
//! per backend and module (default 24 s, in 6 phases).

mod heartbeat_load;
#[path = "../tests/observability_support/mod.rs"]
mod observability_support;

use heartbeat_load::{post_heartbeats, Phases};
use observability_support::{options, TestDb};
use paperclip_e2e::bench_support::{bench_duration, millis, LatencyStats};
use paperclip_e2e::{
    json, server_binary, test_backends, ServerOptions, TestBackend, TestServer, Value,
};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const PHASES: u32 = 6;
const WARM_UP: Duration = Duration::from_secs(1);

fn main() {
    println!("paperclipai binary: {}", server_binary().display());
    let total = bench_duration(Duration::from_secs(24));
    for backend in test_backends() {
        bench_backend(backend, total / PHASES);
    }
}

/// The module under test, or the baseline.
#[derive(Clone, Copy, PartialEq)]
enum Subject {
    /// The observability module.
    Observability,
    /// `tiny`, a test module subscribed to every hook with handlers that do nothing: what the
    /// host's hook delivery alone costs.
    NoOpBaseline,
}

impl Subject {
    fn id(self) -> &'static str {
        match self {
            Subject::Observability => "observability",
            Subject::NoOpBaseline => "tiny",
        }
    }
}

/// What one server's alternating phases measured.
struct Measured {
    on: Phases,
    off: Phases,
    counters: Value,
    server: TestServer,
    recorded: usize,
}

impl Measured {
    fn ratio(&self) -> f64 {
        self.on.rate() / self.off.rate()
    }
}

fn bench_backend(backend: TestBackend, phase: Duration) {
    let name = backend.name();
    let measured = measure(backend.clone(), Subject::Observability, phase);
    let baseline = measure(backend, Subject::NoOpBaseline, phase);

    let mut db = TestDb::open(&measured.server);
    let rows =
        db.pairs("SELECT recorded_at AS a, ingested_at AS b FROM mod_observability_token_metrics");
    assert_eq!(
        rows.len(),
        measured.recorded,
        "one row per heartbeat posted while enabled"
    );
    let mut lag = LatencyStats::new();
    for (recorded_at, ingested_at) in rows {
        lag.record(Duration::from_millis(
            (ingested_at - recorded_at).max(0) as u64
        ));
    }

    let (on, off) = (&measured.on, &measured.off);
    println!(
        "observability_ingest [{name}] {CLIENTS} clients, {PHASES} phases of {:.1} s per module",
        phase.as_secs_f64()
    );
    println!(
        "  module enabled  : {:.0} heartbeats/s ({} posted, {} errors), p99 request {}",
        on.rate(),
        on.posted,
        on.errors,
        millis(on.latency.percentile(99.0))
    );
    println!(
        "  module disabled : {:.0} heartbeats/s ({} posted, {} errors), p99 request {}",
        off.rate(),
        off.posted,
        off.errors,
        millis(off.latency.percentile(99.0))
    );
    println!("  throughput ratio: {:.3} (goal ≥ 0.97)", measured.ratio());
    println!(
        "  no-op baseline  : ratio {:.3} ({:.0} vs {:.0} heartbeats/s with `tiny`, every hook a no-op)",
        baseline.ratio(),
        baseline.on.rate(),
        baseline.off.rate()
    );
    println!(
        "  hook-to-row     : p50 {}  p99 {}  max {}  ({} rows; goal p99 < 50 ms)",
        millis(lag.percentile(50.0)),
        millis(lag.percentile(99.0)),
        millis(lag.max()),
        lag.count()
    );
    let c = &measured.counters;
    println!(
        "  module counters : hook calls {}, failures {}, timeouts {}, drops {}",
        c["hookCalls"], c["hookFailures"], c["hookTimeouts"], c["hookDrops"]
    );
}

/// Starts a server with `subject`, then posts heartbeats in alternating enabled/disabled phases.
fn measure(backend: TestBackend, subject: Subject, phase: Duration) -> Measured {
    let options = match subject {
        Subject::Observability => options(json!({})),
        Subject::NoOpBaseline => ServerOptions::new().module("tiny"),
    };
    let server = TestServer::start(backend, options.env("PAPERCLIP_LOG", "warn"));
    let module = format!("/api/admin/modules/{}", subject.id());
    let view = server.get_ok(&module);
    assert_eq!(view["status"], "active", "module not active: {view}");
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
    let drain = |posted: usize| match subject {
        Subject::Observability => wait_for_rows(&server, posted),
        // Each heartbeat (with a cost) emits `agent:heartbeat` and `budget:spend_recorded`.
        Subject::NoOpBaseline => wait_for_hook_calls(&server, &module, 2 * posted),
    };

    let warm = runtime.block_on(post_heartbeats(&urls, WARM_UP, usage));
    let mut recorded = warm.posted;
    drain(recorded);

    let (mut on, mut off) = (Phases::default(), Phases::default());
    for i in 0..PHASES {
        let enabled = i % 2 == 0;
        admin(
            &server,
            subject.id(),
            if enabled { "enable" } else { "disable" },
        );
        let result = runtime.block_on(post_heartbeats(&urls, phase, usage));
        if enabled {
            recorded += result.posted;
            drain(recorded);
            on.add(result);
        } else {
            off.add(result);
        }
    }
    admin(&server, subject.id(), "enable");
    let counters = server.get_ok(&module)["counters"].clone();
    Measured {
        on,
        off,
        counters,
        server,
        recorded,
    }
}

/// Switches a module on or off.
fn admin(server: &TestServer, id: &str, action: &str) {
    let (status, body) = server.post(&format!("/api/admin/modules/{id}/{action}"), &json!({}));
    assert!(status.is_success(), "{action} {id}: {body}");
}

/// Waits until the observability module has written `rows` metric rows (its queue is drained).
fn wait_for_rows(server: &TestServer, rows: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let summary = server.get_ok("/api/modules/observability/summary");
        if summary["totals"]["heartbeats"].as_u64() == Some(rows as u64) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the module did not catch up to {rows} rows: {}",
            summary["totals"]
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until a module has handled (or dropped) at least `events` heartbeat-phase hook events
/// on top of the few lifecycle events (`server:started`, `agent:created`) it saw first.
fn wait_for_hook_calls(server: &TestServer, module: &str, events: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let c = &server.get_ok(module)["counters"];
        let seen = c["hookCalls"].as_u64().unwrap_or(0) + c["hookDrops"].as_u64().unwrap_or(0);
        if seen >= events as u64 {
            return;
        }
        assert!(Instant::now() < deadline, "{module} did not catch up: {c}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The body of client `worker`'s `n`-th heartbeat: usage that varies a little.
fn usage(worker: usize, n: u64) -> Value {
    let model = ["gpt-4", "claude"][(n % 2) as usize];
    json!({"meta": {
        "tokensUsed": 100 + n % 900,
        "costCents": 1,
        "model": model,
        "latencyMs": 50 + (n * 7 + worker as u64) % 500,
    }})
}
