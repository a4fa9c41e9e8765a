//! Tests of the guard against spellings and statements found under attack: Unicode escapes
//! and other lexical forms the parser might read differently from the engines, the function
//! allow-list, foreign keys that could veto core deletes, prefixed index and constraint names,
//! and session, role and server-side statements. Both dialects unless a test says otherwise.

use super::*;

const BOTH: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

fn guard() -> SqlGuard {
    SqlGuard::new("token-meter")
}

fn pass(sql: &str, backend: Backend) -> CheckedStatement {
    guard()
        .check_statement(sql, backend)
        .unwrap_or_else(|e| panic!("{} refused `{sql}`: {e}", backend.name()))
}

fn pass_both(sql: &str) {
    for backend in BOTH {
        pass(sql, backend);
    }
}

fn refuse_on(backend: Backend, sql: &str, needles: &[&str]) {
    let message = match guard().check_statement(sql, backend) {
        Ok(checked) => panic!("{} accepted `{sql}` as {checked:?}", backend.name()),
        Err(error) => error.to_string(),
    };
    for needle in needles {
        assert!(
            message.contains(needle),
            "{}: message for `{sql}` lacks `{needle}`: {message}",
            backend.name()
        );
    }
    // A migration script with the same statement is refused too.
    if !sql.contains('$') {
        assert!(
            guard().check_script(sql, backend).is_err(),
            "{}: script `{sql}` accepted",
            backend.name()
        );
    }
}

fn refuse_both(sql: &str, needles: &[&str]) {
    for backend in BOTH {
        refuse_on(backend, sql, needles);
    }
}

// ---- Unicode escapes and other unsure spellings ----

