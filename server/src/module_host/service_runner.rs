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
