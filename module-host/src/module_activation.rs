//! Bringing one module up and taking it down. Up: configuration (saved override or
//! `modules.config.<id>`, `$ENV_VAR`s resolved, schema defaults, validation) → migrations →
//! `register` with the module's host handle → the hooks it registered checked against the
//! manifest → its executor made → hooks subscribed to it → routes mounted → services scheduled.
//! Down (disable, shutdown): hooks unsubscribed, routes detached, the executor closed (calls in
//! progress waited for, with a bound), open module transactions rolled back, `shutdown` called.
//! Data is never touched on the way down.
//!
//! Each step that fails leaves nothing behind (a registered module is shut down again) and
//! reports the module's status and reason.

use super::executor::{
    DeliverySettings, ExecutorHooks, ExecutorSettings, ModuleClock, ModuleExecutor, OutboxDelivery,
};
use super::host_handle::HostHandleImpl;
use super::manifest::Manifest;
use super::module_calls::{call_register, call_shutdown, REGISTER_TIMEOUT, SHUTDOWN_TIMEOUT};
use super::module_config::{effective_config, ConfigSource};
use super::module_counters::{CounterSnapshot, ModuleCounters};
use super::module_db::{ModuleDb, ModuleDbLimits};
use super::module_entry::ModuleEntry;
use super::module_migrations::run_module_migrations;
use super::module_policy::ModulePolicy;
use super::module_status::{ModuleStatus, StatusReason};
use super::route_table::{RouteTable, RouteTarget};
use super::sql_guard::SqlGuard;
use crate::cluster::Cluster;
use module_sdk::abi::Registration;
use paperclip_core::core::Core;
use paperclip_core::hooks::{Hook, SubscriptionId};
use paperclip_core::isolation_level::IsolationLevel;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long a disable or shutdown waits for a module's calls in progress (calls already past
/// their limit are not waited for).
pub const CALLS_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What the host needs to bring a module up.
pub struct ActivationContext<'a> {
    /// The core (database, hook bus), also handed to the module's host handle.
    pub core: &'a Core,
    /// The live route table.
    pub routes: &'a RouteTable,
    /// Capacity and time limits of the module's executor.
    pub executor: ExecutorSettings,
    /// How its hook events are delivered (manifest `delivery`, `catchUp`; retries).
    pub delivery: DeliverySettings,
    /// The host-wide clock that schedules services and watches for overdue calls.
    pub clock: &'a Arc<ModuleClock>,
    /// Ids of every known module, so the SQL guard keeps `foo` out of `foo-bar`'s tables.
    pub known_ids: &'a [String],
    /// Limits of each module's database calls.
    pub db_limits: ModuleDbLimits,
    /// What the module may do through core calls (grants, companies, causation), shared with
    /// its executor and kept in its runtime so that the operator's changes apply at once.
    pub policy: Arc<ModulePolicy>,
    /// This replica's cluster membership: the module's services and at-least-once delivery
    /// run here only while it holds the module's lease.
    pub cluster: &'a Arc<Cluster>,
}

/// The module's raw configuration and where it came from.
pub struct RawConfig<'a> {
    /// The JSON as written (with `$ENV_VAR` strings), if any.
    pub value: Option<&'a Value>,
    /// Config file or saved override.
    pub source: ConfigSource,
}

/// A running module: what has to be undone to take it down.
pub struct ModuleRuntime {
    /// Its entry points (in this process, or its child process).
    pub entry: Arc<dyn ModuleEntry>,
    /// Runs its routes, hooks and services.
    pub executor: Arc<ModuleExecutor>,
    /// Its hook subscription, when it registered hooks.
    pub subscription: Option<SubscriptionId>,
    /// Its mounted route prefix, when it serves routes.
    pub route_prefix: Option<String>,
    /// Its database access (to roll back transactions left open).
    pub db: ModuleDb,
    /// Counters when it came up: trouble after this makes it `degraded`.
    pub baseline: CounterSnapshot,
    /// The configuration it runs with, environment values masked.
    pub config_masked: Value,
    /// The hooks it registered.
    pub hooks: Vec<String>,
    /// Its policy (grants, companies, causation) and what it allowed and refused.
    pub policy: Arc<ModulePolicy>,
}

