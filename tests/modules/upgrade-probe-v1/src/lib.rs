//! Version 1 of `upgrade-probe`, a test module for hot upgrades and live configuration: records
//! the `eventId` of every `issue:created` it receives in `mod_upgrade_probe_events` (once per
//! event, counting deliveries, with the version that handled it first), and answers
//! `GET /version` → `{"version": "1", "greeting": <config greeting>}`.

#![forbid(unsafe_code)]

use module_sdk::{
    params, Hook, Module, ModuleContext, Registrar, Request, Response, Result, Router,
};
use serde_json::{json, Value};

/// The configured greeting.
pub struct UpgradeProbe {
    greeting: String,
}

impl Module for UpgradeProbe {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        let greeting = r.config()["greeting"]
            .as_str()
            .unwrap_or("hello")
            .to_string();
        r.on_raw(
            Hook::IssueCreated,
            |_m: &Self, ctx: &ModuleContext, payload: Value| record(ctx, &payload, "1"),
        );
        r.routes(Router::new().get("/version", version));
        Ok(UpgradeProbe { greeting })
    }
}

module_sdk::declare_module!(UpgradeProbe);

/// Records one delivery of an `issue:created` event.
fn record(ctx: &ModuleContext, payload: &Value, version: &str) -> Result<()> {
    ctx.db().execute(
        "INSERT INTO mod_upgrade_probe_events (event_id, issue_id, version, deliveries) \
         VALUES ($1, $2, $3, 1) ON CONFLICT (event_id) DO UPDATE \
         SET deliveries = mod_upgrade_probe_events.deliveries + 1",
        &params![
            payload["eventId"].as_str().unwrap_or_default(),
            payload["issue"]["id"].as_str().unwrap_or_default(),
            version
        ],
    )?;
    Ok(())
}

/// `GET /version`.
fn version(m: &UpgradeProbe, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "version": "1", "greeting": m.greeting }))
}
