//! The SDK's boundary types (`RouteRequest`, `Registration`, `ModuleError`, `LoadError`…) as
//! plain serde data for the socket, with conversions both ways. Nothing is lost in a round trip.

use abi_stable::std_types::{RString, RVec, Tuple2};
use module_sdk::abi::{
    ErrorKind, LoadError, ModuleError, Registration, RouteRequest, RouteResponse, ServiceSpec,
};
use serde::{Deserialize, Serialize};

/// [`RouteRequest`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRouteRequest {
    /// Upper-case HTTP method.
    pub method: String,
    /// Path after the module prefix.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Lower-case header names and their values.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    #[serde(with = "bytes")]
    pub body: Vec<u8>,
}

impl From<&RouteRequest> for WireRouteRequest {
    fn from(request: &RouteRequest) -> Self {
        WireRouteRequest {
            method: request.method.to_string(),
            path: request.path.to_string(),
            query: request.query.to_string(),
            headers: pairs_from_abi(&request.headers),
            body: request.body.to_vec(),
        }
    }
}

impl From<WireRouteRequest> for RouteRequest {
    fn from(request: WireRouteRequest) -> Self {
        RouteRequest {
            method: request.method.into(),
            path: request.path.into(),
            query: request.query.into(),
            headers: pairs_to_abi(request.headers),
            body: RVec::from(request.body),
        }
    }
}

/// [`RouteResponse`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRouteResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    #[serde(with = "bytes")]
    pub body: Vec<u8>,
}

impl From<RouteResponse> for WireRouteResponse {
    fn from(response: RouteResponse) -> Self {
        WireRouteResponse {
            status: response.status,
            headers: pairs_from_abi(&response.headers),
            body: response.body.into_vec(),
        }
    }
}

impl From<WireRouteResponse> for RouteResponse {
    fn from(response: WireRouteResponse) -> Self {
        RouteResponse {
            status: response.status,
            headers: pairs_to_abi(response.headers),
            body: RVec::from(response.body),
        }
    }
}

/// [`Registration`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRegistration {
    /// Hook names subscribed to.
    pub hooks: Vec<String>,
    /// Background services: name and interval in milliseconds.
    pub services: Vec<(String, u64)>,
    /// Whether the module answers routes.
    pub has_routes: bool,
}

impl From<Registration> for WireRegistration {
    fn from(registration: Registration) -> Self {
        WireRegistration {
            hooks: registration
                .hooks
                .into_iter()
                .map(|h| h.into_string())
                .collect(),
            services: registration
                .services
                .into_iter()
                .map(|s| (s.name.into_string(), s.interval_ms))
                .collect(),
            has_routes: registration.has_routes,
        }
    }
}

impl From<WireRegistration> for Registration {
    fn from(registration: WireRegistration) -> Self {
        Registration {
            hooks: registration.hooks.into_iter().map(RString::from).collect(),
            services: registration
                .services
                .into_iter()
                .map(|(name, interval_ms)| ServiceSpec {
                    name: name.into(),
                    interval_ms,
                })
                .collect(),
            has_routes: registration.has_routes,
        }
    }
}

/// [`ModuleError`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireModuleError {
    /// The error kind, as [`ErrorKind`]'s variant.
    pub kind: WireErrorKind,
    /// The message.
    pub message: String,
}

/// [`ErrorKind`] on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireErrorKind {
    /// [`ErrorKind::Panic`].
    Panic,
    /// [`ErrorKind::Failed`].
    Failed,
    /// [`ErrorKind::BadRequest`].
    BadRequest,
    /// [`ErrorKind::NotRegistered`].
    NotRegistered,
    /// [`ErrorKind::NotFound`].
    NotFound,
}

impl From<ModuleError> for WireModuleError {
    fn from(error: ModuleError) -> Self {
        let kind = match error.kind {
            ErrorKind::Panic => WireErrorKind::Panic,
            ErrorKind::Failed => WireErrorKind::Failed,
            ErrorKind::BadRequest => WireErrorKind::BadRequest,
            ErrorKind::NotRegistered => WireErrorKind::NotRegistered,
            ErrorKind::NotFound => WireErrorKind::NotFound,
        };
        WireModuleError {
            kind,
            message: error.message.into_string(),
        }
    }
}

