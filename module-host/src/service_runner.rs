//! Background services of a module: each `ServiceSpec` runs every `interval_ms` on its own
//! thread, so a run never overlaps the previous one; ticks that pass while a run is still going
//! are skipped, not queued. Errors and panics (caught by the SDK) are counted and logged.
//! Stopping signals every service and waits for the running ones, up to a bound: a service
//! that never returns is left behind (its thread ends when the call returns) rather than
//! holding up a disable or a shutdown.

use super::module_calls::describe_module_error;
use super::module_counters::ModuleCounters;
use abi_stable::std_types::RStr;
use module_sdk::abi::{ModuleRoot_Ref, ServiceSpec};
use parking_lot::{Condvar, Mutex};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a disable or shutdown waits for running services.
pub const SERVICE_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// The stop signal shared with the service threads.
#[derive(Default)]
struct StopSignal {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl StopSignal {
    /// Sleeps until `deadline` or until stopped; returns whether stopped.
    fn sleep_until(&self, deadline: Instant) -> bool {
        let mut stopped = self.stopped.lock();
        while !*stopped {
            if self.wake.wait_until(&mut stopped, deadline).timed_out() {
                break;
            }
        }
        *stopped
    }

    fn stop(&self) {
        *self.stopped.lock() = true;
        self.wake.notify_all();
    }
}

/// One running service thread.
struct RunningService {
    name: String,
    /// Disconnected when the thread ends.
    ended: mpsc::Receiver<()>,
}

/// The services of one active module.
pub struct ServiceRunner {
    module_id: String,
    signal: Arc<StopSignal>,
    services: Vec<RunningService>,
}

impl ServiceRunner {
    /// Starts every service of `specs` for the module (first run one interval from now).
    pub fn start(
        module_id: &str,
        root: ModuleRoot_Ref,
        specs: &[ServiceSpec],
        counters: &Arc<ModuleCounters>,
    ) -> Result<ServiceRunner, String> {
        let signal = Arc::new(StopSignal::default());
        let mut runner = ServiceRunner {
            module_id: module_id.to_string(),
            signal: Arc::clone(&signal),
            services: Vec::new(),
        };
        for spec in specs {
            let name = spec.name.to_string();
            let interval = Duration::from_millis(spec.interval_ms.max(1));
            let (ended_tx, ended) = mpsc::channel::<()>();
            let worker = ServiceWorker {
                module_id: module_id.to_string(),
                name: name.clone(),
                interval,
                root,
                counters: Arc::clone(counters),
                signal: Arc::clone(&signal),
            };
            let spawned = std::thread::Builder::new()
                .name(format!("module-service-{module_id}-{name}"))
                .spawn(move || {
                    worker.run();
                    drop(ended_tx);
                });
            if let Err(e) = spawned {
                runner.stop(SERVICE_STOP_TIMEOUT);
                return Err(format!("cannot start service `{name}`: {e}"));
            }
            runner.services.push(RunningService { name, ended });
        }
        Ok(runner)
    }

    /// Names of the services.
    pub fn names(&self) -> Vec<String> {
        self.services.iter().map(|s| s.name.clone()).collect()
    }

    /// Stops every service and waits for running ones, at most `bound` in total. Returns the
    /// names of services still running when the bound ran out.
    pub fn stop(&mut self, bound: Duration) -> Vec<String> {
        self.signal.stop();
        let deadline = Instant::now() + bound;
        let mut still_running = Vec::new();
        for service in self.services.drain(..) {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Err(mpsc::RecvTimeoutError::Timeout) = service.ended.recv_timeout(left) {
                still_running.push(service.name);
            }
        }
        if !still_running.is_empty() {
            tracing::warn!(module = %self.module_id, services = ?still_running, "module services did not stop in time; left running until their call returns");
        }
        still_running
    }
}

impl Drop for ServiceRunner {
    /// A runner dropped without `stop` still signals its threads to end.
    fn drop(&mut self) {
        self.signal.stop();
    }
}

/// The loop of one service thread.
struct ServiceWorker {
    module_id: String,
    name: String,
    interval: Duration,
    root: ModuleRoot_Ref,
    counters: Arc<ModuleCounters>,
    signal: Arc<StopSignal>,
}

impl ServiceWorker {
    fn run(self) {
        let mut next = Instant::now() + self.interval;
        loop {
            if self.signal.sleep_until(next) {
                return;
            }
            self.run_once();
            // Skip the ticks that passed while the run was going: the next run is the first
            // tick still ahead.
            let now = Instant::now();
            if next <= now {
                let behind = now.duration_since(next).as_nanos();
                let step = self.interval.as_nanos().max(1);
                let skipped = u32::try_from(behind / step + 1).unwrap_or(u32::MAX);
                next += self.interval.saturating_mul(skipped);
            }
        }
    }

