//! A module's inbound webhooks, for the operator:
//!
//! | Method and path | What |
//! |---|---|
//! | `GET /api/admin/modules/{id}/webhooks?limit=` | the endpoints its manifest declares (key, description, public path `/webhooks/<id>/<key>`, whether deliveries reach it now), whether it runs and is granted `webhooks`, and its newest deliveries, newest first (`limit` 1–1000, default 50): time, key, status answered, body size, duration, error |
//!
//! Granting or withdrawing `webhooks` goes through the grants (`PUT /api/admin/modules/{id}/grants`).

use super::admin_modules::{run_op, AdminError};
use super::api_error::ApiError;
use super::list_query::ListQuery;
use crate::module_host::webhook_deliveries::KEPT_PER_MODULE;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::state::AppState;

/// Deliveries listed when no `limit` is given.
const DEFAULT_LIMIT: i64 = 50;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/modules/{id}/webhooks", web::get().to(get_webhooks));
}

/// No filters: only `limit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFilter {}

async fn get_webhooks(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: ListQuery<NoFilter>,
) -> Result<HttpResponse, AdminError> {
    let bad = |field: &str, message: String| AdminError::Api(ApiError::bad_field(field, message));
    if query.page.offset.is_some() {
        return Err(bad(
            "offset",
            "offset is not supported here; use limit".into(),
        ));
    }
    let limit = query.page.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=KEPT_PER_MODULE).contains(&limit) {
        return Err(bad(
            "limit",
            format!("limit must be between 1 and {KEPT_PER_MODULE}, got {limit}"),
        ));
    }
    run_op(&state, move |host| host.webhooks(&id, limit)).await
}
