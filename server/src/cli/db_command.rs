//! `paperclipai db …`.

use crate::app;
use crate::config::Config;
use crate::module_host::offline_migrations::{migrate_modules, MigrationOutcome};
use crate::module_host::HostSettings;
use anyhow::bail;
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
    /// Migrate only this module (after the core), whether enabled or not.
    #[arg(long, value_name = "ID")]
    pub module: Option<String>,
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
            let db = app::open_database(&url)?;
            println!("core migrations up to date ({url})");
            let settings = HostSettings::from(&config.modules);
            let outcomes = migrate_modules(&db, &settings, args.module.as_deref())?;
            let mut failures = 0;
            for (id, outcome) in &outcomes {
                match outcome {
                    MigrationOutcome::Applied(applied) if applied.is_empty() => {
                        println!("module {id}: migrations up to date")
                    }
                    MigrationOutcome::Applied(applied) => {
                        println!("module {id}: applied {}", applied.join(", "))
                    }
                    MigrationOutcome::Skipped(why) => println!("module {id}: skipped ({why})"),
                    MigrationOutcome::Failed(error) => {
                        failures += 1;
                        eprintln!("module {id}: FAILED: {error}");
                    }
                }
            }
            if failures > 0 {
                bail!("the migrations of {failures} module(s) failed");
            }
            Ok(())
        }
    }
}
