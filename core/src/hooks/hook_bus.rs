//! The hook bus: fans each post-commit event out to its subscribers without ever making the
//! write that caused it wait.
//!
//! - **Registry.** One copy-on-write list per hook (`RwLock<Arc<[subscription]>>`): `emit` takes
//!   a read lock just long enough to clone an `Arc`, while subscribe and unsubscribe (rare)
//!   rebuild the lists of the hooks they touch. A hook nobody listens to costs one read lock and
//!   no serialization at all.
//! - **Payload.** Serialized to JSON once per emit into an `Arc<str>`; every subscriber gets the
//!   same read-only string.
//! - **Queues.** Each subscription has its own bounded queue (`queue_capacity`, default 1024).
//!   `emit` only `try_send`s: a full queue counts the event as `dropped` for that subscriber and
//!   the emitter moves on.
//! - **Workers.** Each subscription has a worker thread that drains its queue in emit order and a
//!   call thread that runs `deliver`, one event at a time (see `subscriber_worker`). A slow or
//!   hung subscriber therefore delays only itself.
//! - **Time limits.** The worker waits `call_timeout` (default 5 s) for each call. A call that
//!   overruns is counted in `timeouts` and left running; until it returns, events taken from the
//!   queue are counted as `dropped` rather than delivered late, so a hung handler holds one
//!   thread and never a growing backlog. When it returns, delivery resumes with the next event.
//! - **Counters.** `delivered` (returned `Ok`), `failures` (returned `Err`, or panicked),
//!   `panics` (caught with `catch_unwind`; the worker keeps going), `timeouts`, `dropped`. A call
//!   that timed out is also counted by its outcome once it returns.
//! - **Ending.** Unsubscribing or dropping the bus removes the subscription, discards its queued
//!   events and ends its worker without waiting for a running call; the call thread ends when
//!   that call returns, releasing its `Arc` of the subscriber.

use super::hook::hook_index;
use super::hook_outbox::RecordedEvent;
use super::self_delivering::SelfDeliveringSubscriber;
use super::subscriber_worker::{self, SubscriptionShared};
use super::Hook;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One emitted event as a subscriber receives it. Cheap to clone: the payload is shared.
#[derive(Debug, Clone)]
pub struct HookEvent {
    /// Which hook fired.
    pub hook: Hook,
    /// The payload as JSON text, serialized once per emit and shared read-only by all
    /// subscribers.
    pub payload: Arc<str>,
    /// When the core emitted it (after the commit); lets a subscriber see its queueing delay.
    pub emitted_at: Instant,
    /// Its position in the hook outbox (`hook_outbox.seq`); `None` for an event that is not
    /// recorded there (`server:started`, events emitted with [`HookBus::emit`]).
    pub seq: Option<i64>,
    /// Its `eventId`, also the payload's top-level `"eventId"`; `None` when `seq` is.
    pub event_id: Option<Arc<str>>,
}

/// Something that receives hook events: an in-process Rust listener, or the module host's
/// adapter that calls a native module's `on_hook`.
pub trait HookSubscriber: Send + Sync + 'static {
    /// Name used in logs and stats (e.g. the module id).
    fn name(&self) -> &str;
    /// Handles one event; called on the subscriber's own worker thread, never on the emitter's.
    fn deliver(&self, event: &HookEvent) -> Result<(), String>;
}

/// Identifies one subscription, for [`HookBus::unsubscribe`] and [`HookBus::stats`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubscriptionId(u64);

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subscription#{}", self.0)
    }
}

/// How one subscription is delivered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscriptionOptions {
    /// Events that may wait for the subscriber before new ones are dropped (default 1024;
    /// 0 is taken as 1).
    pub queue_capacity: usize,
    /// Time limit of one `deliver` call before it counts as a timeout (default 5 s).
    pub call_timeout: Duration,
}

