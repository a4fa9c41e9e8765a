//! Hooks collected inside a transaction, recorded in the hook outbox by the same transaction
//! and emitted only once it has committed.

use super::{Hook, HookBus};
use serde_json::Value;

/// Events a write wants to emit. Core services push into it while the transaction runs and
/// call [`PendingHooks::emit`] after the commit; a rolled-back write drops it, so a failed
/// write never emits anything.
#[derive(Debug, Default)]
#[must_use = "pending hooks do nothing until emitted after the commit"]
pub struct PendingHooks {
    events: Vec<(Hook, Value)>,
}

impl PendingHooks {
    /// An empty list.
    pub fn new() -> PendingHooks {
        PendingHooks::default()
    }

    /// Queues `hook` with its payload.
    pub fn push(&mut self, hook: Hook, payload: Value) {
        self.events.push((hook, payload));
    }

    /// Appends another list, keeping order.
    pub fn extend(&mut self, other: PendingHooks) {
        self.events.extend(other.events);
    }

    /// The queued events, in order.
    pub fn events(&self) -> &[(Hook, Value)] {
        &self.events
    }

    /// The queued events, in order, taken out (to record them in the hook outbox).
    pub fn into_events(self) -> Vec<(Hook, Value)> {
        self.events
    }

    /// Emits every queued event on `bus`, in order, without recording them in the hook outbox.
    /// Call only after the commit. (`Core::write` records them and emits them with
    /// `HookBus::emit_recorded`; this is its benchmark-only path without the outbox.)
    pub fn emit(self, bus: &HookBus) {
        for (hook, payload) in self.events {
            bus.emit(hook, &payload);
        }
    }
}