/// Brings the module up, its calls going to `entry` at `level`; on failure nothing of it stays
/// attached.
pub fn activate(
    ctx: &ActivationContext<'_>,
    manifest: &Manifest,
    bundle_dir: &Path,
    entry: Arc<dyn ModuleEntry>,
    level: IsolationLevel,
    raw_config: RawConfig<'_>,
    counters: &Arc<ModuleCounters>,
) -> Result<ModuleRuntime, StatusReason> {
    let prepared = prepare(ctx, manifest, bundle_dir, entry, raw_config, true)?;
    start(ctx, manifest, prepared, level, counters, None)
}

/// A registered module instance, not attached to anything yet.
pub struct PreparedModule {
    /// Its entry points.
    pub entry: Arc<dyn ModuleEntry>,
    /// Its database access.
    pub db: ModuleDb,
    /// What `register` answered.
    pub registration: Registration,
    /// The registered hooks (checked against the manifest).
    pub hooks: Vec<Hook>,
    /// Its configuration, environment values masked.
    pub config_masked: Value,
}

impl PreparedModule {
    /// Undoes the registration: no database access, `shutdown` called.
    pub fn discard(self, id: &str) {
        self.db.revoke();
        call_shutdown(id, &self.entry, SHUTDOWN_TIMEOUT);
    }
}

/// Configuration → migrations (when `migrate`; a new instance of the running version needs
/// none, and its bundle folder may hold another version by now) → `register` with a host
/// handle under `ctx.policy` → the registered hooks checked. Nothing is attached; the current
/// instance (if any) keeps serving (unless it is the same library, whose state `register`
/// replaces).
pub fn prepare(
    ctx: &ActivationContext<'_>,
    manifest: &Manifest,
    bundle_dir: &Path,
    entry: Arc<dyn ModuleEntry>,
    raw_config: RawConfig<'_>,
    migrate: bool,
) -> Result<PreparedModule, StatusReason> {
    let id = manifest.id.as_str();
    let failed = |reason: String| StatusReason::new(ModuleStatus::Failed, reason);

    let config = effective_config(
        id,
        raw_config.value,
        &raw_config.source,
        manifest.config_schema.as_ref(),
    )
    .map_err(|problems| {
        StatusReason::new(
            ModuleStatus::Invalid,
            format!("invalid configuration: {problems}"),
        )
    })?;

    let guard = SqlGuard::new(id).with_other_modules(ctx.known_ids.iter().filter(|k| *k != id));
    let db = ModuleDb::with_guard(guard.clone(), ctx.core.db().clone()).with_limits(ctx.db_limits);
    let applied = ctx
        .core
        .db()
        .conn()
        .map_err(|e| failed(format!("migrations: {e}")))
        .and_then(|mut conn| {
            // The engine must be able to enforce the module's rights before any of its SQL
            // runs (PostgreSQL: its role; the server's user needs CREATEROLE).
            db.rights().prepare(&mut conn).map_err(failed)?;
            if !migrate {
                return Ok(Vec::new());
            }
            run_module_migrations(&mut conn, &guard, db.rights(), bundle_dir)
                .map_err(|e| failed(format!("migrations: {e}")))
        })?;
    if !applied.is_empty() {
        tracing::info!(module = id, migrations = ?applied, "module migrations applied");
    }

    let host = HostHandleImpl::with_module_db(db.clone(), ctx.core.clone())
        .with_policy(Arc::clone(&ctx.policy))
        .into_handle();
    let registration = call_register(id, &entry, host, config.value.to_string(), REGISTER_TIMEOUT)
        .map_err(failed)?;
    let prepared = PreparedModule {
        entry,
        db,
        hooks: Vec::new(),
        registration,
        config_masked: config.masked,
    };
    match registered_hooks(manifest, &prepared.registration) {
        Ok(hooks) => Ok(PreparedModule { hooks, ..prepared }),
        Err(reason) => {
            prepared.discard(id);
            Err(failed(reason))
        }
    }
}

