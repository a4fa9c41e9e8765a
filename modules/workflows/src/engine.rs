//! What happens when an event arrives: the enabled rules of its hook and company whose
//! conditions hold fire, one after the other (oldest rule first). For each, the run is claimed
//! (a rule fires at most once per event, see [`crate::run_store`]), then its actions run in
//! order through the host — the first failure skips the rest — and the run records each
//! action's outcome.
//!
//! A refused or failed action is the rule's outcome, not the event's failure: it is recorded
//! in the run (e.g. `capability agents.pause is not granted`, or the host's causation depth
//! refusal when rules trigger each other) and logged, and the handler returns `Ok` — retrying
//! the event would not change the answer. Only the module's own database failing makes the
//! handler fail, so the host delivers the event again.

use crate::event_company;
use crate::outcome::{Outcome, Status};
use crate::rule::Rule;
use crate::rule_store;
use crate::run_store;
use crate::Workflows;
use module_sdk::{Hook, ModuleContext, Result};
use serde_json::Value;

/// The hook handler: fires the matching rules for one event.
pub fn on_event(m: &Workflows, ctx: &ModuleContext, hook: Hook, mut payload: Value) -> Result<()> {
    if !m.hooks.has_rules(ctx, hook)? {
        return Ok(());
    }
    let Some(company_id) = event_company::resolve(ctx, &payload)? else {
        return Ok(());
    };
    let rules = rule_store::firing(ctx, hook, &company_id)?;
    if rules.is_empty() {
        return Ok(());
    }
    event_company::fill_in(&mut payload, &company_id);
    let event_id = match payload["eventId"].as_str() {
        Some(id) if !id.is_empty() => id.to_owned(),
        // A core without event ids: no redelivery to recognise either.
        _ => uuid::Uuid::now_v7().to_string(),
    };
    let depth = payload["causedBy"]["depth"].as_i64().unwrap_or(0);
    for rule in rules.iter().filter(|rule| rule.trigger.matches(&payload)) {
        let Some(run_id) = run_store::claim(ctx, rule, hook, &event_id, depth)? else {
            continue; // This rule already handled this event.
        };
        let outcomes = run_actions(ctx, rule, &payload);
        let error = outcomes
            .iter()
            .find_map(|o| o.error.as_deref().filter(|_| o.status == Status::Failed));
        run_store::finish(ctx, &run_id, &outcomes, error)?;
        if let Some(error) = error {
            ctx.log().warn(format!(
                "rule `{}` ({}) failed on {hook} event {event_id}: {error}",
                rule.name, rule.id
            ));
        }
    }
    Ok(())
}

/// Runs the rule's actions for `payload`, in order; after a failure the rest are skipped.
pub fn run_actions(ctx: &ModuleContext, rule: &Rule, payload: &Value) -> Vec<Outcome> {
    let core = ctx.core();
    let mut failed: Option<usize> = None;
    let mut outcomes = Vec::with_capacity(rule.actions.len());
    for (i, action) in rule.actions.iter().enumerate() {
        let kind = action.kind();
        let outcome = match failed {
            Some(earlier) => Outcome::skipped(i, kind, earlier),
            None => match action.plan(&rule.company_id, payload) {
                Err(e) => Outcome::failed(i, kind, e),
                Ok(write) => match write.execute(&core) {
                    Ok(result) => Outcome::ok(i, kind, result),
                    Err(e) => Outcome::failed(i, kind, e.message()),
                },
            },
        };
        if failed.is_none() && outcome.status == Status::Failed {
            failed = Some(i);
        }
        outcomes.push(outcome);
    }
    outcomes
}
