//! Deciding which of the enabled modules load, and in which order: slot, route-prefix and
//! table-prefix conflicts (the earlier claimant keeps the slot), then `requires.modules` (missing, inactive
//! or wrong-version dependencies, cycles), then a dependency-first order. Pure: no I/O.
//!
//! Claim order: a module with a saved `enable_order` claims before one without (lower order
//! first); then the position in the config's `modules.enabled`; then the bundle folder name.

use super::module_status::{ModuleStatus, StatusReason};
use super::sql_guard::{table_prefix_for, table_prefixes_overlap};
use semver::{Version, VersionReq};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// A module that may load: enabled, manifest valid, core compatible, library loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCandidate {
    /// Module id.
    pub id: String,
    /// Its version (checked against dependents' ranges).
    pub version: Version,
    /// Exclusive slot, if any.
    pub slot: Option<String>,
    /// Route prefix (without the leading `/`), if any.
    pub route_prefix: Option<String>,
    /// Required modules and their version ranges.
    pub requires: BTreeMap<String, VersionReq>,
}

/// A module that will not load in this plan, known only so that a dependency on it is reported
/// precisely ("requires `x`, which is disabled").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bystander {
    /// Module id.
    pub id: String,
    /// Its version, when its manifest could be read.
    pub version: Option<Version>,
    /// Why it does not load, as a phrase: "is disabled", "failed to load (…)".
    pub why: String,
}

/// Outcome of planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadPlan {
    /// Modules to load, dependencies before dependents.
    pub order: Vec<String>,
    /// Modules that will not load, with their status and reason, in claim order.
    pub rejected: Vec<(String, StatusReason)>,
}

/// Where a module stands in the claim order; smaller claims first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClaimRank {
    /// `(false, order)` for a saved enable order, `(true, 0)` for none: saved orders first.
    saved: (bool, i64),
    /// Position in `modules.enabled`, `usize::MAX` when not listed.
    config_index: usize,
    /// Bundle folder name.
    folder: String,
}

impl ClaimRank {
    /// The rank of a module from its saved enable order, its position in the config's
    /// `modules.enabled` and its folder name.
    pub fn new(saved_order: Option<i64>, config_index: Option<usize>, folder: &str) -> ClaimRank {
        ClaimRank {
            saved: match saved_order {
                Some(order) => (false, order),
                None => (true, 0),
            },
            config_index: config_index.unwrap_or(usize::MAX),
            folder: folder.to_string(),
        }
    }
}

