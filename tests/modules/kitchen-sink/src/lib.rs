//! Test module that uses every part of the module API, for the end-to-end tests of the module
//! host (`tests/tests/modules_kitchen_sink.rs`, `modules_lifecycle.rs`):
//!
//! - **hooks**: subscribes to all 13 hooks twice — untyped (`on_raw`), recording each payload as
//!   the host delivered it into `mod_kitchen_sink_events`, and typed (`on::<Payload>`), counting
//!   the payloads that parse as the SDK's types (`GET /typed`);
//! - **routes** under `/api/modules/kitchen-sink`: `GET /events?hook=`, `GET /events/count`,
//!   `POST /items`, `GET /items/:id`, `GET /items?name=`, `POST /items/batch` (one transaction,
//!   rolled back when any item fails), `GET /core/:companyId` (core reads through `ctx.core()`
//!   and through SQL on `agents`), `GET /config`, `GET /whoami`, `GET /service`, `GET /typed`;
//! - **service** `counter`, every 200 ms, incrementing `mod_kitchen_sink_counters.service`;
//! - **config** (`greeting` with a default, `secret` usually given as `$ENV_VAR`, `batchLimit`);
//! - **logging** at info on register and shutdown.

#![forbid(unsafe_code)]

use module_sdk::{
    params, AgentCreated, AgentDeleted, AgentHeartbeat, AgentStatusChanged, AgentUpdated,
    BudgetSpendRecorded, BudgetThresholdCrossed, Error, GoalCompleted, GoalCreated, Hook,
    HookPayload, IssueAssigned, IssueCreated, IssueStatusChanged, Module, ModuleContext, Registrar,
    Request, Response, Result, Router, ServerStarted,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The module's config after the host applied the schema's defaults.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    greeting: String,
    #[serde(default)]
    secret: Option<String>,
    batch_limit: usize,
}

/// The module instance: its config and, per hook, how many payloads parsed as the typed payload.
pub struct KitchenSink {
    config: Config,
    typed: [AtomicU64; Hook::ALL.len()],
}

impl KitchenSink {
    fn typed_count(&self, hook: Hook) -> &AtomicU64 {
        let index = Hook::ALL
            .iter()
            .position(|h| *h == hook)
            .expect("Hook::ALL lists every hook");
        &self.typed[index]
    }
}

impl Module for KitchenSink {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        let config: Config = r.config_as()?;
        r.log().info(format!(
            "kitchen sink registered (greeting {:?}, {} hooks)",
            config.greeting,
            Hook::ALL.len()
        ));
        for hook in Hook::ALL {
            r.on_raw(
                hook,
                move |_m: &Self, ctx: &ModuleContext, payload: Value| {
                    record_event(ctx, hook, &payload)
                },
            );
        }
        count_typed::<ServerStarted>(r);
        count_typed::<AgentCreated>(r);
        count_typed::<AgentUpdated>(r);
        count_typed::<AgentDeleted>(r);
        count_typed::<AgentHeartbeat>(r);
        count_typed::<AgentStatusChanged>(r);
        count_typed::<IssueCreated>(r);
        count_typed::<IssueStatusChanged>(r);
        count_typed::<IssueAssigned>(r);
        count_typed::<GoalCreated>(r);
        count_typed::<GoalCompleted>(r);
        count_typed::<BudgetSpendRecorded>(r);
        count_typed::<BudgetThresholdCrossed>(r);
        r.routes(
            Router::new()
                .get("/events", list_events)
                .get("/events/count", count_events)
                .post("/items", create_item)
                .post("/items/batch", create_items_batch)
                .get("/items", list_items)
                .get("/items/:id", get_item)
                .get("/core/:companyId", read_core)
                .get("/config", show_config)
                .get("/whoami", whoami)
                .get("/service", service_runs)
                .get("/typed", typed_counts),
        );
        r.service(
            "counter",
            Duration::from_millis(200),
            |_m: &Self, ctx: &ModuleContext| {
                ctx.db().execute(
                    "UPDATE mod_kitchen_sink_counters SET value = value + 1 WHERE name = $1",
                    &params!["service"],
                )?;
                Ok(())
            },
        );
        Ok(KitchenSink {
            config,
            typed: std::array::from_fn(|_| AtomicU64::new(0)),
        })
    }

    fn shutdown(&self, ctx: &ModuleContext) {
        ctx.log().info("kitchen sink shut down");
    }
}

module_sdk::declare_module!(KitchenSink);

