//! `GET|POST /rules`, `GET|PATCH|DELETE /rules/{id}`.
//!
//! Bad input — an unknown hook, operator or action type, a condition or placeholder naming a
//! field the hook's payload lacks, an action without its title, a company that does not exist
//! or that the module is not enabled for, a literal id of another company — is a 400
//! `{"error", "field"}` naming the field, and nothing is stored.

use crate::query_params::{boolean, optional, reject_unknown};
use crate::references;
use crate::rule_input::{self, RuleDraft};
use crate::rule_store::{self, RuleFilter};
use crate::served_companies;
use crate::trigger_hooks::TriggerHook;
use crate::Workflows;
use module_sdk::{Error, ModuleContext, Request, Response, Result};
use serde_json::{json, Value};

fn not_found(id: &str) -> Response {
    Response::error(404, &format!("no rule `{id}`"))
}

/// The request body as JSON; a body that is not JSON is a 400.
pub fn body(req: &Request) -> Result<Value> {
    req.json::<Value>()
}

/// `GET /rules?companyId=&hook=&enabled=`: `{"items": [rule, …]}`, oldest first (without
/// `companyId`: of every company the module serves; a company it does not serve is a 403).
pub fn list(_m: &Workflows, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    reject_unknown(req, &["companyId", "hook", "enabled"])?;
    let hook = match optional(req, "hook") {
        Some(name) => Some(
            TriggerHook::named(&name)
                .map_err(|e| Error::bad_request(format!("`hook`: {e}")))?
                .hook,
        ),
        None => None,
    };
    let companies = match served_companies::of_request(ctx, req)? {
        Ok(companies) => companies,
        Err(refused) => return Ok(refused),
    };
    let filter = RuleFilter {
        companies,
        hook,
        enabled: boolean(req, "enabled")?,
    };
    let items = rule_store::list(ctx, &filter)?;
    Ok(Response::ok(&json!({ "items": items })))
}

/// Checks a draft against the database; `Some(response)` is the 400 to answer.
fn refused(ctx: &ModuleContext, draft: &RuleDraft) -> Result<Option<Response>> {
    Ok(references::check(ctx, draft)?
        .err()
        .map(|invalid| invalid.response()))
}

/// `POST /rules`: answers 201 with the stored rule.
pub fn create(m: &Workflows, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let draft = match rule_input::parse_new(&body(req)?) {
        Ok(draft) => draft,
        Err(invalid) => return Ok(invalid.response()),
    };
    if let Some(response) = refused(ctx, &draft)? {
        return Ok(response);
    }
    let rule = rule_store::insert(ctx, draft)?;
    m.hooks.invalidate();
    Ok(Response::json(201, &rule))
}

/// `GET /rules/{id}`.
pub fn get(_m: &Workflows, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let id = req.param("id").unwrap_or_default();
    Ok(match rule_store::get(ctx, id)? {
        Some(rule) => Response::ok(&rule),
        None => not_found(id),
    })
}

/// `PATCH /rules/{id}`: changes the given fields (e.g. `{"enabled": false}`); answers the rule.
pub fn update(m: &Workflows, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let id = req.param("id").unwrap_or_default();
    let patch = body(req)?;
    let Some(rule) = rule_store::get(ctx, id)? else {
        return Ok(not_found(id));
    };
    let draft = match rule_input::parse_patch(&rule, &patch) {
        Ok(draft) => draft,
        Err(invalid) => return Ok(invalid.response()),
    };
    // Switching a rule off is always allowed, even where the module is no longer enabled.
    let only_disables = patch
        .as_object()
        .is_some_and(|p| p.keys().all(|k| k == "enabled"))
        && !draft.enabled;
    if !only_disables {
        if let Some(response) = refused(ctx, &draft)? {
            return Ok(response);
        }
    }
    let updated = rule_store::update(ctx, id, draft)?;
    m.hooks.invalidate();
    Ok(match updated {
        Some(rule) => Response::ok(&rule),
        None => not_found(id),
    })
}

/// `DELETE /rules/{id}`: deletes the rule and its runs; answers 204.
pub fn delete(m: &Workflows, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let id = req.param("id").unwrap_or_default();
    let deleted = rule_store::delete(ctx, id)?;
    m.hooks.invalidate();
    Ok(if deleted {
        Response::status(204)
    } else {
        not_found(id)
    })
}
