//! The executor of one running module: every call into it — routes, hooks, services — goes
//! through here, under one capacity budget.
//!
//! - **Inline** route calls run on the caller's thread with no hand-off. One that overruns its
//!   limit is answered 504, counted, and switches the module to `threaded` (the module is shown
//!   `degraded` with the reason).
//! - **Threaded** (and process) calls go to a bounded queue served by the module's own call
//!   threads: at most `max_concurrency`, started when work arrives and ended after `idle_keep`
//!   without work, so an idle module holds no thread. A full queue answers 503 with
//!   `Retry-After` at once; a call not answered within its limit (waiting included) answers 504
//!   and, while it keeps running, its thread counts as stuck. When every thread is stuck the
//!   module is `failed` with the reason; the rest of the server is untouched. In the process
//!   level an overdue call instead gets the child killed and restarted (`interrupt`).
//! - **Hooks** are offered by the hook bus on the emitter's thread and queued here; they run on
//!   the same call threads, one call at a time and in emit order, up to [`MAX_HOOK_BATCH`] events
//!   per call. What a full queue means depends on the module's delivery
//!   ([`super::OutboxDelivery`]): at-least-once, the events are read back from the hook outbox
//!   once the queue drains (and at start, and to fill a hole in the cursor); failed events are
//!   retried one per call; best-effort, they are dropped and counted.
//! - **Services** are queued by the host-wide [`super::ModuleClock`] when due, one run at a time
//!   per service (ticks missed while a run goes on are skipped).

