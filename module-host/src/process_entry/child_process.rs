//! One module process: started with an empty environment, `/` as its folder and one end of a
//! Unix socket pair as its standard input; greeted, told what to load, and then called. Its
//! standard output and error are plain pipes read by [`super::output_tail`].

use super::exit_description::describe_exit;
use super::host_api_server::OpenTransactions;
use super::output_tail::{drain_output, OutputStream, OutputTail};
use super::process_settings::ProcessSettings;
use crate::module_loader::{display_name, load_failure};
use crate::module_status::{ModuleStatus, StatusReason};
use module_sdk::abi::{ErrorKind, ModuleError};
use paperclip_module_runner::framing::{read_frame, FrameError, FrameWriter};
use paperclip_module_runner::pending_calls::PendingCalls;
use paperclip_module_runner::protocol::{
    FromRunner, ModuleCall, ModuleReply, SandboxLimits, StartRequest, Started, ToRunner,
    PROTOCOL_VERSION,
};
use parking_lot::Mutex;
use std::io::BufReader;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A running module process.
pub struct ChildProcess {
    /// Which start of the module this is (1 for the first, +1 per restart or re-enable).
    pub generation: u64,
    /// Its process id.
    pub pid: u32,
    process: Mutex<Child>,
    /// Frames to the child.
    pub writer: Arc<FrameWriter>,
    /// Calls sent and not answered; `Err` carries why the child could not answer.
    pub pending: PendingCalls<Result<ModuleReply, String>>,
    /// The database transactions it opened through its host handle and did not end.
    pub open_transactions: OpenTransactions,
    /// Why the host killed it, when it did.
    kill_reason: Mutex<Option<String>>,
    exited: AtomicBool,
}

/// A child that started and loaded its library, with the reading end of its socket.
pub struct SpawnedChild {
    /// The child.
    pub child: Arc<ChildProcess>,
    /// The socket's reading end (for [`super::child_reader`]).
    pub reader: BufReader<UnixStream>,
    /// What the runner reported.
    pub started: Started,
}

/// Starts the runner for `library_path`, waits for its greeting, tells it what to load and
/// waits until it loaded (all within `settings.start_timeout`).
pub fn spawn_child(
    module_id: &str,
    library_path: &Path,
    bundle_dir: &Path,
    settings: &ProcessSettings,
    generation: u64,
    stderr_tail: &Arc<OutputTail>,
) -> Result<SpawnedChild, StatusReason> {
    let failed = |reason: String| StatusReason::new(ModuleStatus::Failed, reason);
    let (ours, theirs) = UnixStream::pair()
        .map_err(|e| failed(format!("cannot create the module process's socket: {e}")))?;
    let mut process = {
        // The command owns the child's end of the socket; it is dropped right after the spawn
        // so that only the child holds it (its exit then closes the socket).
        let mut command = Command::new(&settings.runner_path);
        command
            .env_clear()
            .current_dir("/")
            .arg(format!("--module={module_id}"))
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command.spawn().map_err(|e| {
            failed(format!(
                "cannot start the module runner {}: {e}",
                settings.runner_path.display()
            ))
        })?
    };
    if let Some(stdout) = process.stdout.take() {
        drain_output(module_id, stdout, OutputStream::Stdout, stderr_tail.clone());
    }
    if let Some(stderr) = process.stderr.take() {
        drain_output(module_id, stderr, OutputStream::Stderr, stderr_tail.clone());
    }
    let pid = process.id();
    let request = StartRequest {
        module_id: module_id.to_string(),
        library_path: library_path.to_path_buf(),
        bundle_dir: bundle_dir.to_path_buf(),
        limits: SandboxLimits {
            memory_mb: settings.memory_mb,
            cpu_seconds: settings.cpu_seconds,
            open_files: settings.open_files,
        },
    };
    match handshake(&ours, &request, settings.start_timeout) {
        Ok((reader, started)) => {
            let writer = ours.try_clone().map_err(|e| {
                let _ = process.kill();
                let _ = process.wait();
                failed(format!("cannot clone the module process's socket: {e}"))
            })?;
            Ok(SpawnedChild {
                child: Arc::new(ChildProcess {
                    generation,
                    pid,
                    process: Mutex::new(process),
                    writer: Arc::new(FrameWriter::new(writer)),
                    pending: PendingCalls::new(),
                    open_transactions: OpenTransactions::default(),
                    kill_reason: Mutex::new(None),
                    exited: AtomicBool::new(false),
                }),
                reader,
                started,
            })
        }
        Err(failure) => {
            let _ = ours.shutdown(std::net::Shutdown::Both);
            let status = wait_or_kill(&mut process, Duration::from_secs(2));
            Err(match failure {
                HandshakeFailure::Refused(reason) => reason,
                HandshakeFailure::Ended(when) => failed(format!(
                    "the module runner {} {when}{}",
                    describe_exit(status),
                    last_words(stderr_tail)
                )),
                HandshakeFailure::Broken(what) => failed(format!("the module runner {what}")),
            }
            .with_library(library_path))
        }
    }
}

