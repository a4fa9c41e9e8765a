//! `paperclipai run`.

use crate::app::{self, RunOptions};
use clap::Args;
use std::net::IpAddr;
use std::path::PathBuf;

/// Options of `paperclipai run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Address to listen on. Anything but loopback requires API keys.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free port and prints it).
    #[arg(long, default_value_t = 3100)]
    pub port: u16,
    /// Configuration file [default: ./paperclip.config.json if present].
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data directory (SQLite database file).
    #[arg(long, default_value = "./data")]
    pub data_dir: PathBuf,
    /// Folder scanned for module bundles; overrides the config's `modules.dir`
    /// [default: `modules.dir`, else ./plugins-dist]. A relative path, here or in `modules.dir`,
    /// is relative to the working directory (not to the config file's folder).
    #[arg(long, value_name = "DIR")]
    pub modules_dir: Option<PathBuf>,
}

/// Starts the server and blocks until it stops.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let options = RunOptions {
        bind: args.bind,
        port: args.port,
        config_required: args.config.is_some(),
        config_path: args
            .config
            .unwrap_or_else(|| PathBuf::from("paperclip.config.json")),
        data_dir: args.data_dir,
        modules_dir: args.modules_dir,
    };
    actix_web::rt::System::new().block_on(app::run(options))
}
