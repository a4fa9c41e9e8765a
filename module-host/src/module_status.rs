//! The status a module is reported with, one per module, always with a reason unless active.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a module stands. Every loading step can fail for one module only; the status says
/// which kind of step failed and the reason says what exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleStatus {
    /// The manifest (or the module's configuration) breaks its schema.
    Invalid,
    /// The module cannot run on this server: `requires.core` does not match, its library was
    /// built against an incompatible ABI or is not a module, or a required module's version
    /// does not match.
    Incompatible,
    /// Its slot or route prefix is held by another module (named in the reason), or another
    /// bundle already provides its id.
    Conflict,
    /// A step that runs something failed: opening the library, a dependency that is missing,
    /// inactive or in a cycle, migrations, or `register`.
    Failed,
    /// Not enabled (saved state or `modules.enabled`); nothing of it runs.
    Disabled,
    /// Enabled, but it asks for capabilities (core writes) the operator has not granted;
    /// nothing of it runs until they are.
    #[serde(rename = "awaiting_approval")]
    AwaitingApproval,
    /// Running: hooks subscribed, routes mounted, services started.
    Active,
    /// Running, but calls into it failed, timed out or were dropped since it was enabled, or a
    /// module it requires is no longer active.
    Degraded,
}

impl ModuleStatus {
    /// The lowercase name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleStatus::Invalid => "invalid",
            ModuleStatus::Incompatible => "incompatible",
            ModuleStatus::Conflict => "conflict",
            ModuleStatus::Failed => "failed",
            ModuleStatus::Disabled => "disabled",
            ModuleStatus::AwaitingApproval => "awaiting_approval",
            ModuleStatus::Active => "active",
            ModuleStatus::Degraded => "degraded",
        }
    }
}

impl fmt::Display for ModuleStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status with the reason for it: what a failed loading step reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReason {
    /// The status the module ends in.
    pub status: ModuleStatus,
    /// Why, in one line naming what is wrong.
    pub reason: String,
}

impl StatusReason {
    /// A status with its reason.
    pub fn new(status: ModuleStatus, reason: impl Into<String>) -> StatusReason {
        StatusReason {
            status,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for StatusReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.reason)
    }
}
