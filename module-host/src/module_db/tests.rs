//! `ModuleDb` on real databases: SQLite always, PostgreSQL when `PAPERCLIP_TEST_DATABASE_URL`
//! is set (each test gets a fresh database with the core schema).

use super::test_databases::{each_backend, TestDatabase};
use super::{ModuleDb, ModuleDbError};
use paperclip_core::core::company::{self, NewCompany};
use paperclip_core::db::{write_tx, Backend};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Creates `mod_demo_items` with a column per JSON type, in each backend's own types.
fn create_items_table(db: &ModuleDb) {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "CREATE TABLE mod_demo_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, \
             count BIGINT, score DOUBLE PRECISION, active BOOLEAN, meta TEXT, note TEXT)"
        }
        Backend::Postgres => {
            "CREATE TABLE mod_demo_items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             count BIGINT, score DOUBLE PRECISION, active BOOLEAN, meta JSONB, note TEXT)"
        }
    };
    assert_eq!(db.execute(0, sql, &[]).unwrap(), 0);
}

fn insert_item(db: &ModuleDb, tx: u64, id: i64, name: &str) -> u64 {
    db.execute(
        tx,
        "INSERT INTO mod_demo_items (id, name) VALUES ($1, $2)",
        &[json!(id), json!(name)],
    )
    .unwrap()
}

fn item_names(db: &ModuleDb) -> Vec<String> {
    db.query(0, "SELECT name FROM mod_demo_items ORDER BY id", &[])
        .unwrap()
        .into_iter()
        .map(|row| row["name"].as_str().unwrap().to_string())
        .collect()
}

fn demo(database: &TestDatabase) -> ModuleDb {
    ModuleDb::new("demo", database.db.clone())
}

#[test]
fn every_json_type_round_trips_through_an_own_table() {
    each_backend(|database| {
        let db = demo(database);
        create_items_table(&db);
        let meta = json!({"tags": ["x", "y"], "depth": {"n": 1}});
        let inserted = db
            .execute(
                0,
                "INSERT INTO mod_demo_items (id, name, count, score, active, meta, note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    json!(1),
                    json!("alpha \u{e9}"),
                    json!(9_007_199_254_740_993i64),
                    json!(2.5),
                    json!(true),
                    meta.clone(),
                    Value::Null,
                ],
            )
            .unwrap();
        assert_eq!(inserted, 1);

        let rows = db
            .query(0, "SELECT * FROM mod_demo_items WHERE id = $1", &[json!(1)])
            .unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row["id"], json!(1));
        assert_eq!(row["name"], json!("alpha \u{e9}"));
        assert_eq!(row["count"], json!(9_007_199_254_740_993i64));
        assert_eq!(row["score"], json!(2.5));
        assert_eq!(row["note"], Value::Null);
        match db.backend() {
            // SQLite stores booleans as 0/1 and JSON as the text it was given.
            Backend::Sqlite => {
                assert_eq!(row["active"], json!(1));
                let text = row["meta"].as_str().expect("JSON text");
                assert_eq!(serde_json::from_str::<Value>(text).unwrap(), meta);
            }
            Backend::Postgres => {
                assert_eq!(row["active"], json!(true));
                assert_eq!(row["meta"], meta);
            }
        }
        let keys: Vec<&String> = row.keys().collect();
        assert_eq!(keys.len(), 7, "{keys:?}");

        // Parameters of each type also work in a WHERE clause.
        let found = db
            .query(
                0,
                "SELECT id FROM mod_demo_items WHERE name = $1 AND score > $2 AND active = $3",
                &[json!("alpha \u{e9}"), json!(1.5), json!(true)],
            )
            .unwrap();
        assert_eq!(found.len(), 1);
    });
}

