//! Refused input, answered as the core's API answers it: `{"error": message, "field": path}`
//! with 400 (or 403 for a company the module does not serve), the field being the JSON path of
//! the offending value. Also reads request bodies so that a type error, a missing or an unknown
//! field is named the same way.

use module_sdk::{Request, Response};
use serde::de::DeserializeOwned;
use serde_json::json;

/// A refused input: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// HTTP status: 400, or 403 for a company the module does not serve.
    pub status: u16,
    /// JSON path or query parameter (`amountCents`), `body` for the body as a whole.
    pub field: String,
    /// What is wrong, naming the field.
    pub message: String,
}

impl Invalid {
    /// A 400 about `field`: the message is "`field` problem".
    pub fn field(field: &str, problem: impl std::fmt::Display) -> Invalid {
        Invalid {
            status: 400,
            message: format!("`{field}` {problem}"),
            field: field.to_owned(),
        }
    }

    /// A 403 about `field`, with `message` as it is.
    pub fn forbidden(field: &str, message: String) -> Invalid {
        Invalid {
            status: 403,
            field: field.to_owned(),
            message,
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
pub fn read_body<T: DeserializeOwned>(req: &Request) -> Result<T, Invalid> {
    let mut de = serde_json::Deserializer::from_slice(req.body());
    serde_path_to_error::deserialize(&mut de).map_err(|error| {
        let message = error.inner().to_string();
        let field = named_field(&error.path().to_string(), &message);
        Invalid {
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

/// The field a serde error is about. Bodies here are flat objects: the path serde reached, or
/// for "missing field `x`" / "unknown field `x`" the quoted name.
fn named_field(path: &str, message: &str) -> String {
    let quoted = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.split_once(prefix))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name.to_owned());
    match (quoted, path) {
        (Some(name), _) => name,
        (None, "." | "") => "body".to_owned(),
        (None, path) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        amount: i64,
    }

    fn error_of(body: &str) -> Invalid {
        read_body::<Body>(&Request::new("POST", "/").with_body(body)).unwrap_err()
    }

    #[test]
    fn bad_bodies_name_the_field() {
        assert_eq!(error_of(r#"{"amount": "x"}"#).field, "amount");
        assert_eq!(error_of("{}").field, "amount");
        assert_eq!(error_of(r#"{"amount": 1, "colour": 2}"#).field, "colour");
        let garbage = error_of("not json");
        assert_eq!((garbage.field.as_str(), garbage.status), ("body", 400));
        assert!(garbage.message.starts_with("invalid JSON body"));
        let answer = Invalid::field("currency", "is bad").response();
        assert_eq!(
            answer.body_json().unwrap(),
            json!({"error": "`currency` is bad", "field": "currency"})
        );
    }
}