/// Why a start did not complete.
enum HandshakeFailure {
    /// The runner answered that it cannot load the library (or speaks another protocol).
    Refused(StatusReason),
    /// The runner ended, before the given point.
    Ended(&'static str),
    /// Something else, in words.
    Broken(String),
}

fn handshake(
    socket: &UnixStream,
    request: &StartRequest,
    timeout: Duration,
) -> Result<(BufReader<UnixStream>, Started), HandshakeFailure> {
    let deadline = Instant::now() + timeout;
    let read_socket = socket
        .try_clone()
        .map_err(|e| HandshakeFailure::Broken(format!("socket cannot be cloned: {e}")))?;
    let mut reader = BufReader::new(read_socket);
    let mut next = |when: &'static str| -> Result<FromRunner, HandshakeFailure> {
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = reader
            .get_ref()
            .set_read_timeout(Some(left.max(Duration::from_millis(1))));
        read_frame::<FromRunner>(&mut reader).map_err(|e| match e {
            FrameError::Closed => HandshakeFailure::Ended(when),
            FrameError::Io(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                HandshakeFailure::Broken(format!(
                    "did not start within {} s",
                    timeout.as_secs_f64()
                ))
            }
            other => HandshakeFailure::Broken(format!("broke the protocol: {other}")),
        })
    };
    match next("before it greeted the host")? {
        FromRunner::Hello {
            protocol: PROTOCOL_VERSION,
            ..
        } => {}
        FromRunner::Hello {
            protocol,
            runner_version,
            ..
        } => {
            return Err(HandshakeFailure::Refused(StatusReason::new(
                ModuleStatus::Failed,
                format!(
                    "the module runner {runner_version} speaks protocol {protocol}, this server {PROTOCOL_VERSION}; install the runner built with this server"
                ),
            )))
        }
        other => {
            return Err(HandshakeFailure::Broken(format!(
                "sent {} instead of its greeting",
                frame_name(&other)
            )))
        }
    }
    FrameWriter::new(
        socket
            .try_clone()
            .map_err(|e| HandshakeFailure::Broken(format!("socket cannot be cloned: {e}")))?,
    )
    .send(&ToRunner::Start(request.clone()))
    .map_err(|e| HandshakeFailure::Broken(format!("cannot be told what to load: {e}")))?;
    let started = match next("while loading the library")? {
        FromRunner::Started(Ok(started)) => started,
        FromRunner::Started(Err(error)) => {
            let path = &request.library_path;
            let reason = match error.into_load_error() {
                Ok(load_error) => load_failure(path, &load_error),
                Err(own) => StatusReason::new(
                    ModuleStatus::Failed,
                    format!("{}: {own}", display_name(path)),
                ),
            };
            return Err(HandshakeFailure::Refused(reason));
        }
        other => {
            return Err(HandshakeFailure::Broken(format!(
                "sent {} instead of its start report",
                frame_name(&other)
            )))
        }
    };
    let _ = reader.get_ref().set_read_timeout(None);
    Ok((reader, started))
}