    fn run_once(&self) {
        self.counters.service_ran();
        let run_service = self.root.run_service();
        if let Err(error) = run_service(RStr::from_str(&self.name)).into_result() {
            let message = format!("service {}: {}", self.name, describe_module_error(&error));
            tracing::warn!(module = %self.module_id, service = %self.name, error = %message, "module service failed");
            self.counters.service_failed(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_module::{panic_error, FakeModule};
    use abi_stable::std_types::{RResult, RString};
    use module_sdk::abi::ModuleError;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn spec(name: &str, interval_ms: u64) -> ServiceSpec {
        ServiceSpec {
            name: RString::from(name),
            interval_ms,
        }
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

    #[test]
    fn a_slow_service_never_overlaps_itself_and_skips_missed_ticks() {
        let counters = Arc::new(ModuleCounters::default());
        let root = FakeModule::new().run_service(slow_service).build();
        let mut runner =
            ServiceRunner::start("slow", root, &[spec("tick", 20)], &counters).unwrap();
        assert_eq!(runner.names(), vec!["tick".to_string()]);
        std::thread::sleep(Duration::from_millis(700));
        let left = runner.stop(Duration::from_secs(5));
        assert!(left.is_empty(), "the run in progress is waited for");
        let runs = SLOW_RUNS.load(Ordering::SeqCst);
        assert_eq!(SLOW_MAX_IN_FLIGHT.load(Ordering::SeqCst), 1);
        // 700 ms of 120 ms runs on a 20 ms tick: about 5 runs, never the 35 ticks queued up.
        assert!((3..=7).contains(&runs), "{runs} runs");
        assert_eq!(counters.snapshot(None).service_runs, runs as u64);
        // Stopped: no more runs.
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(SLOW_RUNS.load(Ordering::SeqCst), runs);
    }

    static FAILING_RUNS: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn failing_service(name: RStr<'_>) -> RResult<(), ModuleError> {
        FAILING_RUNS.fetch_add(1, Ordering::SeqCst);
        RResult::RErr(panic_error(&format!("{name} exploded")))
    }

    #[test]
    fn failures_are_counted_and_the_schedule_goes_on() {
        let counters = Arc::new(ModuleCounters::default());
        let root = FakeModule::new().run_service(failing_service).build();
        let mut runner =
            ServiceRunner::start("flaky", root, &[spec("cleanup", 10)], &counters).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while FAILING_RUNS.load(Ordering::SeqCst) < 3 {
            assert!(
                Instant::now() < deadline,
                "the service stopped after a failure"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        runner.stop(Duration::from_secs(5));
        let snapshot = counters.snapshot(None);
        assert!(snapshot.service_failures >= 3);
        assert_eq!(snapshot.service_failures, snapshot.service_runs);
        assert_eq!(
            counters.last_error().as_deref(),
            Some("service cleanup: module panicked: cleanup exploded")
        );
    }

    static HUNG_ENTERED: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn hung_service(_: RStr<'_>) -> RResult<(), ModuleError> {
        HUNG_ENTERED.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(3));
        RResult::ROk(())
    }

    #[test]
    fn stopping_waits_only_up_to_its_bound() {
        let counters = Arc::new(ModuleCounters::default());
        let root = FakeModule::new().run_service(hung_service).build();
        let mut runner =
            ServiceRunner::start("hung", root, &[spec("stuck", 1)], &counters).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while HUNG_ENTERED.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the service never ran");
            std::thread::sleep(Duration::from_millis(5));
        }
        let started = Instant::now();
        let left = runner.stop(Duration::from_millis(100));
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(left, vec!["stuck".to_string()]);
    }
}
