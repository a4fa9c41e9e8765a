//! `paperclip-bundle-sign`: the signing step of `scripts/build-modules.sh`, small enough to be
//! built with the modules, before the server exists. Operators use `paperclipai module keygen`
//! and `paperclipai module pack --sign` instead (same formats).
//!
//! ```text
//! paperclip-bundle-sign keygen --out <dir> --name <name> [--if-missing]
//! paperclip-bundle-sign sign --key <file.key> <bundle dir>...
//! ```

use paperclip_bundle_signing::{sign_folder, SecretKey};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: paperclip-bundle-sign keygen --out <dir> --name <name> [--if-missing]\n       paperclip-bundle-sign sign --key <file.key> <bundle dir>...";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("paperclip-bundle-sign: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (command, rest) = args.split_first().ok_or(USAGE)?;
    let mut out = None;
    let mut name = None;
    let mut key = None;
    let mut if_missing = false;
    let mut folders = Vec::new();
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        let mut value = || {
            rest.next()
                .cloned()
                .ok_or(format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--name" => name = Some(value()?),
            "--key" => key = Some(PathBuf::from(value()?)),
            "--if-missing" => if_missing = true,
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other}\n{USAGE}"))
            }
            folder => folders.push(PathBuf::from(folder)),
        }
    }
    match command.as_str() {
        "keygen" => {
            let out = out.ok_or(format!("keygen needs --out\n{USAGE}"))?;
            let name = name.ok_or(format!("keygen needs --name\n{USAGE}"))?;
            let existing = out.join(format!("{name}.key"));
            if if_missing && existing.is_file() {
                let key = SecretKey::read(&existing).map_err(|e| e.to_string())?;
                println!("{} (existing key {})", key.key_id(), existing.display());
                return Ok(());
            }
            let key = SecretKey::generate().map_err(|e| e.to_string())?;
            let (secret, _) = key.write_pair(&out, &name).map_err(|e| e.to_string())?;
            println!("{} (new key {})", key.key_id(), secret.display());
            Ok(())
        }
        "sign" => {
            let key_path = key.ok_or(format!("sign needs --key\n{USAGE}"))?;
            let key = SecretKey::read(&key_path).map_err(|e| e.to_string())?;
            for folder in &folders {
                let signed =
                    sign_folder(folder, &key).map_err(|e| format!("{}: {e}", folder.display()))?;
                println!(
                    "signed {} ({} files, key {})",
                    folder.display(),
                    signed.files.len(),
                    key.key_id()
                );
            }
            Ok(())
        }
        other => Err(format!("unknown command {other}\n{USAGE}")),
    }
}
