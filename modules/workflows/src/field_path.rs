//! Field paths into an event's payload: dot-separated keys such as `issue.priority`, `to` or
//! `agent.metadata.team`; a numeric segment indexes an array (`meta.tags.0`).

use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt;

/// Longest path accepted.
pub const MAX_LEN: usize = 200;

/// A parsed field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    segments: Vec<String>,
}

impl FieldPath {
    /// Parses `text`: segments of letters, digits and `_`, separated by single dots.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        if text.is_empty() {
            return Err("a field path must not be empty (e.g. `issue.status`)".into());
        }
        if text.len() > MAX_LEN {
            return Err(format!("a field path is at most {MAX_LEN} characters"));
        }
        let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
        let valid =
            |s: &String| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !segments.iter().all(valid) {
            return Err(format!(
                "`{text}` is not a field path: use keys of letters, digits and _ separated by dots (e.g. `issue.status`)"
            ));
        }
        Ok(FieldPath {
            text: text.to_owned(),
            segments,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value at this path in `payload`, if there is one.
    pub fn lookup<'a>(&self, payload: &'a Value) -> Option<&'a Value> {
        self.segments
            .iter()
            .try_fold(payload, |value, segment| match value {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_walk_objects_and_arrays() {
        let payload = json!({"issue": {"priority": "high", "tags": ["a", "b"]}, "to": "done"});
        let lookup = |p: &str| FieldPath::parse(p).unwrap().lookup(&payload).cloned();
        assert_eq!(lookup("issue.priority"), Some(json!("high")));
        assert_eq!(lookup("to"), Some(json!("done")));
        assert_eq!(lookup("issue.tags.1"), Some(json!("b")));
        assert_eq!(lookup("issue.tags.x"), None);
        assert_eq!(lookup("issue.missing"), None);
        assert_eq!(lookup("to.deeper"), None);
    }

    #[test]
    fn malformed_paths_are_refused() {
        for bad in [
            "",
            ".issue",
            "issue.",
            "issue..id",
            "issue id",
            "issue-id",
            "{{x}}",
        ] {
            assert!(FieldPath::parse(bad).is_err(), "{bad:?}");
        }
        assert!(FieldPath::parse(&"a".repeat(MAX_LEN + 1)).is_err());
        assert_eq!(
            FieldPath::parse("causedBy.depth").unwrap().to_string(),
            "causedBy.depth"
        );
    }
}
