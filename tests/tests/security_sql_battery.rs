//! Issue 11's adversarial battery: hostile SQL sent through a real module (`sql-probe`) to the
//! real host, guard and engine, on SQLite and PostgreSQL, and the same kinds of statements in
//! module migrations. Each statement must be refused (400 with the host's reason) — a few plain
//! reads of core tables may run — and no answer may carry another module's rows, a host table's
//! rows, a file's contents or a setting. Afterwards a digest of every table's rows, the schema
//! and the server's files equals the one taken before, and no attack file appeared in `/tmp`.
//!
//! Every case runs; the test then fails with the list of cases that got through (and prints
//! it), so one run shows every hole at once.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first; PostgreSQL
//! runs when `PAPERCLIP_TEST_DATABASE_URL` is set.

mod security_sql_support;

use paperclip_e2e::{each_backend, json, StatusCode, TestBackend, TestServer, Value};
use security_sql_support::{
    assert_core_works, cut, seed_core, start, tmp_files_with_prefix, wait_for_status, Answer,
    Digest, DirectDb, Probe, API_KEY, PROBE, VICTIM, VICTIM_CONFIG_CANARY, VICTIM_SECRETS,
};
use std::collections::BTreeSet;
use std::path::Path;

/// What a statement may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// It must be refused (400 with a reason).
    Refused,
    /// A read a module may legitimately run; it may succeed, but must not leak.
    MayRun,
}

/// One hostile statement.
#[derive(Debug, Clone)]
struct Case {
    category: &'static str,
    sql: String,
    params: Vec<Value>,
    expect: Expect,
}

/// Collects the cases, dropping duplicates.
#[derive(Default)]
struct Cases {
    list: Vec<Case>,
    seen: BTreeSet<String>,
}

impl Cases {
    fn add(&mut self, category: &'static str, sql: impl Into<String>) {
        self.push(category, sql.into(), vec![], Expect::Refused);
    }

    fn may_run(&mut self, category: &'static str, sql: impl Into<String>) {
        self.push(category, sql.into(), vec![], Expect::MayRun);
    }

    fn with_params(&mut self, category: &'static str, sql: &str, params: Vec<Value>) {
        self.push(category, sql.to_string(), params, Expect::Refused);
    }

    fn push(&mut self, category: &'static str, sql: String, params: Vec<Value>, expect: Expect) {
        if self.seen.insert(format!("{sql} {params:?}")) {
            self.list.push(Case {
                category,
                sql,
                params,
                expect,
            });
        }
    }
}

/// Ways to write the name of `table` that the engine reads as that table.
fn spellings(table: &str, postgres: bool) -> Vec<String> {
    let upper = table.to_uppercase();
    let mut capitalized = table.to_string();
    capitalized[..1].make_ascii_uppercase();
    let mut names = vec![
        table.to_string(),
        format!("\"{table}\""),
        upper,
        capitalized,
        format!("/* hidden */ {table}"),
    ];
    // U&"…" with the first letter escaped (`\0061` is `a`).
    let first = table.chars().next().expect("a table name");
    let unicode = format!("\\{:04x}{}", first as u32, &table[1..]);
    if postgres {
        names.extend([
            format!("public.{table}"),
            format!("\"public\".\"{table}\""),
            format!("PUBLIC.{table}"),
            format!("public . {table}"),
            format!("ONLY {table}"),
            format!("U&\"{unicode}\""),
            format!("U&\"{}\" UESCAPE '!'", unicode.replace('\\', "!")),
            format!("public.U&\"{unicode}\""),
        ]);
    } else {
        names.extend([
            format!("main.{table}"),
            format!("\"main\".\"{table}\""),
            format!("MAIN.{table}"),
            format!("[{table}]"),
            format!("`{table}`"),
            format!("'{table}'"),
            format!("main . [{table}]"),
        ]);
    }
    names
}

/// The core tables, with a column every attack may set to itself.
const CORE_TABLES: &[(&str, &str)] = &[
    ("companies", "name"),
    ("agents", "name"),
    ("goals", "title"),
    ("projects", "name"),
    ("issues", "title"),
    ("activity", "action"),
    ("heartbeats", "id"),
    ("cost_events", "id"),
];

/// The other module's and the host's tables, with a column to write.
const FOREIGN_TABLES: &[(&str, &str)] = &[
    ("mod_sql_victim_secret", "secret"),
    ("mod_migrations", "checksum"),
    ("module_state", "config_override"),
    ("__diesel_schema_migrations", "version"),
    ("hook_outbox", "payload"),
    ("hook_readers", "delivered_seq"),
    ("hook_dead_letters", "state"),
    ("module_policy", "granted"),
    ("module_webhook_deliveries", "status"),
    ("replicas", "host"),
    ("cluster_leases", "holder"),
    ("module_bundles", "archive"),
];

/// The tables a module may not even read.
const UNREADABLE: &[&str] = &[
    "mod_sql_victim_secret",
    "mod_migrations",
    "module_state",
    "__diesel_schema_migrations",
    "hook_outbox",
    "hook_readers",
    "hook_dead_letters",
    "module_policy",
    "module_webhook_deliveries",
    "replicas",
    "cluster_leases",
    "module_bundles",
];

