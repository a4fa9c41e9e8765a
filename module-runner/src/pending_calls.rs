//! Calls sent over the connection and not answered yet, by call id: the sender waits on its
//! slot, the reading thread fills it when the answer frame arrives. Used on both sides (the host
//! waiting for the module, the module waiting for the host).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

/// Open calls whose answers are `T`.
#[derive(Debug)]
pub struct PendingCalls<T> {
    next_id: AtomicU64,
    waiting: Mutex<HashMap<u64, SyncSender<T>>>,
}

impl<T> Default for PendingCalls<T> {
    fn default() -> Self {
        PendingCalls {
            next_id: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> PendingCalls<T> {
    /// No call open.
    pub fn new() -> PendingCalls<T> {
        PendingCalls::default()
    }

    /// Opens a call: its id (never 0) and where its answer will arrive.
    pub fn open(&self) -> (u64, Receiver<T>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = sync_channel(1);
        self.lock().insert(id, sender);
        (id, receiver)
    }

    /// Delivers the answer to call `id`; returns `false` when no such call is open (answered
    /// already, abandoned, or never made).
    pub fn answer(&self, id: u64, value: T) -> bool {
        match self.lock().remove(&id) {
            Some(sender) => sender.send(value).is_ok(),
            None => false,
        }
    }

    /// Forgets call `id` (its caller gave up waiting).
    pub fn abandon(&self, id: u64) {
        self.lock().remove(&id);
    }

    /// Answers every open call with `make()` (the connection is gone).
    pub fn fail_all(&self, make: impl Fn() -> T) {
        let waiting: Vec<_> = self.lock().drain().collect();
        for (_, sender) in waiting {
            let _ = sender.send(make());
        }
    }

    /// How many calls are open.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no call is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, SyncSender<T>>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_reach_their_own_caller() {
        let pending = PendingCalls::new();
        let (a, a_rx) = pending.open();
        let (b, b_rx) = pending.open();
        assert_ne!(a, b);
        assert!(pending.answer(b, "b"));
        assert!(pending.answer(a, "a"));
        assert_eq!(a_rx.recv().unwrap(), "a");
        assert_eq!(b_rx.recv().unwrap(), "b");
        assert!(!pending.answer(a, "again"));
    }

    #[test]
    fn a_lost_connection_fails_every_open_call() {
        let pending = PendingCalls::new();
        let (_, rx1) = pending.open();
        let (_, rx2) = pending.open();
        pending.fail_all(|| "gone");
        assert_eq!(rx1.recv().unwrap(), "gone");
        assert_eq!(rx2.recv().unwrap(), "gone");
        assert!(pending.is_empty());
    }
}
