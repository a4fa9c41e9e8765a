//! # Notifications — messages on hook events
//!
//! Channels (generic webhook, Slack- and Discord-compatible webhooks, email over SMTP) per
//! company, each listening to some hooks, with filters on the event's fields and a message
//! template. The hook handler only queues deliveries; a background service sends them with a
//! time limit, retries failures with exponential backoff and keeps a delivery log.
//!
//! | File | What it is |
//! |------|------------|
//! | `lib.rs` | the module type and `register`: config, hooks, routes, services |
//! | `config.rs` | `modules.config.notifications`, as the manifest's `configSchema` describes it |
//! | `hooks.rs` | the batch hook handler: events → queued deliveries |
//! | `event.rs`, `agent_lookup.rs` | an event's company and template context |
//! | `channel.rs`, `channel_kind.rs`, `email_settings.rs` | a channel and its settings |
//! | `channel_input.rs`, `channel_validation.rs` | request bodies, checked field by field |
//! | `channel_store.rs`, `delivery_store.rs` | the `mod_notifications_*` tables |
//! | `filter.rs`, `template.rs`, `json_path.rs`, `default_templates.rs` | matching and messages |
//! | `delivery.rs`, `delivery_service.rs`, `backoff.rs` | the delivery log and the sender service |
//! | `outgoing.rs`, `sender.rs`, `http_send.rs`, `smtp_send.rs`, `secret.rs` | sending |
//! | `routes.rs`, `channel_routes.rs`, `channel_test.rs`, `delivery_routes.rs` | the REST API |
//! | `company_access.rs` | per-company enablement |
//! | `sandbox_hint.rs` | what a send error means at the `process` isolation level |
//! | `retention.rs` | the service that deletes old deliveries |
//! | `field_error.rs`, `reply.rs`, `query_params.rs`, `sql_params.rs`, `sql_values.rs`, `clock.rs` | helpers |
//!
//! Beside `src/`: `paperclip.module.json` (the manifest), `migrations/{sqlite,postgres}/` (the
//! `mod_notifications_*` tables) and `ui/index.js` (the page).

#![forbid(unsafe_code)]

mod agent_lookup;
mod backoff;
mod channel;
mod channel_input;
mod channel_kind;
mod channel_routes;
mod channel_store;
mod channel_test;
mod channel_validation;
mod clock;
mod company_access;
mod config;
mod default_templates;
mod delivery;
mod delivery_routes;
mod delivery_service;
mod delivery_store;
mod email_settings;
mod event;
mod field_error;
mod filter;
mod hooks;
mod http_send;
mod json_path;
mod outgoing;
mod query_params;
mod reply;
mod retention;
mod routes;
mod sandbox_hint;
mod secret;
mod sender;
mod smtp_send;
mod sql_params;
mod sql_values;
mod template;

use config::NotificationsConfig;
use module_sdk::{Hook, Module, Registrar, Result};
use sender::Sender;
use std::time::Duration;

/// The longest a test send from `POST /channels/{id}/test` may take: below the host's limit for
/// a route call (10 s by default).
pub const TEST_SEND_TIMEOUT: Duration = Duration::from_secs(8);

/// The module instance, built by `register` each time the module is enabled.
pub struct Notifications {
    /// The validated config.
    config: NotificationsConfig,
    /// Sends queued deliveries (`sendTimeoutSeconds`).
    sender: Sender,
    /// Sends test messages (at most [`TEST_SEND_TIMEOUT`]).
    test_sender: Sender,
}

impl Module for Notifications {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        // The host already checked the config against `configSchema`, applied its defaults and
        // resolved its `$ENV_VAR` values (the `secrets` among them).
        let config: NotificationsConfig = r.config_as()?;

        // Every hook can be notified on; one batch handler queues the deliveries of all.
        r.on_batch_raw(&Hook::ALL, hooks::on_events);
        r.routes(routes::router());
        r.service(
            "delivery",
            config.delivery_interval(),
            delivery_service::run,
        );
        r.service("retention", retention::INTERVAL, retention::run);

        if sandbox_hint::sandboxed() {
            // The `process` isolation level starts the module with an empty environment.
            r.log().info(
                "the module's environment is empty (process isolation level): channel secrets \
                 given as `$NAME` are read from the config's `secrets` only, and webhook and \
                 SMTP hosts must be given as IP addresses (the sandbox resolves no host names)",
            );
        }

        let sender = Sender::new(config.send_timeout(), config.secrets.clone());
        let test_sender = Sender::new(
            config.send_timeout().min(TEST_SEND_TIMEOUT),
            config.secrets.clone(),
        );
        Ok(Notifications {
            config,
            sender,
            test_sender,
        })
    }
}

module_sdk::declare_module!(Notifications);
