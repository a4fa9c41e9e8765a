//! The `process` isolation level: a module instance whose library runs in a child process, the
//! `paperclip-module-runner` binary, sandboxed (empty environment, rlimits, Landlock) and called
//! over a socket. [`ProcessEntry`] implements [`ModuleEntry`] like the in-process
//! [`crate::module_entry::LibraryEntry`], so the executor, the hook subscriber and the route
//! dispatcher call it the same way.
//!
//! The module's host-handle calls come back over the socket and run here, on the handle
//! `register` was given ([`host_api_server`]). A child that crashes (exit, signal, or killed by
//! [`ModuleEntry::interrupt`]) fails the calls in flight with how it ended, and is started again
//! after a backoff with the same config ([`restart_policy`]); meanwhile [`ModuleEntry::health`]
//! answers `Restarting`, and after too many crashes `Failed`. Plain threads, no async runtime.

mod child_process;
mod child_reader;
pub mod exit_description;
mod host_api_server;
pub mod output_tail;
pub mod process_settings;
pub mod restart_policy;

pub use process_settings::ProcessSettings;
pub use restart_policy::RestartPolicy;

use crate::module_entry::{EntryHealth, ModuleEntry, ProcessStatus};
use crate::module_status::StatusReason;
use child_process::{spawn_child, ChildProcess};
use host_api_server::HostApiServer;
use module_sdk::abi::{
    ErrorKind, HostHandle, ModuleError, Registration, RouteRequest, RouteResponse,
};
use output_tail::OutputTail;
use paperclip_module_runner::protocol::{ModuleCall, ModuleReply};
use parking_lot::Mutex;
use restart_policy::{CrashHistory, CrashVerdict};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A module instance running in a child process.
pub struct ProcessEntry {
    shared: Arc<Shared>,
}

/// What the entry, its reader threads and its restart threads share.
pub(crate) struct Shared {
    module_id: String,
    library_path: PathBuf,
    bundle_dir: PathBuf,
    settings: ProcessSettings,
    state: Mutex<State>,
    in_flight: AtomicU64,
    stderr: Arc<OutputTail>,
    host_api: HostApiServer,
}

struct State {
    phase: Phase,
    child: Option<Arc<ChildProcess>>,
    /// The generation of the newest child started (or being started).
    generation: u64,
    /// The config of the last successful `register`, sent again after a restart.
    config: Option<String>,
    crashes: CrashHistory,
    restarts: u64,
    last_exit: Option<String>,
    sandbox: String,
    describe: Option<String>,
}

#[derive(Debug, Clone)]
enum Phase {
    /// A child is being started for `register` (after a `shutdown`).
    Starting,
    /// Calls go to the child.
    Ready,
    /// The child crashed; another is started at `at`.
    Restarting { at: Instant, reason: String },
    /// Given up until the module is enabled anew.
    Failed { reason: String },
    /// Shut down (or dropped): no child, no restart.
    Stopped,
}

impl ProcessEntry {
    /// Starts a runner for module `module_id`'s library at `library_path` (in `bundle_dir`,
    /// the only folder it may read besides the system libraries) and waits until it loaded the
    /// library. Fails with the loader's reason (the same words as loading in-process) or with
    /// why the runner could not start.
    pub fn start(
        module_id: &str,
        library_path: &Path,
        bundle_dir: &Path,
        settings: &ProcessSettings,
    ) -> Result<Arc<ProcessEntry>, StatusReason> {
        let shared = Arc::new(Shared {
            module_id: module_id.to_string(),
            library_path: library_path.to_path_buf(),
            bundle_dir: bundle_dir.to_path_buf(),
            settings: settings.clone(),
            state: Mutex::new(State {
                phase: Phase::Starting,
                child: None,
                generation: 0,
                config: None,
                crashes: CrashHistory::default(),
                restarts: 0,
                last_exit: None,
                sandbox: String::new(),
                describe: None,
            }),
            in_flight: AtomicU64::new(0),
            stderr: Arc::default(),
            host_api: HostApiServer::new(module_id, settings.host_api_threads),
        });
        let generation = shared.next_generation();
        shared.launch(generation)?;
        shared.state.lock().phase = Phase::Ready;
        Ok(Arc::new(ProcessEntry { shared }))
    }

