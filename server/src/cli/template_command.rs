//! `paperclipai template validate|import|export`: company templates from the command line,
//! against a running server or directly on a database.
//!
//! Where a command goes: `--server URL` (or `PAPERCLIP_SERVER`) → that server; else
//! `--data-dir DIR` / `--database-url URL` → that database directly; else the default server
//! `http://127.0.0.1:3100` when it answers, or the database named by `DATABASE_URL` (or the
//! config file's `database.url`) when it does not.

use super::command_target::{http_client, CommandTarget, TargetArgs};
use crate::templates::{
    export_company, import_template, validate_json, CompanyTemplate, ImportOptions, ImportOutcome,
    Problem,
};
use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Direct imports of at least this many entities show a progress bar.
const PROGRESS_THRESHOLD: usize = 500;

/// Template commands.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Check a template file and print every problem with its JSON path (exit status 1 if any).
    Validate {
        /// The template (`-` reads standard input).
        file: PathBuf,
    },
    /// Import a template as a new company.
    Import(ImportArgs),
    /// Export a company as a template.
    Export(ExportArgs),
}

/// Options of `paperclipai template import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The template (`-` reads standard input).
    pub file: PathBuf,
    /// Name of the new company [default: the template's name].
    #[arg(long)]
    pub name: Option<String>,
    /// Print the server's JSON answer (`{companyId, refs}`) instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Where to import.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Options of `paperclipai template export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Id of the company to export.
    #[arg(long)]
    pub company: String,
    /// Write the template to this file instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Where the company is.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Runs a template command.
pub fn run(command: TemplateCommand) -> anyhow::Result<()> {
    match command {
        TemplateCommand::Validate { file } => validate(&file),
        TemplateCommand::Import(args) => import(args),
        TemplateCommand::Export(args) => export(args),
    }
}

fn read_input(file: &Path) -> anyhow::Result<Vec<u8>> {
    if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read the template from standard input")?;
        Ok(bytes)
    } else {
        std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
    }
}

fn print_problems(problems: &[Problem]) {
    let mut out = std::io::stdout().lock();
    for problem in problems {
        let _ = writeln!(out, "{problem}");
    }
}

fn invalid(file: &Path, count: usize) -> anyhow::Error {
    anyhow!(
        "{}: template is invalid ({count} problem{})",
        file.display(),
        if count == 1 { "" } else { "s" }
    )
}

fn summary(template: &CompanyTemplate) -> String {
    format!(
        "{} agents, {} goals, {} projects, {} issues",
        template.agents.len(),
        template.goals.len(),
        template.projects.len(),
        template.issues.len()
    )
}

fn validate(file: &Path) -> anyhow::Result<()> {
    let bytes = read_input(file)?;
    match validate_json(&bytes) {
        Ok(valid) => {
            let t = valid.template();
            println!(
                "{}: valid template \"{}\" ({})",
                file.display(),
                t.name,
                summary(t)
            );
            Ok(())
        }
        Err(problems) => {
            print_problems(&problems);
            Err(invalid(file, problems.len()))
        }
    }
}

/// The error of a server answer that is not a success: its `error` (and `field`) when it sent
/// JSON, else the status and text.
fn server_error(status: StatusCode, body: &str) -> anyhow::Error {
    match serde_json::from_str::<Value>(body) {
        Ok(json) if json["error"].is_string() => match json["field"].as_str() {
            Some(field) => anyhow!(
                "server answered {status}: {} ({field})",
                json["error"].as_str().unwrap_or_default()
            ),
            None => anyhow!(
                "server answered {status}: {}",
                json["error"].as_str().unwrap_or_default()
            ),
        },
        _ => anyhow!("server answered {status}: {}", body.trim()),
    }
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    let bytes = read_input(&args.file)?;
    let outcome = match CommandTarget::resolve(&args.target, true)? {
        CommandTarget::Server { url, key } => {
            import_via_server(&args, &bytes, &url, key.as_deref())?
        }
        CommandTarget::Database { url } => import_direct(&args, &bytes, &url)?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome.answer)?);
    } else {
        println!(
            "imported {} as company {} ({})",
            args.file.display(),
            outcome.company_id,
            outcome.summary
        );
    }
    Ok(())
}

