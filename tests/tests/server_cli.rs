//! The `paperclipai` command line and server start-up: version, help, health, the bind-safety
//! default, API keys, `db migrate`.

use paperclip_e2e::{
    each_backend, json, run_cli, run_cli_with, ServerOptions, StatusCode, TestBackend,
    TestDatabase, TestServer,
};

#[test]
fn version_is_printed() {
    let out = run_cli(&["--version"]);
    assert!(out.success(), "{out:?}");
    assert_eq!(out.stdout.trim(), "paperclipai 0.1.0");
}

#[test]
fn every_subcommand_has_help() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--help"], &["Usage", "run", "db"]),
        (&["help"], &["Usage", "run", "db"]),
        (
            &["run", "--help"],
            &[
                "Usage",
                "--bind",
                "--port",
                "--config",
                "--data-dir",
                "--modules-dir",
            ],
        ),
        (&["db", "--help"], &["Usage", "migrate"]),
        (
            &["db", "migrate", "--help"],
            &["Usage", "--data-dir", "--config"],
        ),
    ];
    for (args, expected) in cases {
        let out = run_cli(args);
        assert!(out.success(), "paperclipai {args:?}: {out:?}");
        for word in *expected {
            assert!(
                out.stdout.contains(word),
                "paperclipai {args:?} help lacks {word:?}:\n{}",
                out.stdout
            );
        }
    }
    // Each subcommand's help describes itself, not just the top-level program.
    let run_help = run_cli(&["run", "--help"]).stdout;
    assert!(run_help.contains("Usage: paperclipai run"), "{run_help}");
    let migrate_help = run_cli(&["db", "migrate", "--help"]).stdout;
    assert!(
        migrate_help.contains("Usage: paperclipai db migrate"),
        "{migrate_help}"
    );
}

#[test]
fn unknown_subcommand_fails_with_usage() {
    let out = run_cli(&["serve"]);
    assert!(!out.success());
    assert!(out.stderr.contains("Usage"), "{}", out.stderr);
}

#[test]
fn health_reports_version_and_backend() {
    each_backend(|backend| {
        let server = TestServer::start(backend.clone(), ServerOptions::new());
        let (status, body) = server.get("/api/health");
        assert_eq!(status, StatusCode::OK, "{body}");
        let replica = body["replica"].as_str().unwrap_or_default().to_string();
        assert!(!replica.is_empty(), "a replica id: {body}");
        assert_eq!(
            body,
            json!({"status": "ok", "version": "0.1.0", "database": backend.name(), "replica": replica})
        );
        assert!(
            server.stdout_log().contains(&format!(
                "paperclipai 0.1.0 listening on {} (database: {}, replica {replica})",
                server.base_url(),
                backend.name()
            )),
            "{}",
            server.stdout_log()
        );
        // The replica keeps its id across a restart (it is kept in the data directory).
        let mut server = server;
        server.restart();
        assert_eq!(server.get_ok("/api/health")["replica"], replica.as_str());
    });
}

#[test]
fn non_loopback_bind_without_keys_is_refused() {
    let failure = TestServer::try_start(TestBackend::Sqlite, ServerOptions::new().bind("0.0.0.0"))
        .err()
        .expect("binding 0.0.0.0 without API keys must not start");
    let status = failure.status.expect("it exits by itself");
    assert!(!status.success(), "{failure}");
    assert!(
        failure.stderr.contains("refusing to bind 0.0.0.0"),
        "{failure}"
    );
    assert!(
        failure.stderr.to_lowercase().contains("api key"),
        "the message says how to fix it: {failure}"
    );
}

