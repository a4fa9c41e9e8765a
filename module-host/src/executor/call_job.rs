//! The work a module's call threads take from its queue, and the record of a call in progress
//! that the overdue check reads.

use module_sdk::abi::{ModuleError, RouteRequest, RouteResponse};
use paperclip_core::hooks::HookEvent;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What a route call's waiter receives.
pub type RouteReply = Result<RouteResponse, ModuleError>;

/// One unit of work for a call thread.
pub enum CallJob {
    /// A route request; the answer goes back to the waiting HTTP handler.
    Route {
        /// The request.
        request: RouteRequest,
        /// Where the answer goes; closed when the waiter gave up (the job is then skipped).
        reply: oneshot::Sender<RouteReply>,
    },
    /// Hook events queued for the module, in emit order, delivered in one call when the
    /// module's ABI has `on_hook_batch` (hook calls run one at a time).
    Hooks(Vec<HookEvent>),
    /// One run of the named service.
    Service(String),
    /// Another attempt at a failed hook event (a hook call).
    Retry(super::outbox_delivery::RetryItem),
    /// Read the next undelivered events from the hook outbox into the hook queue (taken like a
    /// hook call: none runs meanwhile).
    ReadOutbox,
    /// Save the hook delivery cursor.
    SaveCursor,
}

/// What kind of call is running, for the overdue check and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A route call.
    Route,
    /// A hook call.
    Hook,
    /// A service run.
    Service,
}

/// A call in progress on one call thread.
pub struct RunningCall {
    /// What it is.
    pub kind: CallKind,
    /// What it is, in words ("route GET /sleep", "hook issue:created", "service tick").
    pub label: String,
    /// When it started.
    pub started: Instant,
    /// Its time limit.
    pub limit: Duration,
    /// Whether its overrun was counted already (by the overdue check or on return).
    pub overrun_counted: AtomicBool,
}

impl RunningCall {
    /// Whether it has run past its limit at `now`.
    pub fn overdue(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.started) > self.limit
    }
}
