//! Module core writes and the company scope on real databases: granted writes go through the
//! core services (activity actor `module:<id>`, hook outbox rows with `causedBy`), refusals
//! change nothing and are counted.

use super::call_core;
use crate::module_db::test_databases::each_backend;
use crate::module_policy::{HandledEvent, ModulePolicy};
use module_sdk::{Capability, CompanyScope};
use paperclip_core::core::paging::PageRequest;
use paperclip_core::core::{activity, agent, company, issue, Core};
use paperclip_core::hooks::{hook_outbox, HookBus};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The first page, at most 100 entries.
const PAGE: PageRequest = PageRequest {
    limit: Some(100),
    offset: None,
};

fn input<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

/// Two companies, an agent in each.
fn seed(core: &Core) -> (String, String, String, String) {
    core.write_blocking(|c, hooks| {
        let acme = company::create(c, "test", input(json!({"name": "Acme"})))?;
        let beta = company::create(c, "test", input(json!({"name": "Beta"})))?;
        let ada = agent::create(c, hooks, "test", &acme.id, input(json!({"name": "Ada"})))?;
        let bob = agent::create(c, hooks, "test", &beta.id, input(json!({"name": "Bob"})))?;
        Ok::<_, paperclip_core::core::CoreError>((acme.id, beta.id, ada.id, bob.id))
    })
    .unwrap()
}

fn policy(granted: &[Capability], scope: CompanyScope) -> Arc<ModulePolicy> {
    ModulePolicy::new(
        "wf",
        Capability::ALL.into_iter().collect(),
        granted.iter().copied().collect::<BTreeSet<_>>(),
        scope,
        2,
        false,
    )
}

fn call(core: &Core, policy: &ModulePolicy, method: &str, args: Value) -> Result<Value, String> {
    call_core(core, policy, method, &args.to_string()).map_err(|e| e.to_string())
}

#[test]
fn granted_writes_run_the_core_services_as_the_module_with_their_cause() {
    each_backend(|database| {
        let core = Core::new(database.db.clone(), Arc::new(HookBus::new()));
        let (acme, _, ada, _) = seed(&core);
        let p = policy(
            &[
                Capability::IssuesCreate,
                Capability::IssuesUpdate,
                Capability::AgentsPause,
                Capability::AgentsResume,
            ],
            CompanyScope::All,
        );
        let before = core
            .read_blocking(|c| Ok(hook_outbox::newest_seq(c)?))
            .unwrap()
            .unwrap_or(0);
        // Handling an event two module writes deep: this write is the third.
        let cause_id: Arc<str> = Arc::from("0193-cause");
        p.handle(HandledEvent::of_payload(
            Some(&cause_id),
            r#"{"causedBy":{"depth":1}}"#,
        ));
        let created = call(
            &core,
            &p,
            "issues.create",
            json!({"companyId": acme, "title": "Follow up", "assigneeAgentId": ada}),
        )
        .unwrap();
        p.handle(None);
        assert_eq!(created["title"], "Follow up");
        let issue_id = created["id"].as_str().unwrap().to_string();
        let events = core
            .read_blocking(|c| Ok(hook_outbox::read_after(c, before, 100)?))
            .unwrap();
        let hooks: Vec<&str> = events.iter().map(|e| e.hook.as_str()).collect();
        assert_eq!(hooks, ["issue:created", "issue:assigned"]);
        for event in &events {
            let payload: Value = serde_json::from_str(&event.payload).unwrap();
            assert_eq!(
                payload["causedBy"],
                json!({"eventId": "0193-cause", "depth": 2, "module": "wf"})
            );
        }
        let log = core
            .read_blocking(|c| {
                activity::list(c, &acme, &input(json!({"entityId": issue_id})), PAGE)
            })
            .unwrap();
        assert!(
            log.items.iter().all(|a| a.actor == "module:wf"),
            "{:?}",
            log.items
        );

        let done = call(
            &core,
            &p,
            "issues.update",
            json!({"id": issue_id, "status": "done"}),
        )
        .unwrap();
        assert_eq!(done["status"], "done");
        // A bad patch is the REST API's error, naming the field, and changes nothing.
        let bad = call(
            &core,
            &p,
            "issues.update",
            json!({"id": issue_id, "status": "nope"}),
        )
        .unwrap_err();
        assert!(bad.contains("status"), "{bad}");
        let unknown = call(
            &core,
            &p,
            "issues.create",
            json!({"companyId": acme, "title": "x", "colour": 1}),
        )
        .unwrap_err();
        assert!(unknown.contains("colour"), "{unknown}");

        let paused = call(&core, &p, "agents.pause", json!({"id": ada})).unwrap();
        assert_eq!(paused["status"], "paused");
        let again = call(&core, &p, "agents.pause", json!({"id": ada})).unwrap();
        assert_eq!(again["status"], "paused");
        let resumed = call(&core, &p, "agents.resume", json!({"id": ada})).unwrap();
        assert_eq!(resumed["status"], "active");
        let missing = call(&core, &p, "agents.pause", json!({"id": "ghost"})).unwrap_err();
        assert!(missing.contains("no agent has the id `ghost`"), "{missing}");
        assert_eq!(p.counts().writes, 5);
    });
}

