//! The module's HTTP routes, served under `/api/modules/revenue` (the manifest's
//! `routes.prefix`). This table is the whole REST API; each handler lives in its own file.

use crate::reply::handler;
use crate::{companies_route, income_routes, pnl_route, Revenue};
use module_sdk::Router;

/// Every route of the module.
pub fn router() -> Router<Revenue> {
    Router::new()
        .post("/income", handler(income_routes::create))
        .get("/income", handler(income_routes::list))
        .delete("/income/:id", handler(income_routes::delete))
        .get("/pnl", handler(pnl_route::get))
        .get("/companies", companies_route::list)
}
