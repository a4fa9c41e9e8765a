//! Unit tests of the SQL guard, on both dialects.

use super::*;

const BOTH: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// The module used by most tests: own tables are `mod_token_meter_*`.
fn guard() -> SqlGuard {
    SqlGuard::new("token-meter")
}

fn pass(sql: &str, backend: Backend) -> CheckedStatement {
    guard()
        .check_statement(sql, backend)
        .unwrap_or_else(|e| panic!("{} refused `{sql}`: {e}", backend.name()))
}

/// Passes on both backends; returns the SQLite result.
fn pass_both(sql: &str) -> CheckedStatement {
    let postgres = pass(sql, Backend::Postgres);
    let sqlite = pass(sql, Backend::Sqlite);
    assert_eq!(sqlite.kind, postgres.kind, "{sql}");
    assert_eq!(sqlite.returns_rows, postgres.returns_rows, "{sql}");
    assert_eq!(sqlite.param_count, postgres.param_count, "{sql}");
    sqlite
}

fn refuse(sql: &str, backend: Backend) -> SqlGuardError {
    match guard().check_statement(sql, backend) {
        Ok(checked) => panic!("{} accepted `{sql}` as {checked:?}", backend.name()),
        Err(error) => error,
    }
}

/// Refused on both backends, each message containing every one of `needles`.
fn refuse_both(sql: &str, needles: &[&str]) {
    for backend in BOTH {
        let message = refuse(sql, backend).to_string();
        for needle in needles {
            assert!(
                message.contains(needle),
                "{}: message for `{sql}` lacks `{needle}`: {message}",
                backend.name()
            );
        }
    }
}

fn refuse_on(backend: Backend, sql: &str, needles: &[&str]) {
    let message = refuse(sql, backend).to_string();
    for needle in needles {
        assert!(
            message.contains(needle),
            "{}: message for `{sql}` lacks `{needle}`: {message}",
            backend.name()
        );
    }
}

// ---- the guard itself ----

#[test]
fn repeated_checks_give_the_same_answer() {
    let guard = guard();
    for backend in BOTH {
        let first = guard.check_statement("SELECT * FROM agents WHERE id = $1", backend);
        let again = guard
            .clone()
            .check_statement("SELECT * FROM agents WHERE id = $1", backend);
        assert_eq!(first, again);
        let refused = guard.check_statement("SELECT * FROM api_keys", backend);
        assert_eq!(
            refused,
            guard.check_statement("SELECT * FROM api_keys", backend)
        );
        assert!(refused.is_err());
    }
}

#[test]
fn long_operator_chains_are_refused_before_parsing() {
    let sql = format!("SELECT 1{}", " + 1".repeat(50_000));
    refuse_both(&sql, &["too complex", "1000 operators"]);
}

#[test]
fn deep_expressions_are_refused_not_crashing() {
    let sql = format!("SELECT 1{}", " + 1".repeat(400));
    refuse_both(&sql, &["too complex", "nested expressions"]);
    let mut nested = "1".to_string();
    for _ in 0..12 {
        nested = format!("(SELECT {nested}{})", " + 1".repeat(12));
    }
    refuse_both(&format!("SELECT {nested}"), &["too complex"]);
}

#[test]
fn long_union_chains_are_refused() {
    let sql = format!("SELECT 1{}", " UNION SELECT 1".repeat(100));
    refuse_both(&sql, &["too complex", "UNION"]);
    pass_both(&format!("SELECT 1{}", " UNION ALL SELECT 2".repeat(20)));
}

#[test]
fn parser_recursion_limit_is_a_clean_error() {
    let sql = format!("SELECT {}1{}", "(".repeat(200), ")".repeat(200));
    refuse_both(&sql, &["too complex", "levels of nesting"]);
}

// ---- module ids and prefixes ----

#[test]
fn prefix_replaces_dashes_and_ignores_case() {
    assert_eq!(
        SqlGuard::new("token-meter").table_prefix(),
        "mod_token_meter_"
    );
    assert_eq!(SqlGuard::new("a-b-c").table_prefix(), "mod_a_b_c_");
    assert_eq!(SqlGuard::new("Obs").table_prefix(), "mod_obs_");
    assert_eq!(SqlGuard::new("token-meter").module_id(), "token-meter");
}

#[test]
fn own_tables_match_case_insensitively() {
    pass_both("SELECT * FROM MOD_TOKEN_METER_USAGE");
    pass_both("SELECT * FROM \"Mod_Token_Meter_Usage\"");
}

#[test]
fn module_id_with_dashes_owns_underscored_tables() {
    let guard = SqlGuard::new("cost-alerts");
    for backend in BOTH {
        guard
            .check_statement(
                "INSERT INTO mod_cost_alerts_rules (id) VALUES ($1)",
                backend,
            )
            .unwrap();
        let error = guard
            .check_statement("INSERT INTO mod_cost_rules (id) VALUES ($1)", backend)
            .unwrap_err();
        assert!(error.to_string().contains("mod_cost_rules"), "{error}");
    }
}

#[test]
fn the_bare_prefix_is_not_a_table_of_the_module() {
    refuse_both("SELECT * FROM mod_token_meter_", &["mod_token_meter_"]);
}

#[test]
fn longer_prefix_of_another_module_is_refused_when_known() {
    let guard = SqlGuard::new("foo").with_other_modules(["foo-bar", "baz", "foo"]);
    for backend in BOTH {
        guard
            .check_statement("SELECT * FROM mod_foo_items", backend)
            .unwrap();
        let error = guard
            .check_statement("SELECT * FROM mod_foo_bar_items", backend)
            .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("mod_foo_bar_items"), "{message}");
        assert!(message.contains("another module"), "{message}");
    }
}

// ---- reads ----

