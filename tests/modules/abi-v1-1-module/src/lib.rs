//! A module as a module built against the SDK of ABI 1.1 looked at the boundary: it exports the
//! five prefix entry points and `describe`, but no `on_hook_batch`. It subscribes to
//! `server:started` and `agent:created`, answers `GET /` with `{"abi":"1.1.0", "module": …,
//! "agentCalls": n}` (the `on_hook` calls for `agent:created`: one per event) and runs a service
//! named `noop`.
//!
//! Entry points catch panics themselves, as the SDK's wrappers did.

#![forbid(unsafe_code)]

use abi_stable::std_types::{RResult, RStr, RString, RVec, Tuple2};
use module_sdk_v1_1::abi::{
    ErrorKind, HostHandle, LogLevel, ModuleError, Registration, RouteRequest, RouteResponse,
    ServiceSpec,
};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// `on_hook` calls for `agent:created`.
static AGENT_CALLS: AtomicU64 = AtomicU64::new(0);

/// The host handle from the last `register`, `None` when detached.
static HOST: Mutex<Option<HostHandle>> = Mutex::new(None);

fn guarded<T>(f: impl FnOnce() -> RResult<T, ModuleError>) -> RResult<T, ModuleError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        RResult::RErr(ModuleError {
            kind: ErrorKind::Panic,
            message: "abi-v1-1-module panicked".into(),
        })
    })
}

fn not_registered<T>() -> RResult<T, ModuleError> {
    RResult::RErr(ModuleError {
        kind: ErrorKind::NotRegistered,
        message: "abi-v1-1-module is not registered".into(),
    })
}

extern "C" fn register(
    host: HostHandle,
    _config_json: RStr<'_>,
) -> RResult<Registration, ModuleError> {
    guarded(|| {
        host.log(LogLevel::Info, "abi-v1-1-module registered".into());
        *HOST.lock().unwrap_or_else(|e| e.into_inner()) = Some(host);
        RResult::ROk(Registration {
            hooks: RVec::from(vec![
                RString::from("server:started"),
                RString::from("agent:created"),
            ]),
            services: RVec::from(vec![ServiceSpec {
                name: "noop".into(),
                interval_ms: 1000,
            }]),
            has_routes: true,
        })
    })
}

extern "C" fn on_hook(hook: RStr<'_>, payload_json: RStr<'_>) -> RResult<(), ModuleError> {
    guarded(
        || match HOST.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(_) if hook.as_str() == "agent:created" => {
                AGENT_CALLS.fetch_add(1, Ordering::SeqCst);
                RResult::ROk(())
            }
            Some(host) => {
                host.log(
                    LogLevel::Info,
                    format!("hook {hook}: {payload_json}").as_str().into(),
                );
                RResult::ROk(())
            }
            None => not_registered(),
        },
    )
}

extern "C" fn handle_route(request: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
    guarded(|| {
        let host = HOST.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(host) = host else {
            return not_registered();
        };
        let (status, body) = if request.method.as_str() == "GET" && request.path.as_str() == "/" {
            let module_id = host.module_id();
            let calls = AGENT_CALLS.load(Ordering::SeqCst);
            (
                200,
                format!(r#"{{"abi":"1.1.0","module":"{module_id}","agentCalls":{calls}}}"#),
            )
        } else {
            (404, r#"{"error":"not found"}"#.to_owned())
        };
        RResult::ROk(RouteResponse {
            status,
            headers: RVec::from(vec![Tuple2(
                RString::from("content-type"),
                RString::from("application/json"),
            )]),
            body: RVec::from(body.into_bytes()),
        })
    })
}

extern "C" fn run_service(name: RStr<'_>) -> RResult<(), ModuleError> {
    guarded(|| {
        if name.as_str() == "noop" {
            RResult::ROk(())
        } else {
            RResult::RErr(ModuleError {
                kind: ErrorKind::NotFound,
                message: format!("no service named `{name}`").into(),
            })
        }
    })
}

extern "C" fn shutdown() {
    *HOST.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

extern "C" fn describe() -> RString {
    RString::from(r#"{"sdk":"frozen","abi":"1.1.0","module":"0.1.0","crate":"abi-v1-1-module"}"#)
}

module_sdk_v1_1::export_module!(
    register,
    on_hook,
    handle_route,
    run_service,
    shutdown,
    describe
);
