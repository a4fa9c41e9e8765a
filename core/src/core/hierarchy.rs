//! Trees inside a company — the org chart (`reportsTo`), goal parents, issue parents: checking
//! that a new parent link does not close a cycle, and naming the cycle when it would.

use super::CoreError;
use std::collections::HashSet;

/// One node of a tree as the cycle check sees it.
#[derive(Debug, Clone)]
pub struct TreeNode {
    /// The node's current parent.
    pub parent: Option<String>,
    /// How the node is named in an error message (e.g. an agent's name).
    pub label: String,
}

/// Deepest chain the check follows. Real trees are far shallower; the limit only bounds the
/// work if the stored data were already corrupt.
const MAX_DEPTH: usize = 10_000;

/// Fails with a validation error on `field` when making `new_parent` the parent of `child`
/// would close a cycle. `lookup` loads one node by id (one query per level: trees are shallow,
/// and only writes that change a parent link pay for it).
///
/// The message names the whole cycle, e.g.
/// `reportsTo: "Alice" cannot report to "Carol": that would form the cycle Alice → Carol → Bob → Alice`.
pub fn ensure_no_cycle(
    field: &str,
    relation: &str,
    child_id: &str,
    child_label: &str,
    new_parent: &str,
    mut lookup: impl FnMut(&str) -> Result<Option<TreeNode>, CoreError>,
) -> Result<(), CoreError> {
    let mut labels = vec![child_label.to_string()];
    let mut seen = HashSet::new();
    let mut current = Some(new_parent.to_string());
    while let Some(id) = current {
        if id == child_id {
            labels.push(child_label.to_string());
            let parent_label = &labels[1];
            return Err(CoreError::invalid(
                field,
                format!(
                    "{field}: \"{child_label}\" cannot {relation} \"{parent_label}\": that would form the cycle {}",
                    labels.join(" → ")
                ),
            ));
        }
        if !seen.insert(id.clone()) || seen.len() > MAX_DEPTH {
            // A loop that does not pass through `child` is pre-existing damage, not this write's
            // doing; stop walking instead of spinning.
            return Ok(());
        }
        match lookup(&id)? {
            Some(node) => {
                labels.push(node.label);
                current = node.parent;
            }
            None => return Ok(()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn tree(links: &[(&str, Option<&str>)]) -> HashMap<String, TreeNode> {
        links
            .iter()
            .map(|(id, parent)| {
                (
                    id.to_string(),
                    TreeNode {
                        parent: parent.map(String::from),
                        label: id.to_uppercase(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn names_the_cycle() {
        // a ← b ← c (c reports to b, b to a); making a report to c closes a → c → b → a.
        let nodes = tree(&[("a", None), ("b", Some("a")), ("c", Some("b"))]);
        let err = ensure_no_cycle("reportsTo", "report to", "a", "A", "c", |id| {
            Ok(nodes.get(id).cloned())
        })
        .unwrap_err();
        match err {
            CoreError::Validation { field, message } => {
                assert_eq!(field, "reportsTo");
                assert_eq!(
                    message,
                    "reportsTo: \"A\" cannot report to \"C\": that would form the cycle A → C → B → A"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn self_parent_is_a_cycle_and_a_sibling_is_not() {
        let nodes = tree(&[("a", None), ("b", Some("a")), ("c", Some("a"))]);
        let lookup = |id: &str| Ok(nodes.get(id).cloned());
        assert!(ensure_no_cycle("parentId", "have parent", "b", "B", "b", lookup).is_err());
        assert!(ensure_no_cycle("parentId", "have parent", "b", "B", "c", lookup).is_ok());
    }

    #[test]
    fn stops_on_pre_existing_loops() {
        let nodes = tree(&[("x", Some("y")), ("y", Some("x"))]);
        assert!(
            ensure_no_cycle("parentId", "have parent", "a", "A", "x", |id| Ok(nodes
                .get(id)
                .cloned()))
            .is_ok()
        );
    }
}
