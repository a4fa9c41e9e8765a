//! Test module for the executor: routes under the prefix `slow`
//! - `GET /sleep?ms=<n>` → sleeps `n` milliseconds (default 1000, at most 10 minutes), then
//!   `{"slept": n}`: a slow or, with a large `n`, hung route;
//! - `GET /ping` → `{"pong": true}` at once;
//! - `GET /entered` → `{"count": n}`, the `/sleep` calls that started.

#![forbid(unsafe_code)]

use module_sdk::{Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The longest `/sleep` honoured.
const MAX_SLEEP_MS: u64 = 600_000;

/// Counts the `/sleep` calls that started.
pub struct SlowRoute {
    entered: AtomicU64,
}

impl Module for SlowRoute {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.routes(
            Router::new()
                .get("/sleep", sleep)
                .get("/ping", ping)
                .get("/entered", entered),
        );
        Ok(SlowRoute {
            entered: AtomicU64::new(0),
        })
    }
}

module_sdk::declare_module!(SlowRoute);

fn sleep(m: &SlowRoute, _ctx: &ModuleContext, req: &Request) -> Response {
    m.entered.fetch_add(1, Ordering::SeqCst);
    let ms = req
        .query("ms")
        .and_then(|ms| ms.parse::<u64>().ok())
        .unwrap_or(1000)
        .min(MAX_SLEEP_MS);
    std::thread::sleep(Duration::from_millis(ms));
    Response::ok(&json!({ "slept": ms }))
}

fn ping(_m: &SlowRoute, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "pong": true }))
}

fn entered(m: &SlowRoute, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({ "count": m.entered.load(Ordering::SeqCst) }))
}
