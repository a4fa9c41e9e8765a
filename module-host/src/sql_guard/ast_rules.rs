//! The rules on the parsed statement: a `sqlparser` visitor that sees every statement (also
//! those nested in a CTE), every table reference, table function, query and expression, and
//! stops at the first thing a module may not do. Statement kinds are allow-listed: anything not
//! matched here is refused.

use std::ops::ControlFlow;
use std::ptr;

use sqlparser::ast::{
    AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable, Delete, Expr,
    FromTable, Ident, ObjectName, ObjectType, Query, ReferentialAction, SetExpr, Statement,
    TableConstraint, TableFactor, TableWithJoins, Value, Visit, Visitor,
};

use super::table_access::{
    check_function, check_table_function, cte_key, default_schema, written, TableClass, TableRef,
    CORE_TABLES,
};
use super::{forbidden_statements, lexer};
use super::{Backend, SqlGuard, SqlGuardError};

/// Why a statement kind outside the allow-list is refused, when no specific reason applies.
const ALLOWED_STATEMENTS: &str = "modules may run only SELECT, INSERT, UPDATE, DELETE, \
     CREATE TABLE, CREATE INDEX, ALTER TABLE, DROP TABLE and DROP INDEX";

/// Deepest nesting of expressions the walk accepts (see `guard_thread` for why depth matters).
const MAX_EXPRESSION_DEPTH: usize = 150;

/// Longest chain of UNION / INTERSECT / EXCEPT the walk accepts.
const MAX_SET_OPERATIONS: usize = 64;

/// Unquoted keywords PostgreSQL reads as calls of session functions (and the parser may read
/// as column names); `CURRENT_TIMESTAMP` and the other clock keywords are allowed.
const POSTGRES_KEYWORD_FUNCTIONS: &[&str] = &[
    "current_role",
    "current_user",
    "session_user",
    "system_user",
    "user",
    "current_catalog",
    "current_schema",
];

/// What the walk found out besides refusals.
pub(super) struct Outcome {
    /// An INSERT/UPDATE/DELETE nested in a query (a data-modifying CTE on PostgreSQL).
    pub(super) nested_write: bool,
}

/// Checks one parsed statement. `label` names it in messages (`PRAGMA`, `CREATE TRIGGER`).
pub(super) fn check(
    guard: &SqlGuard,
    backend: Backend,
    label: &str,
    statement: &Statement,
) -> Result<Outcome, SqlGuardError> {
    let mut checker = Checker {
        guard,
        backend,
        label,
        scopes: Vec::new(),
        skip_next_relation: false,
        depth: 0,
        expression_depth: 0,
        nested_write: false,
    };
    match statement.visit(&mut checker) {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(Outcome {
            nested_write: checker.nested_write,
        }),
    }
}

/// The CTE names a query's `WITH` declares, and how many of them are in scope right now.
struct CteScope {
    names: Vec<String>,
    /// The CTE bodies, compared by address to know which CTE is being visited.
    bodies: Vec<*const Query>,
    /// Names `[..visible]` are in scope. Without RECURSIVE a CTE body sees only the CTEs
    /// before it: on PostgreSQL a reference to itself or a later one means the real table of
    /// that name, so it must be checked as a table.
    visible: usize,
    recursive: bool,
}

struct Checker<'g> {
    guard: &'g SqlGuard,
    backend: Backend,
    label: &'g str,
    scopes: Vec<CteScope>,
    /// Set by a table function in FROM: the next relation visited is its name, not a table.
    skip_next_relation: bool,
    /// Statement nesting depth (1 = the statement itself).
    depth: usize,
    /// Current expression nesting depth.
    expression_depth: usize,
    nested_write: bool,
}

fn flow(result: Result<(), SqlGuardError>) -> ControlFlow<SqlGuardError> {
    match result {
        Ok(()) => ControlFlow::Continue(()),
        Err(error) => ControlFlow::Break(error),
    }
}

fn forbidden(statement: impl Into<String>, reason: impl Into<String>) -> SqlGuardError {
    SqlGuardError::Forbidden {
        statement: statement.into(),
        reason: reason.into(),
    }
}

