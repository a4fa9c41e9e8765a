//! An import is one transaction: when the database refuses a row after thousands of others
//! went in (here the very last issue, refused by a trigger the validation cannot know about),
//! nothing at all is written — no company, no agent, no goal, no project, no issue, no
//! activity — and the server goes on working.

mod templates_support;

use paperclip_e2e::{each_backend, json, ServerOptions, StatusCode, TestServer};
use templates_support::{
    company_of, generate_template, import, import_ok, seed_company, startup_template, Db, Size,
};

const POISON: &str = "Poisoned issue";

#[test]
fn a_failure_on_the_last_issue_writes_nothing() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        seed_company(&server);
        let mut db = Db::open(&server);
        db.reject_issue_title(POISON);
        let before = db.counts();

        // Large enough that agents, goals, projects and the first issue batches are already
        // inserted when the last issue fails.
        let mut template = generate_template(Size {
            agents: 300,
            goals: 200,
            projects: 10,
            issues: 2_500,
        });
        let issues = template["issues"].as_array_mut().unwrap();
        issues.last_mut().unwrap()["title"] = json!(POISON);

        let (status, body) = import(&server, &template, None);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap_or_default()
                .contains("injected failure"),
            "the database's refusal is reported: {body}"
        );
        assert_eq!(db.counts(), before, "a failed import left rows behind");
        let companies = server.get_ok("/api/companies");
        assert_eq!(companies["total"], 1, "{companies}");

        // The same template without the poisoned issue imports, and so does another one.
        let issues = template["issues"].as_array_mut().unwrap();
        issues.last_mut().unwrap()["title"] = json!("Healthy issue");
        let answer = import_ok(&server, &template, None);
        assert_eq!(
            server.total(&format!("/api/companies/{}/issues", company_of(&answer))),
            2_500
        );
        import_ok(&server, &startup_template(), None);
    });
}

#[test]
fn a_failure_in_the_middle_of_a_small_template_writes_nothing() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        seed_company(&server);
        let mut db = Db::open(&server);
        db.reject_issue_title(POISON);
        let before = db.counts();

        let mut template = startup_template();
        template["issues"][5]["title"] = json!(POISON);
        let (status, body) = import(&server, &template, None);
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert_eq!(db.counts(), before, "a failed import left rows behind");
    });
}
