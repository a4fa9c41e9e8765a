//! A problem found in a template, located by a readable JSON path such as `agents[3].reportsTo`.

use serde::Serialize;
use serde_json::Value;
use std::cmp::Ordering;
use std::fmt;

/// The path shown for the document itself (a body that is not an object, not JSON at all).
pub const ROOT_PATH: &str = "(root)";

/// One thing wrong with a template: where (`path`) and what (`message`). Displayed as
/// `agents[3].reportsTo: unknown ref "cto"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// JSON path of the offending value, e.g. `agents[3].name`, or `(root)`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A JSON path under construction: `agents` + index 3 + `reportsTo` renders `agents[3].reportsTo`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath(String);

impl JsonPath {
    /// The document root.
    pub fn root() -> JsonPath {
        JsonPath::default()
    }

    /// The path of member `key` of the object at this path. Keys that are not plain
    /// identifiers are quoted (`metadata["a b"]`) so the path stays unambiguous.
    pub fn key(&self, key: &str) -> JsonPath {
        let plain = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && !key.starts_with(|c: char| c.is_ascii_digit());
        let mut path = self.0.clone();
        if plain {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
        } else {
            path.push('[');
            path.push_str(&Value::String(key.to_string()).to_string());
            path.push(']');
        }
        JsonPath(path)
    }

    /// The path of item `index` of the array at this path.
    pub fn index(&self, index: usize) -> JsonPath {
        JsonPath(format!("{}[{index}]", self.0))
    }

    /// Converts a JSON Pointer (`/agents/3/name`) into a path, walking `document` to tell array
    /// indices from object keys that happen to be digits.
    pub fn from_pointer(pointer: &str, document: &Value) -> JsonPath {
        let mut path = JsonPath::root();
        let mut current = Some(document);
        for raw in pointer.split('/').skip(1) {
            let segment = raw.replace("~1", "/").replace("~0", "~");
            match (current, segment.parse::<usize>()) {
                (Some(Value::Array(items)), Ok(index)) => {
                    path = path.index(index);
                    current = items.get(index);
                }
                (Some(Value::Object(map)), _) => {
                    current = map.get(&segment);
                    path = path.key(&segment);
                }
                _ => {
                    path = path.key(&segment);
                    current = None;
                }
            }
        }
        path
    }

    /// A problem at this path.
    pub fn problem(&self, message: impl Into<String>) -> Problem {
        Problem::new(self.to_string(), message)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(ROOT_PATH)
        } else {
            f.write_str(&self.0)
        }
    }
}

/// Sorts problems by path in document order (`agents[2]` before `agents[10]`, the root first)
/// and drops exact duplicates, so a report reads top to bottom.
pub fn sort_problems(problems: &mut Vec<Problem>) {
    problems.sort_by(|a, b| {
        let root_first = (a.path != ROOT_PATH).cmp(&(b.path != ROOT_PATH));
        root_first
            .then_with(|| natural_cmp(&a.path, &b.path))
            .then_with(|| a.message.cmp(&b.message))
    });
    problems.dedup();
}

/// Compares strings with runs of digits compared as numbers.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (trim_zeros(&a[..da]), trim_zeros(&b[..db]));
                let order = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if order != Ordering::Equal {
                    return order;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|d| *d != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_become_readable_paths() {
        let doc = json!({"agents": [{"metadata": {"0": {"a b": 1}}}]});
        assert_eq!(
            JsonPath::from_pointer("/agents/0/metadata/0/a b", &doc).to_string(),
            "agents[0].metadata[\"0\"][\"a b\"]"
        );
        assert_eq!(JsonPath::from_pointer("", &doc).to_string(), ROOT_PATH);
        assert_eq!(
            JsonPath::from_pointer("/agents/7/name", &doc).to_string(),
            "agents[7].name"
        );
    }

    #[test]
    fn problems_sort_in_document_order() {
        let mut problems = vec![
            Problem::new("agents[10].name", "x"),
            Problem::new("agents[2].name", "x"),
            Problem::new(ROOT_PATH, "x"),
            Problem::new("agents[2].name", "x"),
            Problem::new("agents[2].budgetCents", "x"),
        ];
        sort_problems(&mut problems);
        let paths: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                ROOT_PATH,
                "agents[2].budgetCents",
                "agents[2].name",
                "agents[10].name"
            ]
        );
    }
}
