//! Fault test module: its `agent:created` handler panics on every event. The host must count the
//! failures and keep delivering to everyone else; the module's routes keep answering (`GET /ok`
//! also reports how many events reached the handler).

#![forbid(unsafe_code)]

use module_sdk::{
    AgentCreated, Module, ModuleContext, Registrar, Request, Response, Result, Router,
};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the events that reached the handler before it panicked.
pub struct HookPanic {
    calls: AtomicU64,
}

impl Module for HookPanic {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.on(|m: &Self, _ctx: &ModuleContext, created: AgentCreated| {
            m.calls.fetch_add(1, Ordering::SeqCst);
            panic!("hook exploded on purpose for agent {}", created.agent.id)
        });
        r.routes(Router::new().get("/ok", ok));
        Ok(HookPanic {
            calls: AtomicU64::new(0),
        })
    }
}

module_sdk::declare_module!(HookPanic);

/// `GET /ok` → `{"ok": true, "calls": <events that reached the handler>}`.
fn ok(m: &HookPanic, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "ok": true, "calls": m.calls.load(Ordering::SeqCst) }))
}
