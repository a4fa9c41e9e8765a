//! The adapter that lets the hook bus deliver events to a native module: one per active module,
//! subscribed to the hooks the module registered. The bus gives it its own queue, worker and
//! time limit, and counts deliveries, failures, time-outs and drops.

use super::module_calls::describe_module_error;
use super::module_counters::ModuleCounters;
use abi_stable::std_types::RStr;
use module_sdk::abi::ModuleRoot_Ref;
use paperclip_core::hooks::{HookEvent, HookSubscriber};
use std::sync::Arc;

/// Delivers hook events to one module through its `on_hook` entry point.
pub struct ModuleHookSubscriber {
    module_id: String,
    root: ModuleRoot_Ref,
    counters: Arc<ModuleCounters>,
}

impl ModuleHookSubscriber {
    /// An adapter for the module `module_id` with entry points `root`.
    pub fn new(
        module_id: &str,
        root: ModuleRoot_Ref,
        counters: Arc<ModuleCounters>,
    ) -> ModuleHookSubscriber {
        ModuleHookSubscriber {
            module_id: module_id.to_string(),
            root,
            counters,
        }
    }
}

impl HookSubscriber for ModuleHookSubscriber {
    fn name(&self) -> &str {
        &self.module_id
    }

    fn deliver(&self, event: &HookEvent) -> Result<(), String> {
        let on_hook = self.root.on_hook();
        let result = on_hook(
            RStr::from_str(event.hook.as_str()),
            RStr::from_str(&event.payload),
        );
        result.into_result().map_err(|error| {
            let message = format!("hook {}: {}", event.hook, describe_module_error(&error));
            tracing::warn!(module = %self.module_id, hook = %event.hook, error = %message, "module hook failed");
            self.counters.record_error(message.clone());
            message
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_module::{panic_error, FakeModule};
    use abi_stable::std_types::RResult;
    use module_sdk::abi::ModuleError;
    use paperclip_core::hooks::{Hook, HookBus, SubscriptionOptions};
    use parking_lot::Mutex;
    use serde_json::json;
    use std::time::{Duration, Instant};

    static SEEN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

    extern "C" fn picky_hook(hook: RStr<'_>, payload: RStr<'_>) -> RResult<(), ModuleError> {
        SEEN.lock().push((hook.to_string(), payload.to_string()));
        if payload.as_str().contains("boom") {
            RResult::RErr(panic_error("hook exploded"))
        } else {
            RResult::ROk(())
        }
    }

    #[test]
    fn events_reach_on_hook_and_failures_are_counted_with_their_message() {
        let bus = HookBus::new();
        let counters = Arc::new(ModuleCounters::default());
        let root = FakeModule::new().on_hook(picky_hook).build();
        let subscriber = ModuleHookSubscriber::new("picky", root, Arc::clone(&counters));
        let id = bus.subscribe(
            Arc::new(subscriber),
            &[Hook::AgentCreated],
            SubscriptionOptions::default(),
        );
        bus.emit(Hook::AgentCreated, &json!({"agent": {"id": "a1"}}));
        bus.emit(Hook::AgentCreated, &json!({"agent": {"id": "boom"}}));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let stats = bus.stats(id).unwrap();
            if stats.delivered + stats.failures == 2 {
                assert_eq!((stats.delivered, stats.failures), (1, 1));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "deliveries not counted: {stats:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let seen = SEEN.lock().clone();
        assert_eq!(
            seen[0],
            (
                "agent:created".to_string(),
                r#"{"agent":{"id":"a1"}}"#.to_string()
            )
        );
        assert_eq!(
            counters.last_error().as_deref(),
            Some("hook agent:created: module panicked: hook exploded")
        );
    }
}
