//! `GET /velocity?companyId=&agentId=&from=&to=&granularity=week|day`: goals completed, issues
//! done, and the cycle time of those issues from `in_progress` to `done` (count, mean, p50 and
//! p90), per week (default: the last 12 weeks, this one included) or day.
//!
//! An issue's cycle starts when it first moves into `in_progress` (moving back to `todo` and
//! into `in_progress` again keeps the first start) and ends when it moves to `done`; a move to
//! `cancelled` drops it. An issue done without having been in progress counts as done, with no
//! cycle time. With `agentId`: the issues assigned to the agent when done, the goals it owns.

use crate::agent_filter::agent_clause;
use crate::clock;
use crate::cycle_stats::CycleStats;
use crate::scope::Scope;
use crate::series_request::{self, SeriesHeader};
use crate::window::{Granularity, Window};
use crate::Analytics;
use module_sdk::{params, ModuleContext, Request, Response, Result};
use serde::Serialize;

/// The answer of `GET /velocity`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Velocity {
    /// Whose series, over which buckets.
    #[serde(flatten)]
    pub series: SeriesHeader,
    /// The unit of cycle times: `ms`.
    pub cycle_time_unit: &'static str,
    /// Goals completed in the window.
    pub goals_completed: i64,
    /// Issues done in the window.
    pub issues_done: i64,
    /// Cycle times of the window's done issues.
    pub cycle_time: CycleStats,
    /// One point per bucket, oldest first.
    pub points: Vec<VelocityPoint>,
}

/// One bucket of velocity.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VelocityPoint {
    /// Start of the bucket (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub start: i64,
    /// Goals completed in it.
    pub goals_completed: i64,
    /// Issues moved to done in it.
    pub issues_done: i64,
    /// Cycle times of those issues.
    pub cycle_time: CycleStats,
}

/// Handles `GET /velocity`.
pub fn get_velocity(_m: &Analytics, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let (scope, window) = match series_request::of_request(ctx, req, Granularity::Week, 11 * 7)? {
        Ok(request) => request,
        Err(response) => return Ok(response),
    };
    Ok(Response::ok(&velocity(ctx, &scope, window)?))
}

/// The velocity of `scope` over `window`.
fn velocity(ctx: &ModuleContext, scope: &Scope, window: Window) -> Result<Velocity> {
    let starts = window.bucket_starts();
    let mut goals = vec![0i64; starts.len()];
    let mut done = vec![0i64; starts.len()];
    let mut cycles: Vec<Vec<i64>> = vec![Vec::new(); starts.len()];

    let mut params = params![scope.company_id, window.from, window.to];
    let agent = agent_clause(scope, "agent_id", &mut params);
    for row in ctx.db().query(
        &format!(
            "SELECT completed_at FROM mod_analytics_goals_completed \
             WHERE company_id = $1 AND completed_at >= $2 AND completed_at < $3{agent}"
        ),
        &params,
    )? {
        goals[window.bucket_index(row.get("completed_at")?)] += 1;
    }
    for row in ctx.db().query(
        &format!(
            "SELECT done_at, cycle_ms FROM mod_analytics_issues_done \
             WHERE company_id = $1 AND done_at >= $2 AND done_at < $3{agent}"
        ),
        &params,
    )? {
        let bucket = window.bucket_index(row.get("done_at")?);
        done[bucket] += 1;
        if let Some(cycle) = row.get::<Option<i64>>("cycle_ms")? {
            cycles[bucket].push(cycle);
        }
    }

    let all_cycles: Vec<i64> = cycles.iter().flatten().copied().collect();
    let points = starts
        .into_iter()
        .zip(goals.iter().zip(&done).zip(cycles))
        .map(|(start, ((goals, done), cycles))| VelocityPoint {
            start,
            goals_completed: *goals,
            issues_done: *done,
            cycle_time: CycleStats::of(cycles),
        })
        .collect();
    Ok(Velocity {
        series: SeriesHeader::new(scope, &window),
        cycle_time_unit: "ms",
        goals_completed: goals.iter().sum(),
        issues_done: done.iter().sum(),
        cycle_time: CycleStats::of(all_cycles),
        points,
    })
}
