//! Inbound webhooks of modules, `POST /webhooks/<module-id>/<key>`, through the real server on
//! SQLite and PostgreSQL with the `webhook-probe` test module (it verifies Stripe-style
//! signatures with the SDK helper and records what each delivery brought):
//!
//! - a signed delivery reaches the handler with its exact raw bytes, headers and query, at every
//!   isolation level; a bad signature, a stale timestamp and a missing header are answered by
//!   the module (401/400); a panicking handler answers 500; each is recorded and listed (newest
//!   first, with a `limit`) at `GET /api/admin/modules/{id}/webhooks`, never with its body;
//! - 404 with one body for every way an endpoint can be missing or off: unknown module or key,
//!   `webhooks` not granted (the capability is optional: the module runs without it), withdrawn
//!   at run time, module disabled; granting applies at once;
//! - bound beyond loopback with API keys, the webhook needs no key while `/api/*` still does,
//!   and the browser guard still applies;
//! - spellings of the path through the real HTTP stack (`%2e%2e`, `..%2F`, `//`, the reserved
//!   `/api/modules/<prefix>/.webhooks/<key>`) never reach the handler; a body past the limit
//!   answers 413 and is recorded.
//!
//! The tests sign deliveries with the `hmac` crate directly, not with the SDK's helper.
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server -p paperclip-module-runner`.

mod modules_support;
mod webhooks_support;

use modules_support::{wait_for_status, ModulesDir};
use paperclip_e2e::{
    each_backend, each_backend_and_level, json, raw_request, ServerOptions, StatusCode, TestServer,
    Value,
};
use webhooks_support::*;

#[test]
fn a_signed_delivery_reaches_the_module_with_its_exact_bytes_and_every_delivery_is_recorded() {
    each_backend_and_level(|backend, level| {
        let (_dir, server) = start_probe(backend, true);
        let body = raw_body();
        let signature = stripe_signature(&body, SECRET, now());
        let (status, answer) = post_webhook(
            &server,
            &format!("{STRIPE}?source=e2e&n=1"),
            &[
                ("Stripe-Signature", &signature),
                ("Content-Type", "application/json; charset=utf-8"),
                ("X-Probe", "probe-value"),
            ],
            &body,
        );
        assert_eq!(status, StatusCode::OK, "[{level}] {answer}");
        assert_eq!(answer, json!({ "received": true, "bodyBytes": body.len() }));
        let got = received(&server);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(truthy(&got[0]["verified"]), "{got:?}");
        assert_eq!(got[0]["body_hex"], hex::encode(&body), "the exact bytes");
        assert_eq!(got[0]["signature"], signature);
        assert_eq!(got[0]["content_type"], "application/json; charset=utf-8");
        assert_eq!(got[0]["custom_header"], "probe-value");
        assert_eq!(got[0]["query"], "source=e2e&n=1");

        // Signed with another secret: the module refuses it (401) and records why.
        let forged = stripe_signature(&body, "whsec_wrong", now());
        let (status, answer) =
            post_webhook(&server, STRIPE, &[("Stripe-Signature", &forged)], &body);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(
            answer["error"],
            "no signature in the header matches the payload"
        );
        // Correctly signed an hour ago: outside the 300 s tolerance.
        let stale = stripe_signature(&body, SECRET, now() - 3600);
        let (status, answer) =
            post_webhook(&server, STRIPE, &[("Stripe-Signature", &stale)], &body);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("more than the tolerance of 300 s"),
            "{answer}"
        );
        // The body changed after signing.
        let mut tampered = body.clone();
        tampered[3] = b'X';
        let (status, _) = post_webhook(
            &server,
            STRIPE,
            &[("Stripe-Signature", &signature)],
            &tampered,
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, answer) = post_webhook(&server, STRIPE, &[], &body);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"], "the signature header is missing");
        let verdicts: Vec<bool> = received(&server)
            .iter()
            .map(|r| truthy(&r["verified"]))
            .collect();
        assert_eq!(verdicts, vec![true, false, false, false, false]);

        // A handler that panics: 500, the module keeps serving.
        let (status, answer) = post_signed(&server, "/webhooks/webhook-probe/panic", b"{}");
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .unwrap()
                .contains("webhook probe panicked on purpose"),
            "{answer}"
        );
        // Declared in the manifest, no handler registered: the SDK answers 404.
        let (status, _) = post_signed(&server, "/webhooks/webhook-probe/declared-only", b"{}");
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, answer) = post_signed(&server, STRIPE, &body);
        assert_eq!(
            status,
            StatusCode::OK,
            "[{level}] after the panic: {answer}"
        );

        let view = webhooks_view(&server, 100);
        assert_eq!(view["module"], PROBE);
        assert_eq!(view["running"], true);
        assert_eq!(view["granted"], true);
        let endpoints = view["endpoints"].as_array().unwrap();
        assert_eq!(endpoints.len(), 4, "{view}");
        assert_eq!(
            endpoints[0],
            json!({
                "key": "stripe",
                "description": "Stripe-style signed events",
                "path": "/webhooks/webhook-probe/stripe",
                "enabled": true
            })
        );
        let deliveries = view["deliveries"].as_array().unwrap();
        let statuses: Vec<u64> = deliveries
            .iter()
            .map(|d| d["status"].as_u64().unwrap())
            .collect();
        assert_eq!(statuses, vec![200, 404, 500, 400, 401, 401, 401, 200]);
        let keys: Vec<&str> = deliveries
            .iter()
            .map(|d| d["key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            vec![
                "stripe",
                "declared-only",
                "panic",
                "stripe",
                "stripe",
                "stripe",
                "stripe",
                "stripe"
            ]
        );
        let ids: Vec<i64> = deliveries
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
        assert_eq!(deliveries[0]["error"], Value::Null);
        assert_eq!(deliveries[0]["bodyBytes"], body.len());
        assert!(deliveries[0]["durationMs"].as_u64().is_some());
        assert!(deliveries[0]["receivedAt"].as_str().unwrap().ends_with('Z'));
        assert!(deliveries[2]["error"]
            .as_str()
            .unwrap()
            .contains("webhook probe panicked on purpose"));
        assert_eq!(deliveries[3]["error"], "the signature header is missing");
        assert_eq!(
            deliveries[6]["error"],
            "no signature in the header matches the payload"
        );
        // Nothing of a body is kept.
        let text = view.to_string();
        assert!(
            !text.contains("evt_1") && !text.contains("invoice.paid"),
            "{text}"
        );

        assert_eq!(recorded_statuses(&server, 2), vec![200, 404]);
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=x", "limit"),
            ("offset=1", "offset"),
            ("status=200", "status"),
        ] {
            let (status, body) =
                server.get(&format!("/api/admin/modules/{PROBE}/webhooks?{query}"));
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert_eq!(body["field"], field, "{query}: {body}");
        }
        let (status, _) = server.get("/api/admin/modules/ghost/webhooks");
        assert_eq!(status, StatusCode::NOT_FOUND);
    });
}

#[test]
fn a_webhook_answers_the_same_404_unless_declared_running_and_granted() {
    each_backend(|backend| {
        // `webhooks` is optional: the module runs without it.
        let (_dir, server) = start_probe(backend, false);
        let body = raw_body();
        let (status, not_granted) = post_signed(&server, STRIPE, &body);
        assert_eq!(status, StatusCode::NOT_FOUND, "{not_granted}");
        assert_eq!(not_granted, json!({ "error": "no such webhook" }));
        let grants = server.get_ok(&format!("/api/admin/modules/{PROBE}/grants"));
        assert_eq!(grants["missing"], json!([]), "{grants}");
        assert_eq!(grants["requested"][0]["optional"], true, "{grants}");
        let view = webhooks_view(&server, 10);
        assert_eq!(view["granted"], false);
        assert_eq!(view["endpoints"][0]["enabled"], false);
        assert_eq!(
            view["deliveries"][0]["error"],
            "the module is not granted the `webhooks` capability"
        );

        for path in [
            "/webhooks/ghost/stripe",
            "/webhooks/webhook-probe/unknown",
            "/webhooks/webhook-probe/STRIPE",
            "/webhooks/webhook-probe/a.b",
        ] {
            let (status, answer) = post_signed(&server, path, &body);
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(answer, not_granted, "{path}: the same body");
        }
        // Unknown endpoints are not recorded: only the one above.
        assert_eq!(
            webhooks_view(&server, 100)["deliveries"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // Granted: at once, no restart.
        let (status, _) = server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({ "granted": ["webhooks"] }),
        );
        assert_eq!(status, StatusCode::OK);
        let (status, answer) = post_signed(&server, STRIPE, &body);
        assert_eq!(status, StatusCode::OK, "{answer}");

        // Withdrawn at run time: at once.
        let (status, _) = server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({ "granted": [] }),
        );
        assert_eq!(status, StatusCode::OK);
        let (status, answer) = post_signed(&server, STRIPE, &body);
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(answer, not_granted);

        // Granted again, then the module disabled.
        server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({ "granted": ["webhooks"] }),
        );
        let (status, answer) = post_signed(&server, STRIPE, &body);
        assert_eq!(status, StatusCode::OK, "{answer}");
        let (status, _) = server.post(&format!("/api/admin/modules/{PROBE}/disable"), &json!({}));
        assert_eq!(status, StatusCode::OK);
        let (status, answer) = post_signed(&server, STRIPE, &body);
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(answer, not_granted);
        let view = webhooks_view(&server, 10);
        assert_eq!(view["running"], false);
        assert_eq!(view["endpoints"][0]["enabled"], false);
        assert!(
            view["deliveries"][0]["error"]
                .as_str()
                .unwrap()
                .starts_with("the module is not running"),
            "{view}"
        );
        assert_eq!(
            recorded_statuses(&server, 10),
            vec![404, 200, 404, 200, 404]
        );

        // Enabled again: served again; the module saw exactly the two granted deliveries plus
        // this one.
        let (status, _) = server.post(&format!("/api/admin/modules/{PROBE}/enable"), &json!({}));
        assert_eq!(status, StatusCode::OK);
        let (status, _) = post_signed(&server, STRIPE, &body);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(received(&server).len(), 3);
    });
}

#[test]
fn beyond_loopback_with_api_keys_the_webhook_needs_no_key_and_the_api_still_does() {
    each_backend(|backend| {
        let dir = ModulesDir::new();
        dir.add(PROBE);
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .config(probe_config(&dir, true))
                .api_key(KEY)
                .bind("0.0.0.0")
                .trust_dev_signing_key(),
        );
        wait_for_status(&server, PROBE, "active");
        let body = raw_body();
        let (status, answer) = post_signed(&server, STRIPE, &body);
        assert_eq!(status, StatusCode::OK, "no key needed: {answer}");

        for path in [
            "/api/modules/webhook-probe/received",
            "/api/admin/modules/webhook-probe/webhooks",
            "/api/companies",
        ] {
            let (status, _) = server.without_key().get(path);
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} without a key");
        }
        // A wrong key on the webhook changes nothing (it is not looked at).
        let signature = stripe_signature(&body, SECRET, now());
        let (status, _) = post_webhook(
            &server,
            STRIPE,
            &[
                ("Stripe-Signature", &signature),
                ("Authorization", "Bearer wrong"),
            ],
            &body,
        );
        assert_eq!(status, StatusCode::OK);
        assert_eq!(received(&server).len(), 2, "with the key, the API answers");

        // The browser guard still applies: a foreign Host or Origin is refused before the module.
        let foreign_host = raw_request(
            server.port(),
            "POST",
            STRIPE,
            &[("Host", "evil.example"), ("Stripe-Signature", &signature)],
            &body,
        );
        assert_eq!(foreign_host.status, 403, "{foreign_host:?}");
        let foreign_origin = raw_request(
            server.port(),
            "POST",
            STRIPE,
            &[
                ("Origin", "https://evil.example"),
                ("Stripe-Signature", &signature),
            ],
            &body,
        );
        assert_eq!(foreign_origin.status, 403, "{foreign_origin:?}");
        assert_eq!(received(&server).len(), 2);
    });
}

#[test]
fn other_spellings_of_the_path_never_reach_the_handler_and_big_bodies_are_413() {
    each_backend(|backend| {
        let (_dir, server) = start_probe(backend, true);
        let body = raw_body();
        let signature = stripe_signature(&body, SECRET, now());
        let headers = [("Stripe-Signature", signature.as_str())];
        let direct = raw_request(server.port(), "POST", STRIPE, &headers, &body);
        assert_eq!(direct.status, 200, "{direct:?}");
        assert_eq!(received(&server).len(), 1);

        for path in [
            "/webhooks/%2e%2e/webhook-probe/stripe",
            "/webhooks/webhook-probe/..%2Fstripe",
            "/webhooks/webhook-probe/%2e%2e%2fstripe",
            "/webhooks/webhook-probe/../stripe",
            "/webhooks//webhook-probe/stripe",
            "/webhooks/webhook-probe//stripe",
            "/webhooks/webhook-probe/stripe/x",
            "/webhooks/x/../webhook-probe/stripe/..",
            "/webhooks/webhook-probe%2Fstripe",
            "/api/modules/webhook-probe/.webhooks/stripe",
            "/api/modules/webhook-probe/%2ewebhooks/stripe",
            "/api/modules/webhook-probe/%2Ewebhooks/stripe",
            "/api/modules/webhook-probe//.webhooks/stripe",
            "/api/modules/webhook-probe/.webhooks//stripe",
            "/api/modules/webhook-probe/x/../.webhooks/stripe",
            "/api/modules/webhook-probe/.webhooks%2Fstripe",
        ] {
            let response = raw_request(server.port(), "POST", path, &headers, &body);
            assert!(
                !(200..300).contains(&response.status),
                "{path} answered {response:?}"
            );
            assert_eq!(received(&server).len(), 1, "{path} reached the handler");
        }
        let reserved = raw_request(
            server.port(),
            "POST",
            "/api/modules/webhook-probe/.webhooks/stripe",
            &headers,
            &body,
        );
        assert_eq!(reserved.status, 404, "{reserved:?}");
        assert!(reserved.json()["error"]
            .as_str()
            .unwrap()
            .contains("reserved"));
        // Not POST: no handler.
        for method in ["GET", "PUT", "DELETE"] {
            let response = raw_request(server.port(), method, STRIPE, &headers, &body);
            assert!(
                !(200..300).contains(&response.status) || !response.body.contains("received"),
                "{method}: {response:?}"
            );
        }
        assert_eq!(received(&server).len(), 1);

        // One byte over the 16 MiB limit: 413, recorded, the module never called.
        let huge = vec![b'a'; 16 * 1024 * 1024 + 1];
        let (status, answer) = post_webhook(&server, STRIPE, &headers, &huge);
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
        assert_eq!(received(&server).len(), 1);
        let newest = &webhooks_view(&server, 1)["deliveries"][0];
        assert_eq!(newest["status"], 413, "{newest}");
        assert!(
            newest["bodyBytes"].as_u64().unwrap() > 16 * 1024 * 1024,
            "{newest}"
        );
        assert!(
            newest["error"].as_str().unwrap().contains("larger than"),
            "{newest}"
        );
    });
}

#[test]
fn a_slow_webhook_answers_504_like_a_route() {
    each_backend(|backend| {
        let dir = ModulesDir::new();
        dir.add(PROBE);
        let mut config = probe_config(&dir, true);
        config["modules"]["routeTimeoutMs"] = json!(300);
        let server = TestServer::start(backend, ServerOptions::new().config(config));
        wait_for_status(&server, PROBE, "active");
        let (status, answer) = post_signed(&server, "/webhooks/webhook-probe/slow?ms=1500", b"{}");
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{answer}");
        let (status, answer) = post_signed(&server, "/webhooks/webhook-probe/slow?ms=0", b"{}");
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(recorded_statuses(&server, 2), vec![200, 504]);
    });
}
