//! A scripted in-memory host for unit tests of the safe layer.

use crate::abi::{HostApi, HostApi_TO, HostError, HostHandle, LogLevel};
use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RArc, RResult, RStr, RString},
};
use std::sync::{Arc, Mutex};

/// Everything the fake host saw, in order.
#[derive(Default)]
pub(crate) struct Recorded {
    pub calls: Vec<String>,
    pub logs: Vec<(LogLevel, String)>,
    /// Answer to the next `db_query` (JSON rows).
    pub query_result: String,
    /// Answer to `core_call`.
    pub core_result: String,
    pub next_tx: u64,
}

#[derive(Clone, Default)]
pub(crate) struct FakeHost {
    pub state: Arc<Mutex<Recorded>>,
}

impl FakeHost {
    pub fn handle(&self) -> HostHandle {
        HostApi_TO::from_ptr(RArc::new(self.clone()), TD_Opaque)
    }

    pub fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    fn record(&self, call: String) {
        self.state.lock().unwrap().calls.push(call);
    }
}

impl HostApi for FakeHost {
    fn module_id(&self) -> RString {
        "fake".into()
    }

    fn log(&self, level: LogLevel, message: RStr<'_>) {
        self.state
            .lock()
            .unwrap()
            .logs
            .push((level, message.to_string()));
    }

    fn db_begin(&self) -> RResult<u64, HostError> {
        let mut s = self.state.lock().unwrap();
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
        self.record(format!("query {tx} {sql} {params_json}"));
        let rows = self.state.lock().unwrap().query_result.clone();
        RResult::ROk(if rows.is_empty() {
            "[]".into()
        } else {
            rows.into()
        })
    }

    fn db_execute(&self, tx: u64, sql: RStr<'_>, params_json: RStr<'_>) -> RResult<u64, HostError> {
        if sql.contains("forbidden") {
            return RResult::RErr(HostError::new("table `agents` is read-only for modules"));
        }
        self.record(format!("execute {tx} {sql} {params_json}"));
        RResult::ROk(1)
    }

    fn core_call(&self, method: RStr<'_>, args_json: RStr<'_>) -> RResult<RString, HostError> {
        self.record(format!("core {method} {args_json}"));
        RResult::ROk(self.state.lock().unwrap().core_result.clone().into())
    }
}