/// The battery of statements for one backend. `tok` makes the attack file names unique;
/// `database` is the PostgreSQL database name (for database-scoped settings).
fn statement_cases(postgres: bool, tok: &str, database: &str) -> Vec<Case> {
    let mut c = Cases::default();
    let tmp = format!("/tmp/pc-sqlbattery-{tok}");

    // Writes to core, other-module and host tables, in every spelling.
    let mut write_targets: Vec<(&str, &str, bool)> = CORE_TABLES
        .iter()
        .map(|(t, col)| (*t, *col, true))
        .collect();
    write_targets.extend(FOREIGN_TABLES.iter().map(|(t, col)| (*t, *col, false)));
    for (table, column, _core) in &write_targets {
        let names = spellings(table, postgres);
        for (i, name) in names.iter().enumerate() {
            c.add("write", format!("DELETE FROM {name}"));
            c.add("write", format!("UPDATE {name} SET {column} = {column}"));
            if *table == "agents" || i < 3 {
                c.add("write", format!("INSERT INTO {name} SELECT * FROM {name}"));
                c.add(
                    "cte-write",
                    format!("WITH x AS (SELECT 1) DELETE FROM {name} WHERE {column} IS NOT NULL"),
                );
                if postgres {
                    c.add(
                        "cte-write",
                        format!(
                            "WITH d AS (DELETE FROM {name} RETURNING *) SELECT count(*) FROM d"
                        ),
                    );
                    c.add(
                        "cte-write",
                        format!(
                            "WITH d AS (UPDATE {name} SET {column} = {column} RETURNING 1) \
                             INSERT INTO mod_sql_probe_notes (body) SELECT 'x' FROM d"
                        ),
                    );
                } else {
                    c.add(
                        "write",
                        format!("INSERT OR REPLACE INTO {name} SELECT * FROM {name}"),
                    );
                    c.add("write", format!("REPLACE INTO {name} SELECT * FROM {name}"));
                }
            }
        }
        // Schema changes on them.
        let name = &names[0];
        c.add("ddl", format!("DROP TABLE {name}"));
        c.add("ddl", format!("DROP TABLE IF EXISTS {}", names[1]));
        c.add("ddl", format!("ALTER TABLE {name} ADD COLUMN pwn TEXT"));
        c.add(
            "ddl",
            format!("ALTER TABLE {} RENAME TO pwned_{table}", names[2]),
        );
        c.add(
            "ddl",
            format!("CREATE INDEX mod_sql_probe_ix_{table} ON {name} ({column})"),
        );
        if postgres {
            c.add("ddl", format!("TRUNCATE {name}"));
            c.add("ddl", format!("TRUNCATE TABLE {} CASCADE", names[5]));
            c.add("ddl", format!("ALTER TABLE {name} OWNER TO CURRENT_USER"));
            c.add("ddl", format!("ALTER TABLE {name} DISABLE TRIGGER ALL"));
            c.add(
                "ddl",
                format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY"),
            );
            c.add("ddl", format!("COMMENT ON TABLE {name} IS 'pwned'"));
            c.add("grant", format!("GRANT ALL ON {name} TO PUBLIC"));
            c.add("grant", format!("REVOKE SELECT ON {name} FROM PUBLIC"));
        }
    }

    // Reads of the other module's and the host's tables, in every spelling.
    for table in UNREADABLE {
        for name in spellings(table, postgres) {
            c.add("foreign-read", format!("SELECT * FROM {name}"));
        }
        c.add(
            "foreign-read",
            format!("SELECT (SELECT count(*) FROM {table}) AS n"),
        );
        c.add(
            "foreign-read",
            format!("SELECT a.id FROM agents a JOIN {table} s ON 1 = 1"),
        );
        c.add(
            "foreign-read",
            format!("SELECT id FROM agents WHERE EXISTS (SELECT 1 FROM {table})"),
        );
        c.add(
            "exfiltrate",
            format!(
                "INSERT INTO mod_sql_probe_notes (body) SELECT CAST(COUNT(*) AS TEXT) FROM {table}"
            ),
        );
    }
    c.add(
        "foreign-read",
        "SELECT name FROM agents UNION ALL SELECT secret FROM mod_sql_victim_secret",
    );
    c.add(
        "foreign-read",
        "WITH s AS (SELECT secret FROM mod_sql_victim_secret) SELECT * FROM s",
    );
    c.add(
        "exfiltrate",
        "INSERT INTO mod_sql_probe_notes (body) SELECT secret FROM mod_sql_victim_secret",
    );
    c.add(
        "exfiltrate",
        "UPDATE mod_sql_probe_notes SET body = (SELECT secret FROM mod_sql_victim_secret LIMIT 1)",
    );
    c.add(
        "exfiltrate",
        "CREATE TABLE mod_sql_probe_snap AS SELECT * FROM mod_sql_victim_secret",
    );
    c.add(
        "exfiltrate",
        "CREATE VIEW mod_sql_probe_view AS SELECT * FROM mod_sql_victim_secret",
    );

    // Plain reads of core tables a module may run (they must not leak anything else).
    c.may_run("core-read", "SELECT * FROM agents");
    c.may_run("core-read", "SELECT id, name FROM \"agents\" ORDER BY name");
    c.may_run("core-read", "SELECT count(*) AS n FROM issues");
    c.may_run("core-read", "SELECT * FROM mod_sql_probe_notes");

    // Multiple statements and comments hiding statements.
    for sql in [
        "SELECT 1; DELETE FROM agents",
        "SELECT 1;DELETE FROM agents;",
        "SELECT 1 -- comment\n; DELETE FROM agents",
        "SELECT 1 /* ; */ ; DELETE FROM agents",
        "/* leading */ DELETE FROM agents",
        "-- line\nDELETE FROM agents",
        "DELETE FROM agents -- ; SELECT 1",
        "/* outer /* inner */ still comment */ DELETE FROM agents",
        "SELECT 'x' /* ' */ ; DELETE FROM agents; -- '",
        "SELECT \"a;\" FROM agents; DELETE FROM agents",
        "SELECT 1\u{0};DELETE FROM agents",
        "SELECT 1\r\n;\r\nDELETE FROM agents",
        "SELECT * FROM agents; PRAGMA foreign_keys = OFF",
    ] {
        c.add("multi-statement", sql);
    }
    // A string literal or comment that only looks like a second statement may run as what it
    // is (the digest shows it if the engine read a DELETE into it).
    c.may_run("multi-statement", "SELECT 'a'';DELETE FROM agents;--'");
    // PostgreSQL nests block comments (this is `SELECT 1` there); SQLite does not (a DELETE).
    let nested = "/* /* nested */ DELETE FROM agents; -- */ SELECT 1";
    if postgres {
        c.may_run("multi-statement", nested);
    } else {
        c.add("multi-statement", nested);
    }

    // Writes on the module's own table that touch others through a sub-query.
    c.add(
        "subquery-write",
        "INSERT INTO mod_sql_probe_notes (body) SELECT name FROM agents WHERE id IN (SELECT id FROM mod_sql_victim_secret)",
    );
    c.add(
        "subquery-write",
        "DELETE FROM mod_sql_probe_notes WHERE body IN (SELECT secret FROM mod_sql_victim_secret)",
    );

    // Objects a module may not create, even on its own tables.
    c.add(
        "ddl-own",
        "CREATE TABLE mod_sql_probe_fk_plain (a TEXT REFERENCES agents(id))",
    );
    c.add(
        "ddl-own",
        "CREATE TABLE mod_sql_probe_fk_restrict (a TEXT REFERENCES agents(id) ON DELETE RESTRICT)",
    );
    c.add(
        "ddl-own",
        "CREATE TABLE mod_sql_probe_fk_noaction (a TEXT, FOREIGN KEY (a) REFERENCES agents(id) ON DELETE NO ACTION)",
    );
    c.add(
        "ddl-own",
        "ALTER TABLE mod_sql_probe_notes ADD COLUMN agent_id TEXT REFERENCES agents(id)",
    );
    c.add(
        "ddl-own",
        "CREATE TABLE mod_sql_probe_fk_victim (a TEXT REFERENCES mod_sql_victim_secret(id) ON DELETE CASCADE)",
    );
    c.add("ddl-own", "CREATE INDEX evil ON mod_sql_probe_notes (body)");
    c.add(
        "ddl-own",
        "CREATE UNIQUE INDEX pwn_idx ON mod_sql_probe_notes (body)",
    );
    c.add(
        "ddl-own",
        "CREATE INDEX mod_sql_victim_ix ON mod_sql_probe_notes (body)",
    );
    c.add("ddl-own", "CREATE TABLE mod_sql_victim_x (id TEXT)");
    c.add("ddl-own", "CREATE TABLE pwned (id TEXT)");
    c.add("ddl-own", "CREATE TEMP TABLE pwned_temp (id TEXT)");
    c.add(
        "ddl-own",
        "CREATE TEMPORARY TABLE mod_sql_probe_tmp AS SELECT * FROM agents",
    );
    c.add("ddl-own", "DROP INDEX IF EXISTS sqlite_autoindex_agents_1");
    c.add(
        "ddl-own",
        "CREATE VIEW mod_sql_probe_agents AS SELECT * FROM agents",
    );

    if postgres {
        postgres_cases(&mut c, &tmp, database);
    } else {
        sqlite_cases(&mut c, &tmp, tok);
    }
    c.list
}

