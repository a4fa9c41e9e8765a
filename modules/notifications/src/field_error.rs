//! Bad input, answered as the core's API answers it: 400 with `{"error": message, "field":
//! path}`, the field being the JSON path of the offending value (`url`, `hooks[1]`,
//! `filters[0].op`, `email.host`). Also reads request bodies so that a type error or an unknown
//! field is named the same way.

use module_sdk::{Request, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

/// A refused input: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// HTTP status: 400, or 403 for a company the module is not enabled for.
    pub status: u16,
    /// JSON path of the field (`email.port`), or `body` for the body as a whole.
    pub field: String,
    /// What is wrong, starting with the field's name.
    pub message: String,
}

impl FieldError {
    /// A 400 for `field`; the message is prefixed with the field's name.
    pub fn new(field: impl Into<String>, problem: impl std::fmt::Display) -> FieldError {
        let field = field.into();
        FieldError {
            status: 400,
            message: format!("`{field}` {problem}"),
            field,
        }
    }

    /// A 403 for `field` (the message is used as it is).
    pub fn forbidden(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            status: 403,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The answer.
    pub fn response(&self) -> Response {
        Response::json(
            self.status,
            &json!({ "error": self.message, "field": self.field }),
        )
    }
}

/// Parses the request body as `T`, naming the offending field of a bad body.
pub fn read_body<T: DeserializeOwned>(req: &Request) -> Result<T, FieldError> {
    let mut de = serde_json::Deserializer::from_slice(req.body());
    serde_path_to_error::deserialize(&mut de).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        let field = field_from_error(&path, &message);
        FieldError {
            status: 400,
            message: if field == "body" {
                format!("invalid JSON body: {message}")
            } else {
                format!("`{field}`: {message}")
            },
            field,
        }
    })
}

/// The field a serde error is about: the path serde reached, or for "missing field `x`" /
/// "unknown field `x`" the quoted name under the path of the enclosing object.
fn field_from_error(path: &str, message: &str) -> String {
    let quoted = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.split_once(p))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name.to_string());
    match (quoted, path) {
        (Some(name), "." | "") => name,
        (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_string()
        }
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_string(),
        (None, path) => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        port: u16,
    }

    fn error_of(body: &str) -> FieldError {
        read_body::<Outer>(&Request::new("POST", "/").with_body(body)).unwrap_err()
    }

    #[test]
    fn bad_bodies_name_the_field() {
        assert_eq!(error_of(r#"{"name": 1}"#).field, "name");
        assert_eq!(error_of(r#"{}"#).field, "name");
        assert_eq!(error_of(r#"{"name": "a", "colour": 1}"#).field, "colour");
        assert_eq!(
            error_of(r#"{"name": "a", "inner": {"port": "x"}}"#).field,
            "inner.port"
        );
        assert_eq!(
            error_of(r#"{"name": "a", "inner": {"port": 1, "x": 2}}"#).field,
            "inner.x"
        );
        let garbage = error_of("not json");
        assert_eq!((garbage.field.as_str(), garbage.status), ("body", 400));
        assert!(garbage.message.starts_with("invalid JSON body"));
    }

    #[test]
    fn the_answer_carries_error_and_field() {
        let response = FieldError::new("url", "must start with http:// or https://").response();
        assert_eq!(response.status, 400);
        assert_eq!(
            response.body_json().unwrap(),
            json!({"error": "`url` must start with http:// or https://", "field": "url"})
        );
        assert_eq!(
            FieldError::forbidden("companyId", "no").response().status,
            403
        );
    }
}
