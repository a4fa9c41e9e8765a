//! How a native module's code is run, chosen per module (`modules.isolation.<id>` in the
//! config, else the manifest's `isolation`, else `threaded`). The same library runs at every
//! level; only the host's way of calling it changes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a module's calls run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IsolationLevel {
    /// Route calls run on the request's own thread, without a hand-off: for trusted, proven-fast
    /// modules. A call that overruns its limit switches the module to `threaded`.
    Inline,
    /// Calls run on the module's own small pool of call threads behind a bounded queue.
    #[default]
    Threaded,
    /// The library runs in a sandboxed child process; host-handle calls are proxied back.
    Process,
}

impl IsolationLevel {
    /// Every level, in order of increasing isolation.
    pub const ALL: [IsolationLevel; 3] = [
        IsolationLevel::Inline,
        IsolationLevel::Threaded,
        IsolationLevel::Process,
    ];

    /// The name used in configs, manifests and the admin API.
    pub fn as_str(self) -> &'static str {
        match self {
            IsolationLevel::Inline => "inline",
            IsolationLevel::Threaded => "threaded",
            IsolationLevel::Process => "process",
        }
    }
}

impl fmt::Display for IsolationLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IsolationLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<IsolationLevel, String> {
        IsolationLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == text)
            .ok_or_else(|| {
                format!("unknown isolation level `{text}` (expected inline, threaded or process)")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_read_and_print_as_their_config_names() {
        for level in IsolationLevel::ALL {
            assert_eq!(level.as_str().parse::<IsolationLevel>(), Ok(level));
            assert_eq!(
                serde_json::to_string(&level).unwrap(),
                format!("\"{level}\"")
            );
        }
        assert_eq!(IsolationLevel::default(), IsolationLevel::Threaded);
        assert_eq!(
            "sandboxed".parse::<IsolationLevel>().unwrap_err(),
            "unknown isolation level `sandboxed` (expected inline, threaded or process)"
        );
    }
}
