//! One server per SQLite database, one replica per data directory: an exclusive lock on
//! `<database file>.lock` (SQLite) or `<data dir>/replica.lock` (PostgreSQL, where the data
//! directory keeps the replica's id), held for the life of the process (the operating system
//! drops it when the process dies, even by `kill -9`). A second `paperclipai run` on the same
//! file or folder is refused at start with a message naming it and the process holding it,
//! instead of two processes sharing one SQLite file — or one replica id — unknowingly
//! (PostgreSQL is how several replicas share data, each with its own data directory).

use anyhow::bail;
use fs4::fs_std::FileExt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The held lock (released when dropped or when the process ends).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Locks the SQLite database at `database`, or explains who holds it.
    pub fn acquire(database: &Path) -> anyhow::Result<DataDirLock> {
        let mut name = database.as_os_str().to_owned();
        name.push(".lock");
        DataDirLock::lock(
            PathBuf::from(name),
            &format!("the SQLite database {}", database.display()),
            "two servers must not share one SQLite file. Stop the other server, give this one \
             its own --data-dir, or run several replicas on PostgreSQL (DATABASE_URL=postgres://…)",
        )
    }

    /// Locks the data directory of a replica on PostgreSQL, or explains who holds it.
    pub fn acquire_replica_dir(data_dir: &Path) -> anyhow::Result<DataDirLock> {
        DataDirLock::lock(
            data_dir.join("replica.lock"),
            &format!("the data directory {}", data_dir.display()),
            "each replica needs a --data-dir of its own (it keeps the replica's id)",
        )
    }

    fn lock(path: PathBuf, what: &str, advice: &str) -> anyhow::Result<DataDirLock> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open the lock file {}: {e}", path.display()))?;
        let locked = file
            .try_lock_exclusive()
            .map_err(|e| anyhow::anyhow!("cannot lock {}: {e}", path.display()))?;
        if !locked {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another process".to_string()
            } else {
                format!("another paperclipai ({holder})")
            };
            bail!("{what} is already served by {who}: {advice}");
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        write!(file, "pid {}", std::process::id())?;
        file.flush()?;
        Ok(DataDirLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("paperclip.db");
        let first = DataDirLock::acquire(&db).unwrap();
        let refused = DataDirLock::acquire(&db).unwrap_err().to_string();
        assert!(
            refused.contains("already served by another paperclipai (pid "),
            "{refused}"
        );
        assert!(refused.contains("paperclip.db"), "{refused}");
        assert_eq!(first.path(), dir.path().join("paperclip.db.lock"));
        drop(first);
        DataDirLock::acquire(&db).unwrap();
        let _replica = DataDirLock::acquire_replica_dir(dir.path()).unwrap();
        let refused = DataDirLock::acquire_replica_dir(dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("needs a --data-dir of its own"),
            "{refused}"
        );
    }
}
