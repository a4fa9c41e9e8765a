//! Runs in `mod_workflows_runs`: one per rule that fired for an event.
//!
//! A run is **claimed** before its actions run: the insert is refused by the unique
//! `(rule_id, event_id)` when that rule already handled that event, so an event the host
//! delivers again (at-least-once) never fires a rule twice. The claim is its own statement,
//! committed before the core writes (a module transaction held across them would make the core
//! wait for the module's lock on SQLite); so a crash between the claim and the end leaves the run
//! `running`, and its actions are not retried — at most once per rule and event.

use crate::clock;
use crate::outcome::Outcome;
use crate::rule::Rule;
use crate::served_companies::Companies;
use crate::sql_filter::Where;
use module_sdk::{params, Hook, ModuleContext, Result, Row};
use serde::Serialize;
use serde_json::Value;

/// A run whose actions are under way (or were cut off by a crash).
pub const RUNNING: &str = "running";
/// Every action made its write.
pub const SUCCEEDED: &str = "succeeded";
/// An action failed; the later ones were skipped.
pub const FAILED: &str = "failed";

/// A run as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    /// UUID.
    pub id: String,
    /// The rule that fired.
    pub rule_id: String,
    /// Its name now.
    pub rule_name: String,
    /// The company.
    pub company_id: String,
    /// The trigger event's `eventId`.
    pub event_id: String,
    /// The trigger event's hook.
    pub hook: String,
    /// How many module writes led to the trigger event (`causedBy.depth`, 0 for none).
    pub depth: i64,
    /// `running`, `succeeded` or `failed`.
    pub status: String,
    /// Each action's outcome, in order.
    pub outcomes: Value,
    /// The failed action's error.
    pub error: Option<String>,
    /// When the rule fired.
    #[serde(serialize_with = "clock::serialize_ms")]
    pub fired_at: i64,
    /// When its last action ended.
    #[serde(serialize_with = "clock::serialize_opt_ms")]
    pub finished_at: Option<i64>,
}

impl Run {
    fn from_row(row: &Row) -> Result<Run> {
        let outcomes: String = row.get("outcomes")?;
        Ok(Run {
            id: row.get("id")?,
            rule_id: row.get("rule_id")?,
            rule_name: row.get("rule_name")?,
            company_id: row.get("company_id")?,
            event_id: row.get("event_id")?,
            hook: row.get("hook")?,
            depth: row.get("depth")?,
            status: row.get("status")?,
            outcomes: serde_json::from_str(&outcomes)?,
            error: row.get("error")?,
            fired_at: row.get("fired_at")?,
            finished_at: row.get("finished_at")?,
        })
    }
}

/// Claims the run of `rule` for the event `event_id`; `Ok(None)` when the rule already handled
/// that event, else the new run's id.
pub fn claim(
    ctx: &ModuleContext,
    rule: &Rule,
    hook: Hook,
    event_id: &str,
    depth: i64,
) -> Result<Option<String>> {
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = ctx.db().execute(
        "INSERT INTO mod_workflows_runs \
         (id, rule_id, company_id, event_id, hook, depth, status, outcomes, error, fired_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, '[]', NULL, $8, NULL) \
         ON CONFLICT (rule_id, event_id) DO NOTHING",
        &params![
            id,
            rule.id,
            rule.company_id,
            event_id,
            hook.as_str(),
            depth,
            RUNNING,
            clock::now_ms()
        ],
    )?;
    Ok((inserted > 0).then_some(id))
}

/// Records how the run `id` ended.
pub fn finish(
    ctx: &ModuleContext,
    id: &str,
    outcomes: &[Outcome],
    error: Option<&str>,
) -> Result<()> {
    let status = if error.is_some() { FAILED } else { SUCCEEDED };
    ctx.db().execute(
        "UPDATE mod_workflows_runs SET status = $1, outcomes = $2, error = $3, finished_at = $4 \
         WHERE id = $5",
        &params![
            status,
            serde_json::to_string(outcomes)?,
            error,
            clock::now_ms(),
            id
        ],
    )?;
    Ok(())
}

