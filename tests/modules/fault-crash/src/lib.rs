//! Fault test module: it takes down the process it runs in, the way a buggy native library
//! can — which in-process would be the server. Its manifest asks for the `process` isolation
//! level, where the host must survive it, restart the module, and keep everything else going.
//!
//! Routes under the prefix `crash`:
//! - `GET /ok` → `{"ok": true, "pid": <the process id>, "seen": <issue:created events seen>}`;
//! - `POST /abort` → `std::process::abort()` (SIGABRT);
//! - `POST /segfault` → writes through a null pointer (SIGSEGV);
//! - `POST /exit?code=<n>` → `std::process::exit(n)` (default 3).
//!
//! Hook `issue:created`: an issue titled `crash-me` aborts the process; others are counted.

use module_sdk::{
    IssueCreated, Module, ModuleContext, Registrar, Request, Response, Result, Router,
};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the `issue:created` events seen since register.
pub struct FaultCrash {
    seen: AtomicU64,
}

impl Module for FaultCrash {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.on(|m: &Self, _ctx: &ModuleContext, created: IssueCreated| {
            if created.issue.title == "crash-me" {
                eprintln!("fault-crash: aborting on issue {}", created.issue.id);
                std::process::abort();
            }
            m.seen.fetch_add(1, Ordering::SeqCst);
            Ok(())
        });
        r.routes(
            Router::new()
                .get("/ok", ok)
                .post("/abort", abort)
                .post("/segfault", segfault)
                .post("/exit", exit),
        );
        Ok(FaultCrash {
            seen: AtomicU64::new(0),
        })
    }
}

module_sdk::declare_module!(FaultCrash);

fn ok(m: &FaultCrash, _ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({
        "ok": true,
        "pid": std::process::id(),
        "seen": m.seen.load(Ordering::SeqCst),
    }))
}

fn abort(_m: &FaultCrash, _ctx: &ModuleContext, _req: &Request) -> Response {
    eprintln!("fault-crash: aborting on request");
    std::process::abort()
}

fn segfault(_m: &FaultCrash, _ctx: &ModuleContext, _req: &Request) -> Response {
    eprintln!("fault-crash: writing through a null pointer");
    let null = std::ptr::null_mut::<u64>();
    // SAFETY: none — the point of this module is to crash its process with SIGSEGV.
    unsafe { null.write_volatile(42) };
    Response::ok(&json!({ "unreachable": true }))
}

fn exit(_m: &FaultCrash, _ctx: &ModuleContext, req: &Request) -> Response {
    let code = req.query("code").and_then(|c| c.parse().ok()).unwrap_or(3);
    eprintln!("fault-crash: exiting with status {code}");
    std::process::exit(code)
}
