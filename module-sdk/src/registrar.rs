//! What a module's `register` uses to subscribe hooks, add routes and services.

use crate::context::ModuleContext;
use crate::core_api::Core;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::hook::Hook;
use crate::logger::Logger;
use crate::payloads::HookPayload;
use crate::router::{IntoResponse, Request, RouteHandler, Router};
use crate::webhook::{is_valid_webhook_key, MAX_WEBHOOK_KEY_LEN};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;

pub(crate) type HookHandler<M> = Box<dyn Fn(&M, &ModuleContext, &str) -> Result<()> + Send + Sync>;
pub(crate) type BatchHandler<M> =
    Box<dyn Fn(&M, &ModuleContext, &[&str]) -> Result<()> + Send + Sync>;
pub(crate) type MixedBatchHandler<M> =
    Box<dyn Fn(&M, &ModuleContext, &[(Hook, &str)]) -> Result<()> + Send + Sync>;
pub(crate) type ServiceHandler<M> = Box<dyn Fn(&M, &ModuleContext) -> Result<()> + Send + Sync>;

/// Collects a module's subscriptions during `register`, and gives access to its context.
pub struct Registrar<M> {
    ctx: ModuleContext,
    pub(crate) hooks: Vec<(Hook, HookHandler<M>)>,
    pub(crate) batch_hooks: Vec<(Hook, BatchHandler<M>)>,
    pub(crate) mixed_batch_hooks: Vec<(Vec<Hook>, MixedBatchHandler<M>)>,
    pub(crate) router: Router<M>,
    pub(crate) services: Vec<(String, Duration, ServiceHandler<M>)>,
    pub(crate) webhooks: Vec<(String, RouteHandler<M>)>,
    pub(crate) problems: Vec<String>,
}

