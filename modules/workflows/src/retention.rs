//! The `retention` service: deletes runs older than `runRetentionDays`. Rules are kept. A run
//! is also the record that its rule handled its event; the host's outbox keeps events for
//! redelivery far less long (`modules.outboxRetentionHours`), so pruning never lets an old
//! event fire a rule again.

use crate::clock;
use crate::run_store;
use crate::Workflows;
use module_sdk::{ModuleContext, Result};

/// One run of the service.
pub fn run_retention(m: &Workflows, ctx: &ModuleContext) -> Result<()> {
    let cutoff = clock::now_ms() - m.config.retention_ms();
    let deleted = run_store::prune(ctx, cutoff)?;
    if deleted > 0 {
        ctx.log().info(format!(
            "retention deleted {deleted} runs fired before {}",
            clock::to_rfc3339(cutoff)
        ));
    }
    Ok(())
}
