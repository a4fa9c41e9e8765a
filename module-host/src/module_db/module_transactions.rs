//! Transactions that span several host-handle calls.
//!
//! A module's `db_begin` checks a connection out of the pool and opens a transaction on it; the
//! connection then stays here, under a transaction id, until the module commits or rolls back.
//! Ids come from one process-wide counter, so an id names one transaction of one module and a
//! module presenting another module's id is told so. A transaction the module forgets would
//! hold a pooled connection (and, on SQLite, the database's write lock) for ever, so a reaper
//! thread rolls back every transaction older than its limit.
//!
//! Architecture invariant: a connection with an open module transaction never goes back to the
//! pool; it is returned only after `COMMIT` or `ROLLBACK` ran on it.

use super::call_gate::CallPermit;
use super::pg_module_connections::ModuleConn;
use diesel::connection::SimpleConnection;
use parking_lot::{Mutex, MutexGuard};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How often the reaper looks for transactions past their limit.
const REAPER_TICK: Duration = Duration::from_millis(500);

/// How long a transaction the host ended stays known, so the module's next call on it is told
/// why it ended rather than that it never existed.
const ENDED_RETENTION: Duration = Duration::from_secs(600);

/// One module transaction held open between calls.
pub(super) struct OpenTransaction {
    /// The transaction id given to the module.
    pub id: u64,
    /// The owning module.
    pub module_id: String,
    /// The database the connection belongs to (its URL), so two databases in one process
    /// (tests) never share transactions.
    database_url: String,
    /// How long the transaction may stay open.
    pub limit: Duration,
    /// When it must be finished.
    deadline: Instant,
    state: Mutex<TransactionState>,
}

/// The mutable part of an open transaction, used by one call at a time.
pub(super) struct TransactionState {
    /// The connection with the transaction open; `None` once finished.
    pub conn: Option<ModuleConn>,
    /// The module's place at the call gate, held for the transaction's life.
    permit: Option<CallPermit>,
    /// On PostgreSQL, the first failed statement: the server has aborted the transaction, so
    /// a commit can only roll it back.
    pub failed: Option<String>,
    /// Why and when the host ended the transaction (rolled back past its limit).
    pub ended: Option<(String, Instant)>,
}

impl OpenTransaction {
    /// Whether the module `module_id` on the database `database_url` opened this transaction.
    pub fn belongs_to(&self, module_id: &str, database_url: &str) -> bool {
        self.module_id == module_id && self.database_url == database_url
    }

    /// When the transaction must be finished.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the transaction has outlived its limit.
    pub fn is_expired(&self, now: Instant) -> bool {
        now >= self.deadline
    }

    /// Waits for the call currently using the transaction, if any, and locks it.
    pub fn lock(&self) -> MutexGuard<'_, TransactionState> {
        self.state.lock()
    }
}

impl TransactionState {
    /// Rolls the transaction back and returns the connection to the pool. A failed `ROLLBACK`
    /// is logged: there is no caller left who could act on it.
    pub fn roll_back(&mut self, id: u64, module_id: &str) {
        self.permit = None;
        if let Some(mut conn) = self.conn.take() {
            if let Err(error) = conn.batch_execute("ROLLBACK") {
                tracing::error!(module = %module_id, transaction = id, %error,
                    "rolling back a module transaction failed");
            }
        }
    }

    /// Commits and returns the connection to the pool; when `COMMIT` fails the transaction is
    /// rolled back so the connection goes back clean.
    pub fn commit(&mut self, id: u64, module_id: &str) -> Result<(), diesel::result::Error> {
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        match conn.batch_execute("COMMIT") {
            Ok(()) => {
                self.permit = None;
                Ok(())
            }
            Err(error) => {
                self.conn = Some(conn);
                self.roll_back(id, module_id);
                Err(error)
            }
        }
    }
}

/// All open module transactions of the process.
pub(super) struct TransactionRegistry {
    open: Mutex<HashMap<u64, Arc<OpenTransaction>>>,
    next_id: AtomicU64,
    reaper: OnceLock<()>,
}