/// PostgreSQL-only attacks: U& spellings, dollar quoting, functions, roles, settings, files.
fn postgres_cases(c: &mut Cases, tmp: &str, database: &str) {
    // U& identifiers and strings, UESCAPE, E-strings, dollar quoting.
    for sql in [
        "SELECT U&\"pg\\005fread\\005ffile\"('/etc/passwd')",
        "SELECT U&\"pg!005fread!005ffile\" UESCAPE '!' ('/etc/passwd')",
        "SELECT pg_catalog.U&\"pg\\005fread\\005ffile\"('/etc/passwd')",
        "SELECT U&\"query\\005fto\\005fxml\"('select * from mod_sql_victim_secret', true, true, '')",
        "SELECT U&\"current\\005fsetting\"('data_directory')",
        "SELECT U&\"set\\005fconfig\"('role', 'postgres', false)",
        "SELECT U&\"lo\\005ffrom\\005fbytea\"(0, '\\x70776e'::bytea)",
        "SELECT U&'\\0027'",
        "SELECT U&'d!0061ta' UESCAPE '!'",
        "SELECT * FROM agents WHERE name = U&'\\0027; DELETE FROM agents; --'",
        "SELECT E'\\''; DELETE FROM agents; --'",
        "SELECT e'\\\\'; DELETE FROM agents",
        "SELECT $a$x$a$; DELETE FROM agents",
        "SELECT $_$ $a$ $_$; DELETE FROM agents",
        "SELECT 1 AS \"$$\"; DELETE FROM agents; SELECT $$",
    ] {
        c.add("lexical", sql);
    }
    // Escaping the module's role inside one statement: `role` may be set to any role the
    // session user belongs to, and functions that run SQL check rights when they run.
    for sql in [
        "WITH a AS MATERIALIZED (SELECT U&\"set\\005fconfig\"('role', 'postgres', true) AS r) \
         SELECT (SELECT r FROM a) AS r, U&\"query\\005fto\\005fxml\"('select * from mod_sql_victim_secret', true, true, '') AS x",
        "SELECT U&\"set\\005fconfig\"('role', 'postgres', true) AS r, \
         U&\"query\\005fto\\005fxml\"('select secret from mod_sql_victim_secret', true, true, '') AS x",
        "WITH a AS MATERIALIZED (SELECT U&\"set\\005fconfig\"('role', 'postgres', true) AS r) \
         SELECT (SELECT r FROM a) AS r, U&\"query\\005fto\\005fxml\"('delete from agents returning 1', true, true, '') AS x",
    ] {
        c.add("role-escape", sql);
    }
    // Dollar-quoted strings holding a statement: one string each (they may run as such).
    c.may_run("lexical", "SELECT $$; DELETE FROM agents; $$");
    c.may_run("lexical", "SELECT $a$ ; DELETE FROM agents ; $a$");

    // Files, large objects, COPY.
    for sql in [
        "SELECT pg_read_file('/etc/passwd')".to_string(),
        "SELECT pg_catalog.pg_read_file('/etc/passwd')".into(),
        "SELECT \"pg_read_file\"('/etc/passwd')".into(),
        "SELECT PG_READ_FILE('/etc/passwd')".into(),
        "SELECT pg_catalog.\"pg_read_file\"('/etc/passwd')".into(),
        "SELECT pg_read_binary_file('/etc/passwd')".into(),
        "SELECT * FROM pg_read_file('/etc/passwd') AS f(x)".into(),
        "SELECT pg_ls_dir('.')".into(),
        "SELECT * FROM pg_ls_dir('.') AS d(name)".into(),
        "SELECT * FROM ROWS FROM (pg_ls_dir('.')) AS d(name)".into(),
        "SELECT pg_stat_file('postgresql.conf')".into(),
        "SELECT pg_ls_logdir()".into(),
        "SELECT lo_from_bytea(0, '\\x70776e'::bytea)".into(),
        format!("SELECT lo_export(lo_from_bytea(0, '\\x70776e'::bytea), '{tmp}-lo')"),
        "SELECT lo_import('/etc/passwd')".into(),
        "SELECT lo_creat(-1)".into(),
        "SELECT lo_unlink(1)".into(),
        "SELECT * FROM pg_largeobject".into(),
        format!("COPY agents TO '{tmp}-copy'"),
        format!("COPY (SELECT 1) TO PROGRAM 'touch {tmp}-prog'"),
        "COPY mod_sql_probe_notes (body) FROM '/etc/passwd'".into(),
        "COPY mod_sql_probe_notes (body) FROM PROGRAM 'id'".into(),
        "COPY agents TO STDOUT".into(),
        "COPY mod_sql_victim_secret TO STDOUT".into(),
    ] {
        c.add("files", sql);
    }

    // Settings, roles, sessions.
    for sql in [
        "SELECT current_setting('data_directory')".to_string(),
        "SELECT current_setting('config_file')".into(),
        "SELECT current_setting('hba_file')".into(),
        "SHOW data_directory".into(),
        "SHOW ALL".into(),
        "SELECT * FROM pg_settings".into(),
        "SELECT setting FROM pg_settings WHERE name = 'data_directory'".into(),
        "SELECT * FROM pg_file_settings".into(),
        "SELECT set_config('role', 'postgres', false)".into(),
        "SELECT set_config('search_path', 'pg_temp, public', false)".into(),
        "SELECT set_config('session_authorization', 'postgres', false)".into(),
        "SET ROLE postgres".into(),
        "SET LOCAL ROLE postgres".into(),
        "RESET ROLE".into(),
        "SET SESSION AUTHORIZATION postgres".into(),
        "RESET SESSION AUTHORIZATION".into(),
        "SET search_path = pg_temp, public".into(),
        "SET statement_timeout = 0".into(),
        "RESET ALL".into(),
        "DISCARD ALL".into(),
        format!("ALTER ROLE CURRENT_USER IN DATABASE {database} SET work_mem = '64kB'"),
        "CREATE ROLE pwn_role".into(),
        "CREATE ROLE pwn_super SUPERUSER LOGIN".into(),
        "CREATE USER pwn_user".into(),
        "GRANT pg_read_server_files TO PUBLIC".into(),
        "CREATE SCHEMA pwn_schema".into(),
        "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO PUBLIC".into(),
        "ALTER TABLE mod_sql_probe_notes OWNER TO postgres".into(),
        "SELECT rolname, rolpassword FROM pg_authid".into(),
        "SELECT * FROM pg_shadow".into(),
        "SELECT * FROM pg_stat_activity".into(),
        "SELECT pg_reload_conf()".into(),
        "SELECT pg_cancel_backend(0)".into(),
        "SELECT pg_sleep(0.01)".into(),
        "SELECT pg_notify('pwn', 'x')".into(),
        "LISTEN pwn".into(),
        "NOTIFY pwn, 'x'".into(),
        "CHECKPOINT".into(),
        "VACUUM agents".into(),
        "ANALYZE agents".into(),
        "REINDEX TABLE agents".into(),
        "CLUSTER agents".into(),
        "LOCK TABLE agents".into(),
        "SELECT * FROM agents FOR UPDATE".into(),
    ] {
        c.add("settings", sql);
    }
    c.with_params(
        "settings",
        "SELECT set_config($1, $2, false)",
        vec![json!("role"), json!("postgres")],
    );
    c.with_params(
        "settings",
        "SELECT current_setting($1)",
        vec![json!("data_directory")],
    );
    c.with_params(
        "files",
        "SELECT pg_read_file($1)",
        vec![json!("/etc/passwd")],
    );

    // Other databases and other modules' rows through functions.
    for sql in [
        "SELECT query_to_xml('select * from mod_sql_victim_secret', true, true, '')",
        "SELECT query_to_xml('delete from agents returning 1', true, true, '')",
        "SELECT table_to_xml('mod_sql_victim_secret', true, true, '')",
        "SELECT table_to_xml('public.mod_migrations', true, true, '')",
        "SELECT schema_to_xml('public', true, true, '')",
        "SELECT database_to_xml(true, true, '')",
        "SELECT query_to_xml_and_xmlschema('select * from module_state', true, true, '')",
        "SELECT xpath('/a', query_to_xml('select secret from mod_sql_victim_secret', true, true, ''))",
        "SELECT dblink('dbname=postgres', 'select 1')",
        "SELECT * FROM dblink('dbname=postgres', 'select 1') AS t(x int)",
        "SELECT dblink_exec('dbname=postgres', 'create role pwn_dblink')",
        "SELECT to_regclass('mod_sql_victim_secret')",
        "SELECT 'mod_sql_victim_secret'::regclass",
        "SELECT pg_get_viewdef('agents')",
        "SELECT * FROM pg_catalog.pg_tables",
        "SELECT * FROM information_schema.columns",
    ] {
        c.add("functions", sql);
    }

    // Code: functions, procedures, triggers, rules, DO, PREPARE.
    for sql in [
        "DO $$ BEGIN DELETE FROM agents; END $$",
        "DO $x$ BEGIN EXECUTE 'DELETE FROM agents'; END $x$",
        "DO LANGUAGE plpgsql $$ BEGIN PERFORM 1; END $$",
        "CREATE FUNCTION mod_sql_probe_f() RETURNS int LANGUAGE sql AS 'DELETE FROM agents RETURNING 1'",
        "CREATE FUNCTION mod_sql_probe_tf() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN DELETE FROM agents; RETURN NEW; END$$",
        "CREATE OR REPLACE FUNCTION public.lower(text) RETURNS text LANGUAGE sql AS 'SELECT $1'",
        "CREATE FUNCTION pg_temp.pwn() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE PROCEDURE mod_sql_probe_p() LANGUAGE sql AS 'DELETE FROM agents'",
        "CALL mod_sql_probe_p()",
        "CREATE TRIGGER mod_sql_probe_trg AFTER INSERT ON mod_sql_probe_notes FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        "CREATE TRIGGER pwn_trg BEFORE DELETE ON agents FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
        "CREATE RULE mod_sql_probe_rule AS ON INSERT TO mod_sql_probe_notes DO ALSO DELETE FROM agents",
        "CREATE RULE pwn_rule AS ON SELECT TO agents DO INSTEAD SELECT * FROM mod_sql_victim_secret",
        "CREATE EXTENSION dblink",
        "CREATE EXTENSION IF NOT EXISTS pgcrypto",
        "CREATE EVENT TRIGGER pwn_evt ON ddl_command_start EXECUTE FUNCTION pg_catalog.now()",
        "CREATE PUBLICATION pwn_pub FOR ALL TABLES",
        "CREATE POLICY pwn_policy ON agents USING (true)",
        "CREATE AGGREGATE mod_sql_probe_agg(int) (SFUNC = int4pl, STYPE = int)",
        "CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)",
        "CREATE TYPE mod_sql_probe_type AS (a int)",
        "CREATE SEQUENCE pwn_seq",
        "CREATE MATERIALIZED VIEW mod_sql_probe_mv AS SELECT * FROM mod_sql_victim_secret",
        "PREPARE pwn_stmt AS DELETE FROM agents",
        "EXECUTE pwn_stmt",
        "DEALLOCATE ALL",
        "SELECT id INTO mod_sql_probe_into FROM agents",
        "SELECT * INTO TEMP pwn_into FROM mod_sql_victim_secret",
        "SECURITY LABEL ON TABLE agents IS 'pwn'",
        "IMPORT FOREIGN SCHEMA public FROM SERVER pwn INTO public",
    ] {
        c.add("code", sql);
    }
}