impl Checker<'_> {
    fn prefix(&self) -> &str {
        self.guard.table_prefix()
    }

    /// Whether a table reference names a CTE in scope.
    fn is_cte(&self, table: &TableRef) -> bool {
        let Some(key) = &table.cte_key else {
            return false;
        };
        self.scopes
            .iter()
            .any(|scope| scope.names[..scope.visible].contains(key))
    }

    /// A table read anywhere: own, core or a CTE in scope.
    fn check_readable(&self, name: &ObjectName) -> Result<(), SqlGuardError> {
        let table = self.guard.table_ref(name, self.backend);
        if self.is_cte(&table) {
            return Ok(());
        }
        match table.class {
            TableClass::Own | TableClass::Core => Ok(()),
            _ => Err(self.guard.refusal(&table, self.backend)),
        }
    }

    /// A table written or changed in structure: only the module's own. `action` completes
    /// "… only the module's own tables", e.g. "INSERT may write".
    fn own_only(&self, name: &ObjectName, action: &str) -> Result<(), SqlGuardError> {
        let table = self.guard.table_ref(name, self.backend);
        match table.class {
            TableClass::Own => Ok(()),
            TableClass::Core | TableClass::NotShared => {
                let core = if table.class == TableClass::Core {
                    "; core tables are read-only for modules (change them through the core API)"
                } else {
                    ""
                };
                Err(SqlGuardError::TableNotAllowed {
                    table: table.written,
                    reason: format!(
                        "{action} only the module's own tables, named `{}…`{core}",
                        self.prefix()
                    ),
                })
            }
            _ => Err(self.guard.refusal(&table, self.backend)),
        }
    }

    /// A foreign key: its target must be an own or a core table, and deleting a row of the
    /// target must never fail because of it (`ON DELETE CASCADE`, or `ON DELETE SET NULL` on
    /// columns that may be NULL). Own tables need the same: a core delete may cascade into
    /// them. `columns_not_null` tells whether the referencing columns are declared NOT NULL
    /// (or PRIMARY KEY) where the guard can see it.
    fn check_reference(&self, reference: &Reference<'_>) -> Result<(), SqlGuardError> {
        let table = self.guard.table_ref(reference.foreign_table, self.backend);
        let core = match table.class {
            TableClass::Own => false,
            TableClass::Core => true,
            _ => {
                return Err(SqlGuardError::TableNotAllowed {
                    table: table.written,
                    reason: format!(
                        "a foreign key may reference only the module's own tables (`{}…`) and \
                         the core tables {}",
                        self.prefix(),
                        CORE_TABLES.join(", ")
                    ),
                })
            }
        };
        let whose = if core {
            format!("core table {}", table.written)
        } else {
            format!("the module's own table {}", table.written)
        };
        let why = "so deleting a core row never fails because of a module";
        match reference.on_delete {
            Some(ReferentialAction::Cascade) => {}
            Some(ReferentialAction::SetNull) if reference.columns_not_null => {
                return Err(forbidden(
                    format!("ON DELETE SET NULL on a NOT NULL column referencing {whose}"),
                    format!(
                        "setting the column to NULL would fail; use ON DELETE CASCADE or let \
                         the column be NULL, {why}"
                    ),
                ))
            }
            Some(ReferentialAction::SetNull) => {}
            _ => {
                return Err(forbidden(
                    format!("a foreign key to {}", table.written),
                    format!(
                        "a module table may reference {whose} only with ON DELETE CASCADE or \
                         ON DELETE SET NULL, {why}{}",
                        if core {
                            ""
                        } else {
                            " (a core delete may cascade into the module's tables)"
                        }
                    ),
                ))
            }
        }
        // A core table's key is its `id`; any other column is no key, and SQLite answers a
        // delete of the core row with "foreign key mismatch".
        let key_only = matches!(reference.referred_columns, [] | [_])
            && reference
                .referred_columns
                .iter()
                .all(|column| column.value.eq_ignore_ascii_case("id"));
        if core && !key_only {
            return Err(forbidden(
                format!(
                    "a foreign key to {}({})",
                    table.written,
                    reference
                        .referred_columns
                        .iter()
                        .map(|c| c.value.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "a module table may reference a core table only by its key: write \
                     REFERENCES {}(id)",
                    table.written
                ),
            ));
        }
        Ok(())
    }

    /// A name of an index or constraint the module creates: it must carry the module's prefix,
    /// so it never takes a name the core (or another module) needs in the same namespace.
    fn check_own_name(&self, name: &Ident, what: &str) -> Result<(), SqlGuardError> {
        let own = self.guard.table_ref(
            &ObjectName(vec![Ident::new(name.value.clone())]),
            self.backend,
        );
        if own.class == TableClass::Own {
            Ok(())
        } else {
            Err(forbidden(
                format!("the {what} name `{}`", name.value),
                format!(
                    "names of a module's indexes and constraints must start with its prefix \
                     `{0}…` (e.g. `{0}{1}`), so they never clash with the core's or another \
                     module's",
                    self.prefix(),
                    name.value.to_ascii_lowercase()
                ),
            ))
        }
    }

    /// The statement kind is not on the allow-list.
    fn forbidden_statement(&self) -> SqlGuardError {
        let words: Vec<String> = self.label.split(' ').map(str::to_string).collect();
        let reason = forbidden_statements::reason_for(&words, self.guard)
            .unwrap_or_else(|| ALLOWED_STATEMENTS.to_string());
        forbidden(self.label, reason)
    }

    fn check_statement(&mut self, statement: &Statement) -> Result<(), SqlGuardError> {
        let nested = self.depth > 1;
        match statement {
            Statement::Query(_) => Ok(()),
            Statement::Insert(insert) => self.own_only(&insert.table_name, "INSERT may write"),
            Statement::Update { table, .. } => self.single_target(table, "UPDATE"),
            Statement::Delete(delete) => self.delete_targets(delete),
            Statement::CreateTable(create) if !nested => self.create_table(create),
            Statement::CreateIndex(create) if !nested => self.create_index(create),
            Statement::AlterTable {
                name, operations, ..
            } if !nested => self.alter_table(name, operations),
            Statement::Drop {
                object_type, names, ..
            } if !nested => self.drop(*object_type, names),
            _ => Err(self.forbidden_statement()),
        }
    }

    /// UPDATE/DELETE name exactly one own table, without joins in the target.
    fn single_target(&self, target: &TableWithJoins, verb: &str) -> Result<(), SqlGuardError> {
        if !target.joins.is_empty() {
            return Err(forbidden(
                format!("{verb} with JOIN in its target"),
                "name exactly one of the module's own tables; read other tables in \
                 FROM/USING or a sub-query",
            ));
        }
        match &target.relation {
            TableFactor::Table {
                name, args: None, ..
            } => self.own_only(name, &format!("{verb} may write")),
            _ => Err(forbidden(
                verb,
                format!(
                    "its target must be one of the module's own tables, named `{}…`",
                    self.prefix()
                ),
            )),
        }
    }

    fn delete_targets(&self, delete: &Delete) -> Result<(), SqlGuardError> {
        for name in &delete.tables {
            self.own_only(name, "DELETE may write")?;
        }
        if delete.tables.is_empty() {
            let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &delete.from;
            for target in from {
                self.single_target(target, "DELETE")?;
            }
        }
        Ok(())
    }

    fn create_table(&self, create: &CreateTable) -> Result<(), SqlGuardError> {
        if create.temporary {
            return Err(forbidden(
                "CREATE TEMPORARY TABLE",
                format!(
                    "temporary tables live in one pooled connection and vanish unpredictably; \
                     create a table named `{}…` instead",
                    self.prefix()
                ),
            ));
        }
        self.own_only(&create.name, "CREATE TABLE may create")?;
        if let Some(source) = create.like.as_ref().or(create.clone.as_ref()) {
            self.check_readable(source)?;
        }
        for column in &create.columns {
            self.check_column(column, column_declares_not_null(column))?;
        }
        for constraint in &create.constraints {
            let columns_not_null = match constraint {
                TableConstraint::ForeignKey { columns, .. } => columns
                    .iter()
                    .any(|column| column_is_not_null(create, &column.value)),
                _ => false,
            };
            self.check_constraint(constraint, columns_not_null)?;
        }
        Ok(())
    }

    fn check_column(&self, column: &ColumnDef, not_null: bool) -> Result<(), SqlGuardError> {
        // sqlparser 0.52 reads PostgreSQL's `(LIKE other_table)` as a column named LIKE;
        // PostgreSQL would copy the other table's definition.
        if column.name.quote_style.is_none() && column.name.value.eq_ignore_ascii_case("like") {
            return Err(forbidden(
                "CREATE TABLE … (LIKE …)",
                "copying another table's definition is not supported; list the columns",
            ));
        }
        for option in &column.options {
            if let Some(name) = &option.name {
                self.check_own_name(name, "constraint")?;
            }
            if let ColumnOption::ForeignKey {
                foreign_table,
                referred_columns,
                on_delete,
                ..
            } = &option.option
            {
                self.check_reference(&Reference {
                    foreign_table,
                    referred_columns,
                    on_delete: *on_delete,
                    columns_not_null: not_null,
                })?;
            }
        }
        Ok(())
    }

    fn check_constraint(
        &self,
        constraint: &TableConstraint,
        columns_not_null: bool,
    ) -> Result<(), SqlGuardError> {
        if let Some(name) = constraint_name(constraint) {
            self.check_own_name(name, "constraint")?;
        }
        match constraint {
            TableConstraint::ForeignKey {
                foreign_table,
                referred_columns,
                on_delete,
                ..
            } => self.check_reference(&Reference {
                foreign_table,
                referred_columns,
                on_delete: *on_delete,
                columns_not_null,
            }),
            _ => Ok(()),
        }
    }

    fn create_index(&self, create: &CreateIndex) -> Result<(), SqlGuardError> {
        self.own_only(&create.table_name, "CREATE INDEX may index")?;
        match &create.name {
            Some(name) => {
                self.check_index_qualifier(name)?;
                match name.0.last() {
                    Some(index) => self.check_own_name(index, "index"),
                    None => Ok(()),
                }
            }
            // PostgreSQL names it after the table, which carries the prefix.
            None => Ok(()),
        }
    }

    /// An index name may be qualified only by the default schema.
    fn check_index_qualifier(&self, name: &ObjectName) -> Result<(), SqlGuardError> {
        let default = default_schema(self.backend);
        match name.0.as_slice() {
            [_] => Ok(()),
            [schema, _] if schema.value.eq_ignore_ascii_case(default) => Ok(()),
            _ => Err(forbidden(
                format!("the index name `{}`", written(name)),
                format!("an index name may be qualified only as `{default}.<index>`"),
            )),
        }
    }

    fn alter_table(
        &self,
        name: &ObjectName,
        operations: &[AlterTableOperation],
    ) -> Result<(), SqlGuardError> {
        self.own_only(name, "ALTER TABLE may change")?;
        for operation in operations {
            match operation {
                AlterTableOperation::AddColumn { column_def, .. } => {
                    self.check_column(column_def, column_declares_not_null(column_def))?
                }
                // The guard cannot see whether existing columns are NOT NULL; the engine
                // refuses an ON DELETE SET NULL that could not be carried out only at delete
                // time, so such a key is caught in CREATE TABLE or ADD COLUMN only.
                AlterTableOperation::AddConstraint(constraint) => {
                    self.check_constraint(constraint, false)?
                }
                AlterTableOperation::RenameTable { table_name } => {
                    self.own_only(table_name, "ALTER TABLE … RENAME TO may use")?
                }
                AlterTableOperation::RenameConstraint { new_name, .. } => {
                    self.check_own_name(new_name, "constraint")?
                }
                AlterTableOperation::DropColumn { .. }
                | AlterTableOperation::RenameColumn { .. }
                | AlterTableOperation::DropConstraint { .. }
                | AlterTableOperation::AlterColumn { .. } => {}
                other => {
                    return Err(forbidden(
                        format!("ALTER TABLE … {other}"),
                        "modules may only add, drop, rename and alter columns and \
                         constraints, and rename their own tables",
                    ))
                }
            }
        }
        Ok(())
    }

    fn drop(&self, object_type: ObjectType, names: &[ObjectName]) -> Result<(), SqlGuardError> {
        match object_type {
            ObjectType::Table => names
                .iter()
                .try_for_each(|name| self.own_only(name, "DROP TABLE may drop")),
            ObjectType::Index => names.iter().try_for_each(|name| {
                self.check_index_qualifier(name)?;
                let index = name
                    .0
                    .last()
                    .map(|ident| ident.value.to_ascii_lowercase())
                    .unwrap_or_default();
                // The guard cannot see which table an index belongs to; the prefix is the
                // only proof that the index is the module's and not one of the core's.
                let own = self
                    .guard
                    .table_ref(&ObjectName(vec![Ident::new(index)]), self.backend);
                if own.class == TableClass::Own {
                    Ok(())
                } else {
                    Err(forbidden(
                        format!("DROP INDEX {}", written(name)),
                        format!(
                            "a module may drop only indexes whose name starts with its prefix \
                             `{0}…` (the guard cannot tell which table an index belongs to); \
                             name indexes `{0}…`, or drop the table",
                            self.prefix()
                        ),
                    ))
                }
            }),
            _ => Err(self.forbidden_statement()),
        }
    }

    /// Clauses of a query that change or lock things: `SELECT … INTO`, `TABLE x`, locks.
    fn check_query_shape(&self, query: &Query) -> Result<(), SqlGuardError> {
        // The chain is walked in a loop here, so the recursive walks after it stay shallow.
        let mut chained = 0;
        let mut body = query.body.as_ref();
        while let SetExpr::SetOperation { left, .. } = body {
            chained += 1;
            if chained > MAX_SET_OPERATIONS {
                return Err(SqlGuardError::TooComplex {
                    limit: MAX_SET_OPERATIONS,
                    what: "chained UNION/INTERSECT/EXCEPT",
                });
            }
            body = left;
        }
        self.check_set_expr(&query.body)?;
        if !query.locks.is_empty() && !self.lockable_body(&query.body) {
            return Err(forbidden(
                "SELECT … FOR UPDATE/SHARE",
                format!(
                    "row locks may be taken only when every table in FROM is one of the \
                     module's own tables (`{}…`); core rows are locked by the host",
                    self.prefix()
                ),
            ));
        }
        Ok(())
    }

    fn check_set_expr(&self, body: &SetExpr) -> Result<(), SqlGuardError> {
        match body {
            SetExpr::Select(select) if select.into.is_some() => Err(forbidden(
                "SELECT … INTO",
                format!(
                    "it creates a table; use CREATE TABLE {}… AS SELECT …",
                    self.prefix()
                ),
            )),
            SetExpr::SetOperation { left, right, .. } => {
                self.check_set_expr(left)?;
                self.check_set_expr(right)
            }
            // `TABLE name` holds its name as plain strings, not as a relation the visitor sees.
            SetExpr::Table(table) => match &table.table_name {
                Some(table_name) => {
                    let parts = table
                        .schema_name
                        .iter()
                        .chain(std::iter::once(table_name))
                        .map(|part| Ident::new(part.as_str()))
                        .collect();
                    self.check_readable(&ObjectName(parts))
                }
                None => Err(forbidden("TABLE", ALLOWED_STATEMENTS)),
            },
            _ => Ok(()),
        }
    }

    fn lockable_body(&self, body: &SetExpr) -> bool {
        let SetExpr::Select(select) = body else {
            return false;
        };
        select.from.iter().all(|from| {
            self.lockable(&from.relation) && from.joins.iter().all(|j| self.lockable(&j.relation))
        })
    }

    fn lockable(&self, factor: &TableFactor) -> bool {
        match factor {
            TableFactor::Table {
                name, args: None, ..
            } => {
                let table = self.guard.table_ref(name, self.backend);
                table.class == TableClass::Own && !self.is_cte(&table)
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => {
                self.lockable(&table_with_joins.relation)
                    && table_with_joins
                        .joins
                        .iter()
                        .all(|j| self.lockable(&j.relation))
            }
            _ => false,
        }
    }

    /// Index of `query` among the CTE bodies of the innermost scope.
    fn cte_index(&self, query: &Query) -> Option<usize> {
        self.scopes
            .last()?
            .bodies
            .iter()
            .position(|body| ptr::eq(*body, query))
    }
}

/// A foreign key as the rules see it.
struct Reference<'a> {
    foreign_table: &'a ObjectName,
    referred_columns: &'a [Ident],
    on_delete: Option<ReferentialAction>,
    /// The referencing columns are declared NOT NULL or PRIMARY KEY (as far as visible).
    columns_not_null: bool,
}

