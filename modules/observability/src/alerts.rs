//! `GET /alerts`: the alerts firing now — every enabled rule whose metric, over the rule's window
//! ending now, is above its threshold, once per agent that exceeds it.
//!
//! Alerts are computed on request rather than stored: a rule fires exactly as long as its
//! condition holds, and there is no state to get out of step with the data.

use crate::alert_metric::AlertMetric;
use crate::alert_rules::{load_rules, AlertRule};
use crate::clock;
use crate::query_params::{optional, reject_unknown};
use crate::usage_filter::UsageFilter;
use crate::Observability;
use module_sdk::{ModuleContext, Request, Response, Result};
use serde::Serialize;

/// One firing alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiredAlert {
    /// The rule that fired.
    pub rule_id: String,
    /// The agent whose metric exceeds the threshold.
    pub agent_id: String,
    /// Its name.
    pub agent_name: Option<String>,
    /// The metric.
    pub metric_name: String,
    /// The metric's value over the window.
    pub value: f64,
    /// The rule's threshold.
    pub threshold: i64,
    /// The rule's window.
    pub window_minutes: i64,
    /// Start of the window (RFC 3339); it ends now.
    #[serde(serialize_with = "clock::serialize_ms")]
    pub since: i64,
}

/// Every alert firing now, rule by rule (oldest rule first), agents in id order.
pub fn fired_alerts(ctx: &ModuleContext, agent_id: Option<&str>) -> Result<Vec<FiredAlert>> {
    let now = clock::now_ms();
    let mut fired = Vec::new();
    for rule in load_rules(ctx, None)? {
        if !rule.enabled {
            continue;
        }
        let watched = rule.agent_id.as_deref().or(agent_id);
        if let (Some(rule_agent), Some(wanted)) = (rule.agent_id.as_deref(), agent_id) {
            if rule_agent != wanted {
                continue;
            }
        }
        fired.extend(evaluate(ctx, &rule, watched, now)?);
    }
    Ok(fired)
}

/// The agents for which `rule` fires at `now` (only `agent_id`, when given).
fn evaluate(
    ctx: &ModuleContext,
    rule: &AlertRule,
    agent_id: Option<&str>,
    now: i64,
) -> Result<Vec<FiredAlert>> {
    let metric = AlertMetric::parse(&rule.metric_name)?;
    let since = now - rule.window_minutes * 60_000;
    let filter = UsageFilter {
        agent_id: agent_id.map(str::to_owned),
        since: Some(since),
        ..UsageFilter::default()
    };
    let mut params = Vec::new();
    let where_clause = filter.where_clause(&mut params);
    // `metric.sql()` is one of four fixed aggregates; the values are parameters.
    let sql = format!(
        "SELECT m.agent_id, a.name AS agent_name, {} AS value \
         FROM mod_observability_token_metrics m LEFT JOIN agents a ON a.id = m.agent_id \
         {where_clause} GROUP BY m.agent_id, a.name ORDER BY m.agent_id",
        metric.sql()
    );
    let rows = ctx.db().query(&sql, &params)?;
    let mut fired = Vec::new();
    for row in rows {
        // AVG over heartbeats without latency is NULL: nothing to compare.
        let Some(value) = row.get::<Option<f64>>("value")? else {
            continue;
        };
        if value > rule.threshold as f64 {
            fired.push(FiredAlert {
                rule_id: rule.id.clone(),
                agent_id: row.get("agent_id")?,
                agent_name: row.get("agent_name")?,
                metric_name: rule.metric_name.clone(),
                value,
                threshold: rule.threshold,
                window_minutes: rule.window_minutes,
                since,
            });
        }
    }
    Ok(fired)
}

/// Handles `GET /alerts?agentId=`: `{"items": [alert, …]}`.
pub fn get_alerts(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    reject_unknown(req, &["agentId"])?;
    let items = fired_alerts(ctx, optional(req, "agentId").as_deref())?;
    Ok(Response::ok(&serde_json::json!({ "items": items })))
}
