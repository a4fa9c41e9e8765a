//! Store-installed bundles for every replica: the replica that installs a bundle keeps its
//! archive in `module_bundles` (content-addressed by SHA-256; the signature travels inside the
//! archive) and tells the others; each replica lays out the newest archive of every module it
//! has not laid out yet — checked exactly like a store download (digest, entries, manifest,
//! `requires.core`, signature under `modules.signatures`) — and rescans, so the module loads or
//! is upgraded in place there too. What a replica laid out is remembered beside the modules
//! folder (`.paperclip-bundles/<id>.sha256`, a hidden folder discovery skips; never inside the
//! bundle, whose files the signature lists).

use crate::module_host::ModuleHost;
use crate::store::bundle_install::{install_archive, InstallSignatures, Installed};
use diesel::prelude::*;
use paperclip_core::db::schema::module_bundles;
use paperclip_core::db::{now, Database};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The hidden folder, in the modules folder, of what this replica laid out.
const MARKERS: &str = ".paperclip-bundles";

/// Keeps the archive of a bundle this replica installed (once per SHA-256) and remembers it as
/// laid out here.
pub fn keep_installed(
    db: &Database,
    modules_dir: &Path,
    replica_id: &str,
    installed: &Installed,
) -> anyhow::Result<()> {
    let mut conn = db.conn()?;
    let known = module_bundles::table
        .filter(module_bundles::sha256.eq(&installed.sha256))
        .count()
        .get_result::<i64>(&mut conn)?;
    if known == 0 {
        diesel::insert_into(module_bundles::table)
            .values((
                module_bundles::sha256.eq(&installed.sha256),
                module_bundles::module_id.eq(&installed.module_id),
                module_bundles::version.eq(&installed.version),
                module_bundles::archive.eq(&installed.archive),
                module_bundles::stored_by.eq(replica_id),
                module_bundles::stored_at.eq(now()),
            ))
            .execute(&mut conn)?;
    } else {
        // Installed again (e.g. a downgrade back to it): it is the newest again.
        diesel::update(module_bundles::table.filter(module_bundles::sha256.eq(&installed.sha256)))
            .set((
                module_bundles::stored_by.eq(replica_id),
                module_bundles::stored_at.eq(now()),
            ))
            .execute(&mut conn)?;
    }
    remember(modules_dir, &installed.module_id, &installed.sha256)
}

/// Lays out the newest stored bundle of every module this replica has not laid out yet.
/// Returns the modules placed (rescan the host to load or upgrade them); a bundle that fails
/// its checks is logged and left out (it is tried again at the next sync).
pub fn lay_out_new_bundles(db: &Database, modules: &ModuleHost) -> anyhow::Result<Vec<Installed>> {
    let dir = modules.settings().dir.clone();
    let mut conn = db.conn()?;
    let rows: Vec<(String, String, chrono::NaiveDateTime)> = module_bundles::table
        .select((
            module_bundles::sha256,
            module_bundles::module_id,
            module_bundles::stored_at,
        ))
        .load(&mut conn)?;
    let mut newest: HashMap<String, (String, chrono::NaiveDateTime)> = HashMap::new();
    for (sha256, module_id, stored_at) in rows {
        let newer = !matches!(newest.get(&module_id), Some((_, at)) if stored_at <= *at);
        if newer {
            newest.insert(module_id, (sha256, stored_at));
        }
    }
    let signatures = InstallSignatures {
        enforcement: modules.settings().signatures,
        trusted_keys: modules.settings().trusted_keys.clone(),
    };
    let mut placed = Vec::new();
    for (module_id, (sha256, _)) in newest {
        if laid_out(&dir, &module_id).as_deref() == Some(sha256.as_str()) {
            continue;
        }
        let archive: Vec<u8> = module_bundles::table
            .filter(module_bundles::sha256.eq(&sha256))
            .select(module_bundles::archive)
            .first(&mut conn)?;
        match install_archive(&archive, &sha256, &dir, &signatures) {
            Ok(installed) => {
                remember(&dir, &module_id, &sha256)?;
                tracing::info!(module = %module_id, version = %installed.version, %sha256, "bundle installed by another replica laid out here");
                placed.push(installed);
            }
            Err(error) => {
                tracing::warn!(module = %module_id, %sha256, %error, "bundle installed by another replica refused here")
            }
        }
    }
    Ok(placed)
}

fn marker(dir: &Path, module_id: &str) -> PathBuf {
    dir.join(MARKERS).join(format!("{module_id}.sha256"))
}

/// The SHA-256 of the stored bundle of `module_id` laid out here, if any.
fn laid_out(dir: &Path, module_id: &str) -> Option<String> {
    std::fs::read_to_string(marker(dir, module_id))
        .ok()
        .map(|text| text.trim().to_string())
}

fn remember(dir: &Path, module_id: &str, sha256: &str) -> anyhow::Result<()> {
    let path = marker(dir, module_id);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, sha256)?;
    Ok(())
}
