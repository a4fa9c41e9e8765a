//! `call_core` on real databases with real core rows: each method answers what the REST API
//! answers for the same entities, and bad calls are errors naming the problem.

use super::{call_core, CoreCallError, CORE_METHODS};
use crate::module_db::test_databases::each_backend;
use crate::module_policy::ModulePolicy;
use paperclip_core::core::{agent, company, goal, issue, project, Core};
use paperclip_core::hooks::HookBus;
use serde_json::{json, Value};
use std::sync::Arc;

/// Rows created for the tests, as the core's JSON views.
struct Seeded {
    acme: Value,
    beta: Value,
    ceo: Value,
    engineer: Value,
    beta_agent: Value,
    goal: Value,
    project: Value,
    issue: Value,
    assigned_issue: Value,
}

fn view<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap()
}

fn input<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

fn seed(core: &Core) -> Seeded {
    core.write_blocking(|c, hooks| {
        let acme = company::create(c, "test", input(json!({"name": "Acme"})))?;
        let beta = company::create(c, "test", input(json!({"name": "Beta"})))?;
        let ceo = agent::create(c, hooks, "test", &acme.id, input(json!({"name": "Ada", "role": "ceo"})))?;
        let engineer = agent::create(
            c,
            hooks,
            "test",
            &acme.id,
            input(json!({"name": "Linus", "role": "engineer", "reportsTo": ceo.id, "status": "paused"})),
        )?;
        let beta_agent = agent::create(c, hooks, "test", &beta.id, input(json!({"name": "Grace"})))?;
        let goal = goal::create(c, hooks, "test", &acme.id, input(json!({"title": "Ship it"})))?;
        let project = project::create(
            c,
            "test",
            &acme.id,
            input(json!({"name": "Launch", "goalId": goal.id})),
        )?;
        let issue = issue::create(c, hooks, "test", &acme.id, input(json!({"title": "Write docs"})))?;
        let assigned_issue = issue::create(
            c,
            hooks,
            "test",
            &acme.id,
            input(json!({"title": "Fix bug", "assigneeAgentId": engineer.id, "projectId": project.id})),
        )?;
        Ok::<_, paperclip_core::core::CoreError>(Seeded {
            acme: view(acme),
            beta: view(beta),
            ceo: view(ceo),
            engineer: view(engineer),
            beta_agent: view(beta_agent),
            goal: view(goal),
            project: view(project),
            issue: view(issue),
            assigned_issue: view(assigned_issue),
        })
    })
    .unwrap()
}

fn call(core: &Core, method: &str, args: Value) -> Value {
    call_core(core, &reader(), method, &args.to_string())
        .unwrap_or_else(|e| panic!("{method} {args} failed: {e}"))
}

fn call_err(core: &Core, method: &str, args: &str) -> String {
    match call_core(core, &reader(), method, args) {
        Ok(value) => panic!("{method} {args} should fail, answered {value}"),
        Err(e) => e.to_string(),
    }
}

/// A module that may read everything and write nothing.
fn reader() -> Arc<ModulePolicy> {
    ModulePolicy::unrestricted_reads("reader")
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a list answers an array")
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect()
}

fn id(entity: &Value) -> &str {
    entity["id"].as_str().unwrap()
}

#[test]
fn get_methods_answer_the_rest_view_or_null() {
    each_backend(|database| {
        let core = Core::new(database.db.clone(), Arc::new(HookBus::new()));
        let s = seed(&core);
        for (method, entity) in [
            ("companies.get", &s.acme),
            ("agents.get", &s.engineer),
            ("goals.get", &s.goal),
            ("projects.get", &s.project),
            ("issues.get", &s.assigned_issue),
        ] {
            assert_eq!(
                &call(&core, method, json!({"id": id(entity)})),
                entity,
                "{method}"
            );
            assert_eq!(
                call(&core, method, json!({"id": "no-such-id"})),
                Value::Null,
                "{method}"
            );
        }
        // The view carries the REST fields a module relies on.
        let agent = call(&core, "agents.get", json!({"id": id(&s.engineer)}));
        assert_eq!(agent["reportsTo"], s.ceo["id"]);
        assert_eq!(agent["status"], json!("paused"));
        assert!(agent["createdAt"].as_str().unwrap().ends_with('Z'));
    });
}

