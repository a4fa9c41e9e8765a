//! The hook handler: turns events into queued deliveries, and sends nothing itself.
//!
//! Every hook of the manifest comes to one batch handler (the host batches what queued up for the
//! module, in emit order). For each event, the enabled channels of its company that listen to its
//! hook and whose filters match get a delivery row with the message rendered from the channel's
//! template; the delivery service sends them in the background, so a slow or failing sink never
//! holds up hook delivery. A batch's rows are written in one transaction, and a delivery is
//! unique by channel and `eventId`: delivery is at least once, and an event delivered again
//! queues nothing new. An error (the database, a core call) fails the batch and the host
//! retries its events.

use crate::agent_lookup::AgentLookup;
use crate::channel::Channel;
use crate::channel_store;
use crate::clock;
use crate::company_access::{self, Companies};
use crate::default_templates::default_template;
use crate::delivery::NewDelivery;
use crate::delivery_store;
use crate::event::{company_in, Event, EventCompany};
use crate::template;
use crate::Notifications;
use module_sdk::{Hook, ModuleContext, Result};
use serde_json::Value;

/// Queues the deliveries of a batch of events.
pub fn on_events(
    _m: &Notifications,
    ctx: &ModuleContext,
    events: Vec<(Hook, Value)>,
) -> Result<()> {
    let mut hooks: Vec<&str> = events.iter().map(|(hook, _)| hook.as_str()).collect();
    hooks.sort_unstable();
    hooks.dedup();
    let channels = channel_store::listening(ctx, &hooks)?;
    if channels.is_empty() {
        return Ok(());
    }
    let mut agents = AgentLookup::default();
    let mut scope: Option<Companies> = None;
    let mut queue = Vec::new();
    for (hook, payload) in events {
        let listening: Vec<&Channel> = channels
            .iter()
            .filter(|c| c.enabled && c.hooks.contains(&hook))
            .collect();
        if listening.is_empty() {
            continue;
        }
        // The agent is read only when a channel may want the event (or its company is unknown).
        let need_agent = match company_in(&payload) {
            Some(company) => listening.iter().any(|c| c.company_id == company),
            None => true,
        };
        let event = Event::read(ctx, need_agent.then_some(&mut agents), hook, payload)?;
        for channel in listening {
            let for_company = match &event.company {
                EventCompany::One(company_id) => channel.company_id == *company_id,
                EventCompany::All => {
                    if scope.is_none() {
                        scope = Some(company_access::enabled_companies(ctx)?);
                    }
                    scope
                        .as_ref()
                        .is_some_and(|s| s.includes(&channel.company_id))
                }
                EventCompany::Unknown => false,
            };
            if for_company && channel.wants(hook, &event.context) {
                queue.push(delivery_for(channel, &event));
            }
        }
    }
    let queued = delivery_store::enqueue(ctx, &queue, clock::now_ms())?;
    if queued < queue.len() as u64 {
        ctx.log().debug(format!(
            "{} deliveries were queued already (events delivered again)",
            queue.len() as u64 - queued
        ));
    }
    Ok(())
}

/// The delivery of `event` to `channel`, its message (and subject) rendered.
fn delivery_for(channel: &Channel, event: &Event) -> NewDelivery {
    let message = template::render_text(
        channel
            .template
            .as_deref()
            .unwrap_or(default_template(event.hook)),
        &event.context,
    );
    let subject = channel
        .email
        .as_ref()
        .map(|email| template::render_text(email.subject_template(), &event.context));
    NewDelivery {
        id: uuid::Uuid::now_v7().to_string(),
        channel_id: channel.id.clone(),
        company_id: channel.company_id.clone(),
        hook: event.hook.as_str().to_owned(),
        event_id: event.event_id.clone(),
        subject,
        message,
        payload: event.payload.clone(),
    }
}
