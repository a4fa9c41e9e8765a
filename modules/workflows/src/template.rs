//! Templates in action fields: text with `{{field.path}}` placeholders filled from the trigger
//! event's payload, e.g. `"Follow up on {{issue.identifier}}: {{issue.title}}"`.
//!
//! A placeholder names a field of the trigger hook's payload (checked when the rule is saved);
//! spaces inside the braces are allowed (`{{ issue.title }}`). When rendered, a string is put in
//! as it is, a number or boolean as JSON text, and a missing or `null` field as nothing.

use crate::field_path::FieldPath;
use crate::trigger_hooks::TriggerHook;
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Longest template accepted, in characters.
pub const MAX_LEN: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Field(FieldPath),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    text: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text`; a `{{` without its `}}` or a malformed path is an error.
    pub fn parse(text: &str) -> Result<Template, String> {
        if text.chars().count() > MAX_LEN {
            return Err(format!("is longer than {MAX_LEN} characters"));
        }
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                pieces.push(Piece::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| {
                format!(
                    "`{{{{` at character {} has no closing `}}}}`",
                    text.len() - rest.len() + start
                )
            })?;
            let path = FieldPath::parse(after[..end].trim())
                .map_err(|e| format!("placeholder `{{{{{}}}}}`: {e}", &after[..end]))?;
            pieces.push(Piece::Field(path));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Template {
            text: text.to_owned(),
            pieces,
        })
    }

    /// The template of one placeholder, `{{path}}` (e.g. an action's default target).
    pub fn field(path: &str) -> Template {
        Template::parse(&format!("{{{{{path}}}}}")).expect("a valid field path")
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The fields it refers to.
    pub fn fields(&self) -> impl Iterator<Item = &FieldPath> {
        self.pieces.iter().filter_map(|piece| match piece {
            Piece::Field(path) => Some(path),
            Piece::Text(_) => None,
        })
    }

    /// Whether it has no placeholders (its text is what it renders).
    pub fn is_literal(&self) -> bool {
        self.fields().next().is_none()
    }

    /// Checks every placeholder against the payload of `trigger`.
    pub fn check(&self, trigger: &TriggerHook) -> Result<(), String> {
        self.fields().try_for_each(|path| trigger.check(path))
    }

    /// The text with each placeholder replaced by the payload's value.
    pub fn render(&self, payload: &Value) -> String {
        let mut out = String::with_capacity(self.text.len());
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Field(path) => match path.lookup(payload) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(text)) => out.push_str(text),
                    Some(other) => out.push_str(&other.to_string()),
                },
            }
        }
        out
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::Hook;
    use serde_json::json;

    #[test]
    fn placeholders_are_filled_from_the_payload() {
        let payload = json!({
            "issue": {"identifier": "PC-7", "title": "Ship it", "projectId": null},
            "percent": 90, "flag": true
        });
        let render = |t: &str| Template::parse(t).unwrap().render(&payload);
        assert_eq!(
            render("Follow up on {{issue.identifier}}: {{ issue.title }}"),
            "Follow up on PC-7: Ship it"
        );
        assert_eq!(render("{{percent}} % ({{flag}})"), "90 % (true)");
        assert_eq!(render("[{{issue.projectId}}][{{issue.missing}}]"), "[][]");
        assert_eq!(render("plain }} text"), "plain }} text");
        assert!(Template::parse("no fields").unwrap().is_literal());
        assert_eq!(Template::field("issue.id").as_str(), "{{issue.id}}");
    }

    #[test]
    fn malformed_templates_are_refused() {
        let err = Template::parse("Follow up {{issue.title").unwrap_err();
        assert!(err.contains("no closing"), "{err}");
        let err = Template::parse("{{issue title}}").unwrap_err();
        assert!(err.contains("placeholder `{{issue title}}`"), "{err}");
        assert!(Template::parse("{{}}").is_err());
        assert!(Template::parse(&"x".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn placeholders_must_name_fields_of_the_trigger() {
        let budget = TriggerHook::of(Hook::BudgetThresholdCrossed).unwrap();
        assert!(Template::parse("{{percent}} % of {{budget}}")
            .unwrap()
            .check(budget)
            .is_ok());
        let err = Template::parse("{{issue.title}}")
            .unwrap()
            .check(budget)
            .unwrap_err();
        assert!(
            err.contains("`issue.title` is not a field of `budget:threshold_crossed`"),
            "{err}"
        );
    }
}
