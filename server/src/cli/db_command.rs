//! `paperclipai db …`.

use crate::app;
use crate::config::Config;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Database commands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations: core first, then modules in dependency order.
    Migrate(MigrateArgs),
}

/// Options of `paperclipai db migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Configuration file [default: ./paperclip.config.json if present].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data directory (SQLite database file).
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
}

/// Runs a database command.
pub fn run(command: DbCommand) -> anyhow::Result<()> {
    match command {
        DbCommand::Migrate(args) => {
            let config = Config::load(
                args.config
                    .as_deref()
                    .unwrap_or_else(|| std::path::Path::new("paperclip.config.json")),
                args.config.is_some(),
            )?;
            let url = app::database_url(&config, &args.data_dir);
            app::open_database(&url)?;
            println!("core migrations up to date ({url})");
            Ok(())
        }
    }
}
