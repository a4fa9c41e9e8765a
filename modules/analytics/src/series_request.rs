//! What the three series routes share: their parameters (`companyId`, `agentId`, `from`, `to`,
//! `granularity`, nothing else) and the header of their answers, which says whose series it is
//! and over which buckets.

use crate::clock;
use crate::query_params::reject_unknown;
use crate::scope::{self, Scope};
use crate::window::{Granularity, Window};
use module_sdk::{ModuleContext, Request, Response, Result};
use serde::Serialize;

/// The parameters every series route takes.
pub const SERIES_PARAMS: [&str; 5] = ["companyId", "agentId", "from", "to", "granularity"];

/// The scope and window of a series request (by default the `default_days` before now, in
/// buckets of `default_granularity`); `Ok(Err(response))` is the 403 or 404 to answer.
pub fn of_request(
    ctx: &ModuleContext,
    req: &Request,
    default_granularity: Granularity,
    default_days: i64,
) -> Result<std::result::Result<(Scope, Window), Response>> {
    reject_unknown(req, &SERIES_PARAMS)?;
    let window = Window::of_request(req, clock::now_ms(), default_granularity, default_days)?;
    Ok(scope::of_request(ctx, req)?.map(|scope| (scope, window)))
}

/// The first fields of every series answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesHeader {
    /// The company.
    pub company_id: String,
    /// The agent, when the series is one agent's.
    pub agent_id: Option<String>,
    /// Start of the first bucket (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub from: i64,
    /// End of the last bucket (RFC 3339, exclusive).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub to: i64,
    /// `day` or `week`.
    pub granularity: Granularity,
}

impl SeriesHeader {
    /// The header of `scope`'s series over `window`.
    pub fn new(scope: &Scope, window: &Window) -> SeriesHeader {
        SeriesHeader {
            company_id: scope.company_id.clone(),
            agent_id: scope.agent_id().map(str::to_owned),
            from: window.from,
            to: window.to,
            granularity: window.granularity,
        }
    }
}
