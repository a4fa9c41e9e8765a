//! Test support: run a module's handlers in a plain `cargo test`, without a server.
//!
//! - [`TestHost`] stands in for the server behind a [`ModuleContext`]: it records every database
//!   and core call, keeps the log lines, answers queries and core calls with the JSON you give it,
//!   and refuses statements you name. It does **not** run SQL or check it against the host's
//!   rules — test those end to end against a real server (see the [testing guide]).
//! - [`TestModule`] registers a [`Module`] with a config, as the host does, and lets you deliver
//!   hooks, send route requests and run services.
//!
//! ```
//! use module_sdk::testing::{TestHost, TestModule};
//! use module_sdk::{params, AgentHeartbeat, Module, ModuleContext, Registrar, Request, Response, Result, Router};
//! use serde_json::json;
//!
//! struct Counter;
//!
//! impl Module for Counter {
//!     fn register(r: &mut Registrar<Self>) -> Result<Self> {
//!         r.on(|_m: &Self, ctx: &ModuleContext, beat: AgentHeartbeat| {
//!             ctx.db().execute(
//!                 "INSERT INTO mod_counter_beats (agent_id) VALUES ($1)",
//!                 &params![beat.agent_id],
//!             )?;
//!             Ok(())
//!         });
//!         r.routes(Router::new().get("/count", |_m: &Self, ctx: &ModuleContext, _req: &Request| {
//!             let row = ctx.db().query_one("SELECT COUNT(*) AS n FROM mod_counter_beats", &[])?;
//!             Ok(Response::ok(&json!({ "count": row.get::<i64>("n")? })))
//!         }));
//!         Ok(Counter)
//!     }
//! }
//!
//! let host = TestHost::new("counter");
//! let module = TestModule::<Counter>::register(&host, json!({})).unwrap();
//!
//! // A hook, as the host delivers it: the payload goes through JSON.
//! module.hook_json("agent:heartbeat", json!({ "agentId": "a1", "timestamp": "2026-01-01T00:00:00Z" })).unwrap();
//! assert_eq!(
//!     host.calls(),
//!     [r#"execute 0 INSERT INTO mod_counter_beats (agent_id) VALUES ($1) ["a1"]"#]
//! );
//!
//! // A route, with the database's answer scripted.
//! host.answer_queries(json!([{ "n": 1 }]));
//! let response = module.request(Request::new("GET", "/count"));
//! assert_eq!(response.status, 200);
//! assert_eq!(response.body_json().unwrap(), json!({ "count": 1 }));
//! ```
//!
//! [testing guide]: crate::guide::testing

use crate::abi::{HostApi, HostApi_TO, HostError, HostHandle, LogLevel};
use crate::context::ModuleContext;
use crate::error::Result;
use crate::hook::Hook;
use crate::module::Module;
use crate::payloads::HookPayload;
use crate::registrar::Registrar;
use crate::router::{Request, Response};
use crate::runtime::{finish, ActiveModule};
use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RArc, RResult, RStr, RString},
};
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Everything the test host saw and what it answers.
#[derive(Default)]
pub(crate) struct Recorded {
    pub module_id: String,
    pub calls: Vec<String>,
    pub logs: Vec<(LogLevel, String)>,
    /// Answer to every `db_query` (JSON rows); empty means `[]`.
    pub query_result: String,
    /// Answer to `core_call`; empty means `null`.
    pub core_result: String,
    /// Statements containing the first text fail with the second.
    pub refusals: Vec<(String, String)>,
    pub next_tx: u64,
}

/// A scripted, in-memory host for unit tests. Cheap to clone; clones share their record.
///
/// Calls are recorded as text, in order: `begin <tx>`, `commit <tx>`, `rollback <tx>`,
/// `query <tx> <sql> <params>`, `execute <tx> <sql> <params>` (`tx` 0 = autocommit) and
/// `core <method> <args>`.
///
/// ```
/// use module_sdk::testing::TestHost;
/// use module_sdk::params;
/// use serde_json::json;
///
/// let host = TestHost::new("notes");
/// let ctx = host.context(json!({ "greeting": "hi" }));
/// assert_eq!(ctx.module_id(), "notes");
///
/// host.refuse("agents", "table `agents` is read-only for modules");
/// let err = ctx.db().execute("DELETE FROM agents", &[]).unwrap_err();
/// assert_eq!(err.message(), "table `agents` is read-only for modules");
///
/// ctx.db()
///     .transaction(|tx| tx.execute("UPDATE mod_notes_n SET body = $1", &params!["x"]))
///     .unwrap();
/// assert_eq!(
///     host.calls(),
///     ["begin 1", r#"execute 1 UPDATE mod_notes_n SET body = $1 ["x"]"#, "commit 1"]
/// );
/// ```
#[derive(Clone)]
pub struct TestHost {
    pub(crate) state: Arc<Mutex<Recorded>>,
}

