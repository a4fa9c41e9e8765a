//! What a running module may do beyond its own tables, decided by the operator: the
//! capabilities (core writes) granted to it and the companies it serves; and, while it handles a
//! hook event, that event's place in a causation chain, so that a write it makes can be traced
//! to its cause and refused when the chain is too deep.
//!
//! One [`ModulePolicy`] per running module, shared by its executor (which filters the events of
//! other companies and says which event is being handled) and its host handle (which checks the
//! module's core calls). Grants and companies saved through the admin API apply to it at once.

use module_sdk::{Capability, CompanyScope};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::{json, Value};
use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

thread_local! {
    /// Whether this thread is in a hook call of an in-process module (set by its executor).
    static IN_HOOK_CALL: Cell<bool> = const { Cell::new(false) };
}

/// The event a module is handling: its id and how many module writes led to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandledEvent {
    /// The event's `eventId`.
    pub event_id: Arc<str>,
    /// Its `causedBy.depth` (0 for an event no module write caused).
    pub depth: u32,
}

impl HandledEvent {
    /// The event of `payload` (JSON text with `eventId` and maybe `causedBy`), if it has an id.
    pub fn of_payload(event_id: Option<&Arc<str>>, payload: &str) -> Option<HandledEvent> {
        let event_id = event_id?.clone();
        let depth = serde_json::from_str::<CauseOnly>(payload)
            .ok()
            .and_then(|p| p.caused_by)
            .map_or(0, |c| c.depth);
        Some(HandledEvent { event_id, depth })
    }
}

/// The part of a payload that says what caused it.
#[derive(serde::Deserialize)]
struct CauseOnly {
    #[serde(rename = "causedBy", default)]
    caused_by: Option<CauseDepth>,
}

#[derive(serde::Deserialize)]
struct CauseDepth {
    #[serde(default)]
    depth: u32,
}

/// Why a module's core call was refused by its policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRefusal {
    /// The call is a write whose capability was not granted (or not asked for in the manifest).
    #[error("the capability `{capability}` is not granted to module `{module}`{hint}")]
    NotGranted {
        /// The module.
        module: String,
        /// The capability the call needs.
        capability: Capability,
        /// How to get it.
        hint: &'static str,
    },
    /// The call is about a company the module is not enabled for.
    #[error("module `{module}` is not enabled for company `{company}`")]
    CompanyNotServed {
        /// The module.
        module: String,
        /// The company.
        company: String,
    },
    /// The write would extend a chain of module writes beyond `modules.maxCausationDepth`.
    #[error("causation depth {depth} exceeds modules.maxCausationDepth ({max}): this write would be caused by event {event_id}, itself the result of {previous} module write(s); refused so that modules triggering each other stop")]
    TooDeep {
        /// The depth the write would have.
        depth: u32,
        /// The limit.
        max: u32,
        /// The event being handled.
        event_id: String,
        /// `depth - 1`.
        previous: u32,
    },
}

/// Counts of what the policy allowed and refused since the module started.
#[derive(Debug, Default)]
struct PolicyCounters {
    writes: AtomicU64,
    refused_capability: AtomicU64,
    refused_company: AtomicU64,
    refused_depth: AtomicU64,
    events_skipped: AtomicU64,
}

/// [`PolicyCounters`] at one moment, as the admin API shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyCounts {
    /// Core writes made.
    pub writes: u64,
    /// Core calls refused for a capability not granted.
    pub refused_capability: u64,
    /// Core calls refused for a company the module does not serve.
    pub refused_company: u64,
    /// Core writes refused for a causation chain too deep.
    pub refused_depth: u64,
    /// Hook events not delivered because their company is not served.
    pub events_skipped: u64,
}

/// One running module's policy.
#[derive(Debug)]
pub struct ModulePolicy {
    module_id: String,
    /// Capabilities the manifest asks for: only these can ever be used.
    requested: BTreeSet<Capability>,
    granted: RwLock<BTreeSet<Capability>>,
    scope: RwLock<CompanyScope>,
    max_depth: u32,
    /// The module runs in a child process: its host-handle calls arrive on host threads, so a
    /// write during a hook call cannot be told from one by a concurrent route call.
    out_of_process: bool,
    handling: Mutex<Option<HandledEvent>>,
    counters: PolicyCounters,
}

impl ModulePolicy {
    /// A policy for `module_id`: what it asks for, what is granted, the companies it serves and
    /// the longest causation chain.
    pub fn new(
        module_id: &str,
        requested: BTreeSet<Capability>,
        granted: BTreeSet<Capability>,
        scope: CompanyScope,
        max_depth: u32,
        out_of_process: bool,
    ) -> Arc<ModulePolicy> {
        Arc::new(ModulePolicy {
            module_id: module_id.to_string(),
            requested,
            granted: RwLock::new(granted),
            scope: RwLock::new(scope),
            max_depth,
            out_of_process,
            handling: Mutex::new(None),
            counters: PolicyCounters::default(),
        })
    }

