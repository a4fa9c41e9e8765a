//! Loads real module libraries through `load_module_root`, as the server does: the
//! `declare_module!` smoke module (current ABI) and a module built against the frozen ABI 1.0.
//! The libraries are built with cargo first (they are workspace members).

use abi_stable::{
    sabi_trait::TD_Opaque,
    std_types::{RArc, RResult, RStr, RString, RVec},
};
use module_sdk::abi::{
    load_module_root, ErrorKind, HostApi, HostApi_TO, HostError, HostHandle, LoadError, LogLevel,
    ModuleRoot_Ref, RouteRequest,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

/// A host that only records log lines.
#[derive(Clone, Default)]
struct LogHost {
    id: &'static str,
    logs: Arc<Mutex<Vec<String>>>,
}

impl HostApi for LogHost {
    fn module_id(&self) -> RString {
        self.id.into()
    }
    fn log(&self, _level: LogLevel, message: RStr<'_>) {
        self.logs.lock().unwrap().push(message.to_string());
    }
    fn db_begin(&self) -> RResult<u64, HostError> {
        RResult::RErr(HostError::new("no database in this test"))
    }
    fn db_commit(&self, _tx: u64) -> RResult<(), HostError> {
        RResult::RErr(HostError::new("no database in this test"))
    }
    fn db_rollback(&self, _tx: u64) -> RResult<(), HostError> {
        RResult::RErr(HostError::new("no database in this test"))
    }
    fn db_query(&self, _: u64, _: RStr<'_>, _: RStr<'_>) -> RResult<RString, HostError> {
        RResult::RErr(HostError::new("no database in this test"))
    }
    fn db_execute(&self, _: u64, _: RStr<'_>, _: RStr<'_>) -> RResult<u64, HostError> {
        RResult::RErr(HostError::new("no database in this test"))
    }
    fn core_call(&self, _: RStr<'_>, _: RStr<'_>) -> RResult<RString, HostError> {
        RResult::RErr(HostError::new("no core in this test"))
    }
}

fn handle(host: &LogHost) -> HostHandle {
    HostApi_TO::from_ptr(RArc::new(host.clone()), TD_Opaque)
}

fn target_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.parent().unwrap().join("target"))
        .join("debug")
}

/// Builds the test module libraries once and returns the directory holding them.
fn built_libraries() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "sdk-smoke", "-p", "abi-prev-module"])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the test modules failed");
        target_dir()
    })
}

fn library(dir: &Path, crate_name: &str) -> PathBuf {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    dir.join(format!("{DLL_PREFIX}{crate_name}{DLL_SUFFIX}"))
}

fn get(root: &ModuleRoot_Ref, path: &str) -> (u16, serde_json::Value) {
    let request = RouteRequest {
        method: "GET".into(),
        path: path.into(),
        query: RString::new(),
        headers: RVec::new(),
        body: RVec::new(),
    };
    let response = root.handle_route()(&request).unwrap();
    (
        response.status,
        serde_json::from_slice(&response.body).unwrap(),
    )
}

#[test]
fn a_declare_module_library_loads_and_answers() {
    let root = load_module_root(&library(built_libraries(), "sdk_smoke")).unwrap();
    let host = LogHost {
        id: "sdk-smoke",
        ..LogHost::default()
    };

    // Before register: an error, not a panic.
    let err = root.run_service()("tick".into()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotRegistered);

    let registration = root.register()(handle(&host), r#"{"greeting":"hi"}"#.into()).unwrap();
    assert_eq!(
        registration.hooks.as_slice(),
        &[RString::from("agent:heartbeat")]
    );
    assert_eq!(registration.services.len(), 1);
    assert_eq!(registration.services[0].name.as_str(), "tick");
    assert_eq!(registration.services[0].interval_ms, 50);
    assert!(registration.has_routes);

    let beat = r#"{"agentId":"a1","timestamp":"2026-01-01T00:00:00Z","meta":{"tokensUsed":5}}"#;
    root.on_hook()("agent:heartbeat".into(), beat.into()).unwrap();
    root.run_service()("tick".into()).unwrap();
    assert_eq!(host.logs.lock().unwrap().as_slice(), ["heartbeat from a1"]);

    let (status, body) = get(&root, "/hello/ada");
    assert_eq!(status, 200);
    assert_eq!(body["message"], "hi, ada");
    assert_eq!(body["heartbeats"], 1);
    assert_eq!(body["ticks"], 1);
    assert_eq!(get(&root, "/nope").0, 404);

    // A panic in a handler comes back as an error value; the host is still running.
    let err = root.handle_route()(&RouteRequest {
        method: "GET".into(),
        path: "/panic".into(),
        query: RString::new(),
        headers: RVec::new(),
        body: RVec::new(),
    })
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Panic);
    assert!(err.message.contains("smoke module panicked on purpose"));

    // The appended field is present in a current module.
    let describe = root.describe().expect("a current module has describe");
    let info: serde_json::Value = serde_json::from_str(&describe()).unwrap();
    assert_eq!(info["abi"], module_sdk::abi::ABI_VERSION);
    assert_eq!(info["sdk"], module_sdk::SDK_VERSION);
    assert_eq!(info["crate"], "sdk-smoke");

    // Disable, then enable again in the same process: fresh state.
    root.shutdown()();
    assert_eq!(
        root.on_hook()("agent:heartbeat".into(), beat.into())
            .unwrap_err()
            .kind,
        ErrorKind::NotRegistered
    );
    root.register()(handle(&host), "{}".into()).unwrap();
    let (_, body) = get(&root, "/hello/bob");
    assert_eq!(body["message"], "hello, bob");
    assert_eq!(body["heartbeats"], 0);
    root.shutdown()();
}

#[test]
fn a_module_of_the_previous_abi_loads_without_the_appended_field() {
    let root = load_module_root(&library(built_libraries(), "abi_prev_module")).unwrap();
    assert!(
        root.describe().is_none(),
        "ABI 1.0 modules have no describe"
    );

    let host = LogHost {
        id: "abi-prev",
        ..LogHost::default()
    };
    let registration = root.register()(handle(&host), "{}".into()).unwrap();
    assert_eq!(
        registration.hooks.as_slice(),
        &[RString::from("server:started")]
    );
    root.on_hook()("server:started".into(), r#"{"port":3100}"#.into()).unwrap();
    root.run_service()("noop".into()).unwrap();
    let (status, body) = get(&root, "/");
    assert_eq!(status, 200);
    assert_eq!(body["abi"], "1.0.0");
    assert_eq!(body["module"], "abi-prev");
    root.shutdown()();
    assert_eq!(
        host.logs.lock().unwrap().as_slice(),
        [
            "abi-prev-module registered",
            r#"hook server:started: {"port":3100}"#
        ]
    );
}

#[test]
fn a_library_that_is_not_a_module_is_refused_clearly() {
    // Any dynamic library without the root-module symbol will do; abi_stable's derive macro
    // is one that is always built next to the test.
    let deps = built_libraries().join("deps");
    let not_a_module = std::fs::read_dir(&deps)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.contains("abi_stable_derive") && name.ends_with(std::env::consts::DLL_SUFFIX)
        })
        .expect("abi_stable_derive's proc-macro library is in target/debug/deps");
    let err = load_module_root(&not_a_module)
        .err()
        .expect("must be refused");
    assert!(matches!(err, LoadError::NotAModule(_)), "{err:?}");
    assert!(err.to_string().contains("not a Paperclip module"));
}
