//! Why a store operation did not happen. Every variant names what is wrong (the index, the
//! bundle, the entry in the archive) so the CLI and the API can show it as is; whatever failed,
//! nothing was written to the modules folder.

use std::path::PathBuf;

/// A refused or failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A location (index, bundle, checksum file, template) could not be read or downloaded.
    #[error("cannot fetch {location}: {message}")]
    Fetch {
        /// The URL or path.
        location: String,
        /// What went wrong (connection, HTTP status, missing file, size limit).
        message: String,
    },
    /// The store index is not JSON at all.
    #[error("store index {location} is not valid JSON: {message}")]
    IndexJson {
        /// The index's URL or path.
        location: String,
        /// The parser's message (line and column).
        message: String,
    },
    /// The store index is JSON but breaks the index format; every problem has its JSON path.
    #[error("store index {location} is invalid: {}", .problems.join("; "))]
    IndexInvalid {
        /// The index's URL or path.
        location: String,
        /// `path: message` lines.
        problems: Vec<String>,
    },
    /// The index lists no module with that id.
    #[error("no module `{id}` in the store index{}", available_suffix(.available))]
    UnknownModule {
        /// The requested id.
        id: String,
        /// The ids the index does list.
        available: Vec<String>,
    },
    /// The index lists no template with that id.
    #[error("no template `{id}` in the store index{}", available_suffix(.available))]
    UnknownTemplate {
        /// The requested id.
        id: String,
        /// The ids the index does list.
        available: Vec<String>,
    },
    /// The index lists the module but says nowhere where its bundle is.
    #[error("module `{id}` has no bundle in the store index (only its source{}), so it cannot be installed", .repo.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    NoBundle {
        /// The module.
        id: String,
        /// Its source repository, when the index names one.
        repo: Option<String>,
    },
    /// The downloaded bytes are not the ones the index vouches for.
    #[error("sha256 mismatch for {location}: the store index expects {expected}, the download is {actual}")]
    Checksum {
        /// What was downloaded.
        location: String,
        /// The digest the index gives.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The bundle is not a readable `.tar.gz` (truncated, corrupt, not gzip).
    /// The server refused the bundle before placing it (e.g. a new version asking for
    /// capabilities not granted while the old version is installed).
    #[error("{0}")]
    NotApproved(String),
    #[error("the bundle archive is corrupt: {0}")]
    Archive(String),
    /// An archive entry that could write outside the bundle folder, or that is not a plain
    /// file, folder or safe link.
    #[error("the bundle archive holds an unsafe entry {path:?}: {reason}")]
    UnsafeEntry {
        /// The entry's path as written in the archive.
        path: String,
        /// Why it is refused.
        reason: String,
    },
    /// The archive is well-formed but not a usable bundle (no or invalid manifest, another
    /// module or version than the index says, no library for this platform).
    #[error("invalid bundle: {0}")]
    InvalidBundle(String),
    /// The bundle's manifest `requires.core` does not accept this server's version.
    #[error("module `{id}` {version} requires Paperclip core {requires}, but this is {core}")]
    Incompatible {
        /// The module.
        id: String,
        /// The module's version.
        version: String,
        /// Its `requires.core` range.
        requires: String,
        /// This core's version.
        core: String,
    },
    /// Another install of the same module into the same folder is running.
    #[error("module `{0}` is being installed already; wait for that install to finish")]
    Busy(String),
    /// The module's folder in the modules directory holds another module.
    #[error("the modules folder already has a folder {folder} holding module `{holder}`; move it away to install `{id}`")]
    FolderTaken {
        /// The module being installed.
        id: String,
        /// The folder.
        folder: String,
        /// The module it holds.
        holder: String,
    },
    /// A local file operation failed.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        /// What was being done (`cannot create`, `cannot rename`…).
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl StoreError {
    /// A [`StoreError::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// A [`StoreError::Fetch`] for `location`.
    pub fn fetch(location: impl ToString, message: impl ToString) -> Self {
        StoreError::Fetch {
            location: location.to_string(),
            message: message.to_string(),
        }
    }
}

fn available_suffix(available: &[String]) -> String {
    if available.is_empty() {
        " (it lists none)".to_string()
    } else {
        format!(" (available: {})", available.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_is_wrong() {
        let unknown = StoreError::UnknownModule {
            id: "nope".into(),
            available: vec!["observability".into(), "tiny".into()],
        };
        assert_eq!(
            unknown.to_string(),
            "no module `nope` in the store index (available: observability, tiny)"
        );
        let none = StoreError::UnknownTemplate {
            id: "x".into(),
            available: vec![],
        };
        assert_eq!(
            none.to_string(),
            "no template `x` in the store index (it lists none)"
        );
        let invalid = StoreError::IndexInvalid {
            location: "store/index.json".into(),
            problems: vec![
                "modules[0].id: bad".into(),
                "templates[1].url: empty".into(),
            ],
        };
        assert_eq!(
            invalid.to_string(),
            "store index store/index.json is invalid: modules[0].id: bad; templates[1].url: empty"
        );
    }
}