/// Subscribes a typed handler for `P`'s hook that only counts the payloads that parsed.
fn count_typed<P: HookPayload>(r: &mut Registrar<KitchenSink>) {
    r.on(|m: &KitchenSink, _ctx: &ModuleContext, _payload: P| {
        m.typed_count(P::HOOK).fetch_add(1, Ordering::SeqCst);
        Ok(())
    });
}

/// Stores one delivered payload.
fn record_event(ctx: &ModuleContext, hook: Hook, payload: &Value) -> Result<()> {
    ctx.db().execute(
        "INSERT INTO mod_kitchen_sink_events (hook, payload) VALUES ($1, $2)",
        &params![hook.as_str(), payload.to_string()],
    )?;
    Ok(())
}

/// `GET /events?hook=…`: the recorded payloads in arrival order, all or of one hook.
fn list_events(_m: &KitchenSink, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let rows = match req.query("hook") {
        Some(hook) => ctx.db().query(
            "SELECT hook, payload FROM mod_kitchen_sink_events WHERE hook = $1 ORDER BY id",
            &params![hook],
        )?,
        None => ctx.db().query(
            "SELECT hook, payload FROM mod_kitchen_sink_events ORDER BY id",
            &params![],
        )?,
    };
    let events = rows
        .iter()
        .map(|row| {
            let payload: String = row.get("payload")?;
            let payload: Value = serde_json::from_str(&payload)?;
            Ok(json!({ "hook": row.get::<String>("hook")?, "payload": payload }))
        })
        .collect::<Result<Vec<Value>>>()?;
    Ok(Response::ok(&json!({ "events": events })))
}

/// `GET /events/count`: how many payloads were recorded.
fn count_events(_m: &KitchenSink, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let row = ctx.db().query_one(
        "SELECT COUNT(*) AS n FROM mod_kitchen_sink_events",
        &params![],
    )?;
    Ok(Response::ok(&json!({ "count": row.get::<i64>("n")? })))
}

/// The body of `POST /items` and each entry of `POST /items/batch`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewItem {
    /// Given by the caller (to provoke a duplicate key), generated otherwise.
    #[serde(default)]
    id: Option<String>,
    name: String,
    qty: i64,
    #[serde(default)]
    agent_id: Option<String>,
}

/// Inserts one item (in `db`'s transaction, if any) and returns it as JSON.
fn insert_item(db: &module_sdk::Db<'_>, item: NewItem) -> Result<Value> {
    if item.name.trim().is_empty() {
        return Err(Error::bad_request("name must not be empty"));
    }
    if item.qty < 0 {
        return Err(Error::bad_request(format!(
            "qty of {:?} must not be negative",
            item.name
        )));
    }
    let id = item.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    db.execute(
        "INSERT INTO mod_kitchen_sink_items (id, name, qty, agent_id) VALUES ($1, $2, $3, $4)",
        &params![id, item.name, item.qty, item.agent_id],
    )?;
    Ok(json!({ "id": id, "name": item.name, "qty": item.qty, "agentId": item.agent_id }))
}

/// `POST /items {name, qty, agentId?}` → 201 with the item.
fn create_item(_m: &KitchenSink, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let item: NewItem = req.json()?;
    Ok(Response::json(201, &insert_item(&ctx.db(), item)?))
}

/// The body of `POST /items/batch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    items: Vec<NewItem>,
}

/// `POST /items/batch {items: [...]}`: all items in one transaction, so an invalid item or a
/// database error (e.g. a duplicate id) after earlier inserts leaves none of them stored.
fn create_items_batch(m: &KitchenSink, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let batch: Batch = req.json()?;
    if batch.items.len() > m.config.batch_limit {
        return Err(Error::bad_request(format!(
            "at most {} items per batch",
            m.config.batch_limit
        )));
    }
    let created = ctx.db().transaction(|tx| {
        batch
            .items
            .into_iter()
            .map(|item| insert_item(tx, item))
            .collect::<Result<Vec<Value>>>()
    })?;
    Ok(Response::json(201, &json!({ "items": created })))
}

/// Renders an item row.
fn item_json(row: &module_sdk::Row) -> Result<Value> {
    Ok(json!({
        "id": row.get::<String>("id")?,
        "name": row.get::<String>("name")?,
        "qty": row.get::<i64>("qty")?,
        "agentId": row.get::<Option<String>>("agent_id")?,
    }))
}

