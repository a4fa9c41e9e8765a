//! Typed access to core services over the host's `core_call` (reads here; writes and the
//! company scope in `core_writes.rs`).
//!
//! Methods and arguments (JSON): `agents.get {id}`, `agents.list {companyId?}`,
//! `issues.get {id}`, `issues.list {companyId?}`, `projects.get {id}`, `projects.list {companyId?}`,
//! `goals.get {id}`, `goals.list {companyId?}`, `activity.list {companyId?, limit?}`.
//! A `get` answers `null` when nothing has that id; a `list` answers an array.

use crate::abi::HostHandle;
use crate::entities::{Activity, Agent, Goal, Issue, Project};
use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Read-only core services.
///
/// ```
/// use module_sdk::testing::TestHost;
/// use serde_json::json;
///
/// let host = TestHost::default();
/// let ctx = host.context(json!({}));
/// host.answer_core(json!([]));
/// assert!(ctx.core().issues(Some("c1")).unwrap().is_empty());
/// assert_eq!(host.calls(), [r#"core issues.list {"companyId":"c1"}"#]);
/// ```
#[derive(Clone, Copy)]
pub struct Core<'a> {
    host: &'a HostHandle,
}

impl<'a> Core<'a> {
    pub(crate) fn new(host: &'a HostHandle) -> Self {
        Self { host }
    }

    /// Calls a core method with JSON arguments and returns its JSON result.
    pub fn call(&self, method: &str, args: &Value) -> Result<Value> {
        let args = serde_json::to_string(args)?;
        let out = self
            .host
            .core_call(method.into(), args.as_str().into())
            .into_result()?;
        serde_json::from_str(&out).map_err(|e| {
            Error::msg(format!(
                "core method `{method}` returned malformed JSON: {e}"
            ))
        })
    }

    /// Calls a core method and deserializes the result into `T`.
    pub fn call_as<T: DeserializeOwned>(&self, method: &str, args: &Value) -> Result<T> {
        let value = self.call(method, args)?;
        T::deserialize(value).map_err(|e| {
            Error::msg(format!(
                "core method `{method}` returned an unexpected shape: {e}"
            ))
        })
    }

    fn get<T: DeserializeOwned>(&self, method: &str, id: &str) -> Result<Option<T>> {
        self.call_as(method, &json!({ "id": id }))
    }

    fn list<T: DeserializeOwned>(&self, method: &str, company_id: Option<&str>) -> Result<Vec<T>> {
        self.call_as(method, &company_args(company_id))
    }

    /// The agent with `id`, if any.
    pub fn agent(&self, id: &str) -> Result<Option<Agent>> {
        self.get("agents.get", id)
    }

    /// All agents, optionally of one company.
    pub fn agents(&self, company_id: Option<&str>) -> Result<Vec<Agent>> {
        self.list("agents.list", company_id)
    }

    /// The issue with `id`, if any.
    pub fn issue(&self, id: &str) -> Result<Option<Issue>> {
        self.get("issues.get", id)
    }

    /// All issues, optionally of one company.
    pub fn issues(&self, company_id: Option<&str>) -> Result<Vec<Issue>> {
        self.list("issues.list", company_id)
    }

    /// The project with `id`, if any.
    pub fn project(&self, id: &str) -> Result<Option<Project>> {
        self.get("projects.get", id)
    }

    /// All projects, optionally of one company.
    pub fn projects(&self, company_id: Option<&str>) -> Result<Vec<Project>> {
        self.list("projects.list", company_id)
    }

    /// The goal with `id`, if any.
    pub fn goal(&self, id: &str) -> Result<Option<Goal>> {
        self.get("goals.get", id)
    }

    /// All goals, optionally of one company.
    pub fn goals(&self, company_id: Option<&str>) -> Result<Vec<Goal>> {
        self.list("goals.list", company_id)
    }

    /// The most recent activity entries (newest first), optionally of one company, at most `limit`.
    pub fn activity(&self, company_id: Option<&str>, limit: Option<u32>) -> Result<Vec<Activity>> {
        let mut args = company_args(company_id);
        if let (Some(limit), Value::Object(map)) = (limit, &mut args) {
            map.insert("limit".into(), json!(limit));
        }
        self.call_as("activity.list", &args)
    }
}

fn company_args(company_id: Option<&str>) -> Value {
    match company_id {
        Some(id) => json!({ "companyId": id }),
        None => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestHost;

    #[test]
    fn typed_helpers_call_the_documented_methods() {
        let host = TestHost::default();
        let handle = host.handle();
        let core = Core::new(&handle);
        host.state.lock().unwrap().core_result = "null".into();
        assert_eq!(core.agent("a1").unwrap(), None);
        host.state.lock().unwrap().core_result = "[]".into();
        assert!(core.issues(Some("c1")).unwrap().is_empty());
        assert!(core.activity(None, Some(5)).unwrap().is_empty());
        assert!(core.goals(None).unwrap().is_empty());
        assert_eq!(
            host.calls(),
            [
                r#"core agents.get {"id":"a1"}"#,
                r#"core issues.list {"companyId":"c1"}"#,
                r#"core activity.list {"limit":5}"#,
                "core goals.list {}",
            ]
        );
    }

    #[test]
    fn a_wrong_shape_is_an_error_naming_the_method() {
        let host = TestHost::default();
        host.state.lock().unwrap().core_result = r#"{"not":"a list"}"#.into();
        let handle = host.handle();
        let err = Core::new(&handle).projects(None).unwrap_err();
        assert!(err.message().contains("projects.list"), "{err}");
    }
}
