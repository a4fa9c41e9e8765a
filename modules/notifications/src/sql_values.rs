//! Column values whose JSON differs between the backends.

use serde::{Deserialize, Deserializer};

/// A `BOOLEAN` column: PostgreSQL answers `true`/`false`, SQLite stores `1`/`0`.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum SqlBool {
        Bool(bool),
        Int(i64),
    }
    Ok(match SqlBool::deserialize(d)? {
        SqlBool::Bool(b) => b,
        SqlBool::Int(i) => i != 0,
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Flag {
        #[serde(deserialize_with = "super::boolean")]
        on: bool,
    }

    #[test]
    fn both_spellings_read() {
        for (value, expected) in [(json!(true), true), (json!(0), false), (json!(1), true)] {
            let flag: Flag = serde_json::from_value(json!({ "on": value })).unwrap();
            assert_eq!(flag.on, expected);
        }
    }
}
