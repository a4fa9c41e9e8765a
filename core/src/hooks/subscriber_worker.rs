//! The delivery machinery of one subscription: the worker thread that drains its bounded queue
//! in order, the call thread that runs the subscriber's handler, and the counters both keep.
//!
//! Two threads per subscription, because a handler (a blocking FFI call into a module) cannot be
//! interrupted: the *call thread* is the only place `deliver` ever runs, so a subscriber is never
//! called concurrently with itself and sees events in emit order; the *worker thread* hands it one
//! event at a time and waits with a time limit, so it can notice an overdue call, count it, and
//! keep draining the queue instead of letting it pile up behind a hung handler.

use super::hook_bus::{HookEvent, HookSubscriber, SubscriberStats};
use super::Hook;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// State of one subscription shared by the bus (which emits and reads stats), its worker thread
/// and its call thread. Holds no channel end, so keeping it alive never keeps a worker alive.
#[derive(Debug)]
pub(super) struct SubscriptionShared {
    /// The subscriber's name, copied once for logs.
    name: String,
    /// Set by unsubscribe and by dropping the bus: no call starts after it is seen, and events
    /// still queued are discarded.
    cancelled: AtomicBool,
    delivered: AtomicU64,
    failures: AtomicU64,
    timeouts: AtomicU64,
    dropped: AtomicU64,
    panics: AtomicU64,
}

impl SubscriptionShared {
    /// Fresh state with zeroed counters.
    pub(super) fn new(name: String) -> SubscriptionShared {
        SubscriptionShared {
            name,
            cancelled: AtomicBool::new(false),
            delivered: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            panics: AtomicU64::new(0),
        }
    }

    /// The subscriber's name.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Stops delivery: the worker ends at its next look at the queue.
    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// A snapshot of the counters (each read on its own; they may be a few events apart).
    pub(super) fn stats(&self) -> SubscriberStats {
        SubscriberStats {
            delivered: self.delivered.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            timeouts: self.timeouts.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            panics: self.panics.load(Ordering::Relaxed),
        }
    }

    /// Counts an event that was not delivered (full queue, or an overdue call still running).
    /// Logged only when the count reaches a power of two: a stuck subscriber on a busy server
    /// would otherwise write one warning per core write.
    pub(super) fn record_dropped(&self, hook: Hook) {
        let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        if dropped.is_power_of_two() {
            tracing::warn!(
                subscriber = %self.name,
                %hook,
                dropped,
                "hook event dropped: the subscriber is not keeping up"
            );
        }
    }

    fn record_timeout(&self, hook: Hook, limit: Duration) {
        self.timeouts.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            subscriber = %self.name,
            %hook,
            limit_ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX),
            "hook handler exceeded its time limit; events are dropped until it returns"
        );
    }

    fn record_outcome(&self, hook: Hook, outcome: thread::Result<Result<(), String>>) {
        match outcome {
            Ok(Ok(())) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(error)) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(subscriber = %self.name, %hook, %error, "hook handler failed");
            }
            Err(panic) => {
                self.panics.fetch_add(1, Ordering::Relaxed);
                self.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    subscriber = %self.name,
                    %hook,
                    panic = module_sdk::panic_text(panic.as_ref()).unwrap_or("non-string panic payload"),
                    "hook handler panicked"
                );
            }
        }
    }
}

/// Starts the worker and call threads of one subscription. The worker drains `queue` until
/// every sender is gone (unsubscribed, or the bus dropped) or `shared` is cancelled; the call
/// thread ends when the worker has ended and its current call, if any, has returned.
pub(super) fn spawn(
    subscriber: Arc<dyn HookSubscriber>,
    shared: Arc<SubscriptionShared>,
    queue: Receiver<HookEvent>,
    call_timeout: Duration,
) -> io::Result<()> {
    // Capacity 1 each way is enough: the worker hands over an event only once the previous call
    // has reported back, so neither send can ever block.
    let (calls_tx, calls_rx) = mpsc::sync_channel::<HookEvent>(1);
    let (done_tx, done_rx) = mpsc::sync_channel::<()>(1);

    let call_shared = Arc::clone(&shared);
    thread::Builder::new()
        .name(format!("hook-call:{}", shared.name()))
        .spawn(move || run_calls(subscriber.as_ref(), &call_shared, calls_rx, done_tx))?;
    // If this spawn fails, `calls_tx` is dropped here and the call thread ends on its own.
    thread::Builder::new()
        .name(format!("hook-worker:{}", shared.name()))
        .spawn(move || run_worker(&shared, queue, calls_tx, done_rx, call_timeout))?;
    Ok(())
}

/// The worker loop. At most one call is ever in flight: after a call overruns `call_timeout`
/// it is counted as a timeout and left running ("overdue"), and every event taken from the
/// queue while it still runs is counted as dropped, so a hung handler costs one blocked
/// thread and an empty queue, never a growing backlog. Once it returns, delivery resumes.
fn run_worker(
    shared: &SubscriptionShared,
    queue: Receiver<HookEvent>,
    calls: SyncSender<HookEvent>,
    done: Receiver<()>,
    call_timeout: Duration,
) {
    let mut overdue = false;
    while let Ok(event) = queue.recv() {
        if shared.is_cancelled() {
            break;
        }
        if overdue {
            match done.try_recv() {
                Ok(()) => overdue = false,
                Err(TryRecvError::Empty) => {
                    shared.record_dropped(event.hook);
                    continue;
                }
                Err(TryRecvError::Disconnected) => break,
            }
        }
        let hook = event.hook;
        if calls.send(event).is_err() {
            break;
        }
        match done.recv_timeout(call_timeout) {
            Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => {
                shared.record_timeout(hook, call_timeout);
                overdue = true;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    // Returning drops `queue` (discarding what is still queued) and `calls`, which ends the
    // call thread once its current call, if any, returns.
}

/// The call loop: the only place `deliver` runs. Records each call's outcome itself, so a call
/// that overran its time limit is still counted (delivered, failed or panicked) when it returns.
fn run_calls(
    subscriber: &dyn HookSubscriber,
    shared: &SubscriptionShared,
    calls: Receiver<HookEvent>,
    done: SyncSender<()>,
) {
    while let Ok(event) = calls.recv() {
        // Checked again here because unsubscribe may have happened while the event was handed
        // over; this narrows the window in which a call can start after unsubscribe returned.
        if shared.is_cancelled() {
            break;
        }
        // A panicking handler must not take the subscription down: the panic is contained to
        // this call, and `deliver` takes `&self`, so there is no half-updated state of ours to
        // observe afterwards (the subscriber's own state is its business, as with any error).
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| subscriber.deliver(&event)));
        shared.record_outcome(event.hook, outcome);
        if done.send(()).is_err() {
            break;
        }
    }
}
