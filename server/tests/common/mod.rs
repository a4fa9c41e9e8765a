//! Shared harness of the server's in-process integration tests: a real database (a temporary
//! SQLite file, and a fresh PostgreSQL database per test when `PAPERCLIP_TEST_DATABASE_URL` is
//! set), a real [`HookBus`] with a recording subscriber, and the real actix app.
#![allow(dead_code)]

use actix_web::web;
use diesel::prelude::*;
use paperclip::app::AppState;
use paperclip::config::Config;
use paperclip::core::Core;
use paperclip::db::{migrations, Database, DbConnection};
use paperclip::hooks::{Hook, HookBus, HookEvent, HookSubscriber, SubscriptionOptions};
use paperclip::module_host::{HostSettings, ModuleHost};
use paperclip_test_support::{postgres_admin_url, TestDatabase as PostgresDatabase};
use parking_lot::{Condvar, Mutex};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Upper bound for anything a test waits for; reached only when something is broken.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A database created for one test and removed after it.
pub struct TestDb {
    /// The database (declared first: its pool closes before a PostgreSQL drop).
    db: Database,
    /// `sqlite` or `postgres`, for assertion messages.
    pub label: &'static str,
    /// Keeps the SQLite file's directory alive.
    _dir: Option<tempfile::TempDir>,
    /// For PostgreSQL: the database to drop, with the module roles made for it.
    _postgres: Option<PostgresDatabase>,
}

impl TestDb {
    /// A migrated SQLite database in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("paperclip.db");
        let db = open_migrated(path.to_str().expect("utf-8 temp path"));
        TestDb {
            db,
            label: "sqlite",
            _dir: Some(dir),
            _postgres: None,
        }
    }

    /// A fresh, migrated PostgreSQL database on the server of `url`.
    pub fn postgres(url: &str) -> TestDb {
        let postgres = PostgresDatabase::create(url);
        let db = open_migrated(postgres.url());
        TestDb {
            db,
            label: "postgres",
            _dir: None,
            _postgres: Some(postgres),
        }
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.db
    }
}

fn open_migrated(url: &str) -> Database {
    let db = Database::open(url).expect("open database");
    let mut conn = db.conn().expect("connection");
    migrations::run_core_migrations(&mut conn).expect("core migrations");
    db
}

/// The databases every test runs on: SQLite always, PostgreSQL when
/// `PAPERCLIP_TEST_DATABASE_URL` is set.
pub fn test_databases() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    if let Some(url) = postgres_admin_url() {
        dbs.push(TestDb::postgres(&url));
    }
    dbs
}

/// One recorded hook event, its payload parsed.
pub type Recorded = (Hook, Value);

/// A subscriber that records every event it gets.
pub struct Recorder {
    events: Mutex<Vec<Recorded>>,
    arrived: Condvar,
}

impl Recorder {
    fn new() -> Arc<Recorder> {
        Arc::new(Recorder {
            events: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
        })
    }
}

impl HookSubscriber for Recorder {
    fn name(&self) -> &str {
        "test-recorder"
    }

    fn deliver(&self, event: &HookEvent) -> Result<(), String> {
        let mut payload: Value = serde_json::from_str(&event.payload).map_err(|e| e.to_string())?;
        // A core write's event carries its outbox id in the payload; checked here and taken
        // out, so the tests compare the payloads the hooks define.
        let event_id = payload
            .as_object_mut()
            .and_then(|fields| fields.remove("eventId"));
        assert_eq!(
            event_id.as_ref().and_then(Value::as_str),
            event.event_id.as_deref(),
            "the payload's eventId is the event's"
        );
        self.events.lock().push((event.hook, payload));
        self.arrived.notify_all();
        Ok(())
    }
}

/// The 12 hooks the core emits from writes (`server:started` is the server's own).
pub fn core_hooks() -> Vec<Hook> {
    Hook::ALL
        .into_iter()
        .filter(|h| *h != Hook::ServerStarted)
        .collect()
}

/// A database, a core with a real hook bus, and a recorder subscribed to every hook.
pub struct Harness {
    /// The core the app and the tests use.
    pub core: Core,
    /// The hook bus of `core`.
    pub bus: Arc<HookBus>,
    recorder: Arc<Recorder>,
    markers: std::sync::atomic::AtomicU64,
    /// Dropped last: the database outlives the core's pool clones.
    pub test_db: TestDb,
}

impl Harness {
    /// A harness on `test_db`.
    pub fn new(test_db: TestDb) -> Harness {
        let bus = Arc::new(HookBus::new());
        let recorder = Recorder::new();
        bus.subscribe(
            Arc::clone(&recorder) as Arc<dyn HookSubscriber>,
            &Hook::ALL,
            SubscriptionOptions::default(),
        );
        Harness {
            core: Core::new(test_db.db().clone(), Arc::clone(&bus)),
            bus,
            recorder,
            markers: std::sync::atomic::AtomicU64::new(0),
            test_db,
        }
    }