#[test]
fn every_core_table_is_readable() {
    for table in table_access::CORE_TABLES {
        let checked = pass_both(&format!("SELECT * FROM {table} WHERE id = $1"));
        assert_eq!(checked.kind, StatementKind::Read);
        assert!(checked.returns_rows);
        assert_eq!(checked.param_count, 1);
    }
}

#[test]
fn join_of_core_and_own_tables_is_allowed() {
    pass_both(
        "SELECT a.name, SUM(u.tokens) AS tokens \
         FROM agents a \
         JOIN mod_token_meter_usage u ON u.agent_id = a.id \
         LEFT JOIN cost_events c ON c.agent_id = a.id \
         WHERE a.company_id = $1 \
         GROUP BY a.name ORDER BY tokens DESC LIMIT $2",
    );
}

#[test]
fn subqueries_unions_and_exists_on_allowed_tables_pass() {
    pass_both(
        "SELECT id FROM issues WHERE project_id IN (SELECT id FROM projects WHERE company_id = $1) \
         UNION SELECT agent_id FROM mod_token_meter_usage \
         WHERE EXISTS (SELECT 1 FROM heartbeats h WHERE h.agent_id = mod_token_meter_usage.agent_id)",
    );
    pass_both(
        "SELECT (SELECT COUNT(*) FROM goals) AS goals, (SELECT COUNT(*) FROM activity) AS log",
    );
}

#[test]
fn ctes_are_not_tables() {
    let checked = pass_both(
        "WITH recent AS (SELECT * FROM activity WHERE created_at > $1), \
              busy AS (SELECT agent_id FROM recent GROUP BY agent_id) \
         SELECT * FROM busy JOIN agents ON agents.id = busy.agent_id",
    );
    assert_eq!(checked.kind, StatementKind::Read);
}

#[test]
fn a_cte_may_shadow_a_forbidden_name() {
    pass_both("WITH api_keys AS (SELECT id FROM agents) SELECT * FROM api_keys");
}

#[test]
fn a_quoted_cte_name_covers_only_what_postgres_resolves_to_it() {
    // On PostgreSQL `"Api_Keys"` and `api_keys` are different names: the FROM reads the table.
    refuse_on(
        Backend::Postgres,
        "WITH \"Api_Keys\" AS (SELECT id FROM agents) SELECT * FROM api_keys",
        &["`api_keys`"],
    );
    refuse_on(
        Backend::Postgres,
        "WITH api_keys AS (SELECT id FROM agents) SELECT * FROM \"API_KEYS\"",
        &["`API_KEYS`"],
    );
    pass(
        "WITH \"Recent\" AS (SELECT id FROM agents) SELECT * FROM \"Recent\"",
        Backend::Postgres,
    );
    pass(
        "WITH recent AS (SELECT id FROM agents) SELECT * FROM \"recent\"",
        Backend::Postgres,
    );
    // SQLite compares names case-insensitively, quoted or not.
    pass(
        "WITH \"Api_Keys\" AS (SELECT id FROM agents) SELECT * FROM api_keys",
        Backend::Sqlite,
    );
}

#[test]
fn recursive_ctes_see_themselves() {
    pass_both(
        "WITH RECURSIVE chain(id, reports_to) AS ( \
           SELECT id, reports_to FROM agents WHERE id = $1 \
           UNION ALL SELECT a.id, a.reports_to FROM agents a JOIN chain c ON a.id = c.reports_to) \
         SELECT * FROM chain",
    );
}

#[test]
fn a_non_recursive_cte_naming_itself_reads_the_real_table() {
    // On PostgreSQL the inner `api_keys` is the real table, not the CTE.
    refuse_both(
        "WITH api_keys AS (SELECT * FROM api_keys) SELECT * FROM api_keys",
        &["`api_keys`"],
    );
}

#[test]
fn a_cte_does_not_see_later_ctes() {
    refuse_both(
        "WITH a AS (SELECT * FROM b), b AS (SELECT 1 AS x) SELECT * FROM a",
        &["`b`"],
    );
}

#[test]
fn a_cte_name_does_not_leak_out_of_its_query() {
    refuse_both(
        "SELECT * FROM (WITH hidden AS (SELECT 1 AS x) SELECT * FROM hidden) s, hidden",
        &["`hidden`"],
    );
}

#[test]
fn default_schema_qualifier_is_allowed_per_backend() {
    pass(
        "SELECT * FROM public.agents JOIN public.mod_token_meter_usage u ON true",
        Backend::Postgres,
    );
    pass("SELECT * FROM main.agents", Backend::Sqlite);
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM public.agents",
        &["public.agents", "main.<table>"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM main.agents",
        &["main.agents", "public.<table>"],
    );
    refuse_both(
        "SELECT * FROM other.agents",
        &["other.agents", "schema `other`"],
    );
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM temp.mod_token_meter_x",
        &["temp.mod_token_meter_x"],
    );
    refuse_both("SELECT * FROM db.public.agents", &["db.public.agents"]);
}

#[test]
fn table_functions_that_unfold_values_are_allowed() {
    pass(
        "SELECT j.value FROM mod_token_meter_usage u, json_each(u.data) j",
        Backend::Sqlite,
    );
    pass("SELECT value FROM json_each($1)", Backend::Sqlite);
    pass(
        "SELECT g FROM generate_series(1, $1) AS g",
        Backend::Postgres,
    );
    pass(
        "SELECT e FROM mod_token_meter_usage u, LATERAL jsonb_array_elements(u.data) AS e",
        Backend::Postgres,
    );
}

#[test]
fn other_table_functions_are_refused() {
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM pragma_table_info('agents')",
        &["pragma_table_info", "table functions"],
    );
    refuse_both("SELECT * FROM my_reader($1)", &["my_reader"]);
}

#[test]
fn postgres_only_keyword_gets_a_clear_message() {
    // sqlparser 0.52 reads `ONLY` as a table name; refusing is safe, the message says why.
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM ONLY agents",
        &["`ONLY`", "leave it out"],
    );
}

