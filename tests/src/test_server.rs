//! One running `paperclipai run` process with its own temporary directory and database.

use crate::server_log::{read_log, read_log_from, tail};
use crate::{copy_dir, find_bundle, ApiClient, ServerOptions, TestBackend, TestDatabase};
use serde_json::{json, Map, Value};
use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Default wait for the "listening on" line.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a graceful stop may take before the process is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A server that did not come up: it exited, or never printed its "listening on" line.
#[derive(Debug)]
pub struct StartFailure {
    /// Exit status, when it exited (`None`: it was killed after the time-out).
    pub status: Option<ExitStatus>,
    /// What it wrote to stderr during this start, colour codes removed.
    pub stderr: String,
    /// What it wrote to stdout during this start.
    pub stdout: String,
}

impl fmt::Display for StartFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "paperclipai exited ({status}) before listening")?,
            None => write!(f, "paperclipai did not print \"listening on\" in time")?,
        }
        write!(f, "\n--- stderr ---\n{}", self.stderr)?;
        if !self.stdout.is_empty() {
            write!(f, "\n--- stdout ---\n{}", self.stdout)?;
        }
        Ok(())
    }
}

/// The real `paperclipai` binary, started on `127.0.0.1` with a free port, a fresh data dir,
/// its own config file and modules dir, and (for PostgreSQL) its own database. Dereferences
/// to the [`ApiClient`] that sends the first configured API key. Killed on drop; its
/// temporary directory and database are removed then.
pub struct TestServer {
    backend: TestBackend,
    options: ServerOptions,
    // Dropped after the process is killed (see `Drop`), so the files outlive it.
    dir: tempfile::TempDir,
    database: Option<TestDatabase>,
    child: Option<Child>,
    stdout_reader: Option<JoinHandle<()>>,
    client: ApiClient,
    port: u16,
}

impl TestServer {
    /// Starts a server and waits until it listens.
    ///
    /// # Panics
    /// When it does not come up within the time-out (default 30 s), showing its stderr.
    pub fn start(backend: TestBackend, options: ServerOptions) -> TestServer {
        let name = backend.name();
        TestServer::try_start(backend, options)
            .unwrap_or_else(|failure| panic!("[{name}] server did not start: {failure}"))
    }

    /// Starts a server; a server that exits or never listens is returned as a
    /// [`StartFailure`] (for tests of start-up refusals).
    pub fn try_start(
        backend: TestBackend,
        options: ServerOptions,
    ) -> Result<TestServer, StartFailure> {
        let dir = tempfile::Builder::new()
            .prefix("paperclip-e2e-")
            .tempdir()
            .expect("a temporary folder");
        let database = match &backend {
            TestBackend::Sqlite => None,
            TestBackend::Postgres { admin_url } => Some(TestDatabase::create(admin_url)),
        };
        let key = options.api_keys.first().cloned();
        let mut server = TestServer {
            backend,
            options,
            dir,
            database,
            child: None,
            stdout_reader: None,
            client: ApiClient::new("http://127.0.0.1:0", key),
            port: 0,
        };
        std::fs::create_dir_all(server.data_dir()).expect("data dir");
        std::fs::create_dir_all(server.modules_dir()).expect("modules dir");
        for module in server.options.modules.clone() {
            server.add_module(&module);
        }
        server.write_config();
        server.spawn(0)?;
        Ok(server)
    }

    /// The backend this server runs on.
    pub fn backend(&self) -> &TestBackend {
        &self.backend
    }

    /// The options it was started with.
    pub fn options(&self) -> &ServerOptions {
        &self.options
    }

    /// The client sending the first configured API key (also reachable through `Deref`).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's temporary root folder.
    pub fn root_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `--data-dir` (holds the SQLite file): [`ServerOptions::data_dir`] or `<root>/data`.
    pub fn data_dir(&self) -> PathBuf {
        self.options
            .data_dir
            .clone()
            .unwrap_or_else(|| self.dir.path().join("data"))
    }

    /// The modules dir (`modules.dir` of the written config).
    pub fn modules_dir(&self) -> PathBuf {
        self.dir.path().join("plugins-dist")
    }