/// Plans loading `candidates` (given in claim order) next to the `active` modules, which
/// already hold their slots and prefixes and satisfy dependencies. `bystanders` are the other
/// known modules.
pub fn plan_load(
    active: &[PlanCandidate],
    candidates: &[PlanCandidate],
    bystanders: &[Bystander],
) -> LoadPlan {
    let mut rejected: HashMap<&str, StatusReason> = HashMap::new();

    // 1. Slots and route prefixes: first claimant wins; active modules claimed before anyone.
    let mut slot_holders: HashMap<&str, &str> = HashMap::new();
    let mut prefix_holders: HashMap<&str, &str> = HashMap::new();
    let mut table_holders: Vec<&str> = Vec::new();
    for module in active {
        table_holders.push(&module.id);
        if let Some(slot) = &module.slot {
            slot_holders.insert(slot, &module.id);
        }
        if let Some(prefix) = &module.route_prefix {
            prefix_holders.insert(prefix, &module.id);
        }
    }
    for module in candidates {
        let slot_holder = module.slot.as_deref().and_then(|s| slot_holders.get(s));
        let prefix_holder = module
            .route_prefix
            .as_deref()
            .and_then(|p| prefix_holders.get(p));
        // Table prefixes: `foo` owns `mod_foo_*`, which would cover `foo-bar`'s
        // `mod_foo_bar_*`; `foo_bar` and `foo-bar` would share `mod_foo_bar_*`.
        let table_holder = table_holders
            .iter()
            .find(|holder| table_prefixes_overlap(holder, &module.id));
        let conflict = match (slot_holder, prefix_holder, table_holder) {
            (Some(holder), _, _) => Some(format!(
                "slot `{}` is held by module `{holder}`",
                module.slot.as_deref().unwrap_or_default()
            )),
            (None, Some(holder), _) => Some(format!(
                "route prefix `/{}` is used by module `{holder}`",
                module.route_prefix.as_deref().unwrap_or_default()
            )),
            (None, None, Some(holder)) => Some(format!(
                "its table prefix `{}` overlaps `{}` of module `{holder}` (one module's \
                 tables would be the other's); rename one of the modules",
                table_prefix_for(&module.id),
                table_prefix_for(holder)
            )),
            (None, None, None) => None,
        };
        match conflict {
            Some(reason) => {
                rejected.insert(
                    &module.id,
                    StatusReason::new(ModuleStatus::Conflict, reason),
                );
            }
            None => {
                table_holders.push(&module.id);
                if let Some(slot) = &module.slot {
                    slot_holders.insert(slot, &module.id);
                }
                if let Some(prefix) = &module.route_prefix {
                    prefix_holders.insert(prefix, &module.id);
                }
            }
        }
    }

    // 2. Dependencies, until no more modules fall out (a module whose dependency fell out
    //    falls out too).
    let active_by_id: HashMap<&str, &PlanCandidate> =
        active.iter().map(|m| (m.id.as_str(), m)).collect();
    let candidate_by_id: HashMap<&str, &PlanCandidate> =
        candidates.iter().map(|m| (m.id.as_str(), m)).collect();
    let bystander_by_id: HashMap<&str, &Bystander> =
        bystanders.iter().map(|m| (m.id.as_str(), m)).collect();
    loop {
        let mut fallen = Vec::new();
        for module in candidates {
            if rejected.contains_key(module.id.as_str()) {
                continue;
            }
            let problem = module.requires.iter().find_map(|(dep, range)| {
                dependency_problem(
                    dep,
                    range,
                    &active_by_id,
                    &candidate_by_id,
                    &bystander_by_id,
                    &rejected,
                )
            });
            if let Some(problem) = problem {
                fallen.push((module.id.as_str(), problem));
            }
        }
        if fallen.is_empty() {
            break;
        }
        rejected.extend(fallen);
    }

    // 3. Dependency-first order, stable in claim order; what cannot be ordered is in or behind
    //    a cycle.
    let alive: Vec<&PlanCandidate> = candidates
        .iter()
        .filter(|m| !rejected.contains_key(m.id.as_str()))
        .collect();
    let mut placed: HashSet<&str> = HashSet::new();
    let mut order = Vec::new();
    loop {
        let next = alive.iter().find(|m| {
            !placed.contains(m.id.as_str())
                && m.requires.keys().all(|dep| {
                    placed.contains(dep.as_str()) || active_by_id.contains_key(dep.as_str())
                })
        });
        match next {
            Some(module) => {
                placed.insert(&module.id);
                order.push(module.id.clone());
            }
            None => break,
        }
    }
    let stuck: Vec<&PlanCandidate> = alive
        .iter()
        .copied()
        .filter(|m| !placed.contains(m.id.as_str()))
        .collect();
    let stuck_ids: HashSet<&str> = stuck.iter().map(|m| m.id.as_str()).collect();
    for module in &stuck {
        let reason = match find_cycle(&module.id, &candidate_by_id, &stuck_ids) {
            Some(cycle) => format!("dependency cycle: {}", cycle.join(" → ")),
            None => {
                let dep = module
                    .requires
                    .keys()
                    .find(|d| stuck_ids.contains(d.as_str()))
                    .map(String::as_str)
                    .unwrap_or_default();
                format!("requires module `{dep}`, which is in a dependency cycle")
            }
        };
        rejected.insert(&module.id, StatusReason::new(ModuleStatus::Failed, reason));
    }

    let rejected = candidates
        .iter()
        .filter_map(|m| {
            rejected
                .get(m.id.as_str())
                .map(|r| (m.id.clone(), r.clone()))
        })
        .collect();
    LoadPlan { order, rejected }
}