/// SQLite-only attacks: ATTACH, PRAGMA, VACUUM INTO, extension and file functions, the schema
/// table, triggers and views.
fn sqlite_cases(c: &mut Cases, tmp: &str, tok: &str) {
    for sql in [
        format!("ATTACH DATABASE '{tmp}-attach.db' AS pwn"),
        format!("ATTACH '{tmp}-attach2.db' AS pwn"),
        format!("ATTACH DATABASE 'pc-sqlbattery-{tok}-relative.db' AS pwn"),
        format!("ATTACH DATABASE 'file:{tmp}-uri.db?mode=rwc' AS pwn"),
        "ATTACH DATABASE ':memory:' AS pwn".into(),
        "ATTACH DATABASE '' AS pwn".into(),
        "DETACH DATABASE pwn".into(),
        format!("VACUUM INTO '{tmp}-vacuum.db'"),
        format!("VACUUM main INTO 'pc-sqlbattery-{tok}-vacuum2.db'"),
        "VACUUM".into(),
        "REINDEX".into(),
        "ANALYZE".into(),
        format!("SELECT load_extension('{tmp}.so')"),
        format!("SELECT load_extension('{tmp}.so', 'sqlite3_extension_init')"),
        "SELECT readfile('/etc/passwd')".into(),
        format!("SELECT writefile('{tmp}-writefile', 'pwn')"),
        "SELECT edit('x', 'vi')".into(),
        "SELECT fts3_tokenizer('simple')".into(),
    ] {
        c.add("files", sql);
    }
    for pragma in [
        "PRAGMA writable_schema = 1",
        "PRAGMA writable_schema = ON",
        "PRAGMA main.writable_schema = RESET",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA foreign_keys",
        "PRAGMA defer_foreign_keys = 1",
        "PRAGMA ignore_check_constraints = 1",
        "PRAGMA recursive_triggers = 1",
        "PRAGMA trusted_schema = 1",
        "PRAGMA query_only = 0",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA main.journal_mode = OFF",
        "PRAGMA synchronous = OFF",
        "PRAGMA user_version = 99",
        "PRAGMA application_id = 7",
        "PRAGMA busy_timeout = 0",
        "PRAGMA cache_size = -2000000",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA table_info(mod_sql_victim_secret)",
        "PRAGMA database_list",
        "PRAGMA integrity_check",
        "PRAGMA wal_checkpoint(TRUNCATE)",
        "PRAGMA \"foreign_keys\" = 0",
        "pragma Foreign_Keys=off",
        "SELECT * FROM pragma_table_info('mod_sql_victim_secret')",
        "SELECT * FROM pragma_database_list",
        "SELECT * FROM pragma_foreign_keys",
    ] {
        c.add("pragma", pragma);
    }
    for sql in [
        "SELECT * FROM sqlite_master",
        "SELECT sql FROM sqlite_schema",
        "SELECT * FROM main.sqlite_master",
        "SELECT * FROM sqlite_temp_master",
        "SELECT * FROM temp.sqlite_master",
        "SELECT * FROM sqlite_sequence",
        "UPDATE sqlite_master SET sql = 'CREATE TABLE agents (id TEXT)' WHERE name = 'agents'",
        "DELETE FROM sqlite_master WHERE name = 'mod_sql_victim_secret'",
        "INSERT INTO sqlite_master VALUES ('table', 'pwn', 'pwn', 0, 'CREATE TABLE pwn (x)')",
        "DELETE FROM sqlite_sequence",
        "SELECT * FROM dbstat",
        "CREATE VIRTUAL TABLE mod_sql_probe_fts USING fts5(x)",
        "CREATE VIRTUAL TABLE temp.pwn_vt USING fts5(x)",
        "CREATE TRIGGER mod_sql_probe_trg AFTER INSERT ON mod_sql_probe_notes BEGIN DELETE FROM agents; END",
        "CREATE TEMP TRIGGER pwn_trg AFTER INSERT ON mod_sql_probe_notes BEGIN DELETE FROM agents; END",
        "CREATE TRIGGER pwn_core_trg BEFORE DELETE ON agents BEGIN SELECT 1; END",
        "CREATE TRIGGER mod_sql_probe_trg2 AFTER INSERT ON mod_sql_probe_notes BEGIN UPDATE mod_sql_victim_secret SET secret = 'pwned'; END",
        "CREATE TEMP VIEW pwn_view AS SELECT * FROM mod_sql_victim_secret",
        "CREATE VIEW mod_sql_probe_v2 AS SELECT * FROM mod_sql_victim_secret",
        "SELECT * FROM json_each((SELECT group_concat(secret) FROM mod_sql_victim_secret))",
        "INSERT INTO mod_sql_probe_notes (id, body) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET body = (SELECT secret FROM mod_sql_victim_secret LIMIT 1)",
        "WITH RECURSIVE x AS (SELECT 1) DELETE FROM agents",
        "SELECT 1 WHERE 0; DELETE FROM agents",
        "DELETE FROM \"main\".agents",
        "DELETE FROM main.\"agents\" WHERE 1",
        "BEGIN; DELETE FROM agents; COMMIT",
        "SAVEPOINT pwn",
        "RELEASE pwn",
        "BEGIN IMMEDIATE",
        "COMMIT",
        "ROLLBACK",
    ] {
        c.add("schema-table", sql);
    }
    c.with_params("files", "SELECT readfile($1)", vec![json!("/etc/passwd")]);
    c.with_params(
        "files",
        "ATTACH DATABASE $1 AS pwn",
        vec![json!(format!("{tmp}-param.db"))],
    );
}

