//! The smallest well-behaved test module: subscribes to every hook with a handler that only
//! counts (and to `agent:created` with a batch handler too, ABI 1.2), answers `GET /ping` with a small JSON object and `GET /hooks` with the count, and
//! ships one migration (`mod_tiny_pings`).
//!
//! The tests copy its bundle under other ids (rewriting the manifest and the table names of its
//! migration) to build modules whose only fault is in their manifest or config, and the
//! module benchmarks use it as the no-op module: route round trips, hook delivery, start-up with
//! 50 copies.

#![forbid(unsafe_code)]

use module_sdk::{
    AgentCreated, Hook, Module, ModuleContext, Registrar, Request, Response, Result, Router,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the hook payloads delivered since register, and the `agent:created` batches.
pub struct Tiny {
    hooks: AtomicU64,
    batches: AtomicU64,
    batched_events: AtomicU64,
}

impl Module for Tiny {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        for hook in Hook::ALL {
            r.on_raw(hook, |m: &Self, _ctx: &ModuleContext, _payload: Value| {
                m.hooks.fetch_add(1, Ordering::Relaxed);
                Ok(())
            });
        }
        // `agent:created` also through a batch handler (ABI 1.2): counts calls and events.
        r.on_batch(
            |m: &Self, _ctx: &ModuleContext, created: Vec<AgentCreated>| {
                m.batches.fetch_add(1, Ordering::Relaxed);
                m.batched_events
                    .fetch_add(created.len() as u64, Ordering::Relaxed);
                Ok(())
            },
        );
        r.routes(Router::new().get("/ping", ping).get("/hooks", hooks));
        Ok(Tiny {
            hooks: AtomicU64::new(0),
            batches: AtomicU64::new(0),
            batched_events: AtomicU64::new(0),
        })
    }
}

module_sdk::declare_module!(Tiny);

/// `GET /ping` → `{"pong": true, "module": <id>}`.
fn ping(_m: &Tiny, ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "pong": true, "module": ctx.module_id() }))
}

/// `GET /hooks` → `{"count": <payloads delivered since register>, "batches": <agent:created
/// batch calls>, "batchedEvents": <agent:created events in them>}`.
fn hooks(m: &Tiny, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({
        "count": m.hooks.load(Ordering::Relaxed),
        "batches": m.batches.load(Ordering::Relaxed),
        "batchedEvents": m.batched_events.load(Ordering::Relaxed),
    }))
}
