//! What a route handler answers: a response, a refused input ([`FieldError`], answered as
//! `{"error", "field"}`), or an internal error (500).

use crate::field_error::FieldError;
use module_sdk::{Error, ModuleContext, Request, Response, Result};

/// Why a route did not answer normally.
#[derive(Debug)]
pub enum Failure {
    /// Bad input, answered with its status.
    Field(FieldError),
    /// Anything else (the SDK makes it a 400 for `BadRequest`, else a 500).
    Internal(Error),
}

impl From<FieldError> for Failure {
    fn from(e: FieldError) -> Self {
        Failure::Field(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Internal(e)
    }
}

/// A route handler's result.
pub type Reply = std::result::Result<Response, Failure>;

/// A handler as the SDK's router takes it.
pub fn handler<M>(
    f: fn(&M, &ModuleContext, &Request) -> Reply,
) -> impl Fn(&M, &ModuleContext, &Request) -> Result<Response> + Send + Sync + 'static
where
    M: 'static,
{
    move |m, ctx, req| match f(m, ctx, req) {
        Ok(response) => Ok(response),
        Err(Failure::Field(e)) => Ok(e.response()),
        Err(Failure::Internal(e)) => Err(e),
    }
}

/// A 404 for a missing `what` with `id`.
pub fn not_found(what: &str, id: &str) -> Response {
    Response::error(404, &format!("no {what} `{id}`"))
}