/// The process-wide registry.
pub(super) fn registry() -> &'static TransactionRegistry {
    static REGISTRY: OnceLock<TransactionRegistry> = OnceLock::new();
    REGISTRY.get_or_init(|| TransactionRegistry {
        open: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(1),
        reaper: OnceLock::new(),
    })
}

impl TransactionRegistry {
    /// Registers a connection on which a transaction was just begun; returns its id (never 0).
    pub fn insert(
        &'static self,
        module_id: &str,
        database_url: &str,
        conn: ModuleConn,
        permit: CallPermit,
        limit: Duration,
    ) -> u64 {
        self.start_reaper();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let transaction = OpenTransaction {
            id,
            module_id: module_id.to_string(),
            database_url: database_url.to_string(),
            limit,
            deadline: Instant::now() + limit,
            state: Mutex::new(TransactionState {
                conn: Some(conn),
                permit: Some(permit),
                failed: None,
                ended: None,
            }),
        };
        self.open.lock().insert(id, Arc::new(transaction));
        id
    }

    /// The transaction `id`, if known.
    pub fn get(&self, id: u64) -> Option<Arc<OpenTransaction>> {
        self.open.lock().get(&id).cloned()
    }

    /// Forgets the transaction `id` and returns it, so no other call can start on it.
    pub fn remove(&self, id: u64) -> Option<Arc<OpenTransaction>> {
        self.open.lock().remove(&id)
    }

    /// Forgets and returns every transaction of one module on one database.
    pub fn remove_owned_by(
        &self,
        module_id: &str,
        database_url: &str,
    ) -> Vec<Arc<OpenTransaction>> {
        let mut open = self.open.lock();
        let ids: Vec<u64> = open
            .values()
            .filter(|t| t.belongs_to(module_id, database_url))
            .map(|t| t.id)
            .collect();
        ids.iter().filter_map(|id| open.remove(id)).collect()
    }

    /// How many transactions of one module on one database are still open (not ended).
    pub fn count_owned_by(&self, module_id: &str, database_url: &str) -> usize {
        let open: Vec<Arc<OpenTransaction>> = self
            .open
            .lock()
            .values()
            .filter(|t| t.belongs_to(module_id, database_url))
            .cloned()
            .collect();
        // A transaction busy in a call counts as open; only one the host ended does not.
        open.iter()
            .filter(|t| !matches!(t.state.try_lock(), Some(s) if s.conn.is_none()))
            .count()
    }

    /// Rolls back every transaction past its limit and forgets those ended long ago. A
    /// transaction busy in a call is left for the next tick: its call finishes first, and the
    /// module's next call on it sees the expiry.
    pub fn sweep(&self, now: Instant) {
        let all: Vec<Arc<OpenTransaction>> = self.open.lock().values().cloned().collect();
        for transaction in all {
            let Some(mut state) = transaction.state.try_lock() else {
                continue;
            };
            if state.conn.is_some() && transaction.is_expired(now) {
                expire(&transaction, &mut state, now);
            }
            if let Some((_, ended_at)) = &state.ended {
                if now.duration_since(*ended_at) >= ENDED_RETENTION {
                    drop(state);
                    self.open.lock().remove(&transaction.id);
                }
            }
        }
    }

    /// Starts the reaper thread once per process.
    fn start_reaper(&'static self) {
        self.reaper.get_or_init(|| {
            let spawned = std::thread::Builder::new()
                .name("module-tx-reaper".into())
                .spawn(move || loop {
                    std::thread::sleep(REAPER_TICK);
                    self.sweep(Instant::now());
                });
            if let Err(error) = spawned {
                // Without the thread, expired transactions are still rolled back when their
                // module next uses them.
                tracing::error!(%error, "cannot start the module transaction reaper");
            }
        });
    }
}

/// Rolls back a transaction that outlived its limit and records why.
pub(super) fn expire(transaction: &OpenTransaction, state: &mut TransactionState, now: Instant) {
    tracing::warn!(
        module = %transaction.module_id,
        transaction = transaction.id,
        limit_secs = transaction.limit.as_secs_f64(),
        "rolling back a module transaction left open past its limit"
    );
    state.roll_back(transaction.id, &transaction.module_id);
    state.ended = Some((
        super::module_db_error::timed_out_reason(transaction.limit),
        now,
    ));
}
