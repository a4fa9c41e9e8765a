//! The sandbox the runner locks itself into before it loads a module library, on its only
//! thread (so every thread the module starts inherits it): resource limits first, then a
//! Landlock ruleset (best effort by the kernel's Landlock ABI) that leaves read access to the
//! module's bundle and the system library folders only — not the server's data directory, its
//! database files or anything else — and no write access anywhere but `/dev/null`. Signals to
//! processes outside the sandbox and abstract Unix sockets are scoped too where the kernel can.
//!
//! What was enforced is reported back in words and shown by the admin API.

use crate::protocol::{SandboxLimits, StartRequest};
use landlock::{
    path_beneath_rules, Access, AccessFs, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, ABI,
};
use rlimit::Resource;
use std::path::{Path, PathBuf};

/// The Landlock ABI whose rights the runner asks for (older kernels enforce what they can).
const REQUESTED_ABI: ABI = ABI::V6;

/// Seconds between the CPU limit's `SIGXCPU` and the kernel's `SIGKILL`.
const CPU_GRACE_SECONDS: u64 = 5;

/// System folders and files the dynamic loader and the C library read (the module's shared
/// library dependencies, the loader cache, time zones); only those that exist are granted.
const SYSTEM_READ_PATHS: &[&str] = &[
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/dev/urandom",
];

/// Applies the limits and the filesystem rules for `request` to this process; returns the
/// sandbox in force, in words. Fails only when a resource limit cannot be set (Landlock is best
/// effort: an unsupported kernel is reported, not refused).
pub fn enter_sandbox(request: &StartRequest) -> Result<String, String> {
    let limits = set_resource_limits(&request.limits)?;
    let mut readable = vec![request.bundle_dir.clone()];
    if let Some(folder) = request.library_path.parent() {
        readable.push(folder.to_path_buf());
    }
    readable.extend(SYSTEM_READ_PATHS.iter().map(PathBuf::from));
    let landlock = restrict_filesystem(&readable);
    Ok(format!("{landlock}; rlimits: {limits}"))
}

/// Sets `RLIMIT_CORE` to 0, then the open-file, CPU and address-space limits.
fn set_resource_limits(limits: &SandboxLimits) -> Result<String, String> {
    set(Resource::CORE, 0, 0, "core")?;
    let (_, files_hard) = rlimit::getrlimit(Resource::NOFILE)
        .map_err(|e| format!("cannot read RLIMIT_NOFILE: {e}"))?;
    let files = limits.open_files.min(files_hard);
    set(Resource::NOFILE, files, files, "nofile")?;
    let cpu = limits.cpu_seconds;
    set(
        Resource::CPU,
        cpu,
        cpu.saturating_add(CPU_GRACE_SECONDS),
        "cpu",
    )?;
    let bytes = limits.memory_mb.saturating_mul(1 << 20);
    set(Resource::AS, bytes, bytes, "as")?;
    Ok(format!(
        "as {} MiB, cpu {cpu} s, core 0, nofile {files}",
        limits.memory_mb
    ))
}

fn set(resource: Resource, soft: u64, hard: u64, name: &str) -> Result<(), String> {
    rlimit::setrlimit(resource, soft, hard)
        .map_err(|e| format!("cannot set RLIMIT_{} to {soft}: {e}", name.to_uppercase()))
}

/// Restricts the filesystem to reading `readable` (and writing `/dev/null`); returns what the
/// kernel enforced.
fn restrict_filesystem(readable: &[PathBuf]) -> String {
    let read = AccessFs::from_read(REQUESTED_ABI);
    let outcome = Ruleset::default()
        .handle_access(AccessFs::from_all(REQUESTED_ABI))
        .and_then(|ruleset| ruleset.scope(Scope::from_all(REQUESTED_ABI)))
        .and_then(|ruleset| ruleset.create())
        .and_then(|ruleset| ruleset.add_rules(path_beneath_rules(readable, read)))
        .and_then(|ruleset| {
            ruleset.add_rules(path_beneath_rules(
                [Path::new("/dev/null")],
                read | AccessFs::WriteFile,
            ))
        })
        .and_then(|ruleset| ruleset.restrict_self());
    match outcome {
        Ok(status) => {
            let abi = match status.landlock {
                LandlockStatus::Available {
                    kernel_abi: Some(version),
                    ..
                } => version.to_string(),
                LandlockStatus::Available { effective_abi, .. } => abi_number(effective_abi),
                LandlockStatus::NotEnabled => return "landlock not enabled in this kernel".into(),
                LandlockStatus::NotImplemented => {
                    return "landlock not supported by this kernel".into()
                }
            };
            match status.ruleset {
                RulesetStatus::FullyEnforced => format!("landlock fully enforced (ABI {abi})"),
                RulesetStatus::PartiallyEnforced => {
                    format!("landlock partially enforced (ABI {abi})")
                }
                RulesetStatus::NotEnforced => format!("landlock not enforced (ABI {abi})"),
            }
        }
        Err(e) => format!("landlock not enforced: {e}"),
    }
}

/// `ABI::V6` → `"6"`.
fn abi_number(abi: ABI) -> String {
    format!("{abi:?}").trim_start_matches('V').to_string()
}
