//! Shared helpers of the `notifications` tests: a server with the notifications bundle (built
//! into `plugins-dist/notifications/` by `scripts/build-modules.sh`), channel and delivery-log
//! calls, and the local sinks that stand in for Slack, Discord, a webhook receiver and an SMTP
//! server.

#![allow(dead_code)] // Each test uses its own subset.

pub mod http_sink;
pub mod smtp_sink;

use paperclip_e2e::{json, wait_until, ServerOptions, StatusCode, TestBackend, TestServer, Value};
use std::time::Duration;

/// Where the module's routes are served.
pub const BASE: &str = "/api/modules/notifications";

/// How long a test waits for something asynchronous (a hook, a send, a retry).
pub const WAIT: Duration = Duration::from_secs(20);

/// Module config with quick delivery and retries, over which `config` is merged.
pub fn quick_config(config: Value) -> Value {
    let mut merged = json!({
        "deliveryIntervalMs": 50,
        "retryBaseSeconds": 0.2,
        "retryMaxSeconds": 1,
        "maxAttempts": 3,
        "sendTimeoutSeconds": 3
    });
    for (key, value) in config.as_object().expect("a config object") {
        merged[key] = value.clone();
    }
    merged
}

/// Starts a server with the notifications module, `config` as its module config (over
/// [`quick_config`]), `modules` merged into the `modules` section and `env` for the process.
pub fn start(
    backend: TestBackend,
    config: Value,
    modules: Value,
    env: &[(&str, &str)],
) -> TestServer {
    let mut server_config = json!({
        "modules": { "config": { "notifications": quick_config(config) } }
    });
    for (key, value) in modules.as_object().expect("a modules object") {
        server_config["modules"][key] = value.clone();
    }
    let mut options = ServerOptions::new()
        .module("notifications")
        .config(server_config);
    for (name, value) in env {
        options = options.env(*name, *value);
    }
    let server = TestServer::start(backend, options);
    let view = server.get_ok("/api/admin/modules/notifications");
    assert_eq!(view["status"], "active", "module not active: {view}");
    server
}

/// `POST /channels`, asserting 201; returns the channel as answered.
pub fn create_channel(server: &TestServer, body: Value) -> Value {
    let (status, channel) = server.post(&format!("{BASE}/channels"), &body);
    assert_eq!(
        status,
        StatusCode::CREATED,
        "POST {body} answered {channel}"
    );
    channel
}

/// The id of an answered entity.
pub fn id(entity: &Value) -> String {
    entity["id"].as_str().expect("an id").to_string()
}

/// `GET {BASE}{path}`, asserting 200.
pub fn get(server: &TestServer, path: &str) -> Value {
    let (status, body) = server.get(&format!("{BASE}{path}"));
    assert_eq!(status, StatusCode::OK, "GET {BASE}{path} answered {body}");
    body
}

/// The delivery log with `query` (e.g. `channelId=…&status=sent`).
pub fn deliveries(server: &TestServer, query: &str) -> Vec<Value> {
    get(server, &format!("/deliveries?{query}"))["items"]
        .as_array()
        .expect("items")
        .clone()
}

/// Waits until channel `channel` has `count` deliveries, all in `status`; returns them.
pub fn wait_for_deliveries(
    server: &TestServer,
    channel: &str,
    count: usize,
    status: &str,
) -> Vec<Value> {
    wait_until(
        &format!("{count} {status} deliveries of channel {channel}"),
        WAIT,
        || {
            let items = deliveries(server, &format!("channelId={channel}"));
            (items.len() == count && items.iter().all(|d| d["status"] == status)).then_some(items)
        },
    )
}

/// Creates an issue in `company` with `title`; returns it.
pub fn create_issue(server: &TestServer, company: &str, title: &str) -> Value {
    server.create(
        &format!("/api/companies/{company}/issues"),
        &json!({ "title": title }),
    )
}

/// Moves issue `id` to `status`, asserting 200.
pub fn set_status(server: &TestServer, id: &str, status: &str) {
    let (code, body) = server.patch(&format!("/api/issues/{id}"), &json!({ "status": status }));
    assert_eq!(code, StatusCode::OK, "status {status}: {body}");
}
