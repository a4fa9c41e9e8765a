//! Reading a JSON object of a request body field by field, so every problem names its path.
//!
//! serde's derive would refuse bad input too, but its messages name neither the nested path
//! (`actions[1].title`) nor always the field; rules are small, so they are read by hand.

use crate::invalid::{join, Invalid};
use serde_json::{Map, Value};

/// One JSON object of a request, at `path` in the body.
pub struct Fields<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// `value` as an object; anything else is refused naming `path`.
    pub fn of(value: &'a Value, path: &str) -> Result<Self, Invalid> {
        match value {
            Value::Object(map) => Ok(Self {
                path: path.to_owned(),
                map,
            }),
            other => Err(Invalid::new(
                path,
                format!("must be a JSON object, got {}", kind(other)),
            )),
        }
    }

    /// The path of `key` in this object.
    pub fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Refuses keys other than `known`, so a typo (`tilte`) is named instead of ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), Invalid> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(key) => Err(Invalid::new(
                self.path(key),
                format!("unknown field; expected one of {}", known.join(", ")),
            )),
            None => Ok(()),
        }
    }

    /// The raw value of `key`, absent when missing (`null` is returned as `Some(Null)`).
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    /// Whether `key` is present (even as `null`).
    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// An optional string: missing or `null` → `None`; another type is refused.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, Invalid> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(Invalid::new(
                self.path(key),
                format!("must be a string, got {}", kind(other)),
            )),
        }
    }

    /// A required string (`what` says what it is for, in the error).
    pub fn req_str(&self, key: &str, what: &str) -> Result<&'a str, Invalid> {
        self.opt_str(key)?
            .ok_or_else(|| Invalid::new(self.path(key), format!("is required ({what})")))
    }

    /// An optional boolean: missing or `null` → `None`.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, Invalid> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(Invalid::new(
                self.path(key),
                format!("must be true or false, got {}", kind(other)),
            )),
        }
    }
}

/// A JSON value's kind, for error messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_problem_names_its_path() {
        let body = json!({"title": 5, "tilte": "x", "on": "yes", "list": {}});
        let fields = Fields::of(&body["list"], "actions[0]").unwrap();
        assert!(fields.only(&[]).is_ok());
        let fields = Fields::of(&body, "actions[0]").unwrap();
        assert_eq!(
            fields.only(&["title", "on", "list"]).unwrap_err().field,
            "actions[0].tilte"
        );
        let err = fields.opt_str("title").unwrap_err();
        assert_eq!(
            err.to_string(),
            "actions[0].title: must be a string, got a number"
        );
        assert_eq!(fields.opt_bool("on").unwrap_err().field, "actions[0].on");
        assert_eq!(
            fields
                .req_str("missing", "a title")
                .unwrap_err()
                .to_string(),
            "actions[0].missing: is required (a title)"
        );
        assert_eq!(
            Fields::of(&json!([]), "").err().unwrap().to_string(),
            "must be a JSON object, got an array"
        );
    }
}
