//! Invalid templates on every backend: one test per kind of problem plus one with many at
//! once. Each answers `400 {"error": "template is invalid", "problems": [{path, message}]}`
//! listing every problem with its JSON path, and writes nothing: the row count of every core
//! table is the same before and after (the database already holds a company, so "nothing"
//! is checked against tables that are not empty).

mod templates_support;

use paperclip_e2e::{each_backend, json, ServerOptions, StatusCode, TestServer, Value};
use templates_support::{seed_company, Db};

/// A minimal valid template with `fields` set over it.
fn template(fields: Value) -> Value {
    let mut base = json!({"id": "t", "name": "Test Co"});
    if let (Some(base), Value::Object(fields)) = (base.as_object_mut(), fields) {
        base.extend(fields);
    }
    base
}

/// The problems of an answer as `path: message` lines.
fn problems(body: &Value) -> Vec<String> {
    body["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("no problems in {body}"))
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p["path"].as_str().expect("path"),
                p["message"].as_str().expect("message")
            )
        })
        .collect()
}

/// Posts `body` (raw text) to the import on every backend and asserts it is refused with
/// exactly `expected` (in order), writing nothing. `expected` lines ending in `*` match as a
/// prefix.
fn assert_refused_raw(body: &str, expected: &[&str]) {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new());
        seed_company(&server);
        let mut db = Db::open(&server);
        let before = db.counts();

        let (status, answer) = server.post_raw("/api/templates/import", body);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"], "template is invalid", "{answer}");
        let found = problems(&answer);
        assert_eq!(found.len(), expected.len(), "problems: {found:#?}");
        for (line, want) in found.iter().zip(expected) {
            match want.strip_suffix('*') {
                Some(prefix) => assert!(line.starts_with(prefix), "{line} !~ {want}"),
                None => assert_eq!(line, want),
            }
        }

        assert_eq!(db.counts(), before, "an invalid template wrote rows");
        // The validate endpoint reports the same problems and writes nothing either.
        let (status, report) = server.post_raw("/api/templates/validate", body);
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["valid"], false);
        assert_eq!(problems(&report), found);
        assert_eq!(db.counts(), before);
    });
}

fn assert_refused(document: Value, expected: &[&str]) {
    assert_refused_raw(&document.to_string(), expected);
}

#[test]
fn a_body_that_is_not_json() {
    assert_refused_raw(
        r#"{"id": "t", "agents": [ }"#,
        &["(root): not valid JSON: *"],
    );
}

#[test]
fn a_document_that_is_not_an_object() {
    assert_refused(json!(["agents"]), &["(root): expected object, got array"]);
}

#[test]
fn values_of_the_wrong_type() {
    assert_refused(
        template(json!({
            "agents": [{"ref": "a", "name": 42, "budgetCents": "lots", "metadata": []}],
            "goals": {"ref": "g"}
        })),
        &[
            "agents[0].budgetCents: expected integer, got string",
            "agents[0].metadata: expected object, got array",
            "agents[0].name: expected string, got integer",
            "goals: expected array, got object",
        ],
    );
}

#[test]
fn missing_required_fields() {
    assert_refused(
        json!({
            "name": "No Id Co",
            "agents": [{"ref": "a"}],
            "goals": [{"ref": "g", "title": "G"}],
            "projects": [{"name": "P"}],
            "issues": [{"status": "todo"}]
        }),
        &[
            "agents[0].name: is required",
            "goals[0].level: is required",
            "id: is required",
            "issues[0].title: is required",
            "projects[0].ref: is required",
        ],
    );
}

#[test]
fn unknown_fields() {
    assert_refused(
        template(json!({"colour": "red", "agents": [{"ref": "a", "name": "A", "manager": "b"}]})),
        &[
            "agents[0].manager: unknown field (allowed: budgetCents, metadata, name, ref, reportsTo, role, title)",
            "colour: unknown field (allowed: $schema, agents, author, description, goals, id, issues, name, projects, version)",
        ],
    );
}

