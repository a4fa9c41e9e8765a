//! Modules that act, through the real server on SQLite and PostgreSQL with the `actor-probe`
//! test module (it asks for `issues.create` and `agents.pause`):
//!
//! - not granted → `awaiting_approval`, its reasons shown; granted through the admin API →
//!   active, and still granted after a restart; an unknown capability is a 400;
//! - a granted write runs as `module:actor-probe` and its events carry `causedBy`; two writes
//!   that trigger each other stop at `modules.maxCausationDepth`, the refusal counted (at every
//!   isolation level);
//! - a withdrawn capability is refused at once and counted;
//! - per-company enablement: hooks of other companies are not delivered, core calls about them
//!   are refused, the module sees its scope; an unknown company is a 400 and changes nothing;
//! - a new version on disk asking for another capability waits for approval after a restart.
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first.

mod modules_support;

use modules_support::{assert_status, module, wait_for, wait_for_status, ModulesDir};
use paperclip_e2e::{
    each_backend, each_backend_and_level, json, DirectDb, StatusCode, TestServer, Value,
};

const PROBE: &str = "actor-probe";

/// Issues of `company` whose title is `title`.
fn issues_titled(server: &TestServer, company: &str, title: &str) -> Vec<Value> {
    server
        .items(&format!("/api/companies/{company}/issues?limit=500"))
        .into_iter()
        .filter(|issue| issue["title"] == title)
        .collect()
}

/// The probe's recorded write answers for `method`: (ok, answer text).
fn writes(db: &mut DirectDb, method: &str) -> Vec<(bool, String)> {
    let oks = db.texts(&format!(
        "SELECT CASE WHEN ok THEN 'true' ELSE 'false' END AS v FROM mod_actor_probe_writes \
         WHERE method = '{method}' ORDER BY id"
    ));
    let answers = db.texts(&format!(
        "SELECT answer AS v FROM mod_actor_probe_writes WHERE method = '{method}' ORDER BY id"
    ));
    oks.into_iter()
        .map(|ok| ok == "true")
        .zip(answers)
        .collect()
}

#[test]
fn a_module_waits_for_its_grants_which_survive_a_restart() {
    each_backend(|backend| {
        let dir = ModulesDir::new();
        dir.add(PROBE);
        let mut server = dir.start(backend, json!({}));
        let view = assert_status(
            &server,
            PROBE,
            "awaiting_approval",
            &["issues.create", "agents.pause", "grants"],
        );
        let requested = &view["grants"]["requested"];
        assert_eq!(requested[0]["name"], "issues.create");
        assert_eq!(
            requested[0]["reason"],
            "creates the follow-up issue of every issue that is done"
        );
        assert_eq!(requested[1]["reason"], Value::Null);
        assert_eq!(
            view["grants"]["missing"],
            json!(["issues.create", "agents.pause"])
        );
        // Its routes are not mounted while it waits.
        let (status, _) = server.get("/api/modules/actor-probe/scope");
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A bad grant list is named and saves nothing.
        let (status, body) = server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({"granted": ["issues.create", "issues.delete"]}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["field"], "granted[1]");
        assert!(
            body["error"].as_str().unwrap().contains("issues.delete"),
            "{body}"
        );
        let (status, body) = server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({"grants": []}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_status(&server, PROBE, "awaiting_approval", &["issues.create"]);

        // Granting one of two is not enough; both starts it.
        server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({"granted": ["issues.create"]}),
        );
        assert_status(&server, PROBE, "awaiting_approval", &["agents.pause"]);
        let (status, view) = server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({"granted": ["issues.create", "agents.pause"]}),
        );
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["status"], "active", "{view}");
        assert_eq!(view["grants"]["source"], "api");

        server.restart();
        let view = wait_for_status(&server, PROBE, "active");
        assert_eq!(
            view["grants"]["granted"],
            json!(["issues.create", "agents.pause"])
        );
        assert_eq!(view["grants"]["missing"], json!([]));
    });
}

