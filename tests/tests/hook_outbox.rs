//! The transactional hook outbox through the real server, on SQLite and PostgreSQL: every hook
//! event of a committed core write (over HTTP, or a template import) is a row of `hook_outbox`
//! whose `event_id` is the `eventId` of the payload a module received, and whose payload is
//! exactly what it received; a write refused by validation, or failing inside its transaction,
//! leaves no row and delivers nothing; and a write whose events cannot be recorded does not
//! commit.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first.

mod modules_support;
mod templates_support;

use modules_support::{
    kitchen_config, kitchen_event_count, wait_for, wait_for_status, KITCHEN_SECRET, KITCHEN_SINK,
};
use paperclip_e2e::{
    each_backend, json, DirectDb, ServerOptions, StatusCode, TestBackend, TestServer, Value,
};
use std::collections::BTreeMap;
use templates_support::{import, import_ok, startup_template, Db};

fn start(backend: TestBackend) -> TestServer {
    start_with(backend, kitchen_config())
}

fn start_with(backend: TestBackend, config: Value) -> TestServer {
    let server = TestServer::start(
        backend,
        ServerOptions::new()
            .module(KITCHEN_SINK)
            .config(config)
            .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
    );
    wait_for_status(&server, KITCHEN_SINK, "active");
    server
}

/// One event: its hook and its payload (parsed).
type Event = (String, Value);

/// The outbox by event id, checking that each row's payload carries its row's `event_id` and
/// that `seq` grows with insertion.
fn outbox(db: &mut DirectDb) -> BTreeMap<String, Event> {
    let ids = db.texts("SELECT event_id AS v FROM hook_outbox ORDER BY seq");
    let hooks = db.texts("SELECT hook AS v FROM hook_outbox ORDER BY seq");
    let payloads = db.texts("SELECT payload AS v FROM hook_outbox ORDER BY seq");
    assert_eq!((ids.len(), hooks.len()), (payloads.len(), payloads.len()));
    let mut events = BTreeMap::new();
    for ((id, hook), payload) in ids.into_iter().zip(hooks).zip(payloads) {
        let payload: Value = serde_json::from_str(&payload).expect("an outbox payload is JSON");
        assert_eq!(payload["eventId"], id.as_str(), "row {id}: {payload}");
        assert!(
            events.insert(id.clone(), (hook, payload)).is_none(),
            "event id {id} twice"
        );
    }
    events
}

fn outbox_size(db: &mut DirectDb) -> i64 {
    db.count("SELECT COUNT(*) AS n FROM hook_outbox")
}

/// What the kitchen sink received from core writes (every hook but `server:started`), by the
/// payload's `eventId`.
fn delivered(server: &TestServer) -> BTreeMap<String, Event> {
    let body = server.get_ok("/api/modules/kitchen-sink/events");
    let mut events = BTreeMap::new();
    for event in body["events"].as_array().expect("an events array") {
        let hook = event["hook"].as_str().expect("a hook").to_string();
        if hook == "server:started" {
            continue;
        }
        let payload = event["payload"].clone();
        let id = payload["eventId"]
            .as_str()
            .unwrap_or_else(|| panic!("{hook} delivered without eventId: {payload}"))
            .to_string();
        assert!(
            events.insert(id.clone(), (hook, payload)).is_none(),
            "event id {id} delivered twice"
        );
    }
    events
}

/// Waits until the kitchen sink received as many core events as the outbox holds, then asserts
/// they are the same events: same ids, hooks and payloads. Returns the outbox.
fn assert_outbox_is_what_was_delivered(
    server: &TestServer,
    db: &mut DirectDb,
) -> BTreeMap<String, Event> {
    let stored = outbox(db);
    wait_for("the kitchen sink to receive every recorded event", || {
        (delivered(server).len() >= stored.len()).then_some(())
    });
    let received = delivered(server);
    assert_eq!(
        received.keys().collect::<Vec<_>>(),
        stored.keys().collect::<Vec<_>>(),
        "the delivered event ids are the outbox's"
    );
    for (id, (hook, payload)) in &stored {
        assert_eq!(
            &received[id],
            &(hook.clone(), payload.clone()),
            "event {id}"
        );
    }
    stored
}

