//! A test module for hook delivery: records the `eventId` of every `issue:created` and
//! `agent:created` event it receives in `mod_<id>_received` (one row per event id, in arrival
//! order, with the number of deliveries), so a test can check that none is missing after a
//! crash and how often each came. Its handler fails on issues whose title starts with
//! `poison` until `POST /heal` (to drive retries and dead letters). The table name follows the
//! module id, so the tests run copies of it under other ids.
//!
//! Routes: `GET /received` → `{"events": <distinct event ids>, "deliveries": <total>}`;
//! `POST /heal` → poisoned issues are accepted from now on.

#![forbid(unsafe_code)]

use module_sdk::{
    params, Error, Hook, Module, ModuleContext, Registrar, Request, Response, Result, Router,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether poisoned issues are still refused.
pub struct DeliveryProbe {
    healed: AtomicBool,
}

impl Module for DeliveryProbe {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        for hook in [Hook::IssueCreated, Hook::AgentCreated] {
            r.on_raw(
                hook,
                move |m: &Self, ctx: &ModuleContext, payload: Value| {
                    receive(m, ctx, hook, &payload)
                },
            );
        }
        r.routes(Router::new().get("/received", received).post("/heal", heal));
        Ok(DeliveryProbe {
            healed: AtomicBool::new(false),
        })
    }
}

module_sdk::declare_module!(DeliveryProbe);

/// The probe's table (`mod_<id>_received`).
fn table(ctx: &ModuleContext) -> String {
    format!("mod_{}_received", ctx.module_id().replace('-', "_"))
}

/// Records one delivery of an event (refusing a poisoned issue until healed).
fn receive(m: &DeliveryProbe, ctx: &ModuleContext, hook: Hook, payload: &Value) -> Result<()> {
    let event_id = payload["eventId"]
        .as_str()
        .ok_or_else(|| Error::bad_request("the payload has no eventId"))?;
    let entity = match hook {
        Hook::IssueCreated => &payload["issue"],
        _ => &payload["agent"],
    };
    let entity_id = entity["id"].as_str().unwrap_or_default();
    let title = entity["title"]
        .as_str()
        .or_else(|| entity["name"].as_str())
        .unwrap_or_default();
    if title.starts_with("poison") && !m.healed.load(Ordering::SeqCst) {
        return Err(Error::msg(format!("poisoned event {title}")));
    }
    ctx.db().execute(
        &format!(
            "INSERT INTO {t} (event_id, hook, entity_id, title, deliveries) VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (event_id) DO UPDATE SET deliveries = {t}.deliveries + 1",
            t = table(ctx)
        ),
        &params![event_id, hook.as_str(), entity_id, title],
    )?;
    Ok(())
}

/// `GET /received`.
fn received(_m: &DeliveryProbe, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let row = ctx.db().query_one(
        &format!(
            "SELECT COUNT(*) AS events, COALESCE(SUM(deliveries), 0) AS deliveries FROM {}",
            table(ctx)
        ),
        &params![],
    )?;
    Ok(Response::ok(&json!({
        "events": row.get::<i64>("events")?,
        "deliveries": row.get::<i64>("deliveries")?,
    })))
}

/// `POST /heal`.
fn heal(m: &DeliveryProbe, _ctx: &ModuleContext, _req: &Request) -> Response {
    m.healed.store(true, Ordering::SeqCst);
    Response::ok(&json!({ "healed": true }))
}
