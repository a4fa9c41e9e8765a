//! Dry runs: `POST /rules/{id}/test` (a stored rule) and `POST /rules/test` (a draft, before it
//! is saved) against a sample payload. Nothing is written: the answer says which conditions
//! hold (with the payload's actual values), whether the rule would fire, and what each action
//! would ask the core to do.
//!
//! Body: `{"payload": {…}}` for a stored rule (optional: without it, the trigger hook's sample
//! payload for the rule's company), `{"rule": {…}, "payload": {…}}` for a draft.

use crate::action::Action;
use crate::event_company;
use crate::invalid::Invalid;
use crate::rule::Trigger;
use crate::rule_input;
use crate::rule_store;
use crate::rules_routes::body;
use crate::Workflows;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde_json::{json, Value};

/// `POST /rules/{id}/test`.
pub fn test_saved(_m: &Workflows, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let id = req.param("id").unwrap_or_default();
    let body = if req.body().iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        body(req)?
    };
    let Some(rule) = rule_store::get(ctx, id)? else {
        return Ok(Response::error(404, &format!("no rule `{id}`")));
    };
    let payload = match payload(&body, &["payload"], &rule.trigger, &rule.company_id) {
        Ok(payload) => payload,
        Err(invalid) => return Ok(invalid.response()),
    };
    let answer = dry_run(
        ctx,
        &rule.company_id,
        rule.enabled,
        &rule.trigger,
        &rule.actions,
        payload,
    )?;
    Ok(Response::ok(&answer))
}

/// `POST /rules/test`.
pub fn test_draft(_m: &Workflows, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let body = body(req)?;
    let parsed = match body.get("rule") {
        Some(rule) => rule_input::parse_new(rule).map_err(|e| e.under("rule")),
        None => Err(Invalid::new(
            "rule",
            "is required (the rule to test, as POST /rules takes it)",
        )),
    };
    let draft = match parsed {
        Ok(draft) => draft,
        Err(invalid) => return Ok(invalid.response()),
    };
    let payload = match payload(
        &body,
        &["rule", "payload"],
        &draft.trigger,
        &draft.company_id,
    ) {
        Ok(payload) => payload,
        Err(invalid) => return Ok(invalid.response()),
    };
    let answer = dry_run(
        ctx,
        &draft.company_id,
        draft.enabled,
        &draft.trigger,
        &draft.actions,
        payload,
    )?;
    Ok(Response::ok(&answer))
}

/// The body's `payload` (an object), or the trigger's sample for `company_id`.
fn payload(
    body: &Value,
    known: &[&str],
    trigger: &Trigger,
    company_id: &str,
) -> Result<Value, Invalid> {
    let fields = crate::json_fields::Fields::of(body, "")?;
    fields.only(known)?;
    match fields.get("payload") {
        None | Some(Value::Null) => Ok(trigger.hook_info().sample(company_id)),
        Some(payload @ Value::Object(_)) => Ok(payload.clone()),
        Some(other) => Err(Invalid::new(
            "payload",
            format!(
                "must be a JSON object (the event's payload), got {}",
                crate::json_fields::kind(other)
            ),
        )),
    }
}

/// Evaluates a rule against `payload` without writing anything.
fn dry_run(
    ctx: &ModuleContext,
    company_id: &str,
    enabled: bool,
    trigger: &Trigger,
    actions: &[Action],
    mut payload: Value,
) -> Result<Value> {
    let event_company = event_company::resolve(ctx, &payload)?;
    if let Some(company) = &event_company {
        event_company::fill_in(&mut payload, company);
    }
    let conditions: Vec<Value> = trigger
        .conditions
        .iter()
        .map(|c| {
            json!({
                "field": c.field, "operator": c.operator, "value": c.value,
                "actual": c.actual(&payload), "holds": c.holds(&payload)
            })
        })
        .collect();
    let company_matches = event_company.as_deref() == Some(company_id);
    let conditions_hold = trigger.matches(&payload);
    let planned: Vec<Value> = actions
        .iter()
        .enumerate()
        .map(|(i, action)| match action.plan(company_id, &payload) {
            Ok(write) => json!({ "action": i, "type": action.kind(), "write": write.describe() }),
            Err(error) => json!({ "action": i, "type": action.kind(), "error": error }),
        })
        .collect();
    Ok(json!({
        "wouldFire": enabled && company_matches && conditions_hold,
        "enabled": enabled,
        "company": { "rule": company_id, "event": event_company, "matches": company_matches },
        "conditionsHold": conditions_hold,
        "conditions": conditions,
        "actions": planned,
        "payload": payload,
    }))
}
