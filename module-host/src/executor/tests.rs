//! The executor against fake modules (plain `extern "C"` entry points): order and counting of
//! hooks, service schedules, capacity (503), time limits (504), stuck threads (`failed`), the
//! inline overrun switch, idle threads ending, and closing.

use super::*;
use crate::fake_module::{panic_error, FakeModule};
use crate::module_counters::ModuleCounters;
use crate::module_entry::LibraryEntry;
use crate::route_dispatcher::route_request;
use abi_stable::std_types::{RResult, RSlice, RStr, RString, RVec};
use module_sdk::abi::{
    HookBatchFailure, HookBatchItem, HookBatchOutcome, ModuleError, ModuleRoot_Ref, RouteRequest,
    RouteResponse, ServiceSpec,
};
use paperclip_core::hooks::{Hook, HookBus};
use paperclip_core::isolation_level::IsolationLevel;
use parking_lot::Mutex;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn executor(
    root: ModuleRoot_Ref,
    level: IsolationLevel,
    settings: ExecutorSettings,
) -> (Arc<ModuleExecutor>, Arc<ModuleCounters>) {
    let counters = Arc::new(ModuleCounters::default());
    let executor = ModuleExecutor::new(
        "fake",
        Arc::new(LibraryEntry::new(root)),
        level,
        settings,
        Arc::clone(&counters),
    );
    (executor, counters)
}

fn request(path: &str) -> RouteRequest {
    route_request("GET", path, "", std::iter::empty(), Vec::new())
}

fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Like [`eventually`], without blocking the runtime's thread (spawned calls must run).
async fn eventually_async(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn ok_response() -> RResult<RouteResponse, ModuleError> {
    RResult::ROk(RouteResponse {
        status: 200,
        headers: RVec::new(),
        body: RVec::new(),
    })
}

static SEEN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

extern "C" fn picky_hook(hook: RStr<'_>, payload: RStr<'_>) -> RResult<(), ModuleError> {
    SEEN.lock().push((hook.to_string(), payload.to_string()));
    if payload.as_str().contains("boom") {
        RResult::RErr(panic_error("hook exploded"))
    } else {
        RResult::ROk(())
    }
}

static BATCH_SIZES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// `picky_hook` for each event of a batch, as the SDK does; notes the batch size.
extern "C" fn picky_batch(events: RSlice<'_, HookBatchItem<'_>>) -> HookBatchOutcome {
    BATCH_SIZES.lock().push(events.len());
    let failures = events
        .iter()
        .enumerate()
        .filter_map(
            |(index, item)| match picky_hook(item.hook, item.payload_json) {
                RResult::ROk(()) => None,
                RResult::RErr(error) => Some(HookBatchFailure {
                    index: index as u64,
                    error,
                }),
            },
        )
        .collect();
    HookBatchOutcome { failures }
}

#[test]
fn hooks_arrive_in_emit_order_and_failures_are_counted_with_their_message() {
    let bus = HookBus::new();
    let (executor, counters) = executor(
        FakeModule::new()
            .on_hook(picky_hook)
            .on_hook_batch(picky_batch)
            .build(),
        IsolationLevel::Threaded,
        ExecutorSettings::default(),
    );
    let id = bus.subscribe_self_delivering(
        Arc::new(ExecutorHooks(Arc::clone(&executor))),
        &[Hook::AgentCreated],
    );
    for n in 0..50 {
        bus.emit(
            Hook::AgentCreated,
            &json!({"agent": {"id": format!("a{n}")}}),
        );
    }
    bus.emit(Hook::AgentCreated, &json!({"agent": {"id": "boom"}}));
    eventually("51 deliveries", || {
        let stats = bus.stats(id).unwrap();
        stats.delivered + stats.failures == 51
    });
    let stats = bus.stats(id).unwrap();
    assert_eq!((stats.delivered, stats.failures, stats.panics), (50, 1, 1));
    let seen = SEEN.lock().clone();
    let expected: Vec<String> = (0..50)
        .map(|n| format!(r#"{{"agent":{{"id":"a{n}"}}}}"#))
        .chain([r#"{"agent":{"id":"boom"}}"#.to_string()])
        .collect();
    assert_eq!(
        seen.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>(),
        expected
    );
    assert!(seen.iter().all(|(hook, _)| hook == "agent:created"));
    assert_eq!(
        counters.last_error().as_deref(),
        Some("hook agent:created: module panicked: hook exploded")
    );
    // Batched: the 51 events came in fewer calls, none over the batch limit.
    let sizes = BATCH_SIZES.lock().clone();
    assert_eq!(sizes.iter().sum::<usize>(), 51);
    assert!(sizes.iter().all(|n| *n <= MAX_HOOK_BATCH));
}

static SLOW_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static SLOW_MAX_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
static SLOW_RUNS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn slow_service(_: RStr<'_>) -> RResult<(), ModuleError> {
    let now = SLOW_IN_FLIGHT.fetch_add(1, Ordering::SeqCst) + 1;
    SLOW_MAX_IN_FLIGHT.fetch_max(now, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(120));
    SLOW_RUNS.fetch_add(1, Ordering::SeqCst);
    SLOW_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    RResult::ROk(())
}

fn spec(name: &str, interval_ms: u64) -> ServiceSpec {
    ServiceSpec {
        name: RString::from(name),
        interval_ms,
    }
}

#[test]
fn a_slow_service_never_overlaps_itself_and_skips_missed_ticks() {
    let clock = ModuleClock::new();
    let (executor, counters) = executor(
        FakeModule::new().run_service(slow_service).build(),
        IsolationLevel::Threaded,
        ExecutorSettings::default(),
    );
    executor.start_services(&[spec("tick", 20)]);
    assert_eq!(executor.service_names(), vec!["tick".to_string()]);
    clock.add(&executor);
    std::thread::sleep(Duration::from_millis(700));
    let left = executor.close(Duration::from_secs(5));
    assert!(left.is_empty(), "the run in progress is waited for");
    let runs = SLOW_RUNS.load(Ordering::SeqCst);
    assert_eq!(SLOW_MAX_IN_FLIGHT.load(Ordering::SeqCst), 1);
    // 700 ms of 120 ms runs on a 20 ms tick: about 5 runs, never the 35 ticks queued up.
    assert!((3..=7).contains(&runs), "{runs} runs");
    assert_eq!(counters.snapshot(None).service_runs, runs as u64);
    // Closed: no more runs.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(SLOW_RUNS.load(Ordering::SeqCst), runs);
    clock.stop();
}

static FAILING_RUNS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn failing_service(name: RStr<'_>) -> RResult<(), ModuleError> {
    FAILING_RUNS.fetch_add(1, Ordering::SeqCst);
    RResult::RErr(panic_error(&format!("{name} exploded")))
}

#[test]
fn service_failures_are_counted_and_the_schedule_goes_on() {
    let clock = ModuleClock::new();
    let (executor, counters) = executor(
        FakeModule::new().run_service(failing_service).build(),
        IsolationLevel::Threaded,
        ExecutorSettings::default(),
    );
    executor.start_services(&[spec("cleanup", 10)]);
    clock.add(&executor);
    eventually("three failed runs", || {
        FAILING_RUNS.load(Ordering::SeqCst) >= 3
    });
    executor.close(Duration::from_secs(5));
    let snapshot = counters.snapshot(None);
    assert!(snapshot.service_failures >= 3);
    assert_eq!(snapshot.service_failures, snapshot.service_runs);
    assert_eq!(
        counters.last_error().as_deref(),
        Some("service cleanup: module panicked: cleanup exploded")
    );
    clock.stop();
}

static HANG_RELEASE: Mutex<bool> = Mutex::new(false);
static HANG_ENTERED: AtomicUsize = AtomicUsize::new(0);

/// Hangs while `HANG_RELEASE` is false (at most 10 s).
extern "C" fn hanging_route(request: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
    if request.path.as_str() == "/hang" {
        HANG_ENTERED.fetch_add(1, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !*HANG_RELEASE.lock() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    ok_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_overdue_calls_504_and_all_threads_stuck_fail_the_module() {
    let (executor, _) = executor(
        FakeModule::new().handle_route(hanging_route).build(),
        IsolationLevel::Threaded,
        ExecutorSettings {
            max_concurrency: 2,
            queue_capacity: 1,
            route_timeout: Duration::from_millis(300),
            ..ExecutorSettings::default()
        },
    );
    // Two calls take both threads, one waits in the queue, the fourth is refused at once.
    let mut hung = Vec::new();
    for n in 1..=2 {
        let call = Arc::clone(&executor);
        hung.push(tokio::spawn(async move {
            call.call_route(request("/hang")).await
        }));
        eventually_async("the call to enter the module", || {
            HANG_ENTERED.load(Ordering::SeqCst) == n
        })
        .await;
    }
    let queued = {
        let executor = Arc::clone(&executor);
        tokio::spawn(async move { executor.call_route(request("/ok")).await })
    };
    eventually_async("the third call queued", || {
        executor.stats().queue_depth == 1
    })
    .await;
    let started = Instant::now();
    let refused = executor.call_route(request("/ok")).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(
        refused,
        CallRefusal::Unavailable {
            message: "module `fake` is at capacity: 2 calls running and 1 waiting".into(),
            retry_after: QUEUE_FULL_RETRY_AFTER,
        }
    );
    for call in hung {
        assert_eq!(
            call.await.unwrap().unwrap_err(),
            CallRefusal::TimedOut("module `fake` did not answer within 300 ms".into())
        );
    }
    assert!(matches!(
        queued.await.unwrap().unwrap_err(),
        CallRefusal::TimedOut(_)
    ));
    // Both threads are stuck past their limit: the module has failed, and says why.
    let stats = executor.stats();
    assert_eq!((stats.stuck, stats.in_flight, stats.rejected), (2, 2, 1));
    assert!(stats.timeouts >= 2);
    let failure = executor.failure().expect("the module failed");
    assert!(
        failure.starts_with(
            "all 2 call threads are stuck in calls that overran their limits (the oldest, route GET /hang"
        ),
        "{failure}"
    );
    assert!(matches!(
        executor.call_route(request("/ok")).await.unwrap_err(),
        CallRefusal::ModuleFailed(_)
    ));
    // The stuck calls return once released; the queued call that timed out is never run.
    *HANG_RELEASE.lock() = true;
    eventually_async("the stuck threads to return", || {
        executor.stats().in_flight == 0
    })
    .await;
    assert_eq!(executor.close(Duration::from_secs(1)), Vec::<String>::new());
}

extern "C" fn slow_inline_route(request: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
    if request.path.as_str() == "/slow" {
        std::thread::sleep(Duration::from_millis(120));
    }
    ok_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inline_overrun_is_answered_504_and_moves_the_module_to_threaded() {
    let (executor, _) = executor(
        FakeModule::new().handle_route(slow_inline_route).build(),
        IsolationLevel::Inline,
        ExecutorSettings {
            route_timeout: Duration::from_millis(50),
            ..ExecutorSettings::default()
        },
    );
    let ok = executor.call_route(request("/fast")).await.unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(executor.stats().threads, 0, "inline: no thread hand-off");
    assert_eq!(executor.level(), IsolationLevel::Inline);

    let late = executor.call_route(request("/slow")).await.unwrap_err();
    assert_eq!(
        late,
        CallRefusal::TimedOut("module `fake` did not answer within 50 ms".into())
    );
    assert_eq!(executor.level(), IsolationLevel::Threaded);
    assert_eq!(executor.stats().overruns, 1);
    let reason = executor.degradation().expect("degraded");
    assert!(
        reason.starts_with("an inline call (GET /slow) took 1")
            && reason.ends_with("new calls run threaded"),
        "{reason}"
    );
    // New calls run on the module's threads, under the limit.
    assert_eq!(
        executor.call_route(request("/fast")).await.unwrap().status,
        200
    );
    assert_eq!(executor.stats().threads, 1);
    let started = Instant::now();
    assert!(matches!(
        executor.call_route(request("/slow")).await.unwrap_err(),
        CallRefusal::TimedOut(_)
    ));
    assert!(started.elapsed() < Duration::from_millis(110));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_call_threads_end_and_closing_answers_503() {
    let (executor, _) = executor(
        FakeModule::new().build(),
        IsolationLevel::Threaded,
        ExecutorSettings {
            idle_keep: Duration::from_millis(100),
            ..ExecutorSettings::default()
        },
    );
    assert_eq!(executor.stats().threads, 0);
    executor.call_route(request("/")).await.unwrap();
    assert_eq!(executor.stats().threads, 1);
    eventually_async("the idle thread to end", || executor.stats().threads == 0).await;
    executor.call_route(request("/")).await.unwrap();
    assert!(executor.close(Duration::from_secs(1)).is_empty());
    assert!(executor.is_closed());
    assert!(matches!(
        executor.call_route(request("/")).await.unwrap_err(),
        CallRefusal::Unavailable { .. }
    ));
    eventually_async("the thread to end on close", || {
        executor.stats().threads == 0
    })
    .await;
}
