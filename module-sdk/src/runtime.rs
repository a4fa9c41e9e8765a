//! The module side of the ABI: the `extern "C"` entry points `declare_module!` exports, the
//! per-library state they share, and the panic guard around each of them.
//!
//! Each module library links its own copy of this crate, so the `static` state below is per
//! module. `register` may run again in the same process (disable → enable): it replaces the state.

use crate::abi::{
    ErrorKind, HookBatchFailure, HookBatchItem, HookBatchOutcome, HostHandle, ModuleError,
    ModuleRoot, ModuleRoot_Ref, Registration, RouteRequest, RouteResponse, ServiceSpec,
    ABI_VERSION,
};
use crate::context::ModuleContext;
use crate::error::{Error, Result};
use crate::hook::Hook;
use crate::module::Module;
use crate::registrar::{BatchHandler, HookHandler, MixedBatchHandler, Registrar, ServiceHandler};
use crate::router::{Request, Response, RouteHandler, Router};
use crate::webhook::{is_reserved_path, webhook_key_of};
use abi_stable::{
    prefix_type::PrefixTypeTrait,
    std_types::{RResult, RSlice, RStr, RString, RVec},
};
use std::any::Any;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

/// What `describe` reports about the module's own crate.
#[doc(hidden)]
pub trait ModuleBuildInfo {
    /// The module crate's package name.
    const CRATE_NAME: &'static str;
    /// The module crate's package version.
    const CRATE_VERSION: &'static str;
}

/// A registered module, with its handlers, behind an object-safe interface so the static state
/// does not depend on the module's type.
pub(crate) trait ActiveModule: Send + Sync {
    fn on_hook(&self, hook: &str, payload_json: &str) -> Result<()>;
    /// Handles `events` (hook, payload) in order; returns the failed ones by index.
    fn on_hook_batch(&self, events: &[(&str, &str)]) -> Vec<(usize, Error)>;
    fn handle_route(&self, request: Request) -> crate::router::Response;
    fn run_service(&self, name: &str) -> Result<()>;
    fn shutdown(&self);
}

struct Loaded<M> {
    module: M,
    ctx: ModuleContext,
    hooks: HashMap<Hook, Vec<HookHandler<M>>>,
    batch_hooks: HashMap<Hook, Vec<BatchHandler<M>>>,
    /// `on_batch_raw` handlers, each with its hooks.
    mixed_batch_hooks: Vec<(Vec<Hook>, MixedBatchHandler<M>)>,
    router: Router<M>,
    services: HashMap<String, ServiceHandler<M>>,
    /// Webhook handlers by key, reached only under the reserved path `/.webhooks/<key>`.
    webhooks: HashMap<String, RouteHandler<M>>,
}

/// What a caught panic is reported as: `module panicked: <its text>`.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    format!(
        "module panicked: {}",
        panic_text(payload).unwrap_or("the module panicked with a non-text payload")
    )
}

/// Runs one handler, turning a panic into an error (so one event's panic fails that event only).
fn catch_handler(f: impl FnOnce() -> Result<()>) -> Result<()> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(Error::with_kind(ErrorKind::Panic, panic_message(&*payload))))
}

/// Which events of a host batch go into one run (one call of each handler): consecutive events
/// with the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKey<'a> {
    /// Events of this one hook (or of this unknown name).
    Hook(&'a str),
    /// Events of any hook that only this `on_batch_raw` handler (by index) handles.
    Mixed(usize),
}

impl<M: Module> Loaded<M> {
    /// The subscribed hook named `hook`, or why not.
    fn subscribed(&self, hook: &str) -> Result<Hook> {
        let hook: Hook = hook
            .parse()
            .map_err(|e| Error::with_kind(ErrorKind::NotFound, e))?;
        if self.hooks.contains_key(&hook)
            || self.batch_hooks.contains_key(&hook)
            || self.mixed_handlers_of(hook).next().is_some()
        {
            Ok(hook)
        } else {
            Err(Error::with_kind(
                ErrorKind::NotFound,
                format!("the module did not subscribe to `{hook}`"),
            ))
        }
    }

