//! `paperclipai module pack <dir>`: a built module (bundle folder or module crate) →
//! `<id>-<version>-<target>.tar.gz` and its `.sha256`, ready to be listed in a store index;
//! signed with `--sign <key file>` (made by `paperclipai module keygen`).

use crate::store::bundle_pack::PackedSignature;
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
    /// Sign the bundle with this secret key file (`<name>.key` from `paperclipai module
    /// keygen`): the manifest lists the SHA-256 of every file, and paperclip.module.sig holds
    /// the signature over it.
    #[arg(long, value_name = "KEY_FILE")]
    pub sign: Option<PathBuf>,
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
            sign: args.sign,
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
            "signature": packed.signature,
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
        match &packed.signature {
            PackedSignature::Signed { key_id } => println!("signed with key {key_id}"),
            PackedSignature::Kept { key_id } => {
                println!("signed with key {key_id} (the bundle folder's own signature)")
            }
            PackedSignature::Dropped { reason } => eprintln!(
                "warning: the bundle folder's signature was left out, it no longer holds ({reason}); sign it again with --sign <key file>"
            ),
            PackedSignature::Unsigned => println!("not signed (sign with --sign <key file>)"),
        }
    }
    Ok(())
}