#[test]
fn non_loopback_bind_with_keys_starts() {
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().bind("0.0.0.0").api_key("k1"),
    );
    assert_eq!(server.get("/api/companies").0, StatusCode::OK);
    assert_eq!(
        server.without_key().get("/api/companies").0,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn api_keys_from_config_guard_every_route_but_health() {
    each_backend(|backend| {
        let server = TestServer::start(backend, ServerOptions::new().api_key("k1"));
        let anonymous = server.without_key();
        let wrong = server.with_key(Some("k2"));

        let (status, body) = anonymous.get("/api/health");
        assert_eq!(status, StatusCode::OK, "health needs no key: {body}");
        assert_eq!(wrong.get("/api/health").0, StatusCode::OK);

        for path in [
            "/api/companies",
            "/api/companies/00000000-0000-0000-0000-000000000000",
        ] {
            let (status, body) = anonymous.get(path);
            assert_eq!(status, StatusCode::UNAUTHORIZED, "GET {path}: {body}");
            assert!(body["error"].is_string(), "JSON error: {body}");
            assert_eq!(wrong.get(path).0, StatusCode::UNAUTHORIZED, "GET {path}");
        }
        let (status, _) = anonymous.post("/api/companies", &json!({"name": "Acme"}));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Lower-case scheme or a bare key are not the bearer format.
        let (status, _) = server.send(
            anonymous
                .request(paperclip_e2e::Method::GET, "/api/companies")
                .header("authorization", "k1"),
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Nothing was written by the refused requests.
        let (status, body) = server.get("/api/companies");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 0, "{body}");
        server.create_company("Acme");
        assert_eq!(server.total("/api/companies"), 1);
    });
}

#[test]
fn api_keys_from_environment() {
    let server = TestServer::start(
        TestBackend::Sqlite,
        ServerOptions::new().env("PAPERCLIP_API_KEYS", "k1, k2"),
    );
    assert_eq!(server.get("/api/companies").0, StatusCode::UNAUTHORIZED);
    for key in ["k1", "k2"] {
        let (status, body) = server.with_key(Some(key)).get("/api/companies");
        assert_eq!(status, StatusCode::OK, "key {key}: {body}");
    }
    assert_eq!(
        server.with_key(Some("k3")).get("/api/companies").0,
        StatusCode::UNAUTHORIZED
    );
}

#[test]
fn invalid_config_is_refused_naming_the_key() {
    let failure = TestServer::try_start(
        TestBackend::Sqlite,
        ServerOptions::new().config(json!({"modulez": {}})),
    )
    .err()
    .expect("an unknown config key must not start");
    assert!(!failure.status.expect("it exits").success());
    assert!(failure.stderr.contains("modulez"), "{failure}");
}

#[test]
fn db_migrate_then_run() {
    each_backend(|backend| {
        let data = tempfile::tempdir().unwrap();
        let data_dir = data.path().join("data");
        let data_arg = data_dir.to_str().unwrap();
        // PostgreSQL: a database of our own, named to both commands through DATABASE_URL.
        let database = match &backend {
            TestBackend::Sqlite => None,
            TestBackend::Postgres { admin_url } => Some(TestDatabase::create(admin_url)),
        };
        let env: Vec<(&str, &str)> = database
            .iter()
            .map(|db| ("DATABASE_URL", db.url()))
            .collect();

        let out = run_cli_with(&["db", "migrate", "--data-dir", data_arg], &env, None);
        assert!(out.success(), "db migrate: {out:?}");
        if database.is_none() {
            assert!(
                data_dir.join("paperclip.db").is_file(),
                "SQLite file created"
            );
        }

        let mut options = ServerOptions::new().data_dir(&data_dir);
        for (name, value) in &env {
            options = options.env(*name, *value);
        }
        let mut server = TestServer::start(backend.clone(), options);
        assert_eq!(server.get_ok("/api/health")["database"], backend.name());
        let company = server.create_company("Acme");
        server.stop().expect("it was running");

        // Migrating an up-to-date database is a no-op that succeeds and keeps the data.
        let again = run_cli_with(&["db", "migrate", "--data-dir", data_arg], &env, None);
        assert!(again.success(), "second db migrate: {again:?}");
        server.restart();
        assert_eq!(
            server.get_ok(&format!("/api/companies/{company}"))["name"],
            "Acme"
        );
    });
}

#[test]
fn restart_keeps_data_and_port() {
    each_backend(|backend| {
        let mut server = TestServer::start(backend, ServerOptions::new());
        let company = server.create_company("Keep Me");
        let port = server.port();
        let status = server.stop().expect("it was running");
        assert!(status.success(), "SIGTERM shuts down cleanly: {status}");
        assert!(
            reqwest::blocking::get(server.url("/api/health")).is_err(),
            "a stopped server still answers"
        );
        server.restart();
        assert_eq!(server.port(), port);
        assert_eq!(
            server.get_ok(&format!("/api/companies/{company}"))["name"],
            "Keep Me"
        );
    });
}
