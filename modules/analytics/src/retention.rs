//! The `retention` service (hourly): deletes what the series no longer need.
//!
//! - daily buckets, done issues and completed goals older than `retentionDays`;
//! - hourly buckets older than [`HOURLY_KEPT_DAYS`] (they serve `/utilisation/recent`, at most
//!   720 hours back);
//! - counted `eventId`s handled more than [`EVENT_IDS_KEPT_DAYS`] ago (redeliveries come within
//!   seconds; a week also covers a dead letter replayed by an operator).

use crate::clock::{self, DAY_MS};
use crate::Analytics;
use module_sdk::{params, ModuleContext, Result};

/// Days the hourly buckets are kept.
pub const HOURLY_KEPT_DAYS: i64 = 31;
/// Days a counted `eventId` is remembered.
pub const EVENT_IDS_KEPT_DAYS: i64 = 7;

/// Each pruned table with its time column and how many days it keeps (`None`: `retentionDays`).
const PRUNED: [(&str, &str, Option<i64>); 5] = [
    ("mod_analytics_agent_days", "day_start", None),
    ("mod_analytics_issues_done", "done_at", None),
    ("mod_analytics_goals_completed", "completed_at", None),
    (
        "mod_analytics_agent_hours",
        "hour_start",
        Some(HOURLY_KEPT_DAYS),
    ),
    (
        "mod_analytics_events",
        "handled_at",
        Some(EVENT_IDS_KEPT_DAYS),
    ),
];

/// One run of the service.
pub fn run_retention(m: &Analytics, ctx: &ModuleContext) -> Result<()> {
    let now = clock::now_ms();
    let mut deleted = 0;
    for (table, column, days) in PRUNED {
        let cutoff = now - days.unwrap_or(m.config.retention_days) * DAY_MS;
        // Table and column are the constants above; the cutoff is a parameter.
        deleted += ctx.db().execute(
            &format!("DELETE FROM {table} WHERE {column} < $1"),
            &params![cutoff],
        )?;
    }
    if deleted > 0 {
        ctx.log().info(format!(
            "retention deleted {deleted} rows of old buckets and events"
        ));
    }
    Ok(())
}
