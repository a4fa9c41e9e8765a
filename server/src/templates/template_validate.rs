//! Validation of a template before anything is written: the JSON Schema, then the refs
//! (duplicates, dangling, cycles). Every problem is collected and reported, not just the
//! first, so an author can fix a template in one pass.

use super::problem::{sort_problems, Problem, ROOT_PATH};
use super::ref_checks::ref_problems;
use super::template_format::CompanyTemplate;
use super::template_schema::schema_problems;
use serde_json::Value;

/// A template that passed every check; the only input [`super::import_template`] accepts, so
/// an unchecked template cannot be imported by mistake.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTemplate(CompanyTemplate);

impl ValidTemplate {
    /// The checked template.
    pub fn template(&self) -> &CompanyTemplate {
        &self.0
    }

    /// The checked template, by value.
    pub fn into_inner(self) -> CompanyTemplate {
        self.0
    }
}

/// Parses and validates template bytes (a JSON document).
pub fn validate_json(bytes: &[u8]) -> Result<ValidTemplate, Vec<Problem>> {
    let document: Value = serde_json::from_slice(bytes)
        .map_err(|e| vec![Problem::new(ROOT_PATH, format!("not valid JSON: {e}"))])?;
    validate_value(&document)
}

/// Validates a parsed template document; on failure returns every problem, sorted by path.
pub fn validate_value(document: &Value) -> Result<ValidTemplate, Vec<Problem>> {
    let mut problems = schema_problems(document);
    problems.extend(ref_problems(document));
    if problems.is_empty() {
        // The schema and the serde types describe the same format, so this conversion only
        // fails if they drift apart; report it like any other problem rather than panic.
        match serde_path_to_error::deserialize::<_, CompanyTemplate>(document) {
            Ok(template) => return Ok(ValidTemplate(template)),
            Err(error) => {
                let path = error.path().to_string();
                let path = if path == "." {
                    ROOT_PATH.to_string()
                } else {
                    path
                };
                problems.push(Problem::new(path, error.into_inner().to_string()));
            }
        }
    }
    sort_problems(&mut problems);
    Err(problems)
}

/// Validates an already typed template (e.g. one built in code or just exported).
pub fn validate_template(template: &CompanyTemplate) -> Result<ValidTemplate, Vec<Problem>> {
    let document =
        serde_json::to_value(template).map_err(|e| vec![Problem::new(ROOT_PATH, e.to_string())])?;
    validate_value(&document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const STARTUP: &str = include_str!("../../../templates/startup-in-a-box.json");

    #[test]
    fn startup_in_a_box_is_valid() {
        let valid = validate_json(STARTUP.as_bytes()).unwrap_or_else(|p| panic!("{p:?}"));
        let t = valid.template();
        assert_eq!(t.id, "startup-in-a-box");
        assert_eq!(t.agents.len(), 5);
        assert!(t.issues.len() >= 10);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let document = json!({
            "id": "t",
            "agents": [
                {"ref": "a", "name": "A", "reportsTo": "b"},
                {"ref": "b", "name": "B", "reportsTo": "a", "budgetCents": -1},
                {"ref": "a", "name": "A again"},
                {"ref": "c", "name": "C", "reportsTo": "cto"}
            ],
            "goals": [{"ref": "g", "title": "G", "level": "team", "ownerRef": "nobody"}],
            "issues": [{"title": "I", "priority": "asap", "projectRef": "p"}]
        });
        let problems: Vec<String> = validate_value(&document)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "agents[0].reportsTo: cycle in reportsTo: a -> b -> a",
                "agents[1].budgetCents: must not be negative, got -1",
                "agents[2].ref: duplicate ref \"a\" (already used by agents[0])",
                "agents[3].reportsTo: unknown ref \"cto\" (no other agent has it)",
                "goals[0].ownerRef: unknown ref \"nobody\" (no agent has it)",
                "issues[0].priority: unknown value \"asap\" (allowed: low, medium, high, urgent)",
                "issues[0].projectRef: unknown ref \"p\" (no project has it)",
                "name: is required",
            ]
        );
    }

    #[test]
    fn bytes_that_are_not_json() {
        let problems = validate_json(b"{ not json").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, ROOT_PATH);
        assert!(
            problems[0].message.starts_with("not valid JSON: "),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn a_typed_template_round_trips_through_validation() {
        let valid = validate_json(STARTUP.as_bytes()).unwrap();
        let again = validate_template(valid.template()).unwrap();
        assert_eq!(again, valid);
    }
}
