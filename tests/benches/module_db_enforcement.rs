//! What the engine-level enforcement of module SQL costs: a primary-key `SELECT` and a one-row
//! `INSERT` through the host handle (the host side of a module's `ctx.db()`: guard, call gate,
//! the module's PostgreSQL role or SQLite authorizer scope, statement time limit, result
//! limit, JSON rows) vs the same statement run by the host directly (a pooled connection and
//! a bound diesel query), in alternating rounds of one run, on each backend.
//!
//! Goal: module / direct time ≤ 1.5× on PostgreSQL and ≤ 2× on SQLite.
//!
//! Run: `cargo bench -p paperclip-e2e --bench module_db_enforcement` (PostgreSQL too when
//! `PAPERCLIP_TEST_DATABASE_URL` is set; `PAPERCLIP_BENCH_ROUNDS` changes the round count).

use abi_stable::std_types::RStr;
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use module_sdk::abi::HostApi;
use paperclip::core::Core;
use paperclip::db::Database;
use paperclip::hooks::HookBus;
use paperclip::module_host::host_handle::HostHandleImpl;
use paperclip_e2e::{TestBackend, TestDatabase};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Statements per side and round.
const PER_ROUND: usize = 200;

#[derive(QueryableByName)]
#[allow(dead_code)] // Read to make the direct path do the work of loading the row.
struct Item {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    tokens: i64,
}

fn main() {
    let rounds = std::env::var("PAPERCLIP_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r: &usize| *r > 0)
        .unwrap_or(40);
    println!("{}", load_note());
    let folder = tempfile::tempdir().expect("temporary folder");
    let sqlite = folder.path().join("bench.db");
    bench("sqlite", &sqlite.to_string_lossy(), rounds);
    if let Some(TestBackend::Postgres { admin_url }) = TestBackend::postgres_from_env() {
        let database = TestDatabase::create(&admin_url);
        bench("postgres", database.url(), rounds);
    }
}

fn load_note() -> String {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(load) => format!("load average before the run: {}", load.trim()),
        Err(_) => "load average: unknown".to_string(),
    }
}

/// The SQL of one backend: placeholders are `$n` for the module (the guard rewrites them for
/// SQLite) and the backend's own for diesel.
struct Statements {
    direct_select: &'static str,
    direct_insert: &'static str,
}

