//! Which module answers which route prefix, right now. Read on every module request, changed
//! only when a module is enabled or disabled, so a read-mostly lock over a map is enough.

use super::executor::ModuleExecutor;
use super::module_counters::ModuleCounters;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

/// A mounted module: where requests under its prefix go.
pub struct RouteTarget {
    /// The module id (for errors and logs).
    pub module_id: String,
    /// Its executor, which runs the calls at the module's isolation level.
    pub executor: Arc<ModuleExecutor>,
    /// Its counters (route calls and errors are counted by the dispatcher).
    pub counters: Arc<ModuleCounters>,
}

/// Route prefix (without `/`) → mounted module.
#[derive(Default)]
pub struct RouteTable {
    by_prefix: RwLock<HashMap<String, Arc<RouteTarget>>>,
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> RouteTable {
        RouteTable::default()
    }

    /// Mounts `target` at `prefix`; refused (naming the holder) when another module holds it.
    pub fn mount(&self, prefix: &str, target: RouteTarget) -> Result<(), String> {
        let mut table = self.by_prefix.write();
        if let Some(holder) = table.get(prefix) {
            if holder.module_id != target.module_id {
                return Err(format!(
                    "route prefix `/{prefix}` is used by module `{}`",
                    holder.module_id
                ));
            }
        }
        table.insert(prefix.to_string(), Arc::new(target));
        Ok(())
    }

    /// Detaches `prefix` if `module_id` holds it; later requests answer 404. Requests already
    /// inside the module finish.
    pub fn unmount(&self, prefix: &str, module_id: &str) {
        let mut table = self.by_prefix.write();
        if table.get(prefix).is_some_and(|t| t.module_id == module_id) {
            table.remove(prefix);
        }
    }

    /// The module mounted at `prefix`.
    pub fn get(&self, prefix: &str) -> Option<Arc<RouteTarget>> {
        self.by_prefix.read().get(prefix).cloned()
    }

    /// Mounted prefixes, sorted.
    pub fn prefixes(&self) -> Vec<String> {
        let mut prefixes: Vec<String> = self.by_prefix.read().keys().cloned().collect();
        prefixes.sort();
        prefixes
    }
}
