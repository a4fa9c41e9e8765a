//! `paperclipai module list|enable|disable|config <id>|rescan`: asks the running server (admin
//! API: a saved configuration applies to the running module at once, a rescan upgrades running
//! modules whose bundle changed); when no server answers, reads and writes the saved module
//! state in the database directly, which the server applies at its next start (`rescan` needs a
//! server).

use crate::app;
use crate::config::Config;
use crate::module_host::discovery::discover;
use crate::module_host::module_config::{effective_config, ConfigSource};
use crate::module_host::module_state_store::{
    load_saved_states, save_config_override, save_enabled,
};
use crate::module_host::ModuleView;
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Module commands.
#[derive(Debug, Subcommand)]
pub enum ModuleCommand {
    /// List the installed modules with their status.
    List(ModuleArgs),
    /// Enable a module (saved; loads it now when the server is running).
    Enable {
        /// Module id.
        id: String,
        #[command(flatten)]
        args: ModuleArgs,
    },
    /// Disable a module (saved; stops it now when the server is running). Its data is kept.
    Disable {
        /// Module id.
        id: String,
        #[command(flatten)]
        args: ModuleArgs,
    },
    /// Save a module's configuration (JSON text, `@file`, or `null` for the config file's); a
    /// running server applies it at once, or refuses it and keeps the running one.
    Config {
        /// Module id.
        id: String,
        /// The configuration: JSON text, `@path` to a JSON file, or `null`.
        #[arg(value_name = "CONFIG")]
        value: String,
        #[command(flatten)]
        args: ModuleArgs,
    },
    /// Ask the running server to rescan its modules folder: new bundles load, running modules
    /// whose bundle changed are upgraded in place.
    Rescan {
        /// Also downgrade a running module whose bundle now holds an older version.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        args: ModuleArgs,
    },
    /// Pack a built module into <id>-<version>-<target>.tar.gz with its sha256 (signed with
    /// --sign <key file>).
    Pack(super::module_pack_command::PackArgs),
    /// Make an ed25519 key pair to sign module bundles with, and print how to trust it.
    Keygen(super::module_keygen_command::KeygenArgs),
    /// Create a new module crate that builds and loads as generated.
    New(super::module_new_command::NewArgs),
}

/// Where to find the server, or the database when it is down.
#[derive(Debug, Args)]
pub struct ModuleArgs {
    /// URL of the running server.
    #[arg(
        long,
        env = "PAPERCLIP_SERVER",
        default_value = "http://127.0.0.1:3100"
    )]
    pub server: String,
    /// API key, when the server requires one.
    #[arg(long, env = "PAPERCLIP_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Configuration file, used when the server is not running
    /// [default: ./paperclip.config.json if present].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data directory (SQLite database), used when the server is not running.
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
}

