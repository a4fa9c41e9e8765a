//! The SQL guard: every statement a native module sends through the host handle (and every
//! statement of a module's migration scripts) is parsed here with `sqlparser` and refused unless
//! a module may run it. Modules never get a database connection; this check is what stands
//! between a module and the host's data.
//!
//! What a module may do:
//! - read (`SELECT`, CTEs, sub-queries, joins) its own tables `mod_<id>_*` and the core tables
//!   `companies, agents, goals, projects, issues, activity, heartbeats, cost_events`;
//! - write (`INSERT` incl. `ON CONFLICT`, `UPDATE`, `DELETE`, with `RETURNING`) only its own tables;
//! - create, alter and drop only its own tables (`CREATE TABLE`, `CREATE INDEX`, `ALTER TABLE`,
//!   `DROP TABLE`, `DROP INDEX`); index and constraint names carry the prefix too;
//! - declare foreign keys to its own tables or to a core table's `id`, only with
//!   `ON DELETE CASCADE` or `ON DELETE SET NULL` (on a nullable column), so that deleting a
//!   core row never fails because of a module;
//! - call only the functions on the allow-list in `allowed_functions.rs`, by their plain,
//!   unquoted, unqualified names.
//!
//! Everything else is refused with an error naming the offending statement, table or function.
//! So are spellings the parser cannot prove it reads as the engine does: `U&"…"`/`U&'…'` and
//! `UESCAPE` (PostgreSQL decodes the escapes), nested comments, comments glued to PostgreSQL
//! operators, tagged dollar quotes holding a `$`, `E'…'` escapes other than the simple ones,
//! `\'` in a PostgreSQL '…' string, SQLite `#name` parameters (see `lexer.rs`).
//!
//! The guard is the first line, the one that gives friendly errors; the database engines
//! (module roles on PostgreSQL, the authorizer on SQLite) are the authority.
//! Parameters are written `$1..$n` for both backends; for SQLite they are rewritten to `?1..?n`
//! token by token, so `$1` inside a string literal or a comment stays as it is.
//!
//! Architecture invariant: the guard is pure (no database access) and fails closed: statement
//! kinds, table functions and lexical forms it does not know are refused.
//!
//! ```
//! use paperclip_module_host::sql_guard::{Backend, SqlGuard, StatementKind};
//!
//! let guard = SqlGuard::new("token-meter");
//! let checked = guard
//!     .check_statement(
//!         "SELECT a.name, m.tokens FROM agents a JOIN mod_token_meter_usage m ON m.agent_id = a.id WHERE a.id = $1",
//!         Backend::Sqlite,
//!     )
//!     .unwrap();
//! assert_eq!(checked.kind, StatementKind::Read);
//! assert!(checked.sql.ends_with("a.id = ?1"));
//! assert!(guard.check_statement("SELECT * FROM module_state", Backend::Sqlite).is_err());
//! ```

mod allowed_functions;
mod ast_rules;
mod check_cache;
mod forbidden_statements;
mod guard_thread;
#[cfg(test)]
mod hardening_tests;
mod lexer;
mod table_access;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use sqlparser::ast::{SetExpr, Statement};
use sqlparser::dialect::{Dialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::{Parser, ParserError};

/// Which engine the SQL will run on.
pub use paperclip_core::db::Backend;

use check_cache::CheckCache;
use lexer::{Lexed, StatementSpan};
pub use table_access::CORE_TABLES;

/// Whether module SQL may call the function `name` as the engine names it (the SQLite
/// authorizer asks for each function a statement calls): the guard's allow-list
/// (`sql_guard/allowed_functions.rs`), compared ASCII-case-insensitively, plus the functions
/// the engine calls itself for statements the guard allows (SQLite's `LIKE`, `GLOB`, `->`,
/// `->>` operators and the internals of `ALTER TABLE`).
pub fn function_allowed(name: &str, backend: Backend) -> bool {
    let name = name.to_ascii_lowercase();
    allowed_functions::is_allowed_function(&name)
        || allowed_functions::is_allowed_table_function(&name)
        || allowed_functions::is_engine_function(&name, backend)
}

/// Checks the SQL of one module. Built once per module by the module host and shared by all
/// of that module's database calls and migrations.
#[derive(Debug, Clone)]
pub struct SqlGuard {
    module_id: String,
    /// `mod_<id>_` with `-` replaced by `_`, lower-case; table names are compared to it
    /// ASCII-case-insensitively (the way both SQLite and PostgreSQL fold unquoted names).
    prefix: String,
    /// Prefixes of other modules that start with this module's prefix (module `foo` vs
    /// `foo-bar`): tables under them belong to the other module, not to this one.
    foreign_prefixes: Vec<String>,
    /// Earlier answers of `check_statement`, shared by clones of this guard.
    cache: Arc<CheckCache>,
}

/// What a statement does, so the host knows how to run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementKind {
    /// `SELECT` (also with CTEs): returns rows, changes nothing.
    Read,
    /// `INSERT`, `UPDATE` or `DELETE` on the module's own tables (also inside a CTE).
    Write,
    /// `CREATE TABLE`, `CREATE INDEX`, `ALTER TABLE`, `DROP TABLE`, `DROP INDEX`.
    Schema,
}

