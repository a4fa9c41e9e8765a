//! A module as a module built against the SDK of ABI 1.0 looked at the boundary: it exports only
//! the five prefix entry points (no `describe`). It subscribes to `server:started`, answers
//! `GET /` with `{"abi":"1.0.0", …}` and runs a service named `noop`.
//!
//! Entry points catch panics themselves, as the 1.0 SDK's wrappers did.

#![forbid(unsafe_code)]

use abi_stable::std_types::{RResult, RStr, RString, RVec, Tuple2};
use module_sdk_prev::abi::{
    ErrorKind, HostHandle, LogLevel, ModuleError, Registration, RouteRequest, RouteResponse,
    ServiceSpec,
};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

/// The host handle from the last `register`, `None` when detached.
static HOST: Mutex<Option<HostHandle>> = Mutex::new(None);

fn guarded<T>(f: impl FnOnce() -> RResult<T, ModuleError>) -> RResult<T, ModuleError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        RResult::RErr(ModuleError {
            kind: ErrorKind::Panic,
            message: "abi-prev-module panicked".into(),
        })
    })
}

fn not_registered<T>() -> RResult<T, ModuleError> {
    RResult::RErr(ModuleError {
        kind: ErrorKind::NotRegistered,
        message: "abi-prev-module is not registered".into(),
    })
}

extern "C" fn register(
    host: HostHandle,
    _config_json: RStr<'_>,
) -> RResult<Registration, ModuleError> {
    guarded(|| {
        host.log(LogLevel::Info, "abi-prev-module registered".into());
        *HOST.lock().unwrap_or_else(|e| e.into_inner()) = Some(host);
        RResult::ROk(Registration {
            hooks: RVec::from(vec![RString::from("server:started")]),
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
            (200, format!(r#"{{"abi":"1.0.0","module":"{module_id}"}}"#))
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

module_sdk_prev::export_module!(register, on_hook, handle_route, run_service, shutdown);
