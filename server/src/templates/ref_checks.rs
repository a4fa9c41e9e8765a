//! The cross-reference checks of a template that a JSON Schema cannot express: refs unique per
//! kind, every `…Ref` naming an existing entity of the right kind, and no cycles in
//! `reportsTo` (agents) or `parentRef` (goals, issues).
//!
//! The checks read the raw JSON leniently (a value of the wrong type is the schema's problem
//! and is skipped here), so that a template with both a type error and a dangling ref gets
//! both reported in one go.

use super::problem::{JsonPath, Problem};
use serde_json::Value;
use std::collections::HashMap;

/// One kind of entity and how its refs are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Agent,
    Goal,
    Project,
    Issue,
}

impl Kind {
    /// The top-level array holding this kind.
    fn list(self) -> &'static str {
        match self {
            Kind::Agent => "agents",
            Kind::Goal => "goals",
            Kind::Project => "projects",
            Kind::Issue => "issues",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Agent => "agent",
            Kind::Goal => "goal",
            Kind::Project => "project",
            Kind::Issue => "issue",
        }
    }
}

/// The reference fields of each kind: (entity kind, field, kind it points to).
const LINKS: &[(Kind, &str, Kind)] = &[
    (Kind::Agent, "reportsTo", Kind::Agent),
    (Kind::Goal, "parentRef", Kind::Goal),
    (Kind::Goal, "ownerRef", Kind::Agent),
    (Kind::Project, "goalRef", Kind::Goal),
    (Kind::Issue, "parentRef", Kind::Issue),
    (Kind::Issue, "projectRef", Kind::Project),
    (Kind::Issue, "assigneeRef", Kind::Agent),
    (Kind::Issue, "goalRef", Kind::Goal),
];

/// The tree-forming links, checked for cycles.
const TREES: &[(Kind, &str)] = &[
    (Kind::Agent, "reportsTo"),
    (Kind::Goal, "parentRef"),
    (Kind::Issue, "parentRef"),
];

/// The refs of one kind: ref → index of its first declaration.
struct RefTable<'a> {
    first: HashMap<&'a str, usize>,
}

/// Every duplicate, dangling and cyclic reference in `document`.
pub fn ref_problems(document: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let tables: Vec<(Kind, RefTable<'_>)> = [Kind::Agent, Kind::Goal, Kind::Project, Kind::Issue]
        .into_iter()
        .map(|kind| (kind, collect_refs(document, kind, &mut problems)))
        .collect();
    let table = |kind: Kind| {
        &tables
            .iter()
            .find(|(k, _)| *k == kind)
            .expect("a table per kind")
            .1
    };
    for &(kind, field, target) in LINKS {
        for (index, entity) in items(document, kind) {
            if let Some(name) = entity.get(field).and_then(Value::as_str) {
                if !table(target).first.contains_key(name) {
                    let hint = if kind == target {
                        format!("no other {} has it", target.noun())
                    } else {
                        format!("no {} has it", target.noun())
                    };
                    problems.push(
                        JsonPath::root()
                            .key(kind.list())
                            .index(index)
                            .key(field)
                            .problem(format!("unknown ref \"{name}\" ({hint})")),
                    );
                }
            }
        }
    }
    for &(kind, field) in TREES {
        problems.extend(cycle_problems(document, kind, field, table(kind)));
    }
    problems
}

/// The entities of one kind that are objects, with their index.
fn items(document: &Value, kind: Kind) -> impl Iterator<Item = (usize, &Value)> {
    document
        .get(kind.list())
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, item)| item.is_object())
}

/// Collects the refs of `kind`, reporting each one declared twice.
fn collect_refs<'a>(document: &'a Value, kind: Kind, problems: &mut Vec<Problem>) -> RefTable<'a> {
    let mut first = HashMap::new();
    for (index, entity) in items(document, kind) {
        let Some(name) = entity.get("ref").and_then(Value::as_str) else {
            continue;
        };
        if let Some(earlier) = first.get(name) {
            problems.push(
                JsonPath::root()
                    .key(kind.list())
                    .index(index)
                    .key("ref")
                    .problem(format!(
                        "duplicate ref \"{name}\" (already used by {}[{earlier}])",
                        kind.list()
                    )),
            );
        } else {
            first.insert(name, index);
        }
    }
    RefTable { first }
}

