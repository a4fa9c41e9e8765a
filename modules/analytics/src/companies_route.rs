//! `GET /companies`: the companies the module is enabled for (id and name), for the UI's
//! company picker — the web shell's `api` reaches only this module's routes. The host's
//! `companies.list` already leaves out the companies the module does not serve.

use crate::Analytics;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde_json::{json, Value};

/// `GET /companies`: `{"items": [{"id", "name"}, …]}`.
pub fn list(_m: &Analytics, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let companies = ctx.core().call("companies.list", &json!({}))?;
    let items: Vec<Value> = companies
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| json!({ "id": c["id"], "name": c["name"] }))
        .collect();
    Ok(Response::ok(&json!({ "items": items })))
}
