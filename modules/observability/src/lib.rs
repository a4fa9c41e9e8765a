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
//! | `hooks.rs` | batch hook handlers: heartbeat → metric row, budget events, issue transitions |
//! | `ingest.rs` | a batch's rows written in one transaction, idempotent by `eventId` |
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
mod ingest;
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
use module_sdk::{Hook, Module, ModuleContext, Registrar, Result};
use prometheus_listener::PrometheusListener;
use std::sync::{Mutex, PoisonError};

/// The module instance. `register` builds a fresh one each time the module is enabled; handlers
/// get `&Observability`, so anything that changes sits behind a `Mutex`.
pub struct Observability {
    /// The validated config.
    config: ObservabilityConfig,
    /// Agent → company, for rows that store both.
    agents: AgentDirectory,
    /// The Prometheus listener, when `enablePrometheus` is set; taken and stopped in `shutdown`.
    prometheus: Mutex<Option<PrometheusListener>>,
}

impl Module for Observability {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        // The host already checked the config against `configSchema` and applied its defaults.
        let config: ObservabilityConfig = r.config_as()?;

        // Hooks, all listed in the manifest, delivered in batches. The usage hooks share one
        // handler (the core emits heartbeat and spend in turn, and each batch is one
        // transaction); for the others the payload type of the handler picks the hook.
        r.on_batch_raw(&hooks::USAGE_HOOKS, hooks::on_usage_events)
            .on_batch(hooks::on_agents_created)
            .on_batch_raw(&[Hook::IssueStatusChanged], hooks::on_issue_status_changes);

        r.routes(routes::router());

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
            prometheus: Mutex::new(prometheus),
        })
    }

    fn shutdown(&self, ctx: &ModuleContext) {
        // No rows to write here: each hook batch is written before its handler returns.
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
