//! `POST /webhooks/revenue/stripe`: Stripe's events, served by the host without an API key.
//!
//! In order:
//! 1. the `Stripe-Signature` header must sign the raw body with the endpoint secret (the config's
//!    `stripeWebhookSecret`) and a timestamp within `webhookToleranceSeconds` of now — else 400
//!    naming the problem (no secret configured: 503, so Stripe retries once it is set);
//! 2. the body must be a Stripe event (`id`, `type`, `created`, `data.object`) — else 400;
//! 3. event types that bring no income (see [`crate::stripe_event`]) are acknowledged with 200
//!    and `"recorded": false`, so Stripe stops sending them;
//! 4. the company (`metadata.companyId` or `defaultCompanyId`) must exist and be served — else
//!    400 / 403 naming `data.object.metadata.companyId`;
//! 5. the entry is written in one transaction, unique by the event id: Stripe delivers an event
//!    again after a time-out or a non-2xx answer, and a delivery of an event recorded already
//!    answers 200 with `"duplicate": true` and adds nothing. A refund records the part of the
//!    charge's `amount_refunded` not recorded yet, so successive partial refunds count once each.

use crate::income::{Income, STRIPE};
use crate::income_store;
use crate::stripe_event::{meaning, Meaning, Money, StripeEvent};
use crate::{clock, companies, Revenue};
use module_sdk::webhook_signature::{verify_stripe_signature, STRIPE_SIGNATURE_HEADER};
use module_sdk::{ModuleContext, Request, Response, Result};
use serde_json::json;
use std::time::{Duration, SystemTime};

/// The webhook's key in the manifest: served at `/webhooks/revenue/stripe`.
pub const KEY: &str = "stripe";

/// Attempts of the recording transaction on a write conflict (SQLite: another writer committed
/// between its read and its write).
const ATTEMPTS: u32 = 5;

/// The webhook handler.
pub fn receive(m: &Revenue, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let secret = m.config.stripe_webhook_secret.trim();
    if secret.is_empty() {
        return Ok(Response::error(
            503,
            "the Stripe webhook secret is not configured: set modules.config.revenue.\
             stripeWebhookSecret (typically \"$STRIPE_WEBHOOK_SECRET\")",
        ));
    }
    if let Err(problem) = verify_stripe_signature(
        req.header(STRIPE_SIGNATURE_HEADER),
        req.body(),
        secret,
        Duration::from_secs(m.config.webhook_tolerance_seconds),
        SystemTime::now(),
    ) {
        return Ok(Response::error(
            400,
            &format!("Stripe signature refused: {problem}"),
        ));
    }
    let event: StripeEvent = match serde_json::from_slice(req.body()) {
        Ok(event) => event,
        Err(e) => return Ok(Response::error(400, &format!("not a Stripe event: {e}"))),
    };
    let (money, refund) = match meaning(&event, m.config.default_company()) {
        Err(problem) => return Ok(Response::error(400, &problem)),
        Ok(Meaning::Ignored(reason)) => {
            return Ok(Response::ok(&json!({
                "received": event.id, "recorded": false, "reason": reason
            })))
        }
        Ok(Meaning::Paid(money)) => (money, false),
        Ok(Meaning::Refunded(money)) => (money, true),
    };
    if let Err(refused) =
        companies::check(ctx, &money.company_id, "data.object.metadata.companyId")?
    {
        return Ok(refused.response());
    }
    let outcome = ctx
        .db()
        .transaction_retrying(ATTEMPTS, |tx| record(tx, &event, &money, refund))?;
    Ok(Response::ok(&match outcome {
        Recorded::New(entry) => json!({
            "received": event.id, "recorded": true, "duplicate": false,
            "income": entry.view()
        }),
        Recorded::Duplicate => json!({
            "received": event.id, "recorded": false, "duplicate": true
        }),
        Recorded::Nothing(reason) => json!({
            "received": event.id, "recorded": false, "duplicate": false, "reason": reason
        }),
    }))
}

/// What recording an event did.
enum Recorded {
    /// A new entry.
    New(Income),
    /// The event was recorded before.
    Duplicate,
    /// Nothing to add, and why.
    Nothing(String),
}

/// Records the entry of `event` in transaction `tx`.
fn record(
    tx: &module_sdk::Db<'_>,
    event: &StripeEvent,
    money: &Money,
    refund: bool,
) -> Result<Recorded> {
    if income_store::has_stripe_event(tx, &event.id)? {
        return Ok(Recorded::Duplicate);
    }
    let amount = if refund {
        // Refunds recorded so far for this charge are negative entries.
        let recorded = -income_store::sum_of_object(tx, &money.object_id)?;
        let new = money.amount - recorded;
        if new <= 0 {
            return Ok(Recorded::Nothing(format!(
                "the {} refunded of charge {} are recorded already",
                money.amount, money.object_id
            )));
        }
        -new
    } else {
        money.amount
    };
    let entry = Income {
        id: uuid::Uuid::now_v7().to_string(),
        company_id: money.company_id.clone(),
        amount_cents: amount,
        currency: money.currency.clone(),
        source: STRIPE.to_owned(),
        description: Some(format!("Stripe {} {}", event.kind, money.object_id)),
        occurred_at: money.occurred_at,
        created_at: clock::now_ms(),
        stripe_event_id: Some(event.id.clone()),
        stripe_event_type: Some(event.kind.clone()),
        stripe_object_id: Some(money.object_id.clone()),
    };
    Ok(if income_store::insert_stripe(tx, &entry)? {
        Recorded::New(entry)
    } else {
        Recorded::Duplicate
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use module_sdk::testing::{TestHost, TestModule};
    use module_sdk::webhook_signature::sign_stripe_payload;

    fn delivery(body: &str, secret: &str, at: i64) -> Request {
        Request::new("POST", "/")
            .with_header(
                "Stripe-Signature",
                &sign_stripe_payload(body.as_bytes(), secret, at),
            )
            .with_body(body)
    }

    fn now() -> i64 {
        clock::now_ms() / 1000
    }

    #[test]
    fn signatures_are_checked_before_anything_is_read() {
        let host = TestHost::new("revenue");
        let module =
            TestModule::<Revenue>::register(&host, json!({"stripeWebhookSecret": "whsec_a"}))
                .unwrap();
        let body = r#"{"id":"evt_1","type":"customer.created","created":1,"data":{"object":{}}}"#;
        let wrong = module.webhook(KEY, delivery(body, "whsec_b", now()));
        assert_eq!(wrong.status, 400);
        let old = module.webhook(KEY, delivery(body, "whsec_a", now() - 3600));
        assert_eq!(old.status, 400);
        assert!(String::from_utf8_lossy(&old.body).contains("tolerance"));
        let ignored = module.webhook(KEY, delivery(body, "whsec_a", now()));
        assert_eq!(ignored.status, 200);
        assert_eq!(ignored.body_json().unwrap()["recorded"], false);
        assert!(
            host.calls().iter().all(|c| !c.contains("INSERT")),
            "{:?}",
            host.calls()
        );
    }

    #[test]
    fn without_a_secret_every_delivery_is_refused() {
        let host = TestHost::new("revenue");
        let module = TestModule::<Revenue>::register(&host, json!({})).unwrap();
        let answer = module.webhook(KEY, delivery("{}", "", now()));
        assert_eq!(answer.status, 503);
    }
}
