//! How many database calls modules may have running at once, so that modules can never take
//! the connections the core needs.
//!
//! One gate per database (pool): all modules together may hold at most half of the pool's
//! connections (the core keeps the other half), and each module at most its own limit. A call
//! (or an open transaction, for its whole life) holds a [`CallPermit`]; a call that finds no
//! room waits a little, then fails with a message naming the limit.

use super::ModuleDbError;
use paperclip_core::db::Database;
use parking_lot::{Condvar, Mutex};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The gate of one database.
pub(super) struct CallGate {
    state: Mutex<GateState>,
    freed: Condvar,
    /// Connections all modules together may hold.
    modules_limit: usize,
    /// The pool's size, for the error message.
    pool_size: usize,
}

#[derive(Default)]
struct GateState {
    total: usize,
    per_module: HashMap<String, usize>,
}

/// A running call's place at the gate; dropping it frees the place.
pub(super) struct CallPermit {
    gate: Arc<CallGate>,
    module_id: String,
}

impl Drop for CallPermit {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock();
        state.total -= 1;
        if let Some(count) = state.per_module.get_mut(&self.module_id) {
            *count -= 1;
            if *count == 0 {
                state.per_module.remove(&self.module_id);
            }
        }
        drop(state);
        self.gate.freed.notify_all();
    }
}

/// The gate of `db` (one per database URL in the process).
pub(super) fn gate_for(db: &Database) -> Arc<CallGate> {
    static GATES: OnceLock<Mutex<HashMap<String, Arc<CallGate>>>> = OnceLock::new();
    let mut gates = GATES.get_or_init(Mutex::default).lock();
    gates
        .entry(db.url().to_string())
        .or_insert_with(|| {
            let pool_size = db.pool_size() as usize;
            Arc::new(CallGate {
                state: Mutex::default(),
                freed: Condvar::new(),
                modules_limit: (pool_size / 2).max(1),
                pool_size,
            })
        })
        .clone()
}

impl CallGate {
    /// Takes a place for one call of `module_id` (allowed `module_limit` at once), waiting up
    /// to `wait` for one to free up.
    pub fn acquire(
        self: &Arc<Self>,
        module_id: &str,
        module_limit: usize,
        wait: Duration,
    ) -> Result<CallPermit, ModuleDbError> {
        let deadline = Instant::now() + wait;
        let mut state = self.state.lock();
        loop {
            let mine = state.per_module.get(module_id).copied().unwrap_or(0);
            if mine < module_limit.max(1) && state.total < self.modules_limit {
                state.total += 1;
                *state.per_module.entry(module_id.to_string()).or_default() += 1;
                return Ok(CallPermit {
                    gate: Arc::clone(self),
                    module_id: module_id.to_string(),
                });
            }
            if self.freed.wait_until(&mut state, deadline).timed_out() {
                let reason = if mine >= module_limit.max(1) {
                    format!(
                        "the module already has {mine} database call(s) or transaction(s) \
                         running, the most it may have at once (modules.maxDbCalls = \
                         {module_limit})"
                    )
                } else {
                    format!(
                        "modules together already use {} of the database's {} connections, \
                         the most they may (the rest is kept for the core)",
                        state.total, self.pool_size
                    )
                };
                return Err(ModuleDbError::Busy {
                    reason: format!("{reason}; waited {} ms", wait.as_millis()),
                });
            }
        }
    }
}
