//! The module's host handle inside the runner: every method becomes a request frame to the host,
//! which runs it with the real host handle (SQL guard, module namespace, core services) and
//! answers; the calling module thread waits for that answer. Log lines are sent without waiting.

use crate::framing::FrameWriter;
use crate::pending_calls::PendingCalls;
use crate::protocol::{FromRunner, HostCall, HostReply};
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RArc, RResult, RStr, RString};
use module_sdk::abi::{HostApi, HostApi_TO, HostError, HostHandle, LogLevel};
use std::sync::Arc;

/// The runner's end of the module's host-handle calls: where they are sent and where their
/// answers arrive (filled by the runner's reading loop).
#[derive(Debug)]
pub struct HostLink {
    module_id: String,
    writer: Arc<FrameWriter>,
    pending: PendingCalls<HostReply>,
}

impl HostLink {
    /// Calls for module `module_id`, sent through `writer`.
    pub fn new(module_id: &str, writer: Arc<FrameWriter>) -> HostLink {
        HostLink {
            module_id: module_id.to_string(),
            writer,
            pending: PendingCalls::new(),
        }
    }

    /// Delivers the host's answer to call `id`.
    pub fn answer(&self, id: u64, reply: HostReply) {
        self.pending.answer(id, reply);
    }

    /// Fails every call still waiting (the host went away).
    pub fn fail_all(&self) {
        self.pending
            .fail_all(|| HostReply::Error("the connection to the host was closed".into()));
    }

    /// Sends `call` and waits for the host's answer.
    fn call(&self, call: HostCall) -> HostReply {
        let (id, answer) = self.pending.open();
        if let Err(e) = self.writer.send(&FromRunner::HostCall { id, call }) {
            self.pending.abandon(id);
            return HostReply::Error(format!("cannot reach the host: {e}"));
        }
        answer
            .recv()
            .unwrap_or_else(|_| HostReply::Error("the connection to the host was closed".into()))
    }
}

/// The `HostApi` implementation handed to the module in the runner.
#[derive(Debug, Clone)]
pub struct ProxyHost {
    link: Arc<HostLink>,
}

impl ProxyHost {
    /// The module's host handle, calling through `link`.
    pub fn handle(link: Arc<HostLink>) -> HostHandle {
        HostApi_TO::from_ptr(RArc::new(ProxyHost { link }), TD_Opaque)
    }
}

fn unexpected<T>(reply: HostReply) -> RResult<T, HostError> {
    RResult::RErr(HostError::new(match reply {
        HostReply::Error(message) => message,
        other => format!("the host answered {other:?}, which this call does not expect"),
    }))
}

impl HostApi for ProxyHost {
    fn module_id(&self) -> RString {
        RString::from(self.link.module_id.as_str())
    }

    fn log(&self, level: LogLevel, message: RStr<'_>) {
        let level = match level {
            LogLevel::Error => 0,
            LogLevel::Warn => 1,
            LogLevel::Info => 2,
            LogLevel::Debug => 3,
            LogLevel::Trace => 4,
        };
        let _ = self.link.writer.send(&FromRunner::Log {
            level,
            message: message.as_str().to_string(),
        });
    }

    fn db_begin(&self) -> RResult<u64, HostError> {
        match self.link.call(HostCall::Begin) {
            HostReply::Number(tx) => RResult::ROk(tx),
            other => unexpected(other),
        }
    }

    fn db_commit(&self, tx: u64) -> RResult<(), HostError> {
        match self.link.call(HostCall::Commit { tx }) {
            HostReply::Done => RResult::ROk(()),
            other => unexpected(other),
        }
    }

    fn db_rollback(&self, tx: u64) -> RResult<(), HostError> {
        match self.link.call(HostCall::Rollback { tx }) {
            HostReply::Done => RResult::ROk(()),
            other => unexpected(other),
        }
    }

    fn db_query(
        &self,
        tx: u64,
        sql: RStr<'_>,
        params_json: RStr<'_>,
    ) -> RResult<RString, HostError> {
        let call = HostCall::Query {
            tx,
            sql: sql.as_str().to_string(),
            params_json: params_json.as_str().to_string(),
        };
        match self.link.call(call) {
            HostReply::Text(rows) => RResult::ROk(rows.into()),
            other => unexpected(other),
        }
    }

    fn db_execute(&self, tx: u64, sql: RStr<'_>, params_json: RStr<'_>) -> RResult<u64, HostError> {
        let call = HostCall::Execute {
            tx,
            sql: sql.as_str().to_string(),
            params_json: params_json.as_str().to_string(),
        };
        match self.link.call(call) {
            HostReply::Number(affected) => RResult::ROk(affected),
            other => unexpected(other),
        }
    }

    fn core_call(&self, method: RStr<'_>, args_json: RStr<'_>) -> RResult<RString, HostError> {
        let call = HostCall::CoreCall {
            method: method.as_str().to_string(),
            args_json: args_json.as_str().to_string(),
        };
        match self.link.call(call) {
            HostReply::Text(result) => RResult::ROk(result.into()),
            other => unexpected(other),
        }
    }
}
