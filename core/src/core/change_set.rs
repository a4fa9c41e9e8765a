//! The `changes` of an update — `{field: {from, to}}` for each field whose value differs — as
//! logged in activity details and sent in `agent:updated`.

use serde::Serialize;
use serde_json::{json, Map, Value};

/// Changed fields of one update, in the order they were noted.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet(Map<String, Value>);

impl ChangeSet {
    /// No changes yet.
    pub fn new() -> ChangeSet {
        ChangeSet::default()
    }

    /// Notes `field` (camelCase) as `{from, to}` when the two values differ.
    pub fn note<T: PartialEq + Serialize>(&mut self, field: &str, from: &T, to: &T) {
        if from != to {
            self.0
                .insert(field.to_string(), json!({ "from": from, "to": to }));
        }
    }

    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when `field` changed.
    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The JSON object `{field: {from, to}, …}`.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_only_differences() {
        let mut changes = ChangeSet::new();
        changes.note("name", &"a", &"a");
        assert!(changes.is_empty());
        changes.note("title", &None::<String>, &Some("CTO".to_string()));
        assert!(changes.contains("title"));
        assert_eq!(
            changes.into_value(),
            json!({"title": {"from": null, "to": "CTO"}})
        );
    }
}