impl Default for TestHost {
    /// A host for a module with id `test`.
    fn default() -> Self {
        Self::new("test")
    }
}

impl TestHost {
    /// A host for the module `module_id`.
    pub fn new(module_id: &str) -> Self {
        Self {
            state: Arc::new(Mutex::new(Recorded {
                module_id: module_id.to_owned(),
                ..Recorded::default()
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, Recorded> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The handle a module's context talks to.
    pub fn handle(&self) -> HostHandle {
        HostApi_TO::from_ptr(RArc::new(self.clone()), TD_Opaque)
    }

    /// A context on this host with `config` (what handlers get as `ctx`).
    pub fn context(&self, config: Value) -> ModuleContext {
        ModuleContext::new(self.handle(), config)
    }

    /// Every later query answers these rows (a JSON array of objects).
    pub fn answer_queries(&self, rows: Value) {
        self.state().query_result = rows.to_string();
    }

    /// Every later core call (`ctx.core()`) answers this JSON.
    pub fn answer_core(&self, value: Value) {
        self.state().core_result = value.to_string();
    }

    /// Queries and statements whose SQL contains `sql_fragment` fail with `message`, as the
    /// host's refusals do.
    pub fn refuse(&self, sql_fragment: &str, message: &str) {
        self.state()
            .refusals
            .push((sql_fragment.to_owned(), message.to_owned()));
    }

    /// The calls so far, in order (see the type's documentation for their form).
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    /// The log lines so far, in order.
    pub fn logs(&self) -> Vec<(LogLevel, String)> {
        self.state().logs.clone()
    }

    fn record(&self, call: String) {
        self.state().calls.push(call);
    }

    fn refusal(&self, sql: &str) -> Option<HostError> {
        self.state()
            .refusals
            .iter()
            .find(|(fragment, _)| sql.contains(fragment.as_str()))
            .map(|(_, message)| HostError::new(message.as_str()))
    }
}

impl HostApi for TestHost {
    fn module_id(&self) -> RString {
        self.state().module_id.as_str().into()
    }

    fn log(&self, level: LogLevel, message: RStr<'_>) {
        self.state().logs.push((level, message.to_string()));
    }

    fn db_begin(&self) -> RResult<u64, HostError> {
        let mut s = self.state();
        s.next_tx += 1;
        let tx = s.next_tx;
        s.calls.push(format!("begin {tx}"));
        RResult::ROk(tx)
    }

    fn db_commit(&self, tx: u64) -> RResult<(), HostError> {
        self.record(format!("commit {tx}"));
        RResult::ROk(())
    }

    fn db_rollback(&self, tx: u64) -> RResult<(), HostError> {
        self.record(format!("rollback {tx}"));
        RResult::ROk(())
    }

    fn db_query(
        &self,
        tx: u64,
        sql: RStr<'_>,
        params_json: RStr<'_>,
    ) -> RResult<RString, HostError> {
        if let Some(refused) = self.refusal(sql.as_str()) {
            return RResult::RErr(refused);
        }
        self.record(format!("query {tx} {sql} {params_json}"));
        RResult::ROk(scripted(&self.state().query_result, "[]"))
    }

    fn db_execute(&self, tx: u64, sql: RStr<'_>, params_json: RStr<'_>) -> RResult<u64, HostError> {
        if let Some(refused) = self.refusal(sql.as_str()) {
            return RResult::RErr(refused);
        }
        self.record(format!("execute {tx} {sql} {params_json}"));
        RResult::ROk(1)
    }

    fn core_call(&self, method: RStr<'_>, args_json: RStr<'_>) -> RResult<RString, HostError> {
        self.record(format!("core {method} {args_json}"));
        RResult::ROk(scripted(&self.state().core_result, "null"))
    }
}

/// The scripted answer, or `default` when none was scripted.
fn scripted(answer: &str, default: &str) -> RString {
    RString::from(if answer.is_empty() { default } else { answer })
}

/// A module registered on a [`TestHost`], as the server would register it: deliver hooks, send
/// requests, run services. Unlike the server, a panic in a handler is not caught (the test fails
/// with it).
pub struct TestModule<M> {
    active: Arc<dyn ActiveModule>,
    hooks: Vec<String>,
    services: Vec<(String, u64)>,
    _module: std::marker::PhantomData<fn() -> M>,
}

impl<M: Module> TestModule<M> {
    /// Runs `M::register` with `config` on `host`. An `Err` is what would leave the module
    /// `failed` on a server: a `register` error, a config that `config_as` cannot read, or an
    /// invalid service.
    ///
    /// ```
    /// use module_sdk::testing::{TestHost, TestModule};
    /// use module_sdk::{Module, Registrar, Result};
    /// use serde_json::json;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Config { greeting: String }
    ///
    /// struct Greeter(String);
    ///
    /// impl Module for Greeter {
    ///     fn register(r: &mut Registrar<Self>) -> Result<Self> {
    ///         let config: Config = r.config_as()?;
    ///         Ok(Greeter(config.greeting))
    ///     }
    /// }
    ///
    /// let host = TestHost::new("greeter");
    /// assert!(TestModule::<Greeter>::register(&host, json!({ "greeting": "hi" })).is_ok());
    /// let err = TestModule::<Greeter>::register(&host, json!({})).err().unwrap();
    /// assert!(err.message().starts_with("invalid module config: missing field `greeting`"));
    /// ```
    pub fn register(host: &TestHost, config: Value) -> Result<Self> {
        let mut registrar = Registrar::new(host.context(config));
        let module = M::register(&mut registrar)?;
        let (active, registration) = finish(registrar, module)?;
        Ok(Self {
            active,
            hooks: registration.hooks.iter().map(|h| h.to_string()).collect(),
            services: registration
                .services
                .iter()
                .map(|s| (s.name.to_string(), s.interval_ms))
                .collect(),
            _module: std::marker::PhantomData,
        })
    }

    /// The hooks the module subscribed to (wire names, in registration order). The manifest's
    /// `hooks` must list each of them, or the server never delivers it.
    pub fn hooks(&self) -> &[String] {
        &self.hooks
    }

    /// The services the module registered: name and interval in milliseconds.
    pub fn services(&self) -> &[(String, u64)] {
        &self.services
    }

    /// Delivers a typed payload to the module's handlers of its hook (through JSON, as the host
    /// does). Every handler runs; the first error is returned.
    pub fn hook<P: HookPayload>(&self, payload: &P) -> Result<()> {
        let json = serde_json::to_string(payload)?;
        self.active.on_hook(P::HOOK.as_str(), &json)
    }

    /// Delivers a JSON payload to the handlers of `hook` (a wire name such as
    /// `"issue:created"`). A payload that does not parse is a `BadRequest` error; a hook the
    /// module did not subscribe to is a `NotFound` error.
    pub fn hook_json(&self, hook: &str, payload: Value) -> Result<()> {
        self.active.on_hook(hook, &payload.to_string())
    }

    /// Sends a request to the module's router (the path is the part after
    /// `/api/modules/<prefix>`).
    pub fn request(&self, request: Request) -> Response {
        self.active.handle_route(request)
    }

    /// Delivers `request` to the module's webhook `key`, as the server does for
    /// `POST /webhooks/<module-id>/<key>` (the request's method and path are replaced by `POST`
    /// and the reserved path `/.webhooks/<key>`; its headers and body are kept).
    pub fn webhook(&self, key: &str, request: Request) -> Response {
        self.active.handle_route(request.into_webhook_delivery(key))
    }

    /// Runs the service `name` once.
    pub fn run_service(&self, name: &str) -> Result<()> {
        self.active.run_service(name)
    }

    /// Calls the module's `shutdown`, as the host does on disable.
    pub fn shutdown(self) {
        self.active.shutdown();
    }

    /// Whether the module subscribed to `hook`.
    pub fn subscribes(&self, hook: Hook) -> bool {
        self.hooks.iter().any(|h| h == hook.as_str())
    }
}
