//! `GET /burn-rate?agentId=…` or `?companyId=…` (`&windowDays=7`): how fast an agent or a
//! company spends, and when its monthly budget runs out at that pace.
//!
//! Cost comes from `budget:spend_recorded` events — every spend the core books, from heartbeats
//! and other cost events alike, since all of it draws on the budget. Tokens come from heartbeat
//! metrics. Both are averaged over the whole window, so a module enabled yesterday reads low
//! rather than wildly high.

use crate::clock::{self, DAY_MS};
use crate::query_params::{integer_in, optional, reject_unknown};
use crate::Observability;
use chrono::{Datelike, TimeZone, Utc};
use module_sdk::{params, Error, ModuleContext, Request, Response, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The answer of `GET /burn-rate`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BurnRate {
    /// `agent` or `company`.
    pub scope: &'static str,
    /// The agent, for the agent scope.
    pub agent_id: Option<String>,
    /// The company (of the agent, for the agent scope).
    pub company_id: String,
    /// Length of the window the rates average over.
    pub window_days: i64,
    /// Start of the window (RFC 3339); it ends now.
    #[serde(serialize_with = "clock::serialize_ms")]
    pub since: i64,
    /// Spend within the window, in cents.
    pub spent_in_window_cents: i64,
    /// Tokens within the window.
    pub tokens_in_window: i64,
    /// Average spend per day over the window, in cents.
    pub cost_per_day_cents: f64,
    /// Average tokens per day over the window.
    pub tokens_per_day: f64,
    /// Monthly budget (summed over the company's agents for the company scope).
    pub budget_monthly_cents: i64,
    /// Spend this month.
    pub spent_monthly_cents: i64,
    /// Budget left this month (never negative).
    pub remaining_cents: i64,
    /// Days until the remaining budget is spent at `costPerDayCents`; `0` when it already is,
    /// `null` without a budget or without spend.
    pub days_until_exhausted: Option<f64>,
    /// When that happens (RFC 3339), or `null`.
    pub exhausts_at: Option<String>,
    /// Spend and tokens per UTC day touching the window, oldest first, days without any as zero.
    pub daily: Vec<DailyBurn>,
    /// Budget thresholds (80, 90, 100 %) crossed this month, oldest first.
    pub thresholds_crossed: Vec<ThresholdCrossing>,
}

/// One UTC day of the window.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DailyBurn {
    /// Start of the day (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub day: i64,
    /// Spend that day, in cents.
    pub cost_cents: i64,
    /// Tokens that day.
    pub tokens: i64,
}

/// One `budget:threshold_crossed` event.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct ThresholdCrossing {
    /// The agent.
    pub agent_id: String,
    /// The threshold crossed (80, 90 or 100).
    pub percent: f64,
    /// The budget then, in cents.
    pub budget_cents: i64,
    /// The spend then, in cents.
    pub spent_cents: i64,
    /// When (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub recorded_at: i64,
}

/// Whose burn rate: one agent or a whole company. `column` is the matching column of the
/// module's tables — chosen here from two fixed names, never taken from the request.
struct Scope {
    name: &'static str,
    column: &'static str,
    id: String,
    agent_id: Option<String>,
    company_id: String,
    budget_cents: i64,
    spent_cents: i64,
}