/// Starts a prepared instance: its delivery (opened from the saved cursor, or taken over from
/// `previous`, whose hook calls have stopped), its executor under `ctx.policy`, then hooks,
/// routes (replacing the same module's) and services. On failure the instance is discarded
/// and nothing of it stays attached.
pub fn start(
    ctx: &ActivationContext<'_>,
    manifest: &Manifest,
    prepared: PreparedModule,
    level: IsolationLevel,
    counters: &Arc<ModuleCounters>,
    previous: Option<&OutboxDelivery>,
) -> Result<ModuleRuntime, StatusReason> {
    let id = manifest.id.as_str();
    let hooks = &prepared.hooks;
    if previous.is_none() {
        // Alone on the database this holds at once; among replicas, whoever takes it first.
        ctx.cluster.take(ctx.core.db(), id);
    }
    let delivery = if hooks.is_empty() {
        Ok(None)
    } else {
        match previous {
            Some(previous) => OutboxDelivery::take_over(previous, hooks, ctx.delivery).map(Some),
            None => OutboxDelivery::open(
                ctx.core.db(),
                id,
                hooks,
                ctx.delivery,
                ctx.cluster.holds(id),
            )
            .map(Some),
        }
    };
    let attached = delivery.and_then(|delivery| {
        let executor = ModuleExecutor::with_delivery(
            id,
            Arc::clone(&prepared.entry),
            level,
            ctx.executor,
            Arc::clone(counters),
            delivery,
        );
        executor.set_policy(Arc::clone(&ctx.policy));
        executor.set_cluster(Arc::clone(ctx.cluster));
        attach(
            ctx,
            manifest,
            &executor,
            &prepared.registration,
            hooks,
            counters,
            &prepared.db,
        )
        .map(|(subscription, route_prefix)| (executor, subscription, route_prefix))
    });
    match attached {
        Ok((executor, subscription, route_prefix)) => Ok(ModuleRuntime {
            hooks: prepared
                .registration
                .hooks
                .iter()
                .map(|h| h.to_string())
                .collect(),
            entry: prepared.entry,
            executor,
            subscription,
            route_prefix,
            db: prepared.db,
            baseline: counters.snapshot(None),
            config_masked: prepared.config_masked,
            policy: Arc::clone(&ctx.policy),
        }),
        Err(reason) => {
            prepared.discard(id);
            Err(StatusReason::new(ModuleStatus::Failed, reason))
        }
    }
}

/// Attaches the registered `hooks`, routes and services to the module's executor. On error,
/// whatever was attached is detached again. An at-least-once module is offered every hook's
/// events (those it did not register only move its cursor).
fn attach(
    ctx: &ActivationContext<'_>,
    manifest: &Manifest,
    executor: &Arc<ModuleExecutor>,
    registration: &Registration,
    hooks: &[Hook],
    counters: &Arc<ModuleCounters>,
    db: &ModuleDb,
) -> Result<(Option<SubscriptionId>, Option<String>), String> {
    let id = manifest.id.as_str();
    let route_prefix = match (registration.has_routes, manifest.route_prefix()) {
        (true, None) => {
            return Err(
                "the module registered routes, but its manifest declares no routes.prefix"
                    .to_string(),
            )
        }
        (true, Some(prefix)) => Some(prefix.to_string()),
        (false, _) => None,
    };

    let subscription = subscribe(ctx.core, executor, hooks);
    let undo_hooks = |subscription: Option<SubscriptionId>| {
        if let Some(subscription) = subscription {
            ctx.core.hooks().unsubscribe(subscription);
        }
    };

    if let Some(prefix) = &route_prefix {
        let target = RouteTarget {
            module_id: id.to_string(),
            executor: Arc::clone(executor),
            counters: Arc::clone(counters),
        };
        if let Err(reason) = ctx.routes.mount(prefix, target) {
            undo_hooks(subscription);
            db.revoke();
            return Err(reason);
        }
    }

    executor.start_services(&registration.services);
    ctx.clock.add(executor);
    Ok((subscription, route_prefix))
}

