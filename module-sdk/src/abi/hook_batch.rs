//! The boundary types of batched hook delivery (`ModuleRoot::on_hook_batch`, ABI 1.2).

use super::ModuleError;
use abi_stable::{
    std_types::{RStr, RVec},
    StableAbi,
};

/// One event of a batch: the hook's wire name (e.g. `"agent:heartbeat"`) and its JSON payload.
/// Produced by the host; read by the module during the call only.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookBatchItem<'a> {
    /// The hook's wire name.
    pub hook: RStr<'a>,
    /// The event's payload as JSON text.
    pub payload_json: RStr<'a>,
}

/// One event of a batch that failed: its position in the batch and why.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct HookBatchFailure {
    /// Index of the event in the batch (0-based).
    pub index: u64,
    /// Why it failed (a handler's error, or a panic caught by the SDK).
    pub error: ModuleError,
}

/// What a module answers for a batch: every event was handled (a failure does not stop the
/// batch), and these failed. Produced by the module; consumed by the host.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Default, PartialEq, Eq)]
pub struct HookBatchOutcome {
    /// The failed events, in batch order; empty when all succeeded.
    pub failures: RVec<HookBatchFailure>,
}
