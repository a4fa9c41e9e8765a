//! Insertion order for trees (`reportsTo`, `parentRef`): every parent before its children,
//! so each row's foreign key points at a row that is already inserted (or in the same
//! statement).

/// The indices `0..parents.len()` ordered by depth in the forest given by `parents`
/// (`parents[i]` = index of i's parent), keeping document order within one depth.
///
/// The links must form a forest (validation has refused cycles); a cycle would only make
/// the walk stop at the already visited node, never loop.
pub fn parents_first(parents: &[Option<usize>]) -> Vec<usize> {
    let mut depth: Vec<Option<usize>> = vec![None; parents.len()];
    let mut on_chain = vec![false; parents.len()];
    let mut chain = Vec::new();
    for start in 0..parents.len() {
        // Walk up until a node of known depth (or a root), then assign depths on the way down.
        // Iterative, so a chain of thousands of managers cannot overflow the stack.
        let mut node = start;
        let mut base = loop {
            if let Some(d) = depth[node] {
                break d + 1;
            }
            if on_chain[node] {
                break 0;
            }
            on_chain[node] = true;
            chain.push(node);
            match parents[node] {
                Some(parent) => node = parent,
                None => break 0,
            }
        };
        while let Some(node) = chain.pop() {
            on_chain[node] = false;
            depth[node] = Some(base);
            base += 1;
        }
    }
    let mut order: Vec<usize> = (0..parents.len()).collect();
    order.sort_by_key(|&i| depth[i].unwrap_or(0));
    order
}

#[cfg(test)]
mod tests {
    use super::parents_first;

    fn check(parents: &[Option<usize>]) -> Vec<usize> {
        let order = parents_first(parents);
        let position: Vec<usize> = {
            let mut p = vec![0; order.len()];
            for (at, &i) in order.iter().enumerate() {
                p[i] = at;
            }
            p
        };
        for (child, parent) in parents.iter().enumerate() {
            if let Some(parent) = parent {
                assert!(
                    position[*parent] < position[child],
                    "{parents:?} → {order:?}"
                );
            }
        }
        order
    }

    #[test]
    fn parents_come_first_and_document_order_is_kept() {
        assert_eq!(check(&[Some(2), None, Some(1), Some(0)]), [1, 2, 0, 3]);
        assert_eq!(check(&[None, None, Some(0)]), [0, 1, 2]);
    }

    #[test]
    fn deep_chains_do_not_recurse() {
        // 0 ← 1 ← 2 ← … declared leaf first.
        let n = 50_000;
        let parents: Vec<Option<usize>> = (0..n).map(|i| (i + 1 < n).then_some(i + 1)).collect();
        let order = check(&parents);
        assert_eq!(order[0], n - 1);
    }
}
