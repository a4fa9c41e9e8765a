//! `paperclipai module pack <dir>`: a built module (bundle folder or module crate) →
//! `<id>-<version>-<target>.tar.gz` and its `.sha256`, ready to be listed in a store index.

use crate::store::{pack_module, PackOptions};
use clap::Args;
use std::path::PathBuf;

/// Options of `module pack`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// The module: a bundle folder (manifest + library, e.g. plugins-dist/observability) or a
    /// module crate (manifest + Cargo.toml, built with cargo).
    pub dir: PathBuf,
    /// Folder to write the archive and its .sha256 into.
    #[arg(short, long, default_value = ".")]
    pub out: PathBuf,
    /// The built library to pack, instead of looking for it.
    #[arg(long)]
    pub library: Option<PathBuf>,
    /// Target triple the library was built for [default: this machine's].
    #[arg(long)]
    pub target: Option<String>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Packs the module and prints where the archive is and its digest.
pub fn run(args: PackArgs) -> anyhow::Result<()> {
    let packed = pack_module(
        &args.dir,
        &PackOptions {
            out_dir: args.out,
            library: args.library,
            target: args.target,
        },
    )?;
    if args.json {
        let answer = serde_json::json!({
            "id": packed.manifest.id,
            "version": packed.manifest.version.to_string(),
            "target": packed.target,
            "archive": packed.archive,
            "checksumFile": packed.checksum_file,
            "sha256": packed.sha256,
            "bytes": packed.bytes,
            "library": packed.library,
        });
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!(
            "packed {} {} ({}, library {}) into {} ({} bytes)",
            packed.manifest.id,
            packed.manifest.version,
            packed.target,
            packed.library.display(),
            packed.archive.display(),
            packed.bytes
        );
        println!(
            "sha256 {}  ({})",
            packed.sha256,
            packed.checksum_file.display()
        );
    }
    Ok(())
}
