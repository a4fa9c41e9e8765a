//! Agent utilisation: the share of an agent's time that has a heartbeat.
//!
//! **Definition.** Time is cut into UTC hours. An agent is *active* in an hour that holds at
//! least one of its heartbeats. Over a span of hours, an agent's *possible hours* are the hours
//! of the span from the hour it was created up to the current hour (included; hours to come
//! are not possible yet); its utilisation is active hours / possible hours. A company's
//! utilisation is the sum of its agents' active hours over the sum of their possible hours
//! (agents deleted since are left out of both).
//!
//! - `GET /utilisation?companyId=&agentId=&from=&to=&granularity=day|week` — per UTC day (or
//!   week), default the last 30 days (today included) per day;
//! - `GET /utilisation/recent?companyId=&agentId=&hours=24` — the last N hours (1 to 720,
//!   ending with the current hour), per agent.
//!
//! Active hours come from the module's buckets (`mod_analytics_agent_days.active_hours`, and
//! `mod_analytics_agent_hours` for the recent window), filled as heartbeats arrive; only the
//! list of the company's agents (for their creation times) comes from the core.

use crate::agent_filter::agent_clause;
use crate::clock::{self, DAY_MS, HOUR_MS};
use crate::query_params::{integer_in, reject_unknown};
use crate::scope::{self, Scope};
use crate::series_request::{self, SeriesHeader};
use crate::window::Granularity;
use crate::Analytics;
use module_sdk::{params, ModuleContext, Request, Response, Result};
use serde::Serialize;
use std::collections::HashMap;

/// Longest `hours` of `/utilisation/recent` (the hourly buckets are kept a little longer).
pub const MAX_RECENT_HOURS: i64 = 720;

/// The answer of `GET /utilisation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Utilisation {
    /// Whose series, over which buckets.
    #[serde(flatten)]
    pub series: SeriesHeader,
    /// The unit of `utilisation`: a `ratio` from 0 to 1.
    pub unit: &'static str,
    /// Over the whole window.
    pub active_hours: i64,
    /// Over the whole window.
    pub possible_hours: i64,
    /// `activeHours / possibleHours`, `null` when no hour was possible.
    pub utilisation: Option<f64>,
    /// One point per bucket, oldest first.
    pub points: Vec<UtilisationPoint>,
}

/// Utilisation within one bucket.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UtilisationPoint {
    /// Start of the bucket (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub start: i64,
    /// Agent-hours with a heartbeat.
    pub active_hours: i64,
    /// Agent-hours that could have had one.
    pub possible_hours: i64,
    /// `activeHours / possibleHours`, `null` when no hour was possible (a bucket to come).
    pub utilisation: Option<f64>,
}

/// The answer of `GET /utilisation/recent`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentUtilisation {
    /// The company.
    pub company_id: String,
    /// The agent, when one was asked for.
    pub agent_id: Option<String>,
    /// N: the window is the last N hours, ending with the current one.
    pub hours: i64,
    /// Start of the window (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub since: i64,
    /// The unit of `utilisation`: a `ratio` from 0 to 1.
    pub unit: &'static str,
    /// Sum over the agents.
    pub active_hours: i64,
    /// Sum over the agents.
    pub possible_hours: i64,
    /// `activeHours / possibleHours`, `null` when no hour was possible.
    pub utilisation: Option<f64>,
    /// Each agent, most utilised first.
    pub agents: Vec<AgentUtilisation>,
}

/// One agent over the recent window.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentUtilisation {
    /// The agent.
    pub agent_id: String,
    /// Its name.
    pub name: String,
    /// Hours with a heartbeat.
    pub active_hours: i64,
    /// Hours since its creation within the window.
    pub possible_hours: i64,
    /// `activeHours / possibleHours`, `null` when no hour was possible.
    pub utilisation: Option<f64>,
}

/// An agent counted in a utilisation: its id, name and the start of the hour it was created in.
struct Counted {
    id: String,
    name: String,
    first_hour: i64,
}

/// The agents a scope counts: the one agent, or the company's current agents.
fn counted_agents(ctx: &ModuleContext, scope: &Scope) -> Result<Vec<Counted>> {
    let agents = match &scope.agent {
        Some(agent) => vec![agent.clone()],
        None => ctx.core().agents(Some(&scope.company_id))?,
    };
    Ok(agents
        .into_iter()
        .map(|agent| Counted {
            first_hour: clock::parse_rfc3339(&agent.created_at)
                .map(clock::hour_start)
                .unwrap_or(0),
            id: agent.id,
            name: agent.name,
        })
        .collect())
}

/// The hours of `[from, to)` an agent whose first hour is `first_hour` could be active in,
/// up to the end of the current hour.
fn possible_hours(first_hour: i64, from: i64, to: i64, now: i64) -> i64 {
    let start = from.max(first_hour);
    let end = to.min(clock::hour_start(now) + HOUR_MS);
    ((end - start) / HOUR_MS).max(0)
}

/// `active / possible`, `None` when nothing was possible.
fn ratio(active: i64, possible: i64) -> Option<f64> {
    (possible > 0).then(|| active as f64 / possible as f64)
}

