//! A module's hook delivery as an outbox reader (`hook_readers`, named by the module id): its
//! cursor, saved in batches; its failed events (`hook_dead_letters`), retried with backoff and
//! dead-lettered after `modules.maxAttempts`; what it missed while it could not run.
//!
//! - **at-least-once** (the manifest's default): events come from memory while the module keeps
//!   up; when its queue is full, after a hung handler, at start (from the saved cursor) or
//!   to fill a hole in the cursor, they are read back from the outbox. The executor's queue
//!   holds the "read from the outbox" state; this type holds the cursor and the database side.
//!   The outbox keeps the events past the cursor (`retains_events`).
//! - **best-effort**: a full queue drops events (counted); the cursor is the newest event
//!   handled, and what was committed after it when the server stopped (still queued, or
//!   committed while it was down) is counted as missed at the next start.
//!
//! A disabled module's reader is `paused`; enabled again, it resumes from its cursor when its
//! manifest says `catchUp`, else from the newest event.

use super::delivery_cursor::DeliveryCursor;
use crate::manifest::DeliveryMode;
use paperclip_core::db::{now, Database, DbConnection};
use paperclip_core::hooks::hook_dead_letters::{self, DeadLetter, DeadLetterState};
use paperclip_core::hooks::hook_outbox::{self, OutboxEvent};
use paperclip_core::hooks::hook_readers::{self, ReaderState};
use paperclip_core::hooks::{Hook, HookEvent};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest wait between two attempts at a failed event.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How long a hole in the cursor may last before the outbox is read to fill it.
pub const GAP_CHECK_AFTER: Duration = Duration::from_millis(500);

/// A `seq` missing from the outbox below an event committed this long ago is no event (a
/// rolled-back write) or one whose transaction has run this long; it is passed over.
pub const ABSENT_AFTER: Duration = Duration::from_secs(10);

/// How often a moved cursor is saved.
pub const SAVE_EVERY: Duration = Duration::from_millis(250);

/// What a module's delivery promises and how hard it retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySettings {
    /// The manifest's `delivery`.
    pub mode: DeliveryMode,
    /// The manifest's `catchUp`.
    pub catch_up: bool,
    /// Attempts at a failing event before it is dead-lettered (`modules.maxAttempts`).
    pub max_attempts: u32,
    /// Wait before the first retry, doubled after each failure (`modules.retryBackoffMs`).
    pub retry_backoff: Duration,
}

impl Default for DeliverySettings {
    fn default() -> DeliverySettings {
        DeliverySettings {
            mode: DeliveryMode::AtLeastOnce,
            catch_up: false,
            max_attempts: 5,
            retry_backoff: Duration::from_secs(1),
        }
    }
}

/// A failed event waiting for its next attempt.
#[derive(Debug, Clone)]
pub struct RetryItem {
    /// The event.
    pub event: HookEvent,
    /// Attempts so far.
    pub attempts: u32,
    /// When it is tried next.
    pub due: Instant,
}

/// Delivery counters, since the module came up.
#[derive(Default)]
struct DeliveryCounters {
    read_from_outbox: AtomicU64,
    retried: AtomicU64,
    recovered: AtomicU64,
    dead_lettered: AtomicU64,
    missed: AtomicU64,
    passed_over: AtomicU64,
}

/// What the admin API shows of a module's delivery (the parts kept in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// `at-least-once` or `best-effort`.
    pub mode: DeliveryMode,
    /// The manifest's `catchUp`.
    pub catch_up: bool,
    /// Every event up to this `seq` is handled (best-effort: the newest event handled).
    pub cursor: i64,
    /// The cursor as last saved.
    pub saved_cursor: i64,
    /// Events read back from the outbox (not from memory).
    pub read_from_outbox: u64,
    /// Retries made.
    pub retried: u64,
    /// Events delivered on a retry.
    pub recovered: u64,
    /// Events whose attempts ran out.
    pub dead_lettered: u64,
    /// Events waiting for a retry.
    pub retrying: u64,
    /// Best-effort: events committed while the server was down, not delivered.
    pub missed: u64,
    /// `seq`s passed over as no event (rolled-back writes).
    pub passed_over: u64,
}