/// What an import printed about.
struct Imported {
    company_id: String,
    summary: String,
    answer: Value,
}

fn import_via_server(
    args: &ImportArgs,
    bytes: &[u8],
    url: &str,
    key: Option<&str>,
) -> anyhow::Result<Imported> {
    // The server validates too; checking here first gives the summary and spares a round
    // trip for a broken file.
    let valid = validate_json(bytes).map_err(|problems| {
        print_problems(&problems);
        invalid(&args.file, problems.len())
    })?;
    let total = valid.template().entity_count();
    let spinner = (total >= PROGRESS_THRESHOLD).then(|| {
        let spinner = ProgressBar::new_spinner();
        spinner.set_message(format!("importing {total} entities on {url}"));
        spinner.enable_steady_tick(Duration::from_millis(100));
        spinner
    });
    let mut request = http_client()?
        .post(format!("{url}/api/templates/import"))
        .header("content-type", "application/json")
        .body(bytes.to_vec());
    if let Some(name) = &args.name {
        request = request.query(&[("name", name)]);
    }
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request
        .send()
        .with_context(|| format!("cannot reach the server at {url}"))?;
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let status = response.status();
    let text = response.text().context("cannot read the server's answer")?;
    if status == StatusCode::CREATED {
        let answer: Value =
            serde_json::from_str(&text).context("the server's answer is not JSON")?;
        return Ok(Imported {
            company_id: answer["companyId"].as_str().unwrap_or_default().to_string(),
            summary: summary(valid.template()),
            answer,
        });
    }
    if let Ok(json) = serde_json::from_str::<Value>(&text) {
        if let Some(problems) = json["problems"].as_array() {
            let problems: Vec<Problem> = problems
                .iter()
                .map(|p| {
                    Problem::new(
                        p["path"].as_str().unwrap_or_default(),
                        p["message"].as_str().unwrap_or_default(),
                    )
                })
                .collect();
            print_problems(&problems);
            return Err(invalid(&args.file, problems.len()));
        }
    }
    Err(server_error(status, &text))
}

fn import_direct(args: &ImportArgs, bytes: &[u8], url: &str) -> anyhow::Result<Imported> {
    let valid = validate_json(bytes).map_err(|problems| {
        print_problems(&problems);
        invalid(&args.file, problems.len())
    })?;
    let core = CommandTarget::open_core(url)?;
    let total = valid.template().entity_count();
    let bar = if total >= PROGRESS_THRESHOLD {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} entities, {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let options = ImportOptions {
        actor: "cli".to_string(),
        company_name: args.name.clone(),
    };
    let outcome: ImportOutcome = core.write_blocking(|conn, hooks| {
        import_template(conn, hooks, &valid, &options, &mut |done| {
            bar.set_position(done as u64)
        })
    })?;
    bar.finish_and_clear();
    // Modules live in a server process; a direct import has none to notify.
    eprintln!("note: imported directly into the database; no server was asked, so no module saw the new entities' hooks");
    Ok(Imported {
        company_id: outcome.company_id.clone(),
        summary: summary(valid.template()),
        answer: serde_json::to_value(&outcome)?,
    })
}

fn export(args: ExportArgs) -> anyhow::Result<()> {
    let template: CompanyTemplate = match CommandTarget::resolve(&args.target, false)? {
        CommandTarget::Server { url, key } => {
            let mut request = http_client()?
                .get(format!("{url}/api/templates/export"))
                .query(&[("companyId", &args.company)]);
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            let response = request
                .send()
                .with_context(|| format!("cannot reach the server at {url}"))?;
            let status = response.status();
            let text = response.text().context("cannot read the server's answer")?;
            if !status.is_success() {
                return Err(server_error(status, &text));
            }
            serde_json::from_str(&text).context("the server's answer is not a template")?
        }
        CommandTarget::Database { url } => {
            let core = CommandTarget::open_core(&url)?;
            core.read_blocking(|conn| export_company(conn, &args.company))?
        }
    };
    // Re-serialized from the typed template, so both paths print the same bytes.
    let text = serde_json::to_string_pretty(&template)? + "\n";
    match &args.output {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "exported company {} to {} ({})",
                args.company,
                path.display(),
                summary(&template)
            );
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}
