//! Request bodies: JSON parsed into typed inputs, with errors that name the offending field.

use super::api_error::ApiError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// Largest accepted JSON body (templates can be large).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A JSON body of type `T`. Unlike `web::Json`, a bad body answers 400 with the JSON path of
/// the offending field (`{"error": "invalid type: …", "field": "budgetMonthlyCents"}`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes
                .await
                .map_err(|e| ApiError::bad_field("body", format!("cannot read body: {e}")))?;
            parse_json(&bytes).map(JsonBody)
        })
    }
}

/// Parses JSON bytes into `T`, naming the field at fault on error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_field(
            "body",
            "request body must be a JSON object",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        // Malformed or truncated JSON is the body's fault, whatever key the parser was at.
        let field = if inner.is_syntax() || inner.is_eof() {
            "body".to_string()
        } else {
            field_from_error(&path, &message)
        };
        ApiError::bad_field(field, message)
    })
}

/// Picks the field name: the path serde reached, or for "missing field `x`" / "unknown field
/// `x`" the quoted name, prefixed with the path of the enclosing object.
fn field_from_error(path: &str, message: &str) -> String {
    let quoted = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.split_once(p))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name.to_string());
    match (quoted, path) {
        (Some(name), "." | "") => name,
        // For an unknown field serde has already stepped into it: the path ends with its name.
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
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        budget_monthly_cents: Option<i64>,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_json::<Input>(br#"{"name": "a", "budgetMonthlyCents": "x"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("budgetMonthlyCents"));
        let e = parse_json::<Input>(br#"{"budgetMonthlyCents": 1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = parse_json::<Input>(br#"{"name": "a", "nmae": 1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("nmae"));
        let e = parse_json::<Input>(b"not json").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("body"));
    }
}
