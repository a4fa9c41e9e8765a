//! PostgreSQL's own enforcement of a module's rights: one role per module and database.
//!
//! The role is created by the host (`NOLOGIN`, so nobody can connect as it) and every module
//! statement and migration runs under it: statements on the module's own connections, opened as
//! the role (`pg_module_connections`), migrations with `SET LOCAL ROLE` inside their transaction
//! on a host connection (so the host's pool never keeps a module's role). The role may
//! - `SELECT` (and `REFERENCES`, for `ON DELETE CASCADE | SET NULL` foreign keys) the core's
//!   domain tables,
//! - create objects in the schema; it owns what it creates, so its own `mod_<id>_*` tables are
//!   its own and nobody else's,
//!
//! and nothing else: no rights on other modules' tables (owned by their roles) or the host's
//! tables (`mod_migrations`, `module_state`, …), and, not being a superuser nor a member of
//! `pg_read_server_files` / `pg_write_server_files` / `pg_execute_server_program`, no file
//! access, no `COPY … PROGRAM`, no server-side large-object import or export.
//!
//! Role names are cluster-wide while the host's tables are per database, so the name carries a
//! digest of the database name: two Paperclip databases on one server never share a role.
//!
//! A role may always `RESET ROLE` back to the session user, and built-in functions are
//! executable by `PUBLIC` by default. So the host (when it connects as a superuser) takes
//! `set_config`, the large-object functions, `pg_notify` and advisory locks away from `PUBLIC`
//! in its database; `SET`/`RESET` statements, and every function outside the allow-list, are
//! refused by the SQL guard before a statement reaches the engine (and `SET ROLE` is a
//! statement, which the host's one-statement-per-call protocol keeps out of function calls).

use crate::sql_guard::CORE_TABLES;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sql_types::{Bool, Text};
use diesel::{QueryableByName, RunQueryDsl};
use sha2::{Digest, Sha256};

/// PostgreSQL's limit on identifier length.
const MAX_IDENTIFIER_BYTES: usize = 63;

/// The role module `module_id` runs under on the database `database`.
pub(crate) fn role_name(database: &str, module_id: &str) -> String {
    let database_digest = hex(&Sha256::digest(database.as_bytes())[..4]);
    let id: String = module_id
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect();
    let name = format!("paperclip_mod_{database_digest}_{id}");
    if name.len() <= MAX_IDENTIFIER_BYTES && id == module_id.replace('-', "_") {
        return name;
    }
    // Long or unusual ids: a digest keeps the name short and distinct.
    let id_digest = hex(&Sha256::digest(module_id.as_bytes())[..12]);
    format!("paperclip_mod_{database_digest}_{id_digest}")
}

/// `"name"`, with inner quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQL that switches the current transaction to the module's role with a statement time
/// limit (`0` ms: none), to run right after `BEGIN`.
pub(crate) fn enter_role_sql(role: &str, statement_timeout_ms: u64) -> String {
    format!(
        "SET LOCAL ROLE {}; SET LOCAL statement_timeout = {statement_timeout_ms}",
        quote_ident(role)
    )
}

#[derive(QueryableByName)]
struct ServerUser {
    #[diesel(sql_type = Text)]
    database: String,
    #[diesel(sql_type = Text)]
    user_name: String,
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Bool)]
    superuser: bool,
    #[diesel(sql_type = Bool)]
    create_role: bool,
}

