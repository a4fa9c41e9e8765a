//! `GET /burn-rate?companyId=&agentId=&from=&to=&granularity=day|week`: spend per bucket, in
//! cents, of a company or one of its agents (default: the last 30 days, today included, per day).
//!
//! Spend is every `budget:spend_recorded` the core booked (heartbeat costs and any other cost
//! event: all of it draws on the budget), counted per agent and UTC day as it arrives; the
//! series sums those days, so a request reads at most one row per agent and day.

use crate::agent_filter::agent_clause;
use crate::clock::{self, DAY_MS};
use crate::scope::Scope;
use crate::series_request::{self, SeriesHeader};
use crate::window::{Granularity, Window};
use crate::Analytics;
use module_sdk::{params, ModuleContext, Request, Response, Result};
use serde::Serialize;

/// The answer of `GET /burn-rate`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BurnRate {
    /// Whose series, over which buckets.
    #[serde(flatten)]
    pub series: SeriesHeader,
    /// The unit of every amount: `cents`.
    pub unit: &'static str,
    /// Spend over the window.
    pub total_cents: i64,
    /// `totalCents` divided by the days of the window.
    pub average_per_day_cents: f64,
    /// One point per bucket, oldest first, buckets without spend as zero.
    pub points: Vec<SpendPoint>,
    /// For a company: spend per agent over the window, largest first (agents without spend
    /// left out); empty for one agent.
    pub agents: Vec<AgentSpend>,
}

/// Spend within one bucket.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpendPoint {
    /// Start of the bucket (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub start: i64,
    /// Spend in it, in cents.
    pub spend_cents: i64,
}

/// One agent's spend over the window.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSpend {
    /// The agent.
    pub agent_id: String,
    /// Its name (`null` for an agent deleted since).
    pub name: Option<String>,
    /// Its spend, in cents.
    pub spend_cents: i64,
}

/// Handles `GET /burn-rate`.
pub fn get_burn_rate(_m: &Analytics, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let (scope, window) = match series_request::of_request(ctx, req, Granularity::Day, 29)? {
        Ok(request) => request,
        Err(response) => return Ok(response),
    };
    Ok(Response::ok(&burn_rate(ctx, &scope, window)?))
}

/// The burn rate of `scope` over `window`.
fn burn_rate(ctx: &ModuleContext, scope: &Scope, window: Window) -> Result<BurnRate> {
    let mut params = params![scope.company_id, window.from, window.to];
    let agent = agent_clause(scope, "agent_id", &mut params);
    let rows = ctx.db().query(
        &format!(
            "SELECT day_start, CAST(SUM(spend_cents) AS BIGINT) AS spend_cents \
             FROM mod_analytics_agent_days \
             WHERE company_id = $1 AND day_start >= $2 AND day_start < $3{agent} \
             GROUP BY day_start"
        ),
        &params,
    )?;
    let mut points: Vec<SpendPoint> = window
        .bucket_starts()
        .into_iter()
        .map(|start| SpendPoint {
            start,
            spend_cents: 0,
        })
        .collect();
    let mut total_cents = 0i64;
    for row in &rows {
        let day: i64 = row.get("day_start")?;
        let cents: i64 = row.get("spend_cents")?;
        points[window.bucket_index(day)].spend_cents += cents;
        total_cents += cents;
    }
    let agents = if scope.agent.is_some() {
        Vec::new()
    } else {
        ctx.db()
            .query_as::<AgentSpendRow>(
                "SELECT d.agent_id, a.name, CAST(SUM(d.spend_cents) AS BIGINT) AS spend_cents \
             FROM mod_analytics_agent_days d LEFT JOIN agents a ON a.id = d.agent_id \
             WHERE d.company_id = $1 AND d.day_start >= $2 AND d.day_start < $3 \
             GROUP BY d.agent_id, a.name HAVING SUM(d.spend_cents) > 0 \
             ORDER BY spend_cents DESC, d.agent_id",
                &params![scope.company_id, window.from, window.to],
            )?
            .into_iter()
            .map(|row| AgentSpend {
                agent_id: row.agent_id,
                name: row.name,
                spend_cents: row.spend_cents,
            })
            .collect()
    };
    let days = (window.to - window.from) / DAY_MS;
    Ok(BurnRate {
        series: SeriesHeader::new(scope, &window),
        unit: "cents",
        total_cents,
        average_per_day_cents: total_cents as f64 / days as f64,
        points,
        agents,
    })
}

/// A row of the per-agent query.
#[derive(serde::Deserialize)]
struct AgentSpendRow {
    agent_id: String,
    name: Option<String>,
    spend_cents: i64,
}