    /// The config file passed with `--config`.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("paperclip.config.json")
    }

    /// The `DATABASE_URL` of a PostgreSQL server (`None` for SQLite).
    pub fn database_url(&self) -> Option<&str> {
        self.database.as_ref().map(TestDatabase::url)
    }

    fn stderr_path(&self) -> PathBuf {
        self.dir.path().join("stderr.log")
    }

    fn stdout_path(&self) -> PathBuf {
        self.dir.path().join("stdout.log")
    }

    /// Everything the server wrote to stderr (its log) since the first start, across
    /// restarts, without colour codes.
    pub fn stderr_log(&self) -> String {
        read_log(&self.stderr_path())
    }

    /// Everything the server wrote to stdout since the first start.
    pub fn stdout_log(&self) -> String {
        read_log(&self.stdout_path())
    }

    /// Waits until a stderr line contains `needle`; returns that line.
    ///
    /// # Panics
    /// After `timeout`, showing the log.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.stderr_log();
            if let Some(line) = log.lines().find(|l| l.contains(needle)) {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no log line containing {needle:?} within {timeout:?}; log:\n{}",
                tail(&log, 80)
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Copies the bundle `name` (see [`crate::find_bundle`]) into the modules dir, e.g. to
    /// test a rescan; returns its folder there.
    pub fn add_module(&self, name: &str) -> PathBuf {
        let target = self.modules_dir().join(name);
        copy_dir(&find_bundle(name), &target);
        target
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops the server gracefully (SIGTERM; killed after 15 s) and returns its exit status
    /// (`None` when it was not running). The data dir and database stay for
    /// [`TestServer::restart`].
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        terminate(&mut child);
        let deadline = Instant::now() + STOP_TIMEOUT;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = child.kill();
                    break child.wait().expect("waiting for paperclipai");
                }
            }
        };
        self.join_stdout_reader();
        Some(status)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.join_stdout_reader();
    }

    /// Stops the server if it runs, then starts it again with the same options, data dir,
    /// database and (when still free) port.
    ///
    /// # Panics
    /// When it does not come up again.
    pub fn restart(&mut self) {
        self.stop();
        let port = self.port;
        if let Err(first) = self.spawn(port) {
            // The old port may have been taken by someone else meanwhile.
            if port != 0 && first.stderr.contains("cannot bind") {
                if let Err(failure) = self.spawn(0) {
                    panic!("[{}] server did not restart: {failure}", self.backend);
                }
            } else {
                panic!("[{}] server did not restart: {first}", self.backend);
            }
        }
    }

    /// Writes the config file from the options: their `config`, `modules.dir` pointing at
    /// this server's modules dir (unless set), the trusted keys added to
    /// `modules.trustedKeys`, and the API keys appended to `auth.apiKeys`.
    fn write_config(&self) {
        let mut config = self.options.config.clone().unwrap_or_else(|| json!({}));
        if let Some(root) = config.as_object_mut() {
            let modules = object_entry(root, "modules");
            modules.entry("dir").or_insert_with(|| {
                Value::String(self.modules_dir().to_string_lossy().into_owned())
            });
            if let Some(level) = crate::isolation::current_isolation() {
                let isolation = modules.entry("isolation").or_insert_with(|| json!({}));
                if let Some(isolation) = isolation.as_object_mut() {
                    isolation
                        .entry("*")
                        .or_insert_with(|| Value::String(level.to_string()));
                }
            }
            if !self.options.trusted_keys.is_empty() {
                let trusted = modules.entry("trustedKeys").or_insert_with(|| json!({}));
                if let Some(trusted) = trusted.as_object_mut() {
                    for (id, key) in &self.options.trusted_keys {
                        trusted.insert(id.clone(), Value::String(key.clone()));
                    }
                }
            }
            if !self.options.api_keys.is_empty() {
                let auth = object_entry(root, "auth");
                let keys = auth.entry("apiKeys").or_insert_with(|| json!([]));
                if let Some(keys) = keys.as_array_mut() {
                    keys.extend(self.options.api_keys.iter().cloned().map(Value::String));
                }
            }
        }
        let text = serde_json::to_string_pretty(&config).expect("config serializes");
        std::fs::write(self.config_path(), text).expect("writing the config file");
    }

    /// Starts the process on `port` and waits for its "listening on" line.
    fn spawn(&mut self, port: u16) -> Result<(), StartFailure> {
        let stderr_path = self.stderr_path();
        let stdout_path = self.stdout_path();
        let stderr_start = std::fs::metadata(&stderr_path).map_or(0, |m| m.len());
        let stdout_start = std::fs::metadata(&stdout_path).map_or(0, |m| m.len());
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_path)
            .expect("stderr log file");

        let bind = self
            .options
            .bind
            .clone()
            .unwrap_or_else(|| "127.0.0.1".into());
        let mut command = Command::new(crate::server_binary());
        command
            .arg("run")
            .args(["--bind", &bind, "--port", &port.to_string()])
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("--config")
            .arg(self.config_path())
            .args(&self.options.args)
            // A working dir of its own, so nothing is picked up from wherever the tests run.
            .current_dir(self.dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("PAPERCLIP_API_KEYS")
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(database) = &self.database {
            command.env("DATABASE_URL", database.url());
        }
        for (name, value) in &self.options.env {
            command.env(name, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", crate::server_binary().display()));

        let (ready_tx, ready_rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let reader = std::thread::spawn(move || copy_stdout(stdout, &stdout_path, ready_tx));

        let timeout = self.options.start_timeout.unwrap_or(START_TIMEOUT);
        let outcome = ready_rx.recv_timeout(timeout);
        match outcome {
            Ok(url) => {
                self.child = Some(child);
                self.stdout_reader = Some(reader);
                self.port = port_of(&url);
                self.client = self.client.clone_for(url);
                Ok(())
            }
            Err(error) => {
                let status = match error {
                    // stdout closed without the line: the process is exiting.
                    mpsc::RecvTimeoutError::Disconnected => child.wait().ok(),
                    mpsc::RecvTimeoutError::Timeout => {
                        let _ = child.kill();
                        let _ = child.wait();
                        None
                    }
                };
                let _ = reader.join();
                Err(StartFailure {
                    status,
                    stderr: read_log_from(&self.stderr_path(), stderr_start),
                    stdout: read_log_from(&self.stdout_path(), stdout_start),
                })
            }
        }
    }

    fn join_stdout_reader(&mut self) {
        if let Some(reader) = self.stdout_reader.take() {
            let _ = reader.join();
        }
    }
}

impl Deref for TestServer {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.client
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- [{}] server log (last 60 lines) ---\n{}",
                self.backend,
                tail(&self.stderr_log(), 60)
            );
        }
        self.kill();
        if std::env::var_os("PAPERCLIP_TEST_KEEP").is_some() {
            let kept = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
            eprintln!("kept test server folder {}", kept.keep().display());
        }
    }
}