#[derive(QueryableByName)]
struct Relation {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Creates (or brings up to date) the role of module `module_id`, whose tables are named
/// `<prefix>*`, and returns its name. Idempotent; safe when two servers start at once.
///
/// The server's database user needs `CREATEROLE` (or superuser); without it the error says so
/// and the module is not loaded.
pub(crate) fn ensure_module_role(
    conn: &mut PgConnection,
    module_id: &str,
    prefix: &str,
) -> Result<String, String> {
    let user: ServerUser = diesel::sql_query(
        "SELECT current_database()::text AS database, current_user::text AS user_name, \
                coalesce(current_schema(), 'public')::text AS schema, \
                r.rolsuper AS superuser, r.rolcreaterole AS create_role \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .get_result(conn)
    .map_err(|e| format!("cannot read the database user's privileges: {e}"))?;
    if !user.superuser && !user.create_role {
        return Err(format!(
            "the database user `{}` may not create roles: modules run under a PostgreSQL role \
             of their own, so the server's user needs CREATEROLE \
             (`ALTER ROLE {} CREATEROLE`) or must be a superuser",
            user.user_name,
            quote_ident(&user.user_name)
        ));
    }
    let role = role_name(&user.database, module_id);
    let quoted = quote_ident(&role);
    let step = |what: &str, e: diesel::result::Error| {
        format!("cannot prepare the database role {role} for module {module_id} ({what}): {e}")
    };
    // A concurrent start may create the role between the check and the CREATE.
    conn.batch_execute(&format!(
        "DO $paperclip$ BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
             CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT \
               NOREPLICATION NOBYPASSRLS; \
           END IF; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; \
         END $paperclip$"
    ))
    .map_err(|e| step("create", e))?;
    if !user.superuser {
        // Without membership a non-superuser cannot SET ROLE to it or hand it its tables.
        conn.batch_execute(&format!(
            "GRANT {quoted} TO {}",
            quote_ident(&user.user_name)
        ))
        .map_err(|e| step("membership", e))?;
    }
    let core_tables = CORE_TABLES.join(", ");
    conn.batch_execute(&format!(
        "GRANT USAGE, CREATE ON SCHEMA {schema} TO {quoted}; \
         GRANT SELECT, REFERENCES ON TABLE {core_tables} TO {quoted}",
        schema = quote_ident(&user.schema),
    ))
    .map_err(|e| step("grants", e))?;
    hand_over_own_tables(conn, &role, &user.schema, prefix).map_err(|e| step("ownership", e))?;
    revoke_public_functions(conn, user.superuser);
    Ok(role)
}

/// Built-in functions every role may call by default (`EXECUTE` granted to `PUBLIC`) that
/// would let a module leave its role or reach outside its tables: `set_config('role', …)`
/// switches back to the session user (the role is only `SET LOCAL`), large objects live
/// outside any table, notifications and advisory locks belong to the host.
const PUBLIC_FUNCTIONS_REVOKED: &[&str] = &[
    "set_config",
    "pg_notify",
    "lo_from_bytea",
    "lo_create",
    "lo_creat",
    "lo_import",
    "lo_export",
    "lo_put",
    "lo_get",
    "lo_unlink",
    "lo_open",
    "lo_close",
    "lo_truncate",
    "lo_truncate64",
    "lo_lseek",
    "lo_lseek64",
    "lo_tell",
    "lo_tell64",
    "loread",
    "lowrite",
    "pg_advisory_lock",
    "pg_advisory_lock_shared",
    "pg_advisory_xact_lock",
    "pg_advisory_xact_lock_shared",
    "pg_try_advisory_lock",
    "pg_try_advisory_lock_shared",
    "pg_try_advisory_xact_lock",
    "pg_try_advisory_xact_lock_shared",
    "pg_advisory_unlock",
    "pg_advisory_unlock_shared",
    "pg_advisory_unlock_all",
];

/// Takes `EXECUTE` on [`PUBLIC_FUNCTIONS_REVOKED`] away from `PUBLIC` in this database, so
/// module roles cannot call them whatever spelling reaches the engine. Superusers (the host,
/// when it connects as one) keep them. A server user that is not a superuser cannot change
/// the built-in functions' privileges: then only the SQL guard's allow-list stops these calls,
/// and a warning says so.
fn revoke_public_functions(conn: &mut PgConnection, superuser: bool) {
    let names = PUBLIC_FUNCTIONS_REVOKED
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let revoke = format!(
        "DO $paperclip$ DECLARE f regprocedure; BEGIN \
           FOR f IN SELECT p.oid::regprocedure FROM pg_proc p \
                    JOIN pg_namespace n ON n.oid = p.pronamespace \
                    WHERE n.nspname = 'pg_catalog' AND p.proname IN ({names}) LOOP \
             EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f); \
           END LOOP; \
         END $paperclip$"
    );
    if !superuser {
        tracing::warn!(
            "the database user is not a superuser, so it cannot take built-in functions such as \
             set_config and lo_* away from PUBLIC; module SQL is kept from them by the SQL \
             guard's allow-list only"
        );
        return;
    }
    if let Err(error) = conn.batch_execute(&revoke) {
        tracing::warn!(%error, "cannot revoke built-in functions from PUBLIC; module SQL is kept from them by the SQL guard only");
    }
}

/// Gives the role ownership of the module's objects created before modules had roles (they
/// belong to the server's user): tables, views and sequences named `<prefix>*`.
fn hand_over_own_tables(
    conn: &mut PgConnection,
    role: &str,
    schema: &str,
    prefix: &str,
) -> Result<(), diesel::result::Error> {
    let relations: Vec<Relation> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S') \
           AND left(c.relname, length($2)) = $2 \
           AND pg_get_userbyid(c.relowner) <> $3 \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid \
                           AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))",
    )
    .bind::<Text, _>(schema)
    .bind::<Text, _>(prefix)
    .bind::<Text, _>(role)
    .load(conn)?;
    for relation in relations {
        conn.batch_execute(&format!(
            "ALTER TABLE {}.{} OWNER TO {}",
            quote_ident(schema),
            quote_ident(&relation.name),
            quote_ident(role)
        ))?;
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_short_distinct_and_per_database() {
        let a = role_name("paperclip", "token-meter");
        assert!(
            a.starts_with("paperclip_mod_") && a.ends_with("_token_meter"),
            "{a}"
        );
        assert_ne!(a, role_name("other", "token-meter"));
        let long = role_name("paperclip", &"x".repeat(80));
        assert!(long.len() <= MAX_IDENTIFIER_BYTES, "{long}");
        assert_ne!(role_name("p", "a-b"), role_name("p", "A_b"));
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            enter_role_sql("r", 5000),
            "SET LOCAL ROLE \"r\"; SET LOCAL statement_timeout = 5000"
        );
    }
}
