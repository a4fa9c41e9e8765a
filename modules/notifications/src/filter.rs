//! Filters on payload fields: a channel sends an event only when every one of its filters
//! matches. A filter is `{"path": "to", "op": "eq", "value": "done"}`:
//!
//! | `op` | matches when the value at `path`… |
//! |------|-----------------------------------|
//! | `eq`, `ne` | equals (does not equal) `value`; numbers compare by value (`90` = `90.0`) |
//! | `gt`, `gte`, `lt`, `lte` | compares with `value`: both numbers, or both strings (RFC 3339 times order as text) |
//! | `contains` | is a string containing the string `value`, or an array with an element equal to `value` |
//! | `in` | equals one element of the array `value` |
//!
//! A missing field (or `null`) matches only `ne`.

use crate::json_path;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most filters a channel may have.
pub const MAX_FILTERS: usize = 20;

/// The operators, by their wire names.
pub const OPERATORS: [&str; 8] = ["eq", "ne", "gt", "gte", "lt", "lte", "contains", "in"];

/// One condition on a payload field, as stored and answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Dot path into the template context (payload, `hook`, `eventId`, `companyId`).
    pub path: String,
    /// One of [`OPERATORS`].
    pub op: String,
    /// What the field is compared with.
    pub value: Value,
}

impl Filter {
    /// Checks the filter; `Err((subfield, message))` names `path`, `op` or `value`.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        json_path::check(&self.path).map_err(|e| ("path", e))?;
        match self.op.as_str() {
            "eq" | "ne" => Ok(()),
            "gt" | "gte" | "lt" | "lte" => match self.value {
                Value::Number(_) | Value::String(_) => Ok(()),
                _ => Err((
                    "value",
                    format!("`{}` compares with a number or a string", self.op),
                )),
            },
            "contains" => match self.value {
                Value::Object(_) | Value::Array(_) | Value::Null => Err((
                    "value",
                    "`contains` takes a string, number or boolean".into(),
                )),
                _ => Ok(()),
            },
            "in" => match self.value {
                Value::Array(_) => Ok(()),
                _ => Err(("value", "`in` takes an array of values".into())),
            },
            other => Err((
                "op",
                format!(
                    "unknown operator `{other}`; expected one of {}",
                    OPERATORS.join(", ")
                ),
            )),
        }
    }

    /// Whether the field at `path` in `context` satisfies the filter.
    pub fn matches(&self, context: &Value) -> bool {
        let field = match json_path::lookup(context, &self.path) {
            None | Some(Value::Null) => return self.op == "ne",
            Some(field) => field,
        };
        match self.op.as_str() {
            "eq" => same(field, &self.value),
            "ne" => !same(field, &self.value),
            "gt" => compare(field, &self.value).is_some_and(|o| o.is_gt()),
            "gte" => compare(field, &self.value).is_some_and(|o| o.is_ge()),
            "lt" => compare(field, &self.value).is_some_and(|o| o.is_lt()),
            "lte" => compare(field, &self.value).is_some_and(|o| o.is_le()),
            "contains" => match (field, &self.value) {
                (Value::String(s), Value::String(needle)) => s.contains(needle.as_str()),
                (Value::Array(items), needle) => items.iter().any(|item| same(item, needle)),
                _ => false,
            },
            "in" => match &self.value {
                Value::Array(options) => options.iter().any(|option| same(field, option)),
                _ => false,
            },
            _ => false,
        }
    }
}

/// Whether every filter matches (no filters: always).
pub fn all_match(filters: &[Filter], context: &Value) -> bool {
    filters.iter().all(|filter| filter.matches(context))
}

/// JSON equality, with numbers compared by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The order of two numbers or two strings; `None` for anything else.
fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(path: &str, op: &str, value: Value) -> Filter {
        Filter {
            path: path.into(),
            op: op.into(),
            value,
        }
    }

    #[test]
    fn every_operator_matches_as_documented() {
        let event = json!({
            "to": "done", "percent": 90, "issue": {"title": "Fix login", "priority": "high"},
            "tags": ["urgent", 3]
        });
        let cases = [
            (filter("to", "eq", json!("done")), true),
            (filter("percent", "eq", json!(90.0)), true),
            (filter("to", "ne", json!("done")), false),
            (filter("missing", "ne", json!("x")), true),
            (filter("missing", "eq", json!(null)), false),
            (filter("percent", "gt", json!(80)), true),
            (filter("percent", "gte", json!(90)), true),
            (filter("percent", "lt", json!(90)), false),
            (filter("percent", "lte", json!(90)), true),
            (filter("percent", "gt", json!("80")), false),
            (filter("issue.title", "gte", json!("Fix")), true),
            (filter("issue.title", "contains", json!("login")), true),
            (filter("tags", "contains", json!("urgent")), true),
            (filter("tags", "contains", json!(3.0)), true),
            (filter("percent", "contains", json!("9")), false),
            (
                filter("issue.priority", "in", json!(["high", "critical"])),
                true,
            ),
            (filter("issue.priority", "in", json!(["low"])), false),
        ];
        for (f, expected) in cases {
            assert_eq!(f.matches(&event), expected, "{f:?}");
        }
        assert!(all_match(&[], &event));
        assert!(!all_match(
            &[
                filter("to", "eq", json!("done")),
                filter("percent", "lt", json!(50))
            ],
            &event
        ));
    }

    #[test]
    fn bad_filters_name_their_part() {
        assert_eq!(
            filter("to", "like", json!("x")).check().unwrap_err().0,
            "op"
        );
        assert!(filter("to", "like", json!("x"))
            .check()
            .unwrap_err()
            .1
            .contains("eq, ne"));
        assert_eq!(
            filter("a..b", "eq", json!(1)).check().unwrap_err().0,
            "path"
        );
        assert_eq!(
            filter("a", "in", json!("x")).check().unwrap_err().0,
            "value"
        );
        assert_eq!(
            filter("a", "gt", json!(true)).check().unwrap_err().0,
            "value"
        );
        assert_eq!(
            filter("a", "contains", json!({})).check().unwrap_err().0,
            "value"
        );
        assert!(filter("a", "ne", json!(null)).check().is_ok());
    }
}