#[test]
fn unicode_escaped_identifiers_are_refused() {
    // PostgreSQL decodes this to pg_read_file; the parser reads `U & "…"`.
    refuse_both(
        r#"SELECT U&"pg\005fread\005ffile"('/etc/passwd')"#,
        &["U&", "Unicode-escape"],
    );
    refuse_both(
        r#"SELECT u&"query\005fto\005fxml"('select * from mod_other_secret', true, true, '')"#,
        &["u&"],
    );
    refuse_both(r#"SELECT * FROM U&"\0061pi_keys""#, &["U&"]);
    // Whitespace or a comment between the parts is refused as well.
    refuse_both(r#"SELECT U& "x""#, &["U&"]);
    refuse_both(r#"SELECT U &"x""#, &["U&"]);
    refuse_both(r#"SELECT U/**/&"x""#, &["U&"]);
    refuse_both(r#"SELECT U&"pg!005fsleep" UESCAPE '!'(1)"#, &["U&"]);
}

#[test]
fn unicode_escaped_strings_and_uescape_are_refused() {
    refuse_on(
        Backend::Postgres,
        r"SELECT U&'\0041'",
        &["Unicode-escape string", "U&'"],
    );
    refuse_on(Backend::Postgres, r"SELECT u&'\0041'", &["Unicode-escape"]);
    refuse_on(Backend::Sqlite, r"SELECT U&'\0041'", &["U&"]);
    refuse_both("SELECT 'x' UESCAPE '!'", &["UESCAPE"]);
    refuse_both("SELECT uescape FROM mod_token_meter_t", &["UESCAPE"]);
    // A column that merely starts with u is fine, and so is `&` elsewhere.
    pass_both("SELECT units & 1, user_id FROM mod_token_meter_t");
    pass("SELECT \"U\" FROM mod_token_meter_t", Backend::Postgres);
}

#[test]
fn escape_strings_accept_only_simple_escapes_on_postgres() {
    pass(r"SELECT E'tab\there\nline \\ \' ok'", Backend::Postgres);
    refuse_on(
        Backend::Postgres,
        r"SELECT E'\x41'",
        &[r"the escape `\x`", "E'…'"],
    );
    refuse_on(Backend::Postgres, r"SELECT E'\101'", &[r"`\1`"]);
    refuse_on(Backend::Postgres, r"SELECT E'\u0041'", &[]);
    refuse_on(Backend::Postgres, r"SELECT e'\U00000041'", &[]);
    refuse_on(Backend::Postgres, r"SELECT E'\q'", &[r"`\q`"]);
    refuse_on(Backend::Sqlite, r"SELECT E'x'", &["E'…'"]);
}

#[test]
fn a_backslash_before_a_quote_in_a_plain_string_is_refused_on_postgres() {
    // With standard_conforming_strings off PostgreSQL would read on past the parser's end.
    refuse_on(
        Backend::Postgres,
        r"SELECT 'a\', (SELECT key FROM api_keys) --'",
        &["backslash right before a quote"],
    );
    refuse_on(Backend::Postgres, r"SELECT 'it\''s'", &["backslash"]);
    pass(r"SELECT 'C:\dir\file'", Backend::Postgres);
    // SQLite never reads backslash escapes.
    pass(r"SELECT 'a\'", Backend::Sqlite);
}

#[test]
fn nested_and_unterminated_comments_are_refused() {
    refuse_both(
        "SELECT 1 /* outer /* inner */ , (SELECT key FROM api_keys) */",
        &["nested `/*` comment"],
    );
    // SQLite would end this comment at the end of the text; the parser refuses it.
    refuse_both("SELECT 1 /* open", &[]);
}

#[test]
fn comments_inside_postgres_operators_are_refused() {
    // PostgreSQL: `<` then a comment `/* ' */`, then real SQL; the parser would read one
    // operator `</*` and a string hiding the sub-query.
    refuse_on(
        Backend::Postgres,
        "SELECT 1 </* ' */ , (SELECT key FROM api_keys) -- '",
        &["operator", "comment"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT 1 @-- '\n, (SELECT key FROM api_keys) -- '",
        &[],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT 1 <@/* ' */ , (SELECT key FROM api_keys) -- '",
        &["operator `<@/*`"],
    );
    pass("SELECT 1 < 2 -- fine\n", Backend::Postgres);
    pass(
        "SELECT data #>> '{a}' FROM mod_token_meter_t",
        Backend::Postgres,
    );
}

#[test]
fn dollar_quoting_is_refused_where_the_parser_could_misread_it() {
    refuse_on(Backend::Sqlite, "SELECT $$x$$", &["dollar-quoted"]);
    // The parser's end-tag search skips `$t$` right after a `$`; PostgreSQL does not.
    refuse_on(
        Backend::Postgres,
        "SELECT $t$ a $$t$ , (SELECT key FROM api_keys), $t$",
        &[],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT $t$ has $ inside $t$",
        &["a `$` inside the dollar-quoted string"],
    );
    refuse_on(Backend::Postgres, "SELECT $1$x$1$", &["$1$"]);
    pass("SELECT $$ $1 and $ inside $$", Backend::Postgres);
    pass("SELECT $tag$plain$tag$", Backend::Postgres);
}

#[test]
fn sqlite_hash_parameters_are_refused() {
    refuse_on(Backend::Sqlite, "SELECT #x(/*) FROM agents", &[]);
    refuse_on(Backend::Sqlite, "SELECT #x FROM agents", &["`#`"]);
    refuse_on(Backend::Sqlite, "SELECT 1 # 2", &["#"]);
    pass("SELECT 1 # 2", Backend::Postgres);
}

#[test]
fn other_exotic_literals_stay_refused() {
    refuse_both("SELECT N'x'", &["N'…'"]);
    refuse_on(Backend::Sqlite, "SELECT X'zz'", &["X'…'"]);
    refuse_on(Backend::Postgres, "SELECT 1\u{00a0}", &["U+00A0"]);
    refuse_both("SELECT [a]]b] FROM agents", &[]);
}

// ---- the function allow-list ----

#[test]
fn functions_off_the_allow_list_are_refused_by_name() {
    for function in [
        "pg_read_file('/etc/passwd')",
        "pg_ls_dir('.')",
        "pg_sleep(1)",
        "pg_terminate_backend(1)",
        "pg_advisory_lock(1)",
        "lo_from_bytea(0, 'x')",
        "lo_export(1, '/tmp/x')",
        "lo_import('/etc/passwd')",
        "loread(1, 1)",
        "dblink('host=x', 'select 1')",
        "dblink_exec('host=x', 'drop table agents')",
        "set_config('role', 'postgres', false)",
        "current_setting('data_directory')",
        "query_to_xml('select * from mod_other_secret', true, true, '')",
        "table_to_xml('mod_other_secret', true, true, '')",
        "xpath('/a', '<a/>')",
        "txid_current()",
        "nextval('agents_seq')",
        "setval('agents_seq', 1)",
        "load_extension('x')",
        "readfile('/etc/passwd')",
        "writefile('/tmp/x', 'y')",
        "fts3_tokenizer('x')",
        "zeroblob(1000000000)",
        "randomblob(1000000000)",
        "repeat('x', 1000000000)",
        "printf('%s', 1)",
        "format('%s', 1)",
        "sqlite_version()",
        "version()",
        "inet_server_addr()",
        "to_regclass('agents')",
        "ts_stat('select 1')",
        "crosstab('select 1')",
        "some_unknown_function(1)",
    ] {
        let name = function.split('(').next().unwrap();
        refuse_both(
            &format!("SELECT {function}"),
            &[&format!("function `{name}`"), "not allowed in module SQL"],
        );
    }
}

#[test]
fn refused_functions_are_refused_everywhere_in_a_statement() {
    let places = [
        "SELECT * FROM agents WHERE name = set_config('role', 'x', false)",
        "SELECT * FROM agents ORDER BY pg_sleep(1)",
        "SELECT count(*) FROM agents GROUP BY pg_sleep(1)",
        "SELECT (SELECT current_setting('role'))",
        "WITH x AS (SELECT lo_export(1, '/tmp/x')) SELECT * FROM x",
        "INSERT INTO mod_token_meter_t (v) VALUES (current_setting('role'))",
        "INSERT INTO mod_token_meter_t (v) SELECT pg_read_file('/etc/passwd')",
        "UPDATE mod_token_meter_t SET v = set_config('role', 'x', false)",
        "DELETE FROM mod_token_meter_t WHERE v = pg_sleep(1)",
        "CREATE TABLE mod_token_meter_x (v TEXT DEFAULT (current_setting('role')))",
        "CREATE TABLE mod_token_meter_x (v TEXT CHECK (pg_sleep(1) IS NULL))",
        "CREATE INDEX mod_token_meter_i ON mod_token_meter_t (pg_sleep(1))",
        "CREATE INDEX mod_token_meter_i ON mod_token_meter_t (v) WHERE pg_sleep(1) IS NULL",
        "ALTER TABLE mod_token_meter_t ADD COLUMN w TEXT DEFAULT (set_config('a', 'b', false))",
        "SELECT count(*) FILTER (WHERE pg_sleep(1) IS NULL) FROM agents",
        "SELECT lower(pg_read_file('/etc/passwd'))",
    ];
    for sql in places {
        refuse_both(sql, &["not allowed in module SQL"]);
    }
}

#[test]
fn keyword_functions_off_the_list_are_refused() {
    // SQLite has no such keyword: there it is a column name.
    refuse_on(Backend::Postgres, "SELECT current_user", &[]);
    refuse_on(Backend::Postgres, "SELECT session_user", &[]);
    refuse_on(Backend::Postgres, "SELECT current_role", &[]);
}

#[test]
fn qualified_and_quoted_function_names_are_refused() {
    refuse_both(
        "SELECT pg_catalog.lower('x')",
        &["pg_catalog.lower", "schema qualifier"],
    );
    refuse_both("SELECT public.count(*) FROM agents", &["schema qualifier"]);
    refuse_both(
        "SELECT \"pg_read_file\"('/etc/passwd')",
        &["pg_read_file", "without quotes"],
    );
    refuse_both("SELECT \"lower\"('x')", &["without quotes"]);
}

#[test]
fn table_functions_in_from_follow_their_own_list() {
    refuse_both(
        "SELECT * FROM set_config('role', 'x', false)",
        &["set_config", "table functions"],
    );
    refuse_both("SELECT * FROM pg_ls_dir('.')", &["pg_ls_dir"]);
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM dblink('h', 'q')",
        &["dblink"],
    );
    refuse_both(
        "SELECT * FROM pg_catalog.generate_series(1, 2)",
        &["schema qualifier"],
    );
    pass("SELECT value FROM json_each('[1]')", Backend::Sqlite);
    pass("SELECT * FROM generate_series(1, 3)", Backend::Postgres);
}

#[test]
fn the_functions_first_party_modules_use_are_allowed() {
    // observability (usage, burn rate, alerts) and the test modules.
    pass_both(
        "SELECT m.agent_id, CAST(SUM(m.tokens_used) AS BIGINT) AS tokens, \
         CAST(COALESCE(SUM(m.latency_ms), 0) AS BIGINT) AS latency_sum, COUNT(*) AS n, \
         CAST(AVG(m.latency_ms) AS DOUBLE PRECISION), MAX(m.recorded_at), MIN(m.recorded_at) \
         FROM mod_token_meter_metrics m JOIN agents a ON a.id = m.agent_id \
         WHERE m.recorded_at >= $1 GROUP BY m.agent_id",
    );
    pass_both(
        "SELECT CAST(SUM(CASE WHEN recorded_at >= $1 THEN amount ELSE 0 END) AS BIGINT) \
         FROM mod_token_meter_spend",
    );
}

#[test]
fn ordinary_functions_on_the_list_pass() {
    pass_both(
        "SELECT lower(name), upper(name), length(name), substr(name, 1, 2), trim(name), \
         replace(name, 'a', 'b'), abs(-1), round(1.5), nullif(name, ''), coalesce(name, ''), \
         greatest(1, 2), least(1, 2), row_number() OVER (ORDER BY id), \
         rank() OVER (ORDER BY id), lag(id) OVER (ORDER BY id), CURRENT_TIMESTAMP \
         FROM agents",
    );
    pass(
        "SELECT strftime('%s', 'now'), datetime('now'), julianday('now'), \
         json_extract(d, '$.a'), json_object('a', 1), json_array(1), group_concat(id) \
         FROM mod_token_meter_t",
        Backend::Sqlite,
    );
    pass(
        "SELECT now(), date_trunc('hour', now()), EXTRACT(EPOCH FROM now()), \
         jsonb_build_object('a', 1), to_jsonb(1), jsonb_agg(id), json_agg(id), \
         string_agg(id, ','), gen_random_uuid(), d ->> 'a', d -> 'b', \
         SUBSTRING(id FROM 1 FOR 2), dense_rank() OVER (ORDER BY id), random() \
         FROM mod_token_meter_t",
        Backend::Postgres,
    );
}

// ---- foreign keys must never veto a core delete ----

#[test]
fn a_foreign_key_to_a_core_table_needs_cascade_or_set_null() {
    let reason = "a module table may reference core table agents only with ON DELETE CASCADE or \
                  ON DELETE SET NULL, so deleting a core row never fails because of a module";
    for sql in [
        "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents(id))",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents)",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents(id) ON DELETE RESTRICT)",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents(id) ON DELETE NO ACTION)",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents(id) ON DELETE SET DEFAULT)",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents(id) ON UPDATE CASCADE)",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT, FOREIGN KEY (agent_id) REFERENCES agents(id))",
        "ALTER TABLE mod_token_meter_t ADD COLUMN agent_id TEXT REFERENCES agents(id)",
        "ALTER TABLE mod_token_meter_t ADD CONSTRAINT mod_token_meter_fk FOREIGN KEY (agent_id) REFERENCES agents(id)",
    ] {
        refuse_both(sql, &[reason]);
    }
    refuse_both(
        "CREATE TABLE mod_token_meter_t (c TEXT REFERENCES companies(id) ON DELETE RESTRICT)",
        &["core table companies only with ON DELETE CASCADE"],
    );
    pass_both(
        "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents(id) ON DELETE CASCADE)",
    );
    pass_both(
        "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents ON DELETE SET NULL)",
    );
    pass_both(
        "CREATE TABLE mod_token_meter_t (a TEXT NOT NULL, FOREIGN KEY (a) REFERENCES agents(id) ON DELETE CASCADE ON UPDATE CASCADE)",
    );
    pass_both(
        "ALTER TABLE mod_token_meter_t ADD CONSTRAINT mod_token_meter_fk FOREIGN KEY (a) REFERENCES issues(id) ON DELETE SET NULL",
    );
}

#[test]
fn set_null_on_a_not_null_column_is_refused() {
    for sql in [
        "CREATE TABLE mod_token_meter_t (agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE SET NULL)",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE SET NULL)",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT NOT NULL, FOREIGN KEY (agent_id) REFERENCES agents(id) ON DELETE SET NULL)",
        "CREATE TABLE mod_token_meter_t (agent_id TEXT, PRIMARY KEY (agent_id), FOREIGN KEY (agent_id) REFERENCES agents(id) ON DELETE SET NULL)",
        "ALTER TABLE mod_token_meter_t ADD COLUMN agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE SET NULL",
    ] {
        refuse_both(sql, &["ON DELETE SET NULL on a NOT NULL column", "CASCADE"]);
    }
}

#[test]
fn a_core_table_may_be_referenced_only_by_its_key() {
    refuse_both(
        "CREATE TABLE mod_token_meter_t (n TEXT REFERENCES agents(name) ON DELETE CASCADE)",
        &["agents(name)", "REFERENCES agents(id)"],
    );
    refuse_both(
        "CREATE TABLE mod_token_meter_t (a TEXT, b TEXT, FOREIGN KEY (a, b) REFERENCES agents(id, name) ON DELETE CASCADE)",
        &["only by its key"],
    );
}

#[test]
fn foreign_keys_between_own_tables_need_cascade_or_set_null_too() {
    // A core delete may cascade into the first table; a restricting key from the second
    // would then veto it.
    refuse_both(
        "CREATE TABLE mod_token_meter_b (a_id TEXT REFERENCES mod_token_meter_a(id))",
        &["the module's own table mod_token_meter_a", "cascade into"],
    );
    pass_both(
        "CREATE TABLE mod_token_meter_b (a_id TEXT REFERENCES mod_token_meter_a(id) ON DELETE CASCADE)",
    );
    pass_both(
        "CREATE TABLE mod_token_meter_b (k TEXT REFERENCES mod_token_meter_a(k) ON DELETE SET NULL)",
    );
}

#[test]
fn foreign_keys_to_other_modules_and_host_tables_stay_refused() {
    for table in [
        "mod_billing_invoices",
        "module_state",
        "mod_migrations",
        "api_keys",
        "pg_class",
        "sqlite_master",
    ] {
        refuse_both(
            &format!(
                "CREATE TABLE mod_token_meter_t (x TEXT REFERENCES {table}(id) ON DELETE CASCADE)"
            ),
            &[table],
        );
    }
}

// ---- index and constraint names carry the prefix ----

#[test]
fn index_names_must_carry_the_prefix() {
    refuse_both(
        "CREATE INDEX agents_name_idx ON mod_token_meter_t (v)",
        &["index name `agents_name_idx`", "mod_token_meter_"],
    );
    refuse_both(
        "CREATE UNIQUE INDEX mod_billing_x ON mod_token_meter_t (v)",
        &["mod_billing_x"],
    );
    refuse_on(
        Backend::Postgres,
        "CREATE INDEX public.idx ON mod_token_meter_t (v)",
        &["`idx`"],
    );
    pass_both("CREATE INDEX mod_token_meter_t_v ON mod_token_meter_t (v)");
    pass_both("CREATE INDEX \"MOD_TOKEN_METER_t_w\" ON mod_token_meter_t (w)");
    refuse_both(
        "DROP INDEX agents_pkey",
        &["DROP INDEX", "mod_token_meter_"],
    );
    pass_both("DROP INDEX mod_token_meter_t_v");
}

#[test]
fn index_names_of_a_longer_module_are_refused() {
    let guard = SqlGuard::new("foo").with_other_modules(["foo-bar"]);
    for backend in BOTH {
        let error = guard
            .check_statement("CREATE INDEX mod_foo_bar_i ON mod_foo_t (v)", backend)
            .unwrap_err();
        assert!(error.to_string().contains("mod_foo_bar_i"), "{error}");
        guard
            .check_statement("CREATE INDEX mod_foo_i ON mod_foo_t (v)", backend)
            .unwrap();
    }
}

#[test]
fn constraint_names_must_carry_the_prefix() {
    for sql in [
        "CREATE TABLE mod_token_meter_t (id TEXT, CONSTRAINT agents_pkey PRIMARY KEY (id))",
        "CREATE TABLE mod_token_meter_t (id TEXT CONSTRAINT agents_pkey PRIMARY KEY)",
        "CREATE TABLE mod_token_meter_t (id TEXT, CONSTRAINT uq UNIQUE (id))",
        "CREATE TABLE mod_token_meter_t (id TEXT, CONSTRAINT ck CHECK (id <> ''))",
        "CREATE TABLE mod_token_meter_t (a TEXT, CONSTRAINT fk FOREIGN KEY (a) REFERENCES agents(id) ON DELETE CASCADE)",
        "ALTER TABLE mod_token_meter_t ADD CONSTRAINT uq UNIQUE (id)",
    ] {
        refuse_both(sql, &["constraint name", "mod_token_meter_"]);
    }
    refuse_on(
        Backend::Postgres,
        "ALTER TABLE mod_token_meter_t RENAME CONSTRAINT mod_token_meter_uq TO uq",
        &["constraint name `uq`"],
    );
    pass_both(
        "CREATE TABLE mod_token_meter_t (id TEXT CONSTRAINT mod_token_meter_t_pk PRIMARY KEY, \
         CONSTRAINT mod_token_meter_t_ck CHECK (id <> ''))",
    );
    pass_both("ALTER TABLE mod_token_meter_t ADD CONSTRAINT mod_token_meter_uq UNIQUE (id)");
}

// ---- session, role and server-side statements ----

#[test]
fn role_switches_are_refused_by_the_guard() {
    // The module's engine role cannot stop these: the guard must.
    for sql in [
        "SET ROLE postgres",
        "SET ROLE NONE",
        "RESET ROLE",
        "SET SESSION AUTHORIZATION postgres",
        "SET SESSION AUTHORIZATION DEFAULT",
        "RESET SESSION AUTHORIZATION",
        "SET LOCAL ROLE postgres",
        "SET SESSION ROLE postgres",
    ] {
        refuse_on(Backend::Postgres, sql, &["is not allowed"]);
    }
    for sql in [
        "SELECT set_config('role', 'postgres', false)",
        "SELECT set_config('role', 'postgres', true)",
        "SELECT set_config('session_authorization', 'postgres', false)",
        "SELECT * FROM agents WHERE set_config('role', 'postgres', true) IS NOT NULL",
    ] {
        refuse_both(sql, &["set_config", "not allowed in module SQL"]);
    }
}

#[test]
fn settings_statements_are_refused() {
    for sql in [
        "SET search_path = evil",
        "SET LOCAL statement_timeout = 0",
        "SET statement_timeout TO DEFAULT",
        "RESET ALL",
        "RESET statement_timeout",
        "SHOW ALL",
        "SHOW data_directory",
        "SET TIME ZONE 'UTC'",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "SET CONSTRAINTS ALL DEFERRED",
    ] {
        refuse_on(Backend::Postgres, sql, &["is not allowed"]);
    }
    refuse_on(Backend::Sqlite, "PRAGMA foreign_keys = OFF", &["PRAGMA"]);
    refuse_on(Backend::Sqlite, "PRAGMA writable_schema = 1", &["PRAGMA"]);
}

#[test]
fn server_side_code_and_sessions_are_refused() {
    for sql in [
        "DO $$ BEGIN PERFORM pg_sleep(1); END $$",
        "COPY agents TO '/tmp/agents'",
        "COPY mod_token_meter_t FROM PROGRAM 'id'",
        "LISTEN ch",
        "NOTIFY ch, 'x'",
        "UNLISTEN *",
        "PREPARE p AS SELECT 1",
        "EXECUTE p",
        "DEALLOCATE p",
        "CALL some_procedure()",
        "GRANT ALL ON agents TO public",
        "REVOKE ALL ON mod_token_meter_t FROM public",
        "CREATE FUNCTION mod_token_meter_f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$",
        "CREATE OR REPLACE FUNCTION mod_token_meter_f() RETURNS int AS 'select 1' LANGUAGE sql",
        "CREATE PROCEDURE mod_token_meter_p() LANGUAGE sql AS $$ SELECT 1 $$",
        "CREATE TRIGGER mod_token_meter_tr AFTER INSERT ON agents FOR EACH ROW EXECUTE FUNCTION f()",
        "CREATE RULE mod_token_meter_r AS ON INSERT TO mod_token_meter_t DO INSTEAD NOTHING",
        "CREATE EXTENSION dblink",
        "CREATE ROLE mod_token_meter_r",
        "CREATE USER mod_token_meter_u",
        "CREATE SCHEMA mod_token_meter_s",
        "CREATE VIEW mod_token_meter_v AS SELECT * FROM agents",
        "CREATE MATERIALIZED VIEW mod_token_meter_v AS SELECT * FROM agents",
        "CREATE SEQUENCE mod_token_meter_seq",
        "CREATE TYPE mod_token_meter_ty AS (a int)",
        "CREATE TEMP TABLE mod_token_meter_t (id TEXT)",
        "CREATE TEMPORARY TABLE mod_token_meter_t (id TEXT)",
        "ALTER TABLE mod_token_meter_t OWNER TO postgres",
        "ALTER SCHEMA public OWNER TO mod_token_meter",
        "ALTER ROLE current_user SUPERUSER",
        "ALTER SYSTEM SET log_statement = 'none'",
        "ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO public",
        "SELECT * INTO mod_token_meter_copy FROM agents",
        "LOAD 'auto_explain'",
        "ANALYZE agents",
        "VACUUM agents",
        "LOCK TABLE agents",
        "TRUNCATE mod_token_meter_t",
        "DISCARD ALL",
        "CHECKPOINT",
        "REINDEX TABLE agents",
        "CLUSTER agents",
        "SECURITY LABEL ON TABLE agents IS 'x'",
        "COMMENT ON TABLE agents IS 'x'",
        "DECLARE c CURSOR FOR SELECT 1",
        "EXPLAIN ANALYZE SELECT 1",
        "IMPORT FOREIGN SCHEMA public FROM SERVER s INTO public",
        "CREATE SERVER mod_token_meter_s FOREIGN DATA WRAPPER dblink_fdw",
        "CREATE PUBLICATION mod_token_meter_p FOR ALL TABLES",
    ] {
        refuse_on(Backend::Postgres, sql, &["not allowed"]);
    }
    for sql in [
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "DETACH DATABASE x",
        "VACUUM INTO '/tmp/copy.db'",
        "VACUUM",
        "ANALYZE",
        "REINDEX",
        "PRAGMA table_info(agents)",
        "CREATE TEMP TABLE mod_token_meter_t (id TEXT)",
        "CREATE TRIGGER mod_token_meter_tr AFTER DELETE ON agents BEGIN SELECT 1; END",
        "CREATE VIEW mod_token_meter_v AS SELECT * FROM agents",
        "CREATE VIRTUAL TABLE mod_token_meter_f USING fts5(x)",
        "SELECT load_extension('/tmp/evil.so')",
        "SELECT writefile('/tmp/x', 'y')",
    ] {
        refuse_on(Backend::Sqlite, sql, &["not allowed"]);
    }
}

#[test]
fn every_spelling_of_a_refused_statement_is_refused_in_scripts_too() {
    for backend in BOTH {
        let script = "CREATE TABLE mod_token_meter_t (id TEXT);\n\
                      SELECT U&\"pg\\005fread\\005ffile\"('/etc/passwd');";
        let message = guard()
            .check_script(script, backend)
            .unwrap_err()
            .to_string();
        assert!(message.contains("`U&` at line 2"), "{message}");
        let script = "CREATE TABLE mod_token_meter_t (id TEXT);\n\
                      SELECT lo_from_bytea(0, 'x');";
        let error = guard().check_script(script, backend).unwrap_err();
        let SqlGuardError::InScript { index, .. } = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*index, 2, "{error}");
    }
    let script = "CREATE TABLE mod_token_meter_t (agent_id TEXT REFERENCES agents(id));";
    for backend in BOTH {
        let message = guard()
            .check_script(script, backend)
            .unwrap_err()
            .to_string();
        assert!(message.contains("ON DELETE CASCADE"), "{message}");
    }
}

// ---- the list the engines enforce ----

#[test]
fn the_engines_allow_list_is_the_guards_plus_what_sqlite_calls_itself() {
    for backend in BOTH {
        assert!(function_allowed("count", backend));
        assert!(function_allowed("COALESCE", backend));
        assert!(function_allowed("json_each", backend));
        for refused in [
            "pg_read_file",
            "set_config",
            "current_setting",
            "query_to_xml",
            "lo_export",
            "load_extension",
            "writefile",
            "dblink",
        ] {
            assert!(!function_allowed(refused, backend), "{refused}");
        }
    }
    // SQLite's own calls for LIKE, GLOB, ->, ->> and ALTER TABLE.
    for internal in ["like", "glob", "->>", "printf", "sqlite_rename_column"] {
        assert!(function_allowed(internal, Backend::Sqlite), "{internal}");
        assert!(!function_allowed(internal, Backend::Postgres), "{internal}");
    }
    // …which stay refused by name in module SQL.
    refuse_both("SELECT printf('%s', 1)", &["printf"]);
    refuse_both("SELECT like('a', 'b')", &[]);
}
