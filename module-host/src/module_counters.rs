//! Per-module counters of calls into the module, kept for the life of the process (across
//! disable/enable) and shown in the admin API. Route and service counters are counted here;
//! hook counters come from the hook bus subscription, and are folded in here when the
//! subscription ends so they are not lost on disable.

use paperclip_core::hooks::SubscriberStats;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one module. Shared (`Arc`) by the route table and the module's executor
/// (hooks, services).
#[derive(Debug, Default)]
pub struct ModuleCounters {
    route_calls: AtomicU64,
    route_errors: AtomicU64,
    service_runs: AtomicU64,
    service_failures: AtomicU64,
    /// Hook counters of subscriptions that have ended.
    retired_hooks: Mutex<SubscriberStats>,
    /// The last error a call into the module reported, for the status reason.
    last_error: Mutex<Option<String>>,
}

/// The counters as shown in the API (`counters` of a module).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CounterSnapshot {
    /// Hook calls that returned (successfully or not).
    pub hook_calls: u64,
    /// Hook calls that returned an error or panicked.
    pub hook_failures: u64,
    /// Hook calls that overran `hookTimeoutMs`.
    pub hook_timeouts: u64,
    /// Hook events never delivered (queue full, or a timed-out call still running).
    pub hook_drops: u64,
    /// Route requests handed to the module.
    pub route_calls: u64,
    /// Route requests that failed in the module (error, panic, time-out).
    pub route_errors: u64,
    /// Service runs started.
    pub service_runs: u64,
    /// Service runs that returned an error or panicked.
    pub service_failures: u64,
}

impl ModuleCounters {
    /// Counts a route request handed to the module.
    pub fn route_called(&self) {
        self.route_calls.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed route request and remembers why.
    pub fn route_failed(&self, error: String) {
        self.route_errors.fetch_add(1, Ordering::Relaxed);
        self.record_error(error);
    }

    /// Counts a service run.
    pub fn service_ran(&self) {
        self.service_runs.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed service run and remembers why.
    pub fn service_failed(&self, error: String) {
        self.service_failures.fetch_add(1, Ordering::Relaxed);
        self.record_error(error);
    }

    /// Remembers the latest error of a call into the module (hook failures are counted by the
    /// hook bus; their messages come through here).
    pub fn record_error(&self, error: String) {
        *self.last_error.lock() = Some(error);
    }

    /// The latest error of a call into the module.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().clone()
    }

    /// Adds the final counters of an ended hook subscription.
    pub fn retire_hook_stats(&self, stats: &SubscriberStats) {
        let mut retired = self.retired_hooks.lock();
        retired.delivered += stats.delivered;
        retired.failures += stats.failures;
        retired.timeouts += stats.timeouts;
        retired.dropped += stats.dropped;
        retired.panics += stats.panics;
    }

    /// The counters now, adding `live_hooks` (the stats of the current subscription, if any).
    pub fn snapshot(&self, live_hooks: Option<&SubscriberStats>) -> CounterSnapshot {
        let retired = self.retired_hooks.lock().clone();
        let live = live_hooks.cloned().unwrap_or_default();
        let delivered = retired.delivered + live.delivered;
        let failures = retired.failures + live.failures;
        CounterSnapshot {
            hook_calls: delivered + failures,
            hook_failures: failures,
            hook_timeouts: retired.timeouts + live.timeouts,
            hook_drops: retired.dropped + live.dropped,
            route_calls: self.route_calls.load(Ordering::Relaxed),
            route_errors: self.route_errors.load(Ordering::Relaxed),
            service_runs: self.service_runs.load(Ordering::Relaxed),
            service_failures: self.service_failures.load(Ordering::Relaxed),
        }
    }
}

impl CounterSnapshot {
    /// What went wrong between `since` and now, as a phrase ("2 hook failures, 1 route
    /// error"), or `None` when nothing did.
    pub fn trouble_since(&self, since: &CounterSnapshot) -> Option<String> {
        let parts: Vec<String> = [
            (
                self.hook_failures.saturating_sub(since.hook_failures),
                "hook failure",
            ),
            (
                self.hook_timeouts.saturating_sub(since.hook_timeouts),
                "hook time-out",
            ),
            (
                self.hook_drops.saturating_sub(since.hook_drops),
                "dropped hook event",
            ),
            (
                self.route_errors.saturating_sub(since.route_errors),
                "route error",
            ),
            (
                self.service_failures.saturating_sub(since.service_failures),
                "service failure",
            ),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}{}", if n == 1 { "" } else { "s" }))
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_stats_survive_the_end_of_a_subscription() {
        let counters = ModuleCounters::default();
        let first = SubscriberStats {
            delivered: 3,
            failures: 1,
            timeouts: 1,
            dropped: 2,
            panics: 1,
        };
        counters.retire_hook_stats(&first);
        let live = SubscriberStats {
            delivered: 2,
            ..SubscriberStats::default()
        };
        let snapshot = counters.snapshot(Some(&live));
        assert_eq!(snapshot.hook_calls, 6);
        assert_eq!(snapshot.hook_failures, 1);
        assert_eq!(snapshot.hook_timeouts, 1);
        assert_eq!(snapshot.hook_drops, 2);
    }

    #[test]
    fn trouble_is_what_happened_since_the_baseline() {
        let counters = ModuleCounters::default();
        counters.route_called();
        counters.route_failed("boom".into());
        let baseline = counters.snapshot(None);
        assert_eq!(counters.snapshot(None).trouble_since(&baseline), None);
        counters.route_called();
        counters.route_failed("again".into());
        counters.service_ran();
        counters.service_failed("svc".into());
        counters.service_ran();
        counters.service_failed("svc".into());
        let now = counters.snapshot(None);
        assert_eq!(now.route_calls, 2);
        assert_eq!(
            now.trouble_since(&baseline).as_deref(),
            Some("1 route error, 2 service failures")
        );
        assert_eq!(counters.last_error().as_deref(), Some("svc"));
    }
}