#[test]
fn refused_writes_name_the_reason_change_nothing_and_are_counted() {
    each_backend(|database| {
        let core = Core::new(database.db.clone(), Arc::new(HookBus::new()));
        let (acme, beta, ada, bob) = seed(&core);
        let p = policy(
            &[Capability::IssuesCreate],
            CompanyScope::Only {
                company_ids: vec![acme.clone()],
            },
        );
        let not_granted = call(&core, &p, "agents.pause", json!({"id": ada})).unwrap_err();
        assert!(
            not_granted.contains("the capability `agents.pause` is not granted to module `wf`"),
            "{not_granted}"
        );
        let other_company = call(
            &core,
            &p,
            "issues.create",
            json!({"companyId": beta, "title": "x"}),
        )
        .unwrap_err();
        assert!(
            other_company.contains(&format!("not enabled for company `{beta}`")),
            "{other_company}"
        );
        // Too deep: the handled event is already two module writes deep (limit 2).
        let id: Arc<str> = Arc::from("e");
        p.handle(HandledEvent::of_payload(
            Some(&id),
            r#"{"causedBy":{"depth":2}}"#,
        ));
        let deep = call(
            &core,
            &p,
            "issues.create",
            json!({"companyId": acme, "title": "x"}),
        )
        .unwrap_err();
        p.handle(None);
        assert!(deep.contains("causation depth 3"), "{deep}");
        let issues = core
            .read_blocking(|c| {
                let a = issue::list(c, &acme, &Default::default(), PAGE)?;
                let b = issue::list(c, &beta, &Default::default(), PAGE)?;
                Ok(a.total + b.total)
            })
            .unwrap();
        assert_eq!(issues, 0, "no refused write left a row");
        let counts = p.counts();
        assert_eq!(
            (
                counts.refused_capability,
                counts.refused_company,
                counts.refused_depth
            ),
            (1, 1, 1)
        );

        // Reads: another company's entity or list is refused; lists cover the served ones.
        let foreign = call(&core, &p, "agents.get", json!({"id": bob})).unwrap_err();
        assert!(foreign.contains("not enabled for company"), "{foreign}");
        assert!(call(&core, &p, "agents.list", json!({"companyId": beta})).is_err());
        let agents = call(&core, &p, "agents.list", json!({})).unwrap();
        assert_eq!(agents.as_array().unwrap().len(), 1);
        assert_eq!(agents[0]["id"], json!(ada));
        let companies = call(&core, &p, "companies.list", json!({})).unwrap();
        assert_eq!(companies.as_array().unwrap().len(), 1);
        assert_eq!(
            call(&core, &p, "module.enabledFor", json!({"companyId": beta})).unwrap(),
            json!(false)
        );
        assert_eq!(
            call(&core, &p, "module.companies", json!({})).unwrap(),
            json!({"mode": "only", "companyIds": [acme]})
        );
    });
}
