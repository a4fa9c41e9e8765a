//! Which hooks have an enabled rule, cached in memory, so an event of a hook no rule listens
//! to (every heartbeat, when no rule is about heartbeats) costs no database query.
//!
//! Rules are only written through this module's routes, served by the same instance as its
//! hooks (at every isolation level), so the routes [`HookIndex::invalidate`] it after each
//! write. A generation counter keeps a load that raced with a write from caching what it read
//! before the write committed.

use module_sdk::{params, Hook, ModuleContext, Result};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// The cache.
#[derive(Debug, Default)]
pub struct HookIndex {
    hooks: Mutex<Option<BTreeSet<String>>>,
    generation: AtomicU64,
}

impl HookIndex {
    /// Whether some enabled rule (of any company) is triggered by `hook`.
    pub fn has_rules(&self, ctx: &ModuleContext, hook: Hook) -> Result<bool> {
        self.lookup(hook, || {
            ctx.db()
                .query(
                    "SELECT DISTINCT hook FROM mod_workflows_rules WHERE enabled = $1",
                    &params![true],
                )?
                .iter()
                .map(|row| row.get::<String>("hook"))
                .collect()
        })
    }

    /// [`HookIndex::has_rules`], with `load` reading the hooks when they are not cached.
    fn lookup(&self, hook: Hook, load: impl FnOnce() -> Result<BTreeSet<String>>) -> Result<bool> {
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(hooks) = &*self.hooks.lock().unwrap_or_else(PoisonError::into_inner) {
            return Ok(hooks.contains(hook.as_str()));
        }
        let hooks = load()?;
        let found = hooks.contains(hook.as_str());
        let mut cached = self.hooks.lock().unwrap_or_else(PoisonError::into_inner);
        // A rule changed while the hooks were read: what was read may predate it.
        if self.generation.load(Ordering::SeqCst) == generation {
            *cached = Some(hooks);
        }
        Ok(found)
    }

    /// Forgets the cache; called after every committed change to the rules.
    pub fn invalidate(&self) {
        let mut cached = self.hooks.lock().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::SeqCst);
        *cached = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;
    use serde_json::json;

    #[test]
    fn the_hooks_are_read_once_until_a_rule_changes() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        let index = HookIndex::default();
        host.answer_queries(json!([{"hook": "issue:created"}]));
        assert!(index.has_rules(&ctx, Hook::IssueCreated).unwrap());
        assert!(!index.has_rules(&ctx, Hook::AgentHeartbeat).unwrap());
        assert_eq!(host.calls().len(), 1);
        index.invalidate();
        host.answer_queries(json!([{"hook": "agent:heartbeat"}]));
        assert!(index.has_rules(&ctx, Hook::AgentHeartbeat).unwrap());
        assert!(!index.has_rules(&ctx, Hook::IssueCreated).unwrap());
        assert_eq!(host.calls().len(), 2);
    }

    #[test]
    fn a_load_that_raced_with_a_write_is_not_kept() {
        let index = HookIndex::default();
        let stale = || -> Result<BTreeSet<String>> {
            // A route stores a heartbeat rule and invalidates while this load reads.
            index.invalidate();
            Ok(BTreeSet::new())
        };
        assert!(!index.lookup(Hook::AgentHeartbeat, stale).unwrap());
        let fresh = || -> Result<BTreeSet<String>> { Ok(["agent:heartbeat".to_owned()].into()) };
        assert!(index.lookup(Hook::AgentHeartbeat, fresh).unwrap());
        // That one was kept: the next lookup does not load.
        let never = || -> Result<BTreeSet<String>> { panic!("loaded again") };
        assert!(index.lookup(Hook::AgentHeartbeat, never).unwrap());
    }
}
