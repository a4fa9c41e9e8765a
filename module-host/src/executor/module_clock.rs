//! The host-wide clock of module executors: one thread for every module, that queues each
//! module's services when they are due and checks for calls running past their limits (stuck
//! threads, a module process to interrupt). Executors are held weakly: a module that goes
//! down drops out on its own.

use super::module_executor::ModuleExecutor;
use parking_lot::{Condvar, Mutex};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How often running calls are checked against their limits.
pub const OVERDUE_CHECK_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Default)]
struct ClockState {
    executors: Vec<Weak<ModuleExecutor>>,
    running: bool,
    stopped: bool,
}

/// The clock (see the module doc). Its thread starts with the first executor added.
#[derive(Default)]
pub struct ModuleClock {
    state: Mutex<ClockState>,
    wake: Condvar,
}

impl ModuleClock {
    /// A clock with no executors and no thread yet.
    pub fn new() -> Arc<ModuleClock> {
        Arc::new(ModuleClock::default())
    }

    /// Ticks `executor` from now on, until it is dropped.
    pub fn add(self: &Arc<Self>, executor: &Arc<ModuleExecutor>) {
        let mut state = self.state.lock();
        state.executors.push(Arc::downgrade(executor));
        if !state.running && !state.stopped {
            let clock = Arc::clone(self);
            match std::thread::Builder::new()
                .name("module-clock".to_string())
                .spawn(move || clock.run())
            {
                Ok(_) => state.running = true,
                Err(error) => tracing::error!(%error, "cannot start the module clock"),
            }
        }
        self.wake.notify_all();
    }

    /// Ends the clock's thread.
    pub fn stop(&self) {
        self.state.lock().stopped = true;
        self.wake.notify_all();
    }

    fn run(self: Arc<Self>) {
        loop {
            let executors: Vec<Arc<ModuleExecutor>> = {
                let mut state = self.state.lock();
                if state.stopped {
                    state.running = false;
                    return;
                }
                state.executors.retain(|e| e.strong_count() > 0);
                state.executors.iter().filter_map(Weak::upgrade).collect()
            };
            let now = Instant::now();
            let mut next = now + OVERDUE_CHECK_INTERVAL;
            for executor in &executors {
                if let Some(due) = executor.tick(now) {
                    next = next.min(due);
                }
            }
            drop(executors);
            let mut state = self.state.lock();
            if !state.stopped {
                self.wake.wait_until(&mut state, next);
            }
        }
    }
}