/// Statements run inside one module transaction (opened with `/begin`), then rolled back.
fn transaction_cases(postgres: bool) -> Vec<&'static str> {
    let mut cases = vec![
        "DELETE FROM agents",
        "UPDATE mod_sql_victim_secret SET secret = 'pwned'",
        "SELECT * FROM mod_sql_victim_secret",
        "DROP TABLE mod_sql_victim_secret",
        "INSERT INTO mod_sql_probe_notes (body) SELECT secret FROM mod_sql_victim_secret",
    ];
    if postgres {
        cases.extend([
            "SET LOCAL ROLE postgres",
            "SET ROLE postgres",
            "SELECT set_config('role', 'postgres', true)",
            "LOCK TABLE agents IN ACCESS EXCLUSIVE MODE",
            "SELECT * FROM agents FOR UPDATE",
            "SET TRANSACTION READ WRITE",
            "SET LOCAL statement_timeout = 0",
        ]);
    } else {
        cases.extend([
            "PRAGMA foreign_keys = OFF",
            "PRAGMA defer_foreign_keys = ON",
            "SAVEPOINT pwn",
            "ROLLBACK TO pwn",
            "COMMIT",
        ]);
    }
    cases
}

/// Strings that must never appear in an answer to the probe.
fn canaries(server: &TestServer) -> Vec<String> {
    let mut canaries: Vec<String> = VICTIM_SECRETS.iter().map(|s| s.to_string()).collect();
    canaries.push(VICTIM_CONFIG_CANARY.into());
    canaries.push(API_KEY.into());
    canaries.push("root:x:0:0".into());
    canaries.push("SCRAM-SHA-256$".into());
    let mut db = DirectDb::open(server);
    canaries.extend(db.texts("SELECT checksum AS v FROM mod_migrations"));
    if db.is_postgres() {
        canaries.extend(db.texts("SELECT current_setting('data_directory') AS v"));
        canaries.extend(db.texts("SELECT current_setting('hba_file') AS v"));
    } else {
        canaries.push(server.data_dir().to_string_lossy().into_owned());
    }
    canaries
}

