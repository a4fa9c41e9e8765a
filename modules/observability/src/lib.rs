//! # Observability — Paperclip's reference module
//!
//! Records token usage, cost and latency from agent heartbeats, keeps budget events, and serves
//! them as JSON (summary, time series, burn rate, alerts) and in the Prometheus text format.
//! It is the example module authors copy: every file holds one concept.
//!
//! | File | What it is |
//! |------|------------|
//! | `lib.rs` | the module type and `register`: config, hooks, routes, services, listener |
//! | `config.rs` | `modules.config.observability`, as the manifest's `configSchema` describes it |
//! | `hooks.rs` | hook handlers: heartbeat → metric row, budget events, issue transitions |
//! | `ingest_buffer.rs` | frequent rows queued in memory and written in batches |
//! | `agent_directory.rs` | agent → company, cached (filled by `agent:created`) |
//! | `routes.rs` | the route table under `/api/modules/observability` |
//! | `summary.rs`, `series.rs`, `burn_rate.rs` | the usage reports |
//! | `alert_rules.rs`, `alert_metric.rs`, `alerts.rs` | alert rules CRUD and firing alerts |
//! | `prometheus.rs`, `prometheus_listener.rs` | `GET /metrics` and its optional own port |
//! | `retention.rs` | the service that deletes old rows |
//! | `usage.rs`, `usage_filter.rs`, `query_params.rs`, `clock.rs` | shared helpers |
//!
//! Beside `src/`: `paperclip.module.json` (the manifest), `migrations/{sqlite,postgres}/` (the
//! `mod_observability_*` tables) and `ui/index.js` (page and dashboard widget).

#![forbid(unsafe_code)]

mod agent_directory;
mod alert_metric;
mod alert_rules;
mod alerts;
mod burn_rate;
mod clock;
mod config;
mod hooks;
mod ingest_buffer;
mod prometheus;
mod prometheus_listener;
mod query_params;
mod retention;
mod routes;
mod series;
mod summary;
mod usage;
mod usage_filter;

use agent_directory::AgentDirectory;
use config::ObservabilityConfig;
use ingest_buffer::{IngestBuffer, FLUSH_INTERVAL};
use module_sdk::{Module, ModuleContext, Registrar, Result};
use prometheus_listener::PrometheusListener;
use std::sync::{Mutex, PoisonError};

/// The module instance. `register` builds a fresh one each time the module is enabled; handlers
/// get `&Observability`, so anything that changes sits behind a `Mutex`.
pub struct Observability {
    /// The validated config.
    config: ObservabilityConfig,
    /// Agent → company, for rows that store both.
    agents: AgentDirectory,
    /// Metric rows and spend events waiting for the next batch write.
    buffer: IngestBuffer,
    /// The Prometheus listener, when `enablePrometheus` is set; taken and stopped in `shutdown`.
    prometheus: Mutex<Option<PrometheusListener>>,
}

impl Module for Observability {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        // The host already checked the config against `configSchema` and applied its defaults.
        let config: ObservabilityConfig = r.config_as()?;

        // Hooks: the payload type of each handler picks the hook; all are in the manifest.
        r.on(hooks::on_heartbeat)
            .on(hooks::on_spend_recorded)
            .on(hooks::on_threshold_crossed)
            .on(hooks::on_agent_created)
            .on(hooks::on_issue_status_changed);

        r.routes(routes::router());

        // Writes the rows the hooks queued, one transaction per interval.
        r.service("flush", FLUSH_INTERVAL, |m: &Self, ctx: &ModuleContext| {
            m.buffer.flush(ctx);
            Ok(())
        });
        r.service(
            "retention",
            config.retention_interval(),
            retention::run_retention,
        );

        // Started last: if anything above had failed, no thread would be left running.
        let prometheus = if config.enable_prometheus {
            let listener = PrometheusListener::start(
                r.ctx().clone(),
                &config.prometheus_host,
                config.prometheus_port,
            )?;
            r.log().info(format!(
                "serving Prometheus metrics on http://{}/metrics",
                listener.address()
            ));
            Some(listener)
        } else {
            None
        };

        Ok(Observability {
            config,
            agents: AgentDirectory::default(),
            buffer: IngestBuffer::default(),
            prometheus: Mutex::new(prometheus),
        })
    }

    fn shutdown(&self, ctx: &ModuleContext) {
        // The services have stopped; write what the last hooks queued, so a disable loses nothing.
        self.buffer.flush(ctx);
        let listener = self
            .prometheus
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(mut listener) = listener {
            listener.stop();
            ctx.log().info(format!(
                "stopped the Prometheus listener on {}",
                listener.address()
            ));
        }
    }
}

module_sdk::declare_module!(Observability);
