//! Fault test module: requires `fault-cycle-a`, which requires it back; the host must report the dependency cycle.
//!
//! Its code is well-behaved (`GET /ok` answers); the fault is in its manifest or config, so the
//! host must refuse it before running any of it, and everything else must keep working.

#![forbid(unsafe_code)]

use module_sdk::{Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;

/// The module instance (stateless).
pub struct CycleB;

impl Module for CycleB {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.log()
            .info("registered, although the host should have refused this module");
        r.routes(Router::new().get("/ok", ok));
        Ok(CycleB)
    }
}

module_sdk::declare_module!(CycleB);

/// `GET /ok` → `{"ok": true, "module": <id>}`.
fn ok(_m: &CycleB, ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true, "module": ctx.module_id() }))
}
