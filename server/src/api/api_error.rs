//! The JSON error every endpoint answers with: `{"error": "...", "field": "..."}`.

use crate::core::CoreError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// An error rendered as JSON with a status code.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Human-readable message.
    pub message: String,
    /// The JSON field at fault, when there is one.
    pub field: Option<String>,
    /// Seconds after which the client may try again (sent as `Retry-After`).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// 400 naming a field.
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            field: Some(field.into()),
            retry_after: None,
        }
    }

    /// The same error, telling the client to try again after `seconds` (`Retry-After`).
    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = match &self.field {
            Some(field) => json!({ "error": self.message, "field": field }),
            None => json!({ "error": self.message }),
        };
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(body)
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> ApiError {
        match &error {
            CoreError::Validation { field, message } => ApiError::bad_field(field, message),
            CoreError::NotFound { .. } => ApiError::not_found(error.to_string()),
            CoreError::Conflict { message } => ApiError::new(StatusCode::CONFLICT, message),
            CoreError::Database(_) => {
                tracing::error!(%error, "database error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
            }
            CoreError::Unavailable(_) => {
                tracing::error!(%error, "database unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, error.to_string())
            }
        }
    }
}
