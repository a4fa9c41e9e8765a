//! References between entities (`reportsTo`, `assigneeAgentId`, `goalId`, …): every referenced
//! id must name an entity of the same company, or the write is refused naming the field.

use super::validate;
use super::CoreError;

/// Checks the shape of a referenced id (a UUID) before it is looked up, so a typo gets
/// "must be a UUID" rather than "not found".
pub fn id(field: &str, value: &str) -> Result<String, CoreError> {
    validate::uuid(field, value.trim())
}

/// The error for a reference to an entity that does not exist in the company, e.g.
/// `reportsTo: agent 5f… not found in this company`.
pub fn dangling(field: &str, entity: &str, id: &str) -> CoreError {
    CoreError::invalid(
        field,
        format!("{field}: {entity} {id} not found in this company"),
    )
}