/// Runs a module command.
pub fn run(command: ModuleCommand) -> anyhow::Result<()> {
    let (action, id, args) = match command {
        ModuleCommand::List(args) => (Action::List, None, args),
        ModuleCommand::Enable { id, args } => (Action::Enable, Some(id), args),
        ModuleCommand::Disable { id, args } => (Action::Disable, Some(id), args),
        ModuleCommand::Config { id, value, args } => {
            (Action::Config(read_config(&value)?), Some(id), args)
        }
        ModuleCommand::Rescan { force, args } => (Action::Rescan(force), None, args),
        ModuleCommand::Pack(args) => return super::module_pack_command::run(args),
        ModuleCommand::Keygen(args) => return super::module_keygen_command::run(args),
        ModuleCommand::New(args) => return super::module_new_command::run(args),
    };
    match ask_server(&args, &action, id.as_deref())? {
        Some(answer) => print_server_answer(&args, &action, &answer),
        None if matches!(action, Action::Rescan(_)) => {
            bail!("no server answers at {}; a rescan needs a running server (it scans the folder at its start anyway)", args.server)
        }
        None => {
            eprintln!(
                "no server answers at {}; using the database directly (changes apply at the next start)",
                args.server
            );
            offline(&args, &action, id.as_deref())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    List,
    Enable,
    Disable,
    /// Save (and apply) this configuration.
    Config(Value),
    /// Rescan; `true`: downgrades too.
    Rescan(bool),
}

/// The configuration argument: JSON text, `@path` to a JSON file, or `null`.
fn read_config(text: &str) -> anyhow::Result<Value> {
    let (source, text) = match text.strip_prefix('@') {
        Some(path) => (
            format!("the file {path}"),
            std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?,
        ),
        None => ("the configuration".to_string(), text.to_string()),
    };
    serde_json::from_str(&text).with_context(|| format!("{source} is not valid JSON"))
}

/// Sends the request to the server; `None` when nothing listens there.
fn ask_server(
    args: &ModuleArgs,
    action: &Action,
    id: Option<&str>,
) -> anyhow::Result<Option<Value>> {
    let base = args.server.trim_end_matches('/');
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        // Enabling waits for the module's migrations and `register`.
        .timeout(Duration::from_secs(120))
        .build()
        .context("cannot build the HTTP client")?;
    let id = id.unwrap_or_default();
    let request = match action {
        Action::List => client.get(format!("{base}/api/admin/modules")),
        Action::Enable => client.post(format!("{base}/api/admin/modules/{id}/enable")),
        Action::Disable => client.post(format!("{base}/api/admin/modules/{id}/disable")),
        Action::Config(config) => client
            .put(format!("{base}/api/admin/modules/{id}/config"))
            .json(config),
        Action::Rescan(force) => client
            .post(format!("{base}/api/admin/modules/rescan"))
            .json(&serde_json::json!({ "force": force })),
    };
    let request = match &args.api_key {
        Some(key) => request.bearer_auth(key),
        None => request,
    };
    let response = match request.send() {
        Ok(response) => response,
        Err(e) if e.is_connect() => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("request to {base} failed")),
    };
    let status = response.status();
    let body: Value = response
        .json()
        .with_context(|| format!("the server at {base} answered {status} without JSON"))?;
    if !status.is_success() {
        let message = body["error"].as_str().unwrap_or("no message");
        bail!("the server refused ({status}): {message}");
    }
    Ok(Some(body))
}

fn print_server_answer(args: &ModuleArgs, action: &Action, answer: &Value) -> anyhow::Result<()> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(answer)?);
    }
    match action {
        Action::List => {
            let modules: Vec<ModuleView> = serde_json::from_value(answer.clone())
                .context("the server's module list has an unexpected shape")?;
            if !args.json {
                print_table(
                    &modules
                        .iter()
                        .map(|m| {
                            [
                                m.id.clone(),
                                m.version.clone().unwrap_or_default(),
                                if m.enabled { "yes" } else { "no" }.to_string(),
                                m.status.to_string(),
                                m.reason.clone().unwrap_or_default(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                );
            }
            Ok(())
        }
        Action::Config(_) => {
            if !args.json {
                let id = answer["module"]["id"].as_str().unwrap_or("module");
                let message = answer["message"].as_str().unwrap_or("saved");
                println!("module {id}: configuration {message}");
            }
            Ok(())
        }
        Action::Rescan(_) => {
            if !args.json {
                let list = |key: &str| -> String {
                    let ids: Vec<&str> = answer[key]
                        .as_array()
                        .map(|a| a.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if ids.is_empty() {
                        "—".into()
                    } else {
                        ids.join(", ")
                    }
                };
                println!("added: {}", list("added"));
                println!("removed: {}", list("removed"));
                println!("upgraded in place: {}", list("upgraded"));
                println!(
                    "upgrade refused (old version kept): {}",
                    list("upgradeRefused")
                );
                println!("restart required: {}", list("restartRequired"));
            }
            Ok(())
        }
        Action::Enable | Action::Disable => {
            let view: ModuleView = serde_json::from_value(answer.clone())
                .context("the server's answer has an unexpected shape")?;
            let reason = view
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            if !args.json {
                println!("module {}: {}{reason}", view.id, view.status);
            }
            let ok = match action {
                Action::Enable => matches!(
                    view.status.as_str(),
                    "active" | "degraded" | "awaiting_approval"
                ),
                _ => view.status.as_str() == "disabled",
            };
            if !ok {
                bail!("module {} is {}{reason}", view.id, view.status);
            }
            Ok(())
        }
    }
}

/// Works on the saved state in the database (the server is not running).
fn offline(args: &ModuleArgs, action: &Action, id: Option<&str>) -> anyhow::Result<()> {
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from("paperclip.config.json"));
    let config = Config::load(&config_path, args.config.is_some())?;
    let url = app::database_url(&config, &args.data_dir);
    let db = app::open_database(&url)?;
    let mut conn = db.conn().context("cannot connect to the database")?;
    let bundles = discover(&config.modules.dir).with_context(|| {
        format!(
            "cannot scan the modules folder {}",
            config.modules.dir.display()
        )
    })?;
    let saved = load_saved_states(&mut conn).context("cannot read the saved module state")?;
    let enabled_by_config = |id: &str| match &config.modules.enabled {
        Some(list) => list.iter().any(|m| m == id),
        None => true,
    };

    match (action, id) {
        (Action::List, _) => {
            let mut rows: Vec<[String; 5]> = Vec::new();
            let mut json = Vec::new();
            for bundle in &bundles {
                let enabled = saved
                    .get(&bundle.id)
                    .map_or_else(|| enabled_by_config(&bundle.id), |s| s.enabled);
                let (version, status, reason) = match &bundle.manifest {
                    Ok(m) => (m.version.to_string(), "not running", String::new()),
                    Err(e) => (String::new(), "invalid", e.to_string()),
                };
                json.push(serde_json::json!({
                    "id": bundle.id, "version": version, "enabled": enabled,
                    "status": status, "reason": reason, "bundle": bundle.folder,
                }));
                rows.push([
                    bundle.id.clone(),
                    version,
                    if enabled { "yes" } else { "no" }.to_string(),
                    status.to_string(),
                    reason,
                ]);
            }
            if args.json {
                println!("{}", serde_json::to_string_pretty(&json)?);
            } else {
                print_table(&rows);
            }
            Ok(())
        }
        (Action::Config(value), Some(id)) => {
            let Some(bundle) = bundles.iter().find(|b| b.id == id) else {
                bail!("no module `{id}` in {}", display_dir(&config.modules.dir));
            };
            let manifest = bundle
                .manifest
                .as_ref()
                .map_err(|e| anyhow::anyhow!("module `{id}` has an invalid manifest: {e}"))?;
            let saved_value = (!value.is_null()).then_some(value);
            if let Some(value) = saved_value {
                effective_config(
                    id,
                    Some(value),
                    &ConfigSource::SavedOverride,
                    manifest.config_schema.as_ref(),
                )
                .map_err(|problems| {
                    anyhow::anyhow!(
                        "the configuration does not match the module's configSchema: {problems}"
                    )
                })?;
            }
            let enabled = saved
                .get(id)
                .map_or_else(|| enabled_by_config(id), |s| s.enabled);
            save_config_override(&mut conn, id, saved_value, enabled)
                .context("cannot save the module configuration")?;
            println!("module {id}: configuration saved (applies when the server starts)");
            Ok(())
        }
        (Action::Rescan(_), _) => bail!("a rescan needs a running server"),
        (action, Some(id)) => {
            let installed = bundles.iter().find(|b| b.id == id);
            if *action == Action::Enable {
                match installed {
                    None => bail!("no module `{id}` in {}", display_dir(&config.modules.dir)),
                    Some(bundle) => {
                        if let Err(e) = &bundle.manifest {
                            bail!("module `{id}` cannot be enabled: {e}");
                        }
                    }
                }
            } else if installed.is_none() && !saved.contains_key(id) {
                bail!("no module `{id}` in {}", display_dir(&config.modules.dir));
            }
            let enable = *action == Action::Enable;
            save_enabled(&mut conn, id, enable).context("cannot save the module state")?;
            println!(
                "module {id}: {} (saved; applies when the server starts)",
                if enable { "enabled" } else { "disabled" }
            );
            Ok(())
        }
        (_, None) => bail!("a module id is required"),
    }
}

fn display_dir(dir: &Path) -> String {
    dir.display().to_string()
}

fn print_table(rows: &[[String; 5]]) {
    let header = ["ID", "VERSION", "ENABLED", "STATUS", "REASON"];
    let mut widths = header.map(str::len);
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(4) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i < 4 {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            } else {
                text.push_str(cell);
            }
        }
        println!("{}", text.trim_end());
    };
    line(header);
    for row in rows {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]]);
    }
    if rows.is_empty() {
        println!("(no modules installed)");
    }
}
