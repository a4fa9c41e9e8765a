//! Calling a module's `register` and `shutdown` (through its [`ModuleEntry`], whatever the
//! isolation level) from the host with a time limit: each call runs
//! on its own thread, so a module that never returns costs one thread, not the server (the
//! lifecycle operations that wait for it give up after the limit).

use crate::module_entry::ModuleEntry;
use module_sdk::abi::{ErrorKind, HostHandle, ModuleError, Registration};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// How long `register` may take before the module is reported `failed`.
pub const REGISTER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the host waits for `shutdown` before moving on.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// A module error as one readable phrase.
pub fn describe_module_error(error: &ModuleError) -> String {
    let message = error.message.as_str();
    match error.kind {
        ErrorKind::Panic if message.contains("panicked") => message.to_string(),
        ErrorKind::Panic => format!("panicked: {message}"),
        ErrorKind::NotRegistered => format!("not registered: {message}"),
        ErrorKind::BadRequest => format!("bad request: {message}"),
        ErrorKind::NotFound => format!("not found: {message}"),
        ErrorKind::Failed => message.to_string(),
    }
}

/// Calls `register` with the host handle and config JSON; `Err` names what went wrong
/// (the module's error or panic, or the time-out). A call that times out and later succeeds
/// is undone with `shutdown`, so a late registration never leaves the module half-attached.
pub fn call_register(
    module_id: &str,
    entry: &Arc<dyn ModuleEntry>,
    host: HostHandle,
    config_json: String,
    timeout: Duration,
) -> Result<Registration, String> {
    let (tx, rx) = mpsc::channel();
    let entry = Arc::clone(entry);
    let spawned = std::thread::Builder::new()
        .name(format!("module-register-{module_id}"))
        .spawn(move || {
            let result = entry.register(host, &config_json);
            if let Err(mpsc::SendError(Ok(_))) = tx.send(result) {
                // The host gave up waiting: detach what registered too late.
                entry.shutdown();
            }
        });
    if let Err(e) = spawned {
        return Err(format!("cannot start a thread to call register: {e}"));
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(registration)) => Ok(registration),
        Ok(Err(error)) => Err(format!(
            "register failed: {}",
            describe_module_error(&error)
        )),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "register did not return within {} s",
            timeout.as_secs_f64()
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("register ended without an answer".to_string())
        }
    }
}

/// Calls `shutdown`, waiting at most `timeout`; returns whether it returned in time.
pub fn call_shutdown(module_id: &str, entry: &Arc<dyn ModuleEntry>, timeout: Duration) -> bool {
    let (tx, rx) = mpsc::channel::<()>();
    let entry = Arc::clone(entry);
    let spawned = std::thread::Builder::new()
        .name(format!("module-shutdown-{module_id}"))
        .spawn(move || {
            entry.shutdown();
            drop(tx);
        });
    match spawned {
        Ok(_) => !matches!(
            rx.recv_timeout(timeout),
            Err(mpsc::RecvTimeoutError::Timeout)
        ),
        Err(e) => {
            tracing::error!(module = module_id, error = %e, "cannot start a thread to call shutdown");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_module::{panic_error, FakeModule};
    use crate::host_handle::HostHandleImpl;
    use crate::module_entry::LibraryEntry;
    use abi_stable::std_types::{RResult, RStr, RVec};
    use paperclip_core::hooks::HookBus;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    fn host(dir: &std::path::Path) -> HostHandle {
        let db = paperclip_core::db::open_database(&dir.join("t.db").to_string_lossy()).unwrap();
        let core = paperclip_core::core::Core::new(db, Arc::new(HookBus::new()));
        HostHandleImpl::new("fake", core).into_handle()
    }

    extern "C" fn exploding_register(
        _: HostHandle,
        _: RStr<'_>,
    ) -> RResult<Registration, ModuleError> {
        RResult::RErr(panic_error("register exploded"))
    }

    extern "C" fn echo_config_register(
        _: HostHandle,
        config: RStr<'_>,
    ) -> RResult<Registration, ModuleError> {
        RResult::ROk(Registration {
            hooks: vec![config.as_str().into()].into(),
            services: RVec::new(),
            has_routes: true,
        })
    }

    static LATE_SHUT_DOWN: AtomicBool = AtomicBool::new(false);

    extern "C" fn slow_register(_: HostHandle, _: RStr<'_>) -> RResult<Registration, ModuleError> {
        std::thread::sleep(Duration::from_millis(300));
        RResult::ROk(Registration {
            hooks: RVec::new(),
            services: RVec::new(),
            has_routes: false,
        })
    }

    extern "C" fn note_late_shutdown() {
        LATE_SHUT_DOWN.store(true, Ordering::SeqCst);
    }

    fn entry(root: module_sdk::abi::ModuleRoot_Ref) -> Arc<dyn ModuleEntry> {
        Arc::new(LibraryEntry::new(root))
    }

    #[test]
    fn register_gets_the_config_and_its_errors_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = FakeModule::new().register(echo_config_register).build();
        let registration = call_register(
            "fake",
            &entry(root),
            host(dir.path()),
            "{\"a\":1}".into(),
            REGISTER_TIMEOUT,
        )
        .unwrap();
        assert_eq!(registration.hooks[0].as_str(), "{\"a\":1}");
        assert!(registration.has_routes);

        let root = FakeModule::new().register(exploding_register).build();
        let err = call_register(
            "fake",
            &entry(root),
            host(dir.path()),
            "{}".into(),
            REGISTER_TIMEOUT,
        )
        .unwrap_err();
        assert_eq!(err, "register failed: module panicked: register exploded");
    }

    #[test]
    fn a_register_that_overruns_fails_and_is_undone_when_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let root = FakeModule::new()
            .register(slow_register)
            .shutdown(note_late_shutdown)
            .build();
        let err = call_register(
            "fake",
            &entry(root),
            host(dir.path()),
            "{}".into(),
            Duration::from_millis(20),
        )
        .unwrap_err();
        assert_eq!(err, "register did not return within 0.02 s");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !LATE_SHUT_DOWN.load(Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < deadline,
                "the late registration was not undone"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn module_errors_read_as_phrases() {
        let panic = ModuleError::new(ErrorKind::Panic, "module panicked: boom");
        assert_eq!(describe_module_error(&panic), "module panicked: boom");
        let bare_panic = ModuleError::new(ErrorKind::Panic, "boom");
        assert_eq!(describe_module_error(&bare_panic), "panicked: boom");
        let failed = ModuleError::new(ErrorKind::Failed, "no database");
        assert_eq!(describe_module_error(&failed), "no database");
        let bad = ModuleError::new(ErrorKind::BadRequest, "config is not valid JSON");
        assert_eq!(
            describe_module_error(&bad),
            "bad request: config is not valid JSON"
        );
    }
}
