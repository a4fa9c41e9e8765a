//! Fault test module: `GET /boom` panics. The host must answer that request with a 5xx JSON error
//! and count it, and the module's other route (`GET /ok`) must keep answering.

#![forbid(unsafe_code)]

use module_sdk::{Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;

/// The module instance (stateless).
pub struct RoutePanic;

impl Module for RoutePanic {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.routes(Router::new().get("/boom", boom).get("/ok", ok));
        Ok(RoutePanic)
    }
}

module_sdk::declare_module!(RoutePanic);

/// `GET /boom`: panics.
fn boom(_m: &RoutePanic, _ctx: &ModuleContext, _req: &Request) -> Response {
    panic!("route exploded on purpose")
}

/// `GET /ok` → `{"ok": true}`.
fn ok(_m: &RoutePanic, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true }))
}