impl Default for SubscriptionOptions {
    fn default() -> SubscriptionOptions {
        SubscriptionOptions {
            queue_capacity: 1024,
            call_timeout: Duration::from_secs(5),
        }
    }
}

/// Counters of one subscription, shown in a module's status.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriberStats {
    /// Calls that returned `Ok`.
    pub delivered: u64,
    /// Calls that returned `Err` or panicked.
    pub failures: u64,
    /// Calls that overran the time limit.
    pub timeouts: u64,
    /// Events never delivered: the queue was full, or an overdue call was still running.
    pub dropped: u64,
    /// Calls that panicked (also counted in `failures`).
    pub panics: u64,
}

/// The bus side of one subscription: the sending end of its queue plus its shared state.
/// Dropping the last one (registry and any in-flight emit) closes the queue, which ends the
/// worker.
struct Subscription {
    hooks: Vec<Hook>,
    delivery: Delivery,
}

/// Who delivers a subscription's events.
enum Delivery {
    /// The bus's own queue and worker threads.
    Worker {
        queue: SyncSender<HookEvent>,
        shared: Arc<SubscriptionShared>,
    },
    /// The subscriber itself.
    SelfDelivering(Arc<dyn SelfDeliveringSubscriber>),
}

impl Subscription {
    /// Queues `event` without blocking; a full queue counts a drop.
    fn offer(&self, event: HookEvent) {
        match &self.delivery {
            Delivery::Worker { queue, shared } => match queue.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => shared.record_dropped(event.hook),
                // The worker has ended (unsubscribed concurrently with this emit): nothing to
                // count.
                Err(TrySendError::Disconnected(_)) => {}
            },
            Delivery::SelfDelivering(subscriber) => subscriber.offer(event),
        }
    }

    fn name(&self) -> &str {
        match &self.delivery {
            Delivery::Worker { shared, .. } => shared.name(),
            Delivery::SelfDelivering(subscriber) => subscriber.name(),
        }
    }

    fn stats(&self) -> SubscriberStats {
        match &self.delivery {
            Delivery::Worker { shared, .. } => shared.stats(),
            Delivery::SelfDelivering(subscriber) => subscriber.stats(),
        }
    }

    fn cancel(&self) {
        match &self.delivery {
            Delivery::Worker { shared, .. } => shared.cancel(),
            Delivery::SelfDelivering(subscriber) => subscriber.cancel(),
        }
    }
}

/// Subscribers of one hook, replaced whole on change so `emit` reads it with one `Arc` clone.
type SubscriberList = Arc<[Arc<Subscription>]>;

/// Delivers hook events to subscribers, each on its own queue and worker (see the module doc).
/// Shared as `Arc<HookBus>`; dropping it ends every worker.
pub struct HookBus {
    /// Per hook, indexed by [`Hook::index`]: the hot-path view read by `emit`.
    by_hook: [RwLock<SubscriberList>; Hook::ALL.len()],
    /// Every live subscription by id. Its lock also serializes subscribe/unsubscribe, so the
    /// per-hook lists are never rebuilt from a stale copy.
    subscriptions: Mutex<HashMap<SubscriptionId, Arc<Subscription>>>,
    next_id: AtomicU64,
}