impl<M: 'static> Registrar<M> {
    /// A registrar for a module with this context (the SDK makes one per `register` call).
    pub fn new(ctx: ModuleContext) -> Self {
        Self {
            ctx,
            hooks: Vec::new(),
            batch_hooks: Vec::new(),
            mixed_batch_hooks: Vec::new(),
            router: Router::new(),
            services: Vec::new(),
            webhooks: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// The module's context (the same one handlers receive).
    pub fn ctx(&self) -> &ModuleContext {
        &self.ctx
    }

    /// The module id.
    pub fn module_id(&self) -> &str {
        self.ctx.module_id()
    }

    /// The validated config.
    pub fn config(&self) -> &Value {
        self.ctx.config()
    }

    /// The config deserialized into `T`.
    pub fn config_as<T: DeserializeOwned>(&self) -> Result<T> {
        self.ctx.config_as()
    }

    /// Database access.
    pub fn db(&self) -> Db<'_> {
        self.ctx.db()
    }

    /// The module's logger.
    pub fn log(&self) -> Logger<'_> {
        self.ctx.log()
    }

    /// Read access to core services.
    pub fn core(&self) -> Core<'_> {
        self.ctx.core()
    }

    /// Subscribes to the hook whose payload type is `P`, e.g.
    /// `r.on(|m, ctx, beat: AgentHeartbeat| { … })`. The hook must be listed in the manifest.
    /// A payload that does not parse as `P` is reported to the host as `BadRequest`.
    pub fn on<P, F>(&mut self, handler: F) -> &mut Self
    where
        P: HookPayload,
        F: Fn(&M, &ModuleContext, P) -> Result<()> + Send + Sync + 'static,
    {
        let handler: HookHandler<M> = Box::new(move |m, ctx, json| {
            let payload: P = serde_json::from_str(json)
                .map_err(|e| Error::bad_request(format!("invalid `{}` payload: {e}", P::HOOK)))?;
            handler(m, ctx, payload)
        });
        self.hooks.push((P::HOOK, handler));
        self
    }

    /// Subscribes to `hook` with an untyped JSON payload.
    pub fn on_raw<F>(&mut self, hook: Hook, handler: F) -> &mut Self
    where
        F: Fn(&M, &ModuleContext, Value) -> Result<()> + Send + Sync + 'static,
    {
        let handler: HookHandler<M> = Box::new(move |m, ctx, json| {
            let payload: Value = serde_json::from_str(json)
                .map_err(|e| Error::bad_request(format!("invalid `{hook}` payload: {e}")))?;
            handler(m, ctx, payload)
        });
        self.hooks.push((hook, handler));
        self
    }

    /// Subscribes to the hook whose payload type is `P` with a handler that gets several events
    /// at once, in emit order, e.g. `r.on_batch(|m, ctx, beats: Vec<AgentHeartbeat>| { … })`:
    /// one database transaction for many events instead of one each. The host batches what has
    /// queued up for the module (a quiet module gets batches of one). An error fails every event
    /// of the batch (they are counted as failed); a payload that does not parse fails the batch
    /// as `BadRequest`. The hook must be listed in the manifest.
    pub fn on_batch<P, F>(&mut self, handler: F) -> &mut Self
    where
        P: HookPayload,
        F: Fn(&M, &ModuleContext, Vec<P>) -> Result<()> + Send + Sync + 'static,
    {
        let handler: BatchHandler<M> = Box::new(move |m, ctx, payloads| {
            let parsed = payloads
                .iter()
                .map(|json| {
                    serde_json::from_str::<P>(json).map_err(|e| {
                        Error::bad_request(format!("invalid `{}` payload: {e}", P::HOOK))
                    })
                })
                .collect::<Result<Vec<P>>>()?;
            handler(m, ctx, parsed)
        });
        self.batch_hooks.push((P::HOOK, handler));
        self
    }

    /// Subscribes one batch handler to several hooks, with untyped JSON payloads: it gets the
    /// events of any of `hooks` in emit order as `(hook, payload)`, e.g. the `agent:heartbeat`
    /// and `budget:spend_recorded` that the core emits in turn for each heartbeat, so that they
    /// share one transaction (with `on_batch` each hook's handler gets only the consecutive
    /// events of its own hook: one event each when two hooks alternate). The host's batch is cut
    /// where an event of another hook comes between them, so handlers still see events in emit
    /// order across the module; a hook that also has other handlers (`on`, `on_batch`, another
    /// `on_batch_raw`) gets its events in runs of its own hook only. An error fails every event of
    /// the batch; a payload that is not JSON fails the batch as `BadRequest`. The hooks must be
    /// listed in the manifest.
    pub fn on_batch_raw<F>(&mut self, hooks: &[Hook], handler: F) -> &mut Self
    where
        F: Fn(&M, &ModuleContext, Vec<(Hook, Value)>) -> Result<()> + Send + Sync + 'static,
    {
        let mut unique: Vec<Hook> = Vec::new();
        for hook in hooks {
            if !unique.contains(hook) {
                unique.push(*hook);
            }
        }
        if unique.is_empty() {
            self.problems
                .push("on_batch_raw needs at least one hook".into());
            return self;
        }
        let handler: MixedBatchHandler<M> = Box::new(move |m, ctx, events| {
            let parsed = events
                .iter()
                .map(|(hook, json)| {
                    serde_json::from_str::<Value>(json)
                        .map(|payload| (*hook, payload))
                        .map_err(|e| Error::bad_request(format!("invalid `{hook}` payload: {e}")))
                })
                .collect::<Result<Vec<(Hook, Value)>>>()?;
            handler(m, ctx, parsed)
        });
        self.mixed_batch_hooks.push((unique, handler));
        self
    }

    /// Adds routes, served under `/api/modules/<prefix>` (the manifest's `routes.prefix`).
    /// Calling it again adds more routes after the earlier ones.
    pub fn routes(&mut self, router: Router<M>) -> &mut Self {
        for pattern in router.reserved_patterns() {
            self.problems.push(format!(
                "route `{pattern}` starts with `.`: such paths are reserved for the host (register webhooks with `Registrar::webhook`)"
            ));
        }
        self.router.extend(router);
        self
    }

    /// Handles the inbound webhook `key`, served by the server at
    /// `POST /webhooks/<module-id>/<key>` **without an API key** once the manifest's
    /// `"webhooks"` declares `key` and the operator granted the `webhooks` capability. The
    /// handler has the shape of a route handler: it gets the raw body ([`Request::body`], the
    /// exact bytes the sender signed) and the headers ([`Request::header`]), and answers a
    /// [`crate::Response`] (or `Result<Response>`: a `BadRequest` error answers 400, any other
    /// 500). Anyone can call it: verify the sender first, e.g. with
    /// [`crate::webhook_signature::verify_stripe_signature`]. Keys are unique, 1–64 characters
    /// of `a-z`, `0-9`, `_`, `-`, starting with a letter or digit. See [`crate::webhook`].
    ///
    /// ```
    /// use module_sdk::testing::{TestHost, TestModule};
    /// use module_sdk::webhook_signature::{sign_stripe_payload, verify_stripe_signature, DEFAULT_TOLERANCE};
    /// use module_sdk::{Module, Registrar, Request, Response, Result};
    /// use std::time::SystemTime;
    ///
    /// struct Payments;
    ///
    /// impl Module for Payments {
    ///     fn register(r: &mut Registrar<Self>) -> Result<Self> {
    ///         r.webhook("stripe", |_m: &Self, _ctx, req: &Request| -> Result<Response> {
    ///             verify_stripe_signature(
    ///                 req.header("stripe-signature"),
    ///                 req.body(),
    ///                 "whsec_test",
    ///                 DEFAULT_TOLERANCE,
    ///                 SystemTime::now(),
    ///             )?; // a bad signature answers 400
    ///             Ok(Response::status(204))
    ///         });
    ///         Ok(Payments)
    ///     }
    /// }
    ///
    /// let module = TestModule::<Payments>::register(&TestHost::new("payments"), serde_json::json!({})).unwrap();
    /// let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    /// let signed = sign_stripe_payload(b"{}", "whsec_test", now);
    /// assert_eq!(module.webhook("stripe", Request::new("POST", "/").with_header("Stripe-Signature", &signed).with_body("{}")).status, 204);
    /// assert_eq!(module.webhook("stripe", Request::new("POST", "/").with_body("{}")).status, 400);
    /// ```
    pub fn webhook<R, F>(&mut self, key: &str, handler: F) -> &mut Self
    where
        R: IntoResponse,
        F: Fn(&M, &ModuleContext, &Request) -> R + Send + Sync + 'static,
    {
        if !is_valid_webhook_key(key) {
            self.problems.push(format!(
                "webhook key `{key}` is invalid: 1-{MAX_WEBHOOK_KEY_LEN} characters of a-z, 0-9, `_`, `-`, starting with a letter or digit"
            ));
        } else if self.webhooks.iter().any(|(k, _)| k == key) {
            self.problems
                .push(format!("webhook `{key}` is registered twice"));
        } else {
            let handler: RouteHandler<M> =
                Box::new(move |m, ctx, req| handler(m, ctx, req).into_response());
            self.webhooks.push((key.to_owned(), handler));
        }
        self
    }

    /// Adds a background service that the host runs every `interval` (never overlapping with
    /// itself). Names must be unique and the interval at least 1 ms.
    pub fn service<F>(&mut self, name: &str, interval: Duration, run: F) -> &mut Self
    where
        F: Fn(&M, &ModuleContext) -> Result<()> + Send + Sync + 'static,
    {
        if name.trim().is_empty() {
            self.problems
                .push("a service name must not be empty".into());
        } else if self.services.iter().any(|(n, _, _)| n == name) {
            self.problems
                .push(format!("service `{name}` is registered twice"));
        } else if interval.as_millis() == 0 {
            self.problems.push(format!(
                "service `{name}` needs an interval of at least 1 ms"
            ));
        } else {
            self.services
                .push((name.to_owned(), interval, Box::new(run)));
        }
        self
    }
}