    /// The module's id.
    pub fn module_id(&self) -> &str {
        &self.shared.module_id
    }
}

impl Drop for ProcessEntry {
    fn drop(&mut self) {
        let child = {
            let mut state = self.shared.state.lock();
            state.phase = Phase::Stopped;
            state.config = None;
            state.child.take()
        };
        if let Some(child) = child {
            child.kill("the module was unloaded");
        }
    }
}

impl Shared {
    fn next_generation(&self) -> u64 {
        let mut state = self.state.lock();
        state.generation += 1;
        state.generation
    }

    /// Starts child `generation` and installs it, unless the entry was stopped or a newer
    /// start happened meanwhile.
    fn launch(self: &Arc<Self>, generation: u64) -> Result<Arc<ChildProcess>, StatusReason> {
        let spawned = spawn_child(
            &self.module_id,
            &self.library_path,
            &self.bundle_dir,
            &self.settings,
            generation,
            &self.stderr,
        )?;
        let child = spawned.child.clone();
        {
            let mut state = self.state.lock();
            if state.generation != generation || matches!(state.phase, Phase::Stopped) {
                drop(state);
                child.kill("the module was stopped while its process started");
                child.close();
                // No reader was started for it: reap it here.
                child.wait_exit(Duration::from_secs(1));
                return Err(StatusReason::new(
                    crate::module_status::ModuleStatus::Failed,
                    "the module was stopped while its process started",
                ));
            }
            state.child = Some(child.clone());
            state.sandbox = spawned.started.sandbox;
            state.describe = spawned.started.describe;
        }
        tracing::info!(module = %self.module_id, pid = child.pid, generation,
            "module process started");
        child_reader::start_reader(self.clone(), child.clone(), spawned.reader);
        Ok(child)
    }

    /// The child to call now, or why there is none.
    fn current_child(&self) -> Result<Arc<ChildProcess>, ModuleError> {
        let state = self.state.lock();
        match &state.phase {
            Phase::Ready | Phase::Starting => state.child.clone().ok_or_else(|| {
                ModuleError::new(ErrorKind::Failed, "the module process is not running")
            }),
            Phase::Restarting { at, reason } => Err(ModuleError::new(
                ErrorKind::Failed,
                format!(
                    "the module process is restarting (in {} ms): {reason}",
                    at.saturating_duration_since(Instant::now()).as_millis()
                ),
            )),
            Phase::Failed { reason } => Err(ModuleError::new(
                ErrorKind::Failed,
                format!("the module process was given up: {reason}"),
            )),
            Phase::Stopped => Err(ModuleError::new(
                ErrorKind::NotRegistered,
                "the module process is stopped (the module was shut down)",
            )),
        }
    }

    /// Calls the current child.
    fn call(&self, call: ModuleCall) -> Result<ModuleReply, ModuleError> {
        let child = self.current_child()?;
        self.call_child(&child, call, None)
    }

