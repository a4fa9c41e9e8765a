//! Message templates: text with `{{path}}` placeholders filled from the event, e.g.
//! `{{issue.identifier}} is now {{to}}`. A path is a [`crate::json_path`] into the template
//! context (the hook payload plus `hook`, `eventId` and `companyId`). Strings are put in as they
//! are, numbers and booleans as JSON writes them, objects and arrays as compact JSON; a missing
//! value or `null` renders as nothing. There is no escaping and no logic: a template is checked
//! once when the channel is saved, and rendering never fails.

use crate::json_path;
use serde_json::Value;

/// The longest template accepted, in bytes.
pub const MAX_TEMPLATE_LEN: usize = 4000;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text copied as it is.
    Text(String),
    /// A placeholder's path.
    Value(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text`; the error says what is wrong (an unclosed `{{`, a bad path).
    pub fn parse(text: &str) -> Result<Template, String> {
        if text.len() > MAX_TEMPLATE_LEN {
            return Err(format!("is longer than {MAX_TEMPLATE_LEN} bytes"));
        }
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                return Err(format!(
                    "has a `{{{{` without its `}}}}` at byte {}",
                    text.len() - rest.len() + open
                ));
            };
            let path = after[..close].trim();
            json_path::check(path).map_err(|e| format!("placeholder `{{{{{path}}}}}`: {e}"))?;
            pieces.push(Piece::Value(path.to_owned()));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Template { pieces })
    }

    /// The text with every placeholder replaced by its value in `context`.
    pub fn render(&self, context: &Value) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Value(path) => match json_path::lookup(context, path) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) => out.push_str(s),
                    Some(other) => out.push_str(&other.to_string()),
                },
            }
        }
        out
    }
}

/// Renders `text` (a template that was checked when saved) over `context`; a template that no
/// longer parses is sent as it is rather than lost.
pub fn render_text(text: &str, context: &Value) -> String {
    match Template::parse(text) {
        Ok(template) => template.render(context),
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_are_filled_from_the_context() {
        let context = json!({
            "issue": {"identifier": "PC-7", "title": "Ship"}, "to": "done", "percent": 90,
            "flag": true, "nothing": null, "list": [1, 2]
        });
        let t = Template::parse("{{issue.identifier}} is now {{ to }} ({{percent}}%)").unwrap();
        assert_eq!(t.render(&context), "PC-7 is now done (90%)");
        let t = Template::parse("[{{missing}}|{{nothing}}|{{flag}}|{{list}}] }} {").unwrap();
        assert_eq!(t.render(&context), "[||true|[1,2]] }} {");
        assert_eq!(Template::parse("").unwrap().render(&context), "");
    }

    #[test]
    fn bad_templates_are_explained() {
        assert!(Template::parse("{{issue.id")
            .unwrap_err()
            .contains("without its `}}` at byte 0"));
        assert!(Template::parse("x {{ }}").unwrap_err().contains("empty"));
        assert!(Template::parse("{{a b}}").unwrap_err().contains("` `"));
        assert!(Template::parse(&"x".repeat(4001))
            .unwrap_err()
            .contains("4000"));
        assert_eq!(render_text("{{oops", &json!({})), "{{oops");
    }
}
