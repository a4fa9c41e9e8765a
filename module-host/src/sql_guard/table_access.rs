//! Which tables and functions a module may use: classifying a table name (own, core, another
//! module's, host bookkeeping, system catalog, other schema) and the function rules. Names are
//! compared ASCII-case-insensitively, the way SQLite and PostgreSQL fold unquoted names.

use sqlparser::ast::{Ident, ObjectName};

use super::allowed_functions::{is_allowed_function, is_allowed_table_function, TABLE_FUNCTIONS};
use super::{Backend, SqlGuard, SqlGuardError};

/// Core tables every module may read (never write).
pub const CORE_TABLES: &[&str] = &[
    "companies",
    "agents",
    "goals",
    "projects",
    "issues",
    "activity",
    "heartbeats",
    "cost_events",
];

/// Tables the host keeps for itself.
const HOST_BOOKKEEPING: &[&str] = &[
    "module_state",
    "mod_migrations",
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

/// What a table name refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TableClass {
    /// `mod_<own id>_*`.
    Own,
    /// One of [`CORE_TABLES`].
    Core,
    /// `mod_<other>_*`.
    OtherModule,
    /// One of [`HOST_BOOKKEEPING`].
    Bookkeeping,
    /// `sqlite_*`, `pg_*`, `information_schema`, `pg_catalog`.
    SystemCatalog,
    /// Qualified with a schema other than `main` (SQLite) / `public` (PostgreSQL).
    OtherSchema(String),
    /// More than `schema.table`.
    TooManyParts,
    /// Any other table (e.g. one holding secrets).
    NotShared,
    /// `ONLY`: sqlparser 0.52 reads PostgreSQL's `FROM ONLY t` as a table named `ONLY`.
    OnlyKeyword,
}

/// A table name as written and what it refers to.
#[derive(Debug)]
pub(super) struct TableRef {
    /// The name as written (without quotes), for messages.
    pub(super) written: String,
    /// For an unqualified name, the key a CTE must have for the name to mean that CTE (see
    /// [`cte_key`]); a qualified name never means a CTE.
    pub(super) cte_key: Option<String>,
    /// What it refers to; whether an unqualified name is a CTE is up to the caller.
    pub(super) class: TableClass,
}

/// The name as written, parts joined with `.`.
pub(super) fn written(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|ident| ident.value.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

impl SqlGuard {
    /// Classifies a table name; CTE names are not considered here.
    pub(super) fn table_ref(&self, name: &ObjectName, backend: Backend) -> TableRef {
        let written = written(name);
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|ident| ident.value.to_ascii_lowercase())
            .collect();
        let cte_key = match name.0.as_slice() {
            [ident] => Some(cte_key(ident, backend)),
            _ => None,
        };
        if let [ident] = name.0.as_slice() {
            if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("only") {
                return TableRef {
                    written,
                    cte_key,
                    class: TableClass::OnlyKeyword,
                };
            }
        }
        let (schema, table) = match parts.as_slice() {
            [table] => (None, table.clone()),
            [schema, table] => (Some(schema.clone()), table.clone()),
            _ => {
                return TableRef {
                    written,
                    cte_key,
                    class: TableClass::TooManyParts,
                }
            }
        };
        let class = match &schema {
            Some(schema) if is_system_schema(schema) => TableClass::SystemCatalog,
            Some(schema) if schema.as_str() != default_schema(backend) => {
                TableClass::OtherSchema(schema.clone())
            }
            _ => self.class_of(&table),
        };
        TableRef {
            written,
            cte_key,
            class,
        }
    }

    /// Classifies an unqualified, lower-case table name.
    fn class_of(&self, table: &str) -> TableClass {
        if HOST_BOOKKEEPING.contains(&table) {
            TableClass::Bookkeeping
        } else if CORE_TABLES.contains(&table) {
            TableClass::Core
        } else if table.starts_with("sqlite_") || table.starts_with("pg_") {
            TableClass::SystemCatalog
        } else if table.len() > self.prefix.len()
            && table.starts_with(&self.prefix)
            && !self.foreign_prefixes.iter().any(|p| table.starts_with(p))
        {
            TableClass::Own
        } else if table.starts_with("mod_") {
            TableClass::OtherModule
        } else {
            TableClass::NotShared
        }
    }

    /// Why a table the module may not read is refused.
    pub(super) fn refusal(&self, table: &TableRef, backend: Backend) -> SqlGuardError {
        let reason = match &table.class {
            TableClass::OtherModule => format!(
                "it belongs to another module; a module may use only its own tables \
                 (`{}…`) and read the core tables",
                self.prefix
            ),
            TableClass::Bookkeeping => {
                "it is the host's own bookkeeping and not readable by modules".to_string()
            }
            TableClass::SystemCatalog => {
                "system catalogs and schemas are off limits for modules".to_string()
            }
            TableClass::OtherSchema(schema) => format!(
                "schema `{schema}` is off limits; a table name may be qualified only as \
                 `{}.<table>` on {}",
                default_schema(backend),
                backend.name()
            ),
            TableClass::OnlyKeyword => "the guard's parser does not understand `ONLY`; leave \
                                        it out (module tables have no child tables)"
                .to_string(),
            TableClass::TooManyParts => {
                "a table name may have at most one qualifier (`schema.table`)".to_string()
            }
            TableClass::Own | TableClass::Core | TableClass::NotShared => self.readable_tables(),
        };
        SqlGuardError::TableNotAllowed {
            table: table.written.clone(),
            reason,
        }
    }

    /// The sentence listing what a module may read.
    pub(super) fn readable_tables(&self) -> String {
        format!(
            "modules may read only their own tables (`{}…`) and the core tables {}",
            self.prefix,
            CORE_TABLES.join(", ")
        )
    }
}

