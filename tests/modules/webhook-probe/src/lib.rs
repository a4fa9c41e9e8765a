//! A test module for inbound webhooks (`POST /webhooks/webhook-probe/<key>`):
//!
//! - `stripe`: verifies the `Stripe-Signature` header with
//!   `module_sdk::webhook_signature::verify_stripe_signature` (secret: config
//!   `stripeWebhookSecret`, tolerance 300 s) and records what the delivery brought — the verdict,
//!   the raw body in hex, `stripe-signature`, `content-type`, `x-probe` and the query — in
//!   `mod_webhook_probe_received`; answers 200 `{"received": true, "bodyBytes": n}`, 400 for a
//!   missing or malformed header, 401 for a signature that does not match or a stale timestamp;
//! - `panic`: panics; `slow`: sleeps `?ms=` milliseconds, then answers 200;
//! - `declared-only` is in the manifest, with no handler.
//!
//! Route `GET /received` lists the records, oldest first.

#![forbid(unsafe_code)]

use module_sdk::webhook_signature::{
    verify_stripe_signature, SignatureError, DEFAULT_TOLERANCE, STRIPE_SIGNATURE_HEADER,
};
use module_sdk::{params, Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;
use std::time::{Duration, SystemTime};

/// The endpoint secret from the config.
pub struct WebhookProbe {
    secret: String,
}

impl Module for WebhookProbe {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        let secret = r.config()["stripeWebhookSecret"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        r.webhook("stripe", stripe);
        r.webhook(
            "panic",
            |_m: &Self, _ctx: &ModuleContext, _req: &Request| -> Response {
                panic!("webhook probe panicked on purpose")
            },
        );
        r.webhook("slow", |_m: &Self, _ctx: &ModuleContext, req: &Request| {
            let ms = req.query("ms").and_then(|ms| ms.parse().ok()).unwrap_or(0);
            std::thread::sleep(Duration::from_millis(ms));
            Response::ok(&json!({ "slept": ms }))
        });
        r.routes(Router::new().get("/received", received));
        Ok(WebhookProbe { secret })
    }
}

module_sdk::declare_module!(WebhookProbe);

fn stripe(m: &WebhookProbe, ctx: &ModuleContext, req: &Request) -> Result<Response> {
    let verdict = verify_stripe_signature(
        req.header(STRIPE_SIGNATURE_HEADER),
        req.body(),
        &m.secret,
        DEFAULT_TOLERANCE,
        SystemTime::now(),
    );
    let header = |name: &str| req.header(name).unwrap_or_default().to_string();
    ctx.db().execute(
        "INSERT INTO mod_webhook_probe_received \
         (webhook_key, verified, error, body_hex, signature, content_type, custom_header, query) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &params![
            "stripe",
            verdict.is_ok(),
            verdict
                .as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default(),
            hex::encode(req.body()),
            header(STRIPE_SIGNATURE_HEADER),
            header("content-type"),
            header("x-probe"),
            req.query_string()
        ],
    )?;
    match verdict {
        Ok(_) => Ok(Response::ok(&json!({
            "received": true,
            "bodyBytes": req.body().len(),
        }))),
        Err(e @ (SignatureError::MissingHeader | SignatureError::Malformed(_))) => {
            Ok(Response::error(400, &e.to_string()))
        }
        Err(e) => Ok(Response::error(401, &e.to_string())),
    }
}

fn received(_m: &WebhookProbe, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let rows: Vec<serde_json::Value> = ctx.db().query_as(
        "SELECT id, webhook_key, verified, error, body_hex, signature, content_type, \
         custom_header, query FROM mod_webhook_probe_received ORDER BY id",
        &params![],
    )?;
    Ok(Response::ok(&rows))
}
