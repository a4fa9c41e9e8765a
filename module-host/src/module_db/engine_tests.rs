//! The engines' own enforcement, tried directly (statements the guard lets through reach the
//! engine with the module's rights) and the resource limits, on real databases: SQLite always,
//! PostgreSQL when `PAPERCLIP_TEST_DATABASE_URL` is set.

use super::test_databases::{each_backend, TestDatabase};
use super::{ModuleDb, ModuleDbError, ModuleDbLimits};
use paperclip_core::db::Backend;
use serde_json::json;
use std::time::{Duration, Instant};

fn demo(database: &TestDatabase, limits: ModuleDbLimits) -> ModuleDb {
    ModuleDb::new("demo", database.db.clone()).with_limits(limits)
}

fn short_limits() -> ModuleDbLimits {
    ModuleDbLimits {
        statement_timeout: Duration::from_millis(500),
        max_rows: 100,
        max_bytes: 64 * 1024,
        max_concurrent_calls: 2,
    }
}

#[test]
fn an_endless_query_is_stopped_at_the_statement_time_limit() {
    each_backend(|database| {
        let db = demo(database, short_limits());
        let start = Instant::now();
        let err = db
            .query(
                0,
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
                 SELECT count(*) AS c FROM r",
                &[],
            )
            .unwrap_err();
        assert!(matches!(err, ModuleDbError::TimedOut { .. }), "{err}");
        assert!(err.to_string().contains("500 ms"), "{err}");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        // The connection went back clean: the next statement works.
        let rows = db.query(0, "SELECT 1 AS one", &[]).unwrap();
        assert_eq!(rows[0]["one"], json!(1));
    });
}

#[test]
fn a_result_past_the_row_limit_is_refused_without_being_kept() {
    each_backend(|database| {
        let db = demo(database, short_limits());
        let err = db
            .query(
                0,
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000) \
                 SELECT n FROM r",
                &[],
            )
            .unwrap_err();
        assert!(err.to_string().contains("more than 100 rows"), "{err}");
        let rows = db
            .query(
                0,
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100) \
                 SELECT n FROM r",
                &[],
            )
            .unwrap();
        assert_eq!(rows.len(), 100);
    });
}