fn frame_name(frame: &FromRunner) -> &'static str {
    match frame {
        FromRunner::Hello { .. } => "Hello",
        FromRunner::Started(_) => "Started",
        FromRunner::Reply { .. } => "Reply",
        FromRunner::HostCall { .. } => "HostCall",
        FromRunner::Log { .. } => "Log",
    }
}

/// `": <last stderr line>"` when the child wrote one, to explain an early exit.
fn last_words(tail: &OutputTail) -> String {
    tail.lines()
        .last()
        .map(|line| format!(": {line}"))
        .unwrap_or_default()
}

trait WithLibrary {
    fn with_library(self, path: &Path) -> Self;
}

impl WithLibrary for StatusReason {
    /// Names the library in reasons that do not already.
    fn with_library(mut self, path: &Path) -> Self {
        let name = display_name(path);
        if !self.reason.contains(&name) {
            self.reason = format!("{name}: {}", self.reason);
        }
        self
    }
}

/// Waits for `process` to end, at most `grace`, then kills it; returns how it ended.
fn wait_or_kill(process: &mut Child, grace: Duration) -> ExitStatus {
    let deadline = Instant::now() + grace;
    loop {
        match process.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = process.kill();
                match process.wait() {
                    Ok(status) => return status,
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }
    }
}

impl ChildProcess {
    /// Sends `call` and waits for the answer (at most `timeout`, when given). A child that
    /// dies meanwhile fails the call with how it ended ("module process killed by signal 6
    /// (SIGABRT)"); a call over the frame limit is refused as a bad request.
    pub fn call(
        &self,
        call: ModuleCall,
        timeout: Option<Duration>,
    ) -> Result<ModuleReply, ModuleError> {
        let (id, answer) = self.pending.open();
        match self.writer.send(&ToRunner::Call { id, call }) {
            Ok(()) => {}
            Err(FrameError::TooLarge(size)) => {
                self.pending.abandon(id);
                return Err(ModuleError::new(
                    ErrorKind::BadRequest,
                    format!(
                        "the call is {size} bytes, over the {} MiB limit of the module process connection",
                        paperclip_module_runner::framing::MAX_FRAME_BYTES >> 20
                    ),
                ));
            }
            // The child is gone or going: its reader answers the call with how it ended.
            Err(_) => {}
        }
        let outcome = match timeout {
            Some(limit) => answer.recv_timeout(limit).map_err(|e| match e {
                std::sync::mpsc::RecvTimeoutError::Timeout => {
                    self.pending.abandon(id);
                    format!(
                        "the module process did not answer within {} s",
                        limit.as_secs_f64()
                    )
                }
                std::sync::mpsc::RecvTimeoutError::Disconnected => {
                    "the module process ended".to_string()
                }
            }),
            None => answer
                .recv()
                .map_err(|_| "the module process ended".to_string()),
        };
        match outcome {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(message)) | Err(message) => Err(ModuleError::new(ErrorKind::Failed, message)),
        }
    }

    /// Kills the child (`SIGKILL`), saying why; its reader then reports the exit.
    pub fn kill(&self, reason: &str) {
        if self.exited.load(Ordering::SeqCst) {
            return;
        }
        self.kill_reason
            .lock()
            .get_or_insert_with(|| reason.to_string());
        let _ = self.process.lock().kill();
    }

    /// Closes the connection: the runner reads end of file and exits.
    pub fn close(&self) {
        self.writer.close();
    }

    /// Waits until the child ended (killing it after `grace`), reaps it and says how it
    /// ended, with the host's reason when the host killed it.
    pub fn wait_exit(&self, grace: Duration) -> String {
        let deadline = Instant::now() + grace;
        let status = loop {
            let mut process = self.process.lock();
            match process.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {}
                _ => {
                    let _ = process.kill();
                    if let Ok(status) = process.wait() {
                        break status;
                    }
                }
            }
            drop(process);
            std::thread::sleep(Duration::from_millis(5));
        };
        self.exited.store(true, Ordering::SeqCst);
        let exit = describe_exit(status);
        match self.kill_reason.lock().as_deref() {
            Some(reason) => format!("{exit} ({reason})"),
            None => exit,
        }
    }
}
