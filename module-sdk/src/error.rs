//! The error type of the safe API.

use crate::abi::{ErrorKind, HostError, ModuleError};
use std::fmt;

/// An error in module code: a message plus the [`ErrorKind`] reported to the host.
/// Converted to the ABI's [`ModuleError`] at the boundary.
///
/// ```
/// use module_sdk::abi::ErrorKind;
/// use module_sdk::{Error, Result};
///
/// fn parse_limit(text: &str) -> Result<u32> {
///     text.parse().map_err(|e| Error::bad_request(format!("limit: {e}")))
/// }
/// assert_eq!(parse_limit("x").unwrap_err().kind(), ErrorKind::BadRequest);
/// let other: Error = "something broke".into();
/// assert_eq!((other.kind(), other.message()), (ErrorKind::Failed, "something broke"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A general failure with a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self::with_kind(ErrorKind::Failed, message)
    }

    /// Bad input (unparseable payload, config or request body).
    pub fn bad_request(message: impl fmt::Display) -> Self {
        Self::with_kind(ErrorKind::BadRequest, message)
    }

    /// An error of a given kind.
    pub fn with_kind(kind: ErrorKind, message: impl fmt::Display) -> Self {
        Self {
            kind,
            message: message.to_string(),
        }
    }

    /// The kind reported to the host.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<HostError> for Error {
    fn from(e: HostError) -> Self {
        Self::msg(e.message)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::msg(format!("JSON error: {e}"))
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::msg(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Self::msg(message)
    }
}

impl From<Error> for ModuleError {
    fn from(e: Error) -> Self {
        ModuleError::new(e.kind, e.message)
    }
}
