//! The smallest useful module: one hook, one route, one service, one deliberate panic. Used by
//! module-sdk's loader test to prove a `declare_module!` library loads and its entry points work.

#![forbid(unsafe_code)]

use module_sdk::{AgentHeartbeat, Module, ModuleContext, Registrar, Response, Result, Router};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts heartbeats and service runs.
pub struct SdkSmoke {
    greeting: String,
    heartbeats: AtomicU64,
    ticks: AtomicU64,
}

impl Module for SdkSmoke {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        let greeting = r.config()["greeting"]
            .as_str()
            .unwrap_or("hello")
            .to_owned();
        r.on(|m: &Self, ctx: &ModuleContext, beat: AgentHeartbeat| {
            m.heartbeats.fetch_add(1, Ordering::SeqCst);
            ctx.log().info(format!("heartbeat from {}", beat.agent_id));
            Ok(())
        });
        r.routes(
            Router::new()
                .get("/hello/:name", |m: &Self, _ctx: &ModuleContext, req| {
                    Response::ok(&serde_json::json!({
                        "message": format!("{}, {}", m.greeting, req.param("name").unwrap_or("?")),
                        "heartbeats": m.heartbeats.load(Ordering::SeqCst),
                        "ticks": m.ticks.load(Ordering::SeqCst),
                    }))
                })
                .get(
                    "/panic",
                    |_m: &Self, _ctx: &ModuleContext, _req| -> Response {
                        panic!("smoke module panicked on purpose")
                    },
                ),
        );
        r.service(
            "tick",
            Duration::from_millis(50),
            |m: &Self, _ctx: &ModuleContext| {
                m.ticks.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
        );
        Ok(SdkSmoke {
            greeting,
            heartbeats: AtomicU64::new(0),
            ticks: AtomicU64::new(0),
        })
    }
}

module_sdk::declare_module!(SdkSmoke);
