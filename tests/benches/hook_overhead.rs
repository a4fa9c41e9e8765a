//! What emitting a hook costs a core write: issue creation through the real core
//! (`Core::write_blocking` + `core::issue::create`, one transaction each, on SQLite) with 0 vs
//! 5 no-op subscribers of `issue:created`, in alternating rounds of one run. Reports the
//! throughput of each and the ratio with hooks / without (goal ≥ 0.97).
//!
//! Both configurations write to the same database through two `Core`s that differ only in
//! their hook bus. They run in many short alternating blocks (the order inside each round
//! swaps too), so database growth and background load on a shared machine fall on both sides
//! evenly; the median of the per-round ratios is reported beside the overall ratio because it
//! shrugs off rounds hit by a burst of outside load. The bench also waits for every event to
//! reach every subscriber, so the figure includes real delivery (no event dropped).
//!
//! Run: `cargo bench -p paperclip-e2e --bench hook_overhead` (PostgreSQL too when
//! `PAPERCLIP_TEST_DATABASE_URL` is set; `PAPERCLIP_BENCH_ROUNDS` changes the round count).

use paperclip::core::{company, issue, Core};
use paperclip::db::Database;
use paperclip::hooks::{Hook, HookBus, HookEvent, HookSubscriber, SubscriptionOptions};
use paperclip_e2e::{json, TestBackend, TestDatabase};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SUBSCRIBERS: usize = 5;

/// Rounds and writes per configuration and round: SQLite writes take ~0.2 ms, PostgreSQL
/// writes (a synchronous commit each) a few ms, so PostgreSQL gets fewer, smaller rounds.
struct Plan {
    rounds: usize,
    issues_per_round: usize,
}

/// A subscriber that only counts what it receives.
struct CountingSubscriber {
    name: String,
    received: Arc<AtomicU64>,
}

impl HookSubscriber for CountingSubscriber {
    fn name(&self) -> &str {
        &self.name
    }

    fn deliver(&self, event: &HookEvent) -> Result<(), String> {
        // Touch the payload as a real subscriber would, without parsing it.
        std::hint::black_box(event.payload.len());
        self.received.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

fn main() {
    let rounds = |default: usize| {
        std::env::var("PAPERCLIP_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .filter(|r: &usize| *r > 0)
            .unwrap_or(default)
    };
    println!("{}", load_note());
    let folder = tempfile::tempdir().expect("temporary folder");
    let sqlite = folder.path().join("bench.db");
    let plan = Plan {
        rounds: rounds(100),
        issues_per_round: 100,
    };
    bench("sqlite", &sqlite.to_string_lossy(), &plan);
    if let Some(TestBackend::Postgres { admin_url }) = TestBackend::postgres_from_env() {
        let database = TestDatabase::create(&admin_url);
        let plan = Plan {
            rounds: rounds(30),
            issues_per_round: 50,
        };
        bench("postgres", database.url(), &plan);
    }
}

/// The machine's load average, to judge how much outside work shared the run.
fn load_note() -> String {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(load) => format!("load average before the run: {}", load.trim()),
        Err(_) => "load average: unknown".to_string(),
    }
}

fn bench(backend: &str, url: &str, plan: &Plan) {
    let Plan {
        rounds,
        issues_per_round,
    } = *plan;
    let db: Database = paperclip::app::open_database(url).expect("database opens and migrates");
    let plain = Core::new(db.clone(), Arc::new(HookBus::new()));
    let hooked_bus = Arc::new(HookBus::new());
    let received = Arc::new(AtomicU64::new(0));
    for n in 0..SUBSCRIBERS {
        hooked_bus.subscribe(
            Arc::new(CountingSubscriber {
                name: format!("noop-{n}"),
                received: Arc::clone(&received),
            }),
            &[Hook::IssueCreated],
            SubscriptionOptions::default(),
        );
    }
    let hooked = Core::new(db, Arc::clone(&hooked_bus));
    let company = plain
        .write_blocking(|conn, _| {
            let input =
                serde_json::from_value(json!({"name": "Bench Corp"})).expect("company input");
            company::create(conn, "bench", input)
        })
        .expect("company created")
        .id;

    // Warm-up: page cache, prepared statements, worker threads.
    create_issues(&plain, &company, issues_per_round);
    create_issues(&hooked, &company, issues_per_round);

    let mut plain_time = Duration::ZERO;
    let mut hooked_time = Duration::ZERO;
    let mut round_ratios = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let (p, h) = if round % 2 == 0 {
            let p = create_issues(&plain, &company, issues_per_round);
            (p, create_issues(&hooked, &company, issues_per_round))
        } else {
            let h = create_issues(&hooked, &company, issues_per_round);
            (create_issues(&plain, &company, issues_per_round), h)
        };
        plain_time += p;
        hooked_time += h;
        round_ratios.push(p.as_secs_f64() / h.as_secs_f64());
    }

    // Every hooked issue (warm-up included) must reach all subscribers.
    let expected = ((rounds + 1) * issues_per_round * SUBSCRIBERS) as u64;
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let delivered = received.load(Ordering::Relaxed);

    let count = (rounds * issues_per_round) as f64;
    let plain_rate = count / plain_time.as_secs_f64();
    let hooked_rate = count / hooked_time.as_secs_f64();
    round_ratios.sort_by(f64::total_cmp);
    let median = round_ratios[round_ratios.len() / 2];
    println!(
        "hook_overhead [{backend}] {rounds} rounds × {issues_per_round} issues per configuration"
    );
    println!("  0 subscribers : {plain_rate:.0} issue writes/s");
    println!("  {SUBSCRIBERS} subscribers : {hooked_rate:.0} issue writes/s");
    println!(
        "  ratio with/without : {:.3} overall, {median:.3} median of rounds (goal ≥ 0.97)",
        hooked_rate / plain_rate
    );
    println!(
        "  per write: {:.1} µs without, {:.1} µs with hooks; events delivered {delivered}/{expected}",
        plain_time.as_secs_f64() * 1e6 / count,
        hooked_time.as_secs_f64() * 1e6 / count,
    );
    assert_eq!(delivered, expected, "every event reached every subscriber");
}

/// Creates `n` issues, one write transaction each; returns the time taken.
fn create_issues(core: &Core, company: &str, n: usize) -> Duration {
    let started = Instant::now();
    for i in 0..n {
        let input = serde_json::from_value(json!({"title": format!("Bench issue {i}")}))
            .expect("issue input");
        core.write_blocking(|conn, hooks| issue::create(conn, hooks, "bench", company, input))
            .expect("issue created");
    }
    started.elapsed()
}
