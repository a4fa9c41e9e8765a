//! Fault test module: its first migration is correct, its second holds bad SQL after two good
//! statements. The host must apply and record the first, roll the second back whole (no
//! `mod_fault_bad_migration_b`), report the module `failed` naming the migration, and never call
//! `register`.

#![forbid(unsafe_code)]

use module_sdk::{Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;

/// The module instance (stateless).
pub struct BadMigration;

impl Module for BadMigration {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.log().info("registered, although a migration failed");
        r.routes(Router::new().get("/ok", ok));
        Ok(BadMigration)
    }
}

module_sdk::declare_module!(BadMigration);

/// `GET /ok` → `{"ok": true}` (must never be reachable).
fn ok(_m: &BadMigration, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true }))
}