    /// The `on_batch_raw` handlers subscribed to `hook`, with their index.
    fn mixed_handlers_of(
        &self,
        hook: Hook,
    ) -> impl Iterator<Item = (usize, &MixedBatchHandler<M>)> {
        self.mixed_batch_hooks
            .iter()
            .enumerate()
            .filter(move |(_, (hooks, _))| hooks.contains(&hook))
            .map(|(index, (_, handler))| (index, handler))
    }

    /// The run key of an event of hook `name`: events of a hook that exactly one `on_batch_raw`
    /// handler (and nothing else) handles run together with that handler's other hooks.
    fn run_key<'a>(&self, name: &'a str) -> RunKey<'a> {
        let Ok(hook) = name.parse::<Hook>() else {
            return RunKey::Hook(name);
        };
        if self.hooks.contains_key(&hook) || self.batch_hooks.contains_key(&hook) {
            return RunKey::Hook(name);
        }
        let mut mixed = self.mixed_handlers_of(hook);
        match (mixed.next(), mixed.next()) {
            (Some((index, _)), None) => RunKey::Mixed(index),
            _ => RunKey::Hook(name),
        }
    }
}

impl<M: Module> ActiveModule for Loaded<M> {
    fn on_hook(&self, hook: &str, payload_json: &str) -> Result<()> {
        let hook = self.subscribed(hook)?;
        // Every handler runs even if an earlier one fails; the first error is reported. Batch
        // handlers get a batch of one.
        let mut first_error = None;
        for handler in self.hooks.get(&hook).into_iter().flatten() {
            if let Err(e) = handler(&self.module, &self.ctx, payload_json) {
                first_error.get_or_insert(e);
            }
        }
        for handler in self.batch_hooks.get(&hook).into_iter().flatten() {
            if let Err(e) = handler(&self.module, &self.ctx, &[payload_json]) {
                first_error.get_or_insert(e);
            }
        }
        for (_, handler) in self.mixed_handlers_of(hook) {
            if let Err(e) = handler(&self.module, &self.ctx, &[(hook, payload_json)]) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn on_hook_batch(&self, events: &[(&str, &str)]) -> Vec<(usize, Error)> {
        let mut failed: Vec<Option<Error>> = events.iter().map(|_| None).collect();
        let mut start = 0;
        while start < events.len() {
            // A run of consecutive events of one hook, or of the hooks of one `on_batch_raw`.
            let name = events[start].0;
            let key = self.run_key(name);
            let end = start
                + events[start..]
                    .iter()
                    .take_while(|(hook, _)| self.run_key(hook) == key)
                    .count();
            if let RunKey::Mixed(index) = key {
                let run: Vec<(Hook, &str)> = events[start..end]
                    .iter()
                    .filter_map(|(hook, payload)| Some((hook.parse().ok()?, *payload)))
                    .collect();
                let handler = &self.mixed_batch_hooks[index].1;
                if let Err(e) = catch_handler(|| handler(&self.module, &self.ctx, &run)) {
                    for slot in &mut failed[start..end] {
                        slot.get_or_insert_with(|| Error::with_kind(e.kind(), e.message()));
                    }
                }
                start = end;
                continue;
            }
            match self.subscribed(name) {
                Err(e) => {
                    for slot in &mut failed[start..end] {
                        slot.get_or_insert_with(|| Error::with_kind(e.kind(), e.message()));
                    }
                }
                Ok(hook) => {
                    for handler in self.hooks.get(&hook).into_iter().flatten() {
                        for (offset, (_, payload)) in events[start..end].iter().enumerate() {
                            if let Err(e) =
                                catch_handler(|| handler(&self.module, &self.ctx, payload))
                            {
                                failed[start + offset].get_or_insert(e);
                            }
                        }
                    }
                    let payloads: Vec<&str> = events[start..end].iter().map(|(_, p)| *p).collect();
                    for handler in self.batch_hooks.get(&hook).into_iter().flatten() {
                        if let Err(e) =
                            catch_handler(|| handler(&self.module, &self.ctx, &payloads))
                        {
                            for slot in &mut failed[start..end] {
                                slot.get_or_insert_with(|| Error::with_kind(e.kind(), e.message()));
                            }
                        }
                    }
                    let run: Vec<(Hook, &str)> = payloads.iter().map(|p| (hook, *p)).collect();
                    for (_, handler) in self.mixed_handlers_of(hook) {
                        if let Err(e) = catch_handler(|| handler(&self.module, &self.ctx, &run)) {
                            for slot in &mut failed[start..end] {
                                slot.get_or_insert_with(|| Error::with_kind(e.kind(), e.message()));
                            }
                        }
                    }
                }
            }
            start = end;
        }
        failed
            .into_iter()
            .enumerate()
            .filter_map(|(index, error)| error.map(|e| (index, e)))
            .collect()
    }

    fn handle_route(&self, request: Request) -> Response {
        // A reserved path (first segment `.…`) is a webhook delivery or nothing: it never
        // reaches the router, whatever its patterns.
        if !is_reserved_path(request.path()) {
            return self.router.handle(&self.module, &self.ctx, request);
        }
        let Some(key) = webhook_key_of(request.path()) else {
            return Response::error(404, &format!("no route for {}", request.path()));
        };
        match self.webhooks.get(key) {
            Some(_) if request.method() != "POST" => {
                Response::error(405, &format!("webhook `{key}` takes POST only"))
                    .with_header("allow", "POST")
            }
            Some(handler) => handler(&self.module, &self.ctx, &request),
            None => Response::error(
                404,
                &format!("the module registered no handler for webhook `{key}`"),
            ),
        }
    }

    fn run_service(&self, name: &str) -> Result<()> {
        let service = self.services.get(name).ok_or_else(|| {
            Error::with_kind(ErrorKind::NotFound, format!("no service named `{name}`"))
        })?;
        service(&self.module, &self.ctx)
    }

    fn shutdown(&self) {
        self.module.shutdown(&self.ctx);
    }
}

/// Turns a finished registrar plus the module instance into the active state and the answer
/// for the host.
pub(crate) fn finish<M: Module>(
    registrar: Registrar<M>,
    module: M,
) -> Result<(Arc<dyn ActiveModule>, Registration)> {
    if !registrar.problems.is_empty() {
        return Err(Error::bad_request(registrar.problems.join("; ")));
    }
    let ctx = registrar.ctx().clone();
    let mut hook_names: Vec<Hook> = Vec::new();
    let mut hooks: HashMap<Hook, Vec<HookHandler<M>>> = HashMap::new();
    for (hook, handler) in registrar.hooks {
        if !hook_names.contains(&hook) {
            hook_names.push(hook);
        }
        hooks.entry(hook).or_default().push(handler);
    }
    let mut batch_hooks: HashMap<Hook, Vec<BatchHandler<M>>> = HashMap::new();
    for (hook, handler) in registrar.batch_hooks {
        if !hook_names.contains(&hook) {
            hook_names.push(hook);
        }
        batch_hooks.entry(hook).or_default().push(handler);
    }
    for (hooks, _) in &registrar.mixed_batch_hooks {
        for hook in hooks {
            if !hook_names.contains(hook) {
                hook_names.push(*hook);
            }
        }
    }
    let mixed_batch_hooks = registrar.mixed_batch_hooks;
    let mut specs = RVec::new();
    let mut services = HashMap::new();
    for (name, interval, handler) in registrar.services {
        specs.push(ServiceSpec {
            name: RString::from(name.as_str()),
            interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX),
        });
        services.insert(name, handler);
    }
    let registration = Registration {
        hooks: hook_names
            .iter()
            .map(|h| RString::from(h.as_str()))
            .collect(),
        services: specs,
        has_routes: !registrar.router.is_empty(),
    };
    let loaded = Loaded {
        module,
        ctx,
        hooks,
        batch_hooks,
        mixed_batch_hooks,
        router: registrar.router,
        services,
        webhooks: registrar.webhooks.into_iter().collect(),
    };
    Ok((Arc::new(loaded), registration))
}

/// The registered module of this library, if any.
static ACTIVE: RwLock<Option<Arc<dyn ActiveModule>>> = RwLock::new(None);

/// `(crate name, crate version)` of the module library, for `describe`.
static BUILD_INFO: OnceLock<(&'static str, &'static str)> = OnceLock::new();

fn active() -> Result<Arc<dyn ActiveModule>> {
    ACTIVE
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .ok_or_else(|| {
            Error::with_kind(
                ErrorKind::NotRegistered,
                "the module is not registered (register was not called or failed, or it was shut down)",
            )
        })
}

fn replace_active(next: Option<Arc<dyn ActiveModule>>) -> Option<Arc<dyn ActiveModule>> {
    std::mem::replace(
        &mut *ACTIVE.write().unwrap_or_else(PoisonError::into_inner),
        next,
    )
}

/// The text of a panic payload, when it has one: `panic!("literal")` carries a `&'static str`,
/// `panic!("{x}")` a `String`; any other payload (`std::panic::panic_any(42)`) gives `None`.
///
/// One definition for everything in Paperclip that catches panics (this SDK's guard, the hook
/// bus, the module host, the test harnesses).
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
/// assert_eq!(module_sdk::panic_text(payload.as_ref()), Some("boom 1"));
/// let payload = std::panic::catch_unwind(|| std::panic::panic_any(42)).unwrap_err();
/// assert_eq!(module_sdk::panic_text(payload.as_ref()), None);
/// ```
pub fn panic_text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Runs `f`, turning an `Err` into a `ModuleError` and a panic into `ModuleError{kind: Panic}`:
/// nothing unwinds across the `extern "C"` boundary.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> RResult<T, ModuleError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(e)) => RResult::RErr(e.into()),
        Err(payload) => RResult::RErr(ModuleError::new(ErrorKind::Panic, panic_message(&*payload))),
    }
}

