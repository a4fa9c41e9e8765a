//! # Analytics Dashboard
//!
//! Burn-rate trends per agent and company, agent utilisation over time and goal velocity,
//! computed incrementally: each hook event adds to the module's own buckets (per agent and
//! hour, per agent and day, one row per done issue and completed goal) in one transaction per
//! batch, counted once by `eventId`; the series routes read those buckets, never the core's
//! history.
//!
//! | File | What it is |
//! |------|------------|
//! | `lib.rs` | the module type and `register` |
//! | `config.rs` | `modules.config.analytics` |
//! | `hooks.rs` | the batch hook handler |
//! | `events.rs` | hook payloads → facts with their times |
//! | `ingest.rs` | a batch written into the buckets, idempotent by `eventId` |
//! | `routes.rs` | the route table under `/api/modules/analytics` |
//! | `burn_rate.rs`, `utilisation.rs`, `velocity.rs` | the series |
//! | `companies_route.rs` | `GET /companies` for the UI's picker |
//! | `series_request.rs`, `scope.rs`, `window.rs`, `agent_filter.rs`, `query_params.rs` | request parsing |
//! | `cycle_stats.rs` | count, mean, nearest-rank percentiles |
//! | `clock.rs` | milliseconds, buckets, RFC 3339 |
//! | `retention.rs` | the service that prunes old rows |

#![forbid(unsafe_code)]

mod agent_filter;
mod burn_rate;
mod clock;
mod companies_route;
mod config;
mod cycle_stats;
mod events;
mod hooks;
mod ingest;
mod query_params;
mod retention;
mod routes;
mod scope;
mod series_request;
mod utilisation;
mod velocity;
mod window;

use config::AnalyticsConfig;
use module_sdk::{Module, Registrar, Result};
use std::time::Duration;

/// How often the retention service runs.
const RETENTION_INTERVAL: Duration = Duration::from_secs(3600);

/// The module instance, built by `register` each time the module is enabled.
pub struct Analytics {
    /// The validated config.
    config: AnalyticsConfig,
}

impl Module for Analytics {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        let config: AnalyticsConfig = r.config_as()?;
        r.on_batch_raw(&events::COUNTED_HOOKS, hooks::on_events);
        r.routes(routes::router());
        r.service("retention", RETENTION_INTERVAL, retention::run_retention);
        Ok(Analytics { config })
    }
}

module_sdk::declare_module!(Analytics);