/// How many stored events of `hook` there are.
fn count_of(events: &BTreeMap<String, Event>, hook: &str) -> usize {
    events.values().filter(|(h, _)| h == hook).count()
}

#[test]
fn writes_over_http_record_exactly_the_events_modules_receive() {
    each_backend(|backend| {
        let server = start(backend);
        let mut db = DirectDb::open(&server);
        // Companies have no hook; server:started is not a core write.
        let company = server.create_company("Outbox Corp");
        assert_eq!(outbox_size(&mut db), 0);

        let ada = server.create_agent(&company, json!({"name": "Ada"}));
        let issue = server.create_issue(
            &company,
            json!({"title": "Record it", "assigneeAgentId": ada}),
        );
        let stored = assert_outbox_is_what_was_delivered(&server, &mut db);
        assert_eq!(stored.len(), 3, "{stored:?}");
        assert_eq!(count_of(&stored, "agent:created"), 1);
        assert_eq!(count_of(&stored, "issue:created"), 1);
        assert_eq!(count_of(&stored, "issue:assigned"), 1);
        for (hook, payload) in stored.values() {
            match hook.as_str() {
                "agent:created" => assert_eq!(payload["agent"]["id"], ada.as_str()),
                _ => assert_eq!(payload["issue"]["id"], issue.as_str()),
            }
        }
        // seq only grows, in the order the write queued its events.
        let hooks_in_order = db.texts("SELECT hook AS v FROM hook_outbox ORDER BY seq");
        assert_eq!(
            hooks_in_order,
            ["agent:created", "issue:created", "issue:assigned"]
        );
    });
}

