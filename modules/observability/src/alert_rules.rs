//! Alert rules: `GET|POST /alert-rules`, `GET|PATCH|DELETE /alert-rules/:id`.
//!
//! A rule watches one [`AlertMetric`] over a sliding window, for one agent or (without `agentId`)
//! for every agent separately, and fires when the metric exceeds its threshold (see
//! [`crate::alerts`]). Bad input — an unknown agent or metric, a negative threshold, an unknown
//! field — is a 400 naming the problem, and nothing is stored.

use crate::alert_metric::AlertMetric;
use crate::clock;
use crate::query_params::{optional, reject_unknown};
use crate::Observability;
use module_sdk::{params, Error, ModuleContext, Request, Response, Result};
use serde::{Deserialize, Deserializer, Serialize};

/// Longest window a rule may have: 30 days.
pub const MAX_WINDOW_MINUTES: i64 = 30 * 24 * 60;

const SELECT_RULES: &str = "SELECT id, agent_id, metric_name, threshold, window_minutes, \
                            enabled, created_at FROM mod_observability_alert_rules";

/// A stored rule. Deserialized from its row (snake_case columns), serialized camelCase.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct AlertRule {
    /// UUID.
    pub id: String,
    /// The agent watched; `null` watches every agent separately.
    pub agent_id: Option<String>,
    /// One of the [`AlertMetric`] names.
    pub metric_name: String,
    /// The rule fires when the metric is above this.
    pub threshold: i64,
    /// The sliding window the metric is computed over, ending now.
    pub window_minutes: i64,
    /// Disabled rules never fire.
    #[serde(deserialize_with = "sql_bool")]
    pub enabled: bool,
    /// When the rule was created (RFC 3339).
    #[serde(serialize_with = "clock::serialize_ms")]
    pub created_at: i64,
}

/// Body of `POST /alert-rules`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewAlertRule {
    #[serde(default)]
    agent_id: Option<String>,
    metric_name: String,
    threshold: i64,
    #[serde(default = "default_window_minutes")]
    window_minutes: i64,
    #[serde(default = "default_enabled")]
    enabled: bool,
}

/// Body of `PATCH /alert-rules/:id`: only the fields given change; `"agentId": null` makes the
/// rule watch every agent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AlertRulePatch {
    #[serde(default, deserialize_with = "present")]
    agent_id: Option<Option<String>>,
    metric_name: Option<String>,
    threshold: Option<i64>,
    window_minutes: Option<i64>,
    enabled: Option<bool>,
}

fn default_window_minutes() -> i64 {
    60
}

fn default_enabled() -> bool {
    true
}

/// Tells a field given as `null` (`Some(None)`) from a missing one (`None`, via `default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A `BOOLEAN` column: PostgreSQL answers `true`/`false`, SQLite stores `1`/`0`.
fn sql_bool<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SqlBool {
        Bool(bool),
        Int(i64),
    }
    Ok(match SqlBool::deserialize(d)? {
        SqlBool::Bool(b) => b,
        SqlBool::Int(i) => i != 0,
    })
}

/// Checks a rule as it would be stored; the first problem is the error.
fn validate(ctx: &ModuleContext, rule: &AlertRule) -> Result<()> {
    AlertMetric::parse(&rule.metric_name)?;
    if rule.threshold < 0 {
        return Err(Error::bad_request(format!(
            "`threshold` must not be negative, got {}",
            rule.threshold
        )));
    }
    if !(1..=MAX_WINDOW_MINUTES).contains(&rule.window_minutes) {
        return Err(Error::bad_request(format!(
            "`windowMinutes` must be from 1 to {MAX_WINDOW_MINUTES}, got {}",
            rule.window_minutes
        )));
    }
    if let Some(agent_id) = &rule.agent_id {
        if ctx.core().agent(agent_id)?.is_none() {
            return Err(Error::bad_request(format!("unknown agent `{agent_id}`")));
        }
    }
    Ok(())
}

