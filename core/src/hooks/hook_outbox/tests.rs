//! The hook outbox on a fresh SQLite database and, when `PAPERCLIP_TEST_DATABASE_URL` is set, on
//! a fresh PostgreSQL database: what `Core::write` records, and reading and pruning it back.

use super::{newest_seq, prune, read_after, size};
use crate::core::agent::{self, NewAgent};
use crate::core::company::{self, NewCompany};
use crate::core::{Core, CoreError};
use crate::db::Database;
use crate::hooks::test_backends::each_backend;
use crate::hooks::{Hook, HookBus, HookEvent, HookSubscriber, SubscriptionOptions};
use chrono::{Duration as ChronoDuration, NaiveDateTime};
use serde_json::{json, Value};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Forwards every delivered event to the test.
struct Recorder(Mutex<Sender<HookEvent>>);

impl HookSubscriber for Recorder {
    fn name(&self) -> &str {
        "outbox-test"
    }
    fn deliver(&self, event: &HookEvent) -> Result<(), String> {
        let _ = self.0.lock().unwrap().send(event.clone());
        Ok(())
    }
}

/// A core on `db` whose bus forwards every hook to the returned receiver.
fn core_with_recorder(db: &Database) -> (Core, Receiver<HookEvent>) {
    let bus = Arc::new(HookBus::new());
    let (tx, rx) = mpsc::channel();
    bus.subscribe(
        Arc::new(Recorder(Mutex::new(tx))),
        &Hook::ALL,
        SubscriptionOptions::default(),
    );
    (Core::new(db.clone(), bus), rx)
}

fn new_agent(name: &str) -> NewAgent {
    serde_json::from_value(json!({ "name": name })).expect("a valid agent body")
}

/// Creates a company and `agents` agents in one write; returns the company id.
fn write_agents(core: &Core, agents: &[&str]) -> Result<String, CoreError> {
    let agents: Vec<String> = agents.iter().map(|a| a.to_string()).collect();
    core.write_blocking(move |tx, hooks| {
        let body: NewCompany = serde_json::from_value(json!({"name": "Outbox Inc"})).unwrap();
        let company = company::create(tx, "test", body)?;
        for name in &agents {
            agent::create(tx, hooks, "test", &company.id, new_agent(name))?;
        }
        Ok(company.id)
    })
}

fn next(events: &Receiver<HookEvent>) -> HookEvent {
    events
        .recv_timeout(Duration::from_secs(10))
        .expect("an event within 10 s")
}

#[test]
fn a_committed_write_records_its_events_with_the_event_id_that_is_delivered() {
    each_backend(|db| {
        let (core, events) = core_with_recorder(db);
        let mut conn = db.conn().unwrap();
        assert_eq!(newest_seq(&mut conn).unwrap(), None);
        write_agents(&core, &["Ada", "Bob"]).unwrap();

        let rows = read_after(&mut conn, 0, 100).unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows[0].seq < rows[1].seq);
        for (row, name) in rows.iter().zip(["Ada", "Bob"]) {
            let delivered = next(&events);
            assert_eq!(delivered.hook, Hook::AgentCreated);
            assert_eq!(row.hook, Hook::AgentCreated);
            assert_eq!(delivered.seq, Some(row.seq));
            assert_eq!(delivered.event_id.as_deref(), Some(row.event_id.as_str()));
            // The delivered payload is the stored text, and carries the same id.
            assert_eq!(&*delivered.payload, row.payload.as_str());
            let payload: Value = serde_json::from_str(&row.payload).unwrap();
            assert_eq!(payload["eventId"], row.event_id.as_str());
            assert_eq!(payload["agent"]["name"], name);
            assert!(uuid::Uuid::parse_str(&row.event_id).is_ok());
        }
        assert_ne!(rows[0].event_id, rows[1].event_id);
        assert_eq!(newest_seq(&mut conn).unwrap(), Some(rows[1].seq));
        assert_eq!(size(&mut conn).unwrap(), 2);
    });
}

