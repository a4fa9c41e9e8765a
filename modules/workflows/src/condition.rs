//! Conditions of a trigger: `{"field": "to", "operator": "eq", "value": "done"}`. A rule fires
//! only when all of its conditions hold for the event's payload.
//!
//! | operator | holds when the field's value … |
//! |---|---|
//! | `eq`, `ne` | equals / does not equal `value` (numbers by value: `90` = `90.0`; a missing field is `null`) |
//! | `gt`, `gte`, `lt`, `lte` | compares so with `value`: numbers as numbers, strings in text order (RFC 3339 times sort right); other kinds never hold |
//! | `contains` | is a string containing `value` (a string), or an array holding `value` |
//! | `in` | equals one of `value` (an array) |

use crate::field_path::FieldPath;
use crate::invalid::Invalid;
use crate::json_fields::{kind, Fields};
use crate::trigger_hooks::TriggerHook;
use serde::Serialize;
use serde_json::Value;
use std::cmp::Ordering;

/// Most values an `in` condition may list.
pub const MAX_IN_VALUES: usize = 100;

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operator {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// Substring or array element.
    Contains,
    /// One of a list.
    In,
}

impl Operator {
    /// Every operator, in documentation order.
    pub const ALL: [Operator; 8] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::Contains,
        Operator::In,
    ];

    /// Its name in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Ne => "ne",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::Contains => "contains",
            Operator::In => "in",
        }
    }

    fn parse(name: &str) -> Option<Operator> {
        Operator::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// Checks that `value` suits this operator; the error says what it needs.
    fn check_value(self, value: &Value) -> Result<(), String> {
        match (self, value) {
            (Operator::Eq | Operator::Ne, Value::Array(_) | Value::Object(_)) => Err(format!(
                "`{}` compares with a single value, got {}; use `in` for a list",
                self.as_str(),
                kind(value)
            )),
            (Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte, Value::Number(_))
            | (Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte, Value::String(_)) => {
                Ok(())
            }
            (Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte, _) => Err(format!(
                "`{}` compares with a number or a string, got {}",
                self.as_str(),
                kind(value)
            )),
            (Operator::Contains, Value::Null | Value::Array(_) | Value::Object(_)) => Err(format!(
                "`contains` looks for a string, number or boolean, got {}",
                kind(value)
            )),
            (Operator::In, Value::Array(items)) if items.is_empty() => {
                Err("`in` needs at least one value".into())
            }
            (Operator::In, Value::Array(items)) if items.len() > MAX_IN_VALUES => {
                Err(format!("`in` takes at most {MAX_IN_VALUES} values"))
            }
            (Operator::In, Value::Array(_)) => Ok(()),
            (Operator::In, _) => Err(format!(
                "`in` needs an array of values, got {}",
                kind(value)
            )),
            _ => Ok(()),
        }
    }
}

/// One condition of a trigger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// Where in the payload.
    pub field: FieldPath,
    /// How to compare.
    pub operator: Operator,
    /// What to compare with.
    pub value: Value,
}

impl Condition {
    /// Reads a condition at `path` of a body, for a rule triggered by `trigger`.
    pub fn parse(trigger: &TriggerHook, value: &Value, path: &str) -> Result<Condition, Invalid> {
        let fields = Fields::of(value, path)?;
        fields.only(&["field", "operator", "value"])?;
        let field = fields.req_str("field", "a field path such as `issue.status`")?;
        let field = FieldPath::parse(field)
            .and_then(|p| trigger.check(&p).map(|()| p))
            .map_err(|e| Invalid::new(fields.path("field"), e))?;
        let names = Operator::ALL.map(Operator::as_str).join(", ");
        let operator = fields.req_str("operator", &names)?;
        let operator = Operator::parse(operator).ok_or_else(|| {
            Invalid::new(
                fields.path("operator"),
                format!("unknown operator `{operator}`; use one of {names}"),
            )
        })?;
        if !fields.has("value") {
            return Err(Invalid::new(fields.path("value"), "is required"));
        }
        let value = fields.get("value").cloned().unwrap_or(Value::Null);
        operator
            .check_value(&value)
            .map_err(|e| Invalid::new(fields.path("value"), e))?;
        Ok(Condition {
            field,
            operator,
            value,
        })
    }

    /// The field's value in `payload` (`null` when absent).
    pub fn actual<'a>(&self, payload: &'a Value) -> &'a Value {
        self.field.lookup(payload).unwrap_or(&Value::Null)
    }

    /// Whether the condition holds for `payload`.
    pub fn holds(&self, payload: &Value) -> bool {
        let actual = self.actual(payload);
        let ordered =
            |wanted: &[Ordering]| compare(actual, &self.value).is_some_and(|o| wanted.contains(&o));
        match self.operator {
            Operator::Eq => same(actual, &self.value),
            Operator::Ne => !same(actual, &self.value),
            Operator::Gt => ordered(&[Ordering::Greater]),
            Operator::Gte => ordered(&[Ordering::Greater, Ordering::Equal]),
            Operator::Lt => ordered(&[Ordering::Less]),
            Operator::Lte => ordered(&[Ordering::Less, Ordering::Equal]),
            Operator::Contains => match (actual, &self.value) {
                (Value::String(text), Value::String(part)) => text.contains(part.as_str()),
                (Value::Array(items), wanted) => items.iter().any(|item| same(item, wanted)),
                _ => false,
            },
            Operator::In => match &self.value {
                Value::Array(options) => options.iter().any(|option| same(actual, option)),
                _ => false,
            },
        }
    }
}

