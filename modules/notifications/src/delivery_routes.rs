//! `GET /deliveries?channelId=&status=&hook=&companyId=&limit=`: the delivery log, newest first
//! (`limit` 1–1000, default 100): `{"items": [{id, channelId, channelName, companyId, hook,
//! eventId, status, attempts, lastError, subject, message, nextAttemptAt, createdAt, updatedAt,
//! sentAt}, …]}`. Only companies the module is enabled for are listed.

use crate::channel_routes;
use crate::company_access::{self, Companies};
use crate::delivery::STATUSES;
use crate::delivery_store::{self, DeliveryQuery};
use crate::field_error::FieldError;
use crate::query_params::{integer_in, optional, reject_unknown};
use crate::reply::Reply;
use crate::Notifications;
use module_sdk::{Hook, ModuleContext, Request, Response};
use serde_json::json;

/// `GET /deliveries`.
pub fn list(_m: &Notifications, ctx: &ModuleContext, req: &Request) -> Reply {
    reject_unknown(req, &["channelId", "status", "hook", "companyId", "limit"])?;
    let status = optional(req, "status");
    if let Some(status) = &status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(FieldError::new(
                "status",
                format!("must be one of {}, got `{status}`", STATUSES.join(", ")),
            )
            .into());
        }
    }
    let hook = optional(req, "hook");
    if let Some(hook) = &hook {
        if hook.parse::<Hook>().is_err() {
            return Err(FieldError::new("hook", format!("is an unknown hook `{hook}`")).into());
        }
    }
    let channel_id = optional(req, "channelId");
    if let Some(channel_id) = &channel_id {
        if let Err(answer) = channel_routes::load_by_id(ctx, channel_id)? {
            return Ok(answer);
        }
    }
    let companies = match optional(req, "companyId") {
        Some(company_id) => {
            company_access::check_company(ctx, &company_id, "companyId")??;
            Companies::Only(vec![company_id])
        }
        None => company_access::enabled_companies(ctx)?,
    };
    let query = DeliveryQuery {
        channel_id,
        status,
        hook,
        limit: integer_in(req, "limit", 1, 1000, 100)?,
    };
    let items = delivery_store::list(ctx, &companies, &query)?;
    Ok(Response::ok(&json!({ "items": items })))
}