impl From<WireModuleError> for ModuleError {
    fn from(error: WireModuleError) -> Self {
        let kind = match error.kind {
            WireErrorKind::Panic => ErrorKind::Panic,
            WireErrorKind::Failed => ErrorKind::Failed,
            WireErrorKind::BadRequest => ErrorKind::BadRequest,
            WireErrorKind::NotRegistered => ErrorKind::NotRegistered,
            WireErrorKind::NotFound => ErrorKind::NotFound,
        };
        ModuleError::new(kind, error.message)
    }
}

/// [`LoadError`] on the wire: why the runner could not load the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireLoadError {
    /// [`LoadError::Open`].
    Open(String),
    /// [`LoadError::NotAModule`].
    NotAModule(String),
    /// [`LoadError::NoLayout`].
    NoLayout,
    /// [`LoadError::NewerSdk`].
    NewerSdk(String),
    /// [`LoadError::Incompatible`].
    Incompatible(String),
    /// [`LoadError::Init`].
    Init(String),
    /// The loader itself panicked.
    Panicked,
    /// The sandbox could not be set up, so the library was not loaded.
    Sandbox(String),
}

impl From<LoadError> for WireLoadError {
    fn from(error: LoadError) -> Self {
        match error {
            LoadError::Open(e) => WireLoadError::Open(e),
            LoadError::NotAModule(e) => WireLoadError::NotAModule(e),
            LoadError::NoLayout => WireLoadError::NoLayout,
            LoadError::NewerSdk(e) => WireLoadError::NewerSdk(e),
            LoadError::Incompatible(e) => WireLoadError::Incompatible(e),
            LoadError::Init(e) => WireLoadError::Init(e),
        }
    }
}

impl WireLoadError {
    /// The SDK's error it stands for; `None` for the runner's own failures.
    pub fn into_load_error(self) -> Result<LoadError, String> {
        Ok(match self {
            WireLoadError::Open(e) => LoadError::Open(e),
            WireLoadError::NotAModule(e) => LoadError::NotAModule(e),
            WireLoadError::NoLayout => LoadError::NoLayout,
            WireLoadError::NewerSdk(e) => LoadError::NewerSdk(e),
            WireLoadError::Incompatible(e) => LoadError::Incompatible(e),
            WireLoadError::Init(e) => LoadError::Init(e),
            WireLoadError::Panicked => return Err("loading the library panicked".into()),
            WireLoadError::Sandbox(e) => return Err(format!("cannot set up the sandbox: {e}")),
        })
    }
}

fn pairs_from_abi(pairs: &RVec<Tuple2<RString, RString>>) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|pair| (pair.0.to_string(), pair.1.to_string()))
        .collect()
}

fn pairs_to_abi(pairs: Vec<(String, String)>) -> RVec<Tuple2<RString, RString>> {
    pairs
        .into_iter()
        .map(|(name, value)| Tuple2(name.into(), value.into()))
        .collect()
}

/// Byte buffers as one length-prefixed byte string (postcard's `bytes`), not a sequence of
/// single-byte elements.
mod bytes {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        deserializer.deserialize_byte_buf(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::{encode_frame, read_frame};

    #[test]
    fn a_route_request_survives_the_wire() {
        let request = RouteRequest {
            method: "POST".into(),
            path: "/items".into(),
            query: "a=1".into(),
            headers: vec![Tuple2("content-type".into(), "application/json".into())].into(),
            body: RVec::from(vec![0u8, 1, 255, b'{']),
        };
        let bytes = encode_frame(&WireRouteRequest::from(&request)).unwrap();
        let back: WireRouteRequest = read_frame(&mut bytes.as_slice()).unwrap();
        assert_eq!(RouteRequest::from(back), request);
    }

    #[test]
    fn a_registration_and_an_error_survive_the_wire() {
        let registration = Registration {
            hooks: vec![RString::from("agent:created")].into(),
            services: vec![ServiceSpec {
                name: "tick".into(),
                interval_ms: 250,
            }]
            .into(),
            has_routes: true,
        };
        let wire = WireRegistration::from(registration.clone());
        assert_eq!(Registration::from(wire), registration);
        let error = ModuleError::new(ErrorKind::NotFound, "no service x");
        assert_eq!(
            ModuleError::from(WireModuleError::from(error.clone())),
            error
        );
    }
}
