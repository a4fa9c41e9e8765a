//! The module's HTTP routes, served under `/api/modules/notifications` (the manifest's
//! `routes.prefix`). This table is the whole API; each handler lives in its own file.

use crate::reply::handler;
use crate::{channel_routes, channel_test, delivery_routes, Notifications};
use module_sdk::Router;

/// Every route of the module.
pub fn router() -> Router<Notifications> {
    Router::new()
        .get("/channels", handler(channel_routes::list))
        .post("/channels", handler(channel_routes::create))
        .get("/channels/:id", handler(channel_routes::get))
        .patch("/channels/:id", handler(channel_routes::update))
        .delete("/channels/:id", handler(channel_routes::delete))
        .post("/channels/:id/test", handler(channel_test::send_test))
        .get("/deliveries", handler(delivery_routes::list))
}
