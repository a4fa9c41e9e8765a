//! The executor's side of the module lease (see [`crate::cluster`]): only the replica holding
//! it runs the module's services and its at-least-once hook delivery. Gaining the lease
//! re-reads the delivery's cursor from the database and reads the outbox from there; losing
//! it drops the hook work queued here (the outbox keeps every event for the new holder).

use super::{ModuleExecutor, Queue};
use crate::cluster::Cluster;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the lease holder reads the outbox for events other replicas committed.
pub const PEER_POLL_EVERY: Duration = Duration::from_millis(100);

impl ModuleExecutor {
    /// Joins the executor to the replica's cluster membership: from now on it does the
    /// module's background work only while `cluster` holds the module's lease (as it does now,
    /// or not, when this is called before any work arrives).
    pub fn set_cluster(&self, cluster: Arc<Cluster>) {
        let holds = cluster.holds(&self.module_id);
        if self.cluster.set(cluster).is_ok() {
            self.owns_work.store(holds, Ordering::Release);
        }
    }

    /// Whether this replica runs the module's services and at-least-once delivery now.
    pub fn owns_work(&self) -> bool {
        self.owns_work.load(Ordering::Acquire)
    }

    /// Other live replicas commit events (the lease holder polls the outbox for them).
    pub(super) fn peers_commit(&self) -> bool {
        self.cluster.get().is_some_and(|c| c.peers() > 0)
    }

    /// Whether the outbox was last read [`PEER_POLL_EVERY`] ago or more.
    pub(super) fn poll_due(&self, queue: &Queue, now: Instant) -> bool {
        !matches!(queue.last_fill, Some(at) if now.saturating_duration_since(at) < PEER_POLL_EVERY)
    }

    /// This replica took the module's lease: the delivery resumes from the cursor saved in the
    /// database (by whichever replica held it before) and reads the outbox from there; its
    /// recorded retries come back. Blocking (one database read). Returns false, holding
    /// nothing, when the cursor could not be read (tried again at the next renewal).
    pub fn gain_work(self: &Arc<Self>) -> bool {
        if let Some(delivery) = self.delivery.as_ref().filter(|d| d.at_least_once()) {
            if let Err(error) = delivery.reopen() {
                tracing::warn!(module = %self.module_id, %error, "module lease taken, but its delivery cannot resume yet");
                return false;
            }
            let mut queue = self.queue.lock();
            queue.hooks.clear();
            queue.retries.clear();
            queue.leave_to_outbox(None);
            queue.read_through = delivery.position();
            queue.left_newest = 0;
            queue
                .retries
                .extend(delivery.take_due_retries(Instant::now()));
            self.owns_work.store(true, Ordering::Release);
            if queue.pending() > 0 {
                self.wake_or_start_thread(&mut queue);
            }
        } else {
            self.owns_work.store(true, Ordering::Release);
        }
        tracing::info!(module = %self.module_id, "this replica now runs the module's services and hook delivery");
        true
    }

    /// Another replica holds the module's lease now: no more services or at-least-once hook
    /// calls here (a call in progress finishes), queued events are left to the outbox and the
    /// cursor is no longer saved from here.
    pub fn lose_work(&self) {
        self.owns_work.store(false, Ordering::Release);
        if let Some(delivery) = self.delivery.as_ref().filter(|d| d.at_least_once()) {
            delivery.disown();
            let mut queue = self.queue.lock();
            queue.hooks.clear();
            queue.retries.clear();
            queue.from_outbox = false;
            queue.fill_wanted = false;
            queue.save_wanted = false;
        }
        tracing::info!(module = %self.module_id, "another replica runs the module's services and hook delivery now");
    }
}