    /// A policy that grants nothing and serves every company (tests, tools).
    pub fn unrestricted_reads(module_id: &str) -> Arc<ModulePolicy> {
        ModulePolicy::new(
            module_id,
            BTreeSet::new(),
            BTreeSet::new(),
            CompanyScope::All,
            paperclip_core::config::ModulesConfig::DEFAULT_MAX_CAUSATION_DEPTH,
            false,
        )
    }

    /// The module's id.
    pub fn module_id(&self) -> &str {
        &self.module_id
    }

    /// The capabilities the module may use now: asked for and granted.
    pub fn usable(&self) -> BTreeSet<Capability> {
        self.granted
            .read()
            .intersection(&self.requested)
            .copied()
            .collect()
    }

    /// Whether `capability` is usable now (asked for and granted), without counting a refusal.
    pub fn allows(&self, capability: Capability) -> bool {
        self.requested.contains(&capability) && self.granted.read().contains(&capability)
    }

    /// Whether the module may write the core at all; such a module gets its hook events one at
    /// a time, so that each write is traced to the event it handles.
    pub fn writes_core(&self) -> bool {
        self.granted
            .read()
            .iter()
            .any(|capability| capability.is_core_write() && self.requested.contains(capability))
    }

    /// Replaces the granted capabilities (the operator saved new grants).
    pub fn set_granted(&self, granted: BTreeSet<Capability>) {
        *self.granted.write() = granted;
    }

    /// The companies the module serves.
    pub fn scope(&self) -> CompanyScope {
        self.scope.read().clone()
    }

    /// Replaces the companies the module serves.
    pub fn set_scope(&self, scope: CompanyScope) {
        *self.scope.write() = scope;
    }

    /// Whether the module serves every company.
    pub fn serves_all(&self) -> bool {
        matches!(*self.scope.read(), CompanyScope::All)
    }

    /// Whether the module serves `company_id`.
    pub fn serves(&self, company_id: &str) -> bool {
        self.scope.read().includes(company_id)
    }

    /// Refuses (and counts) a call about a company the module does not serve.
    pub fn check_company(&self, company_id: &str) -> Result<(), PolicyRefusal> {
        if self.serves(company_id) {
            return Ok(());
        }
        self.counters
            .refused_company
            .fetch_add(1, Ordering::Relaxed);
        Err(PolicyRefusal::CompanyNotServed {
            module: self.module_id.clone(),
            company: company_id.to_string(),
        })
    }

    /// Whether a hook event (its JSON payload) is for a company the module serves. Events
    /// without a company (`server:started`) are for everyone. Counts the ones skipped.
    pub fn wants_event(&self, payload: &str) -> bool {
        if self.serves_all() {
            return true;
        }
        let wanted = match serde_json::from_str::<Value>(payload) {
            Ok(value) => match payload_company(&value) {
                Some(company) => self.serves(company),
                None => true,
            },
            Err(_) => true,
        };
        if !wanted {
            self.counters.events_skipped.fetch_add(1, Ordering::Relaxed);
        }
        wanted
    }

    /// Refuses (and counts) a write whose capability is not usable.
    pub fn check_capability(&self, capability: Capability) -> Result<(), PolicyRefusal> {
        if self.allows(capability) {
            return Ok(());
        }
        self.counters
            .refused_capability
            .fetch_add(1, Ordering::Relaxed);
        let hint = if self.requested.contains(&capability) {
            ": the operator grants it on the Modules page or with PUT /api/admin/modules/{id}/grants"
        } else {
            ": the module's manifest does not list it under \"capabilities\""
        };
        Err(PolicyRefusal::NotGranted {
            module: self.module_id.clone(),
            capability,
            hint,
        })
    }

    /// Marks the start (`Some`) or end (`None`) of a hook call handling `event`, on the
    /// calling thread.
    pub fn handle(&self, event: Option<HandledEvent>) {
        IN_HOOK_CALL.with(|flag| flag.set(event.is_some()));
        *self.handling.lock() = event;
    }

    /// The `causedBy` of a write the module makes now: the event it is handling (if any, and
    /// if the write comes from that hook call) with the chain's new depth; refused (and
    /// counted) past the limit.
    pub fn cause_of_write(&self) -> Result<Value, PolicyRefusal> {
        let from_hook_call = self.out_of_process || IN_HOOK_CALL.with(Cell::get);
        let handled = if from_hook_call {
            self.handling.lock().clone()
        } else {
            None
        };
        let depth = handled.as_ref().map_or(1, |event| event.depth + 1);
        if depth > self.max_depth {
            self.counters.refused_depth.fetch_add(1, Ordering::Relaxed);
            return Err(PolicyRefusal::TooDeep {
                depth,
                max: self.max_depth,
                event_id: handled
                    .as_ref()
                    .map_or_else(String::new, |e| e.event_id.to_string()),
                previous: depth - 1,
            });
        }
        Ok(json!({
            "eventId": handled.as_ref().map(|e| &*e.event_id),
            "depth": depth,
            "module": self.module_id,
        }))
    }