// ---- tables that are never readable ----

#[test]
fn another_modules_table_is_refused() {
    refuse_both(
        "SELECT * FROM mod_billing_invoices",
        &["mod_billing_invoices", "another module"],
    );
}

#[test]
fn another_modules_table_is_refused_in_a_subquery() {
    refuse_both(
        "SELECT * FROM agents WHERE id IN (SELECT agent_id FROM mod_billing_invoices)",
        &["mod_billing_invoices"],
    );
    refuse_both(
        "SELECT (SELECT MAX(total) FROM mod_billing_invoices) AS m FROM agents",
        &["mod_billing_invoices"],
    );
    refuse_both(
        "SELECT * FROM agents a WHERE EXISTS (SELECT 1 FROM mod_billing_invoices i WHERE i.agent_id = a.id)",
        &["mod_billing_invoices"],
    );
}

#[test]
fn another_modules_table_is_refused_in_a_cte() {
    refuse_both(
        "WITH inv AS (SELECT * FROM mod_billing_invoices) SELECT * FROM inv",
        &["mod_billing_invoices"],
    );
}

#[test]
fn another_modules_table_is_refused_in_joins_and_unions() {
    refuse_both(
        "SELECT * FROM agents a JOIN mod_billing_invoices i ON i.agent_id = a.id",
        &["mod_billing_invoices"],
    );
    refuse_both(
        "SELECT id FROM agents UNION ALL SELECT id FROM mod_billing_invoices",
        &["mod_billing_invoices"],
    );
    refuse_both(
        "SELECT * FROM (SELECT * FROM mod_billing_invoices) AS sub",
        &["mod_billing_invoices"],
    );
}

#[test]
fn host_bookkeeping_is_refused() {
    for table in [
        "module_state",
        "mod_migrations",
        "__diesel_schema_migrations",
        "module_policy",
        "module_webhook_deliveries",
    ] {
        refuse_both(&format!("SELECT * FROM {table}"), &[table, "bookkeeping"]);
    }
}

#[test]
fn tables_that_may_hold_secrets_are_refused() {
    refuse_both(
        "SELECT key FROM api_keys",
        &["`api_keys`", "core tables companies, agents"],
    );
    refuse_both("SELECT * FROM users", &["`users`"]);
}