/// One module's delivery as an outbox reader (see the module doc).
pub struct OutboxDelivery {
    reader: String,
    db: Database,
    settings: DeliverySettings,
    hooks: HashSet<Hook>,
    cursor: Mutex<DeliveryCursor>,
    /// Best-effort: the newest `seq` handled.
    newest_seen: AtomicI64,
    saved: AtomicI64,
    last_save: Mutex<Instant>,
    waiting: Mutex<Vec<RetryItem>>,
    counters: DeliveryCounters,
    /// This replica does the module's delivery (holds its lease): only the owner saves.
    owner: AtomicBool,
}

/// Where a reader resumes and what it missed (best-effort).
struct ResumePoint {
    start: i64,
    missed: u64,
}

impl OutboxDelivery {
    /// Opens the module `reader`'s delivery for `hooks`: its cursor (new: the newest event;
    /// `paused` and no `catchUp`: the newest event; else where it was), and its `retrying`
    /// failed events loaded (due at once). When this replica does the module's background work
    /// (`owner`), its reader row is saved `active`; otherwise nothing is written and the
    /// delivery waits until [`OutboxDelivery::reopen`] makes it the owner. Blocking.
    pub fn open(
        db: &Database,
        reader: &str,
        hooks: &[Hook],
        settings: DeliverySettings,
        owner: bool,
    ) -> Result<Arc<OutboxDelivery>, String> {
        let delivery = OutboxDelivery {
            reader: reader.to_string(),
            db: db.clone(),
            settings,
            hooks: hooks.iter().copied().collect(),
            cursor: Mutex::new(DeliveryCursor::new(0)),
            newest_seen: AtomicI64::new(0),
            saved: AtomicI64::new(0),
            last_save: Mutex::new(Instant::now()),
            waiting: Mutex::new(Vec::new()),
            counters: DeliveryCounters::default(),
            owner: AtomicBool::new(false),
        };
        if owner {
            delivery.reopen()?;
        } else {
            let mut conn = db.conn().map_err(|e| format!("hook delivery: {e}"))?;
            let resume = delivery.resume_point(&mut conn)?;
            delivery.reset_to(resume.start, Vec::new());
        }
        Ok(Arc::new(delivery))
    }

    /// Makes this replica the delivery's owner (it took the module's lease): the cursor, the
    /// failed events waiting for a retry and the missed count are read again from the database
    /// — another replica may have moved them — as [`OutboxDelivery::open`] reads them, and the
    /// reader row is saved `active`. Blocking.
    pub fn reopen(&self) -> Result<(), String> {
        let mut conn = self.db.conn().map_err(|e| format!("hook delivery: {e}"))?;
        let problem = |e: diesel::result::Error| format!("hook delivery: {e}");
        let resume = self.resume_point(&mut conn)?;
        hook_readers::save(
            &mut conn,
            &self.reader,
            resume.start,
            ReaderState::Active,
            self.at_least_once(),
        )
        .map_err(problem)?;
        let retrying = if self.at_least_once() {
            hook_dead_letters::list(&mut conn, &self.reader, Some(DeadLetterState::Retrying))
                .map_err(problem)?
        } else {
            Vec::new()
        };
        let now = Instant::now();
        let waiting = retrying
            .into_iter()
            .map(|letter| RetryItem {
                event: hook_event(&letter.event),
                attempts: u32::try_from(letter.attempts).unwrap_or(0),
                due: now,
            })
            .collect();
        self.reset_to(resume.start, waiting);
        self.counters.missed.store(resume.missed, Ordering::Relaxed);
        self.owner.store(true, Ordering::Release);
        Ok(())
    }

    /// This replica no longer owns the delivery (another took the module's lease): nothing is
    /// saved from here on, and the retries waiting here are dropped (they are recorded; the
    /// owner retries them).
    pub fn disown(&self) {
        self.owner.store(false, Ordering::Release);
        self.waiting.lock().clear();
    }

    /// Whether this replica owns the delivery (saves its cursor).
    pub fn is_owner(&self) -> bool {
        self.owner.load(Ordering::Acquire)
    }