/// `GET /items?name=…`: items, all or of one name.
fn list_items(_m: &KitchenSink, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let rows = match req.query("name") {
        Some(name) => ctx.db().query(
            "SELECT id, name, qty, agent_id FROM mod_kitchen_sink_items WHERE name = $1 ORDER BY id",
            &params![name],
        )?,
        None => ctx.db().query(
            "SELECT id, name, qty, agent_id FROM mod_kitchen_sink_items ORDER BY id",
            &params![],
        )?,
    };
    let items = rows.iter().map(item_json).collect::<Result<Vec<_>>>()?;
    Ok(Response::ok(&json!({ "items": items })))
}

/// `GET /items/:id` → the item, or 404.
fn get_item(_m: &KitchenSink, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let id = req.param("id").unwrap_or_default();
    let row = ctx.db().query_opt(
        "SELECT id, name, qty, agent_id FROM mod_kitchen_sink_items WHERE id = $1",
        &params![id],
    )?;
    Ok(match row {
        Some(row) => Response::ok(&item_json(&row)?),
        None => Response::error(404, &format!("no item {id}")),
    })
}

/// `GET /core/:companyId`: the company's entities read through every typed core service, and
/// its agents read once more with plain SQL on the core `agents` table.
fn read_core(_m: &KitchenSink, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let company = req.param("companyId").unwrap_or_default();
    let core = ctx.core();
    let agents = core.agents(Some(company))?;
    let issues = core.issues(Some(company))?;
    let projects = core.projects(Some(company))?;
    let goals = core.goals(Some(company))?;
    let activity = core.activity(Some(company), Some(500))?;
    let first_agent = match agents.first() {
        Some(agent) => core.agent(&agent.id)?.map(|a| a.name),
        None => None,
    };
    let first_issue = match issues.first() {
        Some(issue) => core.issue(&issue.id)?.map(|i| i.identifier),
        None => None,
    };
    let first_project = match projects.first() {
        Some(project) => core.project(&project.id)?.map(|p| p.name),
        None => None,
    };
    let first_goal = match goals.first() {
        Some(goal) => core.goal(&goal.id)?.map(|g| g.title),
        None => None,
    };
    let sql_agents = ctx
        .db()
        .query(
            "SELECT id, name, budget_monthly_cents FROM agents WHERE company_id = $1 ORDER BY name",
            &params![company],
        )?
        .into_iter()
        .map(|row| Value::Object(row.into_inner()))
        .collect::<Vec<_>>();
    let mut agent_names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
    agent_names.sort_unstable();
    Ok(Response::ok(&json!({
        "agents": agent_names,
        "agentsSql": sql_agents,
        "issues": issues.iter().map(|i| &i.identifier).collect::<Vec<_>>(),
        "projects": projects.iter().map(|p| &p.name).collect::<Vec<_>>(),
        "goals": goals.iter().map(|g| &g.title).collect::<Vec<_>>(),
        "activity": activity.iter().map(|a| &a.action).collect::<Vec<_>>(),
        "firstAgent": first_agent,
        "firstIssue": first_issue,
        "firstProject": first_project,
        "firstGoal": first_goal,
        "missingAgent": core.agent("00000000-0000-0000-0000-000000000000")?,
        "rawCall": core.call("agents.list", &json!({ "companyId": company }))?
            .as_array()
            .map(Vec::len),
    })))
}

/// `GET /config`: the config as the module received it (defaults applied, `$ENV` resolved).
fn show_config(_m: &KitchenSink, ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(ctx.config())
}

/// `GET /whoami`: the module id and greeting, plus the secret's length (never the secret).
fn whoami(m: &KitchenSink, ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({
        "module": ctx.module_id(),
        "greeting": m.config.greeting,
        "secretLength": m.config.secret.as_ref().map(String::len),
    }))
}

/// `GET /service`: how many times the `counter` service has run.
fn service_runs(_m: &KitchenSink, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let row = ctx.db().query_one(
        "SELECT value FROM mod_kitchen_sink_counters WHERE name = $1",
        &params!["service"],
    )?;
    Ok(Response::ok(&json!({ "runs": row.get::<i64>("value")? })))
}

/// `GET /typed`: per hook, how many payloads parsed as the SDK's typed payload since register.
fn typed_counts(m: &KitchenSink, _ctx: &ModuleContext, _req: &Request) -> Response {
    let counts: Map<String, Value> = Hook::ALL
        .iter()
        .map(|hook| {
            (
                hook.as_str().to_owned(),
                json!(m.typed_count(*hook).load(Ordering::SeqCst)),
            )
        })
        .collect();
    Response::ok(&Value::Object(counts))
}
