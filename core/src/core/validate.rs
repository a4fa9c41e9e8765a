//! Small input checks shared by the core entities; each error names the JSON field.

use super::CoreError;

/// A required text field: trimmed, non-empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, CoreError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CoreError::invalid(
            field,
            format!("{field} must not be empty"),
        ));
    }
    if trimmed.chars().count() > max {
        return Err(CoreError::invalid(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(trimmed.to_string())
}

/// An optional text field: `None` stays `None`, blank becomes `None`.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, CoreError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(CoreError::invalid(
            field,
            format!("{field} must be at most {max} characters"),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// A value that must be one of `allowed`.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, CoreError> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(CoreError::invalid(
            field,
            format!(
                "{field} must be one of {}, got \"{value}\"",
                allowed.join(", ")
            ),
        ))
    }
}

/// An id that must be a UUID string.
pub fn uuid(field: &str, value: &str) -> Result<String, CoreError> {
    uuid::Uuid::parse_str(value)
        .map(|u| u.to_string())
        .map_err(|_| CoreError::invalid(field, format!("{field} must be a UUID, got \"{value}\"")))
}

/// A money amount in cents that must not be negative.
pub fn non_negative_cents(field: &str, value: i64) -> Result<i64, CoreError> {
    if value < 0 {
        Err(CoreError::invalid(
            field,
            format!("{field} must not be negative"),
        ))
    } else {
        Ok(value)
    }
}

/// A fresh id: a UUID v7 string. Its leading bits are the creation time and ids made by this
/// process sort in creation order, so lists ordered "newest first" by `(created_at, id)` stay
/// in insertion order even for rows written within the same millisecond.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