/// Equality, with numbers compared by value (`90` = `90.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Order of two numbers or two strings; other pairs have none.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::Hook;
    use serde_json::json;

    fn parse(hook: Hook, condition: Value) -> Result<Condition, Invalid> {
        Condition::parse(
            TriggerHook::of(hook).unwrap(),
            &condition,
            "trigger.conditions[0]",
        )
    }

    fn holds(hook: Hook, condition: Value, payload: Value) -> bool {
        parse(hook, condition).unwrap().holds(&payload)
    }

    #[test]
    fn each_operator_compares_as_documented() {
        let budget = Hook::BudgetThresholdCrossed;
        let at = |p: f64| json!({"percent": p, "agentId": "a1"});
        let cond = |op: &str, v: Value| json!({"field": "percent", "operator": op, "value": v});
        assert!(holds(budget, cond("gte", json!(90)), at(90.0)));
        assert!(holds(budget, cond("gte", json!(90)), at(100.0)));
        assert!(!holds(budget, cond("gte", json!(90)), at(80.0)));
        assert!(holds(budget, cond("gt", json!(80)), at(90.0)));
        assert!(!holds(budget, cond("gt", json!(90)), at(90.0)));
        assert!(holds(budget, cond("lt", json!(90)), at(80.0)));
        assert!(holds(budget, cond("lte", json!(90)), at(90.0)));
        assert!(holds(budget, cond("eq", json!(90)), at(90.0)));
        assert!(holds(budget, cond("ne", json!(90)), at(80.0)));
        assert!(holds(budget, cond("in", json!([80, 100])), at(100.0)));
        assert!(!holds(budget, cond("in", json!([80, 100])), at(90.0)));
        // A string never orders against a number.
        assert!(!holds(budget, cond("gte", json!("90")), at(95.0)));
        assert!(!holds(
            budget,
            cond("gte", json!(90)),
            json!({"percent": "95"})
        ));

        let changed = Hook::IssueStatusChanged;
        let issue =
            json!({"to": "done", "issue": {"title": "Fix the login page", "priority": "high"}});
        let on =
            |field: &str, op: &str, v: Value| json!({"field": field, "operator": op, "value": v});
        assert!(holds(changed, on("to", "eq", json!("done")), issue.clone()));
        assert!(holds(
            changed,
            on("issue.title", "contains", json!("login")),
            issue.clone()
        ));
        assert!(!holds(
            changed,
            on("issue.title", "contains", json!("Login")),
            issue.clone()
        ));
        assert!(holds(
            changed,
            on("issue.priority", "in", json!(["high", "urgent"])),
            issue.clone()
        ));
        assert!(holds(
            changed,
            on("issue.updatedAt", "gt", json!("2026-01-01")),
            json!({"issue": {"updatedAt": "2026-02-01T00:00:00Z"}})
        ));
        // Missing fields are null.
        assert!(holds(
            changed,
            on("issue.projectId", "eq", Value::Null),
            issue.clone()
        ));
        assert!(holds(
            changed,
            on("issue.projectId", "ne", json!("p1")),
            issue.clone()
        ));
        assert!(!holds(
            changed,
            on("issue.projectId", "gt", json!("a")),
            issue
        ));
        // Arrays contain elements.
        assert!(holds(
            Hook::AgentHeartbeat,
            on("meta.tags", "contains", json!("night")),
            json!({"meta": {"tags": ["day", "night"]}})
        ));
    }

    #[test]
    fn bad_conditions_name_the_field() {
        let hook = Hook::IssueStatusChanged;
        let field_of = |c: Value| parse(hook, c).unwrap_err().field;
        assert_eq!(
            field_of(json!({"field": "issue.priorty", "operator": "eq", "value": "x"})),
            "trigger.conditions[0].field"
        );
        let err = parse(
            hook,
            json!({"field": "to", "operator": "equals", "value": "x"}),
        )
        .unwrap_err();
        assert_eq!(err.field, "trigger.conditions[0].operator");
        assert!(err.message.contains("unknown operator `equals`"), "{err}");
        assert_eq!(
            field_of(json!({"field": "to", "operator": "eq"})),
            "trigger.conditions[0].value"
        );
        assert_eq!(
            field_of(json!({"field": "to", "operator": "in", "value": "done"})),
            "trigger.conditions[0].value"
        );
        assert_eq!(
            field_of(json!({"field": "to", "operator": "in", "value": []})),
            "trigger.conditions[0].value"
        );
        assert_eq!(
            field_of(json!({"field": "to", "operator": "gt", "value": true})),
            "trigger.conditions[0].value"
        );
        assert_eq!(
            field_of(json!({"field": "to", "operator": "eq", "value": ["a"]})),
            "trigger.conditions[0].value"
        );
        assert_eq!(
            field_of(json!({"field": "to", "operator": "eq", "value": 1, "extra": 1})),
            "trigger.conditions[0].extra"
        );
        assert_eq!(
            field_of(json!({"operator": "eq", "value": 1})),
            "trigger.conditions[0].field"
        );
        assert_eq!(field_of(json!("to = done")), "trigger.conditions[0]");
    }

    #[test]
    fn conditions_serialize_as_they_are_written() {
        let condition = json!({"field": "to", "operator": "eq", "value": "done"});
        let parsed = parse(Hook::IssueStatusChanged, condition.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), condition);
    }
}