impl HookBus {
    /// A bus with no subscribers.
    pub fn new() -> HookBus {
        HookBus {
            by_hook: std::array::from_fn(|_| RwLock::new(empty_list())),
            subscriptions: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Hands `payload` for `hook` to every subscriber of that hook and returns at once: never
    /// blocks on a subscriber, serializes the payload once (and not at all when nobody listens).
    /// For events outside the hook outbox (`server:started`); a core write's events go through
    /// [`HookBus::emit_recorded`].
    pub fn emit(&self, hook: Hook, payload: &serde_json::Value) {
        self.fan_out(hook, || HookEvent {
            hook,
            payload: Arc::from(payload.to_string()),
            emitted_at: Instant::now(),
            seq: None,
            event_id: None,
        });
    }

    /// Hands an event recorded in the hook outbox to every subscriber of its hook, like
    /// [`HookBus::emit`], with its `seq` and `event_id`. Call only after its write committed.
    pub fn emit_recorded(&self, event: RecordedEvent) {
        let hook = event.hook;
        self.fan_out(hook, || HookEvent {
            hook,
            payload: event.payload,
            emitted_at: Instant::now(),
            seq: Some(event.seq),
            event_id: Some(event.event_id),
        });
    }

    /// Offers the event `make` builds to every subscriber of `hook`; builds nothing when nobody
    /// listens.
    fn fan_out(&self, hook: Hook, make: impl FnOnce() -> HookEvent) {
        let subscribers = {
            let list = self.by_hook[hook_index(hook)].read();
            if list.is_empty() {
                return;
            }
            Arc::clone(&list)
        };
        let event = make();
        for subscription in subscribers.iter() {
            subscription.offer(event.clone());
        }
    }

    /// Starts delivering `hooks` (duplicates ignored) to `subscriber` on a new worker, until
    /// [`HookBus::unsubscribe`] or the bus is dropped.
    ///
    /// # Panics
    /// If the operating system refuses to start the subscription's two threads, as
    /// `std::thread::spawn` does.
    pub fn subscribe(
        &self,
        subscriber: Arc<dyn HookSubscriber>,
        hooks: &[Hook],
        options: SubscriptionOptions,
    ) -> SubscriptionId {
        let mut hooks = hooks.to_vec();
        hooks.sort_unstable();
        hooks.dedup();

        let shared = Arc::new(SubscriptionShared::new(subscriber.name().to_owned()));
        let (queue, inbox) = mpsc::sync_channel(options.queue_capacity.max(1));
        if let Err(error) =
            subscriber_worker::spawn(subscriber, Arc::clone(&shared), inbox, options.call_timeout)
        {
            panic!("cannot start the hook worker of {}: {error}", shared.name());
        }

        self.register(Subscription {
            hooks,
            delivery: Delivery::Worker { queue, shared },
        })
    }

    /// Starts handing `hooks` (duplicates ignored) to `subscriber`, which queues and delivers
    /// them itself (no thread of the bus's), until [`HookBus::unsubscribe`] or the bus is
    /// dropped.
    pub fn subscribe_self_delivering(
        &self,
        subscriber: Arc<dyn SelfDeliveringSubscriber>,
        hooks: &[Hook],
    ) -> SubscriptionId {
        let mut hooks = hooks.to_vec();
        hooks.sort_unstable();
        hooks.dedup();
        self.register(Subscription {
            hooks,
            delivery: Delivery::SelfDelivering(subscriber),
        })
    }

    /// Adds a subscription to the registry and the lists of its hooks.
    fn register(&self, subscription: Subscription) -> SubscriptionId {
        let id = SubscriptionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let subscription = Arc::new(subscription);
        let mut subscriptions = self.subscriptions.lock();
        for hook in &subscription.hooks {
            let mut list = self.by_hook[hook_index(*hook)].write();
            let mut updated = list.to_vec();
            updated.push(Arc::clone(&subscription));
            *list = updated.into();
        }
        subscriptions.insert(id, subscription);
        id
    }

    /// Stops delivery to `id` at once: it gets no later events, its queued events are discarded
    /// and its worker ends. Does not wait for a call already running (it may be hung); that call
    /// finishes on its own. Unknown ids are ignored.
    pub fn unsubscribe(&self, id: SubscriptionId) {
        let mut subscriptions = self.subscriptions.lock();
        let Some(subscription) = subscriptions.remove(&id) else {
            return;
        };
        subscription.cancel();
        for hook in &subscription.hooks {
            let mut list = self.by_hook[hook_index(*hook)].write();
            let updated: Vec<_> = list
                .iter()
                .filter(|other| !Arc::ptr_eq(other, &subscription))
                .cloned()
                .collect();
            *list = updated.into();
        }
        // Dropping the last `Arc<Subscription>` (here, or at the end of an emit that took its
        // snapshot just before) closes the queue, which wakes and ends an idle worker.
    }

    /// Counters of a live subscription; `None` once unsubscribed or for an unknown id.
    pub fn stats(&self, id: SubscriptionId) -> Option<SubscriberStats> {
        self.subscriptions
            .lock()
            .get(&id)
            .map(|subscription| subscription.stats())
    }

    /// How many subscriptions currently receive `hook`.
    pub fn subscriber_count(&self, hook: Hook) -> usize {
        self.by_hook[hook_index(hook)].read().len()
    }
}

impl Default for HookBus {
    fn default() -> HookBus {
        HookBus::new()
    }
}

impl fmt::Debug for HookBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subscriptions = self.subscriptions.lock();
        let mut names: Vec<&str> = subscriptions.values().map(|s| s.name()).collect();
        names.sort_unstable();
        f.debug_struct("HookBus")
            .field("subscribers", &names)
            .finish()
    }
}

