//! What the admin API shows of a module's executor: one capacity budget for its routes, hooks
//! and services.

use paperclip_core::isolation_level::IsolationLevel;
use serde::{Deserialize, Serialize};

/// The executor of one running module, as the admin API shows it (`executor`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorStats {
    /// The level calls run at now (an `inline` module that overran runs `threaded`).
    pub level: IsolationLevel,
    /// Calls it may run at once.
    pub max_concurrency: usize,
    /// Route calls that may wait.
    pub queue_capacity: usize,
    /// Route calls waiting now.
    pub queue_depth: usize,
    /// Hook events waiting now.
    pub hook_queue_depth: usize,
    /// Calls running now (routes, hooks, services).
    pub in_flight: usize,
    /// Running calls past their time limit (their threads are stuck until they return).
    pub stuck: usize,
    /// Call threads alive now (0 when idle).
    pub threads: usize,
    /// Calls finished since the module came up.
    pub completed: u64,
    /// Route calls refused with 503: the queue was full, or the module process was restarting.
    pub rejected: u64,
    /// Route calls answered 504 because the module did not answer in time.
    pub timeouts: u64,
    /// Inline calls that overran their limit (each switches the module to `threaded`).
    pub overruns: u64,
    /// Times a module process was interrupted (killed and restarted) for an overdue call.
    pub interrupts: u64,
}
