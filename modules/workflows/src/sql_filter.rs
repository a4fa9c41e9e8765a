//! `WHERE` clauses of list queries, built from fixed column names with every value a
//! parameter (`$1`, `$2`, …): values never become SQL text.

use serde_json::Value;

/// Conditions joined with `AND`, and their parameters.
#[derive(Debug, Default)]
pub struct Where {
    conditions: Vec<String>,
    /// The parameters, in placeholder order.
    pub args: Vec<Value>,
}

impl Where {
    /// Adds `value` as the next parameter; returns its placeholder.
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    /// `column = value`.
    pub fn eq(&mut self, column: &str, value: impl Into<Value>) {
        let placeholder = self.bind(value);
        self.conditions.push(format!("{column} = {placeholder}"));
    }

    /// `column IN (values…)`; an empty list matches nothing.
    pub fn one_of(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            self.conditions.push("1 = 0".into());
            return;
        }
        let placeholders: Vec<String> = values.iter().map(|v| self.bind(v.as_str())).collect();
        self.conditions
            .push(format!("{column} IN ({})", placeholders.join(", ")));
    }

    /// ` WHERE …`, or nothing without conditions.
    pub fn sql(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_bind_their_values() {
        let mut w = Where::default();
        assert_eq!(w.sql(), "");
        w.eq("hook", "issue:created");
        w.one_of("company_id", &["c1".into(), "c2".into()]);
        w.eq("enabled", true);
        assert_eq!(
            w.sql(),
            " WHERE hook = $1 AND company_id IN ($2, $3) AND enabled = $4"
        );
        assert_eq!(
            w.args,
            [
                json!("issue:created"),
                json!("c1"),
                json!("c2"),
                json!(true)
            ]
        );
        let mut none = Where::default();
        none.one_of("company_id", &[]);
        assert_eq!(none.sql(), " WHERE 1 = 0");
    }
}
