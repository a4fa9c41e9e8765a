//! Helpers of the Company Store end-to-end tests (`store_*.rs`): a static HTTP server inside
//! the test serving a store folder (index, bundles, templates) — able to cut a download short —
//! bundles packed with the real `paperclipai module pack` or crafted byte by byte (unsafe
//! entries), and snapshots of a modules folder to prove a refusal wrote nothing.
//!
//! Build what the tests use first: `scripts/build-modules.sh` and `cargo build -p
//! paperclip-server`.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use crate::modules_support::copy_bundle_as;
use paperclip_e2e::{json, run_cli_with, workspace_root, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A minimal HTTP/1.1 file server on 127.0.0.1 serving one folder (`Connection: close`, a thread
/// per connection) in the test process. Stops accepting when dropped.
pub struct StaticServer {
    port: u16,
    stop: Arc<AtomicBool>,
    /// Paths served cut short: only the first n bytes are sent, under the full Content-Length.
    cut: Arc<Mutex<HashMap<String, usize>>>,
    /// Paths served slowly: chunks of n bytes with a pause after each.
    slow: Arc<Mutex<HashMap<String, (usize, Duration)>>>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Serves `root` on a free port.
    pub fn start(root: &Path) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let cut: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let slow: Arc<Mutex<HashMap<String, (usize, Duration)>>> = Arc::default();
        let root = root.to_path_buf();
        let thread = std::thread::spawn({
            let stop = Arc::clone(&stop);
            let cut = Arc::clone(&cut);
            let slow = Arc::clone(&slow);
            move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // One thread per connection: a slow download must not hold up the
                        // index requests made meanwhile.
                        let (root, cut, slow) = (root.clone(), Arc::clone(&cut), Arc::clone(&slow));
                        std::thread::spawn(move || {
                            // A client that hangs up early is its own business.
                            let _ = serve(stream, &root, &cut, &slow);
                        });
                    }
                }
            }
        });
        StaticServer {
            port,
            stop,
            cut,
            slow,
            thread: Some(thread),
        }
    }

    /// The URL of `path` (relative to the served folder).
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// From now on, `path` is sent cut after `keep` bytes while announcing its full length.
    pub fn cut_short(&self, path: &str, keep: usize) {
        self.cut
            .lock()
            .expect("the cut list")
            .insert(format!("/{}", path.trim_start_matches('/')), keep);
    }
}

impl StaticServer {
    /// From now on, `path` is sent in chunks of `chunk` bytes with `pause` after each (so a
    /// client can watch a download progress).
    pub fn slow_down(&self, path: &str, chunk: usize, pause: Duration) {
        self.slow
            .lock()
            .expect("the slow list")
            .insert(format!("/{}", path.trim_start_matches('/')), (chunk, pause));
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop up so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    root: &Path,
    cut: &Mutex<HashMap<String, usize>>,
    slow: &Mutex<HashMap<String, (usize, Duration)>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .to_string();
    let file = (!path.split('/').any(|p| p == ".."))
        .then(|| root.join(path.trim_start_matches('/')))
        .filter(|f| f.is_file());
    let Some(file) = file else {
        let body = b"not found";
        write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )?;
        return stream.write_all(body);
    };
    let bytes = std::fs::read(&file)?;
    let keep = cut
        .lock()
        .expect("the cut list")
        .get(&path)
        .copied()
        .unwrap_or(bytes.len())
        .min(bytes.len());
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    )?;
    let pace = slow.lock().expect("the slow list").get(&path).copied();
    match pace {
        Some((chunk, pause)) => {
            for piece in bytes[..keep].chunks(chunk.max(1)) {
                stream.write_all(piece)?;
                stream.flush()?;
                std::thread::sleep(pause);
            }
        }
        None => stream.write_all(&bytes[..keep])?,
    }
    stream.flush()
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A bundle as `paperclipai module pack --json` describes it.
#[derive(Debug, Clone)]
pub struct PackedBundle {
    /// The archive's file name (in the store's `bundles/`).
    pub file_name: String,
    /// Its SHA-256.
    pub sha256: String,
    /// Its path.
    pub path: PathBuf,
}

impl PackedBundle {
    /// The index's `bundle` object for this archive (`bundles/<file>` with its digest).
    pub fn index_bundle(&self) -> Value {
        json!({ "url": format!("bundles/{}", self.file_name), "sha256": self.sha256 })
    }
}

/// A store folder (index, `bundles/`, `templates/`) served over HTTP.
pub struct Store {
    dir: tempfile::TempDir,
    /// Serves the folder.
    pub http: StaticServer,
}

impl Store {
    /// An empty store with Startup in a Box in `templates/`.
    pub fn new() -> Store {
        let dir = tempfile::Builder::new()
            .prefix("paperclip-store-")
            .tempdir()
            .expect("a temporary folder");
        std::fs::create_dir_all(dir.path().join("bundles")).expect("bundles/");
        std::fs::create_dir_all(dir.path().join("templates")).expect("templates/");
        std::fs::copy(
            workspace_root().join("templates/startup-in-a-box.json"),
            dir.path().join("templates/startup-in-a-box.json"),
        )
        .expect("copying Startup in a Box");
        let http = StaticServer::start(dir.path());
        Store { dir, http }
    }

    /// The store folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The URL of the index (`index.json`).
    pub fn index_url(&self) -> String {
        self.http.url("index.json")
    }

    /// Writes `index.json` (or another file name) with these modules and templates.
    pub fn write_index(&self, file: &str, modules: Vec<Value>, templates: Vec<Value>) {
        let index = json!({ "modules": modules, "templates": templates });
        std::fs::write(
            self.path().join(file),
            serde_json::to_string_pretty(&index).expect("index JSON"),
        )
        .expect("writing the index");
    }

