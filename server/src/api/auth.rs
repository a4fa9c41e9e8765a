//! API-key authentication: when keys are configured, every route of the `/api` scope needs
//! `Authorization: Bearer <key>`. `/api/health` is registered outside the scope and stays public.
//! Also the [`Actor`] recorded in activity.
//!
//! Architecture invariant: the key check is middleware *wrapping the `/api` scope* (see
//! `api::configure`), never a test on the request's path: the router decides which handler
//! runs on the decoded path, so the check runs for exactly the requests that reach an `/api`
//! handler, however the path was spelled (`/%61pi/…`, `/api/./…`, …).

use super::api_error::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use sha2::{Digest, Sha256};
use std::future::{ready, Ready};
use subtle::ConstantTimeEq;

/// The accepted keys, stored as SHA-256 digests so the plain keys do not stay in memory.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    digests: Vec<[u8; 32]>,
}

impl ApiKeys {
    /// Builds the key set from plain keys.
    pub fn new(keys: &[String]) -> ApiKeys {
        ApiKeys {
            digests: keys.iter().map(|k| digest(k)).collect(),
        }
    }

    /// True when no key is configured (authentication off).
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Index of the key, when `presented` is one of them. Every configured key is compared,
    /// each in constant time, without stopping at a match: the time taken does not depend on
    /// which key (if any) matched, nor on how many leading bytes agree.
    fn find(&self, presented: &str) -> Option<usize> {
        let d = digest(presented);
        let mut found = None;
        for (index, key) in self.digests.iter().enumerate() {
            let equal: bool = key.ct_eq(&d).into();
            if equal && found.is_none() {
                found = Some(index);
            }
        }
        found
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Who performed a write, recorded in the activity log: `user` without authentication,
/// `api-key:<n>` (the key's position in the configuration) with it.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Ready<Result<Actor, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let actor = req
            .extensions()
            .get::<Actor>()
            .cloned()
            .unwrap_or_else(|| Actor("user".to_string()));
        ready(Ok(actor))
    }
}

/// Middleware of the `/api` scope: when keys are configured, refuses with 401 every request
/// without a valid bearer key. Whatever reaches it is an API request; it does not look at the
/// path.
pub async fn require_api_key(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Decided before `req` moves on; the key set is borrowed, not copied, per request.
    let verdict = match req.app_data::<web::Data<ApiKeys>>() {
        None => Ok(None),
        Some(keys) if keys.is_empty() => Ok(None),
        Some(keys) => {
            let presented = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            match presented.and_then(|k| keys.find(k)) {
                Some(index) => Ok(Some(index)),
                None => Err(presented.is_some()),
            }
        }
    };
    match verdict {
        Ok(None) => next.call(req).await.map(|r| r.map_into_boxed_body()),
        Ok(Some(index)) => {
            req.extensions_mut()
                .insert(Actor(format!("api-key:{index}")));
            next.call(req).await.map(|r| r.map_into_boxed_body())
        }
        Err(presented) => {
            let message = if presented {
                "invalid API key"
            } else {
                "missing Authorization: Bearer <key> header"
            };
            let error = ApiError::new(StatusCode::UNAUTHORIZED, message);
            Err(error.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_found_by_its_position_and_others_are_not() {
        let keys = ApiKeys::new(&["k1".to_string(), "k2".to_string(), "k1".to_string()]);
        assert_eq!(keys.find("k1"), Some(0));
        assert_eq!(keys.find("k2"), Some(1));
        assert_eq!(keys.find("k3"), None);
        assert_eq!(keys.find(""), None);
        assert!(ApiKeys::new(&[]).is_empty());
    }
}
