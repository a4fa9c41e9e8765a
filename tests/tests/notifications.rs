//! Notifications module, end to end through the real server and module library, on SQLite and
//! PostgreSQL: channels of every kind deliver the expected messages for the expected hooks to
//! local sinks (an HTTP server standing in for a webhook receiver, Slack and Discord; an SMTP
//! server), failing sinks are retried with backoff and logged, bad channels are refused naming
//! the field, secrets given as `$NAME` work and are never answered, nothing is sent for a
//! company the module is not enabled for, and config secrets work at the `process` isolation
//! level. Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server -p
//! paperclip-module-runner --bins` first.

mod notifications_support;

use notifications_support::http_sink::{Failures, HttpSink};
use notifications_support::smtp_sink::SmtpSink;
use notifications_support::{
    create_channel, create_issue, deliveries, get, id, set_status, start, wait_for_deliveries,
    BASE, WAIT,
};
use paperclip_e2e::{each_backend, json, wait_until, StatusCode, Value};
use std::time::Duration;

/// The hook of each body received, in order.
fn hooks_of(bodies: &[Value]) -> Vec<String> {
    bodies
        .iter()
        .map(|b| b["hook"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn channels_of_every_kind_receive_the_messages_of_their_hooks() {
    each_backend(|backend| {
        let http = HttpSink::start();
        let smtp = SmtpSink::start();
        let webhook_url = http.url("/webhook");
        let discord_url = http.url("/discord");
        let server = start(
            backend,
            // A secret the host resolves into the config (works at every isolation level).
            json!({ "secrets": { "DISCORD_HOOK": "$NT_TEST_DISCORD_URL" } }),
            json!({}),
            &[
                ("NT_TEST_WEBHOOK_URL", webhook_url.as_str()),
                ("NT_TEST_DISCORD_URL", discord_url.as_str()),
                ("NT_TEST_SMTP_PASSWORD", "s3cret-pw"),
            ],
        );
        let company = server.create_company("Acme");

        let webhook = create_channel(
            &server,
            json!({"companyId": company, "name": "Receiver", "kind": "webhook",
                   "url": "$NT_TEST_WEBHOOK_URL",
                   "hooks": ["issue:created", "issue:status_changed"]}),
        );
        let slack = create_channel(
            &server,
            json!({"companyId": company, "name": "Slack #ops", "kind": "slack",
                   "url": http.url("/slack"), "hooks": ["issue:status_changed"],
                   "filters": [{"path": "to", "op": "eq", "value": "done"}],
                   "template": "{{issue.identifier}} is now {{to}}"}),
        );
        let discord = create_channel(
            &server,
            json!({"companyId": company, "name": "Discord", "kind": "discord",
                   "url": "$DISCORD_HOOK", "hooks": ["agent:created"]}),
        );
        let email = create_channel(
            &server,
            json!({"companyId": company, "name": "Mail", "kind": "email",
                   "hooks": ["issue:status_changed"],
                   "filters": [{"path": "to", "op": "in", "value": ["done", "cancelled"]}],
                   "email": {"host": "127.0.0.1", "port": smtp.port(), "tls": "none",
                             "username": "bot", "password": "$NT_TEST_SMTP_PASSWORD",
                             "from": "Paperclip <bot@acme.test>",
                             "to": ["ops@acme.test", "cto@acme.test"],
                             "subject": "{{issue.identifier}}: {{to}}"}}),
        );

        // Secrets are never answered, whether given as `$NAME` or as they are.
        for channel in [&webhook, &slack, &discord] {
            assert_eq!(channel["url"], "***", "{channel}");
        }
        assert_eq!(email["email"]["password"], "***");
        assert_eq!(email["email"]["username"], "bot");
        assert_eq!(slack["filters"][0]["op"], "eq");
        assert_eq!(slack["enabled"], true);
        let listed = get(&server, &format!("/channels?companyId={company}"));
        assert_eq!(listed["items"].as_array().unwrap().len(), 4, "{listed}");
        let text = listed.to_string();
        for secret in ["127.0.0.1:", "NT_TEST", "DISCORD_HOOK", "s3cret"] {
            assert!(!text.contains(secret), "{secret} answered in {text}");
        }
        assert_eq!(
            get(&server, &format!("/channels/{}", id(&slack)))["url"],
            "***"
        );

        // Events: an agent, an issue, two status changes.
        server.create_agent(&company, json!({"name": "Ada", "role": "engineer"}));
        let issue = create_issue(&server, &company, "Ship the release");
        let issue_id = id(&issue);
        let identifier = issue["identifier"].as_str().unwrap().to_string();
        set_status(&server, &issue_id, "in_progress");
        set_status(&server, &issue_id, "done");

        // The generic webhook: every event of its two hooks, as `{hook, eventId, companyId,
        // message, payload}`.
        let posts = http.wait_for("/webhook", 3, WAIT);
        let bodies: Vec<Value> = posts.iter().map(|p| p.body.clone()).collect();
        assert_eq!(
            hooks_of(&bodies),
            [
                "issue:created",
                "issue:status_changed",
                "issue:status_changed"
            ]
        );
        for post in &posts {
            assert_eq!(post.method, "POST");
            assert!(post.content_type.starts_with("application/json"));
            assert_eq!(post.body["companyId"], company.as_str());
            assert_eq!(post.body["payload"]["issue"]["id"], issue_id.as_str());
            assert!(post.body["eventId"].as_str().is_some_and(|e| !e.is_empty()));
            assert_eq!(post.body["eventId"], post.body["payload"]["eventId"]);
        }
        assert_eq!(
            bodies[0]["message"],
            format!("{identifier} created: Ship the release")
        );
        assert_eq!(bodies[1]["payload"]["to"], "in_progress");
        assert_eq!(
            bodies[2]["message"],
            format!("{identifier} Ship the release is now done (was in_progress)")
        );

        // Slack: only the change to done (the filter), with the channel's template.
        let slack_posts = http.wait_for("/slack", 1, WAIT);
        assert_eq!(
            slack_posts[0].body,
            json!({ "text": format!("{identifier} is now done") })
        );
        // Discord: the agent, through the config secret, with the hook's default message.
        let discord_posts = http.wait_for("/discord", 1, WAIT);
        assert_eq!(
            discord_posts[0].body,
            json!({ "content": "Agent Ada (engineer) was created" })
        );

        // Email: one mail (the filter), to both recipients, logged in with the env secret.
        let mails = smtp.wait_for(1, WAIT);
        let mail = &mails[0];
        assert_eq!(
            mail.login,
            Some(("bot".to_string(), "s3cret-pw".to_string()))
        );
        assert_eq!(mail.from, "bot@acme.test");
        assert_eq!(mail.to, ["ops@acme.test", "cto@acme.test"]);
        assert_eq!(mail.subject, format!("{identifier}: done"));
        assert!(
            mail.body.starts_with(&format!(
                "{identifier} Ship the release is now done (was in_progress)"
            )),
            "{:?}",
            mail.body
        );
        assert!(
            mail.body.contains("issue:status_changed"),
            "{:?}",
            mail.body
        );

        // The log: every delivery sent on its first attempt; the filtered-out events queued
        // nothing.
        wait_for_deliveries(&server, &id(&webhook), 3, "sent");
        for (channel, count) in [(&slack, 1), (&discord, 1), (&email, 1)] {
            let items = wait_for_deliveries(&server, &id(channel), count, "sent");
            let d = &items[0];
            assert_eq!(d["attempts"], 1, "{d}");
            assert_eq!(d["lastError"], Value::Null, "{d}");
            assert_eq!(d["channelName"], channel["name"], "{d}");
            assert_eq!(d["companyId"], company.as_str(), "{d}");
            assert!(d["sentAt"].as_str().is_some(), "{d}");
        }
        assert_eq!(http.received_at("/slack").len(), 1);
        assert_eq!(smtp.mails().len(), 1);
        let sent = deliveries(&server, "status=sent");
        assert_eq!(sent.len(), 6, "{sent:?}");
        let status_changes = deliveries(&server, "hook=issue:status_changed");
        assert_eq!(status_changes.len(), 4, "{status_changes:?}");
    });
}

#[test]
fn failing_sinks_are_retried_with_backoff_then_sent_or_failed() {
    each_backend(|backend| {
        // Fails twice, then accepts: sent on the third attempt.
        let flaky = HttpSink::failing(Failures {
            first: 2,
            status: 500,
        });
        // Always fails: given up after maxAttempts (3).
        let down = HttpSink::failing(Failures {
            first: usize::MAX,
            status: 503,
        });
        let server = start(backend, json!({}), json!({}), &[]);
        let company = server.create_company("Acme");
        let flaky_channel = create_channel(
            &server,
            json!({"companyId": company, "name": "Flaky", "kind": "webhook",
                   "url": flaky.url("/hook"), "hooks": ["issue:created"]}),
        );
        let down_channel = create_channel(
            &server,
            json!({"companyId": company, "name": "Down", "kind": "slack",
                   "url": down.url("/hook"), "hooks": ["issue:created"]}),
        );
        create_issue(&server, &company, "Retry me");

        let sent = wait_for_deliveries(&server, &id(&flaky_channel), 1, "sent");
        assert_eq!(sent[0]["attempts"], 3, "{}", sent[0]);
        assert_eq!(sent[0]["lastError"], Value::Null);
        let posts = flaky.received_at("/hook");
        assert_eq!(posts.len(), 3);
        assert!(
            posts.iter().all(|p| p.body == posts[0].body),
            "same message each time"
        );

        let failed = wait_for_deliveries(&server, &id(&down_channel), 1, "failed");
        let failure = &failed[0];
        assert_eq!(failure["attempts"], 3, "{failure}");
        let error = failure["lastError"].as_str().unwrap();
        assert!(error.contains("HTTP 503"), "{error}");
        assert!(error.contains("sink is down"), "{error}");
        assert!(!error.contains("127.0.0.1"), "the URL is a secret: {error}");
        assert_eq!(failure["sentAt"], Value::Null);
        assert_eq!(down.received_at("/hook").len(), 3);
        // The retries waited: 0.2 s, then 0.4 s (exponential backoff).
        let created = chrono_ms(&failure["createdAt"]);
        let updated = chrono_ms(&failure["updatedAt"]);
        assert!(updated - created >= 550, "retries too early: {failure}");

        // The log filters.
        let only_failed = deliveries(&server, "status=failed");
        assert_eq!(only_failed.len(), 1);
        assert_eq!(only_failed[0]["channelId"], id(&down_channel).as_str());
        assert_eq!(deliveries(&server, "status=pending").len(), 0);
        assert_eq!(
            deliveries(
                &server,
                &format!("channelId={}&status=sent", id(&flaky_channel))
            )
            .len(),
            1
        );

        // A test send answers the outcome at once.
        let (status, outcome) = server.post(
            &format!("{BASE}/channels/{}/test", id(&flaky_channel)),
            &json!({}),
        );
        assert_eq!(status, StatusCode::OK, "{outcome}");
        assert_eq!(outcome["ok"], true);
        let last = flaky.received_at("/hook").pop().unwrap();
        assert_eq!(last.body["hook"], "test");
        assert_eq!(
            last.body["message"],
            "Test notification from Paperclip: channel \"Flaky\" works."
        );
        let (status, outcome) = server.post(
            &format!("{BASE}/channels/{}/test", id(&down_channel)),
            &json!({"message": "ping"}),
        );
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{outcome}");
        assert_eq!(outcome["ok"], false);
        assert!(
            outcome["error"].as_str().unwrap().contains("HTTP 503"),
            "{outcome}"
        );
        assert_eq!(
            down.received_at("/hook").pop().unwrap().body,
            json!({"text": "ping"})
        );
    });
}

/// An RFC 3339 time as Unix milliseconds.
fn chrono_ms(value: &Value) -> i64 {
    let text = value.as_str().expect("a time");
    // `2026-12-10T10:00:00.123Z`: seconds of the day are enough for the short spans compared.
    let time = text.split('T').nth(1).expect("a time of day");
    let parts: Vec<f64> = time
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.parse().expect("a number"))
        .collect();
    ((parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]) * 1000.0).round() as i64
}

/// Asserts a refusal with `status` naming `field`.
fn assert_refused((status, body): (StatusCode, Value), expected: StatusCode, field: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["field"], field, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

#[test]
fn bad_channels_are_refused_naming_the_field_and_change_nothing() {
    each_backend(|backend| {
        let sink = HttpSink::start();
        let server = start(backend, json!({}), json!({}), &[]);
        let company = server.create_company("Acme");
        let valid = json!({"companyId": company, "name": "Ops", "kind": "slack",
                           "url": sink.url("/slack"), "hooks": ["issue:created"]});
        let with = |key: &str, value: Value| {
            let mut body = valid.clone();
            if value.is_null() {
                body.as_object_mut().unwrap().remove(key);
            } else {
                body[key] = value;
            }
            body
        };
        let post = |body: Value| server.post(&format!("{BASE}/channels"), &body);
        let bad = StatusCode::BAD_REQUEST;
        assert_refused(post(with("kind", json!("sms"))), bad, "kind");
        assert_refused(post(with("url", json!("ftp://example.com/x"))), bad, "url");
        assert_refused(post(with("url", Value::Null)), bad, "url");
        assert_refused(
            post(with("hooks", json!(["issue:exploded"]))),
            bad,
            "hooks[0]",
        );
        assert_refused(post(with("hooks", json!([]))), bad, "hooks");
        assert_refused(
            post(with(
                "filters",
                json!([{"path": "to", "op": "eq", "value": 1},
                       {"path": "to", "op": "like", "value": "x"}]),
            )),
            bad,
            "filters[1].op",
        );
        assert_refused(post(with("template", json!("{{oops"))), bad, "template");
        assert_refused(post(with("name", Value::Null)), bad, "name");
        assert_refused(post(with("colour", json!("red"))), bad, "colour");
        assert_refused(post(with("enabled", json!("yes"))), bad, "enabled");
        assert_refused(
            post(with(
                "companyId",
                json!("00000000-0000-0000-0000-000000000000"),
            )),
            bad,
            "companyId",
        );
        let mut email = with("kind", json!("email"));
        email.as_object_mut().unwrap().remove("url");
        email["email"] = json!({"from": "bot@acme.test", "to": ["ops@acme.test"]});
        assert_refused(post(email.clone()), bad, "email.host");
        email["email"]["host"] = json!("smtp.acme.test");
        email["email"]["tls"] = json!("ssl");
        assert_refused(post(email.clone()), bad, "email.tls");
        email["email"]["tls"] = json!("starttls");
        email["email"]["to"] = json!(["ops@acme.test", "not a mailbox"]);
        assert_refused(post(email.clone()), bad, "email.to[1]");
        email["email"]["to"] = json!(["ops@acme.test"]);
        email["email"]["port"] = json!("smtp");
        assert_refused(post(email), bad, "email.port");
        assert_eq!(
            get(&server, "/channels")["items"],
            json!([]),
            "nothing stored"
        );

        // A valid channel; bad changes change nothing.
        let channel = create_channel(&server, valid.clone());
        let path = format!("{BASE}/channels/{}", id(&channel));
        assert_refused(
            server.patch(
                &path,
                &json!({"filters": [{"path": "to", "op": "regex", "value": "."}]}),
            ),
            bad,
            "filters[0].op",
        );
        assert_refused(
            server.patch(&path, &json!({"companyId": "other"})),
            bad,
            "companyId",
        );
        assert_refused(server.patch(&path, &json!({"kind": "email"})), bad, "email");
        assert_eq!(server.get_ok(&path), channel);

        // A good change; the masked URL sent back keeps the stored one.
        let (status, changed) = server.patch(
            &path,
            &json!({"url": "***", "template": "{{issue.title}}", "enabled": false}),
        );
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["enabled"], false);
        assert_eq!(changed["template"], "{{issue.title}}");
        assert_eq!(changed["url"], "***");
        let (status, outcome) = server.post(&format!("{path}/test"), &json!({"message": "hi"}));
        assert_eq!(
            (status, outcome["ok"].clone()),
            (StatusCode::OK, json!(true))
        );
        assert_eq!(sink.received_at("/slack")[0].body, json!({"text": "hi"}));

        // A disabled channel queues nothing: another channel's delivery of the same event shows
        // the event was handled.
        let witness = create_channel(
            &server,
            json!({"companyId": company, "name": "Witness", "kind": "webhook",
                   "url": sink.url("/witness"), "hooks": ["issue:created"]}),
        );
        create_issue(&server, &company, "Quiet");
        wait_for_deliveries(&server, &id(&witness), 1, "sent");
        assert!(deliveries(&server, &format!("channelId={}", id(&channel))).is_empty());
        let (status, _) = server.patch(&path, &json!({"enabled": true}));
        assert_eq!(status, StatusCode::OK);
        let titled = create_issue(&server, &company, "Loud");
        sink.wait_for("/slack", 2, WAIT);
        assert_eq!(
            sink.received_at("/slack")[1].body,
            json!({"text": titled["title"]})
        );

        // The log's query is strict too.
        assert_refused(
            server.get(&format!("{BASE}/deliveries?status=lost")),
            bad,
            "status",
        );
        assert_refused(
            server.get(&format!("{BASE}/deliveries?channelid=x")),
            bad,
            "channelid",
        );
        assert_refused(
            server.get(&format!("{BASE}/deliveries?hook=issue:gone")),
            bad,
            "hook",
        );
        assert_refused(
            server.get(&format!("{BASE}/deliveries?limit=0")),
            bad,
            "limit",
        );

        // Delete: the channel and its log are gone.
        let (status, _) = server.delete(&path);
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(server.get(&path).0, StatusCode::NOT_FOUND);
        assert_eq!(server.delete(&path).0, StatusCode::NOT_FOUND);
        assert_eq!(
            server
                .get(&format!("{BASE}/deliveries?channelId={}", id(&channel)))
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&server, "/channels")["items"].as_array().unwrap().len(),
            1
        );
    });
}

