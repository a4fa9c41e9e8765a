//! The module ABI seen from outside the server: a module built against the previous ABI (fewer
//! root-module fields) still loads and works, and a module crate outside this workspace, depending
//! on `module-sdk` by path only, is built by the test with cargo and loads. (Libraries the server
//! must refuse — not a module, another layout, a newer ABI — are in `modules_faults.rs`.)
//!
//! Needs `scripts/build-modules.sh` and `cargo build -p paperclip-server` first; the external
//! crate is built into `target/external-module/` (its dependencies are compiled once and reused).

mod modules_support;

use modules_support::{
    assert_server_and_kitchen_sink_work, counter, kitchen_config, module, wait_for,
    wait_for_module_log, wait_for_status, Database, ModulesDir, KITCHEN_SECRET, KITCHEN_SINK,
};
use paperclip_e2e::{each_backend, json, target_dir, workspace_root, ServerOptions, TestServer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

#[test]
fn a_module_built_against_the_previous_abi_loads_and_works() {
    each_backend(|backend| {
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .module(KITCHEN_SINK)
                .module("abi-prev-module")
                .config(kitchen_config())
                .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
        );
        wait_for_status(&server, "abi-prev-module", "active");
        // Its route (the root module's `handle_route`, with the host handle it got in register).
        let answer = server.get_ok("/api/modules/abi-prev/");
        assert_eq!(answer, json!({"abi": "1.0.0", "module": "abi-prev-module"}));
        // Its hook (`server:started`), logged through the host handle, tagged with its id.
        let line = wait_for_module_log(&server, "abi-prev-module", "hook server:started");
        assert!(
            line.contains(&format!("\"port\":{}", server.port())),
            "{line}"
        );
        // Its service runs on the host's timer.
        wait_for("the ABI 1.0 module's service to run", || {
            (counter(&server, "abi-prev-module", "serviceRuns") >= 1).then_some(())
        });
        assert_eq!(counter(&server, "abi-prev-module", "hookFailures"), 0);
        assert_eq!(counter(&server, "abi-prev-module", "serviceFailures"), 0);
        assert_server_and_kitchen_sink_work(&server);
    });
}

#[test]
fn modules_of_three_abi_generations_load_and_each_gets_every_event() {
    each_backend(|backend| {
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .module("abi-prev-module")
                .module("abi-v1-1-module")
                .module("tiny"),
        );
        for id in ["abi-prev-module", "abi-v1-1-module", "tiny"] {
            wait_for_status(&server, id, "active");
        }
        // What each library says it was built against (1.0 has no `describe`).
        assert!(module(&server, "abi-prev-module")["build"].is_null());
        assert_eq!(module(&server, "abi-v1-1-module")["build"]["abi"], "1.1.0");
        assert_eq!(module(&server, "tiny")["build"]["abi"], "1.2.0");

        // A burst of events: ABI 1.1 gets one `on_hook` call per event, ABI 1.2 gets them in
        // batches through `on_hook_batch` (fewer calls when they queue up), none is lost.
        const AGENTS: u64 = 60;
        let company = server.create_company("Generations Inc");
        for n in 0..AGENTS {
            server.create_agent(&company, json!({ "name": format!("Agent {n}") }));
        }
        let v1_1 = wait_for("the ABI 1.1 module to get every agent:created", || {
            let answer = server.get_ok("/api/modules/abi-v1-1/");
            (answer["agentCalls"] == AGENTS).then_some(answer)
        });
        assert_eq!(v1_1["abi"], "1.1.0");
        let tiny = wait_for("tiny's batch handler to get every agent:created", || {
            let hooks = server.get_ok("/api/modules/tiny/hooks");
            (hooks["batchedEvents"] == AGENTS).then_some(hooks)
        });
        let batches = tiny["batches"].as_u64().unwrap_or_default();
        assert!((1..=AGENTS).contains(&batches), "{tiny}");
        for id in ["abi-v1-1-module", "tiny"] {
            assert_eq!(counter(&server, id, "hookFailures"), 0, "{id}");
            assert_eq!(counter(&server, id, "hookDrops"), 0, "{id}");
        }
        // ABI 1.0 still gets its `server:started` through `on_hook`.
        wait_for_module_log(&server, "abi-prev-module", "hook server:started");
    });
}

/// The external module's source: one hook writing to its own table, two routes.
const EXTERNAL_LIB_RS: &str = r#"//! A module crate outside the Paperclip workspace.
use module_sdk::{params, AgentCreated, Module, ModuleContext, Registrar, Request, Response, Result, Router};
use serde_json::json;

pub struct External;

impl Module for External {
    fn register(r: &mut Registrar<Self>) -> Result<Self> {
        r.log().info("external module registered");
        r.on(|_m: &Self, ctx: &ModuleContext, created: AgentCreated| {
            ctx.db().execute(
                "INSERT INTO mod_external_echo_seen (agent_id, name) VALUES ($1, $2)",
                &params![created.agent.id, created.agent.name],
            )?;
            Ok(())
        });
        r.routes(Router::new().get("/hello", hello).get("/seen", seen));
        Ok(External)
    }
}

module_sdk::declare_module!(External);