impl Drop for HookBus {
    /// Cancels every subscription so queued events are discarded; dropping the fields then
    /// closes every queue, which ends the workers.
    fn drop(&mut self) {
        for subscription in self.subscriptions.get_mut().values() {
            subscription.cancel();
        }
    }
}

fn empty_list() -> SubscriberList {
    Arc::from(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::mpsc::{Receiver, Sender};
    use std::thread;

    /// Upper bound for anything the tests wait for; reached only when something is broken.
    const PATIENCE: Duration = Duration::from_secs(10);

    /// Polls `condition` until it holds, failing the test after [`PATIENCE`].
    fn eventually(what: &str, condition: impl Fn() -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !condition() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Forwards every event it gets to a channel the test reads.
    struct Recorder {
        name: String,
        events: Mutex<Sender<HookEvent>>,
    }

    impl Recorder {
        fn new(name: &str) -> (Arc<Recorder>, Receiver<HookEvent>) {
            let (tx, rx) = mpsc::channel();
            let recorder = Recorder {
                name: name.to_owned(),
                events: Mutex::new(tx),
            };
            (Arc::new(recorder), rx)
        }
    }

    impl HookSubscriber for Recorder {
        fn name(&self) -> &str {
            &self.name
        }

        fn deliver(&self, event: &HookEvent) -> Result<(), String> {
            // The test may have stopped listening; that is not the subscriber's failure.
            let _ = self.events.lock().send(event.clone());
            Ok(())
        }
    }

    /// Announces each call on `entered`, then blocks until the test sends on (or drops) `gate`.
    struct Gated {
        entered: Mutex<Sender<HookEvent>>,
        gate: Mutex<Receiver<()>>,
    }

    impl Gated {
        fn new() -> (Arc<Gated>, Receiver<HookEvent>, Sender<()>) {
            let (entered_tx, entered_rx) = mpsc::channel();
            let (gate_tx, gate_rx) = mpsc::channel();
            let gated = Gated {
                entered: Mutex::new(entered_tx),
                gate: Mutex::new(gate_rx),
            };
            (Arc::new(gated), entered_rx, gate_tx)
        }
    }

    impl HookSubscriber for Gated {
        fn name(&self) -> &str {
            "gated"
        }

        fn deliver(&self, event: &HookEvent) -> Result<(), String> {
            let _ = self.entered.lock().send(event.clone());
            // A closed gate (test over) releases the call too.
            let _ = self.gate.lock().recv();
            Ok(())
        }
    }

    /// Fails on `{"fail": true}`, panics on `{"panic": true}`, records anything else.
    struct Flaky {
        recorder: Arc<Recorder>,
    }

    impl HookSubscriber for Flaky {
        fn name(&self) -> &str {
            "flaky"
        }

        fn deliver(&self, event: &HookEvent) -> Result<(), String> {
            let payload: serde_json::Value =
                serde_json::from_str(&event.payload).map_err(|e| e.to_string())?;
            if payload["fail"] == json!(true) {
                return Err("asked to fail".to_owned());
            }
            if payload["panic"] == json!(true) {
                panic!("asked to panic");
            }
            self.recorder.deliver(event)
        }
    }

    fn next(events: &Receiver<HookEvent>) -> HookEvent {
        events
            .recv_timeout(PATIENCE)
            .expect("an event should have been delivered")
    }

    fn stats(bus: &HookBus, id: SubscriptionId) -> SubscriberStats {
        bus.stats(id).expect("subscription should be live")
    }

    /// The shared state of a live subscription, to watch its threads end from a test.
    fn shared_of(bus: &HookBus, id: SubscriptionId) -> Arc<SubscriptionShared> {
        match &bus.subscriptions.lock()[&id].delivery {
            Delivery::Worker { shared, .. } => Arc::clone(shared),
            Delivery::SelfDelivering(_) => panic!("{id} delivers itself"),
        }
    }

    #[test]
    fn event_reaches_every_subscriber_of_its_hook_and_no_other() {
        let bus = HookBus::new();
        let (first, first_events) = Recorder::new("first");
        let (second, second_events) = Recorder::new("second");
        let (issues, issue_events) = Recorder::new("issues");
        let options = SubscriptionOptions::default();
        bus.subscribe(first, &[Hook::AgentCreated], options);
        bus.subscribe(second, &[Hook::AgentCreated, Hook::GoalCreated], options);
        bus.subscribe(issues, &[Hook::IssueCreated], options);
        assert_eq!(bus.subscriber_count(Hook::AgentCreated), 2);
        assert_eq!(bus.subscriber_count(Hook::IssueCreated), 1);
        assert_eq!(bus.subscriber_count(Hook::AgentDeleted), 0);

        let agent = json!({"agent": {"id": "a1", "name": "Ada", "budgetCents": 5000}});
        bus.emit(Hook::AgentCreated, &agent);
        bus.emit(Hook::IssueCreated, &json!({"issue": {"id": "i1"}}));

        let to_first = next(&first_events);
        let to_second = next(&second_events);
        assert_eq!(to_first.hook, Hook::AgentCreated);
        assert_eq!(to_second.hook, Hook::AgentCreated);
        let received: serde_json::Value = serde_json::from_str(&to_first.payload).unwrap();
        assert_eq!(received, agent);
        // Serialized once: both subscribers hold the very same string.
        assert!(Arc::ptr_eq(&to_first.payload, &to_second.payload));

        // Queues keep emit order, so had the agent event reached `issues` it would come first.
        let to_issues = next(&issue_events);
        assert_eq!(to_issues.hook, Hook::IssueCreated);
        assert_eq!(&*to_issues.payload, r#"{"issue":{"id":"i1"}}"#);
    }

    #[test]
    fn each_subscriber_sees_events_in_emit_order() {
        let bus = HookBus::new();
        let (a, a_events) = Recorder::new("a");
        let (b, b_events) = Recorder::new("b");
        let hooks = [Hook::AgentHeartbeat, Hook::BudgetSpendRecorded];
        bus.subscribe(a, &hooks, SubscriptionOptions::default());
        bus.subscribe(b, &hooks, SubscriptionOptions::default());

        let count = 500;
        for seq in 0..count {
            let hook = hooks[seq % 2];
            bus.emit(hook, &json!({ "seq": seq }));
        }
        for events in [a_events, b_events] {
            for seq in 0..count {
                let event = next(&events);
                assert_eq!(event.hook, hooks[seq % 2]);
                assert_eq!(&*event.payload, format!(r#"{{"seq":{seq}}}"#));
            }
        }
    }

    #[test]
    fn duplicate_hooks_in_a_subscription_deliver_once() {
        let bus = HookBus::new();
        let (recorder, events) = Recorder::new("dup");
        let id = bus.subscribe(
            recorder,
            &[Hook::GoalCompleted, Hook::GoalCompleted],
            SubscriptionOptions::default(),
        );
        assert_eq!(bus.subscriber_count(Hook::GoalCompleted), 1);
        bus.emit(Hook::GoalCompleted, &json!({"n": 1}));
        bus.emit(Hook::GoalCompleted, &json!({"n": 2}));
        assert_eq!(&*next(&events).payload, r#"{"n":1}"#);
        assert_eq!(&*next(&events).payload, r#"{"n":2}"#);
        eventually("both deliveries counted", || stats(&bus, id).delivered == 2);
    }

    #[test]
    fn hung_subscriber_delays_neither_emit_nor_others_and_counts_timeouts() {
        let bus = HookBus::new();
        let (hung, hung_entered, release) = Gated::new();
        let (healthy, healthy_events) = Recorder::new("healthy");
        let hung_id = bus.subscribe(
            hung,
            &[Hook::AgentUpdated],
            SubscriptionOptions {
                queue_capacity: 16,
                call_timeout: Duration::from_millis(200),
            },
        );
        bus.subscribe(
            healthy,
            &[Hook::AgentUpdated],
            SubscriptionOptions::default(),
        );

        let started = Instant::now();
        bus.emit(Hook::AgentUpdated, &json!({"n": 1}));
        let emit_took = started.elapsed();
        // The hung handler never returns on its own; emit must not notice it.
        assert!(
            emit_took < Duration::from_secs(1),
            "emit took {emit_took:?}"
        );
        assert_eq!(&*next(&healthy_events).payload, r#"{"n":1}"#);
        assert_eq!(&*next(&hung_entered).payload, r#"{"n":1}"#);
        eventually("the overdue call to be counted", || {
            stats(&bus, hung_id).timeouts == 1
        });

        // While the overdue call runs, new events are dropped for it, not piled up, and the
        // healthy subscriber keeps receiving.
        bus.emit(Hook::AgentUpdated, &json!({"n": 2}));
        assert_eq!(&*next(&healthy_events).payload, r#"{"n":2}"#);
        eventually("the event behind the hung call to be dropped", || {
            stats(&bus, hung_id).dropped == 1
        });
        assert_eq!(stats(&bus, hung_id).delivered, 0);

        // Once the hung call returns, it is counted, and delivery resumes with the next event.
        release.send(()).unwrap();
        eventually("the late call to be counted", || {
            stats(&bus, hung_id).delivered == 1
        });
        // Opened before the call starts, so this one returns well within its time limit.
        release.send(()).unwrap();
        bus.emit(Hook::AgentUpdated, &json!({"n": 3}));
        assert_eq!(&*next(&hung_entered).payload, r#"{"n":3}"#);
        eventually("delivery to resume", || stats(&bus, hung_id).delivered == 2);
        let after = stats(&bus, hung_id);
        assert_eq!((after.timeouts, after.dropped, after.failures), (1, 1, 0));
    }

    #[test]
    fn full_queue_counts_drops_without_blocking_the_emitter() {
        let bus = HookBus::new();
        let (slow, entered, release) = Gated::new();
        let id = bus.subscribe(
            slow,
            &[Hook::IssueAssigned],
            SubscriptionOptions {
                queue_capacity: 2,
                call_timeout: Duration::from_secs(60),
            },
        );

        bus.emit(Hook::IssueAssigned, &json!({"n": 1}));
        // Wait until the worker holds event 1, so the queue is empty and has room for two.
        assert_eq!(&*next(&entered).payload, r#"{"n":1}"#);
        let started = Instant::now();
        for n in 2..=5 {
            bus.emit(Hook::IssueAssigned, &json!({ "n": n }));
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        // Events 2 and 3 fill the queue; 4 and 5 are dropped, counted by emit itself.
        assert_eq!(stats(&bus, id).dropped, 2);

        // Releasing the calls one by one delivers exactly the queued events, in order.
        release.send(()).unwrap();
        assert_eq!(&*next(&entered).payload, r#"{"n":2}"#);
        release.send(()).unwrap();
        assert_eq!(&*next(&entered).payload, r#"{"n":3}"#);
        release.send(()).unwrap();
        eventually("the queued events to be delivered", || {
            stats(&bus, id).delivered == 3
        });
        let after = stats(&bus, id);
        assert_eq!((after.dropped, after.timeouts), (2, 0));
    }

    #[test]
    fn failing_and_panicking_subscribers_are_counted_and_keep_receiving() {
        let bus = HookBus::new();
        let (recorder, events) = Recorder::new("inner");
        let id = bus.subscribe(
            Arc::new(Flaky { recorder }),
            &[Hook::GoalCreated],
            SubscriptionOptions::default(),
        );

        bus.emit(Hook::GoalCreated, &json!({"fail": true}));
        bus.emit(Hook::GoalCreated, &json!({"panic": true}));
        bus.emit(Hook::GoalCreated, &json!({"n": 1}));
        bus.emit(Hook::GoalCreated, &json!({"panic": true}));
        bus.emit(Hook::GoalCreated, &json!({"n": 2}));

        assert_eq!(&*next(&events).payload, r#"{"n":1}"#);
        assert_eq!(&*next(&events).payload, r#"{"n":2}"#);
        eventually("the last delivery to be counted", || {
            stats(&bus, id).delivered == 2
        });
        assert_eq!(
            stats(&bus, id),
            SubscriberStats {
                delivered: 2,
                failures: 3,
                timeouts: 0,
                dropped: 0,
                panics: 2,
            }
        );
    }

    #[test]
    fn unsubscribe_stops_delivery_discards_queued_events_and_ends_the_worker() {
        let bus = HookBus::new();
        let (gated, entered, release) = Gated::new();
        let id = bus.subscribe(
            Arc::clone(&gated) as Arc<dyn HookSubscriber>,
            &[Hook::AgentDeleted],
            SubscriptionOptions::default(),
        );
        let shared = shared_of(&bus, id);

        bus.emit(Hook::AgentDeleted, &json!({"n": 1}));
        assert_eq!(&*next(&entered).payload, r#"{"n":1}"#);
        bus.emit(Hook::AgentDeleted, &json!({"n": 2}));
        bus.emit(Hook::AgentDeleted, &json!({"n": 3}));

        let started = Instant::now();
        bus.unsubscribe(id);
        // The running call is still blocked: unsubscribe must not wait for it.
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(bus.subscriber_count(Hook::AgentDeleted), 0);
        assert_eq!(bus.stats(id), None);
        bus.emit(Hook::AgentDeleted, &json!({"n": 4}));

        release.send(()).unwrap();
        // Both threads gone (only the test holds the subscriber and the shared state again):
        // nothing can be delivered any more.
        eventually("the subscription's threads to end", || {
            Arc::strong_count(&gated) == 1 && Arc::strong_count(&shared) == 1
        });
        assert!(
            entered.try_recv().is_err(),
            "queued or later events reached an unsubscribed subscriber"
        );
        // Unsubscribing twice is harmless.
        bus.unsubscribe(id);
    }

    #[test]
    fn unsubscribe_ends_the_worker_even_while_a_call_hangs() {
        let bus = HookBus::new();
        let (gated, entered, release) = Gated::new();
        let id = bus.subscribe(
            Arc::clone(&gated) as Arc<dyn HookSubscriber>,
            &[Hook::AgentStatusChanged],
            SubscriptionOptions {
                queue_capacity: 4,
                call_timeout: Duration::from_millis(20),
            },
        );
        let shared = shared_of(&bus, id);
        bus.emit(Hook::AgentStatusChanged, &json!({}));
        next(&entered);
        bus.unsubscribe(id);

        // The worker ends; only the call thread, stuck in the handler, still holds the state.
        eventually("the worker to end", || Arc::strong_count(&shared) == 2);
        assert_eq!(Arc::strong_count(&gated), 2);
        drop(release);
        eventually("the call thread to end once the call returns", || {
            Arc::strong_count(&gated) == 1 && Arc::strong_count(&shared) == 1
        });
    }

    #[test]
    fn dropping_the_bus_ends_every_worker() {
        let bus = HookBus::new();
        let (recorder, events) = Recorder::new("to-drop");
        bus.subscribe(
            Arc::clone(&recorder) as Arc<dyn HookSubscriber>,
            &[Hook::ServerStarted],
            SubscriptionOptions::default(),
        );
        bus.emit(Hook::ServerStarted, &json!({"port": 3100}));
        assert_eq!(&*next(&events).payload, r#"{"port":3100}"#);
        assert!(format!("{bus:?}").contains("to-drop"));
        drop(bus);
        eventually("the worker to release the subscriber", || {
            Arc::strong_count(&recorder) == 1
        });
    }

    #[test]
    fn emit_without_subscribers_is_a_no_op() {
        let bus = HookBus::default();
        for hook in Hook::ALL {
            assert_eq!(bus.subscriber_count(hook), 0);
            bus.emit(hook, &json!({"ignored": true}));
        }
        assert_eq!(bus.stats(SubscriptionId(42)), None);
    }

    #[test]
    fn stats_serialize_in_camel_case() {
        let stats = SubscriberStats {
            delivered: 3,
            failures: 2,
            timeouts: 1,
            dropped: 4,
            panics: 1,
        };
        assert_eq!(
            serde_json::to_value(&stats).unwrap(),
            json!({"delivered": 3, "failures": 2, "timeouts": 1, "dropped": 4, "panics": 1})
        );
    }

    /// Records what it is offered, on the emitter's thread.
    struct SelfQueue {
        offered: Mutex<Vec<Hook>>,
        cancelled: std::sync::atomic::AtomicBool,
    }

    impl SelfDeliveringSubscriber for SelfQueue {
        fn name(&self) -> &str {
            "self-queue"
        }
        fn offer(&self, event: HookEvent) {
            self.offered.lock().push(event.hook);
        }
        fn stats(&self) -> SubscriberStats {
            SubscriberStats {
                delivered: self.offered.lock().len() as u64,
                ..SubscriberStats::default()
            }
        }
        fn cancel(&self) {
            self.cancelled.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_self_delivering_subscriber_is_offered_its_hooks_on_the_emitters_thread() {
        let bus = HookBus::new();
        let queue = Arc::new(SelfQueue {
            offered: Mutex::new(Vec::new()),
            cancelled: Default::default(),
        });
        let id = bus.subscribe_self_delivering(
            Arc::clone(&queue) as Arc<dyn SelfDeliveringSubscriber>,
            &[Hook::AgentCreated, Hook::AgentCreated, Hook::IssueCreated],
        );
        assert_eq!(bus.subscriber_count(Hook::AgentCreated), 1);
        bus.emit(Hook::AgentCreated, &json!({}));
        bus.emit(Hook::GoalCreated, &json!({}));
        bus.emit(Hook::IssueCreated, &json!({}));
        // No thread in between: the events are there as soon as `emit` returns.
        assert_eq!(
            *queue.offered.lock(),
            vec![Hook::AgentCreated, Hook::IssueCreated]
        );
        assert_eq!(stats(&bus, id).delivered, 2);
        bus.unsubscribe(id);
        assert!(queue.cancelled.load(Ordering::SeqCst));
        bus.emit(Hook::AgentCreated, &json!({}));
        assert_eq!(queue.offered.lock().len(), 2);
        assert_eq!(bus.subscriber_count(Hook::AgentCreated), 0);
    }
}