/// Reports each cycle of the `field` links among entities of `kind` once, at the member that
/// comes first in the document, naming the whole cycle: `a -> b -> a`.
fn cycle_problems(document: &Value, kind: Kind, field: &str, refs: &RefTable<'_>) -> Vec<Problem> {
    let list: Vec<&Value> = document
        .get(kind.list())
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    // parent[i] = index of the entity named by entity i's link, when it resolves. Only the
    // first declaration of a duplicated ref takes part (duplicates are reported elsewhere).
    let parent: Vec<Option<usize>> = list
        .iter()
        .enumerate()
        .map(|(index, entity)| {
            let own = entity.get("ref").and_then(Value::as_str)?;
            if refs.first.get(own) != Some(&index) {
                return None;
            }
            let target = entity.get(field).and_then(Value::as_str)?;
            refs.first.get(target).copied()
        })
        .collect();
    let name = |i: usize| list[i].get("ref").and_then(Value::as_str).unwrap_or("?");

    // 0 = unvisited, 1 = on the current walk, 2 = done. Each node has at most one parent, so
    // a walk is a single chain and each cycle is met exactly once.
    let mut state = vec![0u8; list.len()];
    let mut problems = Vec::new();
    for start in 0..list.len() {
        let mut walk = Vec::new();
        let mut current = Some(start);
        while let Some(node) = current {
            match state[node] {
                0 => {
                    state[node] = 1;
                    walk.push(node);
                    current = parent[node];
                }
                1 => {
                    let from = walk.iter().position(|&n| n == node).unwrap_or(0);
                    let cycle = &walk[from..];
                    let lowest = cycle
                        .iter()
                        .position(|&n| n == *cycle.iter().min().unwrap_or(&node))
                        .unwrap_or(0);
                    let mut names: Vec<&str> = cycle[lowest..]
                        .iter()
                        .chain(&cycle[..lowest])
                        .map(|&n| name(n))
                        .collect();
                    names.push(name(cycle[lowest]));
                    problems.push(
                        JsonPath::root()
                            .key(kind.list())
                            .index(cycle[lowest])
                            .key(field)
                            .problem(format!("cycle in {field}: {}", names.join(" -> "))),
                    );
                    break;
                }
                _ => break,
            }
        }
        for node in walk {
            state[node] = 2;
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn found(document: Value) -> Vec<String> {
        let mut problems = ref_problems(&document);
        crate::templates::problem::sort_problems(&mut problems);
        problems.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_consistent_template_has_no_problems() {
        let document = json!({
            "agents": [{"ref": "ceo"}, {"ref": "cto", "reportsTo": "ceo"}],
            "goals": [{"ref": "g1", "ownerRef": "ceo"}, {"ref": "g2", "parentRef": "g1"}],
            "projects": [{"ref": "p", "goalRef": "g2"}],
            "issues": [
                {"ref": "i1", "projectRef": "p", "assigneeRef": "cto", "goalRef": "g1"},
                {"parentRef": "i1"}
            ]
        });
        assert!(found(document).is_empty());
    }

    #[test]
    fn duplicates_are_per_kind() {
        let document = json!({
            "agents": [{"ref": "x"}, {"ref": "y"}, {"ref": "x"}],
            "goals": [{"ref": "x"}]
        });
        assert_eq!(
            found(document),
            ["agents[2].ref: duplicate ref \"x\" (already used by agents[0])"]
        );
    }

    #[test]
    fn dangling_refs_name_the_missing_kind() {
        let document = json!({
            "agents": [{"ref": "a", "reportsTo": "cto"}],
            "goals": [{"ref": "g", "ownerRef": "g"}],
            "issues": [{"goalRef": "a"}]
        });
        assert_eq!(
            found(document),
            [
                "agents[0].reportsTo: unknown ref \"cto\" (no other agent has it)",
                "goals[0].ownerRef: unknown ref \"g\" (no agent has it)",
                "issues[0].goalRef: unknown ref \"a\" (no goal has it)",
            ]
        );
    }

    #[test]
    fn cycles_are_named_once_from_their_first_member() {
        let document = json!({
            "agents": [
                {"ref": "root"},
                {"ref": "b", "reportsTo": "c"},
                {"ref": "c", "reportsTo": "d"},
                {"ref": "d", "reportsTo": "b"},
                {"ref": "tail", "reportsTo": "c"},
                {"ref": "self", "reportsTo": "self"}
            ],
            "goals": [{"ref": "g1", "parentRef": "g2"}, {"ref": "g2", "parentRef": "g1"}]
        });
        assert_eq!(
            found(document),
            [
                "agents[1].reportsTo: cycle in reportsTo: b -> c -> d -> b",
                "agents[5].reportsTo: cycle in reportsTo: self -> self",
                "goals[0].parentRef: cycle in parentRef: g1 -> g2 -> g1",
            ]
        );
    }

    #[test]
    fn values_of_the_wrong_type_are_left_to_the_schema() {
        let document = json!({"agents": [{"ref": 1, "reportsTo": 2}, "x"], "goals": {}});
        assert!(found(document).is_empty());
    }
}
