//! # Revenue Tracking — income against agent costs
//!
//! Income per company, in integer minor units (cents) with an ISO 4217 currency, comes from
//! Stripe (a signed webhook: paid checkouts and invoices, refunds as negative income) and from
//! manual entries; costs come from the core's `budget:spend_recorded`. The profit and loss
//! (`GET /pnl`) sets them against each other per UTC day, Monday week or month.
//!
//! | File | What it is |
//! |------|------------|
//! | `lib.rs` | the module type and `register`: config, the spend hook, routes, the Stripe webhook |
//! | `config.rs` | `modules.config.revenue`, as the manifest's `configSchema` describes it |
//! | `costs.rs` | the `budget:spend_recorded` batch handler: spend → `mod_revenue_costs` |
//! | `income.rs`, `income_input.rs`, `currency.rs` | an income entry, a manual entry's body, currency codes |
//! | `stripe_event.rs`, `stripe_webhook.rs` | what a Stripe event means; the signed webhook that records it |
//! | `income_store.rs` | the `mod_revenue_income` table |
//! | `income_routes.rs` | `POST`/`GET /income`, `DELETE /income/{id}` |
//! | `day_sums.rs` | income and cost per company and UTC day, kept with every write |
//! | `period.rs`, `pnl.rs`, `pnl_route.rs` | periods, the P&L sums, `GET /pnl` |
//! | `companies.rs`, `companies_route.rs` | a request's company: it exists, the module serves it; the UI's picker |
//! | `routes.rs` | the route table |
//! | `invalid.rs`, `reply.rs`, `query_params.rs`, `clock.rs` | helpers |
//!
//! Beside `src/`: `paperclip.module.json` (the manifest), `migrations/{sqlite,postgres}/` (the
//! `mod_revenue_*` tables) and `ui/index.js` (the Revenue page and the margin widget).

#![forbid(unsafe_code)]

mod clock;
mod companies;
mod companies_route;
mod config;
mod costs;
mod currency;
mod day_sums;
mod income;
mod income_input;
mod income_routes;
mod income_store;
mod invalid;
mod period;
mod pnl;
mod pnl_route;
mod query_params;
mod reply;
mod routes;
mod stripe_event;
mod stripe_webhook;

use config::RevenueConfig;
use module_sdk::{Hook, Module, Registrar, Result};

/// The module instance, built by `register` each time the module is enabled.
pub struct Revenue {
    /// The validated config.
    config: RevenueConfig,
}

impl Module for Revenue {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        // The host already checked the config against `configSchema`, applied its defaults and
        // resolved `$ENV_VAR` values (the Stripe secret among them).
        let mut config: RevenueConfig = r.config_as()?;
        config.check()?;
        // Raw payloads: the row id is the payload's `eventId`, which the typed payload drops.
        r.on_batch_raw(&[Hook::BudgetSpendRecorded], costs::on_spend);
        r.routes(routes::router());
        r.webhook(stripe_webhook::KEY, stripe_webhook::receive);
        Ok(Revenue { config })
    }
}

module_sdk::declare_module!(Revenue);