/// The PostgreSQL database name of `server`, or `main` for SQLite.
fn database_name(server: &TestServer) -> String {
    server
        .database_url()
        .and_then(|url| url.rsplit('/').next())
        .map(|name| name.split('?').next().unwrap_or(name).to_string())
        .unwrap_or_else(|| "main".into())
}

/// A unique token for attack file names.
fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}x{nanos:x}", std::process::id())
}

/// Judges one answer; returns the problem, if any.
fn judge(case: &Case, route: &str, answer: &Answer, canaries: &[String]) -> Option<String> {
    let text = answer.body.to_string();
    if let Some(canary) = canaries.iter().find(|c| text.contains(c.as_str())) {
        return Some(format!("LEAK ({route}) of {canary:?}: {}", cut(&text, 300)));
    }
    let refused = answer.error().is_some();
    if !refused && !answer.succeeded() {
        return Some(format!("BAD ANSWER ({route}): {}", answer.summary()));
    }
    if case.expect == Expect::Refused && !refused {
        return Some(format!("ACCEPTED ({route}): {}", answer.summary()));
    }
    None
}

/// Removes what an attack that got through left in the shared PostgreSQL cluster (roles).
fn clean_up_cluster(server: &TestServer) {
    if let TestBackend::Postgres { admin_url } = server.backend() {
        if let Ok(mut admin) = <diesel::PgConnection as diesel::Connection>::establish(admin_url) {
            for role in ["pwn_role", "pwn_super", "pwn_user", "pwn_dblink"] {
                let _ = diesel::RunQueryDsl::execute(
                    diesel::sql_query(format!("DROP ROLE IF EXISTS {role}")),
                    &mut admin,
                );
            }
        }
    }
}

