//! Subscribers that run their own delivery: the bus hands them each event on the emitter's
//! thread and they must take it without blocking (queue it, or drop and count it). The module
//! host's per-module executor is one: a module's hooks share its call threads, queue and time
//! limits with its routes and services, instead of costing two threads of their own.

use super::hook_bus::{HookEvent, SubscriberStats};

/// A subscriber with its own queue and workers.
pub trait SelfDeliveringSubscriber: Send + Sync + 'static {
    /// Name used in logs and stats (e.g. the module id).
    fn name(&self) -> &str;
    /// Takes one event on the emitter's thread, never blocking: queue it, or count a drop.
    fn offer(&self, event: HookEvent);
    /// Its delivery counters, shown in the module's status.
    fn stats(&self) -> SubscriberStats;
    /// Delivery ends: later events are not offered, queued ones may be discarded.
    fn cancel(&self);
}
