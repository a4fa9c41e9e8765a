//! One running instance of a module's code, seen by the host as plain Rust calls: its entry
//! points (`register`, `on_hook`, `handle_route`, `run_service`, `shutdown`, `describe`) behind
//! one trait, whatever runs them. [`LibraryEntry`] calls the library loaded into this process
//! (the `inline` and `threaded` isolation levels); the `process` level implements the same trait
//! by talking to a child process that loaded the same library. The executor, the hook
//! delivery, the route dispatcher and service runs only ever see a `dyn ModuleEntry`.
//!
//! Every call is blocking and returns the module's answer or a [`ModuleError`]; time limits are
//! the caller's business (the executor's), except that an instance that can stop an overdue call
//! says so through [`ModuleEntry::interrupt`].

use abi_stable::std_types::{RSlice, RStr};
use module_sdk::abi::{
    HookBatchItem, HostHandle, ModuleError, ModuleRoot_Ref, Registration, RouteRequest,
    RouteResponse,
};

/// The entry points of one module instance.
pub trait ModuleEntry: Send + Sync + 'static {
    /// Gives the module its host handle and validated config JSON; returns what it subscribes to.
    fn register(&self, host: HostHandle, config_json: &str) -> Result<Registration, ModuleError>;
    /// Delivers one hook event (`hook` like `"agent:heartbeat"`, its JSON payload).
    fn on_hook(&self, hook: &str, payload_json: &str) -> Result<(), ModuleError>;
    /// Delivers several events (hook, payload) in emit order; every one is handled, and the
    /// failed ones come back by index. One call when the module's ABI has `on_hook_batch`
    /// (1.2), else one `on_hook` per event (the default).
    fn on_hook_batch(&self, events: &[(&str, &str)]) -> Vec<(usize, ModuleError)> {
        hooks_one_by_one(|hook, payload| self.on_hook(hook, payload), events)
    }
    /// Answers one request under the module's route prefix.
    fn handle_route(&self, request: &RouteRequest) -> Result<RouteResponse, ModuleError>;
    /// Runs one iteration of the named background service.
    fn run_service(&self, name: &str) -> Result<(), ModuleError>;
    /// Detaches the module; no call follows until the next `register`.
    fn shutdown(&self);
    /// What the module says about its build (JSON text), when its ABI has `describe`.
    fn describe(&self) -> Option<String>;
    /// Stops every call in progress, when this kind of instance can (a child process is killed
    /// and started again); returns whether it did. Code in this process cannot be interrupted:
    /// the default answers `false` and the call keeps its thread until it returns.
    fn interrupt(&self) -> bool {
        false
    }
    /// Whether the instance can take calls now. In-process instances always can; a child
    /// process may be restarting (calls answer 503 with `Retry-After`) or have failed for good.
    fn health(&self) -> EntryHealth {
        EntryHealth::Ready
    }
    /// The child process behind the instance (the `process` level); `None` for in-process
    /// instances. Shown by the admin API as the module's `process` object.
    fn process_status(&self) -> Option<ProcessStatus> {
        None
    }
}

/// What the admin API shows of a module's child process (`process` isolation level).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessStatus {
    /// `starting`, `ready`, `restarting`, `failed` or `stopped`.
    pub state: String,
    /// The running child's process id.
    pub pid: Option<u32>,
    /// Calls sent to the child and not answered yet.
    pub in_flight: u64,
    /// How many times the child was started again after a crash, a kill or a hung call.
    pub restarts: u64,
    /// How the last child ended, e.g. "killed by signal 6 (SIGABRT)" or "exited with status 3".
    pub last_exit: Option<String>,
    /// The last lines the child wrote to stderr (a panic message, say), oldest first.
    pub recent_stderr: Vec<String>,
    /// The sandbox the child runs in, e.g. "landlock enforced (ABI 6); rlimits: as 1024 MiB,
    /// cpu 3600 s" or "landlock not supported by this kernel; rlimits: …".
    pub sandbox: String,
    /// The runner binary's path.
    pub runner: String,
}

/// Whether a module instance can take calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryHealth {
    /// Calls go through.
    Ready,
    /// Temporarily unavailable (a crashed child being started again): retry after the delay.
    Restarting {
        /// When to try again.
        retry_after: std::time::Duration,
        /// Why it is restarting (e.g. "module process killed by signal 6 (SIGABRT)").
        reason: String,
    },
    /// Will not take calls again until the module is enabled anew (e.g. crashed too often).
    Failed {
        /// Why.
        reason: String,
    },
}

/// Delivers `events` with one `on_hook` call each; the failed ones by index.
fn hooks_one_by_one(
    on_hook: impl Fn(&str, &str) -> Result<(), ModuleError>,
    events: &[(&str, &str)],
) -> Vec<(usize, ModuleError)> {
    events
        .iter()
        .enumerate()
        .filter_map(|(index, (hook, payload))| on_hook(hook, payload).err().map(|e| (index, e)))
        .collect()
}

/// A module library loaded into this process, called directly through its root module.
#[derive(Clone, Copy)]
pub struct LibraryEntry {
    root: ModuleRoot_Ref,
}

impl LibraryEntry {
    /// Calls go straight to `root`'s entry points.
    pub fn new(root: ModuleRoot_Ref) -> LibraryEntry {
        LibraryEntry { root }
    }

    /// The root module.
    pub fn root(&self) -> ModuleRoot_Ref {
        self.root
    }
}

impl ModuleEntry for LibraryEntry {
    fn register(&self, host: HostHandle, config_json: &str) -> Result<Registration, ModuleError> {
        (self.root.register())(host, RStr::from_str(config_json)).into_result()
    }

    fn on_hook(&self, hook: &str, payload_json: &str) -> Result<(), ModuleError> {
        (self.root.on_hook())(RStr::from_str(hook), RStr::from_str(payload_json)).into_result()
    }

    fn on_hook_batch(&self, events: &[(&str, &str)]) -> Vec<(usize, ModuleError)> {
        let Some(on_hook_batch) = self.root.on_hook_batch() else {
            // ABI 1.0 / 1.1: one call per event.
            return hooks_one_by_one(|hook, payload| self.on_hook(hook, payload), events);
        };
        let items: Vec<HookBatchItem<'_>> = events
            .iter()
            .map(|(hook, payload)| HookBatchItem {
                hook: RStr::from_str(hook),
                payload_json: RStr::from_str(payload),
            })
            .collect();
        on_hook_batch(RSlice::from_slice(&items))
            .failures
            .into_iter()
            .map(|failure| (failure.index as usize, failure.error))
            .collect()
    }

    fn handle_route(&self, request: &RouteRequest) -> Result<RouteResponse, ModuleError> {
        (self.root.handle_route())(request).into_result()
    }

    fn run_service(&self, name: &str) -> Result<(), ModuleError> {
        (self.root.run_service())(RStr::from_str(name)).into_result()
    }

    fn shutdown(&self) {
        (self.root.shutdown())()
    }

    fn describe(&self) -> Option<String> {
        let describe = self.root.describe()?;
        Some(describe().into_string())
    }
}
