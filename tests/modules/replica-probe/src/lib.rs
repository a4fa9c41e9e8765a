//! A test module for several replicas on one database: records which server process (each
//! replica is one; the module runs in it) delivered each `issue:created` event and ran each
//! tick of its `tick` service (every 100 ms), so a test can check that a service runs on one
//! replica at a time and that each event is delivered by one replica.
//!
//! Routes: `GET /ping` → `{"pid", "label"}` (the process answering and the configured label);
//! `GET /events` → `{"events": <distinct event ids>, "deliveries": <total>, "byTwoReplicas":
//! <events delivered by more than one process>, "ids": [<issue id of each event>]}`; `GET /runs` → `{"runs":
//! [{"pid", "runs"}]}`.

#![forbid(unsafe_code)]

use module_sdk::{
    params, Error, Hook, Module, ModuleContext, Registrar, Request, Response, Result, Router,
};
use serde_json::{json, Value};
use std::time::Duration;

/// The configured label.
pub struct ReplicaProbe {
    label: String,
}

impl Module for ReplicaProbe {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        let label = r.config()["label"].as_str().unwrap_or_default().to_string();
        r.on_raw(
            Hook::IssueCreated,
            |_m: &Self, ctx: &ModuleContext, payload: Value| receive(ctx, &payload),
        );
        r.routes(
            Router::new()
                .get("/ping", ping)
                .get("/events", events)
                .get("/runs", runs),
        );
        r.service("tick", Duration::from_millis(100), tick);
        Ok(ReplicaProbe { label })
    }
}

module_sdk::declare_module!(ReplicaProbe);

fn pid() -> i64 {
    i64::from(std::process::id())
}

/// Records one delivery of an event by this process.
fn receive(ctx: &ModuleContext, payload: &Value) -> Result<()> {
    let event_id = payload["eventId"]
        .as_str()
        .ok_or_else(|| Error::bad_request("the payload has no eventId"))?;
    let issue_id = payload["issue"]["id"].as_str().unwrap_or_default();
    ctx.db().execute(
        "INSERT INTO mod_replica_probe_events (event_id, issue_id, pid, deliveries) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (event_id, pid) DO UPDATE SET deliveries = mod_replica_probe_events.deliveries + 1",
        &params![event_id, issue_id, pid()],
    )?;
    Ok(())
}

/// One run of the `tick` service.
fn tick(_m: &ReplicaProbe, ctx: &ModuleContext) -> Result<()> {
    ctx.db().execute(
        "INSERT INTO mod_replica_probe_runs (pid, runs) VALUES ($1, 1) \
         ON CONFLICT (pid) DO UPDATE SET runs = mod_replica_probe_runs.runs + 1",
        &params![pid()],
    )?;
    Ok(())
}

/// `GET /ping`.
fn ping(m: &ReplicaProbe, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "pid": pid(), "label": m.label }))
}

/// `GET /events`.
fn events(_m: &ReplicaProbe, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let rows = ctx.db().query(
        "SELECT MIN(issue_id) AS issue_id, COUNT(*) AS replicas, SUM(deliveries) AS deliveries \
         FROM mod_replica_probe_events GROUP BY event_id",
        &params![],
    )?;
    let mut ids = Vec::new();
    let mut deliveries = 0;
    let mut by_two = 0;
    for row in rows.iter() {
        ids.push(row.get::<String>("issue_id")?);
        deliveries += row.get::<i64>("deliveries")?;
        if row.get::<i64>("replicas")? > 1 {
            by_two += 1;
        }
    }
    Ok(Response::ok(&json!({
        "events": ids.len(),
        "deliveries": deliveries,
        "byTwoReplicas": by_two,
        "ids": ids,
    })))
}

/// `GET /runs`.
fn runs(_m: &ReplicaProbe, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let rows = ctx.db().query(
        "SELECT pid, runs FROM mod_replica_probe_runs ORDER BY pid",
        &params![],
    )?;
    let mut runs = Vec::new();
    for row in rows.iter() {
        runs.push(json!({ "pid": row.get::<i64>("pid")?, "runs": row.get::<i64>("runs")? }));
    }
    Ok(Response::ok(&json!({ "runs": runs })))
}