#[test]
fn hostile_statements_through_a_module_change_and_leak_nothing() {
    each_backend(|backend| {
        let postgres = matches!(backend, TestBackend::Postgres { .. });
        let server = start(backend, json!({}));
        let probe = Probe::new(&server);
        seed_core(&server, "Target One");
        seed_core(&server, "Target Two");
        let (status, body) = server.put(
            &format!("/api/admin/modules/{VICTIM}/config"),
            &json!({ "canary": VICTIM_CONFIG_CANARY }),
        );
        assert!(status.is_success(), "saving the victim's config: {body}");
        // The probe works at all: its own table and a core read.
        probe.execute_ok(
            "INSERT INTO mod_sql_probe_notes (body) VALUES ($1)",
            &[json!("before the battery")],
        );
        assert!(probe.query("SELECT id FROM agents", &[], 0).succeeded());

        let tok = token();
        let cases = statement_cases(postgres, &tok, &database_name(&server));
        assert!(
            cases.len() >= 150,
            "the battery has only {} statements",
            cases.len()
        );
        let canaries = canaries(&server);
        let before = Digest::take(&server);

        let mut problems = Vec::new();
        let mut refused = 0;
        for case in &cases {
            for (route, answer) in [
                ("query", probe.query(&case.sql, &case.params, 0)),
                ("execute", probe.execute(&case.sql, &case.params, 0)),
            ] {
                if answer.error().is_some() {
                    refused += 1;
                }
                if let Some(problem) = judge(case, route, &answer, &canaries) {
                    problems.push(format!("[{}] {:?}: {problem}", case.category, case.sql));
                }
            }
        }
        // The same inside a module transaction that is then rolled back.
        match probe.begin() {
            Ok(tx) => {
                for sql in transaction_cases(postgres) {
                    let case = Case {
                        category: "transaction",
                        sql: sql.into(),
                        params: vec![],
                        expect: Expect::Refused,
                    };
                    let answer = probe.execute(sql, &[], tx);
                    if let Some(problem) = judge(&case, "execute in tx", &answer, &canaries) {
                        problems.push(format!("[transaction] {sql:?}: {problem}"));
                    }
                }
                let _ = probe.rollback(tx);
            }
            Err(answer) => problems.push(format!(
                "[transaction] /begin refused: {}",
                answer.summary()
            )),
        }

        std::thread::sleep(std::time::Duration::from_millis(300));
        let after = Digest::take(&server);
        problems.extend(
            after
                .differences(&before)
                .into_iter()
                .map(|d| format!("[digest] {d}")),
        );
        let dropped = tmp_files_with_prefix(&format!("pc-sqlbattery-{tok}"));
        if !dropped.is_empty() {
            problems.push(format!(
                "[files] attack files appeared in /tmp: {dropped:?}"
            ));
        }
        let (status, secrets) = server.get(&format!("/api/modules/{VICTIM}/secrets"));
        if status != StatusCode::OK
            || secrets["secrets"].as_array().map(Vec::len) != Some(VICTIM_SECRETS.len())
        {
            problems.push(format!(
                "[victim] the victim's own rows are no longer intact: {status} {secrets}"
            ));
        }
        let probe_view = wait_for_status(&server, PROBE, &["active", "degraded", "failed"]);
        eprintln!(
            "[{}] battery: {} statements × 2 routes + {} in a transaction, {refused} refusals, \
             {} problems; probe is {}",
            server.backend(),
            cases.len(),
            transaction_cases(postgres).len(),
            problems.len(),
            probe_view["status"]
        );
        clean_up_cluster(&server);
        assert_core_works(&server);
        assert!(
            problems.is_empty(),
            "{} of the battery's checks failed on {}:\n{}",
            problems.len(),
            server.backend(),
            problems.join("\n")
        );
    });
}

/// One hostile migration: its module id and the statement after a legitimate table of its own.
fn migration_cases(postgres: bool, tok: &str) -> Vec<String> {
    let tmp = format!("/tmp/pc-sqlbattery-{tok}-mig");
    let mut cases: Vec<String> = vec![
        "DROP TABLE agents".into(),
        "DELETE FROM \"agents\"".into(),
        "UPDATE AGENTS SET name = 'pwned'".into(),
        "DELETE FROM mod_sql_victim_secret".into(),
        "UPDATE mod_sql_victim_secret SET secret = 'pwned'".into(),
        "DROP TABLE mod_sql_victim_secret".into(),
        "ALTER TABLE agents ADD COLUMN pwn TEXT".into(),
        "CREATE INDEX mod_{id}_ix ON agents (name)".into(),
        "CREATE INDEX pwn_idx ON mod_{id}_t (id)".into(),
        "INSERT INTO mod_migrations (module_id, version, checksum, applied_at) VALUES ('sql-probe', '9999', 'x', CURRENT_TIMESTAMP)".into(),
        "DELETE FROM module_state".into(),
        "CREATE TABLE mod_{id}_fk (a TEXT REFERENCES agents(id))".into(),
        "CREATE TABLE mod_{id}_copy AS SELECT * FROM mod_sql_victim_secret".into(),
        "INSERT INTO mod_{id}_t (id, body) SELECT id, secret FROM mod_sql_victim_secret".into(),
        "CREATE VIEW mod_{id}_v AS SELECT * FROM mod_sql_victim_secret".into(),
        "/* /* nested */ DELETE FROM agents; -- */ SELECT 1".into(),
        "SELECT 1; DELETE FROM agents".into(),
    ];
    if postgres {
        cases.extend([
            "SELECT U&\"pg\\005fread\\005ffile\"('/etc/passwd')".to_string(),
            "CREATE TABLE mod_{id}_leak AS SELECT U&\"pg\\005fread\\005ffile\"('/etc/passwd') AS x".into(),
            "CREATE TABLE mod_{id}_xml AS SELECT U&\"query\\005fto\\005fxml\"('select * from mod_sql_victim_secret', true, true, '') AS x".into(),
            "SELECT lo_from_bytea(0, '\\x70776e'::bytea)".into(),
            format!("SELECT lo_export(lo_from_bytea(0, '\\x70776e'::bytea), '{tmp}-lo')"),
            format!("COPY agents TO '{tmp}-copy'"),
            "DO $$ BEGIN DELETE FROM agents; END $$".into(),
            "CREATE FUNCTION mod_{id}_f() RETURNS int LANGUAGE sql AS 'SELECT 1'".into(),
            "CREATE RULE mod_{id}_r AS ON INSERT TO mod_{id}_t DO ALSO DELETE FROM agents".into(),
            "GRANT ALL ON agents TO PUBLIC".into(),
            "SET ROLE postgres".into(),
            "SELECT set_config('role', 'postgres', false)".into(),
            "CREATE ROLE pwn_migration_role".into(),
            "SELECT query_to_xml('delete from agents returning 1', true, true, '')".into(),
            "CREATE EXTENSION IF NOT EXISTS pgcrypto".into(),
            "SELECT $a$x$a$; DELETE FROM agents".into(),
        ]);
    } else {
        cases.extend([
            format!("ATTACH DATABASE '{tmp}-attach.db' AS pwn"),
            "PRAGMA writable_schema = 1".into(),
            "PRAGMA foreign_keys = OFF".into(),
            format!("VACUUM INTO '{tmp}-vacuum.db'"),
            "CREATE TRIGGER mod_{id}_trg AFTER INSERT ON mod_{id}_t BEGIN DELETE FROM agents; END"
                .into(),
            format!("SELECT load_extension('{tmp}.so')"),
            "UPDATE sqlite_master SET sql = 'x' WHERE name = 'agents'".into(),
            "CREATE TEMP TABLE pwn_temp (x TEXT)".into(),
            "DELETE FROM 'agents'".into(),
            "DELETE FROM main.agents".into(),
            "REPLACE INTO mod_sql_victim_secret (id, secret) VALUES ('s1', 'pwned')".into(),
            "CREATE VIRTUAL TABLE mod_{id}_fts USING fts5(x)".into(),
        ]);
    }
    cases
}