#[test]
fn own_schema_changes_pass_the_engine() {
    each_backend(|database| {
        let db = demo(database, ModuleDbLimits::default());
        let autoincrement = match db.backend() {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGSERIAL PRIMARY KEY",
        };
        for sql in [
            format!("CREATE TABLE mod_demo_a (id {autoincrement}, name TEXT NOT NULL)"),
            "CREATE INDEX mod_demo_a_name ON mod_demo_a (name)".to_string(),
            "INSERT INTO mod_demo_a (name) VALUES ('x')".to_string(),
            "ALTER TABLE mod_demo_a ADD COLUMN size BIGINT NOT NULL DEFAULT 0".to_string(),
            "ALTER TABLE mod_demo_a ADD COLUMN note TEXT CHECK (length(note) < 10)".to_string(),
            "ALTER TABLE mod_demo_a RENAME COLUMN size TO weight".to_string(),
            "ALTER TABLE mod_demo_a DROP COLUMN note".to_string(),
            "ALTER TABLE mod_demo_a RENAME TO mod_demo_b".to_string(),
            "DROP INDEX mod_demo_a_name".to_string(),
            "DROP TABLE mod_demo_b".to_string(),
        ] {
            db.execute(0, &sql, &[])
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let rows = db.query(
            0,
            "SELECT count(*) AS n FROM json_each($1)",
            &[json!("[1, 2, 3]")],
        );
        if db.backend() == Backend::Sqlite {
            assert_eq!(rows.unwrap()[0]["n"], json!(3));
        }
    });
}

#[test]
fn a_disabled_modules_handle_no_longer_works() {
    each_backend(|database| {
        let db = demo(database, ModuleDbLimits::default());
        db.execute(0, "CREATE TABLE mod_demo_t (id TEXT)", &[])
            .unwrap();
        let tx = db.begin().unwrap();
        let clone = db.clone();
        db.revoke();
        for err in [
            clone
                .query(0, "SELECT id FROM mod_demo_t", &[])
                .unwrap_err(),
            clone.begin().unwrap_err(),
            clone.commit(tx).unwrap_err(),
        ] {
            assert!(matches!(err, ModuleDbError::Disabled(_)), "{err}");
            assert!(err.to_string().contains("disabled"), "{err}");
        }
    });
}

#[test]
fn a_module_may_not_hold_more_calls_than_its_limit() {
    each_backend(|database| {
        let db = demo(database, short_limits());
        let first = db.begin().unwrap();
        let second = db.begin().unwrap();
        let err = db.query(0, "SELECT 1 AS one", &[]).unwrap_err();
        assert!(matches!(err, ModuleDbError::Busy { .. }), "{err}");
        assert!(err.to_string().contains("modules.maxDbCalls = 2"), "{err}");
        db.rollback(first).unwrap();
        db.query(0, "SELECT 1 AS one", &[]).unwrap();
        db.rollback(second).unwrap();
    });
}

#[test]
fn the_engine_refuses_what_the_module_may_not_touch() {
    each_backend(|database| {
        let db = demo(database, ModuleDbLimits::default());
        let rights = db.rights().clone();
        let mut conn = db.module_conn().unwrap();
        // Straight to the engine, past the guard: what would reach it if the guard misread a
        // statement.
        let mut refused = vec![
            "DELETE FROM agents",
            "UPDATE companies SET name = 'x'",
            "INSERT INTO mod_migrations (module_id, version, checksum, applied_at) \
             VALUES ('x', '1', 'y', 'z')",
            "SELECT * FROM module_state",
            "DROP TABLE agents",
            // The hook outbox (every event's payload) and the delivery bookkeeping.
            "SELECT payload FROM hook_outbox",
            "UPDATE hook_readers SET delivered_seq = 0",
            "DELETE FROM hook_dead_letters",
        ];
        match db.backend() {
            // On SQLite the authorizer also checks names: only the module's own objects.
            Backend::Sqlite => refused.extend([
                "CREATE TABLE evil (id TEXT)",
                "CREATE TABLE mod_other_t (id TEXT)",
                "CREATE INDEX mod_demo_i ON agents (name)",
                "ATTACH DATABASE ':memory:' AS x",
                "PRAGMA foreign_keys = OFF",
                "CREATE TEMP TABLE mod_demo_tmp (id TEXT)",
                "CREATE VIEW mod_demo_v AS SELECT 1",
                "SELECT load_extension('x')",
                "BEGIN",
            ]),
            // On PostgreSQL the role: no superuser functions, no way back to the host's role
            // through settings, no large objects.
            Backend::Postgres => refused.extend([
                "SELECT pg_read_file('/etc/passwd')",
                "SELECT set_config('role', current_setting('is_superuser'), false)",
                "SELECT set_config('role', session_user, false)",
                "SELECT lo_from_bytea(0, 'x'::bytea)",
                "SELECT lo_create(0)",
                "COPY (SELECT 1) TO PROGRAM 'true'",
                "CREATE INDEX mod_demo_i ON agents (name)",
                "ALTER TABLE agents ADD COLUMN x TEXT",
            ]),
        }
        for sql in refused {
            let result = rights.autocommit(&mut conn, Duration::from_secs(5), false, |c| {
                use diesel::connection::SimpleConnection;
                c.batch_execute(sql).map_err(ModuleDbError::from)
            });
            assert!(result.is_err(), "the engine ran {sql}");
        }
    });
}

#[test]
fn a_schema_change_leaving_a_blocking_foreign_key_is_undone() {
    each_backend(|database| {
        use diesel::connection::SimpleConnection;
        let db = demo(database, ModuleDbLimits::default());
        let rights = db.rights().clone();
        // One of the host's connections: the role is switched for the statement's transaction.
        let mut conn = super::ModuleConn::Shared(database.db.conn().unwrap());
        rights.prepare(&mut conn).unwrap();
        // Past the guard, straight to the engine: a reference without ON DELETE.
        for sql in [
            "CREATE TABLE mod_demo_fk (agent_id TEXT REFERENCES agents(id))",
            "CREATE TABLE mod_demo_fk (agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE SET NULL)",
        ] {
            let err = rights
                .autocommit(&mut conn, Duration::from_secs(5), true, |c| {
                    c.batch_execute(sql).map_err(ModuleDbError::from)
                })
                .unwrap_err();
            let text = err.to_string();
            assert!(text.contains("mod_demo_fk.agent_id → agents"), "{text}");
            assert!(text.contains("Nothing was changed"), "{text}");
        }
        // Undone: the table does not exist.
        assert!(db
            .query(0, "SELECT agent_id FROM mod_demo_fk", &[])
            .is_err());
        // The allowed forms pass.
        db.execute(
            0,
            "CREATE TABLE mod_demo_ok (agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE)",
            &[],
        )
        .unwrap();
    });
}

#[test]
fn a_dropped_test_database_takes_its_module_roles_along() {
    // The test-support crate drops roles by the naming rule written in SQL; this holds it to
    // `pg_module_role::role_name`, so test runs never leave roles behind in the cluster.
    use diesel::sql_types::Text;
    use diesel::{Connection, RunQueryDsl};
    let Some(admin_url) = paperclip_test_support::postgres_admin_url() else {
        return;
    };
    #[derive(diesel::QueryableByName)]
    struct Role {
        #[diesel(sql_type = Text)]
        #[allow(dead_code)]
        rolname: String,
    }
    let roles_of = |database: &str| -> usize {
        let prefix = super::pg_module_role::role_name(database, "");
        let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
        diesel::sql_query(
            "SELECT rolname::text AS rolname FROM pg_roles WHERE left(rolname, length($1)) = $1",
        )
        .bind::<Text, _>(&prefix)
        .load::<Role>(&mut admin)
        .unwrap()
        .len()
    };
    let database = TestDatabase::postgres(&admin_url);
    let name = database
        .db
        .url()
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    for module in ["demo", "other-mod"] {
        let db = ModuleDb::new(module, database.db.clone());
        db.query(0, "SELECT 1 AS one", &[]).unwrap();
    }
    assert_eq!(roles_of(&name), 2, "one role per module for {name}");
    drop(database);
    assert_eq!(roles_of(&name), 0, "the roles of {name} outlived it");
}

#[test]
fn a_transaction_that_read_before_another_writer_committed_gets_a_named_write_conflict() {
    each_backend(|database| {
        let db = demo(database, ModuleDbLimits::default());
        db.execute(
            0,
            "CREATE TABLE mod_demo_counts (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)",
            &[],
        )
        .unwrap();
        db.execute(0, "INSERT INTO mod_demo_counts (id, n) VALUES (1, 0)", &[])
            .unwrap();
        let tx = db.begin().unwrap();
        db.query(tx, "SELECT n FROM mod_demo_counts WHERE id = 1", &[])
            .unwrap();
        // Another writer commits after the transaction's first read.
        db.execute(0, "UPDATE mod_demo_counts SET n = n + 1 WHERE id = 1", &[])
            .unwrap();
        let outcome = db.execute(
            tx,
            "UPDATE mod_demo_counts SET n = n + 10 WHERE id = 1",
            &[],
        );
        match database.db.backend() {
            // SQLite takes the write lock at the first write: the snapshot is stale.
            Backend::Sqlite => {
                let err = outcome.unwrap_err();
                assert!(matches!(err, ModuleDbError::WriteConflict(_)), "{err}");
                assert!(
                    err.to_string().contains("run the transaction again"),
                    "{err}"
                );
                db.rollback(tx).unwrap();
            }
            // PostgreSQL (read committed) sees the other write and adds to it.
            Backend::Postgres => {
                outcome.unwrap();
                db.commit(tx).unwrap();
            }
        }
    });
}
