//! At-least-once delivery through the executor on a real SQLite database: a module slower than
//! the writes overflows its small hook queue and gets the rest read back from the outbox, in
//! order, with nothing missing; a handler failing once gets the event again on a retry.

use super::{DeliverySettings, ExecutorHooks, ExecutorSettings, ModuleExecutor, OutboxDelivery};
use crate::fake_module::FakeModule;
use crate::manifest::DeliveryMode;
use crate::module_counters::ModuleCounters;
use crate::module_entry::LibraryEntry;
use abi_stable::std_types::{RResult, RSlice, RStr, RVec};
use module_sdk::abi::{HookBatchFailure, HookBatchItem, HookBatchOutcome, ModuleError};
use paperclip_core::core::{Core, CoreError};
use paperclip_core::hooks::{Hook, HookBus};
use paperclip_core::isolation_level::IsolationLevel;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

static RECEIVED: Mutex<Vec<i64>> = Mutex::new(Vec::new());
static FAILED_ONCE: AtomicBool = AtomicBool::new(false);

/// Takes 5 ms per batch (slower than the writes); records each event's `n`; fails `n == 7` the first time.
extern "C" fn slow_batch(events: RSlice<'_, HookBatchItem<'_>>) -> HookBatchOutcome {
    std::thread::sleep(Duration::from_millis(5));
    let mut failures = RVec::new();
    for (index, item) in events.iter().enumerate() {
        let payload: Value = serde_json::from_str(item.payload_json.as_str()).unwrap();
        let n = payload["n"].as_i64().unwrap();
        if n == 7 && !FAILED_ONCE.swap(true, Ordering::SeqCst) {
            failures.push(HookBatchFailure {
                index: index as u64,
                error: ModuleError::new(module_sdk::abi::ErrorKind::Failed, "not yet"),
            });
            continue;
        }
        RECEIVED.lock().push(n);
    }
    HookBatchOutcome { failures }
}

extern "C" fn unused_hook(_: RStr<'_>, _: RStr<'_>) -> RResult<(), ModuleError> {
    RResult::ROk(())
}

#[test]
fn an_overflowing_at_least_once_module_gets_every_event_from_the_outbox_and_retries() {
    let dir = tempfile::tempdir().unwrap();
    let db = paperclip_core::db::open_database(&dir.path().join("d.db").to_string_lossy()).unwrap();
    let bus = Arc::new(HookBus::new());
    let core = Core::new(db.clone(), Arc::clone(&bus));
    let settings = DeliverySettings {
        mode: DeliveryMode::AtLeastOnce,
        catch_up: false,
        max_attempts: 3,
        retry_backoff: Duration::from_millis(20),
    };
    let delivery =
        OutboxDelivery::open(&db, "slow", &[Hook::AgentCreated], settings, true).unwrap();
    let executor = ModuleExecutor::with_delivery(
        "slow",
        Arc::new(LibraryEntry::new(
            FakeModule::new()
                .on_hook(unused_hook)
                .on_hook_batch(slow_batch)
                .build(),
        )),
        IsolationLevel::Threaded,
        ExecutorSettings {
            hook_queue_capacity: 4,
            ..ExecutorSettings::default()
        },
        Arc::new(ModuleCounters::default()),
        Some(Arc::clone(&delivery)),
    );
    bus.subscribe_self_delivering(Arc::new(ExecutorHooks(Arc::clone(&executor))), &Hook::ALL);
    // A clock for retries and cursor saves, as the host has.
    let clock = super::ModuleClock::new();
    clock.add(&executor);

    const WRITES: i64 = 300;
    for n in 0..WRITES {
        core.write_blocking(move |_conn, pending| {
            pending.push(Hook::AgentCreated, json!({ "n": n }));
            // An event the module did not register only moves its cursor.
            pending.push(Hook::GoalCreated, json!({ "n": -1 }));
            Ok::<_, CoreError>(())
        })
        .unwrap();
    }
    let newest = WRITES * 2;
    let deadline = Instant::now() + Duration::from_secs(20);
    while delivery.position() < newest || RECEIVED.lock().len() < WRITES as usize {
        assert!(Instant::now() < deadline, "{:?}", delivery.status());
        std::thread::sleep(Duration::from_millis(5));
    }
    let received = RECEIVED.lock().clone();
    let mut sorted = received.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, (0..WRITES).collect::<Vec<_>>(), "every event, once");
    let without_retry: Vec<i64> = received.iter().copied().filter(|n| *n != 7).collect();
    assert!(
        without_retry.windows(2).all(|w| w[0] < w[1]),
        "in order: {received:?}"
    );
    let status = delivery.status();
    assert!(
        status.read_from_outbox > 0,
        "the queue overflowed: {status:?}"
    );
    assert_eq!(
        (status.recovered, status.dead_lettered),
        (1, 0),
        "{status:?}"
    );
    assert_eq!(executor.hook_stats().dropped, 0);
    clock.stop();
    executor.close(Duration::from_secs(1));
    delivery.finish(false);
}