/// Writes a bundle `hostile-NN` (the `tiny` library under a new id) whose only migration
/// creates its own table and then runs `statement`.
fn write_hostile_bundle(modules_dir: &Path, id: &str, statement: &str) {
    let target = modules_dir.join(id);
    paperclip_e2e::copy_dir(&paperclip_e2e::find_bundle("tiny"), &target);
    let manifest_path = target.join("paperclip.module.json");
    let mut manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(&manifest_path).expect("tiny has a manifest"),
    )
    .expect("the manifest is JSON");
    manifest["id"] = json!(id);
    manifest["name"] = json!(format!("Hostile migration {id}"));
    manifest["routes"]["prefix"] = json!(id);
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).expect("manifest serializes"),
    )
    .expect("writing the manifest");
    let migrations = target.join("migrations");
    let _ = std::fs::remove_dir_all(&migrations);
    let prefix = id.replace('-', "_");
    let statement = statement.replace("{id}", &prefix);
    for backend in ["sqlite", "postgres"] {
        let dir = migrations.join(backend).join("2026-01-01-000000_hostile");
        std::fs::create_dir_all(&dir).expect("migration folder");
        std::fs::write(
            dir.join("up.sql"),
            format!("CREATE TABLE mod_{prefix}_t (id TEXT, body TEXT);\n{statement};\n"),
        )
        .expect("up.sql");
        std::fs::write(
            dir.join("down.sql"),
            format!("DROP TABLE mod_{prefix}_t;\n"),
        )
        .expect("down.sql");
    }
}

#[test]
fn hostile_migrations_fail_the_module_and_change_nothing() {
    each_backend(|backend| {
        let postgres = matches!(backend, TestBackend::Postgres { .. });
        let server = start(backend, json!({}));
        seed_core(&server, "Migration Target");
        let (status, body) = server.put(
            &format!("/api/admin/modules/{VICTIM}/config"),
            &json!({ "canary": VICTIM_CONFIG_CANARY }),
        );
        assert!(status.is_success(), "saving the victim's config: {body}");
        let tok = token();
        let cases = migration_cases(postgres, &tok);
        assert!(cases.len() >= 20, "only {} hostile migrations", cases.len());
        let before = Digest::take(&server);

        let ids: Vec<String> = (0..cases.len())
            .map(|n| format!("hostile-{n:02}"))
            .collect();
        for (id, statement) in ids.iter().zip(&cases) {
            write_hostile_bundle(&server.modules_dir(), id, statement);
        }
        let (status, body) = server.post("/api/admin/modules/rescan", &json!({}));
        assert!(status.is_success(), "rescan answered {status}: {body}");

        let mut problems = Vec::new();
        for (id, statement) in ids.iter().zip(&cases) {
            let view = wait_for_status(&server, id, &["active", "degraded", "failed", "disabled"]);
            let reason = view["reason"].as_str().unwrap_or_default();
            if view["status"] != "failed" || reason.trim().is_empty() {
                problems.push(format!(
                    "[migration] {id} {statement:?}: status {} reason {reason:?}",
                    view["status"]
                ));
            } else {
                eprintln!("  {id} failed as it should: {}", cut(reason, 160));
            }
        }

        let after = Digest::take(&server);
        problems.extend(
            after
                .differences(&before)
                .into_iter()
                .map(|d| format!("[digest] {d}")),
        );
        let dropped = tmp_files_with_prefix(&format!("pc-sqlbattery-{tok}"));
        if !dropped.is_empty() {
            problems.push(format!(
                "[files] attack files appeared in /tmp: {dropped:?}"
            ));
        }
        eprintln!(
            "[{}] migration battery: {} hostile migrations, {} problems",
            server.backend(),
            cases.len(),
            problems.len()
        );
        if let TestBackend::Postgres { admin_url } = server.backend() {
            if let Ok(mut admin) =
                <diesel::PgConnection as diesel::Connection>::establish(admin_url)
            {
                let _ = diesel::RunQueryDsl::execute(
                    diesel::sql_query("DROP ROLE IF EXISTS pwn_migration_role"),
                    &mut admin,
                );
            }
        }
        assert_core_works(&server);
        assert!(
            problems.is_empty(),
            "{} hostile migrations got through on {}:\n{}",
            problems.len(),
            server.backend(),
            problems.join("\n")
        );
    });
}
