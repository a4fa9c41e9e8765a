//! Test module for the SQL security tests (`tests/tests/security_sql_battery.rs`,
//! `security_sql_limits.rs`): it runs whatever SQL its routes are given through its host
//! handle and answers the host's verdict, so the tests attack the real host, the real guard and
//! the real engines through a real module.
//!
//! Routes under `/api/modules/sql-probe` (bodies are JSON; `tx` is a transaction id from
//! `/begin`, 0 or absent for autocommit):
//! - `POST /query {"sql", "params"?, "tx"?}` → `{"rows": [...]}`;
//! - `POST /execute {"sql", "params"?, "tx"?}` → `{"affected": n}`;
//! - `POST /begin` → `{"tx": id}`; `POST /commit {"tx"}`, `POST /rollback {"tx"}` → `{"ok": true}`;
//! - `POST /sleep-tx {"ms", "body"?}`: opens a transaction, inserts a note, holds the transaction
//!   `ms` milliseconds in the route's thread, then commits → `{"committed": true}`.
//!
//! Every host error is answered as 400 `{"error": "<the host's text>", "step": …}`.
//!
//! With `heartbeatFile` in its config, `register` also starts (once per process) a plain thread
//! that keeps a clone of the module's context and, every `heartbeatMs`, inserts a note through
//! it and appends `<unix ms>\tok` or `<unix ms>\terr\t<message>` to that file: it shows whether
//! the host handle still works after the module was disabled.

#![forbid(unsafe_code)]

use module_sdk::abi::HostHandle;
use module_sdk::{params, Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whether the heartbeat thread runs already (a re-`register` must not start another).
static HEARTBEAT_STARTED: AtomicBool = AtomicBool::new(false);

/// The module's config.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    #[serde(default)]
    heartbeat_file: Option<String>,
    #[serde(default = "default_heartbeat_ms")]
    heartbeat_ms: u64,
}

fn default_heartbeat_ms() -> u64 {
    50
}

/// Stateless: every route runs what it is given.
pub struct SqlProbe;

impl Module for SqlProbe {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        let config: Config = r.config_as()?;
        if let Some(file) = config.heartbeat_file {
            if !HEARTBEAT_STARTED.swap(true, Ordering::SeqCst) {
                let ctx = r.ctx().clone();
                let interval = Duration::from_millis(config.heartbeat_ms);
                std::thread::spawn(move || heartbeat(ctx, file, interval));
            }
        }
        r.routes(
            Router::new()
                .post("/query", query)
                .post("/execute", execute)
                .post("/begin", begin)
                .post("/commit", commit)
                .post("/rollback", rollback)
                .post("/sleep-tx", sleep_tx),
        );
        Ok(SqlProbe)
    }
}

module_sdk::declare_module!(SqlProbe);

/// The body of `/query` and `/execute`.
#[derive(Debug, Deserialize)]
struct Statement {
    sql: String,
    #[serde(default)]
    params: Vec<Value>,
    #[serde(default)]
    tx: u64,
}

/// The body of `/commit` and `/rollback`.
#[derive(Debug, Deserialize)]
struct Transaction {
    tx: u64,
}

/// The body of `/sleep-tx`.
#[derive(Debug, Deserialize)]
struct SleepTx {
    ms: u64,
    #[serde(default)]
    body: Option<String>,
}

/// 400 with the host's text, naming the step that failed.
fn refused(step: &str, message: impl std::fmt::Display) -> Response {
    Response::json(400, &json!({ "error": message.to_string(), "step": step }))
}

fn host(ctx: &ModuleContext) -> &HostHandle {
    ctx.host()
}

/// `POST /query`.
fn query(_m: &SqlProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let statement: Statement = req.json()?;
    let params = serde_json::to_string(&statement.params)?;
    let answer = host(ctx)
        .db_query(
            statement.tx,
            statement.sql.as_str().into(),
            params.as_str().into(),
        )
        .into_result();
    Ok(match answer {
        Ok(rows) => match serde_json::from_str::<Value>(&rows) {
            Ok(rows) => Response::ok(&json!({ "rows": rows })),
            Err(e) => refused("rows", format!("host returned malformed rows: {e}")),
        },
        Err(e) => refused("query", e),
    })
}

/// `POST /execute`.
fn execute(_m: &SqlProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let statement: Statement = req.json()?;
    let params = serde_json::to_string(&statement.params)?;
    let answer = host(ctx)
        .db_execute(
            statement.tx,
            statement.sql.as_str().into(),
            params.as_str().into(),
        )
        .into_result();
    Ok(match answer {
        Ok(affected) => Response::ok(&json!({ "affected": affected })),
        Err(e) => refused("execute", e),
    })
}

/// `POST /begin`.
fn begin(_m: &SqlProbe, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    Ok(match host(ctx).db_begin().into_result() {
        Ok(tx) => Response::ok(&json!({ "tx": tx })),
        Err(e) => refused("begin", e),
    })
}

/// `POST /commit`.
fn commit(_m: &SqlProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let body: Transaction = req.json()?;
    Ok(match host(ctx).db_commit(body.tx).into_result() {
        Ok(()) => Response::ok(&json!({ "ok": true })),
        Err(e) => refused("commit", e),
    })
}

/// `POST /rollback`.
fn rollback(_m: &SqlProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let body: Transaction = req.json()?;
    Ok(match host(ctx).db_rollback(body.tx).into_result() {
        Ok(()) => Response::ok(&json!({ "ok": true })),
        Err(e) => refused("rollback", e),
    })
}

/// `POST /sleep-tx`: a long transaction held inside one route call.
fn sleep_tx(_m: &SqlProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let body: SleepTx = req.json()?;
    let host = host(ctx);
    let tx = match host.db_begin().into_result() {
        Ok(tx) => tx,
        Err(e) => return Ok(refused("begin", e)),
    };
    let note = body.body.unwrap_or_else(|| "sleep-tx".to_string());
    let params = serde_json::to_string(&params![note])?;
    if let Err(e) = host
        .db_execute(
            tx,
            "INSERT INTO mod_sql_probe_notes (body) VALUES ($1)".into(),
            params.as_str().into(),
        )
        .into_result()
    {
        let _ = host.db_rollback(tx);
        return Ok(refused("insert", e));
    }
    std::thread::sleep(Duration::from_millis(body.ms));
    Ok(match host.db_commit(tx).into_result() {
        Ok(()) => Response::ok(&json!({ "committed": true, "tx": tx })),
        Err(e) => refused("commit", e),
    })
}

/// The heartbeat thread: inserts a note every `interval` through a context kept since
/// `register`, and appends the outcome to `file`. Runs until the process ends.
fn heartbeat(ctx: ModuleContext, file: String, interval: Duration) {
    loop {
        std::thread::sleep(interval);
        let outcome = ctx.db().execute(
            "INSERT INTO mod_sql_probe_notes (body) VALUES ($1)",
            &params!["heartbeat"],
        );
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let line = match outcome {
            Ok(_) => format!("{now}\tok\n"),
            Err(e) => format!("{now}\terr\t{}\n", e.message().replace(['\n', '\t'], " ")),
        };
        if let Ok(mut out) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
        {
            let _ = out.write_all(line.as_bytes());
        }
    }
}
