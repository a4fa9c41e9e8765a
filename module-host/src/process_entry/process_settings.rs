//! How module processes are run: the runner binary, the sandbox limits, the time limits of the
//! start, `register` and `shutdown`, and the restart policy.

use super::restart_policy::RestartPolicy;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The runner binary's file name.
pub const RUNNER_BINARY: &str = "paperclip-module-runner";

/// Settings of the `process` isolation level, shared by every module process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSettings {
    /// The `paperclip-module-runner` binary (see [`ProcessSettings::resolve_runner`]).
    pub runner_path: PathBuf,
    /// Address-space limit of a module process, in MiB (`RLIMIT_AS`). Default 1024.
    pub memory_mb: u64,
    /// CPU-time limit of a module process, in seconds (`RLIMIT_CPU`). Default 3600.
    pub cpu_seconds: u64,
    /// Open-file limit of a module process (`RLIMIT_NOFILE`). Default 64.
    pub open_files: u64,
    /// How long the runner may take to start and load the library. Default 10 s.
    pub start_timeout: Duration,
    /// How long `register` may take in the child. Default 30 s.
    pub register_timeout: Duration,
    /// How long `shutdown` may take before the child is killed. Default 5 s.
    pub shutdown_timeout: Duration,
    /// When a crashed child is started again, and when the module is given up.
    pub restart: RestartPolicy,
    /// Threads kept to serve the child's host-handle calls (more start while all are busy).
    /// Default 4.
    pub host_api_threads: usize,
}

impl Default for ProcessSettings {
    fn default() -> Self {
        ProcessSettings {
            runner_path: PathBuf::from(RUNNER_BINARY),
            memory_mb: 1024,
            cpu_seconds: 3600,
            open_files: 64,
            start_timeout: Duration::from_secs(10),
            register_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(5),
            restart: RestartPolicy::default(),
            host_api_threads: 4,
        }
    }
}

impl ProcessSettings {
    /// The defaults, with the runner found by [`ProcessSettings::resolve_runner`].
    pub fn with_resolved_runner() -> Result<ProcessSettings, String> {
        Ok(ProcessSettings {
            runner_path: ProcessSettings::resolve_runner()?,
            ..ProcessSettings::default()
        })
    }

    /// Finds `paperclip-module-runner` next to the current executable (the server binary), or
    /// in its parent folder when the executable is in `target/<profile>/deps/` (a test binary).
    pub fn resolve_runner() -> Result<PathBuf, String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find the current executable: {e}"))?;
        let folder = exe.parent().unwrap_or(Path::new("."));
        let mut candidates = vec![folder.join(RUNNER_BINARY)];
        if folder.file_name().is_some_and(|name| name == "deps") {
            if let Some(parent) = folder.parent() {
                candidates.push(parent.join(RUNNER_BINARY));
            }
        }
        candidates
            .iter()
            .find(|path| path.is_file())
            .cloned()
            .ok_or_else(|| {
                format!(
                    "the module runner {RUNNER_BINARY} is not next to {} (build it with `cargo build -p paperclip-module-runner`)",
                    exe.display()
                )
            })
    }
}
