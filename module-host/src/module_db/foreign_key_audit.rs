//! The engine's word on a module's foreign keys, read from the catalog after each schema change:
//! every foreign key of a module table must be `ON DELETE CASCADE`, or `ON DELETE SET NULL` on
//! nullable columns, so deleting a core row (or a module row a core delete cascades into) never
//! fails because of a module. The SQL guard checks each statement as written; this catches what
//! only the resulting schema shows (a `SET NOT NULL` added later to a `SET NULL` column, …).

use diesel::sql_types::{Bool, Text};
use diesel::{QueryableByName, RunQueryDsl};
use paperclip_core::db::DbConnection;

#[derive(QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    target: String,
    /// `CASCADE`, `SET NULL`, `RESTRICT`, `NO ACTION`, `SET DEFAULT`.
    #[diesel(sql_type = Text)]
    on_delete: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
}

/// The foreign keys of tables named `<prefix>*` that could make a delete fail, described; empty
/// when there are none. Runs with the host's rights (SQLite reads `pragma_foreign_key_list`).
pub(crate) fn blocking_foreign_keys(
    conn: &mut DbConnection,
    prefix: &str,
) -> Result<Vec<String>, diesel::result::Error> {
    let keys: Vec<ForeignKey> = match conn {
        DbConnection::Pg(pg) => diesel::sql_query(
            "SELECT t.relname::text AS table_name, a.attname::text AS column_name, \
                    r.relname::text AS target, \
                    CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' \
                      WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT' \
                      ELSE 'NO ACTION' END AS on_delete, \
                    a.attnotnull AS not_null \
             FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_class r ON r.oid = c.confrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             CROSS JOIN LATERAL unnest(c.conkey) AS k(attnum) \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
             WHERE c.contype = 'f' AND n.nspname = current_schema() \
               AND left(t.relname, length($1)) = $1",
        )
        .bind::<Text, _>(prefix)
        .load(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::sql_query(
            "SELECT m.name AS table_name, f.\"from\" AS column_name, f.\"table\" AS target, \
                    upper(f.on_delete) AS on_delete, \
                    coalesce((SELECT i.\"notnull\" FROM pragma_table_info(m.name) i \
                              WHERE i.name = f.\"from\"), 0) <> 0 AS not_null \
             FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND substr(m.name, 1, length(?1)) = ?1",
        )
        .bind::<Text, _>(prefix)
        .load(sqlite)?,
    };
    Ok(keys
        .into_iter()
        .filter(|k| !(k.on_delete == "CASCADE" || (k.on_delete == "SET NULL" && !k.not_null)))
        .map(|k| {
            let why = if k.on_delete == "SET NULL" {
                "ON DELETE SET NULL on a NOT NULL column".to_string()
            } else {
                format!("ON DELETE {}", k.on_delete)
            };
            format!("{}.{} → {} ({why})", k.table_name, k.column_name, k.target)
        })
        .collect())
}

/// The message for foreign keys that could block deletes.
pub(crate) fn describe(blocking: &[String]) -> String {
    format!(
        "the schema change leaves foreign keys that could make a delete fail: {}; a module \
         table may reference another table only with ON DELETE CASCADE or ON DELETE SET NULL \
         (on a nullable column), so deleting a core row never fails because of a module. \
         Nothing was changed",
        blocking.join(", ")
    )
}
