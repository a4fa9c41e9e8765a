//! The lookups every entity file needs, written once: `get_row` (the row by primary key, or
//! `NotFound`) and `ensure_referenced` (a referenced id that must name a row of the same
//! company). Macros rather than generics: diesel's table and row types make a generic
//! function's bounds longer than the body.

/// `get_row_fn!(goals, GoalRow, "goal")` defines
/// `pub fn get_row(conn, id) -> Result<GoalRow, CoreError>`: the row `id` of `goals`, or
/// `NotFound` naming a `goal`.
macro_rules! get_row_fn {
    ($table:ident, $Row:ty, $entity:literal) => {
        /// Loads the row `id`, or fails with `NotFound`.
        pub fn get_row(
            conn: &mut $crate::db::DbConnection,
            id: &str,
        ) -> Result<$Row, $crate::core::CoreError> {
            use diesel::prelude::*;
            $table::table
                .find(id)
                .select(<$Row>::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| $crate::core::CoreError::not_found($entity, id))
        }
    };
}

/// `ensure_referenced_fn!(pub goals, "goal")` defines
/// `pub fn ensure_referenced(conn, field, company_id, id) -> Result<String, CoreError>`: checks
/// that the goal referenced by `field` exists in `company_id` and returns its (trimmed) id; a
/// malformed id or a goal of another company is a validation error on `field`.
macro_rules! ensure_referenced_fn {
    ($vis:vis $table:ident, $entity:literal) => {
        /// Checks that the entity referenced by `field` exists in `company_id`; returns its id.
        $vis fn ensure_referenced(
            conn: &mut $crate::db::DbConnection,
            field: &str,
            company_id: &str,
            id: &str,
        ) -> Result<String, $crate::core::CoreError> {
            use diesel::prelude::*;
            let id = $crate::core::reference::id(field, id)?;
            let found: i64 = $table::table
                .filter($table::id.eq(&id))
                .filter($table::company_id.eq(company_id))
                .count()
                .get_result(conn)?;
            if found == 0 {
                return Err($crate::core::reference::dangling(field, $entity, &id));
            }
            Ok(id)
        }
    };
}