/// Handles `GET /burn-rate`.
pub fn get_burn_rate(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    reject_unknown(req, &["agentId", "companyId", "windowDays"])?;
    let window_days = integer_in(req, "windowDays", 1, 90, 7)?;
    let scope = match (optional(req, "agentId"), optional(req, "companyId")) {
        (Some(agent_id), None) => agent_scope(ctx, agent_id)?,
        (None, Some(company_id)) => company_scope(ctx, company_id)?,
        _ => {
            return Err(Error::bad_request(
                "give exactly one of `agentId` and `companyId`",
            ))
        }
    };
    let Some(scope) = scope else {
        return Ok(Response::error(404, "no such agent or company"));
    };

    let now = clock::now_ms();
    let since = now - window_days * DAY_MS;
    let first_day = since / DAY_MS * DAY_MS;
    let mut daily: BTreeMap<i64, DailyBurn> = (first_day..=now)
        .step_by(DAY_MS as usize)
        .map(|day| {
            (
                day,
                DailyBurn {
                    day,
                    ..DailyBurn::default()
                },
            )
        })
        .collect();

    let column = scope.column;
    let spend_rows = ctx.db().query(
        &format!(
            "SELECT (recorded_at / $1) * $1 AS day_start, \
             CAST(SUM(amount_cents) AS BIGINT) AS cost_cents, \
             CAST(SUM(CASE WHEN recorded_at >= $3 THEN amount_cents ELSE 0 END) AS BIGINT) AS in_window \
             FROM mod_observability_spend_events \
             WHERE {column} = $2 AND recorded_at >= $4 \
             GROUP BY (recorded_at / $1) * $1"
        ),
        &params![DAY_MS, scope.id, since, first_day],
    )?;
    let mut spent_in_window = 0;
    for row in &spend_rows {
        let day = daily.entry(row.get("day_start")?).or_default();
        day.cost_cents = row.get("cost_cents")?;
        spent_in_window += row.get::<i64>("in_window")?;
    }

    let token_rows = ctx.db().query(
        &format!(
            "SELECT (recorded_at / $1) * $1 AS day_start, \
             CAST(SUM(tokens_used) AS BIGINT) AS tokens, \
             CAST(SUM(CASE WHEN recorded_at >= $3 THEN tokens_used ELSE 0 END) AS BIGINT) AS in_window \
             FROM mod_observability_token_metrics \
             WHERE {column} = $2 AND recorded_at >= $4 \
             GROUP BY (recorded_at / $1) * $1"
        ),
        &params![DAY_MS, scope.id, since, first_day],
    )?;
    let mut tokens_in_window = 0;
    for row in &token_rows {
        let day = daily.entry(row.get("day_start")?).or_default();
        day.tokens = row.get("tokens")?;
        tokens_in_window += row.get::<i64>("in_window")?;
    }

    let thresholds_crossed = ctx.db().query_as::<ThresholdCrossing>(
        &format!(
            "SELECT agent_id, percent, budget_cents, spent_cents, recorded_at \
             FROM mod_observability_threshold_crossings \
             WHERE {column} = $1 AND recorded_at >= $2 ORDER BY recorded_at, percent"
        ),
        &params![scope.id, month_start(now)],
    )?;

    let cost_per_day = spent_in_window as f64 / window_days as f64;
    let remaining = (scope.budget_cents - scope.spent_cents).max(0);
    let days_until_exhausted = days_until_exhausted(scope.budget_cents, remaining, cost_per_day);
    Ok(Response::ok(&BurnRate {
        scope: scope.name,
        agent_id: scope.agent_id,
        company_id: scope.company_id,
        window_days,
        since,
        spent_in_window_cents: spent_in_window,
        tokens_in_window,
        cost_per_day_cents: cost_per_day,
        tokens_per_day: tokens_in_window as f64 / window_days as f64,
        budget_monthly_cents: scope.budget_cents,
        spent_monthly_cents: scope.spent_cents,
        remaining_cents: remaining,
        days_until_exhausted,
        exhausts_at: days_until_exhausted
            .map(|days| clock::to_rfc3339(now + (days * DAY_MS as f64) as i64)),
        daily: daily.into_values().collect(),
        thresholds_crossed,
    }))
}

fn agent_scope(ctx: &ModuleContext, agent_id: String) -> Result<Option<Scope>> {
    Ok(ctx.core().agent(&agent_id)?.map(|agent| Scope {
        name: "agent",
        column: "agent_id",
        id: agent.id.clone(),
        agent_id: Some(agent.id),
        company_id: agent.company_id,
        budget_cents: agent.budget_monthly_cents,
        spent_cents: agent.spent_monthly_cents,
    }))
}

fn company_scope(ctx: &ModuleContext, company_id: String) -> Result<Option<Scope>> {
    let exists = ctx
        .db()
        .query_opt(
            "SELECT id FROM companies WHERE id = $1",
            &params![company_id],
        )?
        .is_some();
    if !exists {
        return Ok(None);
    }
    let agents = ctx.core().agents(Some(&company_id))?;
    Ok(Some(Scope {
        name: "company",
        column: "company_id",
        id: company_id.clone(),
        agent_id: None,
        budget_cents: agents.iter().map(|a| a.budget_monthly_cents).sum(),
        spent_cents: agents.iter().map(|a| a.spent_monthly_cents).sum(),
        company_id,
    }))
}

/// Days until `remaining` is spent at `per_day`: `0` when nothing remains, `None` without a
/// budget (nothing to exhaust) or without spend (never at this pace).
fn days_until_exhausted(budget: i64, remaining: i64, per_day: f64) -> Option<f64> {
    if budget <= 0 {
        None
    } else if remaining == 0 {
        Some(0.0)
    } else if per_day > 0.0 {
        Some(remaining as f64 / per_day)
    } else {
        None
    }
}

/// Start of the UTC month containing `now_ms`, in Unix milliseconds (budgets are monthly).
fn month_start(now_ms: i64) -> i64 {
    let now = chrono::DateTime::<Utc>::from_timestamp_millis(now_ms).unwrap_or_default();
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .map_or(0, |t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaustion_needs_a_budget_and_a_pace() {
        assert_eq!(days_until_exhausted(0, 0, 10.0), None);
        assert_eq!(days_until_exhausted(1000, 0, 10.0), Some(0.0));
        assert_eq!(days_until_exhausted(1000, 500, 0.0), None);
        assert_eq!(days_until_exhausted(1000, 500, 50.0), Some(10.0));
    }

    #[test]
    fn months_start_at_midnight_utc_on_the_first() {
        let mid_month = clock::parse_rfc3339("2026-02-14T15:30:00Z").unwrap();
        assert_eq!(
            clock::to_rfc3339(month_start(mid_month)),
            "2026-02-01T00:00:00.000Z"
        );
    }
}