/// The name given with `CONSTRAINT name`, if any.
fn constraint_name(constraint: &TableConstraint) -> Option<&Ident> {
    match constraint {
        TableConstraint::Unique { name, .. }
        | TableConstraint::PrimaryKey { name, .. }
        | TableConstraint::ForeignKey { name, .. }
        | TableConstraint::Check { name, .. } => name.as_ref(),
        TableConstraint::Index { name, .. } => name.as_ref(),
        TableConstraint::FulltextOrSpatial { opt_index_name, .. } => opt_index_name.as_ref(),
    }
}

/// Whether a column definition says NOT NULL or PRIMARY KEY.
fn column_declares_not_null(column: &ColumnDef) -> bool {
    column.options.iter().any(|option| {
        matches!(
            option.option,
            ColumnOption::NotNull
                | ColumnOption::Unique {
                    is_primary: true,
                    ..
                }
        )
    })
}

/// Whether the column `name` of `create` is NOT NULL: declared so, or in a table-level
/// PRIMARY KEY.
fn column_is_not_null(create: &CreateTable, name: &str) -> bool {
    let declared = create
        .columns
        .iter()
        .any(|c| c.name.value.eq_ignore_ascii_case(name) && column_declares_not_null(c));
    let in_primary_key = create
        .constraints
        .iter()
        .any(|constraint| match constraint {
            TableConstraint::PrimaryKey { columns, .. } => {
                columns.iter().any(|c| c.value.eq_ignore_ascii_case(name))
            }
            _ => false,
        });
    declared || in_primary_key
}

