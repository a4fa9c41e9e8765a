//! A test module for modules that act: it asks for `issues.create` and `agents.pause`.
//!
//! - `issue:status_changed` to `done` → creates the issue `Follow-up: <title>` in the same
//!   company (capability `issues.create`, caused by that event);
//! - `issue:created` of an issue titled `loop…` → creates `loop…+` (each write caused by the
//!   previous one's event, so the chain stops at `modules.maxCausationDepth`);
//! - every event it receives is recorded in `mod_actor_probe_events` (company, `causedBy`);
//!   every write it tries in `mod_actor_probe_writes` (ok, or the host's error text).
//!
//! Routes: `POST /pause/:agentId` (a write from a route: no cause), `GET /scope`
//! (`company_scope`), `GET /enabled/:companyId` (`enabled_for`).

#![forbid(unsafe_code)]

use module_sdk::{
    params, Hook, Module, ModuleContext, NewIssue, Registrar, Request, Response, Result, Router,
};
use serde_json::{json, Value};

/// No state: everything is in its tables.
pub struct ActorProbe;

impl Module for ActorProbe {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        for hook in [
            Hook::IssueCreated,
            Hook::IssueStatusChanged,
            Hook::AgentCreated,
            Hook::AgentHeartbeat,
        ] {
            r.on_raw(
                hook,
                move |_m: &Self, ctx: &ModuleContext, payload: Value| receive(ctx, hook, &payload),
            );
        }
        r.routes(
            Router::new()
                .post("/pause/:agentId", pause)
                .get("/scope", scope)
                .get("/enabled/:companyId", enabled),
        );
        Ok(ActorProbe)
    }
}

module_sdk::declare_module!(ActorProbe);

/// The company of a payload: top-level, or its issue's or agent's.
fn company_of(payload: &Value) -> &str {
    payload["companyId"]
        .as_str()
        .or_else(|| payload["issue"]["companyId"].as_str())
        .or_else(|| payload["agent"]["companyId"].as_str())
        .unwrap_or_default()
}

/// Records the event, then acts on it.
fn receive(ctx: &ModuleContext, hook: Hook, payload: &Value) -> Result<()> {
    let company = company_of(payload);
    let title = payload["issue"]["title"].as_str().unwrap_or_default();
    ctx.db().execute(
        "INSERT INTO mod_actor_probe_events \
         (event_id, hook, company_id, title, cause_event_id, cause_depth) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &params![
            payload["eventId"].as_str().unwrap_or_default(),
            hook.as_str(),
            company,
            title,
            payload["causedBy"]["eventId"].as_str().unwrap_or_default(),
            payload["causedBy"]["depth"].as_i64().unwrap_or(0)
        ],
    )?;
    let follow_up = match hook {
        Hook::IssueStatusChanged if payload["to"] == "done" => format!("Follow-up: {title}"),
        Hook::IssueCreated if title.starts_with("loop") => format!("{title}+"),
        _ => return Ok(()),
    };
    let answer = ctx.core().create_issue(
        company,
        &NewIssue {
            title: follow_up,
            ..NewIssue::default()
        },
    );
    record_write(ctx, "issues.create", answer.map(|issue| json!(issue)))
}

/// Records a write's answer; a refused write is not the handler's failure.
fn record_write(ctx: &ModuleContext, method: &str, answer: Result<Value>) -> Result<()> {
    let (ok, text) = match answer {
        Ok(value) => (true, value.to_string()),
        Err(error) => (false, error.to_string()),
    };
    ctx.db().execute(
        "INSERT INTO mod_actor_probe_writes (method, ok, answer) VALUES ($1, $2, $3)",
        &params![method, ok, text],
    )?;
    Ok(())
}

/// `POST /pause/:agentId`: 200 with the agent, or 403 with the host's refusal.
fn pause(_m: &ActorProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let agent_id = req.param("agentId").unwrap_or_default();
    match ctx.core().pause_agent(agent_id) {
        Ok(agent) => {
            record_write(ctx, "agents.pause", Ok(json!(agent)))?;
            Ok(Response::ok(&agent))
        }
        Err(error) => {
            let message = error.to_string();
            record_write(ctx, "agents.pause", Err(error))?;
            Ok(Response::error(403, &message))
        }
    }
}

/// `GET /scope`.
fn scope(_m: &ActorProbe, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    Ok(Response::ok(&ctx.core().company_scope()?))
}

/// `GET /enabled/:companyId`.
fn enabled(_m: &ActorProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let company = req.param("companyId").unwrap_or_default();
    Ok(Response::ok(
        &json!({ "enabled": ctx.core().enabled_for(company)? }),
    ))
}