/// Filters of a run list.
#[derive(Debug, Clone)]
pub struct RunFilter {
    /// Only this rule's runs.
    pub rule_id: Option<String>,
    /// Only these companies' runs.
    pub companies: Companies,
    /// Only runs with this status.
    pub status: Option<String>,
    /// At most this many.
    pub limit: i64,
}

/// Runs matching `filter`, newest first.
pub fn list(ctx: &ModuleContext, filter: &RunFilter) -> Result<Vec<Run>> {
    if filter.companies == Companies::Only(Vec::new()) {
        return Ok(Vec::new()); // The module serves no company.
    }
    let mut filter_sql = Where::default();
    if let Some(rule_id) = &filter.rule_id {
        filter_sql.eq("r.rule_id", rule_id.as_str());
    }
    if let Companies::Only(ids) = &filter.companies {
        filter_sql.one_of("r.company_id", ids);
    }
    if let Some(status) = &filter.status {
        filter_sql.eq("r.status", status.as_str());
    }
    let conditions = filter_sql.sql();
    let limit = filter_sql.bind(filter.limit);
    let sql = format!(
        "SELECT r.id, r.rule_id, w.name AS rule_name, r.company_id, r.event_id, r.hook, r.depth, \
         r.status, r.outcomes, r.error, r.fired_at, r.finished_at \
         FROM mod_workflows_runs r JOIN mod_workflows_rules w ON w.id = r.rule_id{conditions} \
         ORDER BY r.fired_at DESC, r.id DESC LIMIT {limit}"
    );
    ctx.db()
        .query(&sql, &filter_sql.args)?
        .iter()
        .map(Run::from_row)
        .collect()
}

/// Deletes runs that fired before `cutoff` (Unix ms); how many.
pub fn prune(ctx: &ModuleContext, cutoff: i64) -> Result<u64> {
    ctx.db().execute(
        "DELETE FROM mod_workflows_runs WHERE fired_at < $1",
        &params![cutoff],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::TestHost;
    use serde_json::json;

    #[test]
    fn runs_read_from_rows_and_filters_are_parameters() {
        let host = TestHost::new("workflows");
        let ctx = host.context(json!({}));
        host.answer_queries(json!([{
            "id": "run1", "rule_id": "r1", "rule_name": "Follow up", "company_id": "c1",
            "event_id": "e1", "hook": "issue:status_changed", "depth": 0, "status": "failed",
            "outcomes": r#"[{"action":0,"type":"pause_agent","status":"failed","error":"capability agents.pause not granted"}]"#,
            "error": "capability agents.pause not granted", "fired_at": 0, "finished_at": null
        }]));
        let filter = RunFilter {
            rule_id: Some("r1".into()),
            status: Some("failed".into()),
            companies: Companies::All,
            limit: 5,
        };
        let runs = list(&ctx, &filter).unwrap();
        assert_eq!(
            serde_json::to_value(&runs[0]).unwrap(),
            json!({
                "id": "run1", "ruleId": "r1", "ruleName": "Follow up", "companyId": "c1",
                "eventId": "e1", "hook": "issue:status_changed", "depth": 0, "status": "failed",
                "outcomes": [{"action": 0, "type": "pause_agent", "status": "failed", "error": "capability agents.pause not granted"}],
                "error": "capability agents.pause not granted",
                "firedAt": "1970-01-01T00:00:00.000Z", "finishedAt": null
            })
        );
        let call = &host.calls()[0];
        assert!(call.contains("WHERE r.rule_id = $1 AND r.status = $2 ORDER BY r.fired_at DESC, r.id DESC LIMIT $3"), "{call}");
        assert!(call.ends_with(r#"["r1","failed",5]"#), "{call}");
    }
}
