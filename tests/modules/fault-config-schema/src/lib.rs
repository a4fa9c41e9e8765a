//! Fault test module: its `configSchema` wants an integer `limit` ≥ 1 and the tests configure `"lots"`; the host must refuse the config.
//!
//! Its code is well-behaved (`GET /ok` answers); the fault is in its manifest or config, so the
//! host must refuse it before running any of it, and everything else must keep working.

#![forbid(unsafe_code)]

use module_sdk::{Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;

/// The module instance (stateless).
pub struct ConfigSchema;

impl Module for ConfigSchema {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.log()
            .info("registered, although the host should have refused this module");
        r.routes(Router::new().get("/ok", ok));
        Ok(ConfigSchema)
    }
}

module_sdk::declare_module!(ConfigSchema);

/// `GET /ok` → `{"ok": true, "module": <id>}`.
fn ok(_m: &ConfigSchema, ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true, "module": ctx.module_id() }))
}