#[test]
fn texts_out_of_bounds_and_malformed_refs() {
    assert_refused(
        template(json!({
            "version": "one",
            "agents": [{"ref": "Eng Lead", "name": "x".repeat(201)}],
            "goals": [{"ref": "g", "title": "   ", "level": "team"}]
        })),
        &[
            "agents[0].name: must be at most 200 characters long, got 201",
            "agents[0].ref: \"Eng Lead\" is not a valid ref: use letters, digits, '.', '_' and '-', starting with a letter or digit",
            "goals[0].title: must not be blank",
            "version: \"one\" is not a semantic version (e.g. 1.0.0)",
        ],
    );
}

#[test]
fn duplicate_refs_per_kind() {
    assert_refused(
        template(json!({
            "agents": [{"ref": "x", "name": "A"}, {"ref": "x", "name": "B"}],
            "goals": [{"ref": "x", "title": "G", "level": "team"}, {"ref": "x", "title": "H", "level": "team"}],
            "projects": [{"ref": "p", "name": "P"}, {"ref": "q", "name": "Q"}, {"ref": "p", "name": "R"}],
            "issues": [{"ref": "i", "title": "I"}, {"ref": "i", "title": "J"}]
        })),
        &[
            "agents[1].ref: duplicate ref \"x\" (already used by agents[0])",
            "goals[1].ref: duplicate ref \"x\" (already used by goals[0])",
            "issues[1].ref: duplicate ref \"i\" (already used by issues[0])",
            "projects[2].ref: duplicate ref \"p\" (already used by projects[0])",
        ],
    );
}

#[test]
fn dangling_refs() {
    assert_refused(
        template(json!({
            "agents": [{"ref": "a", "name": "A", "reportsTo": "cto"}],
            "goals": [{"ref": "g", "title": "G", "level": "team", "parentRef": "nope", "ownerRef": "ghost"}],
            "projects": [{"ref": "p", "name": "P", "goalRef": "a"}],
            "issues": [{
                "title": "I", "parentRef": "missing", "projectRef": "g",
                "assigneeRef": "p", "goalRef": "x"
            }]
        })),
        &[
            "agents[0].reportsTo: unknown ref \"cto\" (no other agent has it)",
            "goals[0].ownerRef: unknown ref \"ghost\" (no agent has it)",
            "goals[0].parentRef: unknown ref \"nope\" (no other goal has it)",
            "issues[0].assigneeRef: unknown ref \"p\" (no agent has it)",
            "issues[0].goalRef: unknown ref \"x\" (no goal has it)",
            "issues[0].parentRef: unknown ref \"missing\" (no other issue has it)",
            "issues[0].projectRef: unknown ref \"g\" (no project has it)",
            "projects[0].goalRef: unknown ref \"a\" (no goal has it)",
        ],
    );
}

#[test]
fn cycles_in_reports_to() {
    assert_refused(
        template(json!({
            "agents": [
                {"ref": "ceo", "name": "CEO"},
                {"ref": "a", "name": "A", "reportsTo": "c"},
                {"ref": "b", "name": "B", "reportsTo": "a"},
                {"ref": "c", "name": "C", "reportsTo": "b"},
                {"ref": "d", "name": "D", "reportsTo": "c"},
                {"ref": "me", "name": "Me", "reportsTo": "me"}
            ]
        })),
        &[
            "agents[1].reportsTo: cycle in reportsTo: a -> c -> b -> a",
            "agents[5].reportsTo: cycle in reportsTo: me -> me",
        ],
    );
}

#[test]
fn cycles_in_goal_parents() {
    assert_refused(
        template(json!({
            "goals": [
                {"ref": "root", "title": "Root", "level": "company"},
                {"ref": "g1", "title": "G1", "level": "team", "parentRef": "g2"},
                {"ref": "g2", "title": "G2", "level": "team", "parentRef": "g1"}
            ]
        })),
        &["goals[1].parentRef: cycle in parentRef: g1 -> g2 -> g1"],
    );
}

