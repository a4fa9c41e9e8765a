//! Replacing a running module instance by a prepared one, without a restart (a new version, or
//! a new configuration): the old instance stops taking hook events and its delivery — cursor
//! included — passes to the new one, so no event is lost and none is delivered to both; the
//! route table points at the new instance in one step; the old one finishes the route calls it
//! has (bounded), then is retired. If the new instance cannot start, the old one goes on.

use super::manifest::Manifest;
use super::module_activation::{
    start, subscribe, ActivationContext, ModuleRuntime, PreparedModule, CALLS_STOP_TIMEOUT,
};
use super::module_calls::{call_shutdown, SHUTDOWN_TIMEOUT};
use super::module_counters::ModuleCounters;
use super::module_status::StatusReason;
use paperclip_core::core::Core;
use paperclip_core::hooks::Hook;
use paperclip_core::isolation_level::IsolationLevel;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the hand-over waits for the old instance's hook call in progress.
pub const HANDOVER_TIMEOUT: Duration = Duration::from_secs(10);

/// What a swap did.
#[derive(Debug, Clone, Copy)]
pub struct SwapTimings {
    /// From the old instance's hooks stopping to the new one's routes and hooks attached: the
    /// longest time hook events waited (routes do not wait: they move in one step).
    pub handover: Duration,
}

/// Hands the module over from `old` to `prepared` (already registered). `same_library`: both
/// are the same library in this process, whose state the new `register` already replaced —
/// the old instance is then not shut down (that would shut the new one down). On failure the
/// old instance is attached again and returned with the reason.
#[allow(clippy::too_many_arguments)]
pub fn swap(
    ctx: &ActivationContext<'_>,
    manifest: &Manifest,
    prepared: PreparedModule,
    level: IsolationLevel,
    counters: &Arc<ModuleCounters>,
    mut old: ModuleRuntime,
    same_library: bool,
) -> Result<(ModuleRuntime, SwapTimings), (StatusReason, Box<ModuleRuntime>)> {
    let id = manifest.id.as_str();
    let began = Instant::now();
    // Events from now on wait in the outbox for whichever instance ends up with the delivery.
    if let Some(subscription) = old.subscription.take() {
        ctx.core.hooks().unsubscribe(subscription);
    }
    old.executor.stop_hooks(HANDOVER_TIMEOUT);
    let previous = old.executor.delivery().cloned();
    match start(
        ctx,
        manifest,
        prepared,
        level,
        counters,
        previous.as_deref(),
    ) {
        Ok(new) => {
            let handover = began.elapsed();
            if let Some(prefix) = &old.route_prefix {
                if new.route_prefix.as_deref() != Some(prefix.as_str()) {
                    ctx.routes.unmount(prefix, id);
                }
            }
            counters.retire_hook_stats(&old.executor.hook_stats());
            retire(id, old, !same_library);
            tracing::info!(module = id, version = %manifest.version, handover_ms = handover.as_secs_f64() * 1000.0, "module instance replaced");
            Ok((new, SwapTimings { handover }))
        }
        Err(reason) => {
            reattach(ctx.core, &mut old);
            Err((reason, Box::new(old)))
        }
    }
}

/// Attaches `old` again after a failed hand-over: hooks subscribed (it reads what it missed from
/// the outbox), routes served.
pub fn reattach(core: &Core, old: &mut ModuleRuntime) {
    let hooks: Vec<Hook> = old.hooks.iter().filter_map(|h| h.parse().ok()).collect();
    old.executor.resume_hooks();
    old.executor.release_routes();
    old.subscription = subscribe(core, &old.executor, &hooks);
}

/// Retires a replaced instance: its route calls finish (bounded), it stops, its open
/// transactions are rolled back, `shutdown` is called when `shut_down` (not for the same
/// library as its successor), its database access is revoked. Its delivery is not saved: its
/// successor has it.
pub fn retire(id: &str, old: ModuleRuntime, shut_down: bool) {
    old.executor.drain_routes(CALLS_STOP_TIMEOUT);
    let left = old.executor.close(CALLS_STOP_TIMEOUT);
    if !left.is_empty() {
        tracing::warn!(module = id, calls = ?left, "calls of the replaced instance still running");
    }
    let rolled_back = old.db.rollback_all();
    if rolled_back > 0 {
        tracing::warn!(
            module = id,
            transactions = rolled_back,
            "open transactions of the replaced instance rolled back"
        );
    }
    if shut_down && !call_shutdown(id, &old.entry, SHUTDOWN_TIMEOUT) {
        tracing::warn!(
            module = id,
            "the replaced instance's shutdown did not return in time"
        );
    }
    old.db.revoke();
}
