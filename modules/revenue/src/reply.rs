//! What a route handler answers: a response, refused input ([`Invalid`]), or an internal error
//! (the SDK answers a `BadRequest` error with 400, any other with 500).

use crate::invalid::Invalid;
use module_sdk::{Error, ModuleContext, Request, Response, Result};

/// Why a route did not answer normally.
#[derive(Debug)]
pub enum Failure {
    /// Refused input, answered with its status.
    Refused(Invalid),
    /// Anything else.
    Internal(Error),
}

impl From<Invalid> for Failure {
    fn from(e: Invalid) -> Self {
        Failure::Refused(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Internal(e)
    }
}

/// A route handler's result.
pub type Reply = std::result::Result<Response, Failure>;

/// A route handler as the SDK's router takes it.
pub fn handler<M: 'static>(
    f: fn(&M, &ModuleContext, &Request) -> Reply,
) -> impl Fn(&M, &ModuleContext, &Request) -> Result<Response> + Send + Sync + 'static {
    move |m, ctx, req| match f(m, ctx, req) {
        Ok(response) => Ok(response),
        Err(Failure::Refused(e)) => Ok(e.response()),
        Err(Failure::Internal(e)) => Err(e),
    }
}
