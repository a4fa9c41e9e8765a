//! Request bodies: JSON parsed into typed inputs, with errors that name the offending field.
//!
//! One rule for every JSON endpoint, enforced here by the [`JsonBytes`] and [`JsonBody`]
//! extractors (every handler that reads a body uses one of them):
//!
//! - a body needs `Content-Type: application/json` (parameters such as `charset=utf-8` allowed);
//!   any other content type answers **415**, whether or not there is a body, so a plain HTML
//!   form or a `text/plain` fetch from another site is refused before anything is parsed. A
//!   request with no `Content-Type` and an empty body (`curl -X POST`) is a bodiless request;
//! - a body larger than [`MAX_BODY_BYTES`] answers **413** `{"error": …}`, checked on
//!   `Content-Length` before reading and again while reading.

use super::api_error::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// Largest accepted JSON body, for every JSON route (templates included) and module routes.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The raw bytes of a JSON request body (possibly empty), after the content-type and size
/// checks of this module. For handlers that parse the body themselves (templates, module
/// configuration, heartbeats) or ignore it (bodiless admin operations).
#[derive(Debug, Clone)]
pub struct JsonBytes(pub web::Bytes);

impl JsonBytes {
    /// True when the body is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.iter().all(u8::is_ascii_whitespace)
    }
}

impl FromRequest for JsonBytes {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = check_headers(req);
        let mut payload = payload.take();
        Box::pin(async move {
            let has_content_type = checked?;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::bad_field("body", format!("cannot read body: {e}")))?;
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            if !has_content_type && !body.is_empty() {
                return Err(unsupported(
                    "a request body needs the header Content-Type: application/json",
                ));
            }
            Ok(JsonBytes(body.freeze()))
        })
    }
}

/// A JSON body of type `T`. Unlike `web::Json`, a bad body answers 400 with the JSON path of
/// the offending field (`{"error": "invalid type: …", "field": "budgetMonthlyCents"}`); a
/// wrong content type 415 and an oversized body 413, as [`JsonBytes`].
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = JsonBytes::from_request(req, payload);
        Box::pin(async move { parse_json(&bytes.await?.0).map(JsonBody) })
    }
}

/// Whether a `Content-Type` value is JSON: `application/json`, in any case, with or without
/// parameters (`; charset=utf-8`).
pub fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Checks what can be checked before reading: the content type (`Ok(false)` when absent), the
/// content encoding and the announced length.
fn check_headers(req: &HttpRequest) -> Result<bool, ApiError> {
    let headers = req.headers();
    let has_content_type = match headers.get(CONTENT_TYPE) {
        None => false,
        Some(value) => {
            let text = value.to_str().unwrap_or("(not text)");
            if !is_json_content_type(text) {
                return Err(unsupported(&format!(
                    "Content-Type must be application/json, not {text}"
                )));
            }
            true
        }
    };
    if let Some(encoding) = headers.get(CONTENT_ENCODING) {
        if !encoding.as_bytes().eq_ignore_ascii_case(b"identity") {
            return Err(unsupported(
                "compressed request bodies are not accepted (Content-Encoding)",
            ));
        }
    }
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    Ok(has_content_type)
}

fn unsupported(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body is larger than the limit of {MAX_BODY_BYTES} bytes (16 MiB)"),
    )
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

    #[test]
    fn only_json_content_types_are_json() {
        assert!(is_json_content_type("application/json"));
        assert!(is_json_content_type("Application/JSON; charset=utf-8"));
        assert!(!is_json_content_type("text/plain"));
        assert!(!is_json_content_type("application/x-www-form-urlencoded"));
        assert!(!is_json_content_type("multipart/form-data; boundary=x"));
        assert!(!is_json_content_type("application/jsonp"));
    }
}