    /// Where the reader resumes, from its saved row (see [`OutboxDelivery::open`]).
    fn resume_point(&self, conn: &mut DbConnection) -> Result<ResumePoint, String> {
        let problem = |e: diesel::result::Error| format!("hook delivery: {e}");
        let saved = hook_readers::get(conn, &self.reader).map_err(problem)?;
        let newest = hook_outbox::newest_seq(conn).map_err(problem)?.unwrap_or(0);
        let at_least_once = self.at_least_once();
        let start = match &saved {
            None => newest,
            Some(row)
                if row.state == ReaderState::Paused
                    && !(at_least_once && self.settings.catch_up) =>
            {
                newest
            }
            Some(row) if at_least_once => row.delivered_seq.min(newest),
            Some(_) => newest,
        };
        let hooks: Vec<Hook> = self.hooks.iter().copied().collect();
        let missed = match &saved {
            Some(row) if !at_least_once && row.state == ReaderState::Active => {
                count_missed(conn, row.delivered_seq, &hooks).map_err(problem)?
            }
            _ => 0,
        };
        Ok(ResumePoint { start, missed })
    }

    /// Puts the cursor at `start` with `waiting` retries.
    fn reset_to(&self, start: i64, waiting: Vec<RetryItem>) {
        *self.cursor.lock() = DeliveryCursor::new(start);
        self.newest_seen.store(start, Ordering::Relaxed);
        self.saved.store(start, Ordering::Relaxed);
        *self.last_save.lock() = Instant::now();
        *self.waiting.lock() = waiting;
    }

    /// A new instance's delivery taking over from `previous` (the same reader, whose hook calls
    /// have stopped): the same cursor — handled ranges above a hole included, so nothing the
    /// previous instance handled comes again — and its failed events still `retrying`, loaded
    /// from the database (due at once). Blocking.
    pub fn take_over(
        previous: &OutboxDelivery,
        hooks: &[Hook],
        settings: DeliverySettings,
    ) -> Result<Arc<OutboxDelivery>, String> {
        let cursor = previous.cursor.lock().clone();
        let start = if previous.at_least_once() {
            cursor.position()
        } else {
            previous.newest_seen.load(Ordering::Relaxed)
        };
        let at_least_once = settings.mode == DeliveryMode::AtLeastOnce;
        let mut conn = previous
            .db
            .conn()
            .map_err(|e| format!("hook delivery: {e}"))?;
        let problem = |e: diesel::result::Error| format!("hook delivery: {e}");
        let owner = previous.is_owner();
        if owner {
            hook_readers::save(
                &mut conn,
                &previous.reader,
                start,
                ReaderState::Active,
                at_least_once,
            )
            .map_err(problem)?;
        }
        let now = Instant::now();
        let waiting = if at_least_once && owner {
            hook_dead_letters::list(&mut conn, &previous.reader, Some(DeadLetterState::Retrying))
                .map_err(problem)?
                .into_iter()
                .map(|letter| RetryItem {
                    event: hook_event(&letter.event),
                    attempts: u32::try_from(letter.attempts).unwrap_or(0),
                    due: now,
                })
                .collect()
        } else {
            Vec::new()
        };
        previous.saved.fetch_max(start, Ordering::Relaxed);
        Ok(Arc::new(OutboxDelivery {
            reader: previous.reader.clone(),
            db: previous.db.clone(),
            settings,
            hooks: hooks.iter().copied().collect(),
            cursor: Mutex::new(if at_least_once {
                cursor
            } else {
                DeliveryCursor::new(start)
            }),
            newest_seen: AtomicI64::new(start),
            saved: AtomicI64::new(start),
            last_save: Mutex::new(now),
            waiting: Mutex::new(waiting),
            counters: DeliveryCounters::default(),
            owner: AtomicBool::new(owner),
        }))
    }

    /// The reader's name (the module id).
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &DeliverySettings {
        &self.settings
    }

    /// Whether events come back from the outbox when memory is not enough.
    pub fn at_least_once(&self) -> bool {
        self.settings.mode == DeliveryMode::AtLeastOnce
    }

