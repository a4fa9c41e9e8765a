//! The host's side of a module process's host-handle calls: each call from the child is run on
//! a pool thread with the module's real host handle (the one `register` was given: SQL guard,
//! module namespace, core services), and the answer is sent back with the call's id. The
//! transactions each child opened are remembered (in its [`OpenTransactions`]), so those a
//! crashed child left open are rolled back.

use abi_stable::std_types::{RResult, RStr};
use module_sdk::abi::{HostError, HostHandle, LogLevel};
use paperclip_module_runner::framing::FrameWriter;
use paperclip_module_runner::protocol::{HostCall, HostReply, ToRunner};
use paperclip_module_runner::worker_pool::WorkerPool;
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::Arc;

/// The transactions one child opened and did not end yet.
pub type OpenTransactions = Arc<Mutex<HashSet<u64>>>;

/// Serves one module's proxied host-handle calls.
pub struct HostApiServer {
    module_id: String,
    pool: WorkerPool,
    handle: Mutex<Option<HostHandle>>,
}

impl HostApiServer {
    /// A server for module `module_id` keeping `threads` threads.
    pub fn new(module_id: &str, threads: usize) -> HostApiServer {
        HostApiServer {
            module_id: module_id.to_string(),
            pool: WorkerPool::new(&format!("module-host-api-{module_id}"), threads.max(1)),
            handle: Mutex::new(None),
        }
    }

    /// The host handle the calls run on (from `register`).
    pub fn set_handle(&self, handle: HostHandle) {
        *self.handle.lock() = Some(handle);
    }

    /// Runs call `id` of a child on a pool thread and sends the answer through `writer`;
    /// transactions it opens or ends are noted in `open_transactions`.
    pub fn serve(
        &self,
        id: u64,
        call: HostCall,
        writer: Arc<FrameWriter>,
        open_transactions: OpenTransactions,
    ) {
        let handle = self.handle.lock().clone();
        self.pool.submit(move || {
            let reply = match handle {
                Some(handle) => run(&handle, call, &open_transactions),
                None => HostReply::Error("the module has no host handle before `register`".into()),
            };
            // A child gone meanwhile: its reader fails its calls; nothing to answer.
            let _ = writer.send(&ToRunner::HostReply { id, reply });
        });
    }

    /// Writes a log line of the module (`level` as `LogLevel`'s position).
    pub fn log(&self, level: u8, message: &str) {
        let level = match level {
            0 => LogLevel::Error,
            1 => LogLevel::Warn,
            2 => LogLevel::Info,
            3 => LogLevel::Debug,
            _ => LogLevel::Trace,
        };
        match self.handle.lock().clone() {
            Some(handle) => handle.log(level, RStr::from_str(message)),
            None => {
                tracing::info!(target: "paperclip::module", module = %self.module_id, "{message}")
            }
        }
    }

    /// Rolls back the transactions a child opened and did not end (it crashed or was killed);
    /// returns how many.
    pub fn rollback(&self, open_transactions: &OpenTransactions) -> usize {
        let handle = self.handle.lock().clone();
        let open: Vec<u64> = open_transactions.lock().drain().collect();
        if let Some(handle) = handle {
            for tx in &open {
                let _ = handle.db_rollback(*tx);
            }
        }
        open.len()
    }
}

/// Runs one call with the real host handle.
fn run(handle: &HostHandle, call: HostCall, open: &Mutex<HashSet<u64>>) -> HostReply {
    match call {
        HostCall::Begin => {
            let reply = number(handle.db_begin());
            if let HostReply::Number(tx) = reply {
                open.lock().insert(tx);
            }
            reply
        }
        HostCall::Commit { tx } => {
            open.lock().remove(&tx);
            done(handle.db_commit(tx))
        }
        HostCall::Rollback { tx } => {
            open.lock().remove(&tx);
            done(handle.db_rollback(tx))
        }
        HostCall::Query {
            tx,
            sql,
            params_json,
        } => text(handle.db_query(tx, sql.as_str().into(), params_json.as_str().into())),
        HostCall::Execute {
            tx,
            sql,
            params_json,
        } => number(handle.db_execute(tx, sql.as_str().into(), params_json.as_str().into())),
        HostCall::CoreCall { method, args_json } => {
            text(handle.core_call(method.as_str().into(), args_json.as_str().into()))
        }
    }
}

fn number(result: RResult<u64, HostError>) -> HostReply {
    match result {
        RResult::ROk(n) => HostReply::Number(n),
        RResult::RErr(e) => HostReply::Error(e.message.into_string()),
    }
}

fn done(result: RResult<(), HostError>) -> HostReply {
    match result {
        RResult::ROk(()) => HostReply::Done,
        RResult::RErr(e) => HostReply::Error(e.message.into_string()),
    }
}

fn text(result: RResult<abi_stable::std_types::RString, HostError>) -> HostReply {
    match result {
        RResult::ROk(s) => HostReply::Text(s.into_string()),
        RResult::RErr(e) => HostReply::Error(e.message.into_string()),
    }
}
