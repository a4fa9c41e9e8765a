//! The adapter that lets the hook bus deliver events to a native module: one per active module,
//! subscribed to the hooks the module registered. The bus gives it its own queue, worker and
//! time limit, and counts deliveries, failures, time-outs and drops.

use super::module_calls::describe_module_error;
use super::module_counters::ModuleCounters;
use crate::hooks::{HookEvent, HookSubscriber};
use abi_stable::std_types::RStr;
use module_sdk::abi::ModuleRoot_Ref;
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
