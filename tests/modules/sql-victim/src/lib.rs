//! Test module owning secret rows: its migration fills `mod_sql_victim_secret`, and
//! `GET /secrets` lists them (so a test can see they are still there through the module itself).
//! The security battery (`tests/tests/security_sql_battery.rs`) attacks them from `sql-probe`.

#![forbid(unsafe_code)]

use module_sdk::{params, Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::{json, Value};

/// Stateless: everything is in the module's table.
pub struct SqlVictim;

impl Module for SqlVictim {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.routes(Router::new().get("/secrets", secrets));
        Ok(SqlVictim)
    }
}

module_sdk::declare_module!(SqlVictim);

/// `GET /secrets` → `{"secrets": [{"id", "secret"}, …]}` in id order.
fn secrets(_m: &SqlVictim, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let rows = ctx.db().query(
        "SELECT id, secret FROM mod_sql_victim_secret ORDER BY id",
        &params![],
    )?;
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| Value::Object(r.into_inner()))
        .collect();
    Ok(Response::ok(&json!({ "secrets": rows })))
}