    /// Whether the module registered `hook`.
    pub fn wants(&self, hook: Hook) -> bool {
        self.hooks.contains(&hook)
    }

    /// Whether the event `seq` is handled already.
    pub fn is_handled(&self, seq: i64) -> bool {
        self.cursor.lock().is_handled(seq)
    }

    /// Marks events handled (delivered, set aside for a retry, or not for this module).
    pub fn mark_handled(&self, seqs: impl IntoIterator<Item = i64>) {
        let now = Instant::now();
        let mut cursor = self.cursor.lock();
        for seq in seqs {
            cursor.mark(seq, now);
        }
    }

    /// Best-effort: notes the newest event handled.
    pub fn note_seen(&self, seq: i64) {
        self.newest_seen.fetch_max(seq, Ordering::Relaxed);
    }

    /// The cursor now: the low-water mark (best-effort: the newest event handled).
    pub fn position(&self) -> i64 {
        if self.at_least_once() {
            self.cursor.lock().position()
        } else {
            self.newest_seen.load(Ordering::Relaxed)
        }
    }

    /// Whether the cursor moved and was last saved [`SAVE_EVERY`] ago or more.
    pub fn save_due(&self, now: Instant) -> bool {
        self.is_owner()
            && self.position() > self.saved.load(Ordering::Relaxed)
            && now.saturating_duration_since(*self.last_save.lock()) >= SAVE_EVERY
    }

