//! The host handle called through the ABI trait object, as a module calls it.

use super::{new_host_handle, new_host_handle_with_db, printable, MAX_LOG_MESSAGE_BYTES};
use crate::module_db::test_databases::each_backend;
use abi_stable::std_types::RResult;
use module_sdk::abi::{HostError, HostHandle, LogLevel};
use paperclip_core::core::{company, Core};
use paperclip_core::hooks::HookBus;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

fn ok<T>(result: RResult<T, HostError>) -> T {
    match result {
        RResult::ROk(value) => value,
        RResult::RErr(e) => panic!("host call failed: {e}"),
    }
}

fn err<T: std::fmt::Debug>(result: RResult<T, HostError>) -> String {
    match result {
        RResult::ROk(value) => panic!("host call should fail, answered {value:?}"),
        RResult::RErr(e) => e.message.to_string(),
    }
}

fn query(handle: &HostHandle, tx: u64, sql: &str, params: Value) -> Value {
    let rows = ok(handle.db_query(tx, sql.into(), params.to_string().as_str().into()));
    serde_json::from_str(&rows).unwrap()
}

#[test]
fn a_module_uses_its_database_through_the_handle() {
    each_backend(|database| {
        let core = Core::new(database.db.clone(), Arc::new(HookBus::new()));
        let (handle, module_db) = new_host_handle_with_db("demo-mod", core);
        assert_eq!(handle.module_id().as_str(), "demo-mod");

        let created = handle.db_execute(
            0,
            "CREATE TABLE mod_demo_mod_notes (id INTEGER PRIMARY KEY, body TEXT, score REAL)"
                .into(),
            "[]".into(),
        );
        assert_eq!(ok(created), 0);
        let inserted = handle.db_execute(
            0,
            "INSERT INTO mod_demo_mod_notes (id, body, score) VALUES ($1, $2, $3)".into(),
            r#"[1, "hello", 0.5]"#.into(),
        );
        assert_eq!(ok(inserted), 1);
        assert_eq!(
            query(
                &handle,
                0,
                "SELECT id, body, score FROM mod_demo_mod_notes",
                json!([])
            ),
            json!([{"id": 1, "body": "hello", "score": 0.5}])
        );

        let tx = ok(handle.db_begin());
        ok(handle.db_execute(
            tx,
            "INSERT INTO mod_demo_mod_notes (id, body) VALUES ($1, $2)".into(),
            r#"[2, "draft"]"#.into(),
        ));
        assert_eq!(module_db.open_transactions(), 1);
        ok(handle.db_rollback(tx));
        let tx = ok(handle.db_begin());
        ok(handle.db_execute(
            tx,
            "UPDATE mod_demo_mod_notes SET body = $1 WHERE id = $2".into(),
            r#"["edited", 1]"#.into(),
        ));
        ok(handle.db_commit(tx));
        assert_eq!(
            query(
                &handle,
                0,
                "SELECT id, body FROM mod_demo_mod_notes ORDER BY id",
                json!([])
            ),
            json!([{"id": 1, "body": "edited"}])
        );

        // The host's ModuleDb ends what the module left open.
        let tx = ok(handle.db_begin());
        assert_eq!(module_db.rollback_all(), 1);
        assert!(err(handle.db_commit(tx)).contains("not open"));
    });
}

#[test]
fn refusals_reach_the_module_as_host_errors() {
    each_backend(|database| {
        let core = Core::new(database.db.clone(), Arc::new(HookBus::new()));
        let handle = new_host_handle("demo", core.clone());
        let other = new_host_handle("other", core);

        let refused = err(handle.db_execute(
            0,
            "DELETE FROM agents WHERE id = $1".into(),
            r#"["x"]"#.into(),
        ));
        assert!(refused.starts_with("SQL refused: "), "{refused}");
        assert!(refused.contains("agents"), "{refused}");

        let not_array = err(handle.db_query(0, "SELECT 1 AS one".into(), r#"{"a": 1}"#.into()));
        assert_eq!(
            not_array,
            "parameters must be a JSON array of values: got an object"
        );
        let count = err(handle.db_query(0, "SELECT $1 AS one".into(), "[]".into()));
        assert!(
            count.contains("uses 1 parameter(s) but 0 were given"),
            "{count}"
        );

        let tx = ok(handle.db_begin());
        let foreign = err(other.db_query(tx, "SELECT 1 AS one".into(), "[]".into()));
        assert_eq!(
            foreign,
            format!("transaction {tx} belongs to another module")
        );
        ok(handle.db_rollback(tx));

        let unknown = err(handle.core_call("agents.delete".into(), "{}".into()));
        assert!(
            unknown.contains("unknown core method `agents.delete`"),
            "{unknown}"
        );
        assert!(unknown.contains("issues.list"), "{unknown}");
    });
}

#[test]
fn core_calls_answer_json_text() {
    each_backend(|database| {
        let core = Core::new(database.db.clone(), Arc::new(HookBus::new()));
        let acme = core
            .write_blocking(|c, _| {
                company::create(
                    c,
                    "test",
                    serde_json::from_value(json!({"name": "Acme"})).unwrap(),
                )
            })
            .unwrap();
        let handle = new_host_handle("demo", core);
        let args = json!({"id": acme.id}).to_string();
        let answer = ok(handle.core_call("companies.get".into(), args.as_str().into()));
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(answer, serde_json::to_value(&acme).unwrap());
        let none = ok(handle.core_call("agents.list".into(), "".into()));
        assert_eq!(none.as_str(), "[]");
    });
}

/// A `tracing` writer that keeps what was written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn log_lines_carry_the_module_id_and_level() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let dir = tempfile::tempdir().unwrap();
    let db = paperclip_core::db::Database::open(&dir.path().join("log.db").display().to_string())
        .unwrap();
    let handle = new_host_handle("observability", Core::new(db, Arc::new(HookBus::new())));
    tracing::subscriber::with_default(subscriber, || {
        handle.log(LogLevel::Info, "started".into());
        handle.log(LogLevel::Warn, "two\nlines".into());
        handle.log(LogLevel::Error, "broken".into());
        handle.log(LogLevel::Debug, "details".into());
        handle.log(LogLevel::Trace, "too fine to show".into());
    });
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    for (line, (level, message)) in lines.iter().zip([
        ("INFO", "started"),
        ("WARN", "two\\nlines"),
        ("ERROR", "broken"),
        ("DEBUG", "details"),
    ]) {
        assert!(line.contains(level), "{line}");
        assert!(line.contains(message), "{line}");
        assert!(line.contains("module=observability"), "{line}");
        assert!(line.contains("paperclip::module"), "{line}");
    }
}

#[test]
fn long_log_messages_are_cut_on_a_character_boundary() {
    let long = "é".repeat(MAX_LOG_MESSAGE_BYTES);
    let shown = printable(&long);
    assert!(shown.len() < long.len());
    assert!(
        shown.ends_with("bytes cut)"),
        "{}",
        &shown[shown.len() - 40..]
    );
    assert_eq!(printable("a\r\nb"), "a\\r\\nb");
}
