//! The `retention` service: deletes heartbeat metrics and budget events older than
//! `retentionDays`. The host runs it every `retentionIntervalSeconds`, never twice at once, and
//! stops it when the module is disabled — a disabled module deletes nothing.
//!
//! Running totals (Prometheus counters) and alert rules are kept: they are not time series.

use crate::clock;
use crate::Observability;
use module_sdk::{params, ModuleContext, Result};

/// The tables pruned by time, each with a `recorded_at` column in Unix milliseconds.
pub const PRUNED_TABLES: [&str; 4] = [
    "mod_observability_token_metrics",
    "mod_observability_spend_events",
    "mod_observability_threshold_crossings",
    "mod_observability_issue_status_events",
];

/// One run: deletes every row recorded before now − `retentionDays`.
pub fn run_retention(m: &Observability, ctx: &ModuleContext) -> Result<()> {
    let cutoff = clock::now_ms() - m.config.retention_ms();
    let mut deleted = 0;
    for table in PRUNED_TABLES {
        // The table name is one of the constants above; the cutoff is a parameter.
        deleted += ctx.db().execute(
            &format!("DELETE FROM {table} WHERE recorded_at < $1"),
            &params![cutoff],
        )?;
    }
    if deleted > 0 {
        ctx.log().info(format!(
            "retention deleted {deleted} rows recorded before {} ({} days)",
            clock::to_rfc3339(cutoff),
            m.config.retention_days
        ));
    }
    Ok(())
}
