//! In-process fake modules for the host's unit tests: a root module built from plain
//! `extern "C"` functions, so service, hook, route and register behaviour can be tested without
//! building a library. Each test passes its own functions (with their own statics).

use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::{RResult, RSlice, RStr, RString, RVec};
use module_sdk::abi::{
    ErrorKind, HookBatchItem, HookBatchOutcome, HostHandle, ModuleError, ModuleRoot,
    ModuleRoot_Ref, Registration, RouteRequest, RouteResponse,
};

/// `register` signature.
pub type RegisterFn = extern "C" fn(HostHandle, RStr<'_>) -> RResult<Registration, ModuleError>;
/// `on_hook` signature.
pub type OnHookFn = extern "C" fn(RStr<'_>, RStr<'_>) -> RResult<(), ModuleError>;
/// `handle_route` signature.
pub type HandleRouteFn = extern "C" fn(&RouteRequest) -> RResult<RouteResponse, ModuleError>;
/// `on_hook_batch` signature (ABI 1.2).
pub type OnHookBatchFn = extern "C" fn(RSlice<'_, HookBatchItem<'_>>) -> HookBatchOutcome;
/// `run_service`.
pub type RunServiceFn = extern "C" fn(RStr<'_>) -> RResult<(), ModuleError>;

/// Builds a fake root module; every entry point defaults to a no-op success.
pub struct FakeModule {
    register: RegisterFn,
    on_hook: OnHookFn,
    handle_route: HandleRouteFn,
    run_service: RunServiceFn,
    shutdown: extern "C" fn(),
    on_hook_batch: OnHookBatchFn,
}

impl FakeModule {
    /// A module whose entry points all succeed and do nothing.
    pub fn new() -> FakeModule {
        FakeModule {
            register: register_nothing,
            on_hook: ok_hook,
            handle_route: empty_route,
            run_service: ok_service,
            shutdown: no_shutdown,
            on_hook_batch: hooks_one_by_one,
        }
    }

    /// Replaces `register`.
    pub fn register(mut self, f: RegisterFn) -> FakeModule {
        self.register = f;
        self
    }

    /// Replaces `on_hook`.
    pub fn on_hook(mut self, f: OnHookFn) -> FakeModule {
        self.on_hook = f;
        self
    }

    /// Replaces `handle_route`.
    pub fn handle_route(mut self, f: HandleRouteFn) -> FakeModule {
        self.handle_route = f;
        self
    }

    /// Replaces `run_service`.
    pub fn run_service(mut self, f: RunServiceFn) -> FakeModule {
        self.run_service = f;
        self
    }

    /// Replaces `on_hook_batch`.
    pub fn on_hook_batch(mut self, f: OnHookBatchFn) -> FakeModule {
        self.on_hook_batch = f;
        self
    }

    /// Replaces `shutdown`.
    pub fn shutdown(mut self, f: extern "C" fn()) -> FakeModule {
        self.shutdown = f;
        self
    }

    /// The root module (leaked, as a loaded library's would be).
    pub fn build(self) -> ModuleRoot_Ref {
        ModuleRoot {
            register: self.register,
            on_hook: self.on_hook,
            handle_route: self.handle_route,
            run_service: self.run_service,
            shutdown: self.shutdown,
            describe,
            on_hook_batch: self.on_hook_batch,
        }
        .leak_into_prefix()
    }
}

/// An error as the SDK reports a panic.
pub fn panic_error(message: &str) -> ModuleError {
    ModuleError::new(ErrorKind::Panic, format!("module panicked: {message}"))
}

extern "C" fn register_nothing(_: HostHandle, _: RStr<'_>) -> RResult<Registration, ModuleError> {
    RResult::ROk(Registration {
        hooks: RVec::new(),
        services: RVec::new(),
        has_routes: false,
    })
}

extern "C" fn ok_hook(_: RStr<'_>, _: RStr<'_>) -> RResult<(), ModuleError> {
    RResult::ROk(())
}

extern "C" fn empty_route(_: &RouteRequest) -> RResult<RouteResponse, ModuleError> {
    RResult::ROk(RouteResponse {
        status: 204,
        headers: RVec::new(),
        body: RVec::new(),
    })
}

extern "C" fn ok_service(_: RStr<'_>) -> RResult<(), ModuleError> {
    RResult::ROk(())
}

extern "C" fn no_shutdown() {}

/// The default `on_hook_batch`: every event succeeds (a test that replaces `on_hook` replaces
/// this too, with a batch function calling its `on_hook` per event).
extern "C" fn hooks_one_by_one(_: RSlice<'_, HookBatchItem<'_>>) -> HookBatchOutcome {
    HookBatchOutcome::default()
}

extern "C" fn describe() -> RString {
    RString::from(r#"{"sdk":"test","abi":"test","crate":"fake","module":"0.0.0"}"#)
}
