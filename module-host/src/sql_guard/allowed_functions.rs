//! The functions module SQL may call: an **allow-list**, the same on both engines (a name an
//! engine does not have is refused by that engine, so the union is listed once).
//!
//! Why an allow-list: a deny-list of dangerous names (`pg_read_file`, `lo_export`,
//! `set_config`, `query_to_xml`, `load_extension`, …) has to name every dangerous function of
//! every engine version and extension, and must also agree with the engine on how a name is
//! spelled (`U&"pg\005fread\005ffile"` is `pg_read_file` to PostgreSQL). An allow-list fails
//! closed: a name that is not here is refused, however it is spelled.
//!
//! What is on it: ordinary scalar, aggregate and window functions that compute on their
//! arguments only. Nothing that reads or writes files, large objects, settings, sessions,
//! locks, sequences, other databases or the catalogs; nothing that runs SQL given as text
//! (`query_to_xml`, `xpath`, `ts_stat`, `dblink`); nothing that sleeps; and nothing whose main
//! use is to allocate a huge value from a small one (`repeat`, `lpad`, `zeroblob`,
//! `randomblob`, `printf`/`format`). Keywords that look like functions but are parsed as their
//! own expressions (`CAST`, `EXTRACT`, `SUBSTRING … FROM`, `TRIM`, `POSITION`, `CEIL`, `FLOOR`)
//! need no entry; the `->`/`->>` JSON operators are operators, not functions.
//!
//! To add a function: check that it computes only on its arguments on both engines (or exists
//! on one engine only), then add it below in its group, lower-case. Table functions that may
//! appear in `FROM` are a separate list, [`TABLE_FUNCTIONS`].
//!
//! The engines enforce the same list: the SQLite authorizer of module statements asks
//! [`function_allowed`](super::function_allowed) for every function a statement calls.

use super::Backend;

/// Scalar, aggregate and window functions modules may call, lower-case. Compared with the
/// unquoted, unqualified name as written, ASCII-case-insensitively.
pub(super) const ALLOWED_FUNCTIONS: &[&str] = &[
    // aggregates
    "count",
    "sum",
    "total",
    "avg",
    "min",
    "max",
    "string_agg",
    "group_concat",
    "array_agg",
    "bool_and",
    "bool_or",
    "every",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "json_group_array",
    "json_group_object",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "variance",
    "var_pop",
    "var_samp",
    // window functions
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "nth_value",
    // conditionals and comparisons
    "coalesce",
    "nullif",
    "ifnull",
    "iif",
    "greatest",
    "least",
    // strings
    "lower",
    "upper",
    "length",
    "char_length",
    "character_length",
    "octet_length",
    "substr",
    "substring",
    "trim",
    "ltrim",
    "rtrim",
    "btrim",
    "replace",
    "concat",
    "concat_ws",
    "left",
    "right",
    "strpos",
    "instr",
    "split_part",
    "starts_with",
    "initcap",
    "reverse",
    "hex",
    "md5",
    // numbers
    "abs",
    "round",
    "ceil",
    "ceiling",
    "floor",
    "trunc",
    "sign",
    "mod",
    "power",
    "pow",
    "sqrt",
    "exp",
    "ln",
    "log",
    "log10",
    "random",
    // dates and times
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
    "date_trunc",
    "date_part",
    "extract",
    "to_char",
    "to_timestamp",
    "to_date",
    "age",
    "make_interval",
    "strftime",
    "datetime",
    "date",
    "time",
    "julianday",
    "unixepoch",
    // JSON
    "json",
    "json_extract",
    "json_object",
    "json_array",
    "json_array_length",
    "json_type",
    "json_valid",
    "json_quote",
    "json_set",
    "json_insert",
    "json_replace",
    "json_remove",
    "json_patch",
    "json_build_object",
    "json_build_array",
    "jsonb_build_object",
    "jsonb_build_array",
    "to_json",
    "to_jsonb",
    "json_typeof",
    "jsonb_typeof",
    "jsonb_array_length",
    "json_extract_path",
    "json_extract_path_text",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "jsonb_set",
    "jsonb_insert",
    "jsonb_strip_nulls",
    "jsonb_pretty",
    // arrays (PostgreSQL)
    "array_length",
    "cardinality",
    "array_position",
    "array_to_string",
    "string_to_array",
    // values
    "typeof",
    "gen_random_uuid",
];

/// Table functions allowed in `FROM`: they only unfold values (JSON, arrays, series) and read
/// no table. The engine refuses the ones it does not have.
pub(super) const TABLE_FUNCTIONS: &[&str] = &[
    "json_each",
    "json_tree",
    "json_each_text",
    "jsonb_each",
    "jsonb_each_text",
    "json_array_elements",
    "json_array_elements_text",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "json_object_keys",
    "jsonb_object_keys",
    "json_to_record",
    "json_to_recordset",
    "jsonb_to_record",
    "jsonb_to_recordset",
    "json_populate_record",
    "json_populate_recordset",
    "jsonb_populate_record",
    "jsonb_populate_recordset",
    "jsonb_path_query",
    "generate_series",
    "generate_subscripts",
    "unnest",
    "regexp_matches",
    "regexp_split_to_table",
    "string_to_table",
];

/// Functions SQLite itself calls for statements the guard allows, which its authorizer reports
/// like any function call: operators (`a LIKE b` is `like(b, a)`, `a ->> '$.x'` is
/// `->>(a, '$.x')`) and the SQL SQLite runs on its schema table for `ALTER TABLE` (`ADD
/// COLUMN` uses `printf`, `substr`, `length`; `RENAME` and `DROP COLUMN` the internal
/// `sqlite_rename_*` / `sqlite_drop_column`, which user SQL cannot call). None of these is
/// callable by name in module SQL unless it is also on [`ALLOWED_FUNCTIONS`]: the guard checks
/// names against that list only.
const SQLITE_ENGINE_FUNCTIONS: &[&str] = &[
    "like",
    "glob",
    "->",
    "->>",
    "printf",
    "format",
    "sqlite_rename_table",
    "sqlite_rename_column",
    "sqlite_rename_test",
    "sqlite_rename_quotefix",
    "sqlite_drop_column",
];

/// Whether the engine may call `name` (lower-case) on its own behalf for module SQL the guard
/// allows (see [`SQLITE_ENGINE_FUNCTIONS`]).
pub(super) fn is_engine_function(name: &str, backend: Backend) -> bool {
    match backend {
        Backend::Sqlite => SQLITE_ENGINE_FUNCTIONS.contains(&name),
        Backend::Postgres => false,
    }
}

/// Whether `name` (lower-case, unquoted, unqualified) may be called in an expression.
pub(super) fn is_allowed_function(name: &str) -> bool {
    ALLOWED_FUNCTIONS.contains(&name)
}

/// Whether `name` (lower-case, unquoted, unqualified) may be used as a table function in `FROM`.
pub(super) fn is_allowed_table_function(name: &str) -> bool {
    TABLE_FUNCTIONS.contains(&name)
}
