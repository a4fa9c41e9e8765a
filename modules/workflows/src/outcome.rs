//! What one action did when its rule fired, as a run records it.

use serde::Serialize;
use serde_json::Value;

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The core made the write.
    Ok,
    /// It could not be rendered, or the core (or the host) refused it.
    Failed,
    /// Not tried: an earlier action of the rule failed.
    Skipped,
}

/// One action's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The action's position in the rule (from 0).
    pub action: usize,
    /// Its `type`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// How it ended.
    pub status: Status,
    /// What the core answered: the created or changed issue or agent (`ok` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Why it failed, as the host or the core said (`failed`), or why it was not tried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Outcome {
    /// A write made.
    pub fn ok(action: usize, kind: &'static str, result: Value) -> Self {
        Self {
            action,
            kind,
            status: Status::Ok,
            result: Some(result),
            error: None,
        }
    }

    /// A write not made, and why.
    pub fn failed(action: usize, kind: &'static str, error: impl Into<String>) -> Self {
        Self {
            action,
            kind,
            status: Status::Failed,
            result: None,
            error: Some(error.into()),
        }
    }

    /// An action not tried after an earlier failure.
    pub fn skipped(action: usize, kind: &'static str, failed: usize) -> Self {
        Self {
            action,
            kind,
            status: Status::Skipped,
            result: None,
            error: Some(format!("not run: action {failed} failed")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcomes_serialize_compactly() {
        assert_eq!(
            serde_json::to_value(Outcome::ok(0, "create_issue", json!({"issueId": "i1"}))).unwrap(),
            json!({"action": 0, "type": "create_issue", "status": "ok", "result": {"issueId": "i1"}})
        );
        assert_eq!(
            serde_json::to_value(Outcome::failed(
                1,
                "pause_agent",
                "capability agents.pause not granted"
            ))
            .unwrap(),
            json!({"action": 1, "type": "pause_agent", "status": "failed", "error": "capability agents.pause not granted"})
        );
        assert_eq!(
            Outcome::skipped(2, "resume_agent", 1).error.as_deref(),
            Some("not run: action 1 failed")
        );
    }
}