#[test]
fn system_catalogs_are_refused() {
    refuse_on(
        Backend::Sqlite,
        "SELECT sql FROM sqlite_master",
        &["sqlite_master", "system catalogs"],
    );
    refuse_on(
        Backend::Sqlite,
        "SELECT sql FROM sqlite_schema",
        &["sqlite_schema"],
    );
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM main.sqlite_master",
        &["main.sqlite_master"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM pg_catalog.pg_tables",
        &["pg_catalog.pg_tables"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM pg_class",
        &["pg_class", "system catalogs"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM information_schema.tables",
        &["information_schema.tables"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT usename FROM pg_user",
        &["pg_user"],
    );
}

#[test]
fn a_table_name_in_quotes_is_still_checked() {
    refuse_on(Backend::Sqlite, "SELECT * FROM 'api_keys'", &["api_keys"]);
    refuse_both(
        "SELECT * FROM \"MOD_BILLING_INVOICES\"",
        &["MOD_BILLING_INVOICES"],
    );
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM `module_state`",
        &["module_state"],
    );
}

// ---- writes ----

#[test]
fn insert_into_own_table_with_returning() {
    let checked = pass_both(
        "INSERT INTO mod_token_meter_usage (id, agent_id, tokens) VALUES ($1, $2, $3) RETURNING id",
    );
    assert_eq!(checked.kind, StatementKind::Write);
    assert!(checked.returns_rows);
    assert_eq!(checked.param_count, 3);
}

#[test]
fn insert_without_returning_returns_no_rows() {
    let checked = pass_both("INSERT INTO mod_token_meter_usage (id) VALUES ($1)");
    assert_eq!(checked.kind, StatementKind::Write);
    assert!(!checked.returns_rows);
}

#[test]
fn upsert_into_own_table() {
    let checked = pass_both(
        "INSERT INTO mod_token_meter_totals (agent_id, tokens) VALUES ($1, $2) \
         ON CONFLICT (agent_id) DO UPDATE SET tokens = mod_token_meter_totals.tokens + excluded.tokens \
         RETURNING tokens",
    );
    assert_eq!(checked.kind, StatementKind::Write);
    assert!(checked.returns_rows);
}

#[test]
fn insert_select_from_core_into_own_table() {
    let checked = pass_both(
        "INSERT INTO mod_token_meter_totals (agent_id, tokens) SELECT id, 0 FROM agents WHERE company_id = $1",
    );
    assert_eq!(checked.kind, StatementKind::Write);
}

#[test]
fn insert_with_cte_into_own_table() {
    let checked = pass_both(
        "WITH a AS (SELECT id FROM agents) INSERT INTO mod_token_meter_totals (agent_id) SELECT id FROM a",
    );
    assert_eq!(checked.kind, StatementKind::Write);
    assert!(!checked.returns_rows);
}

#[test]
fn update_and_delete_own_tables() {
    let update = pass_both(
        "UPDATE mod_token_meter_totals SET tokens = $1 WHERE agent_id = $2 RETURNING agent_id, tokens",
    );
    assert_eq!(update.kind, StatementKind::Write);
    assert!(update.returns_rows);
    let delete = pass_both("DELETE FROM mod_token_meter_usage WHERE recorded_at < $1");
    assert_eq!(delete.kind, StatementKind::Write);
    assert!(!delete.returns_rows);
    let delete = pass_both("DELETE FROM mod_token_meter_usage WHERE id = $1 RETURNING id");
    assert!(delete.returns_rows);
}

#[test]
fn update_of_own_table_may_read_core_tables() {
    pass_both(
        "UPDATE mod_token_meter_totals SET name = agents.name FROM agents WHERE agents.id = mod_token_meter_totals.agent_id",
    );
}

#[test]
fn sqlite_conflict_clauses_on_own_tables() {
    pass(
        "INSERT OR IGNORE INTO mod_token_meter_usage (id) VALUES ($1)",
        Backend::Sqlite,
    );
    pass(
        "REPLACE INTO mod_token_meter_usage (id) VALUES ($1)",
        Backend::Sqlite,
    );
}

#[test]
fn writes_to_core_tables_are_refused() {
    refuse_both(
        "INSERT INTO agents (id) VALUES ($1)",
        &["`agents`", "read-only", "INSERT"],
    );
    refuse_both(
        "UPDATE agents SET status = 'paused'",
        &["`agents`", "read-only", "UPDATE"],
    );
    refuse_both(
        "DELETE FROM issues WHERE id = $1",
        &["`issues`", "read-only", "DELETE"],
    );
}

#[test]
fn writes_to_other_modules_and_host_tables_are_refused() {
    refuse_both(
        "INSERT INTO mod_billing_invoices (id) VALUES ($1)",
        &["mod_billing_invoices"],
    );
    refuse_both("UPDATE module_state SET enabled = 1", &["module_state"]);
    refuse_both("DELETE FROM mod_migrations", &["mod_migrations"]);
    refuse_both(
        "INSERT INTO api_keys (key) VALUES ($1)",
        &["api_keys", "mod_token_meter_"],
    );
}

#[test]
fn a_write_may_not_read_forbidden_tables() {
    refuse_both(
        "INSERT INTO mod_token_meter_usage (id) SELECT id FROM mod_billing_invoices",
        &["mod_billing_invoices"],
    );
    refuse_both(
        "UPDATE mod_token_meter_usage SET x = (SELECT key FROM api_keys LIMIT 1)",
        &["api_keys"],
    );
    refuse_on(
        Backend::Postgres,
        "DELETE FROM mod_token_meter_usage USING mod_billing_invoices i WHERE i.id = mod_token_meter_usage.id",
        &["mod_billing_invoices"],
    );
}

#[test]
fn data_modifying_ctes_are_checked_on_postgres() {
    let checked = pass(
        "WITH moved AS (INSERT INTO mod_token_meter_archive (id) VALUES ($1) RETURNING id) SELECT * FROM moved",
        Backend::Postgres,
    );
    assert_eq!(checked.kind, StatementKind::Write);
    assert!(checked.returns_rows);
    refuse_on(
        Backend::Postgres,
        "WITH x AS (UPDATE agents SET status = 'paused' RETURNING id) SELECT * FROM x",
        &["`agents`", "read-only"],
    );
}

// ---- schema ----

#[test]
fn create_table_with_foreign_key_to_agents() {
    let checked = pass_both(
        "CREATE TABLE IF NOT EXISTS mod_token_meter_usage (\n\
           id TEXT PRIMARY KEY,\n\
           agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,\n\
           company_id TEXT NOT NULL,\n\
           tokens INTEGER NOT NULL DEFAULT 0,\n\
           FOREIGN KEY (company_id) REFERENCES companies(id) ON DELETE CASCADE\n\
         )",
    );
    assert_eq!(checked.kind, StatementKind::Schema);
    assert!(!checked.returns_rows);
    assert_eq!(checked.param_count, 0);
}

#[test]
fn foreign_keys_to_own_tables_are_allowed() {
    pass_both(
        "CREATE TABLE mod_token_meter_items (id TEXT PRIMARY KEY, usage_id TEXT REFERENCES mod_token_meter_usage(id) ON DELETE CASCADE)",
    );
}

#[test]
fn foreign_keys_to_other_modules_are_refused() {
    refuse_both(
        "CREATE TABLE mod_token_meter_x (id TEXT, inv TEXT REFERENCES mod_billing_invoices(id))",
        &["mod_billing_invoices", "foreign key"],
    );
    refuse_both(
        "CREATE TABLE mod_token_meter_x (id TEXT, k TEXT, FOREIGN KEY (k) REFERENCES api_keys(id))",
        &["api_keys", "foreign key"],
    );
}

#[test]
fn create_table_outside_own_prefix_is_refused() {
    refuse_both(
        "CREATE TABLE usage (id TEXT)",
        &["`usage`", "mod_token_meter_"],
    );
    refuse_both("CREATE TABLE agents (id TEXT)", &["`agents`"]);
    refuse_both("CREATE TABLE mod_billing_x (id TEXT)", &["mod_billing_x"]);
}

#[test]
fn create_table_as_select_checks_the_query() {
    pass_both("CREATE TABLE mod_token_meter_snapshot AS SELECT id, name FROM agents");
    refuse_both(
        "CREATE TABLE mod_token_meter_snapshot AS SELECT * FROM mod_billing_invoices",
        &["mod_billing_invoices"],
    );
}

#[test]
fn temporary_tables_are_refused() {
    refuse_both(
        "CREATE TEMPORARY TABLE mod_token_meter_tmp (id TEXT)",
        &["CREATE TEMPORARY TABLE"],
    );
}

#[test]
fn create_table_like_is_refused_on_postgres() {
    refuse_on(
        Backend::Postgres,
        "CREATE TABLE mod_token_meter_copy (LIKE agents)",
        &["LIKE"],
    );
}

#[test]
fn create_index_on_own_table_with_a_prefixed_name() {
    let checked = pass_both(
        "CREATE INDEX IF NOT EXISTS mod_token_meter_usage_agent ON mod_token_meter_usage (agent_id)",
    );
    assert_eq!(checked.kind, StatementKind::Schema);
    pass_both("CREATE UNIQUE INDEX mod_token_meter_u ON mod_token_meter_usage (agent_id, day)");
}

#[test]
fn create_index_on_core_table_is_refused() {
    refuse_both(
        "CREATE INDEX idx_agents_x ON agents (name)",
        &["`agents`", "CREATE INDEX"],
    );
}

#[test]
fn alter_own_table() {
    let checked = pass_both("ALTER TABLE mod_token_meter_usage ADD COLUMN model TEXT");
    assert_eq!(checked.kind, StatementKind::Schema);
    pass_both(
        "ALTER TABLE mod_token_meter_usage ADD COLUMN agent2 TEXT REFERENCES agents(id) ON DELETE SET NULL",
    );
    pass_both("ALTER TABLE mod_token_meter_usage RENAME COLUMN model TO model_name");
    pass_both("ALTER TABLE mod_token_meter_usage DROP COLUMN model");
    pass_both("ALTER TABLE mod_token_meter_usage RENAME TO mod_token_meter_usage_v2");
}

#[test]
fn alter_table_refusals_name_the_table() {
    refuse_both("ALTER TABLE agents ADD COLUMN x TEXT", &["`agents`"]);
    refuse_both(
        "ALTER TABLE mod_token_meter_usage RENAME TO usage",
        &["`usage`", "RENAME TO"],
    );
    refuse_both(
        "ALTER TABLE mod_token_meter_usage ADD COLUMN inv TEXT REFERENCES mod_billing_invoices(id)",
        &["mod_billing_invoices"],
    );
    refuse_on(
        Backend::Postgres,
        "ALTER TABLE mod_token_meter_usage OWNER TO someone",
        &["ALTER TABLE … OWNER TO someone"],
    );
}

#[test]
fn drop_own_tables_and_indexes() {
    let checked = pass_both("DROP TABLE IF EXISTS mod_token_meter_usage");
    assert_eq!(checked.kind, StatementKind::Schema);
    pass_both("DROP INDEX IF EXISTS mod_token_meter_usage_agent");
}

#[test]
fn drop_refusals_name_the_object() {
    refuse_both("DROP TABLE agents", &["`agents`", "DROP TABLE"]);
    refuse_on(
        Backend::Postgres,
        "DROP TABLE mod_token_meter_a, mod_billing_b",
        &["mod_billing_b"],
    );
    refuse_both(
        "DROP INDEX idx_agents_company",
        &["DROP INDEX idx_agents_company", "prefix"],
    );
    refuse_both("DROP VIEW mod_token_meter_v", &["DROP VIEW", "views"]);
}

#[test]
fn sqlite_virtual_tables_are_refused() {
    refuse_on(
        Backend::Sqlite,
        "CREATE VIRTUAL TABLE mod_token_meter_fts USING fts5(body)",
        &["CREATE VIRTUAL TABLE", "both backends"],
    );
}

// ---- statements that are always refused ----

#[test]
fn transaction_control_is_refused() {
    for sql in [
        "BEGIN",
        "BEGIN TRANSACTION",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT s1",
        "RELEASE SAVEPOINT s1",
        "ROLLBACK TO SAVEPOINT s1",
    ] {
        let first = sql.split(' ').next().unwrap();
        refuse_both(sql, &[first, "transactions"]);
    }
    refuse_on(
        Backend::Postgres,
        "START TRANSACTION",
        &["START TRANSACTION", "transactions"],
    );
    refuse_on(Backend::Sqlite, "END", &["END", "transactions"]);
}

#[test]
fn pragma_is_refused() {
    refuse_on(
        Backend::Sqlite,
        "PRAGMA foreign_keys = OFF",
        &["PRAGMA", "settings"],
    );
    refuse_on(Backend::Sqlite, "PRAGMA table_info(agents)", &["PRAGMA"]);
}

#[test]
fn attach_and_detach_are_refused() {
    refuse_on(
        Backend::Sqlite,
        "ATTACH DATABASE '/tmp/x.db' AS x",
        &["ATTACH DATABASE", "files"],
    );
    refuse_on(Backend::Sqlite, "ATTACH $1 AS x", &["ATTACH"]);
    refuse_on(Backend::Sqlite, "DETACH DATABASE x", &["DETACH DATABASE"]);
}

#[test]
fn maintenance_statements_are_refused() {
    refuse_both("VACUUM", &["VACUUM", "maintenance"]);
    refuse_on(Backend::Sqlite, "VACUUM INTO '/tmp/copy.db'", &["VACUUM"]);
    refuse_both("REINDEX", &["REINDEX"]);
    refuse_both("ANALYZE", &["ANALYZE"]);
}

#[test]
fn triggers_are_refused_even_with_semicolons_in_the_body() {
    refuse_on(
        Backend::Sqlite,
        "CREATE TRIGGER mod_token_meter_t AFTER INSERT ON agents BEGIN DELETE FROM agents; END",
        &["CREATE TRIGGER", "hidden SQL"],
    );
    refuse_on(
        Backend::Postgres,
        "CREATE TRIGGER t AFTER INSERT ON mod_token_meter_usage FOR EACH ROW EXECUTE FUNCTION f()",
        &["CREATE TRIGGER"],
    );
    refuse_on(
        Backend::Sqlite,
        "CREATE TEMP TRIGGER t AFTER INSERT ON agents BEGIN SELECT 1; END",
        &["CREATE TEMP TRIGGER"],
    );
}

#[test]
fn views_functions_and_extensions_are_refused() {
    refuse_both(
        "CREATE VIEW mod_token_meter_v AS SELECT * FROM agents",
        &["CREATE VIEW", "views"],
    );
    refuse_on(
        Backend::Postgres,
        "CREATE MATERIALIZED VIEW mod_token_meter_v AS SELECT 1",
        &["CREATE MATERIALIZED VIEW"],
    );
    refuse_on(
        Backend::Postgres,
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
        &["CREATE FUNCTION", "server-side code"],
    );
    refuse_on(
        Backend::Postgres,
        "CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
        &["CREATE OR REPLACE FUNCTION"],
    );
    refuse_on(
        Backend::Postgres,
        "CREATE EXTENSION dblink",
        &["CREATE EXTENSION", "operator"],
    );
    refuse_on(Backend::Postgres, "CREATE SCHEMA s", &["CREATE SCHEMA"]);
    refuse_on(
        Backend::Postgres,
        "CREATE SEQUENCE mod_token_meter_seq",
        &["CREATE SEQUENCE"],
    );
}

#[test]
fn privileges_and_settings_are_refused() {
    refuse_on(
        Backend::Postgres,
        "GRANT SELECT ON agents TO public",
        &["GRANT", "privileges"],
    );
    refuse_on(
        Backend::Postgres,
        "REVOKE ALL ON agents FROM public",
        &["REVOKE"],
    );
    refuse_on(
        Backend::Postgres,
        "SET search_path = evil",
        &["SET", "settings"],
    );
    refuse_on(Backend::Postgres, "RESET ALL", &["RESET"]);
    refuse_on(Backend::Postgres, "SHOW search_path", &["SHOW"]);
    refuse_on(Backend::Postgres, "DISCARD ALL", &["DISCARD"]);
}

#[test]
fn copy_and_load_are_refused() {
    refuse_on(
        Backend::Postgres,
        "COPY agents TO '/tmp/agents.csv'",
        &["COPY", "files"],
    );
    refuse_on(
        Backend::Postgres,
        "COPY mod_token_meter_usage FROM STDIN",
        &["COPY"],
    );
    refuse_on(
        Backend::Postgres,
        "LOAD 'auto_explain'",
        &["LOAD", "extensions"],
    );
}

#[test]
fn other_server_side_statements_are_refused() {
    refuse_both(
        "TRUNCATE mod_token_meter_usage",
        &["TRUNCATE", "DELETE FROM"],
    );
    refuse_both("EXPLAIN SELECT * FROM agents", &["EXPLAIN"]);
    refuse_on(
        Backend::Postgres,
        "DO $$ BEGIN PERFORM 1; END $$",
        &["DO", "server-side code"],
    );
    refuse_on(Backend::Postgres, "CALL f()", &["CALL"]);
    refuse_on(
        Backend::Postgres,
        "LISTEN events",
        &["LISTEN", "notification"],
    );
    refuse_on(Backend::Postgres, "NOTIFY events", &["NOTIFY"]);
    refuse_on(
        Backend::Postgres,
        "LOCK TABLE agents",
        &["LOCK TABLE", "locks"],
    );
    refuse_on(Backend::Postgres, "PREPARE p AS SELECT 1", &["PREPARE"]);
}

#[test]
fn select_into_is_refused() {
    refuse_on(
        Backend::Postgres,
        "SELECT * INTO mod_token_meter_copy FROM agents",
        &["SELECT … INTO", "CREATE TABLE"],
    );
}

#[test]
fn row_locks_only_on_own_tables() {
    pass(
        "SELECT * FROM mod_token_meter_jobs WHERE done = false LIMIT 1 FOR UPDATE SKIP LOCKED",
        Backend::Postgres,
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM agents WHERE id = $1 FOR UPDATE",
        &["FOR UPDATE", "own tables"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM mod_token_meter_jobs j JOIN agents a ON a.id = j.agent_id FOR SHARE",
        &["FOR UPDATE/SHARE"],
    );
}

// ---- functions ----

#[test]
fn dangerous_functions_are_refused_anywhere() {
    refuse_both(
        "SELECT load_extension('/tmp/evil.so')",
        &["load_extension", "not on the list"],
    );
    refuse_both("SELECT pg_read_file('/etc/passwd')", &["pg_read_file"]);
    refuse_both("SELECT pg_read_binary_file($1)", &["pg_read_binary_file"]);
    refuse_both(
        "SELECT * FROM agents WHERE name IN (SELECT pg_ls_dir('.'))",
        &["pg_ls_dir"],
    );
    refuse_both(
        "SELECT lo_import('/etc/passwd')",
        &["lo_import", "not allowed in module SQL"],
    );
    refuse_both("SELECT lo_export(1, '/tmp/x')", &["lo_export"]);
    refuse_both("SELECT dblink('host=x', 'select 1')", &["dblink"]);
    refuse_both(
        "SELECT dblink_exec('host=x', 'drop table agents')",
        &["dblink_exec"],
    );
    refuse_both(
        "SELECT set_config('search_path', 'x', false)",
        &["set_config", "not on the list"],
    );
    refuse_both(
        "SELECT current_setting('data_directory')",
        &["current_setting"],
    );
    refuse_both(
        "SELECT query_to_xml('select * from api_keys', true, true, '')",
        &["query_to_xml", "not on the list"],
    );
    refuse_both("SELECT ts_stat('select v from api_keys')", &["ts_stat"]);
}

#[test]
fn pg_sleep_is_refused() {
    refuse_both("SELECT pg_sleep(10)", &["pg_sleep", "not on the list"]);
}

#[test]
fn dangerous_functions_are_refused_in_writes_and_ddl() {
    refuse_both(
        "INSERT INTO mod_token_meter_usage (id) VALUES (current_setting('x'))",
        &["current_setting"],
    );
    refuse_both(
        "UPDATE mod_token_meter_usage SET note = pg_read_file('/etc/passwd')",
        &["pg_read_file"],
    );
    refuse_both(
        "CREATE TABLE mod_token_meter_x (id TEXT DEFAULT (load_extension('x')))",
        &["load_extension"],
    );
    refuse_both(
        "CREATE TABLE mod_token_meter_x (id TEXT, CHECK (pg_sleep(1) IS NULL))",
        &["pg_sleep"],
    );
    refuse_both(
        "DELETE FROM mod_token_meter_x WHERE id = current_setting('x')",
        &["current_setting"],
    );
}

#[test]
fn qualified_function_names_are_refused() {
    refuse_on(
        Backend::Postgres,
        "SELECT pg_catalog.now()",
        &["pg_catalog.now", "schema qualifier"],
    );
}

#[test]
fn ordinary_functions_pass() {
    pass_both("SELECT COUNT(*), MAX(tokens), COALESCE(SUM(tokens), 0), LOWER(model) FROM mod_token_meter_usage GROUP BY model");
    pass(
        "SELECT json_extract(data, '$.x') FROM mod_token_meter_usage",
        Backend::Sqlite,
    );
    pass("SELECT now(), gen_random_uuid()", Backend::Postgres);
}

// ---- parameters ----

#[test]
fn sqlite_placeholders_are_rewritten() {
    let sql = "SELECT * FROM agents WHERE company_id = $1 AND status = $2";
    assert_eq!(
        pass(sql, Backend::Sqlite).sql,
        "SELECT * FROM agents WHERE company_id = ?1 AND status = ?2"
    );
    assert_eq!(pass(sql, Backend::Postgres).sql, sql);
}

#[test]
fn placeholders_in_strings_and_comments_are_untouched() {
    let sql = "SELECT '$1 costs $2' AS label, id -- uses $1\nFROM agents /* $2 */ WHERE id = $1";
    let checked = pass(sql, Backend::Sqlite);
    assert_eq!(
        checked.sql,
        "SELECT '$1 costs $2' AS label, id -- uses $1\nFROM agents /* $2 */ WHERE id = ?1"
    );
    assert_eq!(checked.param_count, 1);
    assert_eq!(pass(sql, Backend::Postgres).sql, sql);
}

#[test]
fn reversed_and_repeated_placeholders_keep_their_numbers() {
    let sql = "UPDATE mod_token_meter_totals SET tokens = $2 WHERE agent_id = $1 AND tokens < $2";
    let checked = pass(sql, Backend::Sqlite);
    assert_eq!(
        checked.sql,
        "UPDATE mod_token_meter_totals SET tokens = ?2 WHERE agent_id = ?1 AND tokens < ?2"
    );
    assert_eq!(checked.param_count, 2);
    assert_eq!(pass(sql, Backend::Postgres).param_count, 2);
}

#[test]
fn multi_digit_placeholders_are_rewritten() {
    let values: Vec<String> = (1..=12).map(|n| format!("${n}")).collect();
    let sql = format!("SELECT {}", values.join(", "));
    let checked = pass(&sql, Backend::Sqlite);
    assert_eq!(checked.param_count, 12);
    assert!(checked.sql.ends_with("?10, ?11, ?12"), "{}", checked.sql);
    assert!(!checked.sql.contains('$'));
}

#[test]
fn formatting_is_kept_and_the_semicolon_dropped() {
    let sql =
        "  -- leading comment\n  SELECT id,\n         name\n  FROM agents\n  WHERE id = $1 ;  \n";
    assert_eq!(
        pass(sql, Backend::Sqlite).sql,
        "SELECT id,\n         name\n  FROM agents\n  WHERE id = ?1"
    );
    assert_eq!(
        pass(sql, Backend::Postgres).sql,
        "SELECT id,\n         name\n  FROM agents\n  WHERE id = $1"
    );
}

#[test]
fn no_placeholders_means_zero_parameters() {
    assert_eq!(pass_both("SELECT COUNT(*) FROM agents").param_count, 0);
}

#[test]
fn question_mark_placeholders_are_refused() {
    refuse_both("SELECT * FROM agents WHERE id = ?", &["`?`", "$1"]);
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM agents WHERE id = ?1",
        &["`?1`", "$1"],
    );
}

#[test]
fn the_jsonb_question_operator_stays_usable_on_postgres() {
    pass(
        "SELECT * FROM mod_token_meter_usage WHERE data ? $1",
        Backend::Postgres,
    );
}

#[test]
fn named_placeholders_are_refused() {
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM agents WHERE id = :id",
        &["`:id`", "named"],
    );
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM agents WHERE id = @id",
        &["`@id`"],
    );
    refuse_both("SELECT * FROM agents WHERE id = $id", &["`$id`", "named"]);
    refuse_on(
        Backend::Sqlite,
        "SELECT * FROM agents WHERE id = :1",
        &["`:1`"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM agents WHERE id = :id",
        &["`:id`", "named"],
    );
}

#[test]
fn placeholder_numbering_is_checked() {
    refuse_both("SELECT * FROM agents WHERE id = $0", &["`$0`", "$1"]);
    refuse_both(
        "SELECT * FROM agents WHERE id = $1 OR id = $3",
        &["$2", "$3"],
    );
    let error = refuse("SELECT $2", Backend::Sqlite);
    assert_eq!(
        error,
        SqlGuardError::ParameterGap {
            missing: 1,
            highest: 2
        }
    );
    refuse_both("SELECT $99999", &["`$99999`", "32766"]);
}

// ---- statement count ----

#[test]
fn two_statements_are_refused() {
    for backend in BOTH {
        assert_eq!(
            refuse("SELECT 1; SELECT 2", backend),
            SqlGuardError::MultipleStatements { count: 2 }
        );
    }
    refuse_both(
        "SELECT * FROM agents; DELETE FROM mod_token_meter_usage",
        &["exactly one", "2 were sent"],
    );
}

#[test]
fn a_refused_statement_in_a_batch_is_named() {
    refuse_both(
        "BEGIN; DELETE FROM mod_token_meter_usage; COMMIT",
        &["BEGIN", "transactions"],
    );
}

#[test]
fn trailing_semicolons_are_fine() {
    pass_both("SELECT 1;");
    pass_both("SELECT 1;;");
}

#[test]
fn empty_input_is_refused() {
    for sql in ["", "   ", ";", "-- only a comment\n", "/* nothing */ ;"] {
        for backend in BOTH {
            assert_eq!(refuse(sql, backend), SqlGuardError::Empty, "`{sql}`");
        }
    }
}

#[test]
fn parse_errors_name_the_backend_and_position() {
    refuse_on(
        Backend::Sqlite,
        "SELEKT * FROM agents",
        &["sqlite", "SELEKT"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM agents WHERE",
        &["postgres", "end of the statement"],
    );
    refuse_on(
        Backend::Postgres,
        "SELECT * FROM agents WHERE id = = 1",
        &["postgres", "found: = at Line: 1, Column: 33"],
    );
    refuse_both("SELECT 'unterminated", &["Line: 1"]);
}

// ---- lexical forms the engines read differently ----

#[test]
fn nested_comments_are_refused() {
    // SQLite would end the comment at the first `*/` and read `* FROM api_keys`.
    refuse_both(
        "SELECT /* /* */ * FROM api_keys -- */ 1",
        &["nested `/*` comment", "line 1, column 8"],
    );
}

#[test]
fn carriage_returns_inside_line_comments_are_refused() {
    // PostgreSQL would end the comment at `\r` and read the sub-query.
    refuse_both(
        "SELECT 1 -- note\r, (SELECT key FROM api_keys)\n",
        &["carriage return"],
    );
    pass_both("SELECT 1 -- windows line end\r\n");
}

#[test]
fn dollar_quoting_follows_the_backend() {
    // SQLite has no dollar quoting: `$$` would be a variable and the rest SQL.
    refuse_on(
        Backend::Sqlite,
        "SELECT $$, (SELECT key FROM api_keys), $$",
        &["dollar-quoted string"],
    );
    pass(
        "SELECT $$a 'quoted' $1 text$$, $tag$x$tag$",
        Backend::Postgres,
    );
    refuse_on(Backend::Postgres, "SELECT $1$x$1$", &["$1$"]);
}

#[test]
fn exotic_string_literals_are_refused() {
    // The parser would read `\'` as an escaped quote; the engines end the string there.
    refuse_both("SELECT N'\\', (SELECT key FROM api_keys) --'", &["N'…'"]);
    refuse_on(
        Backend::Sqlite,
        "SELECT E'\\', (SELECT key FROM api_keys) --'",
        &["E'…'"],
    );
    pass("SELECT E'tab\\there'", Backend::Postgres);
    pass("SELECT X'DEADbeef'", Backend::Sqlite);
    refuse_on(Backend::Sqlite, "SELECT X'\\', (SELECT 1) --'", &["X'…'"]);
}

#[test]
fn nul_and_unusual_whitespace_are_refused() {
    refuse_both("SELECT 1\0; DROP TABLE agents", &["NUL"]);
    refuse_on(Backend::Postgres, "SELECT\u{2003}1", &["U+2003"]);
}

// ---- migration scripts ----

#[test]
fn script_is_split_in_order() {
    let script = "-- migration 001\n\
        CREATE TABLE mod_token_meter_usage (\n  id TEXT PRIMARY KEY,\n  agent_id TEXT REFERENCES agents(id) ON DELETE SET NULL,\n  note TEXT DEFAULT 'a;b'\n);\n\
        CREATE INDEX mod_token_meter_usage_agent ON mod_token_meter_usage (agent_id);\n\
        /* seed; with a semicolon */\n\
        INSERT INTO mod_token_meter_usage (id, note) VALUES ('seed', 'x;y');\n";
    for backend in BOTH {
        let statements = guard().check_script(script, backend).unwrap();
        let kinds: Vec<StatementKind> = statements.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                StatementKind::Schema,
                StatementKind::Schema,
                StatementKind::Write
            ]
        );
        assert!(statements[0]
            .sql
            .starts_with("CREATE TABLE mod_token_meter_usage ("));
        assert!(statements[0].sql.ends_with(')'));
        assert!(statements[0].sql.contains("'a;b'"));
        assert_eq!(
            statements[2].sql,
            "INSERT INTO mod_token_meter_usage (id, note) VALUES ('seed', 'x;y')"
        );
    }
}

