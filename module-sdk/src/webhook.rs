//! Inbound webhooks: endpoints a module declares in its manifest (`"webhooks": [{"key": …}]`)
//! and registers a handler for with [`crate::Registrar::webhook`]. The server serves them at
//! `POST /webhooks/<module-id>/<key>` **without** an API key, so a payment provider can call
//! them; the handler gets the raw body and the headers and must verify the sender
//! ([`crate::webhook_signature`]).
//!
//! No ABI change: a delivery reaches the module through the ordinary route entry point as
//! `POST /.webhooks/<key>` ([`webhook_path`]). A path whose first segment starts with `.` can
//! never come from a module route (`/api/modules/<prefix>/…` refuses it), so only the webhook
//! endpoint reaches a webhook handler, and the SDK never hands such a path to the module's
//! [`crate::Router`].

/// The first segment of the reserved path a webhook is delivered under.
pub const WEBHOOK_SEGMENT: &str = ".webhooks";

/// The longest webhook key.
pub const MAX_WEBHOOK_KEY_LEN: usize = 64;

/// Whether `key` is a valid webhook key: 1–64 characters, lower-case ASCII letters, digits, `_`
/// and `-`, starting with a letter or digit (the manifest schema's
/// `^[a-z0-9][a-z0-9_-]{0,63}$`).
///
/// ```
/// use module_sdk::webhook::is_valid_webhook_key;
/// assert!(is_valid_webhook_key("stripe") && is_valid_webhook_key("github-push_2"));
/// assert!(!is_valid_webhook_key("") && !is_valid_webhook_key("-x") && !is_valid_webhook_key("Stripe"));
/// assert!(!is_valid_webhook_key("a/b") && !is_valid_webhook_key(".."));
/// ```
pub fn is_valid_webhook_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_WEBHOOK_KEY_LEN
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
}

/// The reserved route path a delivery to `key` is handed to the module under:
/// `/.webhooks/<key>`.
///
/// ```
/// assert_eq!(module_sdk::webhook::webhook_path("stripe"), "/.webhooks/stripe");
/// ```
pub fn webhook_path(key: &str) -> String {
    format!("/{WEBHOOK_SEGMENT}/{key}")
}

/// Whether a route path is reserved (its first non-empty segment starts with `.`): module routes
/// never serve it.
///
/// ```
/// use module_sdk::webhook::is_reserved_path;
/// assert!(is_reserved_path("/.webhooks/stripe") && is_reserved_path("//.x"));
/// assert!(!is_reserved_path("/items/.hidden") && !is_reserved_path("/"));
/// ```
pub fn is_reserved_path(path: &str) -> bool {
    path.split('/')
        .find(|segment| !segment.is_empty())
        .is_some_and(|first| first.starts_with('.'))
}

/// The webhook key of a reserved path `/.webhooks/<key>` (exactly two segments), if it is one.
pub(crate) fn webhook_key_of(path: &str) -> Option<&str> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    match (segments.next(), segments.next(), segments.next()) {
        (Some(WEBHOOK_SEGMENT), Some(key), None) => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_manifest_pattern() {
        assert!(is_valid_webhook_key(&"a".repeat(64)));
        assert!(!is_valid_webhook_key(&"a".repeat(65)));
        for bad in ["_x", "a b", "a.b", "é", "a%2f", "x\n"] {
            assert!(!is_valid_webhook_key(bad), "{bad}");
        }
    }

    #[test]
    fn the_reserved_path_round_trips_and_nothing_else_is_a_webhook() {
        assert_eq!(webhook_key_of(&webhook_path("stripe")), Some("stripe"));
        assert_eq!(webhook_key_of("/.webhooks/stripe/"), Some("stripe"));
        assert_eq!(webhook_key_of("/.webhooks"), None);
        assert_eq!(webhook_key_of("/.webhooks/a/b"), None);
        assert_eq!(webhook_key_of("/webhooks/stripe"), None);
        assert!(is_reserved_path("/.webhooks"));
    }

    mod registered {
        use crate::testing::{TestHost, TestModule};
        use crate::{Module, Registrar, Request, Response, Result, Router};
        use serde_json::json;

        /// Echoes what a webhook handler got; a catch-all route that must never see a
        /// reserved path.
        struct Hooked;

        impl Module for Hooked {
            fn register(r: &mut Registrar<Self>) -> Result<Self> {
                r.webhook("stripe", |_m: &Self, _ctx, req: &Request| {
                    Response::ok(&json!({
                        "path": req.path(),
                        "signature": req.header("stripe-signature"),
                        "body": String::from_utf8_lossy(req.body()),
                    }))
                });
                r.routes(Router::new().route(
                    "POST",
                    "/:a/:b",
                    |_m: &Self, _ctx, _req: &Request| Response::text(200, "router"),
                ));
                Ok(Hooked)
            }
        }

        #[test]
        fn deliveries_reach_the_handler_and_reserved_paths_never_the_router() {
            let module = TestModule::<Hooked>::register(&TestHost::new("m"), json!({})).unwrap();
            let delivery = Request::new("GET", "/ignored")
                .with_header("Stripe-Signature", "t=1,v1=00")
                .with_body(&b"{ \"raw\": 1 }"[..]);
            let answer = module.webhook("stripe", delivery).body_json().unwrap();
            assert_eq!(
                answer,
                json!({ "path": "/.webhooks/stripe", "signature": "t=1,v1=00", "body": "{ \"raw\": 1 }" })
            );
            let other_key = module.webhook("github", Request::new("POST", "/"));
            assert_eq!(other_key.status, 404);
            assert_eq!(
                other_key.body_json().unwrap()["error"],
                "the module registered no handler for webhook `github`"
            );
            let wrong_method = module.request(Request::new("GET", "/.webhooks/stripe"));
            assert_eq!(wrong_method.status, 405);
            for reserved in ["/.webhooks/github", "/.hidden/x", "//.webhooks//github"] {
                assert_eq!(
                    module.request(Request::new("POST", reserved)).status,
                    404,
                    "{reserved}"
                );
            }
            assert_eq!(module.request(Request::new("POST", "/a/b")).body, b"router");
        }

        struct Bad;

        impl Module for Bad {
            fn register(r: &mut Registrar<Self>) -> Result<Self> {
                let ok =
                    |_m: &Self, _ctx: &crate::ModuleContext, _req: &Request| Response::status(204);
                r.webhook("Stripe", ok)
                    .webhook("stripe", ok)
                    .webhook("stripe", ok)
                    .routes(Router::new().post("/.webhooks/:key", ok));
                Ok(Bad)
            }
        }

        #[test]
        fn bad_keys_duplicates_and_reserved_routes_fail_registration() {
            let err = TestModule::<Bad>::register(&TestHost::new("m"), json!({}))
                .err()
                .unwrap();
            let message = err.message();
            assert!(
                message.contains("webhook key `Stripe` is invalid"),
                "{message}"
            );
            assert!(
                message.contains("webhook `stripe` is registered twice"),
                "{message}"
            );
            assert!(
                message.contains("route `POST /.webhooks/:key` starts with `.`"),
                "{message}"
            );
        }
    }
}