/// A statement that passed the guard, ready to run on the chosen backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedStatement {
    /// The statement text, trimmed of surrounding whitespace and the closing `;`. For SQLite
    /// every `$n` parameter is rewritten to `?n`; nothing else is changed.
    pub sql: String,
    /// Read, write or schema change.
    pub kind: StatementKind,
    /// `true` for a `SELECT` and for a write with `RETURNING`.
    pub returns_rows: bool,
    /// The highest `$n` used; parameters are numbered `$1..$n` without gaps.
    pub param_count: usize,
}

/// Why module SQL was refused. Every message names the offending statement, table, function or
/// token so a module author can fix it without guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlGuardError {
    /// Nothing to run: the text is empty or holds only comments.
    #[error("no SQL statement was given (the text is empty or holds only comments)")]
    Empty,
    /// `sqlparser` could not read the SQL in the backend's dialect.
    #[error("cannot parse the SQL as {backend}: {message}")]
    Parse {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The parser's message, with line and column.
        message: String,
    },
    /// `check_statement` got more than one statement.
    #[error(
        "exactly one SQL statement is allowed per call, but {count} were sent; \
         send them one at a time"
    )]
    MultipleStatements {
        /// How many statements the text holds.
        count: usize,
    },
    /// A kind of statement (or a clause of one) that modules may not run.
    #[error("{statement} is not allowed: {reason}")]
    Forbidden {
        /// The statement or clause, e.g. `PRAGMA`, `CREATE TRIGGER`, `SELECT … INTO`.
        statement: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// A table the module may not use in that position.
    #[error("table `{table}` is not allowed: {reason}")]
    TableNotAllowed {
        /// The table name as written.
        table: String,
        /// Why, and which tables are allowed.
        reason: String,
    },
    /// A function modules may not call.
    #[error("function `{function}` is not allowed in module SQL: {reason}")]
    FunctionNotAllowed {
        /// The function name as written.
        function: String,
        /// Why.
        reason: String,
    },
    /// A parameter written in a form other than `$1..$n`, or numbered out of range.
    #[error("parameter `{placeholder}` at line {line}, column {column} is not allowed: {reason}")]
    Placeholder {
        /// The placeholder as written, e.g. `?` or `:name`.
        placeholder: String,
        /// Line of the placeholder, from 1.
        line: u64,
        /// Column of the placeholder, from 1.
        column: u64,
        /// Why, and how to write it instead.
        reason: String,
    },
    /// Parameters skip a number; PostgreSQL cannot type an unused parameter.
    #[error(
        "parameter ${missing} is never used although ${highest} is: number the parameters \
         $1..${highest} without gaps"
    )]
    ParameterGap {
        /// The first number that is not used.
        missing: usize,
        /// The highest number used.
        highest: usize,
    },
    /// A lexical form the guard refuses because the database could read it differently from
    /// the parser (nested comments, exotic string literals, …).
    #[error("{what} at line {line}, column {column} is not allowed: {reason}")]
    Lexical {
        /// What was found, e.g. "a nested `/*` comment".
        what: String,
        /// Line, from 1.
        line: u64,
        /// Column, from 1.
        column: u64,
        /// Why, and what to write instead.
        reason: String,
    },
    /// The statement nests too deeply or chains too many operators to be checked safely.
    #[error("the statement is too complex: more than {limit} {what}; simplify it (e.g. use IN (…) instead of long OR chains, or split it)")]
    TooComplex {
        /// The limit that was passed.
        limit: usize,
        /// What was counted.
        what: &'static str,
    },
    /// The guard could not start the thread it checks on; nothing was checked.
    #[error("the SQL guard could not start its checking thread ({reason}); try again")]
    Unavailable {
        /// The operating system's error.
        reason: String,
    },
    /// A statement of a migration script was refused.
    #[error("statement {index} of the script (line {line}): {source}")]
    InScript {
        /// Position of the statement in the script, from 1.
        index: usize,
        /// Line where the statement starts.
        line: u64,
        /// What is wrong with it.
        source: Box<SqlGuardError>,
    },
}