#[test]
fn granted_writes_act_as_the_module_carry_their_cause_and_stop_at_the_depth_limit() {
    // At every isolation level: at `process` the module's core calls come back from its child.
    each_backend_and_level(|backend, _level| {
        let dir = ModulesDir::new();
        dir.add(PROBE);
        let server = dir.start(
            backend,
            json!({"grants": {PROBE: ["issues.create", "agents.pause"]}}),
        );
        let view = wait_for_status(&server, PROBE, "active");
        assert_eq!(view["grants"]["source"], "config");
        let company = server.create_company("Acme");
        let issue = server.create_issue(&company, json!({"title": "Ship it"}));
        server.patch(&format!("/api/issues/{issue}"), &json!({"status": "done"}));

        let follow_up = wait_for("the follow-up issue", || {
            issues_titled(&server, &company, "Follow-up: Ship it").pop()
        });
        let activity = server.activity(&company);
        let created = activity
            .iter()
            .find(|a| a["entityId"] == follow_up["id"] && a["action"] == "issue.created")
            .unwrap_or_else(|| panic!("no activity for the follow-up: {activity:?}"));
        assert_eq!(created["actor"], "module:actor-probe");

        // The follow-up's issue:created names the status change as its cause.
        let mut db = DirectDb::open(&server);
        let status_event = wait_for("the status change recorded", || {
            db.texts("SELECT event_id AS v FROM mod_actor_probe_events WHERE hook = 'issue:status_changed'")
                .pop()
        });
        let cause = wait_for("the follow-up's event", || {
            db.texts(
                "SELECT cause_event_id || ' ' || CAST(cause_depth AS TEXT) AS v \
                 FROM mod_actor_probe_events WHERE title = 'Follow-up: Ship it'",
            )
            .pop()
        });
        assert_eq!(cause, format!("{status_event} 1"));

        // A loop: each issue:created of a `loop…` issue creates `loop…+`; four module writes
        // are allowed (depth 1..=4), the fifth is refused.
        server.create_issue(&company, json!({"title": "loop"}));
        let refusal = wait_for("the depth refusal", || {
            writes(&mut db, "issues.create")
                .into_iter()
                .find(|(ok, _)| !ok)
                .map(|(_, answer)| answer)
        });
        assert!(refusal.contains("causation depth 5"), "{refusal}");
        assert!(refusal.contains("maxCausationDepth (4)"), "{refusal}");
        for depth in 1..=4 {
            let title = format!("loop{}", "+".repeat(depth));
            assert_eq!(issues_titled(&server, &company, &title).len(), 1, "{title}");
        }
        assert!(issues_titled(&server, &company, "loop+++++").is_empty());
        let counts = &module(&server, PROBE)["grants"]["counts"];
        assert_eq!(counts["refusedDepth"], 1, "{counts}");
        assert_eq!(counts["writes"], 5, "{counts}");

        // A write from a route (no event being handled) starts a chain of its own.
        let agent = server.create_agent(&company, json!({"name": "Ada"}));
        let (status, paused) = server.post(
            &format!("/api/modules/actor-probe/pause/{agent}"),
            &json!({}),
        );
        assert_eq!(status, StatusCode::OK, "{paused}");
        assert_eq!(paused["status"], "paused");
        let agent_view = server.get_ok(&format!("/api/agents/{agent}"));
        assert_eq!(agent_view["status"], "paused");

        // Withdrawn: refused from the next call, counted, nothing changed.
        server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({"granted": ["issues.create"]}),
        );
        let other = server.create_agent(&company, json!({"name": "Bob"}));
        let (status, body) = server.post(
            &format!("/api/modules/actor-probe/pause/{other}"),
            &json!({}),
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("the capability `agents.pause` is not granted"),
            "{body}"
        );
        assert_eq!(
            server.get_ok(&format!("/api/agents/{other}"))["status"],
            "idle"
        );
        let view = module(&server, PROBE);
        assert_eq!(
            view["status"], "active",
            "a refusal is not the module's failure"
        );
        assert_eq!(view["grants"]["counts"]["refusedCapability"], 1);
    });
}

