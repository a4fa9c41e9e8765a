//! `paperclipai store list|install|import|export`: the Company Store from the command line.
//!
//! - `list [--tag T]…` — the index's modules (with the version installed in the modules folder)
//!   and templates.
//! - `install <module-id>` — download with a progress bar, verify the SHA-256, check
//!   `requires.core`, unpack safely into the modules folder (atomically), then ask the running
//!   server to rescan (`--server`, `--api-key`; `--no-rescan` skips it).
//! - `import <template-id> [--name N]` — fetch the template and import it as a new company,
//!   through the server or directly into a database (same flags as `template import`).
//! - `export [--company ID] [-o FILE]` — a company as a template file (default: the only
//!   company, into `<template id>.json`).
//!
//! The index is `--index` (URL or path), else `PAPERCLIP_STORE_INDEX`, else the config's
//! `store.index` (default `store/index.json`); the modules folder is `--modules-dir`, else the
//! config's `modules.dir` (default `plugins-dist`).

use super::command_target::{http_client, CommandTarget, TargetArgs};
use crate::config::Config;
use crate::module_host::ModuleView;
use crate::store::{
    fetch_template, install_module, store_listing, InstallProgress, InstallStage, Installed,
    LoadedIndex, StoreListing,
};
use crate::templates::{
    export_company, import_template, validate_json, CompanyTemplate, ImportOptions, Problem,
};
use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::Method;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Store commands.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Browse the modules and templates of the store index.
    List(ListArgs),
    /// Install a module from the store into the modules folder, then ask the server to rescan.
    Install(InstallArgs),
    /// Import a template of the store as a new company.
    Import(ImportArgs),
    /// Export a company as a template file.
    Export(ExportArgs),
}

/// Where the index and the modules folder are.
#[derive(Debug, Args)]
pub struct LocalArgs {
    /// Store index: URL or path [default: config `store.index`, else store/index.json].
    #[arg(long, env = "PAPERCLIP_STORE_INDEX")]
    pub index: Option<String>,
    /// Configuration file [default: ./paperclip.config.json if present].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Modules folder [default: config `modules.dir`, else plugins-dist].
    #[arg(long)]
    pub modules_dir: Option<PathBuf>,
}

impl LocalArgs {
    fn config(&self) -> anyhow::Result<Config> {
        let path = self
            .config
            .clone()
            .unwrap_or_else(|| PathBuf::from("paperclip.config.json"));
        Ok(Config::load(&path, self.config.is_some())?)
    }

    fn index_source(&self, config: &Config) -> String {
        self.index
            .clone()
            .unwrap_or_else(|| config.store.index.clone())
    }

    fn modules_dir(&self, config: &Config) -> PathBuf {
        self.modules_dir
            .clone()
            .unwrap_or_else(|| config.modules.dir.clone())
    }
}

/// Options of `store list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries carrying this tag (repeat for several: entries must carry all).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Print the listing as JSON.
    #[arg(long)]
    pub json: bool,
    /// Index and modules folder.
    #[command(flatten)]
    pub local: LocalArgs,
}

/// Options of `store install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The module to install.
    pub module_id: String,
    /// Index and modules folder.
    #[command(flatten)]
    pub local: LocalArgs,
    /// URL of the running server to rescan.
    #[arg(
        long,
        env = "PAPERCLIP_SERVER",
        default_value = "http://127.0.0.1:3100"
    )]
    pub server: String,
    /// API key, when the server requires one.
    #[arg(long, env = "PAPERCLIP_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Only install; do not ask a server to rescan.
    #[arg(long)]
    pub no_rescan: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `store import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The template to import.
    pub template_id: String,
    /// Name of the new company [default: the template's name].
    #[arg(long)]
    pub name: Option<String>,
    /// Store index: URL or path [default: config `store.index`, else store/index.json].
    #[arg(long, env = "PAPERCLIP_STORE_INDEX")]
    pub index: Option<String>,
    /// Print the import's JSON answer (`{companyId, refs}`).
    #[arg(long)]
    pub json: bool,
    /// Where to import.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Options of `store export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The company to export [default: the only company].
    #[arg(long)]
    pub company: Option<String>,
    /// The template file to write [default: ./<template id>.json].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Where the company is.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Runs a store command.
pub fn run(command: StoreCommand) -> anyhow::Result<()> {
    match command {
        StoreCommand::List(args) => list(&args),
        StoreCommand::Install(args) => install(&args),
        StoreCommand::Import(args) => import(&args),
        StoreCommand::Export(args) => export(&args),
    }
}

fn list(args: &ListArgs) -> anyhow::Result<()> {
    let config = args.local.config()?;
    let loaded = LoadedIndex::load(&args.local.index_source(&config))?;
    let listing = store_listing(&loaded, &args.local.modules_dir(&config), None, &args.tags);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&listing)?);
    } else {
        print_listing(&listing);
    }
    Ok(())
}

