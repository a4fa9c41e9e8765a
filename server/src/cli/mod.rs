//! The `paperclipai` command line: argument parsing only; each command calls into the library.

mod command_target;
mod db_command;
mod module_command;
mod module_keygen_command;
mod module_new_command;
mod module_pack_command;
mod run_command;
mod store_command;
mod store_target;
mod template_command;

use clap::{Parser, Subcommand};

/// Paperclip: a control plane for companies of AI agents, extended by native modules.
#[derive(Debug, Parser)]
#[command(name = "paperclipai", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (REST API, web UI, modules).
    Run(run_command::RunArgs),
    /// Database maintenance.
    #[command(subcommand)]
    Db(db_command::DbCommand),
    /// Native modules: list, enable, disable (through the running server, or the database);
    /// pack (and sign) a built module, create a new one, make a signing key.
    #[command(subcommand)]
    Module(module_command::ModuleCommand),
    /// Company templates: validate, import, export.
    #[command(subcommand)]
    Template(template_command::TemplateCommand),
    /// Company Store: browse, install modules, import and export templates.
    #[command(subcommand)]
    Store(store_command::StoreCommand),
}

/// Parses the command line and runs the command.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Run(args) => run_command::run(args),
        Command::Db(command) => db_command::run(command),
        Command::Module(command) => module_command::run(command),
        Command::Template(command) => template_command::run(command),
        Command::Store(command) => store_command::run(command),
    }
}

/// Logs go to stderr, coloured only when it is a terminal and `NO_COLOR` is unset or empty
/// (<https://no-color.org>), so redirected logs carry no ANSI escapes.
fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("PAPERCLIP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && !no_color)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// clap's own checks of every subcommand (unique argument names, …), which otherwise only
    /// fail when that subcommand is run.
    #[test]
    fn every_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
