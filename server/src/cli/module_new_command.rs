//! `paperclipai module new <id> [--path DIR]`: scaffolds a module crate that builds and loads
//! as generated (see [`crate::store::module_scaffold`]).

use crate::store::{scaffold_module, Membership, ScaffoldOptions, SdkSource};
use anyhow::bail;
use clap::Args;
use std::path::PathBuf;

/// Options of `module new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The module id (lowercase letters, digits and '-'): manifest id, crate name, route prefix.
    pub id: String,
    /// The crate folder to create [default: ./<id>].
    #[arg(long)]
    pub path: Option<PathBuf>,
    /// Display name [default: the id in title case].
    #[arg(long)]
    pub name: Option<String>,
    /// Depend on the module SDK at this path [default: this source tree's module-sdk/ when
    /// present].
    #[arg(long, conflicts_with = "sdk_version")]
    pub sdk_path: Option<PathBuf>,
    /// Depend on this version of the module SDK from the registry.
    #[arg(long)]
    pub sdk_version: Option<String>,
}

/// Creates the crate and says how to build, pack and install it.
pub fn run(args: NewArgs) -> anyhow::Result<()> {
    let sdk = match (args.sdk_path, args.sdk_version) {
        (Some(path), None) => SdkSource::Path(path),
        (None, Some(version)) => SdkSource::Version(version),
        (None, None) => SdkSource::Auto,
        (Some(_), Some(_)) => bail!("give --sdk-path or --sdk-version, not both"),
    };
    let dir = args.path.unwrap_or_else(|| PathBuf::from(&args.id));
    let made = scaffold_module(&ScaffoldOptions {
        id: args.id.clone(),
        dir,
        name: args.name,
        sdk,
    })?;
    println!("created module crate {} in {}", args.id, made.dir.display());
    for file in &made.files {
        println!("  {}", file.display());
    }
    println!("  (SDK: {})", made.sdk_dependency);
    match &made.membership {
        Membership::Standalone => {}
        Membership::Excluded { root } => println!(
            "the workspace at {} excludes this folder, so the crate is a workspace of its own",
            root.display()
        ),
        Membership::Added { root } => println!(
            "added it to the members of the workspace at {}",
            root.join("Cargo.toml").display()
        ),
        Membership::AlreadyMember { root } => {
            println!("it is a member of the workspace at {}", root.display())
        }
    }
    println!();
    println!("next, from this folder:");
    for step in made.next_steps() {
        println!("  {step}");
    }
    println!(
        "then install the bundle as {} says",
        made.dir.join("README.md").display()
    );
    Ok(())
}