#[test]
fn script_error_names_the_statement() {
    let script =
        "CREATE TABLE mod_token_meter_a (id TEXT);\n\nINSERT INTO agents (id) VALUES ('x');";
    for backend in BOTH {
        let error = guard().check_script(script, backend).unwrap_err();
        let SqlGuardError::InScript {
            index,
            line,
            source,
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!((*index, *line), (2, 3));
        assert!(matches!(**source, SqlGuardError::TableNotAllowed { .. }));
        let message = error.to_string();
        assert!(
            message.contains("statement 2") && message.contains("`agents`"),
            "{message}"
        );
    }
}

#[test]
fn script_refuses_transaction_control_and_parameters() {
    let error = guard()
        .check_script(
            "BEGIN;\nCREATE TABLE mod_token_meter_a (id TEXT);\nCOMMIT;",
            Backend::Sqlite,
        )
        .unwrap_err();
    assert!(error.to_string().contains("statement 1"), "{error}");
    assert!(error.to_string().contains("BEGIN"), "{error}");
    let error = guard()
        .check_script(
            "INSERT INTO mod_token_meter_a (id) VALUES ($1);",
            Backend::Postgres,
        )
        .unwrap_err();
    assert!(error.to_string().contains("without parameters"), "{error}");
}

#[test]
fn script_with_a_trigger_names_the_trigger() {
    let error = guard()
        .check_script(
            "CREATE TABLE mod_token_meter_a (id TEXT);\nCREATE TRIGGER t AFTER INSERT ON mod_token_meter_a BEGIN DELETE FROM agents; END;",
            Backend::Sqlite,
        )
        .unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("statement 2") && message.contains("CREATE TRIGGER"),
        "{message}"
    );
}

#[test]
fn empty_script_has_no_statements() {
    for backend in BOTH {
        assert!(guard()
            .check_script("-- nothing yet\n", backend)
            .unwrap()
            .is_empty());
    }
}