impl Visitor for Checker<'_> {
    type Break = SqlGuardError;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<SqlGuardError> {
        self.depth += 1;
        if self.depth > 1
            && matches!(
                statement,
                Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_)
            )
        {
            self.nested_write = true;
        }
        flow(self.check_statement(statement))
    }

    fn post_visit_statement(&mut self, _statement: &Statement) -> ControlFlow<SqlGuardError> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<SqlGuardError> {
        if let Some(index) = self.cte_index(query) {
            if let Some(scope) = self.scopes.last_mut() {
                if !scope.recursive {
                    scope.visible = index;
                }
            }
        }
        let scope = match &query.with {
            Some(with) => CteScope {
                names: with
                    .cte_tables
                    .iter()
                    .map(|cte| cte_key(&cte.alias.name, self.backend))
                    .collect(),
                bodies: with
                    .cte_tables
                    .iter()
                    .map(|cte| cte.query.as_ref() as *const Query)
                    .collect(),
                visible: if with.recursive {
                    with.cte_tables.len()
                } else {
                    0
                },
                recursive: with.recursive,
            },
            None => CteScope {
                names: Vec::new(),
                bodies: Vec::new(),
                visible: 0,
                recursive: false,
            },
        };
        self.scopes.push(scope);
        flow(self.check_query_shape(query))
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<SqlGuardError> {
        self.scopes.pop();
        if let Some(index) = self.cte_index(query) {
            if let Some(scope) = self.scopes.last_mut() {
                if !scope.recursive {
                    // The CTEs after this one, and the query body, see it.
                    scope.visible = index + 1;
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<SqlGuardError> {
        if std::mem::take(&mut self.skip_next_relation) {
            return ControlFlow::Continue(());
        }
        flow(self.check_readable(relation))
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<SqlGuardError> {
        match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => {
                self.skip_next_relation = true;
                flow(check_table_function(name))
            }
            TableFactor::Function { name, .. } => flow(check_table_function(name)),
            _ => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<SqlGuardError> {
        self.expression_depth += 1;
        if self.expression_depth > MAX_EXPRESSION_DEPTH {
            return ControlFlow::Break(SqlGuardError::TooComplex {
                limit: MAX_EXPRESSION_DEPTH,
                what: "levels of nested expressions",
            });
        }
        match expr {
            Expr::Function(function) => flow(check_function(&function.name)),
            // PostgreSQL reads these unquoted keywords as calls of session functions; the
            // parser may read them as column names.
            Expr::Identifier(ident)
                if self.backend == Backend::Postgres
                    && ident.quote_style.is_none()
                    && POSTGRES_KEYWORD_FUNCTIONS
                        .iter()
                        .any(|f| ident.value.eq_ignore_ascii_case(f)) =>
            {
                flow(Err(SqlGuardError::FunctionNotAllowed {
                    function: ident.value.clone(),
                    reason: "PostgreSQL reads it as a call of a session function, which is not \
                             on the list of functions allowed in module SQL; quote the name if \
                             it is a column"
                        .to_string(),
                }))
            }
            // The parser also builds placeholders from `:`/`@` and a word; only `$n` (already
            // numbered and checked on the tokens) may reach the database.
            Expr::Value(Value::Placeholder(placeholder))
                if !placeholder
                    .strip_prefix('$')
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
            {
                flow(Err(forbidden(
                    format!("the parameter `{placeholder}`"),
                    lexer::named_parameter_reason(),
                )))
            }
            _ => ControlFlow::Continue(()),
        }
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<SqlGuardError> {
        self.expression_depth -= 1;
        ControlFlow::Continue(())
    }
}
