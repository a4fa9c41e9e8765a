//! The capacity and time limits of one module's executor.

use std::time::Duration;

/// How many calls a module may run and queue, and how long each may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutorSettings {
    /// Calls running at once: the most call threads the module gets (`modules.maxConcurrency`).
    pub max_concurrency: usize,
    /// Route calls that may wait for a call thread; beyond, 503 (`modules.queueCapacity`).
    pub queue_capacity: usize,
    /// Hook events that may wait; beyond, they are dropped and counted.
    pub hook_queue_capacity: usize,
    /// Time limit of one route call, waiting included (`modules.routeTimeoutMs`).
    pub route_timeout: Duration,
    /// Time limit of one hook call (`modules.hookTimeoutMs`).
    pub hook_timeout: Duration,
    /// Time limit of one service run before its thread counts as stuck.
    pub service_timeout: Duration,
    /// How long an idle call thread waits for work before it ends (an idle module holds none).
    pub idle_keep: Duration,
}

impl Default for ExecutorSettings {
    fn default() -> ExecutorSettings {
        ExecutorSettings {
            max_concurrency: 4,
            queue_capacity: 64,
            hook_queue_capacity: 1024,
            route_timeout: Duration::from_secs(10),
            hook_timeout: Duration::from_secs(5),
            service_timeout: Duration::from_secs(60),
            idle_keep: Duration::from_secs(2),
        }
    }
}