fn bench(backend: &str, url: &str, rounds: usize) {
    let db: Database = paperclip::app::open_database(url).expect("database opens and migrates");
    let core = Core::new(db.clone(), Arc::new(HookBus::new()));
    let handle = HostHandleImpl::new("bench", core);
    let create =
        "CREATE TABLE mod_bench_items (id TEXT PRIMARY KEY NOT NULL, tokens BIGINT NOT NULL)";
    module_call(handle.db_execute(0, RStr::from(create), RStr::from("[]")));
    let statements = match db.backend() {
        paperclip::db::Backend::Sqlite => Statements {
            direct_select: "SELECT id, tokens FROM mod_bench_items WHERE id = ?",
            direct_insert: "INSERT INTO mod_bench_items (id, tokens) VALUES (?, ?)",
        },
        paperclip::db::Backend::Postgres => Statements {
            direct_select: "SELECT id, tokens FROM mod_bench_items WHERE id = $1",
            direct_insert: "INSERT INTO mod_bench_items (id, tokens) VALUES ($1, $2)",
        },
    };
    let module_select = "SELECT id, tokens FROM mod_bench_items WHERE id = $1";
    let module_insert = "INSERT INTO mod_bench_items (id, tokens) VALUES ($1, $2)";
    module_call(handle.db_execute(0, RStr::from(module_insert), RStr::from(r#"["seed", 1]"#)));

    let mut next_id = 0u64;
    let mut fresh_id = move || {
        next_id += 1;
        format!("row-{next_id}")
    };
    let direct_select = |n: usize| {
        let start = Instant::now();
        let mut conn = db.conn().expect("connection");
        drop(conn);
        for _ in 0..n {
            conn = db.conn().expect("connection");
            let rows: Vec<Item> = diesel::sql_query(statements.direct_select)
                .bind::<Text, _>("seed")
                .load(&mut *conn)
                .expect("direct select");
            assert_eq!(rows.len(), 1);
        }
        start.elapsed()
    };
    let module_select_run = |n: usize| {
        let start = Instant::now();
        for _ in 0..n {
            let rows = module_call(handle.db_query(
                0,
                RStr::from(module_select),
                RStr::from(r#"["seed"]"#),
            ));
            assert!(rows.contains("seed"));
        }
        start.elapsed()
    };
    let mut insert_ids: Vec<String> = (0..(rounds + 1) * PER_ROUND * 2)
        .map(|_| fresh_id())
        .collect();
    let direct_insert = |n: usize, ids: &mut Vec<String>| {
        let start = Instant::now();
        for _ in 0..n {
            let id = ids.pop().expect("an id");
            let mut conn = db.conn().expect("connection");
            diesel::sql_query(statements.direct_insert)
                .bind::<Text, _>(&id)
                .bind::<BigInt, _>(7)
                .execute(&mut *conn)
                .expect("direct insert");
        }
        start.elapsed()
    };
    let module_insert_run = |n: usize, ids: &mut Vec<String>| {
        let start = Instant::now();
        for _ in 0..n {
            let id = ids.pop().expect("an id");
            let params = format!(r#"["{id}", 7]"#);
            module_call(handle.db_execute(
                0,
                RStr::from(module_insert),
                RStr::from(params.as_str()),
            ));
        }
        start.elapsed()
    };

    // Warm-up: page cache, guard cache, pool, role.
    direct_select(PER_ROUND);
    module_select_run(PER_ROUND);
    direct_insert(PER_ROUND / 2, &mut insert_ids);
    module_insert_run(PER_ROUND / 2, &mut insert_ids);

    let mut select = (Duration::ZERO, Duration::ZERO, Vec::new());
    let mut insert = (Duration::ZERO, Duration::ZERO, Vec::new());
    for round in 0..rounds {
        let (d, m) = if round % 2 == 0 {
            let d = direct_select(PER_ROUND);
            (d, module_select_run(PER_ROUND))
        } else {
            let m = module_select_run(PER_ROUND);
            (direct_select(PER_ROUND), m)
        };
        select.0 += d;
        select.1 += m;
        select.2.push(m.as_secs_f64() / d.as_secs_f64());
        let (d, m) = if round % 2 == 0 {
            let d = direct_insert(PER_ROUND / 2, &mut insert_ids);
            (d, module_insert_run(PER_ROUND / 2, &mut insert_ids))
        } else {
            let m = module_insert_run(PER_ROUND / 2, &mut insert_ids);
            (direct_insert(PER_ROUND / 2, &mut insert_ids), m)
        };
        insert.0 += d;
        insert.1 += m;
        insert.2.push(m.as_secs_f64() / d.as_secs_f64());
    }
    report(backend, "primary-key SELECT", rounds * PER_ROUND, select);
    report(backend, "one-row INSERT", rounds * PER_ROUND / 2, insert);
}

fn report(
    backend: &str,
    what: &str,
    count: usize,
    (direct, module, mut ratios): (Duration, Duration, Vec<f64>),
) {
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    let per = |d: Duration| d.as_secs_f64() * 1e6 / count as f64;
    println!(
        "{backend:8} {what:18} direct {:7.1} µs  module {:7.1} µs  module/direct overall {:.2}x  median {:.2}x",
        per(direct),
        per(module),
        module.as_secs_f64() / direct.as_secs_f64(),
        median
    );
}

fn module_call<T>(result: abi_stable::std_types::RResult<T, module_sdk::abi::HostError>) -> T {
    match result {
        abi_stable::std_types::RResult::ROk(value) => value,
        abi_stable::std_types::RResult::RErr(e) => panic!("module call failed: {e:?}"),
    }
}