#[test]
fn a_module_enabled_for_some_companies_sees_and_touches_only_those() {
    each_backend(|backend| {
        let dir = ModulesDir::new();
        dir.add(PROBE);
        let server = dir.start(
            backend,
            json!({"grants": {PROBE: ["issues.create", "agents.pause"]}}),
        );
        wait_for_status(&server, PROBE, "active");
        let acme = server.create_company("Acme");
        let beta = server.create_company("Beta");

        // An unknown company is named and nothing changes.
        let (status, body) = server.put(
            &format!("/api/admin/modules/{PROBE}/companies"),
            &json!({"mode": "only", "companyIds": [acme, "ghost"]}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["field"], "companyIds");
        assert!(
            body["error"].as_str().unwrap().contains("`ghost`"),
            "{body}"
        );
        let (status, body) = server.put(
            &format!("/api/admin/modules/{PROBE}/companies"),
            &json!({"mode": "some"}),
        );
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            server.get_ok(&format!("/api/admin/modules/{PROBE}/companies")),
            json!({"mode": "all"})
        );

        let view = server.put(
            &format!("/api/admin/modules/{PROBE}/companies"),
            &json!({"mode": "only", "companyIds": [acme]}),
        );
        assert_eq!(view.0, StatusCode::OK, "{}", view.1);
        assert_eq!(
            server.get_ok("/api/modules/actor-probe/scope"),
            json!({"mode": "only", "companyIds": [acme]})
        );
        assert_eq!(
            server.get_ok(&format!("/api/modules/actor-probe/enabled/{beta}")),
            json!({"enabled": false})
        );

        let beta_agent = server.create_agent(&beta, json!({"name": "Bob"}));
        let beta_issue = server.create_issue(&beta, json!({"title": "Beta work"}));
        server.patch(
            &format!("/api/issues/{beta_issue}"),
            &json!({"status": "done"}),
        );
        let acme_issue = server.create_issue(&acme, json!({"title": "Acme work"}));
        server.patch(
            &format!("/api/issues/{acme_issue}"),
            &json!({"status": "done"}),
        );
        wait_for("Acme's follow-up", || {
            issues_titled(&server, &acme, "Follow-up: Acme work").pop()
        });
        // Beta's events came before Acme's and were skipped.
        let mut db = DirectDb::open(&server);
        let companies = db.texts("SELECT DISTINCT company_id AS v FROM mod_actor_probe_events");
        assert_eq!(companies, vec![acme.clone()]);
        assert!(issues_titled(&server, &beta, "Follow-up: Beta work").is_empty());
        let skipped = module(&server, PROBE)["grants"]["counts"]["eventsSkipped"]
            .as_u64()
            .unwrap();
        assert!(
            skipped >= 3,
            "agent:created, issue:created, issue:status_changed: {skipped}"
        );

        let (status, body) = server.post(
            &format!("/api/modules/actor-probe/pause/{beta_agent}"),
            &json!({}),
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains(&format!("not enabled for company `{beta}`")),
            "{body}"
        );
        assert_eq!(
            server.get_ok(&format!("/api/agents/{beta_agent}"))["status"],
            "idle"
        );
    });
}

#[test]
fn a_new_version_asking_for_another_capability_waits_for_approval() {
    each_backend(|backend| {
        let dir = ModulesDir::new();
        let folder = dir.add(PROBE);
        let mut server = dir.start(
            backend,
            json!({"grants": {PROBE: ["issues.create", "agents.pause"]}}),
        );
        wait_for_status(&server, PROBE, "active");
        let company = server.create_company("Acme");

        // Version 0.2.0 also asks for agents.resume.
        let manifest_path = folder.join("paperclip.module.json");
        let mut manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
        manifest["version"] = json!("0.2.0");
        manifest["capabilities"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "agents.resume", "reason": "resumes agents"}));
        std::fs::write(&manifest_path, manifest.to_string()).unwrap();
        server.restart();
        assert_status(&server, PROBE, "awaiting_approval", &["agents.resume"]);
        // Nothing of it runs: a done issue gets no follow-up.
        let issue = server.create_issue(&company, json!({"title": "Waiting"}));
        server.patch(&format!("/api/issues/{issue}"), &json!({"status": "done"}));

        let (status, view) = server.put(
            &format!("/api/admin/modules/{PROBE}/grants"),
            &json!({"granted": ["issues.create", "agents.pause", "agents.resume"]}),
        );
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["status"], "active", "{view}");
        assert_eq!(view["version"], "0.2.0");
        // At-least-once: the event committed while it waited is delivered now.
        wait_for("the follow-up after approval", || {
            issues_titled(&server, &company, "Follow-up: Waiting").pop()
        });
    });
}