#[test]
fn nothing_is_sent_for_a_company_the_module_is_not_enabled_for() {
    each_backend(|backend| {
        let sink = HttpSink::start();
        let server = start(backend, json!({}), json!({}), &[]);
        let acme = server.create_company("Acme");
        let globex = server.create_company("Globex");
        let channel_of = |company: &str, path: &str| {
            create_channel(
                &server,
                json!({"companyId": company, "name": path, "kind": "webhook",
                       "url": sink.url(path), "hooks": ["issue:created"]}),
            )
        };
        let acme_channel = channel_of(&acme, "/acme");
        let globex_channel = channel_of(&globex, "/globex");

        let (status, body) = server.put(
            "/api/admin/modules/notifications/companies",
            &json!({"mode": "only", "companyIds": [acme]}),
        );
        assert_eq!(status, StatusCode::OK, "{body}");

        // Globex's event first, then Acme's: once Acme's is delivered, Globex's was passed over.
        create_issue(&server, &globex, "Not for us");
        create_issue(&server, &acme, "For us");
        sink.wait_for("/acme", 1, WAIT);
        wait_for_deliveries(&server, &id(&acme_channel), 1, "sent");
        std::thread::sleep(Duration::from_millis(300));
        assert!(sink.received_at("/globex").is_empty());

        // The routes refuse the other company, and list only the enabled one.
        let forbidden = StatusCode::FORBIDDEN;
        assert_refused(
            server.get(&format!("{BASE}/channels?companyId={globex}")),
            forbidden,
            "companyId",
        );
        assert_refused(
            server.post(
                &format!("{BASE}/channels"),
                &json!({"companyId": globex, "name": "x", "kind": "slack",
                        "url": sink.url("/x"), "hooks": ["issue:created"]}),
            ),
            forbidden,
            "companyId",
        );
        let globex_path = format!("{BASE}/channels/{}", id(&globex_channel));
        assert_eq!(server.get(&globex_path).0, forbidden);
        assert_eq!(
            server.post(&format!("{globex_path}/test"), &json!({})).0,
            forbidden
        );
        assert_eq!(server.delete(&globex_path).0, forbidden);
        let listed = get(&server, "/channels")["items"].clone();
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed[0]["companyId"], acme.as_str());
        assert!(deliveries(&server, &format!("companyId={acme}")).len() == 1);
        assert!(sink.received_at("/globex").is_empty());

        // Enabled for every company again: Globex's new events are delivered.
        let (status, body) = server.put(
            "/api/admin/modules/notifications/companies",
            &json!({"mode": "all"}),
        );
        assert_eq!(status, StatusCode::OK, "{body}");
        create_issue(&server, &globex, "Now for us");
        let posts = sink.wait_for("/globex", 1, WAIT);
        assert_eq!(posts[0].body["payload"]["issue"]["title"], "Now for us");
    });
}

