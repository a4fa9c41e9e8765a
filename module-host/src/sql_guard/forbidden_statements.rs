//! Why each kind of statement outside the module rules is refused, keyed by the statement's
//! leading words. Used both for statements `sqlparser` parses (PRAGMA, GRANT, …) and for those
//! it cannot parse in 0.52 (VACUUM, CREATE TRIGGER on SQLite, DO, LOCK, …), so the module
//! author reads "VACUUM is not allowed" rather than a parser error.

use super::SqlGuard;

/// The reason a statement starting with `words` (upper-case) is refused, or `None` when the
/// words do not name a statement kind that is always refused.
pub(super) fn reason_for(words: &[String], guard: &SqlGuard) -> Option<String> {
    let first = words.first()?.as_str();
    let reason = match first {
        "BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "SAVEPOINT" | "RELEASE" => {
            "the host owns transactions: it runs each call and each migration script in its own \
             transaction"
        }
        "PRAGMA" => {
            "PRAGMA reads or changes database and connection settings that belong to the host"
        }
        "ATTACH" | "DETACH" => "attaching databases would open files outside the host's database",
        "VACUUM" | "REINDEX" | "ANALYZE" | "CHECKPOINT" | "CLUSTER" | "OPTIMIZE" => {
            "database maintenance is the host's job"
        }
        "SET" | "RESET" | "SHOW" | "DISCARD" | "USE" => {
            "the settings of the host's pooled connections are not the module's to read or change"
        }
        "GRANT" | "REVOKE" | "REASSIGN" | "SECURITY" => "privileges are managed by the host",
        "COPY" | "UNLOAD" => {
            "COPY reads or writes files and streams on the database server; use INSERT and SELECT"
        }
        "LOAD" | "INSTALL" => "loading extensions is not allowed",
        "TRUNCATE" => "use DELETE FROM on one of the module's own tables instead",
        "EXPLAIN" | "DESCRIBE" | "DESC" => "EXPLAIN is not available to modules",
        "LOCK" | "UNLOCK" => {
            "explicit table locks would block the host; on PostgreSQL a SELECT … FOR UPDATE on \
             the module's own tables is allowed"
        }
        "DO" | "CALL" | "PREPARE" | "EXECUTE" | "DEALLOCATE" | "DECLARE" | "FETCH" | "CLOSE" => {
            "running server-side code, prepared statements or cursors would bypass the guard"
        }
        "LISTEN" | "NOTIFY" | "UNLISTEN" => "notification channels belong to the host",
        "COMMENT" | "REFRESH" | "IMPORT" => "this statement is not available to modules",
        "CREATE" | "ALTER" | "DROP" => return object_reason(&words[1..], guard),
        _ => return None,
    };
    Some(reason.to_string())
}

/// Reasons for `CREATE/ALTER/DROP <object>` when the object is not a table or an index.
fn object_reason(words: &[String], guard: &SqlGuard) -> Option<String> {
    let object = words.iter().map(String::as_str).find(|word| {
        !matches!(
            *word,
            "OR" | "REPLACE" | "TEMP" | "TEMPORARY" | "UNIQUE" | "GLOBAL" | "LOCAL" | "UNLOGGED"
        )
    })?;
    let reason = match object {
        "TRIGGER" | "RULE" | "EVENT" => {
            "triggers and rules would run hidden SQL on every write; do that work in the \
             module's code or a hook handler"
                .to_string()
        }
        "VIEW" | "MATERIALIZED" => "views are not supported; run the query itself (a WITH \
                                    clause can name sub-queries)"
            .to_string(),
        "FUNCTION" | "PROCEDURE" | "AGGREGATE" | "OPERATOR" | "LANGUAGE" | "MACRO" => {
            "modules may not define server-side code".to_string()
        }
        "EXTENSION" => "extensions are installed by the operator, not by modules".to_string(),
        "VIRTUAL" => "virtual tables exist only on SQLite; module tables must work on both \
                      backends"
            .to_string(),
        "TABLE" | "INDEX" => return None,
        _ => format!(
            "modules may create, alter and drop only tables and indexes, and only their own \
             (named `{}…`)",
            guard.table_prefix()
        ),
    };
    Some(reason)
}