/// What keeps `dep` (required in `range`) from satisfying a dependent, if anything.
fn dependency_problem(
    dep: &str,
    range: &VersionReq,
    active: &HashMap<&str, &PlanCandidate>,
    candidates: &HashMap<&str, &PlanCandidate>,
    bystanders: &HashMap<&str, &Bystander>,
    rejected: &HashMap<&str, StatusReason>,
) -> Option<StatusReason> {
    let mismatch = |version: &Version, state: &str| {
        StatusReason::new(
            ModuleStatus::Incompatible,
            format!("requires module `{dep}` {range}, but version {version} is {state}"),
        )
    };
    if let Some(module) = active.get(dep) {
        return (!range.matches(&module.version)).then(|| mismatch(&module.version, "active"));
    }
    if let Some(module) = candidates.get(dep) {
        if let Some(why) = rejected.get(dep) {
            return Some(StatusReason::new(
                ModuleStatus::Failed,
                format!("requires module `{dep}`, which cannot load ({why})"),
            ));
        }
        return (!range.matches(&module.version)).then(|| mismatch(&module.version, "installed"));
    }
    if let Some(module) = bystanders.get(dep) {
        if let Some(version) = module.version.as_ref().filter(|v| !range.matches(v)) {
            return Some(mismatch(version, "installed"));
        }
        return Some(StatusReason::new(
            ModuleStatus::Failed,
            format!("requires module `{dep}`, which {}", module.why),
        ));
    }
    Some(StatusReason::new(
        ModuleStatus::Failed,
        format!("requires module `{dep}`, which is not installed"),
    ))
}

