//! How a module's code is called: one [`ModuleExecutor`] per running module carries its
//! routes, hooks and services under one capacity budget at the module's isolation level
//! (`inline`, `threaded` or `process`, see `paperclip_core::isolation_level`), and one
//! host-wide [`ModuleClock`] thread schedules services and watches for overdue calls.

mod call_job;
mod delivery_cursor;
mod executor_settings;
mod executor_stats;
mod module_clock;
mod module_executor;
mod outbox_delivery;

pub use call_job::{CallJob, CallKind, RouteReply, RunningCall};
pub use delivery_cursor::DeliveryCursor;
pub use executor_settings::ExecutorSettings;
pub use executor_stats::ExecutorStats;
pub use module_clock::{ModuleClock, OVERDUE_CHECK_INTERVAL};
pub use module_executor::{
    CallRefusal, ExecutorHooks, ModuleExecutor, MAX_HOOK_BATCH, QUEUE_FULL_RETRY_AFTER,
};
pub use outbox_delivery::{
    DeliverySettings, DeliveryStatus, OutboxDelivery, RetryItem, ABSENT_AFTER, GAP_CHECK_AFTER,
    SAVE_EVERY,
};

#[cfg(test)]
mod delivery_tests;
#[cfg(test)]
mod tests;
