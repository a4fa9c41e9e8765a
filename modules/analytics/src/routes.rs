//! The module's HTTP routes, served under `/api/modules/analytics` (the manifest's
//! `routes.prefix`). Every series takes `companyId` (required) and `agentId` (optional); an
//! `Error::bad_request` becomes a 400 naming the parameter.

use crate::{burn_rate, companies_route, utilisation, velocity, Analytics};
use module_sdk::Router;

/// Every route of the module.
pub fn router() -> Router<Analytics> {
    Router::new()
        .get("/burn-rate", burn_rate::get_burn_rate)
        .get("/utilisation", utilisation::get_utilisation)
        .get("/utilisation/recent", utilisation::get_recent)
        .get("/velocity", velocity::get_velocity)
        .get("/companies", companies_route::list)
}