impl SqlGuard {
    /// A guard for the module `module_id`; its own tables are `mod_<id>_*` with every `-` of the
    /// id replaced by `_` (module `token-meter` owns `mod_token_meter_*`).
    pub fn new(module_id: &str) -> SqlGuard {
        SqlGuard {
            module_id: module_id.to_string(),
            prefix: prefix_of(module_id),
            foreign_prefixes: Vec::new(),
            cache: Arc::default(),
        }
    }

    /// Tells the guard which other modules are installed. Needed only when another module's
    /// prefix starts with this module's prefix (`foo` and `foo-bar`): tables named
    /// `mod_foo_bar_*` then belong to `foo-bar` and are refused to `foo`.
    pub fn with_other_modules<I, S>(mut self, module_ids: I) -> SqlGuard
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.foreign_prefixes = module_ids
            .into_iter()
            .map(|id| prefix_of(id.as_ref()))
            .filter(|other| other.len() > self.prefix.len() && other.starts_with(&self.prefix))
            .collect();
        // Answers given under the old rules no longer hold.
        self.cache = Arc::default();
        self
    }

    /// The module's own table prefix, e.g. `mod_token_meter_`.
    pub fn table_prefix(&self) -> &str {
        &self.prefix
    }

    /// The id of the module this guard checks.
    pub fn module_id(&self) -> &str {
        &self.module_id
    }

    /// Checks one statement sent at run time through the host handle. A trailing `;` is fine;
    /// two statements, transaction control and anything outside the rules are refused.
    /// The check runs on a thread with a large stack (see `guard_thread`); the answer is
    /// remembered per SQL text, so sending the same text again costs a map lookup.
    pub fn check_statement(
        &self,
        sql: &str,
        backend: Backend,
    ) -> Result<CheckedStatement, SqlGuardError> {
        if let Some(answer) = self.cache.get(sql, backend) {
            return answer;
        }
        let answer = guard_thread::run(|| self.check_statement_here(sql, backend));
        self.cache.put(sql, backend, &answer);
        answer
    }

    /// Checks a migration script: splits it into statements (tokenized by `sqlparser`, so `;`
    /// inside strings and comments does not split) and checks each with the same rules as
    /// [`SqlGuard::check_statement`]. Scripts take no parameters. Returns the statements in
    /// order; an empty script gives an empty list.
    pub fn check_script(
        &self,
        sql: &str,
        backend: Backend,
    ) -> Result<Vec<CheckedStatement>, SqlGuardError> {
        guard_thread::run(|| self.check_script_here(sql, backend))
    }

    /// [`SqlGuard::check_statement`] on the current thread.
    fn check_statement_here(
        &self,
        sql: &str,
        backend: Backend,
    ) -> Result<CheckedStatement, SqlGuardError> {
        let lexed = Lexed::new(sql, backend)?;
        let spans = lexed.statement_spans();
        match spans.as_slice() {
            [] => Err(SqlGuardError::Empty),
            [only] => self.check_span(&lexed, only, backend, true),
            [first, ..] => {
                // A refused statement with `;` inside its body (a trigger) reads as several
                // statements; naming the refused statement is the more useful message.
                if let Some(reason) =
                    forbidden_statements::reason_for(&lexed.leading_words(first), self)
                {
                    return Err(SqlGuardError::Forbidden {
                        statement: lexed.label(first),
                        reason,
                    });
                }
                Err(SqlGuardError::MultipleStatements { count: spans.len() })
            }
        }
    }

    /// [`SqlGuard::check_script`] on the current thread.
    fn check_script_here(
        &self,
        sql: &str,
        backend: Backend,
    ) -> Result<Vec<CheckedStatement>, SqlGuardError> {
        let lexed = Lexed::new(sql, backend)?;
        lexed
            .statement_spans()
            .iter()
            .enumerate()
            .map(|(i, span)| {
                self.check_span(&lexed, span, backend, false)
                    .map_err(|e| SqlGuardError::InScript {
                        index: i + 1,
                        line: lexed.start_line(span),
                        source: Box::new(e),
                    })
            })
            .collect()
    }

    /// Checks one statement of already lexed text.
    fn check_span(
        &self,
        lexed: &Lexed<'_>,
        span: &StatementSpan,
        backend: Backend,
        params_allowed: bool,
    ) -> Result<CheckedStatement, SqlGuardError> {
        let params = lexed.parameters(span, backend)?;
        if !params_allowed {
            if let Some(first) = params.first() {
                let (line, column) = lexed.location(first.token);
                return Err(SqlGuardError::Placeholder {
                    placeholder: format!("${}", first.number),
                    line,
                    column,
                    reason: "migration scripts run without parameters; write the values \
                             into the script"
                        .to_string(),
                });
            }
        }
        let param_count = lexer::param_count(&params)?;
        lexed.check_complexity(span)?;

        let statement = self.parse_one(lexed, span, backend)?;
        let label = lexed.label(span);
        let outcome = ast_rules::check(self, backend, &label, &statement)?;
        let (kind, returns_rows) = classify(&statement, outcome.nested_write);
        Ok(CheckedStatement {
            sql: lexed.statement_text(span, &params, backend),
            kind,
            returns_rows,
            param_count,
        })
    }

    /// Parses one statement span, turning parser failures into the most useful error.
    fn parse_one(
        &self,
        lexed: &Lexed<'_>,
        span: &StatementSpan,
        backend: Backend,
    ) -> Result<Statement, SqlGuardError> {
        let dialect = dialect_for(backend);
        let parsed = Parser::new(dialect.as_ref())
            .with_recursion_limit(PARSER_RECURSION_LIMIT)
            .with_tokens_with_locations(lexed.tokens_of(span))
            .parse_statements();
        let mut statements = match parsed {
            Ok(statements) => statements,
            Err(err) => {
                if let Some(reason) =
                    forbidden_statements::reason_for(&lexed.leading_words(span), self)
                {
                    return Err(SqlGuardError::Forbidden {
                        statement: lexed.label(span),
                        reason,
                    });
                }
                if let Some(placeholder) = lexed.question_mark(span) {
                    return Err(placeholder);
                }
                if err == ParserError::RecursionLimitExceeded {
                    return Err(SqlGuardError::TooComplex {
                        limit: PARSER_RECURSION_LIMIT,
                        what: "levels of nesting (parentheses, sub-queries, NOT, …)",
                    });
                }
                let message = err.to_string();
                let mut message = message
                    .strip_prefix("sql parser error: ")
                    .unwrap_or(&message)
                    .to_string();
                if !message.contains("Line:") {
                    message.push_str(" at the end of the statement");
                }
                return Err(SqlGuardError::Parse {
                    backend: backend.name(),
                    message,
                });
            }
        };
        match statements.len() {
            1 => Ok(statements.remove(0)),
            0 => Err(SqlGuardError::Empty),
            count => Err(SqlGuardError::MultipleStatements { count }),
        }
    }
}

