//! The module's HTTP routes, all served under `/api/modules/observability` (the manifest's
//! `routes.prefix`). This table is the whole API; each handler lives in its own file.
//!
//! Handlers return `Result<Response>`: an `Error::bad_request` becomes a 400 with
//! `{"error": "…"}`, any other error a 500. The SDK's router answers unknown paths with 404 and
//! known paths with another method with 405.

use crate::{alert_rules, alerts, burn_rate, prometheus, series, summary, Observability};
use module_sdk::Router;

/// Every route of the module.
pub fn router() -> Router<Observability> {
    Router::new()
        .get("/summary", summary::get_summary)
        .get("/series", series::get_series)
        .get("/burn-rate", burn_rate::get_burn_rate)
        .get("/alert-rules", alert_rules::list)
        .post("/alert-rules", alert_rules::create)
        .get("/alert-rules/:id", alert_rules::get)
        .patch("/alert-rules/:id", alert_rules::update)
        .delete("/alert-rules/:id", alert_rules::delete)
        .get("/alerts", alerts::get_alerts)
        .get("/metrics", prometheus::get_metrics)
}
