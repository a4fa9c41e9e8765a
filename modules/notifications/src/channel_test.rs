//! `POST /channels/{id}/test`: sends a test message to the channel now (enabled or not) and
//! answers the outcome — `200 {"ok": true, "durationMs"}`, or `502 {"ok": false, "error",
//! "durationMs"}` when the channel's sink refused it or could not be reached. The body is
//! optional: `{"message": "…"}` replaces the default text. Nothing is written to the delivery
//! log. The send's time limit is kept below the host's limit for a route call.

use crate::channel_routes::load;
use crate::field_error::read_body;
use crate::outgoing::Outgoing;
use crate::reply::Reply;
use crate::Notifications;
use module_sdk::{ModuleContext, Request, Response};
use serde::Deserialize;
use serde_json::json;
use std::time::Instant;

/// The optional body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TestInput {
    message: Option<String>,
}

/// Sends the test message.
pub fn send_test(m: &Notifications, ctx: &ModuleContext, req: &Request) -> Reply {
    let channel = match load(ctx, req)? {
        Ok(channel) => channel,
        Err(answer) => return Ok(answer),
    };
    let input: TestInput = if req.body().iter().all(u8::is_ascii_whitespace) {
        TestInput::default()
    } else {
        read_body(req)?
    };
    let message = input.message.unwrap_or_else(|| {
        format!(
            "Test notification from Paperclip: channel \"{}\" works.",
            channel.name
        )
    });
    let event_id = uuid::Uuid::now_v7().to_string();
    let payload = json!({ "test": true, "channelId": channel.id });
    let out = Outgoing {
        hook: "test",
        event_id: &event_id,
        company_id: &channel.company_id,
        subject: "[Paperclip] Test notification",
        message: &message,
        payload: &payload,
    };
    let started = Instant::now();
    let sent = m.test_sender.send(&channel, &out);
    let duration_ms = started.elapsed().as_millis() as u64;
    Ok(match sent {
        Ok(()) => Response::ok(&json!({ "ok": true, "durationMs": duration_ms })),
        Err(error) => {
            ctx.log().info(format!(
                "test message to channel {} failed: {error}",
                channel.id
            ));
            Response::json(
                502,
                &json!({ "ok": false, "error": error, "durationMs": duration_ms }),
            )
        }
    })
}
