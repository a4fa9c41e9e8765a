//! `GET /catalog`: what rules can be made of, for the UI and for people writing rules by hand —
//! the trigger hooks (each with its payload's fields, default targets and a sample payload),
//! the operators and the action types with the capability each needs.

use crate::action::{ACTION_TYPES, ISSUE_PRIORITIES, ISSUE_STATUSES};
use crate::condition::Operator;
use crate::trigger_hooks::TRIGGER_HOOKS;
use crate::Workflows;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde_json::json;

/// The company id the samples are given.
const SAMPLE_COMPANY: &str = "00000000-0000-4000-8000-0000000c0e11";

/// `GET /catalog`.
pub fn get_catalog(_m: &Workflows, _ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let hooks: Vec<_> = TRIGGER_HOOKS
        .iter()
        .map(|t| {
            json!({
                "hook": t.hook.as_str(),
                "description": t.description,
                "fields": t.fields(),
                "defaultIssue": t.default_issue,
                "defaultAgent": t.default_agent,
                "sample": t.sample(SAMPLE_COMPANY),
            })
        })
        .collect();
    let actions: Vec<_> = ACTION_TYPES
        .iter()
        .map(|(kind, capability)| json!({ "type": kind, "capability": capability.as_str() }))
        .collect();
    Ok(Response::ok(&json!({
        "hooks": hooks,
        "operators": Operator::ALL.map(Operator::as_str),
        "actions": actions,
        "issueStatuses": ISSUE_STATUSES,
        "issuePriorities": ISSUE_PRIORITIES,
    })))
}