#[test]
fn a_failed_write_records_and_emits_nothing() {
    each_backend(|db| {
        let (core, events) = core_with_recorder(db);
        // The second agent's blank name fails validation after the first was inserted and
        // queued: the whole write rolls back, its queued event with it.
        let failed = write_agents(&core, &["Ada", " "]);
        assert!(failed.is_err(), "{failed:?}");
        let mut conn = db.conn().unwrap();
        assert_eq!(size(&mut conn).unwrap(), 0);
        assert_eq!(newest_seq(&mut conn).unwrap(), None);
        assert!(events.recv_timeout(Duration::from_millis(200)).is_err());
    });
}

#[test]
fn a_large_write_is_recorded_in_order_across_insert_chunks() {
    each_backend(|db| {
        let (core, _events) = core_with_recorder(db);
        let names: Vec<String> = (0..1_203).map(|n| format!("Agent {n}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        write_agents(&core, &refs).unwrap();
        let mut conn = db.conn().unwrap();
        let rows = read_after(&mut conn, 0, 5_000).unwrap();
        assert_eq!(rows.len(), 1_203);
        for (row, name) in rows.iter().zip(&names) {
            let payload: Value = serde_json::from_str(&row.payload).unwrap();
            assert_eq!(payload["agent"]["name"], name.as_str());
            assert_eq!(payload["eventId"], row.event_id.as_str());
        }
        assert!(rows.windows(2).all(|w| w[0].seq < w[1].seq));
    });
}

#[test]
fn read_after_pages_and_prune_deletes_below_the_cursor_or_beyond_the_retention() {
    each_backend(|db| {
        let (core, _events) = core_with_recorder(db);
        write_agents(&core, &["A", "B", "C", "D", "E"]).unwrap();
        let mut conn = db.conn().unwrap();
        let all = read_after(&mut conn, 0, 100).unwrap();
        let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();

        // Paging: after a seq, at most `limit`, oldest first.
        let page = read_after(&mut conn, seqs[1], 2).unwrap();
        assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs[2..4]);
        assert!(read_after(&mut conn, seqs[4], 10).unwrap().is_empty());

        // Below the cursor only (the retention rule given a time before every event).
        assert_eq!(
            prune(&mut conn, seqs[2], NaiveDateTime::default()).unwrap(),
            2
        );
        assert_eq!(size(&mut conn).unwrap(), 3);
        assert_eq!(read_after(&mut conn, 0, 100).unwrap()[0].seq, seqs[2]);
        // A retention ending in the future takes everything but the newest event, which stays
        // so that numbers keep growing.
        let future = crate::db::now() + ChronoDuration::hours(1);
        assert_eq!(prune(&mut conn, 0, future).unwrap(), 2);
        assert_eq!(size(&mut conn).unwrap(), 1);
        assert_eq!(newest_seq(&mut conn).unwrap(), Some(seqs[4]));
        assert_eq!(prune(&mut conn, i64::MAX, future).unwrap(), 0);

        // Numbers are never reused after pruning.
        write_agents(&core, &["F"]).unwrap();
        let after = read_after(&mut conn, 0, 10).unwrap();
        assert_eq!(after.len(), 2);
        assert_eq!(after[0].seq, seqs[4]);
        assert!(after[1].seq > seqs[4], "{} after {}", after[1].seq, seqs[4]);
    });
}

#[test]
fn events_emitted_outside_the_outbox_carry_no_seq_or_event_id() {
    let bus = HookBus::new();
    let (tx, rx) = mpsc::channel();
    bus.subscribe(
        Arc::new(Recorder(Mutex::new(tx))),
        &[Hook::ServerStarted],
        SubscriptionOptions::default(),
    );
    bus.emit(Hook::ServerStarted, &json!({"port": 3100}));
    let event = next(&rx);
    assert_eq!((event.seq, event.event_id), (None, None));
    assert_eq!(&*event.payload, r#"{"port":3100}"#);
}
