//! The core domain: companies, agents, goals, projects, issues, activity, heartbeats, costs and
//! budgets. One file per entity holds its types and queries. Every write runs in one
//! transaction through [`Core::write`], which emits the write's hooks only after the commit.
//!
//! Architecture invariant: nothing in `core/` knows about modules.

#[macro_use]
mod entity_fns;

pub mod activity;
pub mod agent;
pub mod budget;
pub mod change_set;
pub mod company;
mod core_service;
pub mod cost_event;
mod error;
pub mod goal;
pub mod heartbeat;
pub mod hierarchy;
pub mod issue;
pub mod paging;
pub mod project;
pub mod reference;
pub mod validate;
pub mod validate_patch;

pub use core_service::Core;
pub use error::CoreError;