/// Subscribes `executor` to the hook bus for `hooks` (none: no subscription). An at-least-once
/// module is offered every hook's events (those it did not register only move its cursor).
pub fn subscribe(
    core: &Core,
    executor: &Arc<ModuleExecutor>,
    hooks: &[Hook],
) -> Option<SubscriptionId> {
    if hooks.is_empty() {
        return None;
    }
    let offered: Vec<Hook> = match executor.delivery() {
        Some(delivery) if delivery.at_least_once() => Hook::ALL.to_vec(),
        _ => hooks.to_vec(),
    };
    Some(
        core.hooks()
            .subscribe_self_delivering(Arc::new(ExecutorHooks(Arc::clone(executor))), &offered),
    )
}

/// The registered hooks, all of which must be known and declared in the manifest.
fn registered_hooks(manifest: &Manifest, registration: &Registration) -> Result<Vec<Hook>, String> {
    let mut hooks = Vec::new();
    let mut undeclared = Vec::new();
    for name in registration.hooks.iter() {
        let name = name.as_str();
        match name.parse::<Hook>() {
            Ok(hook) if manifest.hooks.iter().any(|h| h == name) => hooks.push(hook),
            _ => undeclared.push(format!("`{name}`")),
        }
    }
    if undeclared.is_empty() {
        Ok(hooks)
    } else {
        Err(format!(
            "the module registered hooks its manifest does not declare: {} (add them to \"hooks\" in paperclip.module.json)",
            undeclared.join(", ")
        ))
    }
}

/// Takes a running module down: hooks unsubscribed (their counters kept), routes detached, the
/// executor closed (calls in progress waited for, with a bound; services stop), its delivery
/// cursor saved (`paused` when `disabled`, else resumed from at the next start), open
/// transactions rolled back, `shutdown` called. Returns the calls that did not end in time.
pub fn deactivate(
    core: &Core,
    routes: &RouteTable,
    module_id: &str,
    mut runtime: ModuleRuntime,
    counters: &ModuleCounters,
    disabled: bool,
) -> Vec<String> {
    let subscription = runtime.subscription.take();
    if let Some(subscription) = subscription {
        core.hooks().unsubscribe(subscription);
    }
    if let Some(prefix) = &runtime.route_prefix {
        routes.unmount(prefix, module_id);
    }
    let still_running = runtime.executor.close(CALLS_STOP_TIMEOUT);
    if let Some(delivery) = runtime.executor.delivery() {
        delivery.finish(disabled);
    }
    if subscription.is_some() {
        // After `close`: the hook calls that were still running are counted too.
        counters.retire_hook_stats(&runtime.executor.hook_stats());
    }
    let rolled_back = runtime.db.rollback_all();
    if rolled_back > 0 {
        tracing::warn!(
            module = module_id,
            transactions = rolled_back,
            "open module transactions rolled back"
        );
    }
    if !call_shutdown(module_id, &runtime.entry, SHUTDOWN_TIMEOUT) {
        tracing::warn!(module = module_id, "module shutdown did not return in time");
    }
    // After `shutdown` (which may still flush its data), the handle stops reaching the
    // database: threads the module left running get "module disabled".
    runtime.db.revoke();
    still_running
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_stable::std_types::{RString, RVec};
    use serde_json::json;

    fn manifest(hooks: &[&str]) -> Manifest {
        serde_json::from_value(json!({
            "id": "m", "name": "M", "version": "1.0.0", "library": "m", "hooks": hooks
        }))
        .unwrap()
    }

    fn registration(hooks: &[&str]) -> Registration {
        Registration {
            hooks: hooks.iter().map(|h| RString::from(*h)).collect(),
            services: RVec::new(),
            has_routes: false,
        }
    }

    #[test]
    fn registered_hooks_must_be_declared() {
        let m = manifest(&["agent:created", "issue:created"]);
        let hooks = registered_hooks(&m, &registration(&["issue:created"])).unwrap();
        assert_eq!(hooks, vec![Hook::IssueCreated]);

        let err = registered_hooks(
            &m,
            &registration(&["agent:created", "goal:created", "made:up"]),
        )
        .unwrap_err();
        assert!(
            err.starts_with(
                "the module registered hooks its manifest does not declare: `goal:created`, `made:up`"
            ),
            "{err}"
        );
    }
}
