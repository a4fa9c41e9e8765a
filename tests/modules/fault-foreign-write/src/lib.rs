//! Fault test module: its routes try what the host's SQL guard must refuse at run time, each
//! answering 500 with the host's error when refused (and 200 if the SQL ran):
//!
//! - `POST /foreign-write`: insert into the kitchen-sink module's `mod_kitchen_sink_items`;
//! - `GET /foreign-read`: read the kitchen-sink module's `mod_kitchen_sink_events`;
//! - `POST /core-write {agentId}`: rename a core agent;
//! - `GET /host-read`: read the host's own bookkeeping (`mod_migrations`);
//!
//! and what it may do: `GET /core-read` reads the core `agents` table.

#![forbid(unsafe_code)]

use module_sdk::{params, Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::{json, Value};

/// The module instance (stateless).
pub struct ForeignWrite;

impl Module for ForeignWrite {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.routes(
            Router::new()
                .post("/foreign-write", foreign_write)
                .get("/foreign-read", foreign_read)
                .post("/core-write", core_write)
                .get("/host-read", host_read)
                .get("/core-read", core_read),
        );
        Ok(ForeignWrite)
    }
}

module_sdk::declare_module!(ForeignWrite);

fn foreign_write(_m: &ForeignWrite, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let changed = ctx.db().execute(
        "INSERT INTO mod_kitchen_sink_items (id, name, qty) VALUES ($1, $2, $3)",
        &params!["planted-by-fault-foreign-write", "planted", 1],
    )?;
    Ok(Response::ok(&json!({ "changed": changed })))
}

fn foreign_read(_m: &ForeignWrite, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let rows = ctx.db().query(
        "SELECT hook, payload FROM mod_kitchen_sink_events",
        &params![],
    )?;
    Ok(Response::ok(&json!({ "rows": rows.len() })))
}

fn core_write(_m: &ForeignWrite, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let body: Value = req.json()?;
    let changed = ctx.db().execute(
        "UPDATE agents SET name = $1 WHERE id = $2",
        &params!["hijacked", body["agentId"].as_str().unwrap_or_default()],
    )?;
    Ok(Response::ok(&json!({ "changed": changed })))
}

fn host_read(_m: &ForeignWrite, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let rows = ctx
        .db()
        .query("SELECT module_id, version FROM mod_migrations", &params![])?;
    Ok(Response::ok(&json!({ "rows": rows.len() })))
}

fn core_read(_m: &ForeignWrite, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let row = ctx
        .db()
        .query_one("SELECT COUNT(*) AS n FROM agents", &params![])?;
    Ok(Response::ok(&json!({ "agents": row.get::<i64>("n")? })))
}
