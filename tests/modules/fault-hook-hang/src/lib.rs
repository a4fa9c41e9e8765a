//! Fault test module: its `agent:created` handler never returns, and neither does its route
//! `GET /hang`. The host must time the calls out (`modules.hookTimeoutMs`,
//! `modules.routeTimeoutMs`), count them, and never make the core write or other modules wait;
//! `GET /ok` keeps answering and reports how many hook calls entered the handler.

#![forbid(unsafe_code)]

use module_sdk::{
    AgentCreated, Module, ModuleContext, Registrar, Request, Response, Result, Router,
};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts the calls that entered the handler (and never left).
pub struct HookHang {
    entered: AtomicU64,
}

impl Module for HookHang {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.on(|m: &Self, ctx: &ModuleContext, created: AgentCreated| {
            m.entered.fetch_add(1, Ordering::SeqCst);
            ctx.log()
                .warn(format!("hanging forever on agent {}", created.agent.id));
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        });
        r.routes(Router::new().get("/ok", ok).get("/hang", hang));
        Ok(HookHang {
            entered: AtomicU64::new(0),
        })
    }
}

module_sdk::declare_module!(HookHang);

/// `GET /hang`: never answers.
fn hang(_m: &HookHang, _ctx: &ModuleContext, _req: &Request) -> Response {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// `GET /ok` → `{"ok": true, "entered": <calls that entered the hung handler>}`.
fn ok(m: &HookHang, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true, "entered": m.entered.load(Ordering::SeqCst) }))
}