use super::call_job::{CallJob, CallKind, RouteReply, RunningCall};
use super::executor_settings::ExecutorSettings;
use super::executor_stats::ExecutorStats;
use super::outbox_delivery::{DeliveryStatus, OutboxDelivery, RetryItem, GAP_CHECK_AFTER};
use crate::cluster::Cluster;
use crate::module_calls::describe_module_error;
use crate::module_counters::ModuleCounters;
use crate::module_entry::{EntryHealth, ModuleEntry};
use crate::module_policy::{HandledEvent, ModulePolicy};
use module_sdk::abi::{ErrorKind, ModuleError, RouteRequest, RouteResponse, ServiceSpec};
use paperclip_core::hooks::{HookEvent, SelfDeliveringSubscriber, SubscriberStats};
use paperclip_core::isolation_level::IsolationLevel;
use parking_lot::{Condvar, Mutex};
use std::collections::{HashMap, HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long a call thread that ran out of work keeps looking (yielding its CPU between looks)
/// before it sleeps: under load the next job arrives within microseconds, and taking it without
/// a sleep and a wake-up is most of what keeps `threaded` close to `inline`.
const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(50);

/// Most hook events handed to a module in one call.
pub const MAX_HOOK_BATCH: usize = 256;

/// Inline calls whose start the clock can see at once (more run untracked until one ends).
const INLINE_SLOTS: usize = 32;

/// An inline slot whose overrun was already counted.
const OVERRUN_COUNTED: u64 = u64::MAX;

/// How long reading the outbox waits after a failed read.
const OUTBOX_READ_RETRY: Duration = Duration::from_secs(1);

/// How long a client is told to wait after a 503 for a full queue.
pub const QUEUE_FULL_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Why a call got no answer from the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallRefusal {
    /// 503: the queue is full, the module process is restarting, or the module is going down.
    Unavailable {
        /// Why.
        message: String,
        /// When to try again.
        retry_after: Duration,
    },
    /// 504: no answer within the limit.
    TimedOut(String),
    /// 500: the module failed, panicked, or its call thread ended without an answer.
    Failed(String),
    /// 503 without retry: the module is `failed` (stuck threads, crashed process).
    ModuleFailed(String),
}

/// The queue and the call threads that serve it.
#[derive(Default)]
struct Queue {
    routes: VecDeque<CallJob>,
    hooks: VecDeque<HookEvent>,
    services: VecDeque<String>,
    /// A hook call is running (hooks go one at a time).
    hook_running: bool,
    /// When the running hook call was taken.
    hook_started: Option<Instant>,
    /// Failed events due for another attempt (one per call, taken like hooks).
    retries: VecDeque<RetryItem>,
    /// At-least-once: events offered are left to the outbox, read back when `hooks` drains.
    from_outbox: bool,
    /// The newest event left to the outbox.
    left_newest: i64,
    /// The newest outbox row read.
    read_through: i64,
    /// Read the outbox once, to fill a hole in the cursor (or pick up what was left).
    fill_wanted: bool,
    /// When the outbox was last read to fill a hole.
    last_fill: Option<Instant>,
    /// No outbox read before this (one failed).
    outbox_paused_until: Option<Instant>,
    /// Save the delivery cursor.
    save_wanted: bool,
    /// Call threads alive.
    threads: usize,
    /// Jobs taken by a call thread and not finished.
    running: usize,
    /// Call threads asleep waiting for work (a thread still looking is not counted).
    idle: usize,
    /// Call threads looking for work before they sleep: they need no wake-up.
    spinning: usize,
    /// No more work is taken (the module is going down).
    closed: bool,
    /// No more hook work is taken (its delivery is handed to a new instance); routes and
    /// services go on.
    hooks_stopped: bool,
    /// Outbox positions of the events in the running hook call: an event read back from the
    /// outbox may still be offered from memory while it runs (its emitter is slower than the
    /// read), and must not be queued again.
    hooks_in_call: Vec<i64>,
}

impl Queue {
    /// The next job a call thread may take: when no hook call runs, a retry, else queued hook
    /// events, else an outbox read; then a route, a service run, a cursor save.
    fn take(&mut self) -> Option<CallJob> {
        if !self.hook_running && !self.hooks_stopped {
            let job = if let Some(item) = self.retries.pop_front() {
                Some(CallJob::Retry(item))
            } else if self.fill_wanted && self.outbox_readable() {
                // A hole to fill goes first: under steady load the queue may never drain.
                self.fill_wanted = false;
                Some(CallJob::ReadOutbox)
            } else if !self.hooks.is_empty() {
                let count = self.hooks.len().min(MAX_HOOK_BATCH);
                Some(CallJob::Hooks(self.hooks.drain(..count).collect()))
            } else if self.outbox_readable() {
                self.fill_wanted = false;
                Some(CallJob::ReadOutbox)
            } else {
                None
            };
            if let Some(job) = job {
                self.hook_running = true;
                self.hook_started = Some(Instant::now());
                self.hooks_in_call = match &job {
                    CallJob::Hooks(events) => events.iter().filter_map(|e| e.seq).collect(),
                    CallJob::Retry(item) => item.event.seq.into_iter().collect(),
                    _ => Vec::new(),
                };
                return Some(job);
            }
        }
        if let Some(job) = self.routes.pop_front() {
            return Some(job);
        }
        if let Some(name) = self.services.pop_front() {
            return Some(CallJob::Service(name));
        }
        if self.save_wanted {
            self.save_wanted = false;
            return Some(CallJob::SaveCursor);
        }
        None
    }

    /// Whether the outbox should be read now.
    fn outbox_readable(&self) -> bool {
        (self.from_outbox || self.fill_wanted)
            && match self.outbox_paused_until {
                None => true,
                Some(until) => Instant::now() >= until,
            }
    }

    /// Jobs a call thread could take now (hook work only when no hook call runs).
    fn pending(&self) -> usize {
        let hook_work = !self.hook_running
            && !self.hooks_stopped
            && (!self.hooks.is_empty() || !self.retries.is_empty() || self.outbox_readable());
        self.routes.len()
            + self.services.len()
            + usize::from(hook_work)
            + usize::from(self.save_wanted)
    }

    /// Leaves the queued hook events to the outbox (at-least-once): they are read back once
    /// the queue drains.
    fn leave_to_outbox(&mut self, newest: Option<i64>) {
        self.from_outbox = true;
        if let Some(newest) = newest {
            self.left_newest = self.left_newest.max(newest);
        }
    }
}

/// A service's schedule.
struct ServiceSchedule {
    name: String,
    interval: Duration,
    next_due: Instant,
    /// Queued or running: the next tick is skipped.
    busy: bool,
}

/// Hook delivery counters.
#[derive(Default)]
struct HookCounters {
    delivered: AtomicU64,
    failures: AtomicU64,
    timeouts: AtomicU64,
    dropped: AtomicU64,
    panics: AtomicU64,
}

/// Executor counters (see [`ExecutorStats`]).
#[derive(Default)]
struct CallCounters {
    completed: AtomicU64,
    rejected: AtomicU64,
    timeouts: AtomicU64,
    overruns: AtomicU64,
    interrupts: AtomicU64,
}

/// The executor of one running module (see the module doc).
pub struct ModuleExecutor {
    module_id: String,
    entry: Arc<dyn ModuleEntry>,
    settings: ExecutorSettings,
    counters: Arc<ModuleCounters>,
    /// The level calls run at now, as `IsolationLevel as u8`.
    level: AtomicU8,
    queue: Mutex<Queue>,
    /// `queue.pending()` as of the last change, read without the lock by looking threads.
    takeable: AtomicUsize,
    /// Wakes call threads (work, or closing).
    work: Condvar,
    /// Calls in progress by id.
    running: Mutex<HashMap<u64, Arc<RunningCall>>>,
    /// Wakes [`ModuleExecutor::close`] when a call ends.
    call_ended: Condvar,
    next_call: AtomicU64,
    services: Mutex<Vec<ServiceSchedule>>,
    hooks: HookCounters,
    calls: CallCounters,
    /// Why the module is `failed`, once it is (all threads stuck, process given up).
    failure: Mutex<Option<String>>,
    /// Why the module is `degraded` (an inline call overran).
    degradation: Mutex<Option<String>>,
    /// Route calls are answered 503 for now: the module's instance is being replaced.
    routes_held: AtomicBool,
    /// Its hook delivery as an outbox reader (`None`: events only from memory, dropped when
    /// the queue is full).
    delivery: Option<Arc<OutboxDelivery>>,
    /// The module's policy: events of companies it does not serve are skipped, and a module
    /// that may write the core gets its events one at a time with the event marked as handled.
    policy: OnceLock<Arc<ModulePolicy>>,
    /// Start times of inline calls in progress (nanoseconds after `epoch`, plus one; 0 = free),
    /// so the clock sees an inline call overrun while it still runs.
    inline_slots: [AtomicU64; INLINE_SLOTS],
    epoch: Instant,
    /// The replica's cluster membership, when several replicas may share the database.
    cluster: OnceLock<Arc<Cluster>>,
    /// This replica does the module's background work: its services and its at-least-once
    /// hook delivery (it holds the module's lease; always, alone on the database).
    owns_work: AtomicBool,
}

mod work_lease;

fn level_from(value: u8) -> IsolationLevel {
    match value {
        0 => IsolationLevel::Inline,
        2 => IsolationLevel::Process,
        _ => IsolationLevel::Threaded,
    }
}

fn level_code(level: IsolationLevel) -> u8 {
    match level {
        IsolationLevel::Inline => 0,
        IsolationLevel::Threaded => 1,
        IsolationLevel::Process => 2,
    }
}

impl ModuleExecutor {
    /// An executor for the module `module_id` calling `entry` at `level`; no thread starts
    /// until work arrives. Its hook events come from memory only (full queue: dropped).
    pub fn new(
        module_id: &str,
        entry: Arc<dyn ModuleEntry>,
        level: IsolationLevel,
        settings: ExecutorSettings,
        counters: Arc<ModuleCounters>,
    ) -> Arc<ModuleExecutor> {
        ModuleExecutor::with_delivery(module_id, entry, level, settings, counters, None)
    }

    /// [`ModuleExecutor::new`], its hook delivery reading the outbox through `delivery`
    /// (at-least-once: from the delivery's cursor at once).
    pub fn with_delivery(
        module_id: &str,
        entry: Arc<dyn ModuleEntry>,
        level: IsolationLevel,
        settings: ExecutorSettings,
        counters: Arc<ModuleCounters>,
        delivery: Option<Arc<OutboxDelivery>>,
    ) -> Arc<ModuleExecutor> {
        let settings = ExecutorSettings {
            max_concurrency: settings.max_concurrency.max(1),
            queue_capacity: settings.queue_capacity,
            hook_queue_capacity: settings.hook_queue_capacity.max(1),
            ..settings
        };
        let mut queue = Queue::default();
        if let Some(delivery) = delivery.as_ref().filter(|d| d.at_least_once()) {
            // Whatever was committed after its cursor comes from the outbox first; a failed
            // event loaded from before is retried at once.
            queue.leave_to_outbox(None);
            queue.read_through = delivery.position();
            queue
                .retries
                .extend(delivery.take_due_retries(Instant::now()));
        }
        let executor = Arc::new(ModuleExecutor {
            module_id: module_id.to_string(),
            entry,
            settings,
            counters,
            level: AtomicU8::new(level_code(level)),
            queue: Mutex::new(queue),
            takeable: AtomicUsize::new(0),
            work: Condvar::new(),
            running: Mutex::new(HashMap::new()),
            call_ended: Condvar::new(),
            next_call: AtomicU64::new(1),
            services: Mutex::new(Vec::new()),
            hooks: HookCounters::default(),
            calls: CallCounters::default(),
            failure: Mutex::new(None),
            degradation: Mutex::new(None),
            routes_held: AtomicBool::new(false),
            delivery,
            policy: OnceLock::new(),
            inline_slots: std::array::from_fn(|_| AtomicU64::new(0)),
            epoch: Instant::now(),
            cluster: OnceLock::new(),
            owns_work: AtomicBool::new(true),
        });
        {
            let mut queue = executor.queue.lock();
            if queue.pending() > 0 {
                executor.wake_or_start_thread(&mut queue);
            }
        }
        executor
    }

    /// Puts the module's hook calls under `policy` (once, before events arrive).
    pub fn set_policy(&self, policy: Arc<ModulePolicy>) {
        let _ = self.policy.set(policy);
    }

    /// Its hook delivery as an outbox reader, if it has one.
    pub fn delivery(&self) -> Option<&Arc<OutboxDelivery>> {
        self.delivery.as_ref()
    }

    /// Its delivery now, for the admin API.
    pub fn delivery_status(&self) -> Option<DeliveryStatus> {
        self.delivery.as_ref().map(|delivery| delivery.status())
    }

    /// The module's id.
    pub fn module_id(&self) -> &str {
        &self.module_id
    }

    /// The module instance the executor calls.
    pub fn entry(&self) -> &Arc<dyn ModuleEntry> {
        &self.entry
    }

    /// The level calls run at now.
    pub fn level(&self) -> IsolationLevel {
        level_from(self.level.load(Ordering::Relaxed))
    }

    /// The limits it runs with.
    pub fn settings(&self) -> &ExecutorSettings {
        &self.settings
    }

    /// Why the module is `failed`, once it is: every call thread stuck, or its process given
    /// up after repeated crashes.
    pub fn failure(&self) -> Option<String> {
        if let Some(reason) = self.failure.lock().clone() {
            return Some(reason);
        }
        match self.entry.health() {
            EntryHealth::Failed { reason } => Some(reason),
            _ => None,
        }
    }

    /// Why the module is `degraded` by its executor (an inline call overran).
    pub fn degradation(&self) -> Option<String> {
        self.degradation.lock().clone()
    }

    /// Calls the module's `handle_route` with `request`, within the route time limit (waiting
    /// included): inline on this thread, or through the queue.
    pub async fn call_route(
        self: &Arc<Self>,
        request: RouteRequest,
    ) -> Result<RouteResponse, CallRefusal> {
        if let Some(reason) = self.failure.lock().as_ref() {
            return Err(CallRefusal::ModuleFailed(self.failed_message(reason)));
        }
        if self.routes_held.load(Ordering::Acquire) {
            return Err(CallRefusal::Unavailable {
                message: format!(
                    "module `{}` is being reconfigured; try again shortly",
                    self.module_id
                ),
                retry_after: QUEUE_FULL_RETRY_AFTER,
            });
        }
        match self.level() {
            IsolationLevel::Inline => self.call_route_inline(&request),
            IsolationLevel::Threaded | IsolationLevel::Process => {
                self.call_route_queued(request).await
            }
        }
    }

    /// An inline call: no hand-off; an overrun is answered 504 and moves the module to
    /// `threaded`.
    fn call_route_inline(&self, request: &RouteRequest) -> Result<RouteResponse, CallRefusal> {
        let started = Instant::now();
        let stamp = u64::try_from(started.duration_since(self.epoch).as_nanos())
            .unwrap_or(OVERRUN_COUNTED - 1)
            + 1;
        let slot = self.inline_slots.iter().find(|slot| {
            slot.compare_exchange(0, stamp, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        });
        let outcome = self.entry.handle_route(request);
        let took = started.elapsed();
        let counted = slot.is_some_and(|slot| slot.swap(0, Ordering::AcqRel) == OVERRUN_COUNTED);
        self.calls.completed.fetch_add(1, Ordering::Relaxed);
        if took > self.settings.route_timeout {
            if !counted {
                self.record_inline_overrun(format!(
                    "an inline call ({} {}) took {} ms",
                    request.method,
                    request.path,
                    took.as_millis()
                ));
            }
            return Err(CallRefusal::TimedOut(self.timeout_message()));
        }
        outcome.map_err(|error| CallRefusal::Failed(self.error_message(&error)))
    }

    /// Counts an inline overrun, switches new calls to `threaded` and says why (`degraded`).
    fn record_inline_overrun(&self, what: String) {
        self.calls.overruns.fetch_add(1, Ordering::Relaxed);
        self.level
            .store(level_code(IsolationLevel::Threaded), Ordering::Relaxed);
        let limit = self.settings.route_timeout.as_millis();
        let reason = format!("{what}, over its limit of {limit} ms: new calls run threaded");
        tracing::warn!(module = %self.module_id, "{reason}");
        *self.degradation.lock() = Some(reason);
    }

    /// Counts the inline calls still running past their limit (once each), so a hung inline
    /// call moves the module to `threaded` while it hangs.
    fn check_inline_overruns(&self, now: Instant) {
        let limit = u64::try_from(self.settings.route_timeout.as_nanos()).unwrap_or(u64::MAX);
        let elapsed =
            u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        for slot in &self.inline_slots {
            let stamp = slot.load(Ordering::Acquire);
            if stamp == 0 || stamp == OVERRUN_COUNTED || elapsed.saturating_sub(stamp - 1) <= limit
            {
                continue;
            }
            if slot
                .compare_exchange(stamp, OVERRUN_COUNTED, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                let ran = (elapsed - (stamp - 1)) / 1_000_000;
                self.record_inline_overrun(format!(
                    "an inline call has run for {ran} ms and holds its HTTP worker until it returns"
                ));
            }
        }
    }

    /// A queued call: 503 when the queue is full or the process restarting, 504 after the limit.
    async fn call_route_queued(
        self: &Arc<Self>,
        request: RouteRequest,
    ) -> Result<RouteResponse, CallRefusal> {
        match self.entry.health() {
            EntryHealth::Ready => {}
            EntryHealth::Restarting {
                retry_after,
                reason,
            } => {
                self.calls.rejected.fetch_add(1, Ordering::Relaxed);
                return Err(CallRefusal::Unavailable {
                    message: format!("module `{}` is restarting: {reason}", self.module_id),
                    retry_after,
                });
            }
            EntryHealth::Failed { reason } => {
                return Err(CallRefusal::ModuleFailed(self.failed_message(&reason)))
            }
        }
        let (reply, answer) = oneshot::channel();
        self.enqueue_route(CallJob::Route { request, reply })?;
        match tokio::time::timeout(self.settings.route_timeout, answer).await {
            Ok(Ok(Ok(response))) => Ok(response),
            Ok(Ok(Err(error))) => Err(CallRefusal::Failed(self.error_message(&error))),
            Ok(Err(_)) => Err(CallRefusal::Unavailable {
                message: format!(
                    "module `{}` is going down; the call was not run",
                    self.module_id
                ),
                retry_after: QUEUE_FULL_RETRY_AFTER,
            }),
            Err(_) => {
                self.calls.timeouts.fetch_add(1, Ordering::Relaxed);
                self.check_overdue(Instant::now());
                Err(CallRefusal::TimedOut(self.timeout_message()))
            }
        }
    }

    fn enqueue_route(self: &Arc<Self>, job: CallJob) -> Result<(), CallRefusal> {
        let mut queue = self.queue.lock();
        if queue.closed {
            return Err(CallRefusal::Unavailable {
                message: format!("module `{}` is going down", self.module_id),
                retry_after: QUEUE_FULL_RETRY_AFTER,
            });
        }
        // Waiting beyond the queue's capacity is refused; a job a free call slot is about to
        // take is not waiting.
        let free_slots = self.settings.max_concurrency.saturating_sub(queue.running);
        if queue.routes.len() >= self.settings.queue_capacity + free_slots {
            drop(queue);
            self.calls.rejected.fetch_add(1, Ordering::Relaxed);
            return Err(CallRefusal::Unavailable {
                message: format!(
                    "module `{}` is at capacity: {} calls running and {} waiting",
                    self.module_id, self.settings.max_concurrency, self.settings.queue_capacity
                ),
                retry_after: QUEUE_FULL_RETRY_AFTER,
            });
        }
        queue.routes.push_back(job);
        self.wake_or_start_thread(&mut queue);
        Ok(())
    }

    /// Queues a hook event without blocking. When the queue is full, the module failed or is
    /// closing, or a hook call has overrun its limit (a hung handler holds one thread, never a
    /// growing backlog), an at-least-once module leaves it to the outbox (read back later, or
    /// after a restart); otherwise it is dropped and counted. An event of a hook the module
    /// did not register only moves its cursor.
    pub fn offer_hook(self: &Arc<Self>, event: HookEvent) {
        let mut queue = self.queue.lock();
        if queue.hooks_stopped {
            // Handed over: the outbox keeps it for the instance that took the delivery.
            return;
        }
        let hook_overdue = queue
            .hook_started
            .is_some_and(|started| started.elapsed() > self.settings.hook_timeout);
        if let Some(delivery) = &self.delivery {
            if !delivery.wants(event.hook) {
                // At-least-once modules are offered every event, to keep their cursor moving.
                if let Some(seq) = event.seq.filter(|_| delivery.at_least_once()) {
                    if queue.from_outbox {
                        queue.left_newest = queue.left_newest.max(seq);
                    } else if !queue.closed {
                        delivery.mark_handled([seq]);
                    }
                }
                return;
            }
        }
        if let (Some(delivery), Some(seq)) = (&self.delivery, event.seq) {
            if delivery.at_least_once() {
                if !self.owns_work() {
                    // The replica holding the module's lease reads it from the outbox.
                    return;
                }
                if queue.closed || self.failure.lock().is_some() {
                    // The outbox keeps it for the next start (or catch-up).
                    return;
                }
                if queue.from_outbox {
                    queue.left_newest = queue.left_newest.max(seq);
                    return;
                }
                if seq <= queue.read_through
                    && (delivery.is_handled(seq)
                        || queue.hooks_in_call.contains(&seq)
                        || queue.hooks.iter().any(|q| q.seq == Some(seq)))
                {
                    // Read from the outbox already (handled, being handled, or queued).
                    return;
                }
                if hook_overdue || queue.hooks.len() >= self.settings.hook_queue_capacity {
                    queue.leave_to_outbox(Some(seq));
                    return;
                }
                queue.hooks.push_back(event);
                if !queue.hook_running {
                    self.wake_or_start_thread(&mut queue);
                }
                return;
            }
        }
        if queue.closed
            || hook_overdue
            || queue.hooks.len() >= self.settings.hook_queue_capacity
            || self.failure.lock().is_some()
        {
            drop(queue);
            self.hooks.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        queue.hooks.push_back(event);
        if !queue.hook_running {
            self.wake_or_start_thread(&mut queue);
        }
    }

    /// The hook counters, as the hook bus shows a subscription's.
    pub fn hook_stats(&self) -> SubscriberStats {
        SubscriberStats {
            delivered: self.hooks.delivered.load(Ordering::Relaxed),
            failures: self.hooks.failures.load(Ordering::Relaxed),
            timeouts: self.hooks.timeouts.load(Ordering::Relaxed),
            dropped: self.hooks.dropped.load(Ordering::Relaxed),
            panics: self.hooks.panics.load(Ordering::Relaxed),
        }
    }

    /// Schedules the module's services (first run one interval from now).
    pub fn start_services(&self, specs: &[ServiceSpec]) {
        let now = Instant::now();
        let mut services = self.services.lock();
        for spec in specs {
            let interval = Duration::from_millis(spec.interval_ms.max(1));
            services.push(ServiceSchedule {
                name: spec.name.to_string(),
                interval,
                next_due: now + interval,
                busy: false,
            });
        }
    }

    /// Names of the scheduled services.
    pub fn service_names(&self) -> Vec<String> {
        self.services
            .lock()
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    /// Called by the clock: queues the services that are due and checks for overdue calls.
    /// Returns when it next wants a tick for its services.
    pub fn tick(self: &Arc<Self>, now: Instant) -> Option<Instant> {
        // Services run on the replica holding the module's lease only.
        let owns_work = self.owns_work();
        let due: Vec<String> = {
            let mut services = self.services.lock();
            let mut due = Vec::new();
            for service in services.iter_mut() {
                if service.next_due > now {
                    continue;
                }
                // Skip the ticks that passed: the next run is the first tick still ahead.
                let behind = now.duration_since(service.next_due).as_nanos();
                let step = service.interval.as_nanos().max(1);
                let skipped = u32::try_from(behind / step + 1).unwrap_or(u32::MAX);
                service.next_due += service.interval.saturating_mul(skipped);
                if !service.busy && owns_work {
                    service.busy = true;
                    due.push(service.name.clone());
                }
            }
            due
        };
        if !due.is_empty() {
            let mut queue = self.queue.lock();
            if !queue.closed && self.failure.lock().is_none() {
                queue.services.extend(due);
                self.wake_or_start_thread(&mut queue);
            } else {
                drop(queue);
                for name in due {
                    self.service_done(&name);
                }
            }
        }
        self.tick_delivery(now);
        self.check_overdue(now);
        self.check_inline_overruns(now);
        self.services.lock().iter().map(|s| s.next_due).min()
    }

    /// Queues what the delivery wants done: retries now due, a read of the outbox to fill a
    /// hole in the cursor, a save of the cursor.
    fn tick_delivery(self: &Arc<Self>, now: Instant) {
        let Some(delivery) = &self.delivery else {
            return;
        };
        if delivery.at_least_once() && !self.owns_work() {
            return;
        }
        let due = delivery.take_due_retries(now);
        let hole = delivery.at_least_once() && delivery.hole_to_fill(now);
        let save = delivery.save_due(now);
        let poll = delivery.at_least_once() && self.peers_commit();
        if due.is_empty() && !hole && !save && !poll {
            return;
        }
        let mut queue = self.queue.lock();
        if queue.closed || queue.hooks_stopped {
            // Retries stay recorded as `retrying`: loaded again when the module next comes up.
            return;
        }
        queue.retries.extend(due);
        let filled_lately = queue
            .last_fill
            .is_some_and(|at| now.saturating_duration_since(at) < GAP_CHECK_AFTER);
        if hole && !queue.from_outbox && !filled_lately {
            queue.fill_wanted = true;
        }
        if poll && !queue.from_outbox && self.poll_due(&queue, now) {
            // Other replicas commit events this replica never sees in memory.
            queue.fill_wanted = true;
        }
        queue.save_wanted |= save;
        if queue.pending() > 0 {
            self.wake_or_start_thread(&mut queue);
        }
    }

    /// Counts the calls running past their limit as stuck; in the process level gets the child
    /// killed (the calls end with an error and the child restarts); in process, when every
    /// call thread is stuck, marks the module `failed`.
    fn check_overdue(&self, now: Instant) {
        let (stuck, oldest) = {
            let running = self.running.lock();
            let mut stuck = 0;
            let mut oldest: Option<Arc<RunningCall>> = None;
            for call in running.values().filter(|call| call.overdue(now)) {
                stuck += 1;
                if !call.overrun_counted.swap(true, Ordering::Relaxed)
                    && call.kind == CallKind::Hook
                {
                    self.hooks.timeouts.fetch_add(1, Ordering::Relaxed);
                }
                let older = match &oldest {
                    None => true,
                    Some(o) => call.started < o.started,
                };
                if older {
                    oldest = Some(Arc::clone(call));
                }
            }
            (stuck, oldest)
        };
        let Some(oldest) = oldest else { return };
        {
            let mut queue = self.queue.lock();
            let hook_overdue = queue.hook_started.is_some_and(|started| {
                now.saturating_duration_since(started) > self.settings.hook_timeout
            });
            if hook_overdue && !queue.hooks.is_empty() {
                let dropped = queue.hooks.len() as u64;
                let newest = queue.hooks.iter().filter_map(|event| event.seq).max();
                queue.hooks.clear();
                if self.delivery.as_ref().is_some_and(|d| d.at_least_once()) {
                    queue.leave_to_outbox(newest);
                } else {
                    self.hooks.dropped.fetch_add(dropped, Ordering::Relaxed);
                }
                self.publish(&queue);
            }
        }
        if self.level() == IsolationLevel::Process {
            if self.entry.interrupt() {
                self.calls.interrupts.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(module = %self.module_id, call = %oldest.label, "module process killed: a call overran its limit");
            }
            return;
        }
        if stuck >= self.settings.max_concurrency {
            let reason = format!(
                "all {} call threads are stuck in calls that overran their limits (the oldest, {}, has run for {} s)",
                self.settings.max_concurrency,
                oldest.label,
                now.saturating_duration_since(oldest.started).as_secs()
            );
            let mut failure = self.failure.lock();
            if failure.is_none() {
                tracing::error!(module = %self.module_id, "module failed: {reason}");
                *failure = Some(reason);
            }
        }
    }

    /// Starts a call thread when no idle one can take the new work and the cap allows,
    /// otherwise wakes one.
    fn wake_or_start_thread(self: &Arc<Self>, queue: &mut Queue) {
        self.publish(queue);
        let looking = queue.spinning;
        if queue.pending() <= looking {
            return;
        }
        if queue.idle > 0 {
            self.work.notify_one();
        }
        if queue.pending() > queue.idle + looking && queue.threads < self.settings.max_concurrency {
            let executor = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name(format!("module-{}", self.module_id))
                .spawn(move || executor.serve());
            match spawned {
                Ok(_) => queue.threads += 1,
                Err(error) => {
                    tracing::error!(module = %self.module_id, %error, "cannot start a module call thread")
                }
            }
        }
    }

    /// Makes the queue's takeable work visible to looking threads.
    fn publish(&self, queue: &Queue) {
        self.takeable.store(queue.pending(), Ordering::Release);
    }

    /// A call thread: takes jobs until closed, or idle for `idle_keep`.
    fn serve(self: Arc<Self>) {
        let mut finished_one = false;
        loop {
            let job = {
                let mut queue = self.queue.lock();
                if finished_one {
                    queue.running -= 1;
                }
                loop {
                    if let Some(job) = queue.take() {
                        queue.running += 1;
                        self.publish(&queue);
                        break job;
                    }
                    if queue.closed {
                        queue.threads -= 1;
                        return;
                    }
                    // One thread looks for work at a time; the others sleep.
                    if queue.spinning == 0 && self.look_for_work(&mut queue) {
                        continue;
                    }
                    queue.idle += 1;
                    let timed_out = self
                        .work
                        .wait_for(&mut queue, self.settings.idle_keep)
                        .timed_out();
                    queue.idle -= 1;
                    if timed_out && queue.pending() == 0 {
                        queue.threads -= 1;
                        return;
                    }
                }
            };
            self.run(job);
            finished_one = true;
        }
    }

    /// Before sleeping, looks for work for [`SPIN_BEFORE_SLEEP`] with the lock released,
    /// yielding the CPU between looks; returns whether work arrived (the lock is held again
    /// either way).
    fn look_for_work(&self, queue: &mut parking_lot::MutexGuard<'_, Queue>) -> bool {
        queue.spinning += 1;
        let until = Instant::now() + SPIN_BEFORE_SLEEP;
        let found = parking_lot::MutexGuard::unlocked(queue, || loop {
            std::thread::yield_now();
            if self.takeable.load(Ordering::Acquire) > 0 {
                return true;
            }
            if Instant::now() >= until {
                return false;
            }
        });
        queue.spinning -= 1;
        found || queue.pending() > 0 || queue.closed
    }

    /// Runs one job on this call thread.
    fn run(&self, job: CallJob) {
        match job {
            CallJob::Route { request, reply } => {
                if reply.is_closed() {
                    // The waiter gave up (504) while it queued: nobody wants the answer.
                    return;
                }
                let label = format!("route {} {}", request.method, request.path);
                let outcome =
                    self.track(CallKind::Route, label, self.settings.route_timeout, || {
                        self.entry.handle_route(&request)
                    });
                let _ = reply.send(flatten(outcome));
            }
            CallJob::Hooks(events) => {
                let failures = self.run_hooks(&events);
                if let Some(delivery) = &self.delivery {
                    delivery.after_batch(&events, &failures);
                    if delivery.save_due(Instant::now()) {
                        delivery.save();
                    }
                }
                self.hook_call_done();
            }
            CallJob::Retry(item) => {
                let failures = self.run_hooks(std::slice::from_ref(&item.event));
                if let Some(delivery) = &self.delivery {
                    let error = failures.into_iter().next().map(|(_, error)| error);
                    delivery.after_retry(item, error);
                }
                self.hook_call_done();
            }
            CallJob::ReadOutbox => {
                self.read_outbox();
                self.hook_call_done();
            }
            CallJob::SaveCursor => {
                if let Some(delivery) = &self.delivery {
                    delivery.save();
                }
            }
            CallJob::Service(name) => {
                self.run_service(&name);
                self.service_done(&name);
            }
        }
    }

    /// A hook call (events, a retry, an outbox read) ended: the next may start.
    fn hook_call_done(&self) {
        let mut queue = self.queue.lock();
        queue.hook_running = false;
        queue.hook_started = None;
        queue.hooks_in_call.clear();
        self.publish(&queue);
        if queue.pending() > 0 && queue.idle > 0 {
            // This thread takes it next unless an idle one does first.
            self.work.notify_one();
        }
    }

    /// Reads the next events not handled yet from the outbox into the hook queue (they go
    /// before anything offered meanwhile, which is newer); ends reading from the outbox once
    /// it holds nothing more.
    fn read_outbox(&self) {
        let Some(delivery) = &self.delivery else {
            self.queue.lock().from_outbox = false;
            return;
        };
        let read = delivery.read_unhandled(self.settings.hook_queue_capacity);
        let mut queue = self.queue.lock();
        queue.last_fill = Some(Instant::now());
        match read {
            Ok((events, caught_up)) => {
                queue.outbox_paused_until = None;
                let queued: HashSet<i64> = queue.hooks.iter().filter_map(|e| e.seq).collect();
                let mut read = Vec::with_capacity(events.len());
                for event in events {
                    if let Some(seq) = event.seq {
                        queue.read_through = queue.read_through.max(seq);
                        if queued.contains(&seq) {
                            continue;
                        }
                    }
                    read.push(event);
                }
                for event in read.into_iter().rev() {
                    queue.hooks.push_front(event);
                }
                if caught_up {
                    queue.read_through = queue.read_through.max(delivery.position());
                    if queue.from_outbox {
                        queue.from_outbox = false;
                        // Left while this read ran: committed before they were offered, so
                        // one more read finds them.
                        queue.fill_wanted = queue.left_newest > queue.read_through;
                    }
                }
            }
            Err(error) => {
                tracing::warn!(module = %self.module_id, %error, "hook delivery: the outbox could not be read; trying again shortly");
                queue.outbox_paused_until = Some(Instant::now() + OUTBOX_READ_RETRY);
            }
        }
    }

    /// Delivers hook events to the module and returns the failed ones (index, error). Under a
    /// policy, events of companies the module does not serve are skipped (handled, not
    /// delivered), and a module that may write the core gets one event per call, marked as the
    /// one it handles (the cause of its writes).
    fn run_hooks(&self, events: &[HookEvent]) -> Vec<(usize, String)> {
        let policy = match self.policy.get() {
            Some(policy) if policy.writes_core() || !policy.serves_all() => policy,
            _ => return self.call_hooks(events),
        };
        let wanted: Vec<usize> = (0..events.len())
            .filter(|&index| policy.wants_event(&events[index].payload))
            .collect();
        if !policy.writes_core() {
            let batch: Vec<HookEvent> = wanted.iter().map(|&i| events[i].clone()).collect();
            return self
                .call_hooks(&batch)
                .into_iter()
                .map(|(index, error)| (wanted[index], error))
                .collect();
        }
        let mut failures = Vec::new();
        for index in wanted {
            let event = &events[index];
            policy.handle(HandledEvent::of_payload(
                event.event_id.as_ref(),
                &event.payload,
            ));
            let failed = self.call_hooks(std::slice::from_ref(event));
            policy.handle(None);
            failures.extend(failed.into_iter().map(|(_, error)| (index, error)));
        }
        failures
    }

    /// Delivers hook events in one call (one per event for modules of ABI < 1.2), counts each
    /// event's outcome and returns the failed ones (index, error).
    fn call_hooks(&self, events: &[HookEvent]) -> Vec<(usize, String)> {
        let label = match events {
            [one] => format!("hook {}", one.hook.as_str()),
            [first, ..] => format!(
                "hooks {} and {} more",
                first.hook.as_str(),
                events.len() - 1
            ),
            [] => return Vec::new(),
        };
        let items: Vec<(&str, &str)> = events
            .iter()
            .map(|event| (event.hook.as_str(), &*event.payload))
            .collect();
        let outcome = self.track(CallKind::Hook, label, self.settings.hook_timeout, || {
            self.entry.on_hook_batch(&items)
        });
        let failures: Vec<(usize, String)> = match outcome {
            Ok(failed) => failed
                .into_iter()
                .map(|(index, error)| {
                    if error.kind == ErrorKind::Panic {
                        self.hooks.panics.fetch_add(1, Ordering::Relaxed);
                    }
                    (index, describe_module_error(&error))
                })
                .collect(),
            Err(panic) => {
                self.hooks
                    .panics
                    .fetch_add(items.len() as u64, Ordering::Relaxed);
                (0..items.len())
                    .map(|index| (index, panic.clone()))
                    .collect()
            }
        };
        let delivered = items.len().saturating_sub(failures.len());
        self.hooks
            .delivered
            .fetch_add(delivered as u64, Ordering::Relaxed);
        self.hooks
            .failures
            .fetch_add(failures.len() as u64, Ordering::Relaxed);
        if let Some((index, error)) = failures.last() {
            let hook = items.get(*index).map_or("?", |(hook, _)| hook);
            let message = format!("hook {hook}: {error}");
            tracing::warn!(module = %self.module_id, %hook, failed = failures.len(), error = %message, "module hook failed");
            self.counters.record_error(message);
        }
        failures
    }

    fn run_service(&self, name: &str) {
        self.counters.service_ran();
        let label = format!("service {name}");
        let outcome = self.track(
            CallKind::Service,
            label,
            self.settings.service_timeout,
            || self.entry.run_service(name),
        );
        let error = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(error)) => describe_module_error(&error),
            Err(panic) => panic,
        };
        let message = format!("service {name}: {error}");
        tracing::warn!(module = %self.module_id, service = %name, error = %message, "module service failed");
        self.counters.service_failed(message);
    }

    fn service_done(&self, name: &str) {
        if let Some(service) = self.services.lock().iter_mut().find(|s| s.name == name) {
            service.busy = false;
        }
    }

    /// Runs `call` as a tracked call (seen by the overdue check); a panic that escaped the
    /// entry (never from the SDK, which catches its own) comes back as `Err`.
    fn track<T>(
        &self,
        kind: CallKind,
        label: String,
        limit: Duration,
        call: impl FnOnce() -> T,
    ) -> Result<T, String> {
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        self.running.lock().insert(
            id,
            Arc::new(RunningCall {
                kind,
                label,
                started,
                limit,
                overrun_counted: Default::default(),
            }),
        );
        let outcome = catch_unwind(AssertUnwindSafe(call));
        let finished = self.running.lock().remove(&id);
        if let Some(call) = finished {
            if kind == CallKind::Hook
                && started.elapsed() > limit
                && !call.overrun_counted.swap(true, Ordering::Relaxed)
            {
                self.hooks.timeouts.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.calls.completed.fetch_add(1, Ordering::Relaxed);
        self.call_ended.notify_all();
        outcome.map_err(|panic| {
            let text = module_sdk::panic_text(panic.as_ref()).unwrap_or("a non-text payload");
            format!("the call panicked in the host: {text}")
        })
    }

    /// Stops taking work: queued route calls answer 503, queued hooks and services are
    /// discarded; waits up to `bound` for the calls still within their limits (a stuck call is
    /// not waited for). Returns what was still running when the bound ran out.
    pub fn close(&self, bound: Duration) -> Vec<String> {
        {
            let mut queue = self.queue.lock();
            queue.closed = true;
            queue.routes.clear();
            queue.hooks.clear();
            queue.retries.clear();
            queue.from_outbox = false;
            queue.fill_wanted = false;
            queue.save_wanted = false;
            queue.services.clear();
            self.publish(&queue);
            self.work.notify_all();
        }
        let deadline = Instant::now() + bound;
        let mut running = self.running.lock();
        loop {
            let now = Instant::now();
            let waiting: Vec<String> = running
                .values()
                .filter(|call| !call.overdue(now))
                .map(|call| call.label.clone())
                .collect();
            if waiting.is_empty() {
                return Vec::new();
            }
            if now >= deadline {
                tracing::warn!(module = %self.module_id, calls = ?waiting, "module calls did not end in time; left running until they return");
                return waiting;
            }
            // Woken by each call that ends; re-checks overdue calls at least every 100 ms.
            let wait = deadline
                .saturating_duration_since(now)
                .min(Duration::from_millis(100));
            self.call_ended.wait_for(&mut running, wait);
        }
    }

    /// Stops hook delivery to this executor while its routes and services go on (the delivery
    /// is being handed to a new instance): queued events are left to the outbox, no hook call
    /// starts any more, and the running one is waited for up to `bound`. Returns whether no hook
    /// call runs any more (else one is stuck past `bound`).
    pub fn stop_hooks(&self, bound: Duration) -> bool {
        {
            let mut queue = self.queue.lock();
            queue.hooks_stopped = true;
            queue.hooks.clear();
            queue.retries.clear();
            queue.from_outbox = false;
            queue.fill_wanted = false;
            self.publish(&queue);
        }
        let deadline = Instant::now() + bound;
        loop {
            if !self.queue.lock().hook_running {
                return true;
            }
            if Instant::now() >= deadline {
                tracing::warn!(module = %self.module_id, "a hook call did not end in time while the delivery was handed over");
                return false;
            }
            let mut running = self.running.lock();
            self.call_ended
                .wait_for(&mut running, Duration::from_millis(1));
        }
    }

    /// Answers new route calls 503 (`Retry-After`) until [`ModuleExecutor::release_routes`]:
    /// for replacing an instance whose library cannot run two instances at once.
    pub fn hold_routes(&self) {
        self.routes_held.store(true, Ordering::Release);
    }

    /// Serves route calls again after [`ModuleExecutor::hold_routes`].
    pub fn release_routes(&self) {
        self.routes_held.store(false, Ordering::Release);
    }

    /// Takes hook work again after [`ModuleExecutor::stop_hooks`] (the hand-over failed): an
    /// at-least-once module reads what it missed meanwhile from the outbox.
    pub fn resume_hooks(self: &Arc<Self>) {
        let mut queue = self.queue.lock();
        queue.hooks_stopped = false;
        if self.delivery.as_ref().is_some_and(|d| d.at_least_once()) {
            queue.leave_to_outbox(None);
            if let Some(delivery) = &self.delivery {
                queue.read_through = queue.read_through.max(delivery.position());
            }
        }
        if queue.pending() > 0 {
            self.wake_or_start_thread(&mut queue);
        }
    }

    /// Waits up to `bound` until no route call waits in the queue or runs (queued or inline);
    /// call after the route table points elsewhere. Returns whether they all ended.
    pub fn drain_routes(&self, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        loop {
            let now = Instant::now();
            let queued = !self.queue.lock().routes.is_empty();
            let running = self
                .running
                .lock()
                .values()
                .any(|call| call.kind == CallKind::Route && !call.overdue(now));
            let inline = self
                .inline_slots
                .iter()
                .map(|slot| slot.load(Ordering::Relaxed))
                .any(|stamp| stamp != 0 && stamp != OVERRUN_COUNTED);
            if !queued && !running && !inline {
                return true;
            }
            if now >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Whether [`ModuleExecutor::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.queue.lock().closed
    }

    /// The executor now, for the admin API.
    pub fn stats(&self) -> ExecutorStats {
        let now = Instant::now();
        let (in_flight, stuck) = {
            let running = self.running.lock();
            let stuck = running.values().filter(|call| call.overdue(now)).count();
            (running.len(), stuck)
        };
        let queue = self.queue.lock();
        ExecutorStats {
            level: self.level(),
            max_concurrency: self.settings.max_concurrency,
            queue_capacity: self.settings.queue_capacity,
            queue_depth: queue.routes.len(),
            hook_queue_depth: queue.hooks.len(),
            in_flight,
            stuck,
            threads: queue.threads,
            completed: self.calls.completed.load(Ordering::Relaxed),
            rejected: self.calls.rejected.load(Ordering::Relaxed),
            timeouts: self.calls.timeouts.load(Ordering::Relaxed),
            overruns: self.calls.overruns.load(Ordering::Relaxed),
            interrupts: self.calls.interrupts.load(Ordering::Relaxed),
        }
    }

    fn timeout_message(&self) -> String {
        format!(
            "module `{}` did not answer within {} ms",
            self.module_id,
            self.settings.route_timeout.as_millis()
        )
    }

    fn error_message(&self, error: &ModuleError) -> String {
        format!(
            "module `{}` failed: {}",
            self.module_id,
            describe_module_error(error)
        )
    }

    fn failed_message(&self, reason: &str) -> String {
        format!("module `{}` has failed: {reason}", self.module_id)
    }
}

/// A tracked route call's outcome as the waiter's reply.
fn flatten(outcome: Result<RouteReply, String>) -> RouteReply {
    outcome.unwrap_or_else(|panic| Err(ModuleError::new(ErrorKind::Panic, panic)))
}

/// The executor as the hook bus's subscriber: events are queued on the emitter's thread.
pub struct ExecutorHooks(pub Arc<ModuleExecutor>);

impl SelfDeliveringSubscriber for ExecutorHooks {
    fn name(&self) -> &str {
        &self.0.module_id
    }

    fn offer(&self, event: HookEvent) {
        self.0.offer_hook(event);
    }

    fn stats(&self) -> SubscriberStats {
        self.0.hook_stats()
    }

    fn cancel(&self) {
        let mut queue = self.0.queue.lock();
        queue.hooks.clear();
        self.0.publish(&queue);
    }
}