/// `sqlparser`'s default recursion limit, which the guard keeps (it bounds the parser's stack).
const PARSER_RECURSION_LIMIT: usize = 50;

/// `mod_<id>_`, `-` replaced by `_`, lower-case.
fn prefix_of(module_id: &str) -> String {
    format!("mod_{}_", module_id.replace('-', "_").to_ascii_lowercase())
}

/// The table prefix of the module `module_id` (`token-meter` → `mod_token_meter_`), the same
/// as [`SqlGuard::table_prefix`] of its guard. Two modules whose prefixes are equal or one
/// starts with the other cannot both load (see `load_plan`).
pub fn table_prefix_for(module_id: &str) -> String {
    prefix_of(module_id)
}

/// Whether the tables of two modules could be confused: their prefixes are equal (`foo_bar`
/// and `foo-bar`) or one starts with the other (`foo` and `foo-bar`).
pub fn table_prefixes_overlap(module_a: &str, module_b: &str) -> bool {
    let (a, b) = (prefix_of(module_a), prefix_of(module_b));
    a.starts_with(&b) || b.starts_with(&a)
}

/// The `sqlparser` dialect matching the backend, so the parse matches what the engine accepts.
fn dialect_for(backend: Backend) -> Box<dyn Dialect> {
    match backend {
        Backend::Sqlite => Box::new(SQLiteDialect {}),
        Backend::Postgres => Box::new(PostgreSqlDialect {}),
    }
}

/// Kind and whether rows come back, from the statement's shape.
fn classify(statement: &Statement, nested_write: bool) -> (StatementKind, bool) {
    match statement {
        Statement::Query(query) => match query.body.as_ref() {
            SetExpr::Insert(inner) | SetExpr::Update(inner) => {
                (StatementKind::Write, has_returning(inner))
            }
            // A SELECT around a data-modifying CTE (PostgreSQL) writes and returns rows.
            _ if nested_write => (StatementKind::Write, true),
            _ => (StatementKind::Read, true),
        },
        Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_) => {
            (StatementKind::Write, has_returning(statement))
        }
        _ => (StatementKind::Schema, false),
    }
}

/// Whether a write statement has a `RETURNING` clause.
fn has_returning(statement: &Statement) -> bool {
    match statement {
        Statement::Insert(insert) => insert.returning.is_some(),
        Statement::Update { returning, .. } => returning.is_some(),
        Statement::Delete(delete) => delete.returning.is_some(),
        _ => false,
    }
}
