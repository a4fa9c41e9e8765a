//! Rules from request bodies: `POST /rules` (a whole rule) and `PATCH /rules/{id}` (some
//! fields, merged into the stored rule, then the whole checked again). Every problem is an
//! [`Invalid`] naming its field; the checks that need the database (the company, literal ids)
//! are in [`crate::references`].

use crate::action::Action;
use crate::condition::Condition;
use crate::invalid::{join, Invalid};
use crate::json_fields::Fields;
use crate::rule::{Rule, Trigger};
use crate::trigger_hooks::{self, TriggerHook};
use serde_json::Value;

/// Most conditions a trigger may have.
pub const MAX_CONDITIONS: usize = 20;
/// Most actions a rule may have.
pub const MAX_ACTIONS: usize = 10;
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A rule as a request describes it, checked, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDraft {
    /// The company.
    pub company_id: String,
    /// The name.
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// Whether it fires.
    pub enabled: bool,
    /// What fires it.
    pub trigger: Trigger,
    /// What it does.
    pub actions: Vec<Action>,
}

const RULE_FIELDS: [&str; 6] = [
    "companyId",
    "name",
    "description",
    "enabled",
    "trigger",
    "actions",
];

/// The body of `POST /rules`: `companyId`, `name`, `trigger` and `actions` are required;
/// `enabled` defaults to `true`.
pub fn parse_new(body: &Value) -> Result<RuleDraft, Invalid> {
    let fields = Fields::of(body, "")?;
    fields.only(&RULE_FIELDS)?;
    let company_id = fields.req_str("companyId", "the company whose events fire the rule")?;
    if company_id.trim().is_empty() {
        return Err(Invalid::new("companyId", "must not be empty"));
    }
    let trigger = parse_trigger(
        fields.get("trigger").ok_or_else(|| {
            Invalid::new(
                "trigger",
                "is required ({\"hook\": …, \"conditions\": […]})",
            )
        })?,
        "trigger",
    )?;
    let actions = parse_actions(
        trigger.hook_info(),
        fields
            .get("actions")
            .ok_or_else(|| Invalid::new("actions", "is required (at least one action)"))?,
        "actions",
    )?;
    Ok(RuleDraft {
        company_id: company_id.to_owned(),
        name: name(&fields)?.ok_or_else(|| Invalid::new("name", "is required"))?,
        description: description(&fields)?.flatten(),
        enabled: fields.opt_bool("enabled")?.unwrap_or(true),
        trigger,
        actions,
    })
}

/// The body of `PATCH /rules/{id}` over `rule`: the fields given replace the stored ones
/// (`trigger` and `actions` whole; `"description": null` clears it). The stored actions are
/// checked again against a new trigger: an action that names a field the new hook's payload
/// lacks is refused, naming it.
pub fn parse_patch(rule: &Rule, body: &Value) -> Result<RuleDraft, Invalid> {
    let fields = Fields::of(body, "")?;
    fields.only(&RULE_FIELDS)?;
    if let Some(company_id) = fields.opt_str("companyId")? {
        if company_id != rule.company_id {
            return Err(Invalid::new(
                "companyId",
                "a rule stays in its company; create a new rule for another company",
            ));
        }
    }
    let trigger = match fields.get("trigger") {
        Some(value) => parse_trigger(value, "trigger")?,
        None => rule.trigger.clone(),
    };
    let actions = match fields.get("actions") {
        Some(value) => parse_actions(trigger.hook_info(), value, "actions")?,
        None => {
            let stored = serde_json::to_value(&rule.actions).unwrap_or_default();
            parse_actions(trigger.hook_info(), &stored, "actions")?
        }
    };
    Ok(RuleDraft {
        company_id: rule.company_id.clone(),
        name: name(&fields)?.unwrap_or_else(|| rule.name.clone()),
        description: description(&fields)?.unwrap_or_else(|| rule.description.clone()),
        enabled: fields.opt_bool("enabled")?.unwrap_or(rule.enabled),
        trigger,
        actions,
    })
}

