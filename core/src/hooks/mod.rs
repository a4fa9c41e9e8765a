//! The hook bus: the core's post-commit events, delivered to subscribers (in-process Rust
//! subscribers and, through the module host, native modules) without ever blocking the write
//! that caused them.

mod hook;
pub mod hook_bus;
pub mod hook_dead_letters;
pub mod hook_outbox;
pub mod hook_readers;
pub mod outbox_retention;
mod pending_hooks;
pub mod self_delivering;
mod subscriber_worker;
#[cfg(test)]
pub(crate) mod test_backends;

pub use hook::Hook;
pub use hook_bus::{
    HookBus, HookEvent, HookSubscriber, SubscriberStats, SubscriptionId, SubscriptionOptions,
};
pub use hook_outbox::{OutboxEvent, RecordedEvent};
pub use pending_hooks::PendingHooks;
pub use self_delivering::SelfDeliveringSubscriber;