    fn call_child(
        &self,
        child: &ChildProcess,
        call: ModuleCall,
        timeout: Option<Duration>,
    ) -> Result<ModuleReply, ModuleError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let outcome = child.call(call, timeout);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        match outcome? {
            ModuleReply::Error(error) => Err(error.into()),
            reply => Ok(reply),
        }
    }

    /// Sends `register` with `config_json` to `child`, within the register time limit; a child
    /// that does not answer in time is killed.
    fn register_child(
        &self,
        child: &ChildProcess,
        config_json: &str,
    ) -> Result<Registration, ModuleError> {
        let call = ModuleCall::Register {
            config_json: config_json.to_string(),
        };
        let limit = self.settings.register_timeout;
        match self.call_child(child, call, Some(limit)) {
            Ok(ModuleReply::Registered(registration)) => Ok(registration.into()),
            Ok(other) => Err(unexpected("register", &other)),
            Err(error) => {
                if error
                    .message
                    .starts_with("the module process did not answer within")
                {
                    child.kill(&format!(
                        "killed by the host: register did not answer within {} s",
                        limit.as_secs_f64()
                    ));
                }
                Err(error)
            }
        }
    }

    /// Child `generation` ended as `exit`: a crash unless the entry was stopped; restarts it
    /// after the backoff, or gives up after too many crashes.
    pub(crate) fn child_ended(self: &Arc<Self>, generation: u64, exit: &str) {
        let mut state = self.state.lock();
        if state.generation != generation {
            return;
        }
        state.child = None;
        state.last_exit = Some(exit.to_string());
        if matches!(state.phase, Phase::Stopped | Phase::Failed { .. }) {
            return;
        }
        let reason = format!("module process {exit}");
        tracing::warn!(module = %self.module_id, "{reason}");
        match state.crashes.record(Instant::now(), &self.settings.restart) {
            CrashVerdict::GiveUp(count) => {
                let window = self.settings.restart.window.as_secs();
                state.phase = Phase::Failed {
                    reason: format!(
                        "{reason}; it crashed {count} times within {window} s, so it is not started again"
                    ),
                };
            }
            CrashVerdict::RestartAfter(wait) => {
                state.phase = Phase::Restarting {
                    at: Instant::now() + wait,
                    reason,
                };
                let shared = self.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("module-restart-{}", self.module_id))
                    .spawn(move || {
                        std::thread::sleep(wait);
                        shared.restart(generation);
                    });
                if let Err(e) = spawned {
                    state.phase = Phase::Failed {
                        reason: format!("cannot schedule the restart: {e}"),
                    };
                }
            }
        }
    }

    /// Starts a new child after child `crashed` crashed, registering it with the last config.
    fn restart(self: &Arc<Self>, crashed: u64) {
        let (generation, config) = {
            let mut state = self.state.lock();
            if state.generation != crashed || !matches!(state.phase, Phase::Restarting { .. }) {
                return;
            }
            state.restarts += 1;
            state.generation += 1;
            (state.generation, state.config.clone())
        };
        let child = match self.launch(generation) {
            Ok(child) => child,
            Err(reason) => {
                self.child_ended(
                    generation,
                    &format!("could not be started again: {}", reason.reason),
                );
                return;
            }
        };
        if let Some(config) = config {
            if let Err(error) = self.register_child(&child, &config) {
                child.kill(&format!(
                    "killed by the host: register failed after a restart: {}",
                    error.message
                ));
                return;
            }
        }
        let mut state = self.state.lock();
        if state.generation == generation && matches!(state.phase, Phase::Restarting { .. }) {
            state.phase = Phase::Ready;
            tracing::info!(module = %self.module_id, restarts = state.restarts,
                "module process ready again");
        }
    }
}

fn unexpected(call: &str, reply: &ModuleReply) -> ModuleError {
    ModuleError::new(
        ErrorKind::Failed,
        format!("the module process answered {call} with {reply:?}"),
    )
}

impl ModuleEntry for ProcessEntry {
    fn register(&self, host: HostHandle, config_json: &str) -> Result<Registration, ModuleError> {
        let shared = &self.shared;
        shared.host_api.set_handle(host);
        let relaunch = {
            let mut state = shared.state.lock();
            if matches!(state.phase, Phase::Stopped) {
                state.phase = Phase::Starting;
                state.generation += 1;
                Some(state.generation)
            } else {
                None
            }
        };
        let child = match relaunch {
            Some(generation) => shared.launch(generation).map_err(|reason| {
                shared.state.lock().phase = Phase::Failed {
                    reason: reason.reason.clone(),
                };
                ModuleError::new(ErrorKind::Failed, reason.reason)
            })?,
            None => shared.current_child()?,
        };
        let registration = shared.register_child(&child, config_json)?;
        let mut state = shared.state.lock();
        state.config = Some(config_json.to_string());
        if matches!(state.phase, Phase::Starting) {
            state.phase = Phase::Ready;
        }
        Ok(registration)
    }

