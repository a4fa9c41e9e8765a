//! The JSON Schema of company templates (`templates/company-template.schema.json`, embedded at
//! build time) and the conversion of its validation errors into [`Problem`]s with readable
//! paths and messages.

use super::problem::{JsonPath, Problem};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;
use std::sync::OnceLock;

/// The schema text, as shipped in the repository.
pub const SCHEMA_TEXT: &str = include_str!("../../../templates/company-template.schema.json");

/// The schema as JSON (parsed once).
pub fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // The file is part of the build and covered by a unit test, so a parse failure is a
        // build defect, not a runtime condition.
        serde_json::from_str(SCHEMA_TEXT).expect("templates/company-template.schema.json is JSON")
    })
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(schema()).expect("the company template schema compiles")
    })
}

/// Every schema violation of `document`, one [`Problem`] per offending value.
pub fn schema_problems(document: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    for error in validator().iter_errors(document) {
        problems.extend(describe(&error, document));
    }
    // An empty string breaks both `minLength` and the non-blank pattern; one message is enough.
    let empty: Vec<String> = problems
        .iter()
        .filter(|p| p.message == EMPTY)
        .map(|p| p.path.clone())
        .collect();
    problems.retain(|p| !(p.message == BLANK && empty.contains(&p.path)));
    problems
}

const EMPTY: &str = "must not be empty";
const BLANK: &str = "must not be blank";

/// Turns one validation error into problems. An "unexpected properties" error becomes one
/// problem per unknown field so that each is reported at its own path.
fn describe(error: &ValidationError<'_>, document: &Value) -> Vec<Problem> {
    let at = JsonPath::from_pointer(error.instance_path().as_str(), document);
    let instance = error.instance().as_ref();
    let message = match &error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            return vec![at.key(name).problem("is required")];
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_fields(&at).join(", ");
            return unexpected
                .iter()
                .map(|key| {
                    at.key(key)
                        .problem(format!("unknown field (allowed: {allowed})"))
                })
                .collect();
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()
                .map(|o| {
                    o.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "unknown value {} (allowed: {})",
                short(instance),
                allowed.join(", ")
            )
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(types) => types
                    .into_iter()
                    .filter(|t| t.to_string() != "null")
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("expected {expected}, got {}", type_name(instance))
        }
        ValidationErrorKind::Minimum { limit } if limit.as_i64() == Some(0) => {
            format!("must not be negative, got {instance}")
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("must be at least {limit}, got {instance}")
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("must be at most {limit}, got {instance}")
        }
        ValidationErrorKind::MinLength { limit: 1 } => EMPTY.to_string(),
        ValidationErrorKind::MinLength { limit } => {
            format!("must be at least {limit} characters long")
        }
        ValidationErrorKind::MaxLength { limit } => {
            let length = instance.as_str().map_or(0, |s| s.chars().count());
            format!("must be at most {limit} characters long, got {length}")
        }
        ValidationErrorKind::Pattern { pattern } => pattern_message(pattern, instance),
        _ => error.to_string(),
    };
    vec![at.problem(message)]
}

/// What a pattern requires, in words.
fn pattern_message(pattern: &str, instance: &Value) -> String {
    if pattern == "\\S" {
        BLANK.to_string()
    } else if pattern.starts_with("^[A-Za-z0-9]") {
        format!(
            "{} is not a valid ref: use letters, digits, '.', '_' and '-', starting with a letter or digit",
            short(instance)
        )
    } else if pattern.starts_with("^(0|[1-9]") {
        format!("{} is not a semantic version (e.g. 1.0.0)", short(instance))
    } else {
        format!("{} does not match the pattern {pattern}", short(instance))
    }
}

/// The fields the schema allows at `at`: the root's, or an entity's for `agents[i]` etc.
fn allowed_fields(at: &JsonPath) -> Vec<String> {
    let path = at.to_string();
    let definition = ["agent", "goal", "project", "issue"]
        .into_iter()
        .find(|kind| {
            path.strip_prefix(&format!("{kind}s["))
                .and_then(|rest| rest.split_once(']'))
                .is_some_and(|(index, rest)| rest.is_empty() && index.parse::<usize>().is_ok())
        });
    let properties = match definition {
        Some(kind) => &schema()["$defs"][kind]["properties"],
        None => &schema()["properties"],
    };
    properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// A JSON value for a message, cut short when long.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(document: Value) -> Vec<String> {
        let mut problems = schema_problems(&document);
        crate::templates::problem::sort_problems(&mut problems);
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_schema_compiles() {
        assert!(validator().is_valid(&json!({"id": "t", "name": "T"})));
    }

    #[test]
    fn errors_have_readable_paths_and_messages() {
        let found = messages(json!({
            "id": "t",
            "name": "T",
            "colour": "red",
            "agents": [
                {"ref": "a", "name": "A", "budgetCents": -5},
                {"ref": "b", "budgetCents": "x", "reportsTo": "has space"}
            ],
            "goals": [{"ref": "g", "title": "  ", "level": "galaxy"}],
            "issues": [{"title": "I", "status": "doing", "priorty": "high"}]
        }));
        assert_eq!(
            found,
            [
                "agents[0].budgetCents: must not be negative, got -5",
                "agents[1].budgetCents: expected integer, got string",
                "agents[1].name: is required",
                "agents[1].reportsTo: \"has space\" is not a valid ref: use letters, digits, '.', '_' and '-', starting with a letter or digit",
                "colour: unknown field (allowed: $schema, agents, author, description, goals, id, issues, name, projects, version)",
                "goals[0].level: unknown value \"galaxy\" (allowed: company, team, agent)",
                "goals[0].title: must not be blank",
                "issues[0].priorty: unknown field (allowed: assigneeRef, description, goalRef, parentRef, priority, projectRef, ref, status, title)",
                "issues[0].status: unknown value \"doing\" (allowed: backlog, todo, in_progress, in_review, done, cancelled)",
            ]
        );
    }

    /// The schema's enums and limits must be the core's, or an import could fail on input
    /// the validation accepted.
    #[test]
    fn the_schema_agrees_with_the_core() {
        use crate::core::{budget, goal, issue, project};
        let defs = &schema()["$defs"];
        let allowed = |value: &Value| -> Vec<String> {
            value["enum"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        };
        let props = |kind: &str| &defs[kind]["properties"];
        assert_eq!(allowed(&props("goal")["level"]), goal::LEVELS);
        assert_eq!(allowed(&props("goal")["status"]), goal::STATUSES);
        assert_eq!(allowed(&props("project")["status"]), project::STATUSES);
        assert_eq!(allowed(&props("issue")["status"]), issue::STATUSES);
        assert_eq!(allowed(&props("issue")["priority"]), issue::PRIORITIES);
        assert_eq!(
            props("agent")["budgetCents"]["maximum"].as_i64(),
            Some(budget::MAX_CENTS)
        );
        // Text limits of the core's create functions.
        assert_eq!(defs["name"]["maxLength"], 200);
        assert_eq!(defs["title"]["maxLength"], 500);
        assert_eq!(defs["description"]["maxLength"], 10_000);
        assert_eq!(props("issue")["description"]["maxLength"], 100_000);
        assert_eq!(props("agent")["role"]["maxLength"], 100);
        assert_eq!(defs["optionalText"]["maxLength"], 200);
    }

    #[test]
    fn a_document_that_is_not_an_object() {
        assert_eq!(messages(json!([1])), ["(root): expected object, got array"]);
    }
}
