//! A scripted host for the engine's unit tests, where the SDK's `TestHost` is not enough: it
//! answers statements with row counts given in order (a claim refused by the unique
//! `(rule_id, event_id)` affects 0 rows) and core calls with answers or errors given in order
//! (the host refusing a capability, or a chain too deep).

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RArc, RResult, RStr, RString};
use module_sdk::abi::{HostApi, HostApi_TO, HostError, LogLevel};
use module_sdk::ModuleContext;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Script {
    rows: Value,
    affected: VecDeque<u64>,
    core: VecDeque<Result<Value, String>>,
    failing: Option<(String, String)>,
    calls: Vec<String>,
    logs: Vec<String>,
}

/// The scripted host. Clones share their script and record.
#[derive(Clone, Default)]
pub struct FakeHost(Arc<Mutex<Script>>);

impl FakeHost {
    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.0.lock().unwrap()
    }

    /// A context on this host (empty config).
    pub fn context(&self) -> ModuleContext {
        ModuleContext::new(
            HostApi_TO::from_ptr(RArc::new(self.clone()), TD_Opaque),
            json!({}),
        )
    }

    /// Every query answers these rows.
    pub fn rows(&self, rows: Value) {
        self.script().rows = rows;
    }

    /// The next statements affect these numbers of rows, in order (then 1 each).
    pub fn affected(&self, counts: &[u64]) {
        self.script().affected.extend(counts);
    }

    /// Statements containing `fragment` fail with `message`.
    pub fn fail_statements(&self, fragment: &str, message: &str) {
        self.script().failing = Some((fragment.to_owned(), message.to_owned()));
    }

    /// The next core calls answer these, in order (then `null` each).
    pub fn core(&self, answers: Vec<Result<Value, &str>>) {
        self.script()
            .core
            .extend(answers.into_iter().map(|a| a.map_err(str::to_owned)));
    }

    /// The calls so far: `query <sql>`, `execute <sql> <params>`, `core <method> <args>`.
    pub fn calls(&self) -> Vec<String> {
        self.script().calls.clone()
    }

    /// The log lines so far.
    pub fn logs(&self) -> Vec<String> {
        self.script().logs.clone()
    }
}

impl HostApi for FakeHost {
    fn module_id(&self) -> RString {
        "workflows".into()
    }

    fn log(&self, _level: LogLevel, message: RStr<'_>) {
        self.script().logs.push(message.to_string());
    }

    fn db_begin(&self) -> RResult<u64, HostError> {
        RResult::ROk(1)
    }

    fn db_commit(&self, _tx: u64) -> RResult<(), HostError> {
        RResult::ROk(())
    }

    fn db_rollback(&self, _tx: u64) -> RResult<(), HostError> {
        RResult::ROk(())
    }

    fn db_query(&self, _tx: u64, sql: RStr<'_>, _params: RStr<'_>) -> RResult<RString, HostError> {
        let mut script = self.script();
        script.calls.push(format!("query {sql}"));
        let rows = if script.rows.is_null() {
            json!([])
        } else {
            script.rows.clone()
        };
        RResult::ROk(rows.to_string().into())
    }

    fn db_execute(&self, _tx: u64, sql: RStr<'_>, params: RStr<'_>) -> RResult<u64, HostError> {
        let mut script = self.script();
        script.calls.push(format!("execute {sql} {params}"));
        if let Some((fragment, message)) = &script.failing {
            if sql.as_str().contains(fragment.as_str()) {
                return RResult::RErr(HostError::new(message.as_str()));
            }
        }
        RResult::ROk(script.affected.pop_front().unwrap_or(1))
    }

    fn core_call(&self, method: RStr<'_>, args: RStr<'_>) -> RResult<RString, HostError> {
        let mut script = self.script();
        script.calls.push(format!("core {method} {args}"));
        match script.core.pop_front().unwrap_or(Ok(Value::Null)) {
            Ok(answer) => RResult::ROk(answer.to_string().into()),
            Err(message) => RResult::RErr(HostError::new(message)),
        }
    }
}
