//! `GET /runs?ruleId=&companyId=&status=&limit=`: what the rules did, newest first — for each
//! run the trigger event (id, hook, causation depth, when), each action's outcome (the created
//! issue's id and identifier, the paused agent, …) and the error of the action that failed
//! (e.g. a capability the operator has not granted, or the host's causation depth limit).

use crate::query_params::{integer_in, one_of, optional, reject_unknown};
use crate::run_store::{self, RunFilter, FAILED, RUNNING, SUCCEEDED};
use crate::served_companies;
use crate::Workflows;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde_json::json;

/// Default number of runs answered.
pub const DEFAULT_LIMIT: i64 = 50;
/// Most runs answered at once.
pub const MAX_LIMIT: i64 = 500;

/// `GET /runs`: `{"items": [run, …]}` (without `companyId`: of every company the module
/// serves; a company it does not serve is a 403).
pub fn list(_m: &Workflows, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    reject_unknown(req, &["ruleId", "companyId", "status", "limit"])?;
    let companies = match served_companies::of_request(ctx, req)? {
        Ok(companies) => companies,
        Err(refused) => return Ok(refused),
    };
    let filter = RunFilter {
        rule_id: optional(req, "ruleId"),
        companies,
        status: one_of(req, "status", &[RUNNING, SUCCEEDED, FAILED])?,
        limit: integer_in(req, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)?,
    };
    let items = run_store::list(ctx, &filter)?;
    Ok(Response::ok(&json!({ "items": items })))
}
