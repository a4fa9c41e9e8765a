//! A rule as stored and served: a trigger (one hook and conditions on its payload), actions
//! run in order when it fires, the company it belongs to, and an enabled flag.
//!
//! ```json
//! {
//!   "id": "0193…", "companyId": "…", "name": "Follow up on done issues", "description": null,
//!   "enabled": true,
//!   "trigger": {
//!     "hook": "issue:status_changed",
//!     "conditions": [{ "field": "to", "operator": "eq", "value": "done" }]
//!   },
//!   "actions": [{ "type": "create_issue", "title": "Follow up on {{issue.identifier}}: {{issue.title}}" }],
//!   "createdAt": "2026-12-05T10:00:00.000Z", "updatedAt": "2026-12-05T10:00:00.000Z"
//! }
//! ```

use crate::action::Action;
use crate::clock;
use crate::condition::Condition;
use crate::rule_input;
use crate::trigger_hooks::TriggerHook;
use module_sdk::{Error, Hook, Result, Row};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// What fires a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    /// The hook.
    #[serde(serialize_with = "hook_name")]
    pub hook: Hook,
    /// Conditions on the hook's payload, all of which must hold (none: every event fires).
    pub conditions: Vec<Condition>,
}

impl Trigger {
    /// The description of its hook (its payload's fields, default targets).
    pub fn hook_info(&self) -> &'static TriggerHook {
        TriggerHook::of(self.hook).expect("a trigger is parsed from a trigger hook")
    }

    /// Whether every condition holds for `payload`.
    pub fn matches(&self, payload: &Value) -> bool {
        self.conditions.iter().all(|c| c.holds(payload))
    }
}

fn hook_name<S: Serializer>(hook: &Hook, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(hook.as_str())
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    /// UUID.
    pub id: String,
    /// The company whose events fire it, and where it acts.
    pub company_id: String,
    /// A name for people.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Disabled rules never fire.
    pub enabled: bool,
    /// What fires it.
    pub trigger: Trigger,
    /// What it does, in order.
    pub actions: Vec<Action>,
    /// When it was created.
    #[serde(serialize_with = "clock::serialize_ms")]
    pub created_at: i64,
    /// When it was last changed.
    #[serde(serialize_with = "clock::serialize_ms")]
    pub updated_at: i64,
}

/// The columns [`Rule::from_row`] reads, in `SELECT` order.
pub const COLUMNS: &str =
    "id, company_id, name, description, hook, conditions, actions, enabled, created_at, updated_at";

impl Rule {
    /// A rule from its row (see [`COLUMNS`]). Its trigger and actions are parsed as a request's
    /// would be: a row that does not parse is reported, naming the rule.
    pub fn from_row(row: &Row) -> Result<Rule> {
        let id: String = row.get("id")?;
        let corrupt =
            |what: String| Error::msg(format!("stored rule `{id}` is unreadable: {what}"));
        let text = |column: &str| -> Result<Value> {
            let raw: String = row.get(column)?;
            serde_json::from_str(&raw).map_err(|e| corrupt(format!("{column}: {e}")))
        };
        let hook: String = row.get("hook")?;
        let trigger = rule_input::parse_trigger_parts(&hook, &text("conditions")?, "")
            .map_err(|e| corrupt(e.to_string()))?;
        let actions = rule_input::parse_actions(trigger.hook_info(), &text("actions")?, "actions")
            .map_err(|e| corrupt(e.to_string()))?;
        Ok(Rule {
            company_id: row.get("company_id")?,
            name: row.get("name")?,
            description: row.get("description")?,
            enabled: sql_bool(&row["enabled"]),
            trigger,
            actions,
            created_at: row.get("created_at")?,
            updated_at: row.get("updated_at")?,
            id,
        })
    }
}

/// A `BOOLEAN` column: PostgreSQL answers `true`/`false`, SQLite `1`/`0`.
pub fn sql_bool(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_i64() != Some(0),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(enabled: Value) -> Row {
        Row::new(
            json!({
                "id": "r1", "company_id": "c1", "name": "Follow up", "description": null,
                "hook": "issue:status_changed",
                "conditions": r#"[{"field":"to","operator":"eq","value":"done"}]"#,
                "actions": r#"[{"type":"create_issue","title":"Follow up on {{issue.identifier}}"}]"#,
                "enabled": enabled, "created_at": 0, "updated_at": 1000
            })
            .as_object()
            .unwrap()
            .clone(),
        )
    }

    #[test]
    fn rows_of_both_backends_read_the_same() {
        let from_sqlite = Rule::from_row(&row(json!(1))).unwrap();
        let from_postgres = Rule::from_row(&row(json!(true))).unwrap();
        assert_eq!(from_sqlite, from_postgres);
        assert_eq!(
            serde_json::to_value(&from_sqlite).unwrap(),
            json!({
                "id": "r1", "companyId": "c1", "name": "Follow up", "description": null,
                "enabled": true,
                "trigger": {
                    "hook": "issue:status_changed",
                    "conditions": [{"field": "to", "operator": "eq", "value": "done"}]
                },
                "actions": [{"type": "create_issue", "title": "Follow up on {{issue.identifier}}"}],
                "createdAt": "1970-01-01T00:00:00.000Z", "updatedAt": "1970-01-01T00:00:01.000Z"
            })
        );
        assert!(!Rule::from_row(&row(json!(0))).unwrap().enabled);
        assert!(from_sqlite.trigger.matches(&json!({"to": "done"})));
        assert!(!from_sqlite.trigger.matches(&json!({"to": "todo"})));
    }

    #[test]
    fn an_unreadable_row_names_the_rule() {
        let mut bad = row(json!(true)).into_inner();
        bad.insert("actions".into(), json!("[{\"type\":\"explode\"}]"));
        let err = Rule::from_row(&Row::new(bad)).unwrap_err();
        assert!(
            err.message().contains("stored rule `r1` is unreadable"),
            "{err}"
        );
    }
}