/// The key under which a CTE named `ident` is found, and which an unqualified table reference
/// must have to mean it. PostgreSQL folds unquoted names to lower case and keeps quoted ones
/// exactly (`"Api_Keys"` is not `api_keys` there); SQLite compares names ASCII-case-
/// insensitively, quoted or not. Getting this wrong would let a CTE's name cover a real table.
pub(super) fn cte_key(ident: &Ident, backend: Backend) -> String {
    match (backend, ident.quote_style) {
        (Backend::Postgres, Some(_)) => ident.value.clone(),
        _ => ident.value.to_ascii_lowercase(),
    }
}

/// `main` on SQLite, `public` on PostgreSQL: the only qualifier module SQL may use.
pub(super) fn default_schema(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "main",
        Backend::Postgres => "public",
    }
}

fn is_system_schema(schema: &str) -> bool {
    schema == "information_schema" || schema.starts_with("pg_") || schema.starts_with("sqlite_")
}

/// Checks a function called anywhere in an expression: the name must be unquoted,
/// unqualified and on the allow-list ([`allowed_functions`](super::allowed_functions)).
pub(super) fn check_function(name: &ObjectName) -> Result<(), SqlGuardError> {
    let function = plain_function_name(name)?;
    if is_allowed_function(&function) {
        Ok(())
    } else {
        Err(SqlGuardError::FunctionNotAllowed {
            function: written(name),
            reason: "it is not on the list of functions allowed in module SQL (ordinary \
                     scalar, aggregate and window functions that compute only on their \
                     arguments; see sql_guard/allowed_functions.rs)"
                .to_string(),
        })
    }
}

/// Checks a table function in `FROM` (`json_each(…)`, `generate_series(…)`).
pub(super) fn check_table_function(name: &ObjectName) -> Result<(), SqlGuardError> {
    let function = plain_function_name(name)?;
    if is_allowed_table_function(&function) {
        Ok(())
    } else {
        Err(SqlGuardError::FunctionNotAllowed {
            function: written(name),
            reason: format!(
                "only these table functions may appear in FROM: {}",
                TABLE_FUNCTIONS.join(", ")
            ),
        })
    }
}

/// The lower-case name of a function called by a plain name. A schema qualifier
/// (`pg_catalog.x`) and a quoted name (`"x"`, which PostgreSQL does not fold to lower case and
/// which a module has no reason to write) are refused.
fn plain_function_name(name: &ObjectName) -> Result<String, SqlGuardError> {
    let refuse = |reason: &str| SqlGuardError::FunctionNotAllowed {
        function: written(name),
        reason: reason.to_string(),
    };
    let [ident] = name.0.as_slice() else {
        return Err(refuse(
            "call functions without a schema qualifier; only the plain names on the \
             allow-list are callable",
        ));
    };
    if ident.quote_style.is_some() {
        return Err(refuse("write function names without quotes"));
    }
    Ok(ident.value.to_ascii_lowercase())
}
