//! `POST /income` (a manual entry), `GET /income` (a company's entries, filtered and paged) and
//! `DELETE /income/{id}` (a manual entry).
//!
//! Bad input is a 400 naming the field (`{"error", "field"}`) and writes nothing; a company the
//! module does not serve is a 403; an unknown entry a 404. Stripe entries cannot be deleted
//! (409): they mirror what Stripe recorded, and a refund there arrives as a negative entry.

use crate::companies;
use crate::currency;
use crate::income::{MANUAL, STRIPE};
use crate::income_input::IncomeInput;
use crate::income_store::{self, Filter};
use crate::invalid::{read_body, Invalid};
use crate::query_params::{integer_in, optional, reject_unknown, required, time};
use crate::reply::Reply;
use crate::{clock, Revenue};
use module_sdk::{ModuleContext, Request, Response};
use serde_json::{json, Value};

/// The most entries of one page.
pub const MAX_LIMIT: i64 = 500;

/// `POST /income`: stores a manual entry; answers 201 with it.
pub fn create(_m: &Revenue, ctx: &ModuleContext, req: &Request) -> Reply {
    let input: IncomeInput = read_body(req)?;
    let entry = input.into_income(uuid::Uuid::now_v7().to_string(), clock::now_ms())?;
    companies::check(ctx, &entry.company_id, "companyId")??;
    income_store::insert(ctx, &entry)?;
    Ok(Response::json(201, &entry.view()))
}

/// `GET /income?companyId=&from=&to=&source=&currency=&limit=&offset=`: `{"items", "total",
/// "limit", "offset"}`, newest first; `from` inclusive, `to` exclusive.
pub fn list(_m: &Revenue, ctx: &ModuleContext, req: &Request) -> Reply {
    reject_unknown(
        req,
        &[
            "companyId",
            "from",
            "to",
            "source",
            "currency",
            "limit",
            "offset",
        ],
    )?;
    let company_id = required(req, "companyId")?;
    let source = optional(req, "source");
    if let Some(source) = &source {
        if source != MANUAL && source != STRIPE {
            return Err(Invalid::field(
                "source",
                format!("must be `{MANUAL}` or `{STRIPE}`, got `{source}`"),
            )
            .into());
        }
    }
    let currency = optional(req, "currency")
        .map(|c| currency::normalize(&c).map_err(|p| Invalid::field("currency", p)))
        .transpose()?;
    let filter = Filter {
        company_id,
        from: time(req, "from")?,
        to: time(req, "to")?,
        source,
        currency,
    };
    let limit = integer_in(req, "limit", 1, MAX_LIMIT, 100)?;
    let offset = integer_in(req, "offset", 0, i64::from(i32::MAX), 0)?;
    companies::check(ctx, &filter.company_id, "companyId")??;
    let (items, total) = income_store::list(ctx, &filter, limit, offset)?;
    let items: Vec<Value> = items.iter().map(|entry| entry.view()).collect();
    Ok(Response::ok(&json!({
        "items": items, "total": total, "limit": limit, "offset": offset
    })))
}

/// `DELETE /income/{id}`: deletes a manual entry; answers 204.
pub fn delete(_m: &Revenue, ctx: &ModuleContext, req: &Request) -> Reply {
    let id = req.param("id").unwrap_or_default();
    let Some(entry) = income_store::get(ctx, id)? else {
        return Ok(Response::error(404, &format!("no income entry `{id}`")));
    };
    companies::check(ctx, &entry.company_id, "companyId")??;
    if entry.source != MANUAL {
        return Ok(Response::error(
            409,
            &format!(
                "income entry `{id}` was recorded from Stripe event `{}` and cannot be deleted; \
                 a refund in Stripe records a negative entry",
                entry.stripe_event_id.as_deref().unwrap_or("?")
            ),
        ));
    }
    Ok(if income_store::delete(ctx, &entry)? {
        Response::status(204)
    } else {
        Response::error(404, &format!("no income entry `{id}`"))
    })
}