    /// Counts a core write made.
    pub fn count_write(&self) {
        self.counters.writes.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn counts(&self) -> PolicyCounts {
        let c = &self.counters;
        PolicyCounts {
            writes: c.writes.load(Ordering::Relaxed),
            refused_capability: c.refused_capability.load(Ordering::Relaxed),
            refused_company: c.refused_company.load(Ordering::Relaxed),
            refused_depth: c.refused_depth.load(Ordering::Relaxed),
            events_skipped: c.events_skipped.load(Ordering::Relaxed),
        }
    }
}

/// The company a hook payload is about: its top-level `companyId`, else the `companyId` of the
/// entity it carries, else the `id` of the company it carries.
pub fn payload_company(payload: &Value) -> Option<&str> {
    if let Some(id) = payload.get("companyId").and_then(Value::as_str) {
        return Some(id);
    }
    for entity in ["issue", "agent", "goal", "project"] {
        if let Some(id) = payload
            .get(entity)
            .and_then(|e| e.get("companyId"))
            .and_then(Value::as_str)
        {
            return Some(id);
        }
    }
    payload
        .get("company")
        .and_then(|c| c.get("id"))
        .and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(granted: &[Capability], scope: CompanyScope) -> Arc<ModulePolicy> {
        ModulePolicy::new(
            "wf",
            [Capability::IssuesCreate, Capability::AgentsPause].into(),
            granted.iter().copied().collect(),
            scope,
            2,
            false,
        )
    }

    #[test]
    fn only_requested_and_granted_capabilities_are_usable_and_refusals_are_counted() {
        let p = policy(
            &[Capability::IssuesCreate, Capability::IssuesUpdate],
            CompanyScope::All,
        );
        assert!(p.check_capability(Capability::IssuesCreate).is_ok());
        let not_asked = p.check_capability(Capability::IssuesUpdate).unwrap_err();
        assert!(not_asked.to_string().contains("manifest"), "{not_asked}");
        let not_granted = p.check_capability(Capability::AgentsPause).unwrap_err();
        assert!(
            not_granted
                .to_string()
                .contains("`agents.pause` is not granted"),
            "{not_granted}"
        );
        assert_eq!(p.counts().refused_capability, 2);
        p.set_granted([Capability::AgentsPause].into());
        assert!(p.check_capability(Capability::AgentsPause).is_ok());
        assert!(p.check_capability(Capability::IssuesCreate).is_err());
    }

    #[test]
    fn webhooks_are_allowed_without_counting_and_make_no_core_writer() {
        let p = ModulePolicy::new(
            "pay",
            [Capability::Webhooks].into(),
            [Capability::Webhooks].into(),
            CompanyScope::All,
            2,
            false,
        );
        assert!(p.allows(Capability::Webhooks));
        assert!(!p.writes_core(), "webhooks are not a core write");
        p.set_granted(BTreeSet::new());
        assert!(!p.allows(Capability::Webhooks));
        assert_eq!(p.counts().refused_capability, 0);
        assert!(policy(&[Capability::IssuesCreate], CompanyScope::All).writes_core());
    }

    #[test]
    fn events_of_companies_not_served_are_skipped_and_companyless_ones_kept() {
        let p = policy(
            &[],
            CompanyScope::Only {
                company_ids: vec!["c1".into()],
            },
        );
        assert!(p.wants_event(r#"{"issue":{"companyId":"c1"}}"#));
        assert!(!p.wants_event(r#"{"agentId":"a","companyId":"c2"}"#));
        assert!(!p.wants_event(r#"{"company":{"id":"c2"}}"#));
        assert!(p.wants_event(r#"{"startedAt":"now"}"#));
        assert_eq!(p.counts().events_skipped, 2);
        assert!(p.check_company("c2").is_err());
        assert_eq!(p.counts().refused_company, 1);
    }

    #[test]
    fn writes_take_the_handled_event_as_cause_and_stop_past_the_depth_limit() {
        let p = policy(&[Capability::IssuesCreate], CompanyScope::All);
        assert_eq!(p.cause_of_write().unwrap()["depth"], 1);
        let id: Arc<str> = Arc::from("e1");
        let event = HandledEvent::of_payload(Some(&id), r#"{"causedBy":{"depth":1}}"#).unwrap();
        assert_eq!(event.depth, 1);
        p.handle(Some(event));
        let cause = p.cause_of_write().unwrap();
        assert_eq!(cause, json!({"eventId": "e1", "depth": 2, "module": "wf"}));
        p.handle(HandledEvent::of_payload(
            Some(&id),
            r#"{"causedBy":{"depth":2}}"#,
        ));
        let refusal = p.cause_of_write().unwrap_err();
        assert!(
            refusal.to_string().contains("causation depth 3"),
            "{refusal}"
        );
        assert_eq!(p.counts().refused_depth, 1);
        // Another thread (a route call of an in-process module) is not the hook call.
        let p2 = Arc::clone(&p);
        let depth = std::thread::spawn(move || p2.cause_of_write().unwrap()["depth"].clone())
            .join()
            .unwrap();
        assert_eq!(depth, 1);
        p.handle(None);
        assert_eq!(p.cause_of_write().unwrap()["eventId"], Value::Null);
    }
}