extern "C" fn register_entry<M: Module>(
    host: HostHandle,
    config_json: RStr<'_>,
) -> RResult<Registration, ModuleError> {
    guard(|| {
        // Detach (and shut down) any previous instance first, so a failed re-registration leaves
        // the module cleanly unregistered rather than half old, half new.
        if let Some(previous) = replace_active(None) {
            previous.shutdown();
        }
        let config = if config_json.trim().is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_str(config_json.as_str())
                .map_err(|e| Error::bad_request(format!("config is not valid JSON: {e}")))?
        };
        let mut registrar = Registrar::new(ModuleContext::new(host, config));
        let module = M::register(&mut registrar)?;
        let (active, registration) = finish(registrar, module)?;
        replace_active(Some(active));
        Ok(registration)
    })
}

extern "C" fn on_hook_entry(hook: RStr<'_>, payload_json: RStr<'_>) -> RResult<(), ModuleError> {
    guard(|| active()?.on_hook(hook.as_str(), payload_json.as_str()))
}

extern "C" fn on_hook_batch_entry(events: RSlice<'_, HookBatchItem<'_>>) -> HookBatchOutcome {
    let items: Vec<(&str, &str)> = events
        .iter()
        .map(|item| (item.hook.as_str(), item.payload_json.as_str()))
        .collect();
    let outcome = guard(|| Ok(active()?.on_hook_batch(&items)));
    let failures = match outcome {
        RResult::ROk(failed) => failed
            .into_iter()
            .map(|(index, error)| HookBatchFailure {
                index: index as u64,
                error: error.into(),
            })
            .collect(),
        // Not registered (or a panic outside any handler): every event failed.
        RResult::RErr(error) => (0..items.len())
            .map(|index| HookBatchFailure {
                index: index as u64,
                error: error.clone(),
            })
            .collect(),
    };
    HookBatchOutcome { failures }
}