#[test]
fn returning_gives_rows_to_query_and_a_count_to_execute() {
    each_backend(|database| {
        let db = demo(database);
        create_items_table(&db);
        let rows = db
            .query(
                0,
                "INSERT INTO mod_demo_items (id, name) VALUES ($1, $2) RETURNING id, name",
                &[json!(7), json!("seven")],
            )
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["id"], json!(7));
        assert_eq!(rows[0]["name"], json!("seven"));

        insert_item(&db, 0, 8, "eight");
        let updated = db
            .execute(
                0,
                "UPDATE mod_demo_items SET note = $1 WHERE id >= $2 RETURNING id",
                &[json!("seen"), json!(7)],
            )
            .unwrap();
        assert_eq!(updated, 2);
        let deleted = db
            .execute(0, "DELETE FROM mod_demo_items WHERE id = $1", &[json!(8)])
            .unwrap();
        assert_eq!(deleted, 1);
        // A write without RETURNING queried for rows gives none, and does run.
        let none = db
            .query(0, "DELETE FROM mod_demo_items WHERE id = $1", &[json!(7)])
            .unwrap();
        assert!(none.is_empty());
        assert!(item_names(&db).is_empty());
    });
}

#[test]
fn committed_transactions_keep_rows_and_rolled_back_ones_leave_none() {
    each_backend(|database| {
        let db = demo(database);
        create_items_table(&db);

        let tx = db.begin().unwrap();
        assert_ne!(tx, 0);
        assert_eq!(db.open_transactions(), 1);
        insert_item(&db, tx, 1, "kept");
        insert_item(&db, tx, 2, "kept too");
        // Inside the transaction its own rows are visible.
        let inside = db
            .query(tx, "SELECT count(*) AS n FROM mod_demo_items", &[])
            .unwrap();
        assert_eq!(inside[0]["n"], json!(2));
        db.commit(tx).unwrap();
        assert_eq!(db.open_transactions(), 0);
        assert_eq!(item_names(&db), ["kept", "kept too"]);

        let tx = db.begin().unwrap();
        insert_item(&db, tx, 3, "gone");
        db.execute(tx, "DELETE FROM mod_demo_items WHERE id = $1", &[json!(1)])
            .unwrap();
        db.rollback(tx).unwrap();
        assert_eq!(item_names(&db), ["kept", "kept too"]);

        // A finished transaction cannot be used again.
        let err = db.commit(tx).unwrap_err();
        assert!(
            matches!(err, ModuleDbError::UnknownTransaction(id) if id == tx),
            "{err}"
        );
        let err = db.query(tx, "SELECT 1 AS one", &[]).unwrap_err();
        assert!(err.to_string().contains("not open"), "{err}");
        let err = db.commit(0).unwrap_err();
        assert!(matches!(err, ModuleDbError::NoTransaction), "{err}");
    });
}

#[test]
fn another_modules_transaction_is_refused() {
    each_backend(|database| {
        let demo_db = demo(database);
        let other = ModuleDb::new("other", database.db.clone());
        create_items_table(&demo_db);
        let tx = demo_db.begin().unwrap();
        insert_item(&demo_db, tx, 1, "mine");

        let err = other.query(tx, "SELECT 1 AS one", &[]).unwrap_err();
        assert!(
            matches!(err, ModuleDbError::NotOwner(id) if id == tx),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("transaction {tx} belongs to another module")
        );
        assert!(matches!(other.commit(tx), Err(ModuleDbError::NotOwner(_))));
        assert!(matches!(
            other.rollback(tx),
            Err(ModuleDbError::NotOwner(_))
        ));
        assert_eq!(other.rollback_all(), 0);

        // The owner's transaction is untouched by those attempts.
        insert_item(&demo_db, tx, 2, "mine too");
        demo_db.commit(tx).unwrap();
        assert_eq!(item_names(&demo_db), ["mine", "mine too"]);

        let err = demo_db.commit(999_999_999).unwrap_err();
        assert!(matches!(err, ModuleDbError::UnknownTransaction(_)), "{err}");

        if database.backend() == Backend::Postgres {
            // (SQLite allows one writer at a time, so only PostgreSQL can hold several.)
            let open: Vec<u64> = (0..super::ModuleDbLimits::DEFAULT_MAX_CONCURRENT_CALLS)
                .map(|_| demo_db.begin().unwrap())
                .collect();
            let err = demo_db.begin().unwrap_err();
            assert!(
                matches!(err, ModuleDbError::TooManyTransactions { .. }),
                "{err}"
            );
            assert_eq!(demo_db.rollback_all(), open.len());
            let tx = demo_db.begin().unwrap();
            demo_db.rollback(tx).unwrap();
        }
    });
}

