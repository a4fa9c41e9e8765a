//! The module side of the ABI: the `extern "C"` entry points `declare_module!` exports, the
//! per-library state they share, and the panic guard around each of them.
//!
//! Each module library links its own copy of this crate, so the `static` state below is per
//! module. `register` may run again in the same process (disable → enable): it replaces the state.

use crate::abi::{
    ErrorKind, HostHandle, ModuleError, ModuleRoot, ModuleRoot_Ref, Registration, RouteRequest,
    RouteResponse, ServiceSpec, ABI_VERSION,
};
use crate::context::ModuleContext;
use crate::error::{Error, Result};
use crate::hook::Hook;
use crate::module::Module;
use crate::registrar::{HookHandler, Registrar, ServiceHandler};
use crate::router::{Request, Router};
use abi_stable::{
    prefix_type::PrefixTypeTrait,
    std_types::{RResult, RStr, RString, RVec},
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
    fn handle_route(&self, request: Request) -> crate::router::Response;
    fn run_service(&self, name: &str) -> Result<()>;
    fn shutdown(&self);
}

struct Loaded<M> {
    module: M,
    ctx: ModuleContext,
    hooks: HashMap<Hook, Vec<HookHandler<M>>>,
    router: Router<M>,
    services: HashMap<String, ServiceHandler<M>>,
}

impl<M: Module> ActiveModule for Loaded<M> {
    fn on_hook(&self, hook: &str, payload_json: &str) -> Result<()> {
        let hook: Hook = hook
            .parse()
            .map_err(|e| Error::with_kind(ErrorKind::NotFound, e))?;
        let handlers = self.hooks.get(&hook).ok_or_else(|| {
            Error::with_kind(
                ErrorKind::NotFound,
                format!("the module did not subscribe to `{hook}`"),
            )
        })?;
        // Every handler runs even if an earlier one fails; the first error is reported.
        let mut first_error = None;
        for handler in handlers {
            if let Err(e) = handler(&self.module, &self.ctx, payload_json) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn handle_route(&self, request: Request) -> crate::router::Response {
        self.router.handle(&self.module, &self.ctx, request)
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
        router: registrar.router,
        services,
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

/// The text of a panic payload (`panic!("…")` gives `&str` or `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "the module panicked with a non-text payload".to_owned()
    }
}

/// Runs `f`, turning an `Err` into a `ModuleError` and a panic into `ModuleError{kind: Panic}`:
/// nothing unwinds across the `extern "C"` boundary.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> RResult<T, ModuleError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(e)) => RResult::RErr(e.into()),
        Err(payload) => RResult::RErr(ModuleError::new(
            ErrorKind::Panic,
            format!("module panicked: {}", panic_message(&*payload)),
        )),
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
    }
    .leak_into_prefix()
}
