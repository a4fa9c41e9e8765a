//! Test module for the `process` isolation level (`module-host/tests/process_entry.rs`): it
//! shows what its process can see and crashes on request, so the tests prove the child's empty
//! environment, its sandbox, and the host's restarts through a real module.
//!
//! Routes under its prefix `envprobe`:
//! - `GET /ping` → `{"pong": true}` (a no-op, for latency measurements);
//! - `GET /env` → the environment variables the process sees, as a JSON object;
//! - `GET /read?path=<file>` → 200 `{"size": n}` when the file can be read, else 403
//!   `{"error": "<the OS error>"}`;
//! - `GET /abort` → writes a line to stderr, then `std::process::abort()`;
//! - `GET /exit?code=<n>` → `std::process::exit(n)`;
//! - `GET /hooks` → `{"count": n}`, the `agent:heartbeat` payloads delivered since register;
//! - `GET /ticks` → `{"count": n}`, the runs of the `tick` service since register;
//! - `GET /log` → writes an info line through the host's logger → `{"logged": true}`.

#![forbid(unsafe_code)]

use module_sdk::{Hook, Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts hook payloads and service runs since register.
pub struct EnvProbe {
    hooks: AtomicU64,
    ticks: AtomicU64,
}

impl Module for EnvProbe {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.on_raw(
            Hook::AgentHeartbeat,
            |m: &Self, _ctx: &ModuleContext, _payload: Value| {
                m.hooks.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        );
        r.service(
            "tick",
            Duration::from_secs(3600),
            |m: &Self, _ctx: &ModuleContext| {
                m.ticks.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        );
        r.routes(
            Router::new()
                .get("/ping", ping)
                .get("/env", env)
                .get("/read", read)
                .get("/abort", abort)
                .get("/exit", exit)
                .get("/hooks", hooks)
                .get("/ticks", ticks)
                .get("/log", log),
        );
        Ok(EnvProbe {
            hooks: AtomicU64::new(0),
            ticks: AtomicU64::new(0),
        })
    }
}

module_sdk::declare_module!(EnvProbe);

fn ping(_m: &EnvProbe, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "pong": true }))
}

fn env(_m: &EnvProbe, _ctx: &ModuleContext, _req: &Request) -> Response {
    let vars: Map<String, Value> = std::env::vars_os()
        .map(|(name, value)| {
            (
                name.to_string_lossy().into_owned(),
                Value::String(value.to_string_lossy().into_owned()),
            )
        })
        .collect();
    Response::ok(&Value::Object(vars))
}

fn read(_m: &EnvProbe, _ctx: &ModuleContext, req: &Request) -> Response {
    let Some(path) = req.query("path") else {
        return Response::error(400, "missing ?path=");
    };
    match std::fs::read(&path) {
        Ok(bytes) => Response::ok(&json!({ "size": bytes.len() })),
        Err(e) => Response::json(403, &json!({ "error": e.to_string() })),
    }
}

fn abort(_m: &EnvProbe, _ctx: &ModuleContext, _req: &Request) -> Response {
    eprintln!("env-probe: aborting on request");
    std::process::abort()
}

fn exit(_m: &EnvProbe, _ctx: &ModuleContext, req: &Request) -> Response {
    let code = req.query("code").and_then(|c| c.parse().ok()).unwrap_or(1);
    std::process::exit(code)
}

fn hooks(m: &EnvProbe, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "count": m.hooks.load(Ordering::SeqCst) }))
}

fn ticks(m: &EnvProbe, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "count": m.ticks.load(Ordering::SeqCst) }))
}

fn log(_m: &EnvProbe, ctx: &ModuleContext, _req: &Request) -> Response {
    ctx.log().info("env-probe logs through its host");
    Response::ok(&json!({ "logged": true }))
}