#[test]
fn parameter_count_must_match_the_placeholders() {
    each_backend(|database| {
        let db = demo(database);
        create_items_table(&db);
        let sql = "INSERT INTO mod_demo_items (id, name) VALUES ($1, $2)";
        let err = db.execute(0, sql, &[json!(1)]).unwrap_err();
        assert!(
            matches!(
                err,
                ModuleDbError::ParamCount {
                    expected: 2,
                    given: 1
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "the statement uses 2 parameter(s) but 1 were given (one value for each of `$1`..`$2`)"
        );
        let err = db
            .query(0, "SELECT name FROM mod_demo_items", &[json!(1)])
            .unwrap_err();
        assert!(
            matches!(
                err,
                ModuleDbError::ParamCount {
                    expected: 0,
                    given: 1
                }
            ),
            "{err}"
        );
        assert!(item_names(&db).is_empty());
    });
}

#[test]
fn parameters_must_be_a_json_array() {
    assert_eq!(ModuleDb::parse_params("[1, \"a\", null]").unwrap().len(), 3);
    assert!(ModuleDb::parse_params("").unwrap().is_empty());
    let err = ModuleDb::parse_params("{\"a\": 1}").unwrap_err();
    assert_eq!(
        err.to_string(),
        "parameters must be a JSON array of values: got an object"
    );
    assert!(ModuleDb::parse_params("[1,").is_err());
}

#[test]
fn the_guard_refuses_writes_outside_the_modules_tables() {
    each_backend(|database| {
        let db = demo(database);
        let err = db
            .execute(
                0,
                "UPDATE agents SET status = $1 WHERE id = $2",
                &[json!("paused"), json!("x")],
            )
            .unwrap_err();
        assert!(matches!(err, ModuleDbError::Refused(_)), "{err}");
        let message = err.to_string();
        assert!(message.starts_with("SQL refused: "), "{message}");
        assert!(message.contains("agents"), "{message}");

        let err = db
            .execute(0, "CREATE TABLE mod_other_things (id TEXT)", &[])
            .unwrap_err();
        assert!(err.to_string().contains("mod_other_things"), "{err}");
        let err = db.query(0, "PRAGMA table_info(agents)", &[]).unwrap_err();
        assert!(matches!(err, ModuleDbError::Refused(_)), "{err}");
        let err = db.begin().and_then(|tx| {
            let refused = db.execute(tx, "COMMIT", &[]);
            db.rollback(tx)?;
            refused
        });
        assert!(matches!(err, Err(ModuleDbError::Refused(_))), "{err:?}");
    });
}

#[test]
fn core_tables_can_be_read() {
    each_backend(|database| {
        let mut conn = database.db.conn().unwrap();
        let created = write_tx(&mut conn, |c| {
            company::create(
                c,
                "test",
                NewCompany {
                    name: "Acme Corp".into(),
                    description: None,
                    issue_prefix: None,
                },
            )
        })
        .unwrap();
        drop(conn);

        let db = demo(database);
        let rows = db
            .query(
                0,
                "SELECT id, name, issue_prefix, issue_counter FROM companies WHERE id = $1",
                &[json!(created.id)],
            )
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["name"], json!("Acme Corp"));
        assert_eq!(rows[0]["issue_prefix"], json!("ACME"));
        assert_eq!(rows[0]["issue_counter"], json!(0));
        // Timestamps: PostgreSQL's `timestamp` reads as RFC 3339 like the REST API; SQLite
        // stores diesel's text form and returns it as stored.
        let stamped = db
            .query(
                0,
                "SELECT created_at FROM companies WHERE id = $1",
                &[json!(created.id)],
            )
            .unwrap();
        let created_at = stamped[0]["created_at"].as_str().unwrap().to_string();
        match database.backend() {
            Backend::Postgres => assert_eq!(created_at, created.created_at),
            Backend::Sqlite => {
                let stored =
                    chrono::NaiveDateTime::parse_from_str(&created_at, "%Y-%m-%d %H:%M:%S%.f")
                        .unwrap();
                let shown = chrono::DateTime::parse_from_rfc3339(&created.created_at).unwrap();
                assert_eq!(stored.and_utc(), shown);
            }
        }
        let activity = db
            .query(
                0,
                "SELECT action FROM activity WHERE entity_id = $1",
                &[json!(created.id)],
            )
            .unwrap();
        assert_eq!(activity[0]["action"], json!("company.created"));
    });
}

#[test]
fn transactions_past_their_limit_are_rolled_back() {
    each_backend(|database| {
        let db = demo(database).with_transaction_limit(Duration::from_millis(300));
        create_items_table(&db);

        // Used again after the limit: the call itself rolls it back and says so.
        let tx = db.begin().unwrap();
        insert_item(&db, tx, 1, "late");
        std::thread::sleep(Duration::from_millis(350));
        let err = db
            .query(tx, "SELECT name FROM mod_demo_items", &[])
            .unwrap_err();
        assert!(matches!(err, ModuleDbError::RolledBack { .. }), "{err}");
        assert!(
            err.to_string().contains("longer than the limit of 0.3 s"),
            "{err}"
        );
        assert!(item_names(&db).is_empty());
        let err = db.commit(tx).unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");

        // Forgotten: the reaper rolls it back and frees the connection (on SQLite the write
        // lock), so other writers go on.
        let tx = db.begin().unwrap();
        insert_item(&db, tx, 2, "forgotten");
        let deadline = Instant::now() + Duration::from_secs(10);
        while db.open_transactions() > 0 {
            assert!(
                Instant::now() < deadline,
                "the reaper never rolled back {tx}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let started = Instant::now();
        insert_item(&db, 0, 3, "after");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(item_names(&db), ["after"]);
        let err = db.commit(tx).unwrap_err();
        assert!(matches!(err, ModuleDbError::RolledBack { .. }), "{err}");
        // Rolling back what the host already rolled back is fine; afterwards it is gone.
        let tx = db.begin().unwrap();
        db.rollback(tx).unwrap();
    });
}

#[test]
fn rollback_all_ends_every_transaction_of_the_module() {
    each_backend(|database| {
        let db = demo(database);
        create_items_table(&db);
        let tx = db.begin().unwrap();
        insert_item(&db, tx, 1, "pending");
        assert_eq!(db.rollback_all(), 1);
        assert_eq!(db.open_transactions(), 0);
        assert!(item_names(&db).is_empty());
        assert!(matches!(
            db.commit(tx),
            Err(ModuleDbError::UnknownTransaction(_))
        ));
        // The connection went back to the pool clean: new transactions work.
        let tx = db.begin().unwrap();
        insert_item(&db, tx, 2, "next");
        db.commit(tx).unwrap();
        assert_eq!(item_names(&db), ["next"]);
    });
}

#[test]
fn a_failed_statement_in_a_transaction() {
    each_backend(|database| {
        let db = demo(database);
        create_items_table(&db);
        let tx = db.begin().unwrap();
        insert_item(&db, tx, 1, "first");
        let err = db
            .execute(
                tx,
                "INSERT INTO mod_demo_items (id, name) VALUES ($1, $2)",
                &[json!(1), json!("duplicate")],
            )
            .unwrap_err();
        assert!(matches!(err, ModuleDbError::Database(_)), "{err}");
        match database.backend() {
            // SQLite keeps the transaction going after a failed statement.
            Backend::Sqlite => {
                db.commit(tx).unwrap();
                assert_eq!(item_names(&db), ["first"]);
            }
            // PostgreSQL aborts it; commit says so instead of pretending.
            Backend::Postgres => {
                let err = db.commit(tx).unwrap_err();
                assert!(matches!(err, ModuleDbError::RolledBack { .. }), "{err}");
                assert!(
                    err.to_string().contains("a statement in it failed"),
                    "{err}"
                );
                assert!(item_names(&db).is_empty());
            }
        }
    });
}

#[test]
fn database_errors_carry_the_databases_message() {
    each_backend(|database| {
        let db = demo(database);
        let err = db
            .query(0, "SELECT no_such_column FROM mod_demo_missing", &[])
            .unwrap_err();
        assert!(matches!(err, ModuleDbError::Database(_)), "{err}");
        assert!(err.to_string().contains("mod_demo_missing"), "{err}");
    });
}

#[test]
fn duplicate_column_names_need_aliases() {
    each_backend(|database| {
        let db = demo(database);
        let err = db.query(0, "SELECT 1 AS a, 2 AS a", &[]).unwrap_err();
        assert!(
            matches!(err, ModuleDbError::DuplicateColumn { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("`a`"), "{err}");
    });
}

#[test]
fn result_values_map_to_json_by_type() {
    each_backend(|database| {
        let db = demo(database);
        match database.backend() {
            Backend::Sqlite => {
                let rows = db
                    .query(
                        0,
                        "SELECT 42 AS i, 1.25 AS r, 'text' AS t, X'666f6f' AS b, NULL AS n, \
                         $1 AS p",
                        &[json!(false)],
                    )
                    .unwrap();
                assert_eq!(
                    Value::Object(rows[0].clone()),
                    json!({"i": 42, "r": 1.25, "t": "text", "b": "Zm9v", "n": null, "p": 0})
                );
            }
            Backend::Postgres => {
                let rows = db
                    .query(
                        0,
                        "SELECT 1::int2 AS i2, 2::int4 AS i4, 3::int8 AS i8, 0.1::float4 AS f4, \
                         0.1::float8 AS f8, 12.50::numeric AS num, 'v'::varchar AS vc, \
                         'c'::char(2) AS bp, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id, \
                         '{\"a\": [1]}'::json AS j, '{\"b\": 2}'::jsonb AS jb, \
                         '2026-01-02 03:04:05.678'::timestamp AS ts, \
                         '2026-01-02 03:04:05.678901+02'::timestamptz AS tz, \
                         '2026-01-02'::date AS d, '03:04:05'::time AS tm, \
                         '1 day 2 hours'::interval AS iv, '\\x666f6f'::bytea AS b, \
                         ARRAY[1, 2, 3] AS arr, ARRAY[['a', 'b'], ['c', NULL]] AS grid, \
                         NULL::int4 AS n, true AS yes, $1 AS p",
                        &[json!("param")],
                    )
                    .unwrap();
                assert_eq!(
                    Value::Object(rows[0].clone()),
                    json!({
                        "i2": 1, "i4": 2, "i8": 3, "f4": 0.1, "f8": 0.1, "num": 12.5,
                        "vc": "v", "bp": "c ", "id": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                        "j": {"a": [1]}, "jb": {"b": 2},
                        "ts": "2026-01-02T03:04:05.678Z",
                        "tz": "2026-01-02T01:04:05.678901Z",
                        "d": "2026-01-02", "tm": "03:04:05", "iv": "P1DT2H", "b": "Zm9v",
                        "arr": [1, 2, 3], "grid": [["a", "b"], ["c", null]],
                        "n": null, "yes": true, "p": "param"
                    })
                );
                // SUM over bigint is numeric on PostgreSQL; it still reads as a number.
                let sum = db
                    .query(
                        0,
                        "SELECT sum(x) AS s FROM (VALUES (1::int8), (2::int8)) AS v(x)",
                        &[],
                    )
                    .unwrap();
                assert_eq!(sum[0]["s"], json!(3));
                // So does AVG, whose numeric has more digits than an f64: like SQLite's REAL.
                let avg = db
                    .query(
                        0,
                        "SELECT avg(x) AS a FROM (VALUES (1), (2), (2)) AS v(x)",
                        &[],
                    )
                    .unwrap();
                assert_eq!(avg[0]["a"], json!(5.0 / 3.0));
                // NULL parameters fit columns of any type.
                let typed = db
                    .query(0, "SELECT $1::timestamptz IS NULL AS empty", &[Value::Null])
                    .unwrap();
                assert_eq!(typed[0]["empty"], json!(true));
            }
        }
    });
}
