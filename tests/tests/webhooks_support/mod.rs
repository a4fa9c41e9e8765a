//! Helpers shared by the webhook end-to-end tests (`module_webhooks.rs`, `ui_module_webhooks.rs`):
//! the `webhook-probe` module on a server of its own, deliveries signed like Stripe's with the
//! `hmac` crate directly (not the SDK's helper), and what the probe and the admin API recorded.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use super::modules_support::{wait_for_status, ModulesDir};
use hmac::{Hmac, Mac};
use paperclip_e2e::{json, Method, ServerOptions, StatusCode, TestBackend, TestServer, Value};
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};

/// The probe's module id.
pub const PROBE: &str = "webhook-probe";
/// The endpoint secret the probe is configured with.
pub const SECRET: &str = "whsec_e2e_probe_secret";
/// The probe's signature-checking webhook.
pub const STRIPE: &str = "/webhooks/webhook-probe/stripe";
/// The API key of servers that need one.
pub const KEY: &str = "k1";

/// The bytes a provider signs: odd white space, non-ASCII text and a byte that is not UTF-8,
/// so that any re-encoding on the way shows.
pub fn raw_body() -> Vec<u8> {
    let mut body = br#"{ "id":"evt_1",  "type":"invoice.paid", "note":"caf"#.to_vec();
    body.extend_from_slice("é \u{2603}".as_bytes());
    body.extend_from_slice(b"\"}\n\xff");
    body
}

/// Now, Unix seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `t=<t>,v1=<hex HMAC-SHA256 of "{t}.{body}">`, computed here with the `hmac` crate.
pub fn stripe_signature(body: &[u8], secret: &str, t: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// The config of a server running the probe with `secret`, and `webhooks` granted if `grant`.
pub fn probe_config(dir: &ModulesDir, grant: bool) -> Value {
    let mut config = dir.config(json!({
        "modules": { "config": { PROBE: { "stripeWebhookSecret": SECRET } } }
    }));
    if grant {
        config["modules"]["grants"] = json!({ PROBE: ["webhooks"] });
    }
    config
}

/// A server running the probe (`webhooks` granted in the config if `grant`), once it is active;
/// keep the folder alive as long as the server.
pub fn start_probe(backend: TestBackend, grant: bool) -> (ModulesDir, TestServer) {
    let dir = ModulesDir::new();
    dir.add(PROBE);
    let server = TestServer::start(
        backend,
        ServerOptions::new().config(probe_config(&dir, grant)),
    );
    wait_for_status(&server, PROBE, "active");
    (dir, server)
}

/// `POST path` with `body` and `headers`, without any API key; the status and the body as JSON.
pub fn post_webhook(
    server: &TestServer,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (StatusCode, Value) {
    let mut request = server
        .without_key()
        .request(Method::POST, path)
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    server.send(request)
}

/// A correctly signed delivery of `body` to `path`.
pub fn post_signed(server: &TestServer, path: &str, body: &[u8]) -> (StatusCode, Value) {
    let signature = stripe_signature(body, SECRET, now());
    post_webhook(server, path, &[("Stripe-Signature", &signature)], body)
}

/// What the probe's stripe handler recorded, oldest first.
pub fn received(server: &TestServer) -> Vec<Value> {
    let rows = server.get_ok("/api/modules/webhook-probe/received");
    rows.as_array().cloned().unwrap_or_default()
}

/// The admin view of the probe's webhooks with `limit` deliveries.
pub fn webhooks_view(server: &TestServer, limit: u32) -> Value {
    server.get_ok(&format!(
        "/api/admin/modules/{PROBE}/webhooks?limit={limit}"
    ))
}

/// The statuses of the newest `n` recorded deliveries, newest first.
pub fn recorded_statuses(server: &TestServer, n: u32) -> Vec<u64> {
    webhooks_view(server, n)["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_u64().unwrap())
        .collect()
}

/// A boolean column as either backend returns it (`true`, `1`).
pub fn truthy(value: &Value) -> bool {
    value == &json!(true) || value == &json!(1) || value == &json!("1") || value == &json!("t")
}
