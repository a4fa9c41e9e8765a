//! A template import emits the core's hooks after its commit, like the same writes through
//! the API would: `agent:created` per agent, `goal:created` per goal, `issue:created` per
//! issue and `issue:assigned {issue, agent}` per assigned issue — seen by a real module (the
//! kitchen sink records every payload). A refused or failed import emits nothing.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first.

mod modules_support;
mod templates_support;

use modules_support::{
    kitchen_config, kitchen_event_count, kitchen_events, wait_for, wait_for_status, KITCHEN_SECRET,
    KITCHEN_SINK,
};
use paperclip_e2e::{each_backend, json, ServerOptions, StatusCode, TestBackend, TestServer};
use std::collections::BTreeSet;
use templates_support::{company_of, import, import_ok, startup_template, Db};

fn start(backend: TestBackend) -> TestServer {
    let server = TestServer::start(
        backend,
        ServerOptions::new()
            .module(KITCHEN_SINK)
            .config(kitchen_config())
            .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
    );
    wait_for_status(&server, KITCHEN_SINK, "active");
    server
}

/// The ids of the `field` entity of every recorded `hook` payload of `company`.
fn ids(server: &TestServer, hook: &str, field: &str, company: &str) -> BTreeSet<String> {
    kitchen_events(server, hook)
        .iter()
        .filter(|p| p[field]["companyId"] == company)
        .map(|p| p[field]["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn values(answer: &serde_json::Value, kind: &str) -> BTreeSet<String> {
    answer["refs"][kind]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_import_emits_the_core_hooks_after_its_commit() {
    each_backend(|backend| {
        let server = start(backend);
        let template = startup_template();
        let issue_count = template["issues"].as_array().unwrap().len();
        let answer = import_ok(&server, &template, None);
        let company = company_of(&answer);

        wait_for("every issue:assigned of the import", || {
            let n = kitchen_events(&server, "issue:assigned")
                .iter()
                .filter(|p| p["issue"]["companyId"] == company.as_str())
                .count();
            (n == issue_count).then_some(())
        });
        assert_eq!(
            ids(&server, "agent:created", "agent", &company),
            values(&answer, "agents")
        );
        assert_eq!(
            ids(&server, "goal:created", "goal", &company),
            values(&answer, "goals")
        );
        let issues = ids(&server, "issue:created", "issue", &company);
        assert_eq!(issues.len(), issue_count);
        // Each payload is the entity as the API shows it.
        for payload in kitchen_events(&server, "agent:created") {
            let id = payload["agent"]["id"].as_str().unwrap();
            assert_eq!(
                payload["agent"],
                server.get_ok(&format!("/api/agents/{id}"))
            );
        }
        for payload in kitchen_events(&server, "issue:assigned") {
            let agent = payload["agent"]["id"].as_str().unwrap();
            assert_eq!(payload["issue"]["assigneeAgentId"], agent, "{payload}");
        }
    });
}

#[test]
fn a_refused_or_failed_import_emits_nothing() {
    each_backend(|backend| {
        let server = start(backend);
        let mut db = Db::open(&server);
        db.reject_issue_title("Poisoned issue");
        let company = server.create_company("Marker Co");
        let settle = |name: &str| {
            let marker = server.create_agent(&company, json!({ "name": name }));
            wait_for("the marker's agent:created", || {
                kitchen_events(&server, "agent:created")
                    .iter()
                    .any(|p| p["agent"]["id"] == marker.as_str())
                    .then_some(())
            });
        };
        settle("Before");
        let before = kitchen_event_count(&server);

        let mut invalid = startup_template();
        invalid["agents"][1]["reportsTo"] = json!("nobody");
        let (status, body) = import(&server, &invalid, None);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

        let mut failing = startup_template();
        failing["issues"][10]["title"] = json!("Poisoned issue");
        let (status, body) = import(&server, &failing, None);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");

        // Once the marker written after them is recorded, their events would be too.
        settle("After");
        assert_eq!(
            kitchen_event_count(&server),
            before + 1,
            "only the marker fired"
        );
    });
}