/// Every rule, oldest first (or only those of one agent with `?agentId=`).
pub fn load_rules(ctx: &ModuleContext, agent_id: Option<&str>) -> Result<Vec<AlertRule>> {
    match agent_id {
        Some(agent_id) => ctx.db().query_as(
            &format!("{SELECT_RULES} WHERE agent_id = $1 ORDER BY created_at, id"),
            &params![agent_id],
        ),
        None => ctx
            .db()
            .query_as(&format!("{SELECT_RULES} ORDER BY created_at, id"), &[]),
    }
}

fn load_rule(ctx: &ModuleContext, id: &str) -> Result<Option<AlertRule>> {
    ctx.db()
        .query_opt(&format!("{SELECT_RULES} WHERE id = $1"), &params![id])?
        .map(|row| row.to())
        .transpose()
}

fn not_found(id: &str) -> Response {
    Response::error(404, &format!("no alert rule `{id}`"))
}

/// `GET /alert-rules?agentId=`: `{"items": [rule, …]}`.
pub fn list(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    reject_unknown(req, &["agentId"])?;
    let items = load_rules(ctx, optional(req, "agentId").as_deref())?;
    Ok(Response::ok(&serde_json::json!({ "items": items })))
}

/// `POST /alert-rules`: creates a rule; answers 201 with it.
pub fn create(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let new: NewAlertRule = req.json()?;
    let rule = AlertRule {
        id: uuid::Uuid::now_v7().to_string(),
        agent_id: new.agent_id,
        metric_name: new.metric_name,
        threshold: new.threshold,
        window_minutes: new.window_minutes,
        enabled: new.enabled,
        created_at: clock::now_ms(),
    };
    validate(ctx, &rule)?;
    ctx.db().execute(
        "INSERT INTO mod_observability_alert_rules \
         (id, agent_id, metric_name, threshold, window_minutes, enabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &params![
            rule.id,
            rule.agent_id,
            rule.metric_name,
            rule.threshold,
            rule.window_minutes,
            rule.enabled,
            rule.created_at,
        ],
    )?;
    Ok(Response::json(201, &rule))
}

/// `GET /alert-rules/:id`.
pub fn get(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let id = req.param("id").unwrap_or_default();
    Ok(match load_rule(ctx, id)? {
        Some(rule) => Response::ok(&rule),
        None => not_found(id),
    })
}

/// `PATCH /alert-rules/:id`: changes the given fields; answers the updated rule.
pub fn update(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let id = req.param("id").unwrap_or_default();
    let patch: AlertRulePatch = req.json()?;
    let Some(mut rule) = load_rule(ctx, id)? else {
        return Ok(not_found(id));
    };
    if let Some(agent_id) = patch.agent_id {
        rule.agent_id = agent_id;
    }
    if let Some(metric_name) = patch.metric_name {
        rule.metric_name = metric_name;
    }
    if let Some(threshold) = patch.threshold {
        rule.threshold = threshold;
    }
    if let Some(window_minutes) = patch.window_minutes {
        rule.window_minutes = window_minutes;
    }
    if let Some(enabled) = patch.enabled {
        rule.enabled = enabled;
    }
    validate(ctx, &rule)?;
    ctx.db().execute(
        "UPDATE mod_observability_alert_rules SET agent_id = $1, metric_name = $2, \
         threshold = $3, window_minutes = $4, enabled = $5 WHERE id = $6",
        &params![
            rule.agent_id,
            rule.metric_name,
            rule.threshold,
            rule.window_minutes,
            rule.enabled,
            rule.id,
        ],
    )?;
    Ok(Response::ok(&rule))
}

/// `DELETE /alert-rules/:id`: answers 204.
pub fn delete(_m: &Observability, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let id = req.param("id").unwrap_or_default();
    let deleted = ctx.db().execute(
        "DELETE FROM mod_observability_alert_rules WHERE id = $1",
        &params![id],
    )?;
    Ok(if deleted == 0 {
        not_found(id)
    } else {
        Response::status(204)
    })
}
