//! `GET|POST /channels`, `GET|PATCH|DELETE /channels/{id}`.
//!
//! Bad input is a 400 naming the field (`{"error", "field"}`) and writes nothing; a company the
//! module is not enabled for is a 403; an unknown channel a 404. Answers show the URL and the
//! SMTP password as `"***"`.

use crate::channel::Channel;
use crate::channel_input::ChannelInput;
use crate::channel_store;
use crate::channel_validation::validate;
use crate::clock;
use crate::company_access::{self, Companies};
use crate::field_error::read_body;
use crate::query_params::{optional, reject_unknown};
use crate::reply::{not_found, Failure, Reply};
use crate::Notifications;
use module_sdk::{ModuleContext, Request, Response};
use serde_json::{json, Value};

/// `GET /channels?companyId=`: `{"items": [channel, …]}`, oldest first; without `companyId`,
/// the channels of every company the module is enabled for.
pub fn list(_m: &Notifications, ctx: &ModuleContext, req: &Request) -> Reply {
    reject_unknown(req, &["companyId"])?;
    let companies = match optional(req, "companyId") {
        Some(company_id) => {
            company_access::check_company(ctx, &company_id, "companyId")??;
            Companies::Only(vec![company_id])
        }
        None => company_access::enabled_companies(ctx)?,
    };
    let items: Vec<Value> = channel_store::list(ctx, &companies)?
        .iter()
        .map(Channel::view)
        .collect();
    Ok(Response::ok(&json!({ "items": items })))
}

/// `POST /channels`: creates a channel; answers 201 with it.
pub fn create(_m: &Notifications, ctx: &ModuleContext, req: &Request) -> Reply {
    let input: ChannelInput = read_body(req)?;
    let channel = input.create(uuid::Uuid::now_v7().to_string(), clock::now_ms())?;
    validate(&channel)?;
    company_access::check_company(ctx, &channel.company_id, "companyId")??;
    channel_store::insert(ctx, &channel)?;
    Ok(Response::json(201, &channel.view()))
}

/// `GET /channels/{id}`.
pub fn get(_m: &Notifications, ctx: &ModuleContext, req: &Request) -> Reply {
    match load(ctx, req)? {
        Ok(channel) => Ok(Response::ok(&channel.view())),
        Err(answer) => Ok(answer),
    }
}

/// `PATCH /channels/{id}`: changes the given fields; answers the channel.
pub fn update(_m: &Notifications, ctx: &ModuleContext, req: &Request) -> Reply {
    let mut channel = match load(ctx, req)? {
        Ok(channel) => channel,
        Err(answer) => return Ok(answer),
    };
    let input: ChannelInput = read_body(req)?;
    input.apply(&mut channel, clock::now_ms())?;
    validate(&channel)?;
    channel_store::update(ctx, &channel)?;
    Ok(Response::ok(&channel.view()))
}

/// `DELETE /channels/{id}`: deletes the channel and its delivery log; answers 204.
pub fn delete(_m: &Notifications, ctx: &ModuleContext, req: &Request) -> Reply {
    let channel = match load(ctx, req)? {
        Ok(channel) => channel,
        Err(answer) => return Ok(answer),
    };
    Ok(if channel_store::delete(ctx, &channel.id)? {
        Response::status(204)
    } else {
        not_found("channel", &channel.id)
    })
}

/// What loading a channel gives: the channel, or the answer to send instead.
pub type Loaded = std::result::Result<Channel, Response>;

/// The channel of the request's `:id` (see [`load_by_id`]).
pub fn load(ctx: &ModuleContext, req: &Request) -> std::result::Result<Loaded, Failure> {
    load_by_id(ctx, req.param("id").unwrap_or_default())
}

/// The channel `id`, or the answer when there is none (404) or its company is one the module is
/// not enabled for (403).
pub fn load_by_id(ctx: &ModuleContext, id: &str) -> std::result::Result<Loaded, Failure> {
    let Some(channel) = channel_store::get(ctx, id)? else {
        return Ok(Err(not_found("channel", id)));
    };
    if !company_access::enabled_for(ctx, &channel.company_id)? {
        return Ok(Err(company_access::not_enabled(
            &channel.company_id,
            "companyId",
        )
        .response()));
    }
    Ok(Ok(channel))
}
