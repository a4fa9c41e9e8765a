//! Log levels for the host's scoped logger.

use abi_stable::StableAbi;

/// Severity of a log line sent through [`super::HostApi::log`].
/// Produced by the module; consumed by the host, which logs it tagged with the module id.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something looks wrong but work goes on.
    Warn,
    /// Normal operational messages.
    Info,
    /// Details for debugging.
    Debug,
    /// Very verbose details.
    Trace,
}
