//! Assembling and running the server: configuration → database (+ core migrations) → hook bus →
//! core → module host (every enabled module brought up) → HTTP listener → `server:started` →
//! on exit, modules shut down.

use crate::api;
use crate::api::auth::ApiKeys;
use crate::api::browser_guard::{guard_browser_requests, BrowserGuard};
use crate::api::json_body::MAX_BODY_BYTES;
use crate::cluster;
use crate::cluster::bundle_replication::lay_out_new_bundles;
use crate::cluster::data_dir_lock::DataDirLock;
use crate::cluster::replica_keeper::ReplicaKeeper;
use crate::cluster::state_sync::StateSync;
use crate::config::Config;
use crate::core::Core;
use crate::db::migrations::open_database_sized;
pub use crate::db::open_database;
use crate::db::Backend;
use crate::hooks::outbox_retention::keep_outbox_bounded;
use crate::hooks::{Hook, HookBus};
use crate::module_host::cluster::Cluster;
use crate::module_host::{HostSettings, ModuleHost};
pub use crate::state::AppState;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::{bail, Context};
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Options of `paperclipai run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Address to bind.
    pub bind: IpAddr,
    /// Port to bind (0 picks a free one; the chosen port is printed).
    pub port: u16,
    /// Configuration file to read.
    pub config_path: PathBuf,
    /// Whether the configuration file was named explicitly (then it must exist).
    pub config_required: bool,
    /// Data directory (SQLite file, runtime state).
    pub data_dir: PathBuf,
    /// Modules folder replacing the config's `modules.dir` (`--modules-dir`).
    pub modules_dir: Option<PathBuf>,
}

/// The database URL: `DATABASE_URL`, else the config's, else `<data-dir>/paperclip.db`.
pub fn database_url(config: &Config, data_dir: &std::path::Path) -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| config.database.url.clone())
        .unwrap_or_else(|| data_dir.join("paperclip.db").to_string_lossy().into_owned())
}

/// Refuses to expose the API beyond this machine without API keys.
pub fn check_bind_safety(bind: IpAddr, keys: &ApiKeys) -> anyhow::Result<()> {
    if !bind.is_loopback() && keys.is_empty() {
        bail!(
            "refusing to bind {bind}: the API would be open to the network without authentication. \
             Configure API keys (auth.apiKeys in the config file, or PAPERCLIP_API_KEYS) or bind 127.0.0.1"
        );
    }
    Ok(())
}

/// Runs the server until Ctrl-C / SIGTERM.
pub async fn run(options: RunOptions) -> anyhow::Result<()> {
    let mut config = Config::load(&options.config_path, options.config_required)?;
    if let Some(dir) = options.modules_dir {
        config.modules.dir = dir;
    }
    let keys = ApiKeys::new(&config.resolved_api_keys()?);
    check_bind_safety(options.bind, &keys)?;

    let url = database_url(&config, &options.data_dir);
    // One server per SQLite file; several replicas share data through PostgreSQL.
    let _data_lock = match Backend::from_url(&url) {
        Backend::Sqlite => {
            DataDirLock::acquire(Path::new(url.strip_prefix("sqlite://").unwrap_or(&url)))?
        }
        Backend::Postgres => DataDirLock::acquire_replica_dir(&options.data_dir)?,
    };
    let pool_size = config.database.pool_size;
    let db = tokio::task::spawn_blocking(move || open_database_sized(&url, pool_size)).await??;
    let hooks = Arc::new(HookBus::new());
    let core = Core::new(db.clone(), hooks.clone());
    let mut settings = HostSettings::from(&config.modules);
    // `modules.signatures: auto` is `warn` on loopback and `required` beyond it.
    settings.signatures = config.modules.signatures.for_bind(options.bind);
    tracing::info!(policy = %settings.signatures, trusted_keys = settings.trusted_keys.len(), "module bundle signatures");
    let replica = cluster::replica_id(&options.data_dir);
    let membership = match db.backend() {
        Backend::Postgres => Cluster::coordinated(&replica, config.cluster.lease()),
        Backend::Sqlite => Cluster::single(&replica),
    };
    let modules = Arc::new(ModuleHost::in_cluster(
        core.clone(),
        settings,
        Arc::new(membership),
    ));
    tokio::task::spawn_blocking({
        let modules = Arc::clone(&modules);
        let db = db.clone();
        move || {
            if modules.cluster().is_coordinated() {
                // Bundles other replicas installed through the store are laid out first.
                if let Err(error) = lay_out_new_bundles(&db, &modules) {
                    tracing::warn!(%error, "bundles stored by other replicas not read");
                }
            }
            modules.start()
        }
    })
    .await??;
    let keeper = tokio::task::spawn_blocking({
        let modules = Arc::clone(&modules);
        let db = db.clone();
        let lease = config.cluster.lease();
        move || ReplicaKeeper::start(db, modules, lease)
    })
    .await??;
    let sync = if modules.cluster().is_coordinated() {
        Some(StateSync::start(
            db.clone(),
            Arc::clone(&modules),
            config.cluster.sync_interval(),
        )?)
    } else {
        None
    };
    let state = web::Data::new(AppState {
        core,
        config: Arc::new(config),
        modules: Arc::clone(&modules),
    });
    let keys = web::Data::new(keys);
    let guard = web::Data::new(BrowserGuard::new(options.bind, &state.config.server));

    let server = HttpServer::new({
        let state = state.clone();
        move || {
            // Middleware: the last `wrap` runs first, so the browser guard (Host, Origin)
            // sees every request before anything else; the API key is checked by the `/api`
            // scope itself (`api::configure`).
            App::new()
                .app_data(state.clone())
                .app_data(keys.clone())
                .app_data(guard.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(guard_browser_requests))
                .configure(api::configure)
                .configure(crate::web::configure)
        }
    })
    .bind(SocketAddr::new(options.bind, options.port));
    let server = match server {
        Ok(server) => server,
        Err(e) => {
            stop_cluster_sync(sync).await;
            stop_modules(modules).await;
            stop_keeper(keeper).await;
            return Err(e)
                .with_context(|| format!("cannot bind {}:{}", options.bind, options.port));
        }
    };
    let address = server
        .addrs()
        .first()
        .copied()
        .context("the server bound no address")?;
    keeper.set_address(&address.to_string());
    let server = server.run();
    // Tests and scripts read this line to learn the port (useful with --port 0).
    println!(
        "paperclipai {} listening on http://{address} (database: {}, replica {replica})",
        crate::VERSION,
        db.backend().name()
    );
    // Every enabled module is up (or reported failed) before this point, so each subscriber of
    // `server:started` gets it exactly once.
    hooks.emit(Hook::ServerStarted, &json!({ "port": address.port() }));
    let sweeper = actix_web::rt::spawn(keep_outbox_bounded(
        db.clone(),
        state.config.modules.outbox_retention(),
        state.config.modules.outbox_prune_interval(),
    ));
    let served = server.await;
    sweeper.abort();
    stop_cluster_sync(sync).await;
    stop_modules(modules).await;
    stop_keeper(keeper).await;
    served?;
    Ok(())
}

/// Ends the cluster sync thread (no more changes from other replicas are applied).
async fn stop_cluster_sync(sync: Option<StateSync>) {
    if let Some(sync) = sync {
        let _ = tokio::task::spawn_blocking(move || sync.stop()).await;
    }
}

/// Removes this replica's row and gives up its leases (after the modules stopped, so their
/// cursors are saved before another replica resumes from them).
async fn stop_keeper(keeper: ReplicaKeeper) {
    let _ = tokio::task::spawn_blocking(move || keeper.stop()).await;
}

/// Takes every running module down (services stopped, hooks and routes detached, `shutdown`
/// called), off the async runtime.
async fn stop_modules(modules: Arc<ModuleHost>) {
    if let Err(e) = tokio::task::spawn_blocking(move || modules.shutdown()).await {
        tracing::error!(error = %e, "stopping the modules failed");
    }
}
