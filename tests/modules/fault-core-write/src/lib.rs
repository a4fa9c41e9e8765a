//! Fault test module: its migration writes the core `agents` table. The host's SQL guard must
//! refuse the migration (nothing of it applied, no agent renamed) and report the module
//! `failed` naming the table.

#![forbid(unsafe_code)]

use module_sdk::{Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;

/// The module instance (stateless).
pub struct CoreWrite;

impl Module for CoreWrite {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.log()
            .info("registered, although its migration writes a core table");
        r.routes(Router::new().get("/ok", ok));
        Ok(CoreWrite)
    }
}

module_sdk::declare_module!(CoreWrite);

/// `GET /ok` → `{"ok": true}` (must never be reachable).
fn ok(_m: &CoreWrite, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true }))
}