fn name(fields: &Fields<'_>) -> Result<Option<String>, Invalid> {
    let Some(name) = fields.opt_str("name")? else {
        return Ok(None);
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(Invalid::new("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Invalid::new(
            "name",
            format!("is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(Some(name.to_owned()))
}

/// `None`: not given; `Some(None)`: cleared (`null` or empty).
fn description(fields: &Fields<'_>) -> Result<Option<Option<String>>, Invalid> {
    if !fields.has("description") {
        return Ok(None);
    }
    let text = fields
        .opt_str("description")?
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if text.is_some_and(|t| t.chars().count() > MAX_DESCRIPTION_CHARS) {
        return Err(Invalid::new(
            "description",
            format!("is longer than {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(Some(text.map(str::to_owned)))
}

/// A trigger object at `path`: `{"hook": "…", "conditions": [...]}` (conditions optional).
pub fn parse_trigger(value: &Value, path: &str) -> Result<Trigger, Invalid> {
    let fields = Fields::of(value, path)?;
    fields.only(&["hook", "conditions"])?;
    let hook = fields.req_str("hook", &format!("one of {}", trigger_hooks::names()))?;
    let empty = Value::Array(Vec::new());
    let conditions = match fields.get("conditions") {
        None | Some(Value::Null) => &empty,
        Some(value) => value,
    };
    parse_trigger_parts(hook, conditions, path)
}

/// A trigger from its hook's name and its conditions (a JSON array), as the trigger at `path`.
pub fn parse_trigger_parts(hook: &str, conditions: &Value, path: &str) -> Result<Trigger, Invalid> {
    let info = TriggerHook::named(hook).map_err(|e| Invalid::new(join(path, "hook"), e))?;
    let conditions_path = join(path, "conditions");
    let items = array(conditions, &conditions_path, MAX_CONDITIONS)?;
    let conditions = items
        .iter()
        .enumerate()
        .map(|(i, c)| Condition::parse(info, c, &join(&conditions_path, &format!("[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Trigger {
        hook: info.hook,
        conditions,
    })
}

/// The actions array at `path`, for a rule triggered by `trigger`: one to [`MAX_ACTIONS`].
pub fn parse_actions(
    trigger: &TriggerHook,
    value: &Value,
    path: &str,
) -> Result<Vec<Action>, Invalid> {
    let items = array(value, path, MAX_ACTIONS)?;
    if items.is_empty() {
        return Err(Invalid::new(path, "needs at least one action"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, a)| Action::parse(trigger, a, &join(path, &format!("[{i}]"))))
        .collect()
}

fn array<'a>(value: &'a Value, path: &str, max: usize) -> Result<&'a Vec<Value>, Invalid> {
    match value {
        Value::Array(items) if items.len() > max => {
            Err(Invalid::new(path, format!("has more than {max} entries")))
        }
        Value::Array(items) => Ok(items),
        other => Err(Invalid::new(
            path,
            format!("must be an array, got {}", crate::json_fields::kind(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::Hook;
    use serde_json::json;

    fn follow_up() -> Value {
        json!({
            "companyId": "c1",
            "name": "  Follow up on done issues ",
            "trigger": {
                "hook": "issue:status_changed",
                "conditions": [{"field": "to", "operator": "eq", "value": "done"}]
            },
            "actions": [{"type": "create_issue", "title": "Follow up on {{issue.identifier}}: {{issue.title}}"}]
        })
    }

    fn field_of(body: Value) -> String {
        parse_new(&body).unwrap_err().field
    }

    fn with(mut body: Value, key: &str, value: Value) -> Value {
        body[key] = value;
        body
    }

    #[test]
    fn a_whole_rule_is_read_with_defaults() {
        let draft = parse_new(&follow_up()).unwrap();
        assert_eq!(draft.name, "Follow up on done issues");
        assert!(draft.enabled);
        assert_eq!(draft.description, None);
        assert_eq!(draft.trigger.hook, Hook::IssueStatusChanged);
        assert_eq!(draft.actions.len(), 1);
        let no_conditions = with(follow_up(), "trigger", json!({"hook": "issue:created"}));
        assert!(parse_new(&no_conditions)
            .unwrap()
            .trigger
            .conditions
            .is_empty());
    }

    #[test]
    fn every_problem_names_its_field() {
        assert_eq!(field_of(json!([])), "");
        assert_eq!(
            field_of(with(follow_up(), "colour", json!("red"))),
            "colour"
        );
        assert_eq!(
            field_of(with(follow_up(), "companyId", json!(""))),
            "companyId"
        );
        assert_eq!(field_of(with(follow_up(), "name", json!(" "))), "name");
        assert_eq!(
            field_of(with(follow_up(), "name", json!("n".repeat(201)))),
            "name"
        );
        assert_eq!(
            field_of(with(follow_up(), "enabled", json!("yes"))),
            "enabled"
        );
        assert_eq!(
            field_of(with(follow_up(), "description", json!("d".repeat(2001)))),
            "description"
        );
        let err = parse_new(&with(
            follow_up(),
            "trigger",
            json!({"hook": "issue:exploded"}),
        ))
        .unwrap_err();
        assert_eq!(err.field, "trigger.hook");
        assert!(
            err.message.contains("unknown hook `issue:exploded`"),
            "{err}"
        );
        assert_eq!(
            field_of(with(
                follow_up(),
                "trigger",
                json!({"hook": "server:started"})
            )),
            "trigger.hook"
        );
        assert_eq!(
            field_of(with(follow_up(), "trigger", json!({"conditions": []}))),
            "trigger.hook"
        );
        assert_eq!(
            field_of(with(
                follow_up(),
                "trigger",
                json!({"hook": "issue:created", "conditions": {}})
            )),
            "trigger.conditions"
        );
        assert_eq!(
            field_of(with(
                follow_up(),
                "trigger",
                json!({"hook": "issue:created", "conditions": [{"field": "to", "operator": "eq", "value": 1}]})
            )),
            "trigger.conditions[0].field"
        );
        let many: Vec<Value> = (0..21)
            .map(|_| json!({"field": "to", "operator": "eq", "value": "done"}))
            .collect();
        assert_eq!(
            field_of(with(
                follow_up(),
                "trigger",
                json!({"hook": "issue:status_changed", "conditions": many})
            )),
            "trigger.conditions"
        );
        assert_eq!(field_of(with(follow_up(), "actions", json!([]))), "actions");
        assert_eq!(
            field_of(with(
                follow_up(),
                "actions",
                json!([{"type": "create_issue", "title": "a"}, {"type": "create_issue"}])
            )),
            "actions[1].title"
        );
        let mut missing = follow_up();
        missing.as_object_mut().unwrap().remove("actions");
        assert_eq!(field_of(missing), "actions");
        // An action that names a field the trigger's payload lacks.
        assert_eq!(
            field_of(with(
                follow_up(),
                "trigger",
                json!({"hook": "budget:threshold_crossed"})
            )),
            "actions[0].title"
        );
    }

    #[test]
    fn a_patch_merges_then_checks_the_whole_rule() {
        let draft = parse_new(&follow_up()).unwrap();
        let rule = Rule {
            id: "r1".into(),
            company_id: draft.company_id,
            name: draft.name,
            description: Some("old".into()),
            enabled: true,
            trigger: draft.trigger,
            actions: draft.actions,
            created_at: 0,
            updated_at: 0,
        };
        let patched = parse_patch(&rule, &json!({"enabled": false, "description": null})).unwrap();
        assert!(!patched.enabled);
        assert_eq!(patched.description, None);
        assert_eq!(patched.trigger, rule.trigger);
        assert_eq!(patched.name, rule.name);
        let retitled = parse_patch(
            &rule,
            &json!({"actions": [{"type": "create_issue", "title": "Done: {{issue.title}}"}]}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&retitled.actions).unwrap()[0]["title"],
            "Done: {{issue.title}}"
        );
        let err = parse_patch(
            &rule,
            &json!({"trigger": {"hook": "budget:threshold_crossed"}}),
        )
        .unwrap_err();
        assert_eq!(err.field, "actions[0].title");
        assert_eq!(
            parse_patch(&rule, &json!({"companyId": "c2"}))
                .unwrap_err()
                .field,
            "companyId"
        );
        assert!(parse_patch(&rule, &json!({"companyId": "c1"})).is_ok());
        assert_eq!(
            parse_patch(&rule, &json!({"nmae": "x"})).unwrap_err().field,
            "nmae"
        );
    }
}
