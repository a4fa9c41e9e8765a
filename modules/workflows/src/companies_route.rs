//! `GET /companies`: the companies the module is enabled for (id and name), for the UI's
//! company picker — the web shell's `api` reaches only this module's routes.

use crate::Workflows;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde_json::json;

/// `GET /companies`: `{"items": [{"id", "name"}, …]}` by name.
pub fn list(_m: &Workflows, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let scope = ctx.core().company_scope()?;
    let items: Vec<_> = ctx
        .db()
        .query("SELECT id, name FROM companies ORDER BY name, id", &[])?
        .into_iter()
        .filter(|row| row["id"].as_str().is_some_and(|id| scope.includes(id)))
        .map(|row| json!({ "id": row["id"], "name": row["name"] }))
        .collect();
    Ok(Response::ok(&json!({ "items": items })))
}