    /// `sqlite` or `postgres`.
    pub fn label(&self) -> &'static str {
        self.test_db.label
    }

    /// The state the actix app needs.
    pub fn state(&self) -> web::Data<AppState> {
        let config = Config::default();
        // A module host that is never started: no module is scanned or loaded.
        let modules = ModuleHost::new(self.core.clone(), HostSettings::from(&config.modules));
        web::Data::new(AppState {
            core: self.core.clone(),
            config: Arc::new(config),
            modules: Arc::new(modules),
        })
    }

    /// Every core hook event delivered since the last call, in emit order. Exact: it emits a
    /// marker (`server:started {marker}`) and waits for it, and each subscriber gets events in
    /// emit order, so everything emitted before has been delivered by then.
    pub fn drain(&self) -> Vec<Recorded> {
        let n = self
            .markers
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let marker = json!({ "marker": n });
        self.bus.emit(Hook::ServerStarted, &marker);
        let deadline = Instant::now() + PATIENCE;
        let mut events = self.recorder.events.lock();
        loop {
            if let Some(pos) = events
                .iter()
                .position(|(h, p)| *h == Hook::ServerStarted && *p == marker)
            {
                let mut taken: Vec<Recorded> = events.drain(..=pos).collect();
                taken.pop();
                taken.retain(|(h, _)| *h != Hook::ServerStarted);
                return taken;
            }
            assert!(
                Instant::now() < deadline,
                "hook marker not delivered within {PATIENCE:?}"
            );
            self.recorder.arrived.wait_until(&mut events, deadline);
        }
    }

    /// Row counts of every core table.
    pub fn counts(&self) -> BTreeMap<&'static str, i64> {
        use paperclip::db::schema::*;
        let mut conn = self.test_db.db().conn().expect("connection");
        let c = &mut *conn;
        BTreeMap::from([
            ("companies", companies::table.count().get_result(c).unwrap()),
            ("agents", agents::table.count().get_result(c).unwrap()),
            ("goals", goals::table.count().get_result(c).unwrap()),
            ("projects", projects::table.count().get_result(c).unwrap()),
            ("issues", issues::table.count().get_result(c).unwrap()),
            ("activity", activity::table.count().get_result(c).unwrap()),
            (
                "heartbeats",
                heartbeats::table.count().get_result(c).unwrap(),
            ),
            (
                "cost_events",
                cost_events::table.count().get_result(c).unwrap(),
            ),
        ])
    }

    /// Runs blocking `work` on a pooled connection (for test set-up that the API cannot do,
    /// such as moving a spend into an earlier month).
    pub fn with_conn<T>(&self, work: impl FnOnce(&mut DbConnection) -> T) -> T {
        let mut conn = self.test_db.db().conn().expect("connection");
        work(&mut conn)
    }
}

/// One harness per test database.
pub fn harnesses() -> Vec<Harness> {
    test_databases().into_iter().map(Harness::new).collect()
}

/// A response: status and JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Parsed body.
    pub body: Value,
}

impl Reply {
    /// Builds a reply from raw parts.
    pub fn new(status: u16, bytes: &[u8]) -> Reply {
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
        };
        Reply { status, body }
    }

    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected reply: {}", self.body);
        self.body
    }

    /// The `id` of the body.
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .expect("body has an id")
            .to_string()
    }
}

/// Builds the app of a harness: `app!(harness)`.
#[macro_export]
macro_rules! app {
    ($harness:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data($harness.state())
                .configure(paperclip::api::configure),
        )
        .await
    };
}

/// Sends a request to an app: `send!(app, GET "/api/…")`, `send!(app, POST "/api/…", json)`,
/// `send!(app, POST "/api/…", raw bytes)`.
#[macro_export]
macro_rules! send {
    ($app:expr, $method:ident $uri:expr) => {
        $crate::send!(@send $app, actix_web::test::TestRequest::default()
            .method(actix_web::http::Method::$method)
            .uri(&$uri))
    };
    ($app:expr, $method:ident $uri:expr, raw $bytes:expr) => {
        $crate::send!(@send $app, actix_web::test::TestRequest::default()
            .method(actix_web::http::Method::$method)
            .uri(&$uri)
            .insert_header(("content-type", "application/json"))
            .set_payload($bytes))
    };
    ($app:expr, $method:ident $uri:expr, $body:expr) => {
        $crate::send!(@send $app, actix_web::test::TestRequest::default()
            .method(actix_web::http::Method::$method)
            .uri(&$uri)
            .insert_header(("content-type", "application/json"))
            .set_payload(serde_json::to_vec(&$body).unwrap()))
    };
    (@send $app:expr, $request:expr) => {{
        let response = actix_web::test::call_service(&$app, $request.to_request()).await;
        let status = response.status().as_u16();
        let bytes = actix_web::test::read_body(response).await;
        $crate::common::Reply::new(status, &bytes)
    }};
}
