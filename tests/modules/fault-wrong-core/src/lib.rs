//! Fault test module: its manifest requires core `>=9.0.0`, a version this server is not, so the host must report it `incompatible` without loading it.
//!
//! Its code is well-behaved (`GET /ok` answers); the fault is in its manifest or config, so the
//! host must refuse it before running any of it, and everything else must keep working.

#![forbid(unsafe_code)]

use module_sdk::{Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;

/// The module instance (stateless).
pub struct WrongCore;

impl Module for WrongCore {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.log()
            .info("registered, although the host should have refused this module");
        r.routes(Router::new().get("/ok", ok));
        Ok(WrongCore)
    }
}

module_sdk::declare_module!(WrongCore);

/// `GET /ok` → `{"ok": true, "module": <id>}`.
fn ok(_m: &WrongCore, ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true, "module": ctx.module_id() }))
}