    /// Packs the module folder `dir` into `bundles/` with the real CLI.
    pub fn pack(&self, dir: &Path) -> PackedBundle {
        self.pack_with(dir, &[])
    }

    /// [`Store::pack`] with extra environment variables (e.g. `CARGO_TARGET_DIR`).
    pub fn pack_with(&self, dir: &Path, env: &[(&str, &str)]) -> PackedBundle {
        let out = self.path().join("bundles");
        let output = run_cli_with(
            &[
                "module",
                "pack",
                &dir.to_string_lossy(),
                "--out",
                &out.to_string_lossy(),
                "--json",
            ],
            env,
            None,
        );
        assert!(
            output.success(),
            "module pack {} failed:\n{}",
            dir.display(),
            output.stderr
        );
        let answer: Value = serde_json::from_str(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "module pack --json printed no JSON ({e}):\n{}",
                output.stdout
            )
        });
        let path = PathBuf::from(answer["archive"].as_str().expect("archive path"));
        let bytes = std::fs::read(&path).expect("the archive");
        assert_eq!(answer["sha256"], sha256_hex(&bytes), "the printed digest");
        let checksum = std::fs::read_to_string(format!("{}.sha256", path.display()))
            .expect("the .sha256 file");
        let file_name = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            checksum,
            format!(
                "{}  {file_name}\n",
                answer["sha256"].as_str().unwrap_or_default()
            )
        );
        PackedBundle {
            file_name,
            sha256: sha256_hex(&bytes),
            path,
        }
    }

    /// Packs the built bundle `name` as module `id` with manifest `version` (and `edit` applied
    /// to the manifest), from a copy of it.
    pub fn pack_variant(
        &self,
        name: &str,
        id: &str,
        version: &str,
        edit: impl FnOnce(&mut Value),
    ) -> PackedBundle {
        let source = tempfile::tempdir().expect("a temporary folder");
        let dir = copy_bundle_as(name, &source.path().join(id), id, |manifest| {
            manifest["version"] = json!(version);
            edit(manifest);
        });
        self.pack(&dir)
    }

    /// Writes raw bytes as `bundles/<file>`; returns them as a [`PackedBundle`].
    pub fn put_bundle(&self, file_name: &str, bytes: &[u8]) -> PackedBundle {
        let path = self.path().join("bundles").join(file_name);
        std::fs::write(&path, bytes).expect("writing the bundle");
        PackedBundle {
            file_name: file_name.to_string(),
            sha256: sha256_hex(bytes),
            path,
        }
    }
}

/// An index module entry.
pub fn module_entry(id: &str, version: &str, bundle: Value) -> Value {
    json!({
        "id": id,
        "name": format!("Module {id}"),
        "description": format!("{id} for the store tests"),
        "version": version,
        "tags": ["test", id],
        "bundle": bundle,
    })
}

/// The index entry of Startup in a Box in `templates/`.
pub fn startup_entry() -> Value {
    json!({
        "id": "startup-in-a-box",
        "name": "Startup in a Box",
        "description": "5-agent startup team",
        "url": "templates/startup-in-a-box.json",
        "tags": ["startup", "team"],
    })
}

/// One entry of a crafted archive.
pub struct RawEntry<'a> {
    /// Written as is into the header's name field (no checks), so `../x` and `/x` are possible.
    pub name: &'a str,
    /// Regular file, symlink, …
    pub kind: tar::EntryType,
    /// Link target for links.
    pub link: Option<&'a str>,
    /// File content.
    pub data: &'a [u8],
}

impl<'a> RawEntry<'a> {
    /// A regular file.
    pub fn file(name: &'a str, data: &'a [u8]) -> RawEntry<'a> {
        RawEntry {
            name,
            kind: tar::EntryType::Regular,
            link: None,
            data,
        }
    }

    /// A symbolic link.
    pub fn symlink(name: &'a str, target: &'a str) -> RawEntry<'a> {
        RawEntry {
            name,
            kind: tar::EntryType::Symlink,
            link: Some(target),
            data: b"",
        }
    }
}

/// A `.tar.gz` with exactly these entries, headers filled by hand.
pub fn crafted_archive(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        {
            let gnu = header.as_gnu_mut().expect("a GNU header");
            gnu.name[..entry.name.len()].copy_from_slice(entry.name.as_bytes());
            if let Some(link) = entry.link {
                gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
        }
        header.set_entry_type(entry.kind);
        header.set_mode(0o644);
        header.set_size(entry.data.len() as u64);
        header.set_cksum();
        builder
            .append(&header, entry.data)
            .expect("appending an entry");
    }
    builder
        .into_inner()
        .expect("finishing the tar")
        .finish()
        .expect("finishing the gzip")
}

/// A crafted bundle of module `id`: a valid manifest and a (fake) library, then `extra`.
pub fn crafted_bundle(id: &str, extra: RawEntry<'_>) -> Vec<u8> {
    let manifest =
        json!({"id": id, "name": id, "version": "0.1.0", "library": id.replace('-', "_")})
            .to_string();
    let library = format!("lib{}.so", id.replace('-', "_"));
    crafted_archive(&[
        RawEntry::file("paperclip.module.json", manifest.as_bytes()),
        RawEntry::file(&library, b"\x7fELF not really"),
        extra,
    ])
}

/// Every file and folder below `dir` (hidden ones included) with file sizes, sorted: equal
/// snapshots mean nothing was written.
pub fn snapshot(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.expect("a readable folder");
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .expect("below the root")
                .display()
                .to_string();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            if meta.is_dir() {
                out.push(format!("{relative}/"));
                walk(root, &path, out);
            } else {
                out.push(format!("{relative} {}", meta.len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}