fn hello(_m: &External, ctx: &ModuleContext, _req: &Request) -> Response {
    Response::ok(&json!({"hello": "from outside", "module": ctx.module_id(), "sdk": module_sdk::SDK_VERSION}))
}

fn seen(_m: &External, ctx: &ModuleContext, _req: &Request) -> Result<Response> {
    let rows = ctx.db().query("SELECT name FROM mod_external_echo_seen ORDER BY name", &params![])?;
    let names: Vec<String> = rows.iter().map(|r| r.get("name")).collect::<Result<_>>()?;
    Ok(Response::ok(&json!({ "names": names })))
}
"#;

/// Writes the external crate into a fresh folder, builds it with cargo (target dir
/// `target/external-module/`, shared by every run so its dependencies compile once) and returns
/// the built library. Built once per test process.
fn built_external_library() -> &'static Path {
    static LIBRARY: OnceLock<PathBuf> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let source = tempfile::Builder::new()
            .prefix("external-module-")
            .tempdir()
            .expect("a temporary folder");
        let sdk = workspace_root().join("module-sdk");
        let manifest = format!(
            r#"[package]
name = "external-echo"
version = "0.3.0"
edition = "2021"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
module-sdk = {{ path = "{}" }}
serde_json = "1"

# Not part of any enclosing workspace.
[workspace]
"#,
            sdk.display().to_string().replace('\\', "/")
        );
        std::fs::write(source.path().join("Cargo.toml"), manifest).expect("Cargo.toml");
        // The workspace's lock file pins the same dependency versions the SDK is tested with.
        std::fs::copy(
            workspace_root().join("Cargo.lock"),
            source.path().join("Cargo.lock"),
        )
        .expect("copying Cargo.lock");
        std::fs::create_dir_all(source.path().join("src")).expect("src/");
        std::fs::write(source.path().join("src/lib.rs"), EXTERNAL_LIB_RS).expect("lib.rs");

        let target = target_dir().join("external-module");
        let output = Command::new(env!("CARGO"))
            .args(["build", "--quiet"])
            .current_dir(source.path())
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building the external module failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let library = target.join("debug").join(format!(
            "{}external_echo{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ));
        assert!(library.is_file(), "{} was built", library.display());
        library
    })
}

/// Lays out the external module's bundle in `modules`: manifest, library, migrations.
fn lay_out_external_bundle(modules: &ModulesDir) {
    let bundle = modules.path().join("external-echo");
    std::fs::create_dir_all(&bundle).expect("bundle folder");
    let manifest = json!({
        "id": "external-echo",
        "name": "External echo",
        "version": "0.3.0",
        "library": "external_echo",
        "hooks": ["agent:created"],
        "routes": {"prefix": "external-echo"},
        "requires": {"core": ">=0.1.0"}
    });
    std::fs::write(
        bundle.join("paperclip.module.json"),
        serde_json::to_string_pretty(&manifest).expect("manifest"),
    )
    .expect("manifest file");
    let library = built_external_library();
    std::fs::copy(
        library,
        bundle.join(library.file_name().expect("file name")),
    )
    .expect("copying the library");
    for (backend, key) in [
        ("sqlite", "INTEGER PRIMARY KEY"),
        ("postgres", "BIGSERIAL PRIMARY KEY"),
    ] {
        let dir = bundle
            .join("migrations")
            .join(backend)
            .join("2026-02-01-000000_seen");
        std::fs::create_dir_all(&dir).expect("migration folder");
        std::fs::write(
            dir.join("up.sql"),
            format!(
                "CREATE TABLE mod_external_echo_seen (id {key}, agent_id TEXT NOT NULL, name TEXT NOT NULL);\n"
            ),
        )
        .expect("up.sql");
        std::fs::write(dir.join("down.sql"), "DROP TABLE mod_external_echo_seen;\n")
            .expect("down.sql");
    }
}

#[test]
fn a_module_crate_outside_the_workspace_is_built_and_loads() {
    each_backend(|backend| {
        let modules = ModulesDir::new();
        modules.add(KITCHEN_SINK);
        lay_out_external_bundle(&modules);
        let server = TestServer::start(
            backend,
            ServerOptions::new()
                .config(modules.config(kitchen_config()))
                .env("KITCHEN_SINK_SECRET", KITCHEN_SECRET),
        );
        let view = wait_for_status(&server, "external-echo", "active");
        assert_eq!(view["version"], "0.3.0", "{view}");
        let hello = server.get_ok("/api/modules/external-echo/hello");
        assert_eq!(hello["hello"], "from outside", "{hello}");
        assert_eq!(hello["module"], "external-echo", "{hello}");

        let company = server.create_company("Outside Corp");
        server.create_agent(&company, json!({"name": "Visitor"}));
        wait_for("the external module to record the agent", || {
            let seen = server.get_ok("/api/modules/external-echo/seen");
            (seen["names"] == json!(["Visitor"])).then_some(())
        });
        let mut db = Database::open(&server);
        assert_eq!(db.applied_migrations("external-echo").len(), 1);
        wait_for_module_log(&server, "external-echo", "external module registered");
        assert_eq!(module(&server, KITCHEN_SINK)["status"], "active");
        assert_server_and_kitchen_sink_work(&server);
    });
}
