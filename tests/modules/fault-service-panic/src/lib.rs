//! Fault test module: its service `explode` panics on every run (every 100 ms). The host must
//! count the failures, keep scheduling it without overlap, and keep everything else working;
//! `GET /ok` reports how many runs started.

#![forbid(unsafe_code)]

use module_sdk::{Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts the runs that started.
pub struct ServicePanic {
    runs: AtomicU64,
}

impl Module for ServicePanic {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.service(
            "explode",
            Duration::from_millis(100),
            |m: &Self, _ctx: &ModuleContext| {
                let run = m.runs.fetch_add(1, Ordering::SeqCst) + 1;
                panic!("service exploded on purpose (run {run})")
            },
        );
        r.routes(Router::new().get("/ok", ok));
        Ok(ServicePanic {
            runs: AtomicU64::new(0),
        })
    }
}

module_sdk::declare_module!(ServicePanic);

/// `GET /ok` → `{"ok": true, "runs": <service runs started>}`.
fn ok(m: &ServicePanic, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true, "runs": m.runs.load(Ordering::SeqCst) }))
}
