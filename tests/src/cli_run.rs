//! Running a `paperclipai` command that exits by itself (`--version`, `--help`, `db migrate`)
//! and capturing what it printed.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a one-shot command may run before it is killed and the test fails.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// What a finished command printed and how it exited.
#[derive(Debug)]
pub struct CliOutput {
    /// Exit status.
    pub status: ExitStatus,
    /// Standard output.
    pub stdout: String,
    /// Standard error, colour codes removed.
    pub stderr: String,
}

impl CliOutput {
    /// True when the command exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

/// Runs `paperclipai <args>` in a fresh empty working directory with a clean environment (no
/// `DATABASE_URL`, no `PAPERCLIP_API_KEYS`).
pub fn run_cli(args: &[&str]) -> CliOutput {
    run_cli_with(args, &[], None)
}

/// Runs `paperclipai <args>` with extra environment variables, in `cwd` (default: a fresh
/// empty folder).
///
/// # Panics
/// When the binary cannot be started or runs longer than 60 s.
pub fn run_cli_with(args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>) -> CliOutput {
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let stdout_path = scratch.path().join("stdout.log");
    let stderr_path = scratch.path().join("stderr.log");
    let stdout = std::fs::File::create(&stdout_path).expect("stdout file");
    let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
    let mut command = Command::new(crate::server_binary());
    command
        .args(args)
        .current_dir(cwd.unwrap_or(scratch.path()))
        .env_remove("DATABASE_URL")
        .env_remove("PAPERCLIP_API_KEYS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run paperclipai {args:?}: {e}"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for paperclipai") {
            break status;
        }
        if started.elapsed() > CLI_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "paperclipai {args:?} still running after {CLI_TIMEOUT:?}; stderr:\n{}",
                crate::server_log::read_log(&stderr_path)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    CliOutput {
        status,
        stdout: crate::server_log::read_log(&stdout_path),
        stderr: crate::server_log::read_log(&stderr_path),
    }
}
