//! Sustained hook load through the transactional outbox to an at-least-once module, in
//! process: the real `tiny` library (release build, no-op handlers that count) loaded by the
//! real module host on a real database (SQLite; PostgreSQL too when
//! `PAPERCLIP_TEST_DATABASE_URL` is set).
//!
//! One writer offers `agent:heartbeat` events at a fixed rate (default 50,000/s, for 30 s) as
//! real core writes: `Core::write_blocking` transactions of 500 events each (100 per second),
//! every event recorded in `hook_outbox` in its write's transaction and emitted after the
//! commit, exactly as the REST API's writes are. Every second the outbox is pruned the way the
//! server does it (`sweep_outbox`: below the module's saved cursor). Each second the bench
//! samples the module's lag (newest `seq` − its cursor) and the outbox size.
//!
//! After the burst it waits for the lag to drain and reports: events offered and the rate
//! reached, events the module's handlers ran (≥ offered: at-least-once), whether its cursor
//! reached the newest event with no dead letter (zero lost), events read back from the outbox
//! (what memory could not hold), the largest lag and outbox, and the drain time.
//!
//! Run: `cargo build --release -p tiny && cargo bench -p paperclip-e2e --bench
//! hook_delivery_sustained` (`PAPERCLIP_BENCH_SECS`, default 30; `PAPERCLIP_BENCH_RATE`, default
//! 50,000 events/s).

mod module_bench_support;

use module_bench_support::{load_average, tiny_bundle};
use paperclip::core::{Core, CoreError};
use paperclip::hooks::outbox_retention::sweep_outbox;
use paperclip::hooks::{hook_outbox, Hook, HookBus};
use paperclip::module_host::{HostSettings, ModuleHost, ModuleStatus};
use paperclip_e2e::bench_support::bench_duration;
use paperclip_e2e::{json, TestBackend, TestDatabase};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events per write transaction.
const EVENTS_PER_WRITE: u64 = 500;

fn main() {
    let seconds = bench_duration(Duration::from_secs(30));
    let rate: u64 = std::env::var("PAPERCLIP_BENCH_RATE")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r: &u64| *r >= EVENTS_PER_WRITE)
        .unwrap_or(50_000);
    println!("load average before: {}", load_average());
    let folder = tempfile::tempdir().expect("temporary folder");
    let sqlite = folder.path().join("bench.db");
    bench(
        "sqlite",
        &sqlite.to_string_lossy(),
        folder.path(),
        rate,
        seconds,
    );
    if let Some(TestBackend::Postgres { admin_url }) = TestBackend::postgres_from_env() {
        let database = TestDatabase::create(&admin_url);
        let pg_folder = tempfile::tempdir().expect("temporary folder");
        bench("postgres", database.url(), pg_folder.path(), rate, seconds);
    }
}

fn bench(backend: &str, url: &str, folder: &std::path::Path, rate: u64, seconds: Duration) {
    let modules_dir = folder.join("modules");
    tiny_bundle(&modules_dir, "tiny");
    let db = paperclip::app::open_database(url).expect("database opens");
    let core = Core::new(db.clone(), Arc::new(HookBus::new()));
    let host = ModuleHost::new(core.clone(), HostSettings::for_dir(modules_dir));
    host.start().expect("the module host starts");
    let view = host.get("tiny").expect("tiny");
    assert_eq!(view.status, ModuleStatus::Active, "{:?}", view.reason);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let payload = json!({
        "agentId": "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
        "timestamp": "2026-11-25T12:00:00Z",
        "meta": {"tokensUsed": 1200, "costCents": 3, "model": "bench-model", "latencyMs": 80}
    });
    let writes_per_second = rate / EVENTS_PER_WRITE;
    let interval = Duration::from_secs(1) / writes_per_second as u32;
    let total_writes = writes_per_second * seconds.as_secs().max(1);
    let calls_before = host.get("tiny").expect("tiny").counters.hook_calls;

    let started = Instant::now();
    let mut next_sample = started + Duration::from_secs(1);
    let (mut max_lag, mut max_outbox) = (0i64, 0i64);
    let mut offered = 0u64;
    for write in 0..total_writes {
        let due = started + interval * write as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let payload = payload.clone();
        core.write_blocking(move |_conn, pending| {
            for _ in 0..EVENTS_PER_WRITE {
                pending.push(Hook::AgentHeartbeat, payload.clone());
            }
            Ok::<_, CoreError>(())
        })
        .expect("the write commits");
        offered += EVENTS_PER_WRITE;
        if Instant::now() >= next_sample {
            next_sample += Duration::from_secs(1);
            let (lag, outbox) = sample(&host, &db);
            max_lag = max_lag.max(lag);
            max_outbox = max_outbox.max(outbox);
            runtime
                .block_on(sweep_outbox(&db, Duration::from_secs(3600)))
                .expect("the outbox is pruned");
        }
    }
    let offered_for = started.elapsed();
    let burst_end = Instant::now();
    let newest = newest_seq(&db);
    let drained = loop {
        let view = host.get("tiny").expect("tiny");
        let delivery = view.delivery.expect("tiny has a delivery");
        if delivery.cursor >= newest {
            break burst_end.elapsed();
        }
        assert!(
            burst_end.elapsed() < Duration::from_secs(300),
            "the lag did not drain: {delivery:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let view = host.get("tiny").expect("tiny");
    let delivery = view.delivery.expect("tiny has a delivery");
    let handled = view.counters.hook_calls - calls_before;
    println!(
        "hook_delivery_sustained [{backend}]: offered {offered} events in {:.1} s ({:.0} events/s, target {rate}/s, {} writes of {EVENTS_PER_WRITE})",
        offered_for.as_secs_f64(),
        offered as f64 / offered_for.as_secs_f64(),
        total_writes,
    );
    println!(
        "  handled {handled} (≥ offered: {}), cursor {} of newest {newest}, dead letters {}, retrying {}, drops {} → {}",
        handled >= offered,
        delivery.cursor,
        delivery.dead_letters,
        delivery.retrying,
        view.counters.hook_drops,
        if handled >= offered && delivery.cursor >= newest && delivery.dead_letters == 0 {
            "zero lost"
        } else {
            "EVENTS LOST"
        }
    );
    println!(
        "  read back from the outbox {} (what memory could not hold); largest lag {max_lag} events, largest outbox {max_outbox} rows; lag drained {:.0} ms after the burst",
        delivery.read_from_outbox,
        drained.as_secs_f64() * 1000.0
    );
    host.shutdown();
}

/// The module's lag (newest `seq` − its cursor) and the outbox's size now.
fn sample(host: &ModuleHost, db: &paperclip::db::Database) -> (i64, i64) {
    let cursor = host
        .get("tiny")
        .and_then(|view| view.delivery)
        .map_or(0, |d| d.cursor);
    let newest = newest_seq(db);
    let size = db
        .conn()
        .ok()
        .and_then(|mut conn| hook_outbox::size(&mut conn).ok())
        .unwrap_or(0);
    (newest - cursor, size)
}

fn newest_seq(db: &paperclip::db::Database) -> i64 {
    let mut conn = db.conn().expect("a connection");
    hook_outbox::newest_seq(&mut conn)
        .expect("the outbox reads")
        .unwrap_or(0)
}