fn print_listing(listing: &StoreListing) {
    println!("Store index: {}", listing.index);
    println!();
    let modules: Vec<Vec<String>> = listing
        .modules
        .iter()
        .map(|m| {
            let installed = match &m.installed {
                None => "-".to_string(),
                Some(i) => {
                    let version = i.version.clone().unwrap_or_else(|| "?".to_string());
                    if m.update_available {
                        format!("{version} (update available)")
                    } else {
                        version
                    }
                }
            };
            vec![
                m.entry.id.clone(),
                m.entry.version.to_string(),
                installed,
                m.entry.tags.join(","),
                m.entry.description.clone(),
            ]
        })
        .collect();
    print_table(
        &["MODULE", "VERSION", "INSTALLED", "TAGS", "DESCRIPTION"],
        &modules,
        "(no modules)",
    );
    println!();
    let templates: Vec<Vec<String>> = listing
        .templates
        .iter()
        .map(|t| {
            vec![
                t.id.clone(),
                t.name.clone(),
                t.tags.join(","),
                t.description.clone(),
            ]
        })
        .collect();
    print_table(
        &["TEMPLATE", "NAME", "TAGS", "DESCRIPTION"],
        &templates,
        "(no templates)",
    );
}

/// Prints rows in aligned columns; the last column is not padded.
fn print_table(header: &[&str], rows: &[Vec<String>], empty: &str) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 < cells.len() {
                text.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            } else {
                text.push_str(cell);
            }
        }
        println!("{}", text.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    if rows.is_empty() {
        println!("{empty}");
    }
}

fn install(args: &InstallArgs) -> anyhow::Result<()> {
    let config = args.local.config()?;
    let modules_dir = args.local.modules_dir(&config);
    let loaded = LoadedIndex::load(&args.local.index_source(&config))?;
    let bar = progress_bar(&args.module_id);
    // Offline: the new files are placed; a version asking for capabilities not granted waits
    // for approval when the server next loads it.
    let installed = install_module(
        &loaded,
        &args.module_id,
        &modules_dir,
        &|_| Ok(()),
        &mut |p| show_progress(&bar, p),
    );
    bar.finish_and_clear();
    let installed = installed?;
    let replaced = installed
        .previous_version
        .as_deref()
        .map(|v| format!(", replacing {v}"))
        .unwrap_or_default();
    if !args.json {
        println!(
            "installed {} {} into {}{replaced} (sha256 {})",
            installed.module_id,
            installed.version,
            installed.folder.display(),
            installed.sha256
        );
    }
    if args.no_rescan {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&installed)?);
        }
        return Ok(());
    }
    let module = rescan(args, &installed)?;
    if args.json {
        let answer = serde_json::json!({ "installed": installed, "module": module });
        println!("{}", serde_json::to_string_pretty(&answer)?);
    }
    Ok(())
}