    fn on_hook(&self, hook: &str, payload_json: &str) -> Result<(), ModuleError> {
        let call = ModuleCall::OnHook {
            hook: hook.to_string(),
            payload_json: payload_json.to_string(),
        };
        match self.shared.call(call)? {
            ModuleReply::Done => Ok(()),
            other => Err(unexpected("on_hook", &other)),
        }
    }

    fn handle_route(&self, request: &RouteRequest) -> Result<RouteResponse, ModuleError> {
        match self.shared.call(ModuleCall::HandleRoute(request.into()))? {
            ModuleReply::Response(response) => Ok(response.into()),
            other => Err(unexpected("handle_route", &other)),
        }
    }

    fn run_service(&self, name: &str) -> Result<(), ModuleError> {
        let call = ModuleCall::RunService {
            name: name.to_string(),
        };
        match self.shared.call(call)? {
            ModuleReply::Done => Ok(()),
            other => Err(unexpected("run_service", &other)),
        }
    }

    fn shutdown(&self) {
        let shared = &self.shared;
        let child = {
            let mut state = shared.state.lock();
            state.phase = Phase::Stopped;
            state.config = None;
            state.child.take()
        };
        let Some(child) = child else { return };
        let limit = shared.settings.shutdown_timeout;
        if let Err(error) = shared.call_child(&child, ModuleCall::Shutdown, Some(limit)) {
            tracing::warn!(module = %shared.module_id, "module process shutdown: {}", error.message);
        }
        child.close();
        child.wait_exit(limit);
    }

    fn describe(&self) -> Option<String> {
        self.shared.state.lock().describe.clone()
    }

    fn interrupt(&self) -> bool {
        const REASON: &str = "killed by the host: a call was interrupted";
        let child = {
            let mut state = self.shared.state.lock();
            let child = match state.phase {
                Phase::Ready | Phase::Starting => state.child.clone(),
                _ => None,
            };
            if child.is_some() {
                // Unavailable from now on, not only once the reader saw the child end (which
                // then sets the real backoff).
                state.phase = Phase::Restarting {
                    at: Instant::now() + self.shared.settings.restart.initial_backoff,
                    reason: format!("module process {REASON}"),
                };
            }
            child
        };
        match child {
            Some(child) => {
                child.kill(REASON);
                true
            }
            None => false,
        }
    }

    fn health(&self) -> EntryHealth {
        let state = self.shared.state.lock();
        match &state.phase {
            Phase::Ready | Phase::Starting | Phase::Stopped => EntryHealth::Ready,
            Phase::Restarting { at, reason } => EntryHealth::Restarting {
                retry_after: at
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(100)),
                reason: reason.clone(),
            },
            Phase::Failed { reason } => EntryHealth::Failed {
                reason: reason.clone(),
            },
        }
    }

    fn process_status(&self) -> Option<ProcessStatus> {
        let shared = &self.shared;
        let state = shared.state.lock();
        let phase = match state.phase {
            Phase::Starting => "starting",
            Phase::Ready => "ready",
            Phase::Restarting { .. } => "restarting",
            Phase::Failed { .. } => "failed",
            Phase::Stopped => "stopped",
        };
        Some(ProcessStatus {
            state: phase.to_string(),
            pid: state.child.as_ref().map(|child| child.pid),
            in_flight: shared.in_flight.load(Ordering::SeqCst),
            restarts: state.restarts,
            last_exit: state.last_exit.clone(),
            recent_stderr: shared.stderr.lines(),
            sandbox: state.sandbox.clone(),
            runner: shared.settings.runner_path.display().to_string(),
        })
    }
}
