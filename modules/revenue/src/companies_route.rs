//! `GET /companies`: the companies the module serves (id and name), for the UI's company
//! picker — the web shell's `api` reaches only this module's routes. The host's
//! `companies.list` already leaves out the companies the module is not enabled for.

use crate::Revenue;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde_json::{json, Value};

/// `GET /companies`: `{"items": [{"id", "name"}, …]}`.
pub fn list(_m: &Revenue, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let companies = ctx.core().call("companies.list", &json!({}))?;
    let items: Vec<Value> = companies
        .as_array()
        .into_iter()
        .flatten()
        .map(|company| json!({ "id": company["id"], "name": company["name"] }))
        .collect();
    Ok(Response::ok(&json!({ "items": items })))
}
