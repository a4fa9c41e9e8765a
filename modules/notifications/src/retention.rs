//! The `retention` service: deletes sent and failed deliveries older than
//! `deliveryRetentionDays`, hourly. Pending deliveries are kept whatever their age.

use crate::clock;
use crate::delivery_store;
use crate::Notifications;
use module_sdk::{ModuleContext, Result};
use std::time::Duration;

/// How often the service runs.
pub const INTERVAL: Duration = Duration::from_secs(3600);

/// One run.
pub fn run(m: &Notifications, ctx: &ModuleContext) -> Result<()> {
    let deleted = delivery_store::prune(ctx, clock::now_ms() - m.config.retention_ms())?;
    if deleted > 0 {
        ctx.log().info(format!(
            "retention deleted {deleted} deliveries older than {} days",
            m.config.delivery_retention_days
        ));
    }
    Ok(())
}