#[test]
fn list_methods_filter_page_and_span_companies() {
    each_backend(|database| {
        let core = Core::new(database.db.clone(), Arc::new(HookBus::new()));
        let s = seed(&core);
        let acme = id(&s.acme);

        assert_eq!(
            ids(&call(&core, "companies.list", json!({}))),
            [acme, id(&s.beta)]
        );

        let agents = call(&core, "agents.list", json!({"companyId": acme}));
        assert_eq!(ids(&agents), [id(&s.ceo), id(&s.engineer)]);
        assert_eq!(agents[1], s.engineer);
        let paused = call(
            &core,
            "agents.list",
            json!({"companyId": acme, "status": "paused"}),
        );
        assert_eq!(ids(&paused), [id(&s.engineer)]);
        let reports = call(
            &core,
            "agents.list",
            json!({"companyId": acme, "reportsTo": id(&s.ceo)}),
        );
        assert_eq!(ids(&reports), [id(&s.engineer)]);
        let second = call(
            &core,
            "agents.list",
            json!({"companyId": acme, "limit": 1, "offset": 1}),
        );
        assert_eq!(ids(&second), [id(&s.engineer)]);

        // Without companyId: every company, in the companies list's order.
        let all = call(&core, "agents.list", json!({}));
        assert_eq!(ids(&all), [id(&s.ceo), id(&s.engineer), id(&s.beta_agent)]);
        let window = call(&core, "agents.list", json!({"limit": 2, "offset": 1}));
        assert_eq!(ids(&window), [id(&s.engineer), id(&s.beta_agent)]);
        assert_eq!(
            ids(&call(&core, "agents.list", json!({"offset": 3}))),
            Vec::<&str>::new()
        );

        let issues = call(&core, "issues.list", json!({"companyId": acme}));
        assert_eq!(issues.as_array().unwrap().len(), 2);
        let assigned = call(
            &core,
            "issues.list",
            json!({"companyId": acme, "assigneeAgentId": id(&s.engineer)}),
        );
        assert_eq!(assigned, json!([s.assigned_issue]));
        let by_project = call(&core, "issues.list", json!({"projectId": id(&s.project)}));
        assert_eq!(ids(&by_project), [id(&s.assigned_issue)]);
        let todo = call(
            &core,
            "issues.list",
            json!({"companyId": acme, "status": s.issue["status"]}),
        );
        assert_eq!(todo.as_array().unwrap().len(), 2);

        assert_eq!(
            call(&core, "projects.list", json!({"companyId": acme})),
            json!([s.project])
        );
        assert_eq!(
            call(&core, "projects.list", json!({"goalId": id(&s.goal)})),
            json!([s.project])
        );
        assert_eq!(
            call(&core, "goals.list", json!({"companyId": acme})),
            json!([s.goal])
        );
        assert_eq!(
            call(&core, "goals.list", json!({"companyId": id(&s.beta)})),
            json!([])
        );

        let activity = call(
            &core,
            "activity.list",
            json!({"companyId": acme, "entityType": "issue"}),
        );
        let entries = activity.as_array().unwrap();
        assert_eq!(entries.len(), 2, "{activity}");
        assert!(entries.iter().all(|e| e["entityType"] == json!("issue")));
        let created = call(
            &core,
            "activity.list",
            json!({"companyId": acme, "action": "company.created", "limit": 5}),
        );
        assert_eq!(created[0]["entityId"], json!(acme));
    });
}

#[test]
fn bad_calls_are_errors_naming_the_problem() {
    each_backend(|database| {
        let core = Core::new(database.db.clone(), Arc::new(HookBus::new()));
        let s = seed(&core);
        let acme = id(&s.acme);

        let unknown = call_err(&core, "agents.update", "{}");
        assert!(
            unknown.contains("unknown core method `agents.update`"),
            "{unknown}"
        );
        for method in CORE_METHODS {
            assert!(unknown.contains(method), "{unknown}");
        }
        assert!(matches!(
            call_core(&core, &reader(), "issues.delete", "{}"),
            Err(CoreCallError::UnknownMethod { .. })
        ));

        let typo = call_err(
            &core,
            "agents.list",
            &json!({"companyId": acme, "stauts": "x"}).to_string(),
        );
        assert!(
            typo.starts_with("agents.list: unknown argument `stauts`"),
            "{typo}"
        );
        assert!(
            typo.ends_with("expected `companyId`, `limit`, `offset`, `status` or `reportsTo`"),
            "{typo}"
        );
        let missing = call_err(&core, "issues.get", "{}");
        assert_eq!(
            missing,
            "issues.get: the argument `id` (a string) is required"
        );
        let extra = call_err(
            &core,
            "goals.get",
            &json!({"id": "x", "deep": true}).to_string(),
        );
        assert!(extra.contains("unknown argument `deep`"), "{extra}");
        let wrong_type = call_err(&core, "projects.get", &json!({"id": 5}).to_string());
        assert!(wrong_type.contains("`id` must be a string"), "{wrong_type}");
        let limit = call_err(&core, "agents.list", &json!({"limit": 0}).to_string());
        assert!(limit.contains("limit"), "{limit}");
        let bad_status = call_err(
            &core,
            "issues.list",
            &json!({"companyId": acme, "status": "nope"}).to_string(),
        );
        assert!(bad_status.contains("status"), "{bad_status}");
        let no_company = call_err(
            &core,
            "activity.list",
            &json!({"companyId": "ghost"}).to_string(),
        );
        assert!(no_company.contains("ghost"), "{no_company}");
        assert!(no_company.contains("not found"), "{no_company}");
        let typed = call_err(&core, "agents.list", &json!({"status": 5}).to_string());
        assert!(
            typed.starts_with("agents.list: the argument `status`: invalid type"),
            "{typed}"
        );
        let not_object = call_err(&core, "agents.list", "[1]");
        assert!(not_object.contains("must be a JSON object"), "{not_object}");
        let not_json = call_err(&core, "agents.list", "{");
        assert!(not_json.contains("not valid JSON"), "{not_json}");
        // Empty arguments are no arguments.
        assert_eq!(
            call_core(&core, &reader(), "companies.list", "")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            2
        );
    });
}