#[test]
fn cycles_in_issue_parents() {
    assert_refused(
        template(json!({
            "issues": [
                {"ref": "i1", "title": "One", "parentRef": "i3"},
                {"ref": "i2", "title": "Two", "parentRef": "i1"},
                {"ref": "i3", "title": "Three", "parentRef": "i2"}
            ]
        })),
        &["issues[0].parentRef: cycle in parentRef: i1 -> i3 -> i2 -> i1"],
    );
}

#[test]
fn unknown_enum_values() {
    assert_refused(
        template(json!({
            "goals": [{"ref": "g", "title": "G", "level": "galaxy", "status": "done"}],
            "projects": [{"ref": "p", "name": "P", "status": "paused"}],
            "issues": [{"title": "I", "status": "doing", "priority": "asap"}]
        })),
        &[
            "goals[0].level: unknown value \"galaxy\" (allowed: company, team, agent)",
            "goals[0].status: unknown value \"done\" (allowed: planned, active, completed, cancelled)",
            "issues[0].priority: unknown value \"asap\" (allowed: low, medium, high, urgent)",
            "issues[0].status: unknown value \"doing\" (allowed: backlog, todo, in_progress, in_review, done, cancelled)",
            "projects[0].status: unknown value \"paused\" (allowed: planned, active, completed, archived)",
        ],
    );
}

#[test]
fn negative_and_excessive_budgets() {
    assert_refused(
        template(json!({
            "agents": [
                {"ref": "a", "name": "A", "budgetCents": -1},
                {"ref": "b", "name": "B", "budgetCents": 0},
                {"ref": "c", "name": "C", "budgetCents": 1_000_000_000_001_i64}
            ]
        })),
        &[
            "agents[0].budgetCents: must not be negative, got -1",
            "agents[2].budgetCents: must be at most 1000000000000, got 1000000000001",
        ],
    );
}

#[test]
fn many_problems_at_once_are_all_reported() {
    assert_refused(
        json!({
            "id": "broken",
            "name": "",
            "agents": [
                {"ref": "ceo", "name": "CEO", "budgetCents": -100},
                {"ref": "ceo", "name": "Second CEO", "reportsTo": "ceo"},
                {"ref": "a", "name": "A", "reportsTo": "b", "role": 7},
                {"ref": "b", "name": "B", "reportsTo": "a"},
                {"ref": "x", "name": "X", "reportsTo": "cto"}
            ],
            "goals": [
                {"ref": "g", "title": "G", "level": "team", "parentRef": "g", "ownerRef": "nobody"}
            ],
            "projects": [{"ref": "p", "name": "P", "goalRef": "g", "budget": 3}],
            "issues": [
                {"title": "I", "status": "doing", "projectRef": "p", "assigneeRef": "zz"},
                {"title": "J", "priority": "asap", "goalRef": "none"}
            ]
        }),
        &[
            "agents[0].budgetCents: must not be negative, got -100",
            "agents[1].ref: duplicate ref \"ceo\" (already used by agents[0])",
            "agents[2].reportsTo: cycle in reportsTo: a -> b -> a",
            "agents[2].role: expected string, got integer",
            "agents[4].reportsTo: unknown ref \"cto\" (no other agent has it)",
            "goals[0].ownerRef: unknown ref \"nobody\" (no agent has it)",
            "goals[0].parentRef: cycle in parentRef: g -> g",
            "issues[0].assigneeRef: unknown ref \"zz\" (no agent has it)",
            "issues[0].status: unknown value \"doing\" (allowed: backlog, todo, in_progress, in_review, done, cancelled)",
            "issues[1].goalRef: unknown ref \"none\" (no goal has it)",
            "issues[1].priority: unknown value \"asap\" (allowed: low, medium, high, urgent)",
            "name: must not be empty",
            "projects[0].budget: unknown field (allowed: description, goalRef, name, ref, status)",
        ],
    );
}
