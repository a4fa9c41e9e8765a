//! `paperclipai template validate|import|export` through the real binary: every problem
//! printed with its path and exit status 1; import and export against a running server (with
//! its API key), and directly on the database of a stopped server on every backend.

mod templates_support;

use paperclip_e2e::{
    each_backend, json, run_cli, CliOutput, ServerOptions, TestBackend, TestServer, Value,
};
use std::path::Path;
use templates_support::{export, startup_template, Db};

fn write_json(dir: &Path, name: &str, value: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn assert_ok(out: &CliOutput, what: &str) {
    assert!(
        out.success(),
        "{what} failed:\n{}\n{}",
        out.stdout,
        out.stderr
    );
}

/// The arguments that point a command at `server`'s database directly.
fn database_args(server: &TestServer) -> Vec<String> {
    match server.backend() {
        TestBackend::Sqlite => vec![
            "--data-dir".into(),
            server.data_dir().to_string_lossy().into_owned(),
        ],
        TestBackend::Postgres { .. } => vec![
            "--database-url".into(),
            server.database_url().unwrap().to_string(),
        ],
    }
}

fn run(args: &[String]) -> CliOutput {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_cli(&args)
}

#[test]
fn validate_prints_every_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_json(dir.path(), "good.json", &startup_template());
    let out = run_cli(&["template", "validate", &good]);
    assert_ok(&out, "validate");
    assert!(
        out.stdout.contains(
            "valid template \"Startup in a Box\" (5 agents, 6 goals, 3 projects, 11 issues)"
        ),
        "{}",
        out.stdout
    );

    let mut bad = startup_template();
    bad["agents"][0]["reportsTo"] = json!("ops");
    bad["agents"][2]["budgetCents"] = json!(-5);
    bad["issues"][3]["status"] = json!("doing");
    bad["goals"][1]["ownerRef"] = json!("cto");
    let bad = write_json(dir.path(), "bad.json", &bad);
    let out = run_cli(&["template", "validate", &bad]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "agents[0].reportsTo: cycle in reportsTo: ceo -> ops -> ceo",
            "agents[2].budgetCents: must not be negative, got -5",
            "goals[1].ownerRef: unknown ref \"cto\" (no agent has it)",
            "issues[3].status: unknown value \"doing\" (allowed: backlog, todo, in_progress, in_review, done, cancelled)",
        ]
    );
    assert!(
        out.stderr.contains("template is invalid (4 problems)"),
        "{}",
        out.stderr
    );

    let out = run_cli(&["template", "validate", "/no/such/template.json"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.contains("cannot read /no/such/template.json"),
        "{}",
        out.stderr
    );
}

#[test]
fn import_and_export_through_a_running_server() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new().api_key("cli-key"));
        let url = server.base_url().to_string();
        let dir = tempfile::tempdir().unwrap();
        let file = write_json(dir.path(), "startup.json", &startup_template());

        // Without the key the server refuses, and the CLI says why.
        let out = run_cli(&["template", "import", &file, "--server", &url]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(out.stderr.contains("401"), "{}", out.stderr);

        let out = run_cli(&[
            "template",
            "import",
            &file,
            "--server",
            &url,
            "--api-key",
            "cli-key",
            "--name",
            "CLI Co",
            "--json",
        ]);
        assert_ok(&out, "import");
        let answer: Value = serde_json::from_str(&out.stdout).expect("--json prints JSON");
        let company = answer["companyId"].as_str().expect("companyId").to_string();
        assert_eq!(answer["refs"]["agents"].as_object().unwrap().len(), 5);
        assert_eq!(
            server.get_ok(&format!("/api/companies/{company}"))["name"],
            "CLI Co"
        );
        let activity = server.activity(&company);
        assert!(
            activity.iter().all(|a| a["actor"] == "api-key:0"),
            "actor of the import"
        );

        let output = dir.path().join("exported.json");
        let out = run_cli(&[
            "template",
            "export",
            "--company",
            &company,
            "-o",
            output.to_str().unwrap(),
            "--server",
            &url,
            "--api-key",
            "cli-key",
        ]);
        assert_ok(&out, "export");
        let written = std::fs::read_to_string(&output).unwrap();
        let exported: Value = serde_json::from_str(&written).unwrap();
        assert_eq!(exported, export(&server, &company));
        // To standard output: the same bytes.
        let out = run_cli(&[
            "template",
            "export",
            "--company",
            &company,
            "--server",
            &url,
            "--api-key",
            "cli-key",
        ]);
        assert_ok(&out, "export to stdout");
        assert_eq!(out.stdout, written);

        // An invalid template: the server's problems are printed, nothing is written.
        let mut bad = startup_template();
        bad["projects"][0]["goalRef"] = json!("nowhere");
        let bad = write_json(dir.path(), "bad.json", &bad);
        let mut db = Db::open(&server);
        let before = db.counts();
        let out = run_cli(&[
            "template",
            "import",
            &bad,
            "--server",
            &url,
            "--api-key",
            "cli-key",
        ]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert_eq!(
            out.stdout.trim(),
            "projects[0].goalRef: unknown ref \"nowhere\" (no goal has it)"
        );
        assert_eq!(db.counts(), before);
    });
}

#[test]
fn import_and_export_directly_on_the_database() {
    each_backend(|backend| {
        let mut server = TestServer::start(backend, ServerOptions::new());
        server.stop();
        let dir = tempfile::tempdir().unwrap();
        let file = write_json(dir.path(), "startup.json", &startup_template());
        let target = database_args(&server);

        let mut args: Vec<String> = vec!["template".into(), "import".into(), file, "--json".into()];
        args.extend(target.clone());
        let out = run(&args);
        assert_ok(&out, "direct import");
        let answer: Value = serde_json::from_str(&out.stdout).expect("--json prints JSON");
        let company = answer["companyId"].as_str().unwrap().to_string();

        let output = dir.path().join("exported.json");
        let mut args: Vec<String> = vec![
            "template".into(),
            "export".into(),
            "--company".into(),
            company.clone(),
            "-o".into(),
            output.to_string_lossy().into_owned(),
        ];
        args.extend(target.clone());
        assert_ok(&run(&args), "direct export");

        // The server sees the company, with the activity of a CLI import, and exports the same.
        server.restart();
        assert_eq!(
            server.get_ok(&format!("/api/companies/{company}"))["name"],
            "Startup in a Box"
        );
        assert_eq!(server.activity(&company)[0]["actor"], "cli");
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
        assert_eq!(written, export(&server, &company));

        // Exporting an unknown company fails with the reason.
        let mut args: Vec<String> = vec![
            "template".into(),
            "export".into(),
            "--company".into(),
            "7d1e8f0a-0000-4000-8000-000000000000".into(),
        ];
        args.extend(target);
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(out.stderr.contains("not found"), "{}", out.stderr);
    });
}
