//! Guides for module authors, one page per concern. Read them with `cargo doc -p module-sdk --open`.
//!
//! - [`hooks`]: the 13 hooks, their payload types and the entities inside them;
//! - [`routes`]: routers, requests, responses, and how errors become 400 or 500;
//! - [`webhooks`]: inbound webhooks served without an API key, and verifying their signatures;
//! - [`database`]: the database API, the SQL the host accepts and refuses on each backend, limits;
//! - [`config`]: `configSchema`, `$ENV_VAR` references, masked secrets, `config_as`;
//! - [`services`]: background services;
//! - [`ui`]: pages, widgets and settings in the web shell;
//! - [`testing`]: unit tests with [`crate::testing`], then real servers.
//!
//! How to depend on the SDK and start a crate: see the [crate documentation](crate#depending-on-the-sdk).

#[doc = include_str!("../docs/hooks.md")]
pub mod hooks {}

#[doc = include_str!("../docs/routes.md")]
pub mod routes {}

#[doc = include_str!("../docs/webhooks.md")]
pub mod webhooks {}

#[doc = include_str!("../docs/database.md")]
pub mod database {}

#[doc = include_str!("../docs/config.md")]
pub mod config {}

#[doc = include_str!("../docs/services.md")]
pub mod services {}

#[doc = include_str!("../docs/ui.md")]
pub mod ui {}

#[doc = include_str!("../docs/testing.md")]
pub mod testing {}
