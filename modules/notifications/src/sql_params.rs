//! Numbered SQL parameters: values always travel as `$n` parameters; only fixed fragments are
//! put together as text.

use serde_json::Value;

/// Adds `value` to `params` and returns its placeholder (`$1`, `$2`, …).
pub fn bind(params: &mut Vec<Value>, value: impl Into<Value>) -> String {
    params.push(value.into());
    format!("${}", params.len())
}

/// `column IN ($a, $b, …)` for `values`, or a condition that is never true when there are none.
pub fn bind_in(params: &mut Vec<Value>, column: &str, values: &[String]) -> String {
    if values.is_empty() {
        return "1 = 0".into();
    }
    let placeholders: Vec<String> = values.iter().map(|v| bind(params, v.as_str())).collect();
    format!("{column} IN ({})", placeholders.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut params = vec![Value::from(1)];
        assert_eq!(bind(&mut params, "a"), "$2");
        let ids = ["x".to_string(), "y".to_string()];
        assert_eq!(
            bind_in(&mut params, "company_id", &ids),
            "company_id IN ($3, $4)"
        );
        assert_eq!(bind_in(&mut params, "company_id", &[]), "1 = 0");
        assert_eq!(params.len(), 4);
    }
}
