//! The PostgreSQL user the server connects as, when it is not a superuser (PostgreSQL only:
//! skipped without `PAPERCLIP_TEST_DATABASE_URL`).
//!
//! - Without `CREATEROLE` the server cannot give modules a role of their own, so it loads none:
//!   the module's status says why (naming CREATEROLE), and the core keeps working.
//! - With `CREATEROLE` (and no superuser right) modules load, run under their own role, and the
//!   engine still refuses a module what it may not do.
//!
//! Build first: `scripts/build-modules.sh` and `cargo build -p paperclip-server`.

mod security_sql_support;

use diesel::{Connection, PgConnection, RunQueryDsl};
use paperclip_e2e::{json, ServerOptions, TestBackend, TestDatabase, TestServer};
use security_sql_support::{wait_for_status, Probe, PROBE};

/// A login role of its own that owns one test database; dropped after the database.
struct LimitedUser {
    admin_url: String,
    name: String,
}

impl LimitedUser {
    fn create(admin_url: &str, create_role: bool) -> LimitedUser {
        let name = format!("pc_limited_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url).expect("admin connection");
        let create_role = if create_role {
            "CREATEROLE"
        } else {
            "NOCREATEROLE"
        };
        // The name is hex digits generated above: safe to format into the statement.
        diesel::sql_query(format!(
            "CREATE ROLE {name} LOGIN NOSUPERUSER {create_role}"
        ))
        .execute(&mut admin)
        .expect("create the limited user");
        LimitedUser {
            admin_url: admin_url.to_string(),
            name,
        }
    }

    /// Makes the user own `database` (so it may create the core tables in `public`).
    fn own(&self, database: &TestDatabase) {
        let mut admin = PgConnection::establish(&self.admin_url).expect("admin connection");
        diesel::sql_query(format!(
            "ALTER DATABASE {} OWNER TO {}",
            database.name(),
            self.name
        ))
        .execute(&mut admin)
        .expect("hand the database over");
    }

    /// `database`'s URL with this user instead of the admin's.
    fn url(&self, database: &TestDatabase) -> String {
        let url = database.url();
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let host = rest.split_once('@').map_or(rest, |(_, host)| host);
        format!("{scheme}://{}@{host}", self.name)
    }
}

impl Drop for LimitedUser {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ =
                diesel::sql_query(format!("DROP ROLE IF EXISTS {}", self.name)).execute(&mut admin);
        }
    }
}

#[derive(diesel::QueryableByName)]
struct Owner {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

fn admin_url() -> Option<String> {
    match TestBackend::postgres_from_env() {
        Some(TestBackend::Postgres { admin_url }) => Some(admin_url),
        _ => {
            eprintln!("skipped: PAPERCLIP_TEST_DATABASE_URL is not set");
            None
        }
    }
}

/// A server on `user`'s database with the probe module (the server is told the URL through
/// `DATABASE_URL`, so it is started as a "SQLite" test server whose database it ignores).
fn start(user: &LimitedUser, database: &TestDatabase) -> TestServer {
    TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new()
            .module(PROBE)
            .env("DATABASE_URL", user.url(database)),
    )
}

#[test]
fn without_createrole_modules_are_not_loaded_and_say_why() {
    let Some(admin_url) = admin_url() else { return };
    let user = LimitedUser::create(&admin_url, false);
    let database = TestDatabase::create(&admin_url);
    user.own(&database);
    let server = start(&user, &database);
    let module = wait_for_status(&server, PROBE, &["failed"]);
    let reason = module["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("CREATEROLE"), "{module}");
    assert!(reason.contains(&user.name), "{module}");
    // The core is unaffected.
    let (status, company) = server.post("/api/companies", &json!({"name": "Still Works"}));
    assert_eq!(status.as_u16(), 201, "{company}");
}

#[test]
fn with_createrole_modules_run_under_their_own_role() {
    let Some(admin_url) = admin_url() else { return };
    let user = LimitedUser::create(&admin_url, true);
    let database = TestDatabase::create(&admin_url);
    user.own(&database);
    let server = start(&user, &database);
    wait_for_status(&server, PROBE, &["active"]);
    let probe = Probe::new(&server);
    let (status, company) = server.post("/api/companies", &json!({"name": "Acme"}));
    assert_eq!(status.as_u16(), 201, "{company}");

    // The module's table belongs to the module's role, not to the server's user.
    let mut admin = PgConnection::establish(database.url()).expect("admin connection");
    let owner: Vec<Owner> = diesel::sql_query(
        "SELECT pg_get_userbyid(relowner)::text AS name FROM pg_class \
         WHERE relname = 'mod_sql_probe_notes'",
    )
    .load(&mut admin)
    .expect("read the owner");
    assert_eq!(owner.len(), 1);
    assert!(
        owner[0].name.starts_with("paperclip_mod_"),
        "{}",
        owner[0].name
    );
    let own = probe.execute(
        "INSERT INTO mod_sql_probe_notes (id, body) VALUES (1, $1)",
        &[json!("hi")],
        0,
    );
    assert!(own.succeeded(), "{}", own.summary());
    let core = probe.query("SELECT name FROM companies", &[], 0);
    assert!(core.succeeded(), "{}", core.summary());
    for refused in [
        "DELETE FROM companies",
        "UPDATE companies SET name = 'x'",
        "SELECT module_id FROM mod_migrations",
    ] {
        let answer = probe.execute(refused, &[], 0);
        assert!(answer.error().is_some(), "{refused} → {}", answer.summary());
    }
    let (_, list) = server.get("/api/companies");
    assert_eq!(list["items"][0]["name"], "Acme", "{list}");
}
