//! The hook handler: every counted hook (`agent:heartbeat`, `budget:spend_recorded`,
//! `issue:status_changed`, `goal:completed`) in one batch handler, so a batch of mixed events
//! is one transaction (the core emits a heartbeat and its spend in turn).

use crate::events;
use crate::ingest;
use crate::{clock, Analytics};
use module_sdk::{Hook, ModuleContext, Result};
use serde_json::Value;
use std::time::Instant;

/// Counts a batch of events (see [`crate::ingest`]), then paces the next write.
pub fn on_events(_m: &Analytics, ctx: &ModuleContext, batch: Vec<(Hook, Value)>) -> Result<()> {
    let started = Instant::now();
    let count = batch.len();
    let now = clock::now_ms();
    let mut counted = Vec::with_capacity(count);
    for (hook, payload) in batch {
        if let Some(event) = events::parse(ctx, hook, payload, now)? {
            counted.push(event);
        }
    }
    ingest::write(ctx, &counted)?;
    ingest::pace(started, count);
    Ok(())
}