fn progress_bar(module_id: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {bytes} ({bytes_per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(format!("downloading {module_id}"));
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn show_progress(bar: &ProgressBar, progress: &InstallProgress) {
    match progress.stage {
        InstallStage::Downloading => {
            if let Some(total) = progress.total {
                if bar.length() != Some(total) {
                    bar.set_length(total);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                }
            }
            bar.set_position(progress.received);
        }
        InstallStage::Verifying => bar.set_message(format!("verifying {}", progress.module_id)),
        InstallStage::Unpacking => bar.set_message(format!("unpacking {}", progress.module_id)),
    }
}

/// Asks the server to rescan and reports the module's status; `None` when no server answers.
fn rescan(args: &InstallArgs, installed: &Installed) -> anyhow::Result<Option<ModuleView>> {
    let url = args.server.trim_end_matches('/');
    let response = CommandTarget::request(
        &http_client()?,
        Method::POST,
        url,
        "/api/admin/modules/rescan",
        args.api_key.as_deref(),
    )
    .send();
    let response = match response {
        Ok(response) => response,
        Err(e) if e.is_connect() => {
            eprintln!(
                "no server answers at {url}; {} loads when the server starts (or on POST /api/admin/modules/rescan)",
                installed.module_id
            );
            return Ok(None);
        }
        Err(e) => return Err(e).with_context(|| format!("cannot ask {url} to rescan")),
    };
    let status = response.status();
    let body: Value = response.json().unwrap_or(Value::Null);
    if !status.is_success() {
        bail!(
            "{} {} is installed on disk, but the server at {url} refused the rescan ({status}): {}",
            installed.module_id,
            installed.version,
            body["error"].as_str().unwrap_or("no message")
        );
    }
    let module: Option<ModuleView> = body["modules"]
        .as_array()
        .and_then(|modules| {
            modules
                .iter()
                .find(|m| m["id"] == installed.module_id.as_str())
        })
        .and_then(|m| serde_json::from_value(m.clone()).ok());
    match &module {
        None => eprintln!(
            "the server at {url} does not list {} after the rescan (is its modules folder another one?)",
            installed.module_id
        ),
        Some(view) if view.restart_required => eprintln!(
            "the server keeps running {} {} until it restarts",
            view.id,
            view.version.as_deref().unwrap_or("(loaded version)")
        ),
        Some(view) => {
            let reason = view
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            eprintln!("module {}: {}{reason}", view.id, view.status);
        }
    }
    Ok(module)
}

fn import(args: &ImportArgs) -> anyhow::Result<()> {
    let source = match &args.index {
        Some(index) => index.clone(),
        None => {
            let path = args
                .target
                .config
                .clone()
                .unwrap_or_else(|| PathBuf::from("paperclip.config.json"));
            Config::load(&path, args.target.config.is_some())?
                .store
                .index
        }
    };
    let loaded = LoadedIndex::load(&source)?;
    let (entry, bytes) = fetch_template(&loaded, &args.template_id)?;
    let template = validate_json(&bytes).map_err(|problems| {
        print_problems(&problems);
        anyhow!(
            "template `{}` from the store is invalid ({} problem{})",
            entry.id,
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        )
    })?;
    let answer: Value = match CommandTarget::resolve(&args.target, true)? {
        CommandTarget::Server { url, key } => {
            let mut request = CommandTarget::request(
                &http_client()?,
                Method::POST,
                &url,
                "/api/templates/import",
                key.as_deref(),
            )
            .header("content-type", "application/json")
            .body(bytes);
            if let Some(name) = &args.name {
                request = request.query(&[("name", name)]);
            }
            let response = request
                .send()
                .with_context(|| format!("cannot reach the server at {url}"))?;
            let status = response.status();
            let body: Value = response
                .json()
                .with_context(|| format!("the server at {url} answered {status} without JSON"))?;
            if !status.is_success() {
                if let Some(problems) = body["problems"].as_array() {
                    for problem in problems {
                        println!(
                            "{}: {}",
                            problem["path"].as_str().unwrap_or_default(),
                            problem["message"].as_str().unwrap_or_default()
                        );
                    }
                }
                bail!(
                    "server answered {status}: {}",
                    body["error"].as_str().unwrap_or("no message")
                );
            }
            body
        }
        CommandTarget::Database { url } => {
            let core = CommandTarget::open_core(&url)?;
            let options = ImportOptions {
                actor: "cli".to_string(),
                company_name: args.name.clone(),
            };
            let outcome = core.write_blocking(|conn, hooks| {
                import_template(conn, hooks, &template, &options, &mut |_| {})
            })?;
            eprintln!("note: imported directly into the database; no server was asked, so no module saw the new entities' hooks");
            serde_json::to_value(&outcome)?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!(
            "imported template {} ({}) as company {}",
            entry.id,
            entry.name,
            answer["companyId"].as_str().unwrap_or("?")
        );
    }
    Ok(())
}

fn print_problems(problems: &[Problem]) {
    for problem in problems {
        println!("{problem}");
    }
}

fn export(args: &ExportArgs) -> anyhow::Result<()> {
    let target = CommandTarget::resolve(&args.target, false)?;
    let company = match &args.company {
        Some(company) => company.clone(),
        None => target.sole_company()?,
    };
    let template: CompanyTemplate = match &target {
        CommandTarget::Server { url, key } => {
            let response = CommandTarget::request(
                &http_client()?,
                Method::GET,
                url,
                "/api/templates/export",
                key.as_deref(),
            )
            .query(&[("companyId", &company)])
            .send()
            .with_context(|| format!("cannot reach the server at {url}"))?;
            let status = response.status();
            let text = response.text().context("cannot read the server's answer")?;
            if !status.is_success() {
                let error = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_string))
                    .unwrap_or(text);
                bail!("server answered {status}: {error}");
            }
            serde_json::from_str(&text).context("the server's answer is not a template")?
        }
        CommandTarget::Database { url } => {
            let core = CommandTarget::open_core(url)?;
            core.read_blocking(|conn| export_company(conn, &company))?
        }
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.json", template.id)));
    write_template(&output, &template)?;
    println!(
        "exported company {company} as template {} to {}",
        template.id,
        output.display()
    );
    Ok(())
}

/// Writes the template file.
fn write_template(output: &Path, template: &CompanyTemplate) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(template)? + "\n";
    std::fs::write(output, text).with_context(|| format!("cannot write {}", output.display()))
}
