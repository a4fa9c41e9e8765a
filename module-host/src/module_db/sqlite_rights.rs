//! SQLite's own enforcement of a module's rights: the [`StatementAuthorizer`] a module's
//! statements and migrations run under (see [`paperclip_core::db::sqlite_scope`]). It allows exactly
//! - reads of the core's domain tables and of the module's own `mod_<id>_*` tables,
//! - writes (`INSERT`, `UPDATE`, `DELETE`) of the module's own tables,
//! - `CREATE/DROP TABLE`, `CREATE/DROP INDEX` (index and table both the module's),
//!   `ALTER TABLE` of the module's own tables,
//! - the functions of the guard's allow-list, `SELECT` and recursive CTEs,
//!
//! and denies everything else: `ATTACH`, `PRAGMA`, transaction control, triggers, views,
//! temporary objects, virtual tables, other modules' and the host's tables, other `sqlite_*`
//! tables. The schema table (`sqlite_master`) is readable: SQLite reads it for every schema
//! change, and it holds names and definitions, no data.

use crate::sql_guard::function_allowed;
use crate::sql_guard::CORE_TABLES;
use libsqlite3_sys as ffi;
use paperclip_core::db::sqlite_scope::StatementAuthorizer;
use paperclip_core::db::Backend;
use std::os::raw::c_int;

/// The authorizer of one module: its table prefix, lower-case (`mod_token_meter_`).
#[derive(Debug, Clone)]
pub(super) struct ModuleAuthorizer {
    pub prefix: String,
}

impl StatementAuthorizer for ModuleAuthorizer {
    fn authorize(
        &self,
        action: c_int,
        arg1: &str,
        arg2: &str,
        database: &str,
    ) -> Result<(), String> {
        // A column of a CTE or subquery (no schema): its own tables were checked when read.
        if action == ffi::SQLITE_READ && database.is_empty() {
            return Ok(());
        }
        decide(&self.prefix, action, arg1, arg2)
    }
}