extern "C" fn handle_route_entry(request: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
    guard(|| Ok(active()?.handle_route(Request::from(request)).into()))
}

extern "C" fn run_service_entry(name: RStr<'_>) -> RResult<(), ModuleError> {
    guard(|| active()?.run_service(name.as_str()))
}

extern "C" fn shutdown_entry() {
    // Nothing can be returned from `shutdown`; a panic in the module's own shutdown is swallowed
    // (after the state is gone) rather than unwinding into the host.
    let _ = guard(|| {
        if let Some(previous) = replace_active(None) {
            previous.shutdown();
        }
        Ok(())
    });
}

extern "C" fn describe_entry() -> RString {
    let (crate_name, crate_version) = BUILD_INFO.get().copied().unwrap_or(("", ""));
    let info = serde_json::json!({
        "sdk": crate::SDK_VERSION,
        "abi": ABI_VERSION,
        "crate": crate_name,
        "module": crate_version,
    });
    RString::from(info.to_string())
}

/// Builds the root module for module type `M`. Called once per library by abi_stable, through
/// the root-module constructor that `declare_module!` exports.
pub fn module_root<M: Module + ModuleBuildInfo>() -> ModuleRoot_Ref {
    let _ = BUILD_INFO.set((M::CRATE_NAME, M::CRATE_VERSION));
    ModuleRoot {
        register: register_entry::<M>,
        on_hook: on_hook_entry,
        handle_route: handle_route_entry,
        run_service: run_service_entry,
        shutdown: shutdown_entry,
        describe: describe_entry,
        on_hook_batch: on_hook_batch_entry,
    }
    .leak_into_prefix()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payloads::{AgentCreated, ServerStarted};
    use crate::router::Response;
    use crate::testing::TestHost;
    use abi_stable::std_types::RVec;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[test]
    fn guard_turns_errors_and_panics_into_values() {
        assert_eq!(guard(|| Ok(5)), RResult::ROk(5));
        let failed = guard(|| -> Result<()> { Err(Error::bad_request("bad")) }).unwrap_err();
        assert_eq!(failed, ModuleError::new(ErrorKind::BadRequest, "bad"));
        let panicked = guard(|| -> Result<()> { panic!("static message") }).unwrap_err();
        assert_eq!(panicked.kind, ErrorKind::Panic);
        assert_eq!(panicked.message.as_str(), "module panicked: static message");
        let formatted = guard(|| -> Result<()> { panic!("code {}", 42) }).unwrap_err();
        assert_eq!(formatted.message.as_str(), "module panicked: code 42");
        let opaque = guard(|| -> Result<()> { std::panic::panic_any(7u8) }).unwrap_err();
        assert!(opaque.message.contains("non-text payload"));
    }

    /// A module with one of everything; `port` remembers the last `server:started`.
    struct Probe {
        port: AtomicU32,
        label: String,
    }

    #[derive(serde::Deserialize)]
    struct ProbeConfig {
        label: String,
    }

    impl Module for Probe {
        fn register(r: &mut Registrar<Self>) -> Result<Self> {
            let config: ProbeConfig = r.config_as()?;
            r.on(|m: &Self, _ctx: &ModuleContext, e: ServerStarted| {
                m.port.store(u32::from(e.port), Ordering::SeqCst);
                Ok(())
            });
            r.on(
                |_m: &Self, _ctx: &ModuleContext, _e: AgentCreated| -> Result<()> {
                    panic!("agent handler exploded")
                },
            );
            r.on_raw(Hook::ServerStarted, |_m, ctx, payload| {
                ctx.log().info(format!("raw {payload}"));
                Ok(())
            });
            r.routes(
                Router::new().get("/port", |m: &Self, ctx: &ModuleContext, _req| {
                    Response::ok(&serde_json::json!({
                        "port": m.port.load(Ordering::SeqCst),
                        "label": m.label,
                        "module": ctx.module_id(),
                    }))
                }),
            );
            r.service("fail", Duration::from_secs(1), |_m, _ctx| {
                Err(Error::msg("service failed"))
            });
            Ok(Probe {
                port: AtomicU32::new(0),
                label: config.label,
            })
        }
    }

    impl ModuleBuildInfo for Probe {
        const CRATE_NAME: &'static str = "probe";
        const CRATE_VERSION: &'static str = "9.9.9";
    }

    fn route(path: &str) -> RouteResponse {
        handle_route_entry(&RouteRequest {
            method: "GET".into(),
            path: path.into(),
            query: RString::new(),
            headers: RVec::new(),
            body: RVec::new(),
        })
        .unwrap()
    }

    /// The entry points share one static per library, so the whole lifecycle is one test.
    #[test]
    fn entry_points_follow_the_module_lifecycle() {
        let root = module_root::<Probe>();
        let host = TestHost::default();

        // Before register: errors, not panics.
        for err in [
            (root.on_hook())("server:started".into(), "{}".into()).unwrap_err(),
            (root.run_service())("fail".into()).unwrap_err(),
        ] {
            assert_eq!(err.kind, ErrorKind::NotRegistered);
        }

        // A config that does not fit is refused and leaves the module unregistered.
        let err = (root.register())(host.handle(), r#"{"label": 3}"#.into()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadRequest);
        assert!(err.message.contains("invalid module config"), "{err}");
        let err = (root.register())(host.handle(), "{not json".into()).unwrap_err();
        assert!(err.message.contains("config is not valid JSON"), "{err}");

        let reg = (root.register())(host.handle(), r#"{"label":"one"}"#.into()).unwrap();
        let hooks: Vec<&str> = reg.hooks.iter().map(|h| h.as_str()).collect();
        assert_eq!(hooks, ["server:started", "agent:created"]);
        assert_eq!(reg.services.len(), 1);
        assert_eq!(reg.services[0].interval_ms, 1000);
        assert!(reg.has_routes);

        (root.on_hook())("server:started".into(), r#"{"port":3100}"#.into()).unwrap();
        assert_eq!(
            host.state.lock().unwrap().logs,
            [(
                crate::abi::LogLevel::Info,
                r#"raw {"port":3100}"#.to_owned()
            )]
        );
        let body: serde_json::Value = serde_json::from_slice(&route("/port").body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"port": 3100, "label": "one", "module": "test"})
        );

        let bad = (root.on_hook())("server:started".into(), r#"{"port":"x"}"#.into()).unwrap_err();
        assert_eq!(bad.kind, ErrorKind::BadRequest);
        let panic = (root.on_hook())("agent:created".into(), "{}".into()).unwrap_err();
        assert_eq!(
            panic.kind,
            ErrorKind::BadRequest,
            "payload is checked before the handler runs"
        );
        let unsubscribed = (root.on_hook())("goal:created".into(), "{}".into()).unwrap_err();
        assert_eq!(unsubscribed.kind, ErrorKind::NotFound);
        let unknown = (root.on_hook())("goal:exploded".into(), "{}".into()).unwrap_err();
        assert_eq!(unknown.kind, ErrorKind::NotFound);

        let agent = serde_json::json!({"agent": {
            "id": "a", "companyId": "c", "name": "n", "role": "r", "status": "idle",
            "budgetMonthlyCents": 0, "spentMonthlyCents": 0, "createdAt": "t", "updatedAt": "t"}});
        let panic = (root.on_hook())("agent:created".into(), agent.to_string().as_str().into())
            .unwrap_err();
        assert_eq!(panic.kind, ErrorKind::Panic);
        assert!(panic.message.contains("agent handler exploded"));

        let failed = (root.run_service())("fail".into()).unwrap_err();
        assert_eq!(
            failed,
            ModuleError::new(ErrorKind::Failed, "service failed")
        );
        assert_eq!(
            (root.run_service())("other".into()).unwrap_err().kind,
            ErrorKind::NotFound
        );

        // Re-registration replaces the state.
        (root.register())(host.handle(), r#"{"label":"two"}"#.into()).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&route("/port").body).unwrap();
        assert_eq!(body["label"], "two");
        assert_eq!(body["port"], 0);

        let describe = root.describe().expect("current modules have describe");
        let info: serde_json::Value = serde_json::from_str(&describe()).unwrap();
        assert_eq!(info["abi"], ABI_VERSION);
        assert_eq!(info["module"], "9.9.9");

        (root.shutdown())();
        assert_eq!(
            (root.on_hook())("server:started".into(), "{}".into())
                .unwrap_err()
                .kind,
            ErrorKind::NotRegistered
        );
    }

    #[test]
    fn services_with_bad_names_or_intervals_fail_registration() {
        let host = TestHost::default();
        let mut r: Registrar<Probe> =
            Registrar::new(ModuleContext::new(host.handle(), serde_json::json!({})));
        r.service("a", Duration::from_secs(1), |_, _| Ok(()))
            .service("a", Duration::from_secs(1), |_, _| Ok(()))
            .service("b", Duration::ZERO, |_, _| Ok(()))
            .service(" ", Duration::from_secs(1), |_, _| Ok(()));
        let probe = Probe {
            port: AtomicU32::new(0),
            label: String::new(),
        };
        let err = finish(r, probe).err().expect("must fail");
        assert_eq!(err.kind(), ErrorKind::BadRequest);
        assert_eq!(
            err.message(),
            "service `a` is registered twice; service `b` needs an interval of at least 1 ms; a service name must not be empty"
        );
    }

    #[test]
    fn a_raw_batch_handler_gets_the_runs_of_all_its_hooks_in_emit_order() {
        use std::sync::Mutex;
        let host = TestHost::default();
        let mut r: Registrar<Probe> =
            Registrar::new(ModuleContext::new(host.handle(), serde_json::json!({})));
        let calls: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = calls.clone();
        r.on_batch_raw(
            &[Hook::AgentHeartbeat, Hook::BudgetSpendRecorded],
            move |_m: &Probe, _ctx: &ModuleContext, events: Vec<(Hook, serde_json::Value)>| {
                let run: Vec<String> = events
                    .iter()
                    .map(|(hook, payload)| format!("{hook}#{}", payload["n"]))
                    .collect();
                seen.lock().unwrap().push(run.join(" "));
                if events.iter().any(|(_, p)| p["fail"] == true) {
                    return Err(Error::msg("refused"));
                }
                Ok(())
            },
        );
        let seen = calls.clone();
        r.on_raw(Hook::ServerStarted, move |_m, _ctx, payload| {
            seen.lock()
                .unwrap()
                .push(format!("server:started#{}", payload["n"]));
            Ok(())
        });
        let probe = Probe {
            port: AtomicU32::new(0),
            label: String::new(),
        };
        let Ok((loaded, registration)) = finish(r, probe) else {
            panic!("the module registers")
        };
        let hooks: Vec<&str> = registration.hooks.iter().map(|h| h.as_str()).collect();
        assert_eq!(
            hooks,
            ["server:started", "agent:heartbeat", "budget:spend_recorded"]
        );
        let failed = loaded.on_hook_batch(&[
            ("agent:heartbeat", r#"{"n":1}"#),
            ("budget:spend_recorded", r#"{"n":2}"#),
            ("agent:heartbeat", r#"{"n":3}"#),
            ("server:started", r#"{"n":4}"#),
            ("budget:spend_recorded", r#"{"n":5,"fail":true}"#),
            ("agent:heartbeat", r#"{"n":6}"#),
            ("goal:created", r#"{"n":7}"#),
        ]);
        assert_eq!(
            *calls.lock().unwrap(),
            [
                "agent:heartbeat#1 budget:spend_recorded#2 agent:heartbeat#3",
                "server:started#4",
                "budget:spend_recorded#5 agent:heartbeat#6",
            ]
        );
        let failed: Vec<(usize, ErrorKind)> = failed.iter().map(|(i, e)| (*i, e.kind())).collect();
        assert_eq!(
            failed,
            [
                (4, ErrorKind::Failed),
                (5, ErrorKind::Failed),
                (6, ErrorKind::NotFound)
            ]
        );
        // One event alone (ABI 1.1 hosts) is a batch of one.
        loaded
            .on_hook("budget:spend_recorded", r#"{"n":8}"#)
            .expect("handled");
        assert_eq!(
            calls.lock().unwrap().last().map(String::as_str),
            Some("budget:spend_recorded#8")
        );
    }
}
