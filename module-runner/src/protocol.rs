//! The messages of the host ↔ runner protocol. The runner speaks first ([`FromRunner::Hello`]),
//! the host answers with a [`ToRunner::Start`], the runner with [`FromRunner::Started`]; after
//! that both sides send calls and answers tagged with call ids, concurrently: the host's calls
//! into the module ([`ModuleCall`] → [`ModuleReply`]) and the module's calls into its host
//! handle ([`HostCall`] → [`HostReply`]), each side numbering its own calls.

use crate::wire_types::{
    WireLoadError, WireModuleError, WireRegistration, WireRouteRequest, WireRouteResponse,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The protocol version; the host refuses a runner speaking another one.
pub const PROTOCOL_VERSION: u32 = 1;

/// A message from the host to the runner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ToRunner {
    /// What to load and how to sandbox it; sent once, after `Hello`.
    Start(StartRequest),
    /// A call into the module.
    Call {
        /// The host's call id, repeated in the reply.
        id: u64,
        /// The call.
        call: ModuleCall,
    },
    /// The answer to the module's host-handle call `id`.
    HostReply {
        /// The runner's call id.
        id: u64,
        /// The answer.
        reply: HostReply,
    },
}

/// A message from the runner to the host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum FromRunner {
    /// First message: the versions the runner was built with.
    Hello {
        /// [`PROTOCOL_VERSION`] of the runner.
        protocol: u32,
        /// The runner's package version.
        runner_version: String,
        /// The module ABI version of the SDK the runner was built with.
        abi_version: String,
    },
    /// The answer to `Start`: the library is loaded in the sandbox, or why not.
    Started(Result<Started, WireLoadError>),
    /// The answer to the host's call `id`.
    Reply {
        /// The host's call id.
        id: u64,
        /// The answer.
        reply: ModuleReply,
    },
    /// A host-handle call made by the module.
    HostCall {
        /// The runner's call id, repeated in the answer.
        id: u64,
        /// The call.
        call: HostCall,
    },
    /// A log line from the module (no answer).
    Log {
        /// The level, as `LogLevel`'s position (0 = error … 4 = trace).
        level: u8,
        /// The text.
        message: String,
    },
}

/// What the runner needs to start: nothing else crosses (its environment is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRequest {
    /// The module's id (what its host handle's `module_id` answers).
    pub module_id: String,
    /// The library to load.
    pub library_path: PathBuf,
    /// The module's bundle folder: the only place outside the system libraries it may read.
    pub bundle_dir: PathBuf,
    /// The sandbox limits.
    pub limits: SandboxLimits,
}

/// The resource limits the runner sets on itself before loading the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxLimits {
    /// Address space, in MiB (`RLIMIT_AS`).
    pub memory_mb: u64,
    /// CPU time, in seconds (`RLIMIT_CPU`; `SIGXCPU` then, five seconds later, `SIGKILL`).
    pub cpu_seconds: u64,
    /// Open file descriptors (`RLIMIT_NOFILE`).
    pub open_files: u64,
}

/// The library loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Started {
    /// The sandbox in force, in words (e.g. "landlock fully enforced (ABI 7); rlimits: …").
    pub sandbox: String,
    /// The module's `describe` answer, when its ABI has one.
    pub describe: Option<String>,
}

/// A call into the module's entry points.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ModuleCall {
    /// `register(host, config_json)`; the runner makes the host handle.
    Register {
        /// The validated config JSON.
        config_json: String,
    },
    /// `on_hook(hook, payload_json)`.
    OnHook {
        /// Hook name.
        hook: String,
        /// Payload JSON.
        payload_json: String,
    },
    /// `handle_route(request)`.
    HandleRoute(WireRouteRequest),
    /// `run_service(name)`.
    RunService {
        /// Service name.
        name: String,
    },
    /// `shutdown()`.
    Shutdown,
}

/// The module's answer to a [`ModuleCall`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ModuleReply {
    /// `register` succeeded.
    Registered(WireRegistration),
    /// `on_hook`, `run_service` or `shutdown` succeeded.
    Done,
    /// `handle_route` answered.
    Response(WireRouteResponse),
    /// The entry point returned an error (or the answer could not be sent).
    Error(WireModuleError),
}

/// A host-handle call made by the module (`HostApi`'s methods but `module_id` and `log`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostCall {
    /// `db_begin()`.
    Begin,
    /// `db_commit(tx)`.
    Commit {
        /// Transaction id.
        tx: u64,
    },
    /// `db_rollback(tx)`.
    Rollback {
        /// Transaction id.
        tx: u64,
    },
    /// `db_query(tx, sql, params_json)`.
    Query {
        /// Transaction id, 0 for autocommit.
        tx: u64,
        /// The SQL.
        sql: String,
        /// JSON array of parameters.
        params_json: String,
    },
    /// `db_execute(tx, sql, params_json)`.
    Execute {
        /// Transaction id, 0 for autocommit.
        tx: u64,
        /// The SQL.
        sql: String,
        /// JSON array of parameters.
        params_json: String,
    },
    /// `core_call(method, args_json)`.
    CoreCall {
        /// Core method, e.g. `agents.get`.
        method: String,
        /// JSON arguments.
        args_json: String,
    },
}

/// The host's answer to a [`HostCall`]: the value, or the host's error text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostReply {
    /// `db_commit` / `db_rollback` succeeded.
    Done,
    /// A transaction id (`db_begin`) or a row count (`db_execute`).
    Number(u64),
    /// JSON text (`db_query`, `core_call`).
    Text(String),
    /// The host refused, with its message.
    Error(String),
}