impl ApiClient {
    /// The same key against another base URL (after a restart on another port).
    fn clone_for(&self, base_url: String) -> ApiClient {
        ApiClient::new(base_url, self.key().map(str::to_string))
    }
}

/// Copies the server's stdout into `log`, sending the base URL of the first "listening on"
/// line through `ready`. Dropping `ready` at EOF tells the waiter the process is gone.
fn copy_stdout(stdout: impl std::io::Read, log: &Path, ready: mpsc::Sender<String>) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("stdout log file");
    let mut ready = Some(ready);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let _ = writeln!(file, "{line}");
        if let Some(url) = listening_url(&line) {
            if let Some(ready) = ready.take() {
                let _ = ready.send(url);
            }
        }
    }
}

/// The base URL in `paperclipai 0.1.0 listening on http://ADDR (database: …)`, with a
/// wildcard address replaced by loopback so clients can connect to it.
fn listening_url(line: &str) -> Option<String> {
    let url = line
        .split("listening on ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    Some(
        url.replace("//0.0.0.0:", "//127.0.0.1:")
            .replace("//[::]:", "//[::1]:"),
    )
}

/// The port of `http://host:port`.
fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in {url}"))
}

/// The object under `key` of `map`, created (or replaced, if not an object) as needed.
fn object_entry<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let entry = map.entry(key).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut().expect("just made an object")
}

/// Asks the process to shut down gracefully.
#[cfg(unix)]
fn terminate(child: &mut Child) {
    // std has no way to send SIGTERM; the `kill` utility is on every Unix.
    let sent = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .is_ok_and(|s| s.success());
    if !sent {
        let _ = child.kill();
    }
}

/// Asks the process to shut down (no signals on this platform: it is killed).
#[cfg(not(unix))]
fn terminate(child: &mut Child) {
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listening_line_is_parsed() {
        let line = "paperclipai 0.1.0 listening on http://0.0.0.0:4321 (database: sqlite)";
        let url = listening_url(line).unwrap();
        assert_eq!(url, "http://127.0.0.1:4321");
        assert_eq!(port_of(&url), 4321);
        assert_eq!(listening_url("something else"), None);
    }
}