#[test]
fn config_secrets_work_at_the_process_isolation_level_and_what_cannot_work_says_why() {
    each_backend(|backend| {
        let sink = HttpSink::start();
        let url = sink.url("/hook");
        let server = start(
            backend,
            json!({"maxAttempts": 1, "secrets": {"HOOK_URL": "$NT_TEST_HOOK_URL"}}),
            json!({"isolation": {"notifications": "process"}}),
            &[
                ("NT_TEST_HOOK_URL", url.as_str()),
                ("NT_TEST_ENV_ONLY", url.as_str()),
            ],
        );
        let view = server.get_ok("/api/admin/modules/notifications");
        assert_eq!(view["config"]["secrets"]["HOOK_URL"], "***", "{view}");
        let company = server.create_company("Acme");
        let from_config = create_channel(
            &server,
            json!({"companyId": company, "name": "Config secret", "kind": "webhook",
                   "url": "$HOOK_URL", "hooks": ["goal:created"]}),
        );
        let from_env = create_channel(
            &server,
            json!({"companyId": company, "name": "Env only", "kind": "webhook",
                   "url": "$NT_TEST_ENV_ONLY", "hooks": ["goal:created"]}),
        );
        // The sandbox resolves no host name: the error says so.
        let by_name = create_channel(
            &server,
            json!({"companyId": company, "name": "By name", "kind": "webhook",
                   "url": url.replace("127.0.0.1", "localhost"), "hooks": ["goal:created"]}),
        );
        server.create_goal(&company, json!({"title": "Launch"}));

        let posts = sink.wait_for("/hook", 1, WAIT);
        assert_eq!(posts[0].body["message"], "Goal created: Launch");
        wait_for_deliveries(&server, &id(&from_config), 1, "sent");
        let failed = wait_for_deliveries(&server, &id(&from_env), 1, "failed");
        let error = failed[0]["lastError"].as_str().unwrap();
        assert!(error.contains("NT_TEST_ENV_ONLY"), "{error}");
        assert!(error.contains("secrets"), "{error}");
        assert!(error.contains("process"), "{error}");
        let failed = wait_for_deliveries(&server, &id(&by_name), 1, "failed");
        let error = failed[0]["lastError"].as_str().unwrap();
        assert!(error.contains("host names do not resolve"), "{error}");
        assert!(error.contains("IP address"), "{error}");
        wait_until("the module's note on its environment", WAIT, || {
            server
                .stderr_log()
                .contains("environment is empty (process isolation level)")
                .then_some(())
        });
        assert_eq!(sink.received_at("/hook").len(), 1);
    });
}
