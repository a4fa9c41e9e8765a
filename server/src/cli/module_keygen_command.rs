//! `paperclipai module keygen [--out <dir>] [--name <name>]`: a key pair to sign module
//! bundles with (`module pack --sign <dir>/<name>.key`), and the line that trusts it.

use crate::store::bundle_keys::{generate_key_pair, is_valid_key_name};
use anyhow::bail;
use clap::Args;
use std::path::PathBuf;

/// Options of `module keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Folder to write `<name>.key` (secret) and `<name>.pub` into (created if missing).
    #[arg(short, long, default_value = ".")]
    pub out: PathBuf,
    /// Base name of the key files.
    #[arg(long, default_value = "module-signing")]
    pub name: String,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Writes the key pair and prints the key id and the `modules.trustedKeys` entry.
pub fn run(args: KeygenArgs) -> anyhow::Result<()> {
    if !is_valid_key_name(&args.name) {
        bail!(
            "--name {:?} cannot name key files: use letters, digits, '.', '_' or '-' (not starting with '.')",
            args.name
        );
    }
    let written = generate_key_pair(&args.out, &args.name)?;
    if args.json {
        let answer = serde_json::json!({
            "keyId": written.key_id,
            "publicKey": written.public_key.to_string(),
            "secretKeyFile": written.secret_file,
            "publicKeyFile": written.public_file,
        });
        println!("{}", serde_json::to_string_pretty(&answer)?);
        return Ok(());
    }
    println!("key id {}", written.key_id);
    println!(
        "secret key: {} (keep it private; sign with `paperclipai module pack <dir> --sign {}`)",
        written.secret_file.display(),
        written.secret_file.display()
    );
    println!("public key: {}", written.public_file.display());
    println!(
        "trust it in paperclip.config.json, under \"modules\": {{ \"trustedKeys\": {{ … }} }}:"
    );
    println!("  {}", written.config_entry());
    Ok(())
}