/// The decision for one action; the error says what was refused.
fn decide(prefix: &str, action: c_int, arg1: &str, arg2: &str) -> Result<(), String> {
    let own = |name: &str| name.starts_with(prefix) && name.len() > prefix.len();
    let core = |name: &str| CORE_TABLES.contains(&name);
    // CREATE/DROP TABLE and INDEX also ask for writes of the schema table; the object itself is
    // checked by its own action, and SQLite refuses direct writes of `sqlite_master` (the
    // `writable_schema` PRAGMA is denied).
    let schema_table = |name: &str| matches!(name, "sqlite_master" | "sqlite_schema");
    // ALTER TABLE … RENAME / DROP COLUMN also rewrite the temp schema and, for AUTOINCREMENT
    // tables, `sqlite_sequence` (as does DROP TABLE). The guard refuses these tables by name.
    let internal_table = |name: &str| {
        schema_table(name)
            || matches!(
                name,
                "sqlite_temp_master"
                    | "sqlite_temp_schema"
                    | "sqlite_sequence"
                    | "pragma_quick_check"
            )
    };
    let allowed = match action {
        ffi::SQLITE_SELECT | ffi::SQLITE_RECURSIVE => true,
        // Schema changes read the schema table. The catalog holds names and definitions, no
        // data; PostgreSQL's catalogs are readable by every role too.
        ffi::SQLITE_READ => own(arg1) || core(arg1) || internal_table(arg1),
        ffi::SQLITE_INSERT | ffi::SQLITE_UPDATE | ffi::SQLITE_DELETE => {
            own(arg1) || internal_table(arg1)
        }
        // ADD COLUMN … NOT NULL / CHECK verifies the existing rows; read-only.
        ffi::SQLITE_PRAGMA => matches!(arg1, "quick_check" | "integrity_check"),
        // The first AUTOINCREMENT table creates `sqlite_sequence`.
        ffi::SQLITE_CREATE_TABLE => own(arg1) || arg1 == "sqlite_sequence",
        ffi::SQLITE_DROP_TABLE => own(arg1),
        // `sqlite_autoindex_*`: the index SQLite makes for a PRIMARY KEY or UNIQUE constraint.
        ffi::SQLITE_CREATE_INDEX | ffi::SQLITE_DROP_INDEX => {
            (own(arg1) || arg1.starts_with("sqlite_autoindex_")) && own(arg2)
        }
        ffi::SQLITE_ALTER_TABLE => own(arg2),
        // Building a new index asks to (re)index it.
        ffi::SQLITE_REINDEX => own(arg1),
        ffi::SQLITE_FUNCTION => function_allowed(arg2, Backend::Sqlite),
        _ => false,
    };
    if allowed {
        return Ok(());
    }
    Err(match action {
        ffi::SQLITE_READ => format!("reading table `{arg1}`"),
        ffi::SQLITE_INSERT => format!("inserting into table `{arg1}`"),
        ffi::SQLITE_UPDATE => format!("updating table `{arg1}`"),
        ffi::SQLITE_DELETE => format!("deleting from table `{arg1}`"),
        ffi::SQLITE_CREATE_TABLE => format!("creating table `{arg1}`"),
        ffi::SQLITE_DROP_TABLE => format!("dropping table `{arg1}`"),
        ffi::SQLITE_CREATE_INDEX => format!("creating index `{arg1}` on `{arg2}`"),
        ffi::SQLITE_DROP_INDEX => format!("dropping index `{arg1}` on `{arg2}`"),
        ffi::SQLITE_ALTER_TABLE => format!("altering table `{arg2}`"),
        ffi::SQLITE_FUNCTION => format!("calling function `{arg2}`"),
        ffi::SQLITE_PRAGMA => format!("PRAGMA {arg1}"),
        ffi::SQLITE_ATTACH => "ATTACH".to_string(),
        ffi::SQLITE_DETACH => "DETACH".to_string(),
        ffi::SQLITE_TRANSACTION => "transaction control".to_string(),
        ffi::SQLITE_SAVEPOINT => "SAVEPOINT".to_string(),
        ffi::SQLITE_CREATE_TRIGGER | ffi::SQLITE_CREATE_TEMP_TRIGGER => {
            format!("creating trigger `{arg1}`")
        }
        ffi::SQLITE_CREATE_VIEW | ffi::SQLITE_CREATE_TEMP_VIEW => {
            format!("creating view `{arg1}`")
        }
        ffi::SQLITE_CREATE_TEMP_TABLE | ffi::SQLITE_CREATE_TEMP_INDEX => {
            format!("creating temporary object `{arg1}`")
        }
        ffi::SQLITE_CREATE_VTABLE => format!("creating virtual table `{arg1}`"),
        other => format!("SQLite action {other} ({arg1} {arg2})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "mod_demo_";

    #[test]
    fn own_tables_are_writable_core_tables_only_readable() {
        assert!(decide(P, ffi::SQLITE_INSERT, "mod_demo_items", "").is_ok());
        assert!(decide(P, ffi::SQLITE_READ, "agents", "id").is_ok());
        assert!(decide(P, ffi::SQLITE_INSERT, "agents", "").is_err());
        assert!(decide(P, ffi::SQLITE_READ, "mod_other_secret", "x").is_err());
        assert!(decide(P, ffi::SQLITE_READ, "mod_migrations", "x").is_err());
        assert!(decide(P, ffi::SQLITE_READ, "mod_demo_", "x").is_err());
        assert!(decide(P, ffi::SQLITE_PRAGMA, "writable_schema", "").is_err());
        assert!(decide(P, ffi::SQLITE_PRAGMA, "foreign_keys", "").is_err());
        assert!(decide(P, ffi::SQLITE_ATTACH, "/tmp/x", "").is_err());
        assert!(decide(P, ffi::SQLITE_CREATE_INDEX, "evil", "mod_demo_items").is_err());
        assert!(decide(P, ffi::SQLITE_CREATE_INDEX, "mod_demo_i", "agents").is_err());
        assert!(decide(P, ffi::SQLITE_TRANSACTION, "BEGIN", "").is_err());
    }
}
