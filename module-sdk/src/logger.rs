//! Logging through the host, tagged with the module id.

use crate::abi::{HostHandle, LogLevel};

/// Sends log lines to the host, which tags them with the module id.
///
/// ```
/// use module_sdk::abi::LogLevel;
/// use module_sdk::testing::TestHost;
///
/// let host = TestHost::default();
/// host.context(serde_json::json!({})).log().warn("budget at 90%");
/// assert_eq!(host.logs(), [(LogLevel::Warn, "budget at 90%".to_string())]);
/// ```
#[derive(Clone, Copy)]
pub struct Logger<'a> {
    host: &'a HostHandle,
}

impl<'a> Logger<'a> {
    pub(crate) fn new(host: &'a HostHandle) -> Self {
        Self { host }
    }

    /// Logs `message` at `level`.
    pub fn log(&self, level: LogLevel, message: impl AsRef<str>) {
        self.host.log(level, message.as_ref().into());
    }

    /// Logs at `Error` level.
    pub fn error(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Error, message);
    }

    /// Logs at `Warn` level.
    pub fn warn(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Warn, message);
    }

    /// Logs at `Info` level.
    pub fn info(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Info, message);
    }

    /// Logs at `Debug` level.
    pub fn debug(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Debug, message);
    }

    /// Logs at `Trace` level.
    pub fn trace(&self, message: impl AsRef<str>) {
        self.log(LogLevel::Trace, message);
    }
}