/// The shortest dependency path from `start` back to itself through `stuck` modules, as ids
/// (`[a, b, a]`), if `start` is on a cycle.
fn find_cycle(
    start: &str,
    modules: &HashMap<&str, &PlanCandidate>,
    stuck: &HashSet<&str>,
) -> Option<Vec<String>> {
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut queue: VecDeque<&str> = VecDeque::from([start]);
    while let Some(current) = queue.pop_front() {
        let Some(module) = modules.get(current) else {
            continue;
        };
        for dep in module.requires.keys() {
            let dep = dep.as_str();
            if !stuck.contains(dep) {
                continue;
            }
            if dep == start {
                // Walk back from `current` to `start`, then read it forwards and close the loop.
                let mut cycle = vec![current.to_string()];
                let mut at = current;
                while at != start {
                    at = came_from[at];
                    cycle.push(at.to_string());
                }
                cycle.reverse();
                cycle.push(start.to_string());
                return Some(cycle);
            }
            if !came_from.contains_key(dep) {
                came_from.insert(dep, current);
                queue.push_back(dep);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(id: &str) -> PlanCandidate {
        PlanCandidate {
            id: id.to_string(),
            version: Version::new(1, 0, 0),
            slot: None,
            route_prefix: None,
            requires: BTreeMap::new(),
        }
    }

    fn with_slot(mut m: PlanCandidate, slot: &str) -> PlanCandidate {
        m.slot = Some(slot.to_string());
        m
    }

    fn with_prefix(mut m: PlanCandidate, prefix: &str) -> PlanCandidate {
        m.route_prefix = Some(prefix.to_string());
        m
    }

    fn requiring(mut m: PlanCandidate, dep: &str, range: &str) -> PlanCandidate {
        m.requires
            .insert(dep.to_string(), VersionReq::parse(range).unwrap());
        m
    }

    fn versioned(mut m: PlanCandidate, version: &str) -> PlanCandidate {
        m.version = Version::parse(version).unwrap();
        m
    }

    fn reason_of<'a>(plan: &'a LoadPlan, id: &str) -> &'a StatusReason {
        &plan
            .rejected
            .iter()
            .find(|(m, _)| m == id)
            .unwrap_or_else(|| panic!("{id} not rejected in {plan:?}"))
            .1
    }

    #[test]
    fn independent_modules_load_in_claim_order() {
        let plan = plan_load(&[], &[module("b"), module("a"), module("c")], &[]);
        assert_eq!(plan.order, vec!["b", "a", "c"]);
        assert!(plan.rejected.is_empty());
    }

    #[test]
    fn the_first_claimant_keeps_the_slot_and_the_other_is_told_who_holds_it() {
        let plan = plan_load(
            &[],
            &[
                with_slot(module("first"), "observability"),
                with_slot(module("second"), "observability"),
                with_slot(module("other"), "notifications"),
            ],
            &[],
        );
        assert_eq!(plan.order, vec!["first", "other"]);
        assert_eq!(
            reason_of(&plan, "second"),
            &StatusReason::new(
                ModuleStatus::Conflict,
                "slot `observability` is held by module `first`"
            )
        );
    }

    #[test]
    fn route_prefixes_conflict_like_slots() {
        let plan = plan_load(
            &[],
            &[
                with_prefix(module("a"), "metrics"),
                with_prefix(module("b"), "metrics"),
            ],
            &[],
        );
        assert_eq!(plan.order, vec!["a"]);
        assert_eq!(
            reason_of(&plan, "b").reason,
            "route prefix `/metrics` is used by module `a`"
        );
    }

    #[test]
    fn overlapping_table_prefixes_conflict_and_the_later_module_is_told_who_holds_them() {
        let plan = plan_load(
            &[],
            &[
                module("foo"),
                module("foo-bar"),
                module("foo_bar"),
                module("food"),
            ],
            &[],
        );
        assert_eq!(plan.order, vec!["foo", "food"]);
        assert_eq!(
            reason_of(&plan, "foo-bar"),
            &StatusReason::new(
                ModuleStatus::Conflict,
                "its table prefix `mod_foo_bar_` overlaps `mod_foo_` of module `foo` (one \
                 module's tables would be the other's); rename one of the modules"
            )
        );
        assert!(reason_of(&plan, "foo_bar")
            .reason
            .contains("of module `foo`"));
    }

    #[test]
    fn the_same_table_prefix_spelled_differently_conflicts() {
        let plan = plan_load(&[], &[module("foo_bar"), module("Foo-Bar")], &[]);
        assert_eq!(plan.order, vec!["foo_bar"]);
        assert!(reason_of(&plan, "Foo-Bar")
            .reason
            .contains("`mod_foo_bar_` overlaps `mod_foo_bar_` of module `foo_bar`"));
    }

    #[test]
    fn an_active_module_holds_its_table_prefix_against_a_newcomer() {
        // The longer id came first: the shorter one, whose prefix covers it, is refused.
        let plan = plan_load(&[module("foo-bar")], &[module("foo")], &[]);
        assert!(plan.order.is_empty());
        assert_eq!(reason_of(&plan, "foo").status, ModuleStatus::Conflict);
        assert!(reason_of(&plan, "foo").reason.contains("module `foo-bar`"));
    }

    #[test]
    fn active_modules_hold_their_claims_against_newcomers() {
        let holder = with_slot(module("holder"), "s");
        let plan = plan_load(&[holder], &[with_slot(module("newcomer"), "s")], &[]);
        assert!(plan.order.is_empty());
        assert_eq!(
            reason_of(&plan, "newcomer").reason,
            "slot `s` is held by module `holder`"
        );
    }

    #[test]
    fn dependencies_load_first_whatever_the_claim_order() {
        let plan = plan_load(
            &[],
            &[
                requiring(module("app"), "lib", "^1"),
                requiring(module("lib"), "base", ">=1.0.0"),
                module("base"),
                module("solo"),
            ],
            &[],
        );
        assert_eq!(plan.order, vec!["base", "lib", "app", "solo"]);
    }

    #[test]
    fn an_active_module_satisfies_a_dependency() {
        let plan = plan_load(
            &[module("base")],
            &[requiring(module("app"), "base", "1")],
            &[],
        );
        assert_eq!(plan.order, vec!["app"]);
    }

    #[test]
    fn missing_and_inactive_dependencies_are_named() {
        let plan = plan_load(
            &[],
            &[
                requiring(module("a"), "ghost", "*"),
                requiring(module("b"), "off", "*"),
            ],
            &[Bystander {
                id: "off".into(),
                version: Some(Version::new(1, 0, 0)),
                why: "is disabled".into(),
            }],
        );
        assert!(plan.order.is_empty());
        assert_eq!(
            reason_of(&plan, "a"),
            &StatusReason::new(
                ModuleStatus::Failed,
                "requires module `ghost`, which is not installed"
            )
        );
        assert_eq!(
            reason_of(&plan, "b").reason,
            "requires module `off`, which is disabled"
        );
    }

    #[test]
    fn a_version_mismatch_is_incompatible() {
        let plan = plan_load(
            &[],
            &[
                versioned(module("lib"), "1.4.0"),
                requiring(module("app"), "lib", "^2"),
            ],
            &[],
        );
        assert_eq!(plan.order, vec!["lib"]);
        assert_eq!(
            reason_of(&plan, "app"),
            &StatusReason::new(
                ModuleStatus::Incompatible,
                "requires module `lib` ^2, but version 1.4.0 is installed"
            )
        );
    }

    #[test]
    fn losing_a_dependency_to_a_conflict_fails_the_dependents_in_a_chain() {
        let plan = plan_load(
            &[],
            &[
                with_slot(module("holder"), "s"),
                with_slot(module("loser"), "s"),
                requiring(module("mid"), "loser", "*"),
                requiring(module("top"), "mid", "*"),
            ],
            &[],
        );
        assert_eq!(plan.order, vec!["holder"]);
        assert_eq!(reason_of(&plan, "loser").status, ModuleStatus::Conflict);
        assert_eq!(
            reason_of(&plan, "mid").reason,
            "requires module `loser`, which cannot load (conflict: slot `s` is held by module `holder`)"
        );
        assert_eq!(reason_of(&plan, "top").status, ModuleStatus::Failed);
        assert!(reason_of(&plan, "top")
            .reason
            .starts_with("requires module `mid`"));
        // Rejections come in claim order.
        let ids: Vec<&str> = plan.rejected.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, vec!["loser", "mid", "top"]);
    }

    #[test]
    fn a_cycle_is_named_and_what_depends_on_it_is_told() {
        let plan = plan_load(
            &[],
            &[
                requiring(module("a"), "b", "*"),
                requiring(module("b"), "c", "*"),
                requiring(module("c"), "a", "*"),
                requiring(module("d"), "a", "*"),
                module("free"),
            ],
            &[],
        );
        assert_eq!(plan.order, vec!["free"]);
        assert_eq!(
            reason_of(&plan, "a"),
            &StatusReason::new(ModuleStatus::Failed, "dependency cycle: a → b → c → a")
        );
        assert_eq!(
            reason_of(&plan, "b").reason,
            "dependency cycle: b → c → a → b"
        );
        assert_eq!(
            reason_of(&plan, "d").reason,
            "requires module `a`, which is in a dependency cycle"
        );
    }

    #[test]
    fn a_two_module_cycle() {
        let plan = plan_load(
            &[],
            &[
                requiring(module("x"), "y", "*"),
                requiring(module("y"), "x", "*"),
            ],
            &[],
        );
        assert!(plan.order.is_empty());
        assert_eq!(reason_of(&plan, "x").reason, "dependency cycle: x → y → x");
        assert_eq!(reason_of(&plan, "y").reason, "dependency cycle: y → x → y");
    }

    #[test]
    fn claim_ranks_put_saved_orders_first_then_config_then_folders() {
        let mut ranks = [
            ClaimRank::new(None, None, "a-folder"),
            ClaimRank::new(None, Some(1), "z"),
            ClaimRank::new(Some(7), None, "m"),
            ClaimRank::new(None, Some(0), "y"),
            ClaimRank::new(Some(2), Some(5), "q"),
            ClaimRank::new(None, None, "0-folder"),
        ];
        ranks.sort();
        let folders: Vec<&str> = ranks.iter().map(|r| r.folder.as_str()).collect();
        assert_eq!(folders, vec!["q", "m", "y", "z", "0-folder", "a-folder"]);
    }
}