#[test]
fn refused_and_failed_writes_leave_no_event() {
    each_backend(|backend| {
        let server = start(backend);
        let mut db = DirectDb::open(&server);
        let company = server.create_company("Strict Corp");
        server.create_agent(&company, json!({"name": "Ada"}));
        let before = assert_outbox_is_what_was_delivered(&server, &mut db);
        assert_eq!(before.len(), 1);
        let agents = format!("/api/companies/{company}/agents");

        // A bad body: refused before the transaction.
        let (status, body) = server.post(&agents, &json!({"name": 5}));
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        // Refused by validation inside the write (a manager that does not exist).
        let (status, body) = server.post(
            &agents,
            &json!({"name": "Bob", "reportsTo": "7d1e8f0a-0000-4000-8000-000000000000"}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        // A write that fails inside the database: the whole transaction rolls back.
        let mut poison = Db::open(&server);
        poison.reject_issue_title("Poisoned");
        let (status, body) = server.post(
            &format!("/api/companies/{company}/issues"),
            &json!({"title": "Poisoned"}),
        );
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");

        // A later good write is recorded and delivered; nothing of the failed ones is.
        server.create_agent(&company, json!({"name": "Carol"}));
        let after = assert_outbox_is_what_was_delivered(&server, &mut db);
        assert_eq!(after.len(), 2, "{after:?}");
        assert_eq!(count_of(&after, "agent:created"), 2);
        assert_eq!(
            kitchen_event_count(&server),
            3,
            "server:started + two agents"
        );
    });
}

#[test]
fn a_write_whose_events_cannot_be_recorded_does_not_commit() {
    each_backend(|backend| {
        let server = start(backend);
        let mut db = DirectDb::open(&server);
        let company = server.create_company("Atomic Corp");
        let ada = server.create_agent(&company, json!({"name": "Ada"}));
        // Make recording `issue:assigned` fail inside the database.
        let trigger: &[&str] = if db.is_postgres() {
            &[
                "CREATE FUNCTION reject_assigned() RETURNS trigger AS $$ BEGIN \
                 IF NEW.hook = 'issue:assigned' THEN RAISE EXCEPTION 'injected outbox failure'; \
                 END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER reject_assigned BEFORE INSERT ON hook_outbox \
                 FOR EACH ROW EXECUTE FUNCTION reject_assigned()",
            ]
        } else {
            &[
                "CREATE TRIGGER reject_assigned BEFORE INSERT ON hook_outbox \
               WHEN NEW.hook = 'issue:assigned' \
               BEGIN SELECT RAISE(ABORT, 'injected outbox failure'); END",
            ]
        };
        for statement in trigger {
            db.run(statement).expect("install the trigger");
        }

        let issues = format!("/api/companies/{company}/issues");
        let (status, body) = server.post(
            &issues,
            &json!({"title": "Unrecordable", "assigneeAgentId": ada}),
        );
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert_eq!(
            db.count("SELECT COUNT(*) AS n FROM issues"),
            0,
            "the issue committed without its events"
        );
        // An unassigned issue has no issue:assigned and commits with its event.
        server.create_issue(&company, json!({"title": "Recordable"}));
        let stored = assert_outbox_is_what_was_delivered(&server, &mut db);
        assert_eq!(count_of(&stored, "issue:created"), 1, "{stored:?}");
        assert_eq!(count_of(&stored, "issue:assigned"), 0, "{stored:?}");
    });
}

#[test]
fn a_template_import_records_its_events_in_the_outbox() {
    each_backend(|backend| {
        let server = start(backend);
        let mut db = DirectDb::open(&server);
        let template = startup_template();
        let answer = import_ok(&server, &template, None);
        let refs = &answer["refs"];
        let stored = assert_outbox_is_what_was_delivered(&server, &mut db);
        let agents = refs["agents"].as_object().unwrap().len();
        let goals = refs["goals"].as_object().unwrap().len();
        assert_eq!(count_of(&stored, "agent:created"), agents);
        assert_eq!(count_of(&stored, "goal:created"), goals);
        let issues = template["issues"].as_array().unwrap().len();
        assert_eq!(count_of(&stored, "issue:created"), issues);

        // An import that fails in the database after queuing the events of its agents and goals
        // records none of them.
        let before = stored.len();
        let mut poison = Db::open(&server);
        poison.reject_issue_title("Poisoned");
        let mut template = startup_template();
        template["issues"][0]["title"] = json!("Poisoned");
        let (status, body) = import(&server, &template, Some("Second Copy"));
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert_eq!(outbox_size(&mut db) as usize, before);
    });
}

#[test]
fn events_past_the_retention_are_deleted_and_the_rest_kept() {
    each_backend(|backend| {
        // Pruned every second (the newest event always stays, so numbers keep growing).
        let mut config = kitchen_config();
        config["modules"]["outboxPruneSeconds"] = json!(1);
        let mut server = start_with(backend, config);
        let company = server.create_company("Retention Corp");
        for name in ["Old One", "Old Two"] {
            server.create_agent(&company, json!({ "name": name }));
        }
        let mut db = DirectDb::open(&server);
        let old = outbox_size(&mut db);
        assert_eq!(old, 2, "two agent:created events recorded");
        // Those events are now older than the default retention (168 h)…
        db.run("UPDATE hook_outbox SET created_at = '2000-01-01 00:00:00'")
            .expect("backdating the outbox");
        drop(db);
        // …so the sweep at the next start deletes them, and keeps what is recent.
        server.restart();
        wait_for_status(&server, KITCHEN_SINK, "active");
        server.create_agent(&company, json!({ "name": "New" }));
        let mut db = DirectDb::open(&server);
        wait_for("the old events to be swept", || {
            (outbox_size(&mut db) == 1).then_some(())
        });
        let kept = db.texts("SELECT hook AS v FROM hook_outbox");
        assert_eq!(kept, vec!["agent:created".to_string()]);
    });
}
