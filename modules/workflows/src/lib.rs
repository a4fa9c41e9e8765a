//! # Workflow Automation — rules that act on events
//!
//! A rule belongs to a company and says: when this hook fires (e.g. `issue:status_changed`)
//! and these conditions hold on its payload (`to` `eq` `"done"`), do these actions (create a
//! follow-up issue titled `"Follow up on {{issue.identifier}}: {{issue.title}}"`). Actions are
//! core writes made through the host — `issues.create`, `issues.update`, `agents.pause`,
//! `agents.resume` — each needing the capability the operator granted, logged in the activity
//! as `module:workflows`, and each event they cause carries its cause, so rules that trigger
//! each other stop at the host's causation depth limit.
//!
//! | File | What it is |
//! |------|------------|
//! | `lib.rs` | the module type and `register`: hooks, routes, the retention service |
//! | `config.rs` | `modules.config.workflows` |
//! | `trigger_hooks.rs` | the hooks that can trigger a rule and their payloads' fields |
//! | `field_path.rs`, `condition.rs`, `template.rs` | conditions and `{{field}}` templates |
//! | `action.rs`, `planned_write.rs`, `outcome.rs` | actions, the core writes they render to, what they did |
//! | `rule.rs`, `rule_input.rs`, `json_fields.rs`, `invalid.rs` | rules and reading them from requests, naming bad fields |
//! | `references.rs` | checks against the database: company enabled, literal ids in it |
//! | `rule_store.rs`, `run_store.rs`, `sql_filter.rs` | the `mod_workflows_*` tables |
//! | `event_company.rs`, `hook_index.rs`, `engine.rs` | an event's company; hooks with rules; firing the matching rules |
//! | `routes.rs` and `*_route(s).rs`, `rule_test.rs`, `query_params.rs`, `served_companies.rs` | the REST API |
//! | `retention.rs`, `clock.rs` | pruning old runs; times |
//!
//! Beside `src/`: `paperclip.module.json` (the manifest), `migrations/{sqlite,postgres}/` and
//! `ui/index.js` (the Workflows page).

#![forbid(unsafe_code)]

mod action;
mod catalog_route;
mod clock;
mod companies_route;
mod condition;
mod config;
mod engine;
mod event_company;
#[cfg(test)]
mod fake_host;
mod field_path;
mod hook_index;
mod invalid;
mod json_fields;
mod outcome;
mod planned_write;
mod query_params;
mod references;
mod retention;
mod routes;
mod rule;
mod rule_input;
mod rule_store;
mod rule_test;
mod rules_routes;
mod run_store;
mod runs_routes;
mod served_companies;
mod sql_filter;
mod template;
mod trigger_hooks;

use config::WorkflowsConfig;
use hook_index::HookIndex;
use module_sdk::{Module, Registrar, Result};
use trigger_hooks::TRIGGER_HOOKS;

/// The module instance; `register` builds a fresh one each time the module is enabled.
pub struct Workflows {
    /// The validated config.
    config: WorkflowsConfig,
    /// Which hooks have enabled rules (events of others cost no query).
    hooks: HookIndex,
}

impl Module for Workflows {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        let config: WorkflowsConfig = r.config_as()?;
        // Every trigger hook, each listed in the manifest. One event at a time (not batches):
        // the host attributes the writes a handler makes to the event it handles (causation).
        for trigger in &TRIGGER_HOOKS {
            let hook = trigger.hook;
            r.on_raw(hook, move |m, ctx, payload| {
                engine::on_event(m, ctx, hook, payload)
            });
        }
        r.routes(routes::router());
        r.service(
            "retention",
            config.retention_interval(),
            retention::run_retention,
        );
        Ok(Workflows {
            config,
            hooks: HookIndex::default(),
        })
    }
}

module_sdk::declare_module!(Workflows);

#[cfg(test)]
mod tests;
