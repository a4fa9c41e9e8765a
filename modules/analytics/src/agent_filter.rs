//! The optional `AND agent_id = $n` of a series query.

use crate::scope::Scope;
use serde_json::Value;

/// `" AND <column> = $n"` with the scope's agent bound as the next parameter, or `""` for a
/// company-wide scope. `column` is a fixed name chosen by the caller, never request text.
pub fn agent_clause(scope: &Scope, column: &str, params: &mut Vec<Value>) -> String {
    match scope.agent_id() {
        Some(agent_id) => {
            params.push(Value::from(agent_id));
            format!(" AND {column} = ${}", params.len())
        }
        None => String::new(),
    }
}
