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
    /// What caused the write (a module's write): put into every payload as `"causedBy"`.
    cause: Option<Value>,
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

    /// Marks every event of this write, queued before or after, as caused by `cause` (a
    /// module's write: `{eventId, depth, module}`); it becomes each payload's top-level
    /// `"causedBy"`.
    pub fn set_cause(&mut self, cause: Value) {
        self.cause = Some(cause);
    }

    /// The queued events, in order, taken out (to record them in the hook outbox), each payload
    /// with the write's `"causedBy"` when it has one.
    pub fn into_events(self) -> Vec<(Hook, Value)> {
        let Some(cause) = self.cause else {
            return self.events;
        };
        self.events
            .into_iter()
            .map(|(hook, mut payload)| {
                if let Value::Object(fields) = &mut payload {
                    fields.insert("causedBy".to_owned(), cause.clone());
                }
                (hook, payload)
            })
            .collect()
    }

    /// Emits every queued event on `bus`, in order, without recording them in the hook outbox.
    /// Call only after the commit. (`Core::write` records them and emits them with
    /// `HookBus::emit_recorded`; this is its benchmark-only path without the outbox.)
    pub fn emit(self, bus: &HookBus) {
        for (hook, payload) in self.into_events() {
            bus.emit(hook, &payload);
        }
    }
}