    /// Saves the cursor (never backwards). Blocking.
    pub fn save(&self) {
        if !self.is_owner() {
            return;
        }
        let position = self.position();
        *self.last_save.lock() = Instant::now();
        if position <= self.saved.load(Ordering::Relaxed) {
            return;
        }
        let saved = self
            .db
            .conn()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                hook_readers::advance(&mut conn, &self.reader, position).map_err(|e| e.to_string())
            });
        match saved {
            Ok(()) => {
                self.saved.fetch_max(position, Ordering::Relaxed);
            }
            Err(error) => {
                tracing::warn!(module = %self.reader, %error, "hook delivery: cursor not saved")
            }
        }
    }

    /// Saves the cursor and the reader's state as the module goes down: `paused` when it is
    /// disabled (the outbox keeps its events only if it catches up), else still `active` (a
    /// server stop: it resumes from here). Blocking.
    pub fn finish(&self, disabled: bool) {
        if !self.is_owner() {
            // Another replica owns the reader row.
            return;
        }
        let position = self.position();
        let (state, retains) = if disabled {
            (
                ReaderState::Paused,
                self.at_least_once() && self.settings.catch_up,
            )
        } else {
            (ReaderState::Active, self.at_least_once())
        };
        let saved = self
            .db
            .conn()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                hook_readers::save(&mut conn, &self.reader, position, state, retains)
                    .map_err(|e| e.to_string())
            });
        if let Err(error) = saved {
            tracing::warn!(module = %self.reader, %error, "hook delivery: final cursor not saved");
        }
    }

    /// Up to `limit` outbox events after the first event not handled yet, for the executor to
    /// queue: events the module did not register are marked handled on the way, holes below an
    /// event older than [`ABSENT_AFTER`] (or a hole that lasted that long) are passed over.
    /// Returns the events to deliver and whether the outbox held nothing more (caught up).
    pub fn read_unhandled(&self, limit: usize) -> Result<(Vec<HookEvent>, bool), String> {
        let mut conn = self.db.conn().map_err(|e| e.to_string())?;
        let mut from = {
            let cursor = self.cursor.lock();
            cursor.next_unhandled_after(cursor.position()) - 1
        };
        let limit_rows = i64::try_from(limit.max(1)).unwrap_or(i64::MAX);
        // A few windows at most: past events handled already, to the next one to deliver.
        for _ in 0..8 {
            let rows =
                hook_outbox::read_after(&mut conn, from, limit_rows).map_err(|e| e.to_string())?;
            let full = rows.len() as i64 >= limit_rows;
            let events = self.take_rows(&rows, from);
            self.counters
                .read_from_outbox
                .fetch_add(events.len() as u64, Ordering::Relaxed);
            if !events.is_empty() || !full {
                if !full {
                    self.pass_over_old_hole();
                }
                return Ok((events, !full));
            }
            from = rows.last().map_or(from, |row| row.seq);
        }
        Ok((Vec::new(), false))
    }

    /// The rows (read after `from`) to deliver; marks the others handled, and passes over
    /// holes below rows older than [`ABSENT_AFTER`].
    fn take_rows(&self, rows: &[OutboxEvent], from: i64) -> Vec<HookEvent> {
        let at = Instant::now();
        let old = now() - chrono::Duration::from_std(ABSENT_AFTER).unwrap_or_default();
        let mut cursor = self.cursor.lock();
        let mut previous = from;
        let mut events = Vec::new();
        for row in rows {
            if row.seq > previous + 1 && row.created_at < old {
                let before = cursor.position();
                cursor.mark_range(previous + 1, row.seq - 1, at);
                if cursor.position() > before {
                    self.counters
                        .passed_over
                        .fetch_add((row.seq - 1 - previous) as u64, Ordering::Relaxed);
                }
            }
            previous = row.seq;
            if cursor.is_handled(row.seq) {
                continue;
            }
            if !self.wants(row.hook) {
                cursor.mark(row.seq, at);
                continue;
            }
            events.push(hook_event(row));
        }
        events
    }

    /// A hole in the cursor that has lasted [`ABSENT_AFTER`] with nothing in the outbox to fill
    /// it is passed over.
    fn pass_over_old_hole(&self) {
        let now = Instant::now();
        let mut cursor = self.cursor.lock();
        if let Some((first, first_above, since)) = cursor.gap() {
            if now.saturating_duration_since(since) >= ABSENT_AFTER {
                cursor.mark_range(first, first_above - 1, now);
                self.counters
                    .passed_over
                    .fetch_add((first_above - first) as u64, Ordering::Relaxed);
            }
        }
    }

    /// Whether the cursor has had a hole for [`GAP_CHECK_AFTER`] (the outbox should be read).
    pub fn hole_to_fill(&self, now: Instant) -> bool {
        self.cursor
            .lock()
            .gap()
            .is_some_and(|(_, _, since)| now.saturating_duration_since(since) >= GAP_CHECK_AFTER)
    }

    /// After a batch: each failed event is recorded (`retrying`, or `dead` when one attempt is
    /// all there is) and waits for its retry; then every event of the batch is marked handled,
    /// except a failed one that could not be recorded (it stays a hole, read back later).
    pub fn after_batch(&self, events: &[HookEvent], failures: &[(usize, String)]) {
        let mut unrecorded = HashSet::new();
        if self.at_least_once() {
            for (index, error) in failures {
                let Some(event) = events.get(*index) else {
                    continue;
                };
                if event.seq.is_none() {
                    continue;
                }
                if !self.record_failure(event, 1, error) {
                    unrecorded.extend(event.seq);
                }
            }
        }
        let seqs = events
            .iter()
            .filter_map(|event| event.seq)
            .filter(|seq| !unrecorded.contains(seq));
        if self.at_least_once() {
            self.mark_handled(seqs);
        } else if let Some(newest) = seqs.max() {
            self.note_seen(newest);
        }
    }

    /// After a retry of `item`: delivered → its row deleted; failed → another retry later, or
    /// dead-lettered when its attempts ran out.
    pub fn after_retry(&self, mut item: RetryItem, error: Option<String>) {
        self.counters.retried.fetch_add(1, Ordering::Relaxed);
        item.attempts += 1;
        match error {
            None => {
                self.counters.recovered.fetch_add(1, Ordering::Relaxed);
                let removed = self.db.conn().map_err(|e| e.to_string()).and_then(|mut c| {
                    let id = item.event.event_id.as_deref().unwrap_or_default();
                    hook_dead_letters::remove(&mut c, &self.reader, id).map_err(|e| e.to_string())
                });
                if let Err(error) = removed {
                    tracing::warn!(module = %self.reader, %error, "hook delivery: delivered event not cleared");
                }
            }
            Some(error) => {
                if !self.record_failure(&item.event, item.attempts, &error) {
                    // Not recorded: try again later rather than lose it.
                    self.wait(item);
                }
            }
        }
    }

    /// Records a failed attempt and, while attempts remain, schedules the next; returns whether
    /// the failure was recorded.
    fn record_failure(&self, event: &HookEvent, attempts: u32, error: &str) -> bool {
        let dead = attempts >= self.settings.max_attempts;
        let state = if dead {
            DeadLetterState::Dead
        } else {
            DeadLetterState::Retrying
        };
        let Some(row) = outbox_event(event) else {
            return true;
        };
        let recorded = self.db.conn().map_err(|e| e.to_string()).and_then(|mut c| {
            hook_dead_letters::record_failure(
                &mut c,
                &self.reader,
                &row,
                state,
                i32::try_from(attempts).unwrap_or(i32::MAX),
                error,
            )
            .map_err(|e| e.to_string())
        });
        if let Err(problem) = recorded {
            tracing::warn!(module = %self.reader, error = %problem, "hook delivery: failed event not recorded");
            return false;
        }
        if dead {
            self.counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(module = %self.reader, event = %row.event_id, hook = %row.hook.as_str(), attempts, %error, "hook event dead-lettered");
        } else {
            self.wait(RetryItem {
                event: event.clone(),
                attempts,
                due: Instant::now() + self.backoff(attempts),
            });
        }
        true
    }

    /// The wait after `attempts` failures.
    fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32 << attempts.saturating_sub(1).min(16);
        self.settings
            .retry_backoff
            .saturating_mul(factor)
            .min(MAX_BACKOFF)
    }

    fn wait(&self, item: RetryItem) {
        self.waiting.lock().push(item);
    }

    /// Queues a replay of a dead letter (attempts start again) for now.
    pub fn replay(&self, letter: &DeadLetter) {
        self.wait(RetryItem {
            event: hook_event(&letter.event),
            attempts: 0,
            due: Instant::now(),
        });
    }

    /// The retries due at `now`, taken off the waiting list.
    pub fn take_due_retries(&self, now: Instant) -> Vec<RetryItem> {
        let mut waiting = self.waiting.lock();
        if !waiting.iter().any(|item| item.due <= now) {
            return Vec::new();
        }
        let (due, later): (Vec<RetryItem>, Vec<RetryItem>) =
            waiting.drain(..).partition(|item| item.due <= now);
        *waiting = later;
        due
    }

    /// What it shows in the admin API.
    pub fn status(&self) -> DeliveryStatus {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        DeliveryStatus {
            mode: self.settings.mode,
            catch_up: self.settings.catch_up,
            cursor: self.position(),
            saved_cursor: self.saved.load(Ordering::Relaxed),
            read_from_outbox: load(&self.counters.read_from_outbox),
            retried: load(&self.counters.retried),
            recovered: load(&self.counters.recovered),
            dead_lettered: load(&self.counters.dead_lettered),
            retrying: self.waiting.lock().len() as u64,
            missed: load(&self.counters.missed),
            passed_over: load(&self.counters.passed_over),
        }
    }
}

/// An outbox row as a hook event to deliver.
fn hook_event(row: &OutboxEvent) -> HookEvent {
    HookEvent {
        hook: row.hook,
        payload: Arc::from(row.payload.as_str()),
        emitted_at: Instant::now(),
        seq: Some(row.seq),
        event_id: Some(Arc::from(row.event_id.as_str())),
    }
}

/// A recorded hook event as an outbox row (`None` for an event that is not in the outbox).
fn outbox_event(event: &HookEvent) -> Option<OutboxEvent> {
    Some(OutboxEvent {
        seq: event.seq?,
        event_id: event.event_id.as_deref()?.to_string(),
        hook: event.hook,
        payload: event.payload.to_string(),
        created_at: now(),
    })
}

/// Events of `hooks` committed after `after` that are still in the outbox.
fn count_missed(conn: &mut DbConnection, after: i64, hooks: &[Hook]) -> diesel::QueryResult<u64> {
    let names: Vec<&str> = hooks.iter().map(|hook| hook.as_str()).collect();
    hook_outbox::count_after(conn, after, &names).map(|n| u64::try_from(n).unwrap_or(0))
}
