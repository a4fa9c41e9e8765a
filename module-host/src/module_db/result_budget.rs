//! The result limit of one module statement: rows are counted (and their size estimated) as
//! they are read, and reading stops with an error at the first row past the limit, so a huge
//! result is never buffered.

use super::row_to_json::JsonRow;
use super::ModuleDbError;
use serde_json::Value;

/// What one result may still hold.
#[derive(Debug, Clone, Copy)]
pub(super) struct ResultBudget {
    max_rows: usize,
    max_bytes: usize,
    rows: usize,
    bytes: usize,
}

impl ResultBudget {
    /// A budget of `max_rows` rows and about `max_bytes` bytes of JSON.
    pub fn new(max_rows: usize, max_bytes: usize) -> ResultBudget {
        ResultBudget {
            max_rows,
            max_bytes,
            rows: 0,
            bytes: 0,
        }
    }

    /// Counts one more row; an error once the result is past the limit.
    pub fn admit(&mut self, row: &JsonRow) -> Result<(), ModuleDbError> {
        self.rows += 1;
        if self.rows > self.max_rows {
            return Err(ModuleDbError::ResultTooLarge(format!(
                "more than {} rows (modules.maxResultRows)",
                self.max_rows
            )));
        }
        self.bytes += row
            .iter()
            .map(|(name, value)| name.len() + 4 + json_size(value))
            .sum::<usize>()
            + 2;
        if self.bytes > self.max_bytes {
            return Err(ModuleDbError::ResultTooLarge(format!(
                "more than {} bytes (modules.maxResultBytes)",
                self.max_bytes
            )));
        }
        Ok(())
    }
}

/// About how many bytes `value` takes as JSON text.
fn json_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 20,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => items.iter().map(|v| json_size(v) + 1).sum::<usize>() + 2,
        Value::Object(map) => {
            map.iter()
                .map(|(k, v)| k.len() + 4 + json_size(v))
                .sum::<usize>()
                + 2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> JsonRow {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn rows_past_the_limit_are_refused() {
        let mut budget = ResultBudget::new(2, 1 << 20);
        assert!(budget.admit(&row(json!({"a": 1}))).is_ok());
        assert!(budget.admit(&row(json!({"a": 2}))).is_ok());
        let err = budget.admit(&row(json!({"a": 3}))).unwrap_err();
        assert!(err.to_string().contains("more than 2 rows"), "{err}");
    }

    #[test]
    fn bytes_past_the_limit_are_refused() {
        let mut budget = ResultBudget::new(100, 1000);
        let big = row(json!({"text": "x".repeat(600)}));
        assert!(budget.admit(&big).is_ok());
        let err = budget.admit(&big).unwrap_err();
        assert!(err.to_string().contains("more than 1000 bytes"), "{err}");
    }
}
