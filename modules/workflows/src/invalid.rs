//! Bad input, named: what is wrong and which field of the request body (a path such as
//! `actions[0].title` or `trigger.conditions[1].operator`). Answered as a 400
//! `{"error": "<field>: <message>", "field": "<field>"}`, like the core's own validation errors,
//! and nothing is written.

use module_sdk::Response;
use serde_json::json;
use std::fmt;

/// A field of a request that cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Where in the body: `name`, `trigger.hook`, `actions[0].title`, … (empty: the body).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl Invalid {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same problem with the field path under `prefix` (e.g. `rule` + `trigger.hook` →
    /// `rule.trigger.hook`), for bodies that embed a rule.
    pub fn under(mut self, prefix: &str) -> Self {
        self.field = join(prefix, &self.field);
        self
    }

    /// The 400 response.
    pub fn response(&self) -> Response {
        Response::json(
            400,
            &json!({ "error": self.to_string(), "field": self.field }),
        )
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// `parent.key`, or `key` at the top (an empty parent).
pub fn join(parent: &str, key: &str) -> String {
    match (parent.is_empty(), key.is_empty()) {
        (true, _) => key.to_owned(),
        (_, true) => parent.to_owned(),
        _ if key.starts_with('[') => format!("{parent}{key}"),
        _ => format!("{parent}.{key}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_response_names_the_field() {
        let invalid = Invalid::new("actions[0].title", "is required").under("rule");
        let response = invalid.response();
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body_json().unwrap(),
            json!({"error": "rule.actions[0].title: is required", "field": "rule.actions[0].title"})
        );
        assert_eq!(join("actions", "[2]"), "actions[2]");
        assert_eq!(join("", "name"), "name");
        assert_eq!(
            Invalid::new("", "body must be an object").to_string(),
            "body must be an object"
        );
    }
}
