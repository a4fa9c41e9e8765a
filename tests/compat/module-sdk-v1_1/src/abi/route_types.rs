//! HTTP requests and responses as they cross the boundary.

use abi_stable::{
    std_types::{RString, RVec, Tuple2},
    StableAbi,
};

/// An HTTP request for a module route.
/// Produced by the host (from the request under `/api/modules/<prefix>/…`); consumed by the
/// module's `handle_route`.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct RouteRequest {
    /// Upper-case HTTP method (`GET`, `POST`, …).
    pub method: RString,
    /// The path after the module prefix, starting with `/` (`/` for the prefix itself).
    pub path: RString,
    /// The raw query string, without the leading `?` (empty when absent).
    pub query: RString,
    /// Request headers as (name, value) pairs; names are lower-case.
    pub headers: RVec<Tuple2<RString, RString>>,
    /// The raw request body.
    pub body: RVec<u8>,
}

/// An HTTP response from a module route.
/// Produced by the module; consumed by the host, which sends it to the client.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct RouteResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers as (name, value) pairs.
    pub headers: RVec<Tuple2<RString, RString>>,
    /// The raw response body.
    pub body: RVec<u8>,
}
