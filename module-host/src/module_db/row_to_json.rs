//! Reading result rows generically: each row becomes a JSON object, column name → value, with
//! the value converted by a backend-specific function.

use super::ModuleDbError;
use diesel::backend::Backend;
use diesel::row::{Field, Row};
use serde_json::{Map, Value};

/// One result row as the module sees it.
pub type JsonRow = Map<String, Value>;

/// A backend whose raw result values can be shown as JSON.
pub(super) trait RawValueToJson: Backend {
    /// Converts one non-NULL value; the error says why it cannot be shown.
    fn raw_value_to_json(value: Self::RawValue<'_>) -> Result<Value, String>;
}

/// Converts one row. Two columns of the same name would silently overwrite each other in a
/// JSON object, so that is an error asking for an alias.
pub(super) fn row_to_json<'a, DB, R>(row: &R) -> Result<JsonRow, ModuleDbError>
where
    DB: RawValueToJson,
    R: Row<'a, DB>,
{
    let mut columns = Map::new();
    for index in 0..row.field_count() {
        let Some(field) = row.get(index) else {
            continue;
        };
        let name = field
            .field_name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("column{}", index + 1));
        let value = match field.value() {
            None => Value::Null,
            Some(raw) => {
                DB::raw_value_to_json(raw).map_err(|reason| ModuleDbError::UnreadableColumn {
                    column: name.clone(),
                    reason,
                })?
            }
        };
        if columns.contains_key(&name) {
            return Err(ModuleDbError::DuplicateColumn { column: name });
        }
        columns.insert(name, value);
    }
    Ok(columns)
}
