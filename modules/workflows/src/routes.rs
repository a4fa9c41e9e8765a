//! The module's HTTP routes, all under `/api/modules/workflows` (the manifest's
//! `routes.prefix`). This table is the whole API; each handler lives in its own file.
//!
//! Handlers return `Result<Response>`: an `Error::bad_request` becomes a 400, any other error a
//! 500; rule validation answers its own 400 `{"error", "field"}` ([`crate::invalid`]).

use crate::{catalog_route, companies_route, rule_test, rules_routes, runs_routes, Workflows};
use module_sdk::Router;

/// Every route of the module.
pub fn router() -> Router<Workflows> {
    Router::new()
        .get("/rules", rules_routes::list)
        .post("/rules", rules_routes::create)
        // Before `/rules/:id`, which has as many segments.
        .post("/rules/test", rule_test::test_draft)
        .get("/rules/:id", rules_routes::get)
        .patch("/rules/:id", rules_routes::update)
        .delete("/rules/:id", rules_routes::delete)
        .post("/rules/:id/test", rule_test::test_saved)
        .get("/runs", runs_routes::list)
        .get("/catalog", catalog_route::get_catalog)
        .get("/companies", companies_route::list)
}
