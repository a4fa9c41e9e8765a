//! Observability module, end to end: alert rules CRUD with validation, and alerts firing from
//! heartbeats posted through the core API. Needs the bundle: `scripts/build-modules.sh`.

mod observability_support;

use observability_support::{get, heartbeat, start, wait_for_heartbeats, BASE};
use paperclip_e2e::{each_backend_and_level, json, StatusCode, TestServer, Value};

/// `POST /alert-rules`, returning status and body.
fn create_rule(server: &TestServer, body: Value) -> (StatusCode, Value) {
    server.post(&format!("{BASE}/alert-rules"), &body)
}

/// Asserts a 400 whose error contains `needle`.
fn assert_bad_request((status, body): (StatusCode, Value), needle: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(needle),
        "error {error:?} does not mention {needle:?}"
    );
}

#[test]
fn alert_rules_crud_and_validation() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend, json!({}));
        let company = server.create_company("Acme");
        let ada = server.create_agent(&company, json!({"name": "Ada"}));

        // Create: defaults for window and enabled.
        let (status, rule) = create_rule(
            &server,
            json!({"agentId": ada, "metricName": "tokens_used", "threshold": 1000}),
        );
        assert_eq!(status, StatusCode::CREATED, "{rule}");
        let id = rule["id"].as_str().unwrap().to_owned();
        assert_eq!(rule["agentId"], ada.as_str());
        assert_eq!(rule["metricName"], "tokens_used");
        assert_eq!(rule["threshold"], 1000);
        assert_eq!(rule["windowMinutes"], 60);
        assert_eq!(rule["enabled"], true);
        assert!(rule["createdAt"].as_str().unwrap().ends_with('Z'));
        let (status, global) = create_rule(
            &server,
            json!({"metricName": "heartbeats", "threshold": 5, "windowMinutes": 15, "enabled": false}),
        );
        assert_eq!(status, StatusCode::CREATED, "{global}");
        assert_eq!(global["agentId"], Value::Null);
        assert_eq!(global["enabled"], false);

        // Read.
        assert_eq!(get(&server, &format!("/alert-rules/{id}")), rule);
        let all = get(&server, "/alert-rules");
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
        let ada_rules = get(&server, &format!("/alert-rules?agentId={ada}"));
        assert_eq!(ada_rules["items"], json!([rule]));

        // Validation: every bad input is a 400 naming the problem, and stores nothing.
        let ghost = "00000000-0000-0000-0000-000000000000";
        assert_bad_request(
            create_rule(
                &server,
                json!({"agentId": ghost, "metricName": "tokens_used", "threshold": 1}),
            ),
            "unknown agent",
        );
        assert_bad_request(
            create_rule(&server, json!({"metricName": "tokens", "threshold": 1})),
            "unknown metricName `tokens`",
        );
        assert_bad_request(
            create_rule(
                &server,
                json!({"metricName": "cost_cents", "threshold": -1}),
            ),
            "threshold",
        );
        assert_bad_request(
            create_rule(
                &server,
                json!({"metricName": "cost_cents", "threshold": 1, "windowMinutes": 0}),
            ),
            "windowMinutes",
        );
        assert_bad_request(
            create_rule(&server, json!({"metricName": "cost_cents"})),
            "threshold",
        );
        assert_bad_request(
            create_rule(
                &server,
                json!({"metricName": "cost_cents", "threshold": 1, "colour": "red"}),
            ),
            "colour",
        );
        assert_bad_request(
            create_rule(
                &server,
                json!({"metricName": "cost_cents", "threshold": "ten"}),
            ),
            "invalid type",
        );
        assert_eq!(
            get(&server, "/alert-rules")["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );

        // Update: only the given fields change; bad updates change nothing.
        let (status, updated) = server.patch(
            &format!("{BASE}/alert-rules/{id}"),
            &json!({"threshold": 2000, "windowMinutes": 30}),
        );
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(
            (
                updated["threshold"].clone(),
                updated["windowMinutes"].clone()
            ),
            (json!(2000), json!(30))
        );
        assert_eq!(updated["metricName"], "tokens_used");
        assert_bad_request(
            server.patch(
                &format!("{BASE}/alert-rules/{id}"),
                &json!({"metricName": "nope"}),
            ),
            "unknown metricName",
        );
        assert_bad_request(
            server.patch(
                &format!("{BASE}/alert-rules/{id}"),
                &json!({"agentId": ghost}),
            ),
            "unknown agent",
        );
        assert_eq!(get(&server, &format!("/alert-rules/{id}")), updated);
        let (status, widened) = server.patch(
            &format!("{BASE}/alert-rules/{id}"),
            &json!({"agentId": null, "enabled": false}),
        );
        assert_eq!(status, StatusCode::OK, "{widened}");
        assert_eq!(
            (widened["agentId"].clone(), widened["enabled"].clone()),
            (Value::Null, json!(false))
        );

        // Delete.
        let (status, _) = server.delete(&format!("{BASE}/alert-rules/{id}"));
        assert_eq!(status, StatusCode::NO_CONTENT);
        for (status, body) in [
            server.get(&format!("{BASE}/alert-rules/{id}")),
            server.delete(&format!("{BASE}/alert-rules/{id}")),
            server.patch(
                &format!("{BASE}/alert-rules/{id}"),
                &json!({"threshold": 1}),
            ),
        ] {
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        }
        assert_eq!(
            get(&server, "/alert-rules")["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // Deleting the agent deletes its rules (the foreign key cascades).
        let (status, rule) = create_rule(
            &server,
            json!({"agentId": ada, "metricName": "cost_cents", "threshold": 1}),
        );
        assert_eq!(status, StatusCode::CREATED, "{rule}");
        let (status, body) = server.delete(&format!("/api/agents/{ada}"));
        assert!(status.is_success(), "{body}");
        assert_eq!(
            get(&server, "/alert-rules")["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    });
}

#[test]
fn alerts_fire_when_a_metric_exceeds_its_threshold() {
    each_backend_and_level(|backend, _level| {
        let server = start(backend, json!({}));
        let company = server.create_company("Acme");
        let ada = server.create_agent(&company, json!({"name": "Ada"}));
        let bob = server.create_agent(&company, json!({"name": "Bob"}));
        heartbeat(
            &server,
            &ada,
            json!({"tokensUsed": 900, "costCents": 4, "latencyMs": 100}),
        );
        heartbeat(
            &server,
            &ada,
            json!({"tokensUsed": 600, "costCents": 4, "latencyMs": 300}),
        );
        heartbeat(&server, &bob, json!({"tokensUsed": 100, "latencyMs": 1000}));
        wait_for_heartbeats(&server, 3);

        let rule = |body: Value| {
            let (status, rule) = create_rule(&server, body);
            assert_eq!(status, StatusCode::CREATED, "{rule}");
            rule["id"].as_str().unwrap().to_owned()
        };
        let ada_tokens =
            rule(json!({"agentId": ada, "metricName": "tokens_used", "threshold": 1000}));
        let _ada_quiet =
            rule(json!({"agentId": ada, "metricName": "tokens_used", "threshold": 1500}));
        let busy = rule(json!({"metricName": "heartbeats", "threshold": 1}));
        let slow = rule(json!({"metricName": "avg_latency_ms", "threshold": 250}));
        let _cheap = rule(json!({"metricName": "cost_cents", "threshold": 8}));
        let _disabled =
            rule(json!({"metricName": "tokens_used", "threshold": 0, "enabled": false}));

        let alerts = get(&server, "/alerts");
        let fired: Vec<(String, String, f64)> = alerts["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["ruleId"].as_str().unwrap().to_owned(),
                    a["agentId"].as_str().unwrap().to_owned(),
                    a["value"].as_f64().unwrap(),
                )
            })
            .collect();
        // Ada: 1500 tokens, 2 heartbeats, 200 ms on average; Bob: 100 tokens, 1, 1000 ms.
        let expected = vec![
            (ada_tokens.clone(), ada.clone(), 1500.0),
            (busy.clone(), ada.clone(), 2.0),
            (slow.clone(), bob.clone(), 1000.0),
        ];
        assert_eq!(fired, expected, "{alerts}");
        let first = &alerts["items"][0];
        assert_eq!(first["agentName"], "Ada");
        assert_eq!(first["metricName"], "tokens_used");
        assert_eq!(first["threshold"], 1000);
        assert_eq!(first["windowMinutes"], 60);

        // Only one agent's alerts.
        let bobs = get(&server, &format!("/alerts?agentId={bob}"));
        let bob_rules: Vec<&str> = bobs["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["ruleId"].as_str().unwrap())
            .collect();
        assert_eq!(bob_rules, [slow.as_str()]);

        // Raising the threshold silences a rule; the exposition counts what fires.
        let (status, _) = server.patch(
            &format!("{BASE}/alert-rules/{busy}"),
            &json!({"threshold": 2}),
        );
        assert_eq!(status, StatusCode::OK);
        let alerts = get(&server, "/alerts");
        assert_eq!(alerts["items"].as_array().unwrap().len(), 2, "{alerts}");
        let (status, text) = server.get_text(&format!("{BASE}/metrics"));
        assert_eq!(status, StatusCode::OK);
        assert!(
            text.lines().any(|l| l == "paperclip_alerts_firing 2"),
            "{text}"
        );
    });
}