/// Handles `GET /utilisation`.
pub fn get_utilisation(_m: &Analytics, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let (scope, window) = match series_request::of_request(ctx, req, Granularity::Day, 29)? {
        Ok(request) => request,
        Err(response) => return Ok(response),
    };
    let now = clock::now_ms();
    let agents = counted_agents(ctx, &scope)?;
    let mut params = params![scope.company_id, window.from, window.to];
    let agent = agent_clause(&scope, "d.agent_id", &mut params);
    // Joined with the core's agents: active hours of agents deleted since are left out, as
    // their possible hours are.
    let rows = ctx.db().query(
        &format!(
            "SELECT d.day_start, CAST(SUM(d.active_hours) AS BIGINT) AS active_hours \
             FROM mod_analytics_agent_days d JOIN agents a ON a.id = d.agent_id \
             WHERE d.company_id = $1 AND d.day_start >= $2 AND d.day_start < $3{agent} \
             GROUP BY d.day_start"
        ),
        &params,
    )?;
    let width = window.granularity.width_ms();
    let mut points: Vec<UtilisationPoint> = window
        .bucket_starts()
        .into_iter()
        .map(|start| {
            let possible = agents
                .iter()
                .map(|a| possible_hours(a.first_hour, start, start + width, now))
                .sum();
            UtilisationPoint {
                start,
                active_hours: 0,
                possible_hours: possible,
                utilisation: None,
            }
        })
        .collect();
    for row in &rows {
        let day: i64 = row.get("day_start")?;
        points[window.bucket_index(day)].active_hours += row.get::<i64>("active_hours")?;
    }
    for point in &mut points {
        point.utilisation = ratio(point.active_hours, point.possible_hours);
    }
    let active_hours = points.iter().map(|p| p.active_hours).sum();
    let possible_hours = points.iter().map(|p| p.possible_hours).sum();
    Ok(Response::ok(&Utilisation {
        series: SeriesHeader::new(&scope, &window),
        unit: "ratio",
        active_hours,
        possible_hours,
        utilisation: ratio(active_hours, possible_hours),
        points,
    }))
}

/// Handles `GET /utilisation/recent`.
pub fn get_recent(_m: &Analytics, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    reject_unknown(req, &["companyId", "agentId", "hours"])?;
    let hours = integer_in(req, "hours", 1, MAX_RECENT_HOURS, 24)?;
    let scope = match scope::of_request(ctx, req)? {
        Ok(scope) => scope,
        Err(response) => return Ok(response),
    };
    let now = clock::now_ms();
    let since = clock::hour_start(now) - (hours - 1) * HOUR_MS;
    let until = clock::hour_start(now) + HOUR_MS;
    // Whole days of the window from the daily buckets, the partial first day and today from
    // the hourly ones: the rows read grow with the days, not the hours, of the window.
    let today = clock::day_start(now);
    let first_full_day = (clock::day_start(since - 1) + DAY_MS).min(today);
    let mut params = params![scope.company_id, since, first_full_day, today];
    let agent = agent_clause(&scope, "agent_id", &mut params);
    let hourly = ctx.db().query(
        &format!(
            "SELECT agent_id, COUNT(*) AS active_hours FROM mod_analytics_agent_hours \
             WHERE company_id = $1 AND hour_start >= $2 \
             AND (hour_start < $3 OR hour_start >= $4){agent} GROUP BY agent_id"
        ),
        &params,
    )?;
    let mut params = params![scope.company_id, first_full_day, today];
    let agent = agent_clause(&scope, "agent_id", &mut params);
    let daily = ctx.db().query(
        &format!(
            "SELECT agent_id, CAST(SUM(active_hours) AS BIGINT) AS active_hours \
             FROM mod_analytics_agent_days \
             WHERE company_id = $1 AND day_start >= $2 AND day_start < $3{agent} \
             GROUP BY agent_id"
        ),
        &params,
    )?;
    let mut active: HashMap<String, i64> = HashMap::new();
    for row in hourly.iter().chain(&daily) {
        *active.entry(row.get("agent_id")?).or_default() += row.get::<i64>("active_hours")?;
    }
    let mut agents: Vec<AgentUtilisation> = counted_agents(ctx, &scope)?
        .into_iter()
        .map(|a| {
            let active_hours = active.get(&a.id).copied().unwrap_or(0);
            let possible = possible_hours(a.first_hour, since, until, now);
            AgentUtilisation {
                utilisation: ratio(active_hours, possible),
                agent_id: a.id,
                name: a.name,
                active_hours,
                possible_hours: possible,
            }
        })
        .collect();
    agents.sort_by(|a, b| {
        b.utilisation
            .unwrap_or(0.0)
            .total_cmp(&a.utilisation.unwrap_or(0.0))
            .then_with(|| a.name.cmp(&b.name))
    });
    let active_hours = agents.iter().map(|a| a.active_hours).sum();
    let possible = agents.iter().map(|a| a.possible_hours).sum();
    Ok(Response::ok(&RecentUtilisation {
        company_id: scope.company_id.clone(),
        agent_id: scope.agent_id().map(str::to_owned),
        hours,
        since,
        unit: "ratio",
        active_hours,
        possible_hours: possible,
        utilisation: ratio(active_hours, possible),
        agents,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn possible_hours_start_at_creation_and_end_with_the_current_hour() {
        let day = 100 * DAY_MS;
        let now = day + 5 * HOUR_MS + 10;
        // Created long ago: the day's hours up to and including the current one.
        assert_eq!(possible_hours(0, day, day + DAY_MS, now), 6);
        // A past day: all 24.
        assert_eq!(possible_hours(0, day - DAY_MS, day, now), 24);
        // Created at 03:xx: hours 3, 4 and 5.
        assert_eq!(possible_hours(day + 3 * HOUR_MS, day, day + DAY_MS, now), 3);
        // A day to come: none.
        assert_eq!(possible_hours(0, day + DAY_MS, day + 2 * DAY_MS, now), 0);
        assert_eq!(ratio(3, 0), None);
        assert_eq!(ratio(3, 6), Some(0.5));
    }
}
