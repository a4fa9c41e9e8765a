//! Version 2 of `upgrade-probe` (see version 1): records events the same way (as version "2"),
//! answers `GET /version` → `{"version": "2", "greeting", "notes": <count>}`, and adds a
//! migration (`mod_upgrade_probe_notes`) and a route, `POST /notes` `{text}`. With the config
//! `failRegister: true` its `register` panics (to test a failed upgrade).

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
        if r.config()["failRegister"] == json!(true) {
            panic!("upgrade-probe 2 refuses to register (failRegister)");
        }
        let greeting = r.config()["greeting"]
            .as_str()
            .unwrap_or("hello")
            .to_string();
        r.on_raw(
            Hook::IssueCreated,
            |_m: &Self, ctx: &ModuleContext, payload: Value| {
                ctx.db().execute(
                "INSERT INTO mod_upgrade_probe_events (event_id, issue_id, version, deliveries) \
                 VALUES ($1, $2, '2', 1) ON CONFLICT (event_id) DO UPDATE \
                 SET deliveries = mod_upgrade_probe_events.deliveries + 1",
                &params![
                    payload["eventId"].as_str().unwrap_or_default(),
                    payload["issue"]["id"].as_str().unwrap_or_default()
                ],
            )?;
                Ok(())
            },
        );
        r.routes(
            Router::new()
                .get("/version", version)
                .post("/notes", add_note),
        );
        Ok(UpgradeProbe { greeting })
    }
}

module_sdk::declare_module!(UpgradeProbe);

/// `GET /version`.
fn version(m: &UpgradeProbe, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let notes = ctx
        .db()
        .query_one(
            "SELECT COUNT(*) AS n FROM mod_upgrade_probe_notes",
            &params![],
        )?
        .get::<i64>("n")?;
    Ok(Response::ok(
        &json!({ "version": "2", "greeting": m.greeting, "notes": notes }),
    ))
}

/// `POST /notes` `{text}`.
fn add_note(_m: &UpgradeProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let body: Value = req.json()?;
    let text = body["text"].as_str().unwrap_or_default();
    ctx.db().execute(
        "INSERT INTO mod_upgrade_probe_notes (text) VALUES ($1)",
        &params![text],
    )?;
    Ok(Response::json(201, &json!({ "text": text })))
}
