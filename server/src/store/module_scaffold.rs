//! `paperclipai module new <id>`: a module crate that builds, packs and loads as generated —
//! `Cargo.toml` (a `cdylib` depending on `module-sdk`), `src/lib.rs` (a [`module_sdk::Module`]
//! with one hook, `agent:created`, recording agents in the module's table, and one route,
//! `GET /hello`, answering with a configurable greeting and the count), the manifest, one
//! migration per backend, a README and a `.gitignore`.
//!
//! Where the SDK comes from: a path to this source tree's `module-sdk/` when it is there (the
//! SDK is not published yet), else the version of this server; `--sdk-path` / `--sdk-version`
//! choose. Inside a cargo workspace the crate becomes a member (added to `members`, sharing the
//! workspace's dependency versions when it declares them); elsewhere it is a workspace of its
//! own, with the SDK workspace's `Cargo.lock` copied in so it builds with the same dependency
//! versions the SDK is tested with.

use super::cargo_workspace::Workspace;
use super::store_index::is_id;
use crate::module_host::manifest::{parse_manifest, MANIFEST_FILE};
use anyhow::{bail, Context};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Where the generated crate gets `module-sdk` from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdkSource {
    /// This source tree's SDK when present, else [`SdkSource::Version`] of this server.
    Auto,
    /// A path dependency on an SDK folder.
    Path(PathBuf),
    /// A registry dependency.
    Version(String),
}

/// Options of [`scaffold_module`].
#[derive(Debug, Clone)]
pub struct ScaffoldOptions {
    /// The module id (manifest `id`, package name, route prefix).
    pub id: String,
    /// The crate folder to create (must not exist or be empty).
    pub dir: PathBuf,
    /// Display name (default: the id in title case).
    pub name: Option<String>,
    /// Where `module-sdk` comes from.
    pub sdk: SdkSource,
}

/// How the crate relates to a cargo workspace around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// No workspace around: the crate is its own workspace.
    Standalone,
    /// A workspace excludes the crate's path: the crate is its own workspace.
    Excluded {
        /// The workspace root.
        root: PathBuf,
    },
    /// The crate was added to the workspace's `members`.
    Added {
        /// The workspace root.
        root: PathBuf,
    },
    /// The workspace's `members` already match the crate's path.
    AlreadyMember {
        /// The workspace root.
        root: PathBuf,
    },
}

/// What [`scaffold_module`] made.
#[derive(Debug, Clone)]
pub struct Scaffolded {
    /// The crate folder.
    pub dir: PathBuf,
    /// Files written, relative to `dir`.
    pub files: Vec<PathBuf>,
    /// Workspace membership.
    pub membership: Membership,
    /// The `module-sdk` dependency line written into `Cargo.toml`.
    pub sdk_dependency: String,
}

impl Scaffolded {
    /// The commands that build and pack the new crate, run from the folder `module new` ran in
    /// (no `cd`, so each line works on its own, in any order of copying).
    pub fn next_steps(&self) -> Vec<String> {
        let dir = shell_word(&self.dir.display().to_string());
        let manifest = shell_word(&self.dir.join("Cargo.toml").display().to_string());
        vec![
            format!("cargo build --release --manifest-path {manifest}"),
            format!("paperclipai module pack {dir}"),
        ]
    }
}

/// `word` as one POSIX shell word: as is when it holds only safe characters, else single-quoted.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Package names cargo refuses, or that would clash with the crates a module links.
const RESERVED: [&str; 10] = [
    "test",
    "core",
    "std",
    "alloc",
    "proc-macro",
    "module-sdk",
    "serde-json",
    "abi-stable",
    "paperclip",
    "build",
];

/// Rust keywords, which cannot be library names.
const KEYWORDS: [&str; 51] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Checks a module id for use as manifest id, package name and library name.
pub fn check_module_id(id: &str) -> anyhow::Result<()> {
    if !is_id(id) {
        bail!("module id {id:?} must start with a lowercase letter and hold only lowercase letters, digits and '-'");
    }
    if id.ends_with('-') || id.contains("--") {
        bail!("module id {id:?} must not end with '-' or hold \"--\"");
    }
    let lib = id.replace('-', "_");
    if RESERVED.contains(&id) || KEYWORDS.contains(&lib.as_str()) {
        bail!("module id {id:?} is reserved (a Rust keyword or the name of a crate modules link); pick another");
    }
    Ok(())
}

/// Creates the module crate.
pub fn scaffold_module(options: &ScaffoldOptions) -> anyhow::Result<Scaffolded> {
    let id = options.id.as_str();
    check_module_id(id)?;
    let dir = &options.dir;
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir)
            .with_context(|| format!("{} exists and is not a readable folder", dir.display()))?;
        if entries.next().is_some() {
            bail!("{} already exists and is not empty", dir.display());
        }
    }
    let names = Names::new(id, options.name.as_deref());

    let workspace = Workspace::enclosing(dir)?;
    let mut membership = Membership::Standalone;
    let mut member_of = None;
    if let Some(workspace) = workspace {
        let member = workspace.member_path(dir)?;
        if workspace.excludes(&member) {
            membership = Membership::Excluded {
                root: workspace.root.clone(),
            };
        } else {
            membership = if workspace.has_member(&member) {
                Membership::AlreadyMember {
                    root: workspace.root.clone(),
                }
            } else {
                Membership::Added {
                    root: workspace.root.clone(),
                }
            };
            member_of = Some((workspace, member));
        }
    }

    let sdk = resolve_sdk(&options.sdk)?;
    let shared = |name: &str| {
        member_of
            .as_ref()
            .is_some_and(|(w, _)| w.shares_dependency(name))
    };
    let sdk_dependency = if shared("module-sdk") {
        "module-sdk.workspace = true".to_string()
    } else {
        match &sdk {
            SdkSource::Path(path) => format!(
                "module-sdk = {{ path = {} }}",
                toml_string(&path.display().to_string())
            ),
            SdkSource::Version(version) => format!("module-sdk = {}", toml_string(version)),
            SdkSource::Auto => unreachable!("resolved above"),
        }
    };
    let serde_dependency = if shared("serde_json") {
        "serde_json.workspace = true"
    } else {
        "serde_json = \"1\""
    };

    let mut files: Vec<(PathBuf, String)> = vec![
        (
            "Cargo.toml".into(),
            cargo_toml(
                &names,
                &sdk_dependency,
                serde_dependency,
                member_of.is_none(),
            ),
        ),
        ("src/lib.rs".into(), lib_rs(&names)),
        (MANIFEST_FILE.into(), manifest_json(&names)?),
        ("README.md".into(), readme(&names)),
    ];
    let migration = format!(
        "{}_create_agents",
        chrono::Utc::now().format("%Y-%m-%d-%H%M%S")
    );
    for backend in ["sqlite", "postgres"] {
        let folder = PathBuf::from("migrations").join(backend).join(&migration);
        files.push((folder.join("up.sql"), up_sql(&names)));
        files.push((folder.join("down.sql"), down_sql(&names)));
    }
    if member_of.is_none() {
        files.push((".gitignore".into(), "/target\n".to_string()));
    }

    for (path, content) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, content)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    let mut written: Vec<PathBuf> = files.into_iter().map(|(path, _)| path).collect();

    if let (Some((mut workspace, member)), Membership::Added { .. }) = (member_of, &membership) {
        workspace.add_member(&member)?;
    }
    if membership == Membership::Standalone || matches!(membership, Membership::Excluded { .. }) {
        // Same dependency versions as the SDK's own workspace, so the module builds the way the
        // SDK was tested (and offline, from the same cache).
        if let SdkSource::Path(sdk_dir) = &sdk {
            let lock = sdk_dir.join("..").join("Cargo.lock");
            if lock.is_file() {
                std::fs::copy(&lock, dir.join("Cargo.lock"))
                    .with_context(|| format!("cannot copy {}", lock.display()))?;
                written.push("Cargo.lock".into());
            }
        }
    }
    Ok(Scaffolded {
        dir: dir.clone(),
        files: written,
        membership,
        sdk_dependency,
    })
}

/// Turns [`SdkSource::Auto`] into a path (this source tree's SDK) or a version.
fn resolve_sdk(sdk: &SdkSource) -> anyhow::Result<SdkSource> {
    match sdk {
        SdkSource::Auto => {
            let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../module-sdk");
            Ok(match std::fs::canonicalize(&tree) {
                Ok(path) if path.join("Cargo.toml").is_file() => SdkSource::Path(path),
                _ => SdkSource::Version(crate::VERSION.to_string()),
            })
        }
        SdkSource::Path(path) => {
            let path = std::fs::canonicalize(path)
                .with_context(|| format!("--sdk-path {} does not exist", path.display()))?;
            if !path.join("Cargo.toml").is_file() {
                bail!("--sdk-path {} holds no Cargo.toml", path.display());
            }
            Ok(SdkSource::Path(path))
        }
        SdkSource::Version(version) => {
            semver::VersionReq::parse(version).with_context(|| {
                format!("--sdk-version {version:?} is not a version requirement")
            })?;
            Ok(sdk.clone())
        }
    }
}

/// The names a module goes by.
struct Names {
    id: String,
    name: String,
    /// Library / crate name (`-` → `_`).
    lib: String,
    /// The Rust type implementing `Module`.
    type_name: String,
    /// Its table (`mod_<lib>_agents`).
    table: String,
}

impl Names {
    fn new(id: &str, name: Option<&str>) -> Names {
        let words: Vec<String> = id
            .split('-')
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        let lib = id.replace('-', "_");
        Names {
            id: id.to_string(),
            name: name.map(str::to_string).unwrap_or_else(|| words.join(" ")),
            table: format!("mod_{lib}_agents"),
            lib,
            type_name: words.concat(),
        }
    }
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

fn cargo_toml(names: &Names, sdk: &str, serde: &str, standalone: bool) -> String {
    let workspace = if standalone {
        "\n# A workspace of its own: builds anywhere, inside another workspace or not.\n[workspace]\n"
    } else {
        ""
    };
    format!(
        r#"[package]
name = "{id}"
version = "0.1.0"
edition = "2021"
description = {description}
publish = false

[lib]
# A Paperclip module is a dynamic library the server loads at run time.
crate-type = ["cdylib"]

[dependencies]
{sdk}
{serde}
{workspace}"#,
        id = names.id,
        description = toml_string(&format!("{}: a Paperclip module", names.name)),
    )
}

fn lib_rs(names: &Names) -> String {
    format!(
        r#"//! {name}: a Paperclip module.
//!
//! - Hook `agent:created` (listed in `paperclip.module.json`): records every new agent in the
//!   module's own table, `{table}` (created by the migrations in `migrations/`).
//! - Route `GET /api/modules/{id}/hello`: a greeting (configuration key `greeting`) and how many
//!   agents the module has seen.

use module_sdk::{{
    params, AgentCreated, Module, ModuleContext, Registrar, Request, Response, Result, Router,
}};
use serde_json::json;

/// The module's state, built by `register` from its configuration.
pub struct {type_name} {{
    greeting: String,
}}

impl Module for {type_name} {{
    fn register(r: &mut Registrar<Self>) -> Result<Self> {{
        // Validated by the server against `configSchema`, defaults filled in.
        let greeting = r.config()["greeting"]
            .as_str()
            .unwrap_or("Hello")
            .to_string();

        // The hook is inferred from the payload type.
        r.on(|_m: &Self, ctx: &ModuleContext, created: AgentCreated| {{
            ctx.db().execute(
                "INSERT INTO {table} (agent_id, name) VALUES ($1, $2)",
                &params![created.agent.id, created.agent.name],
            )?;
            Ok(())
        }});

        // Served under /api/modules/{id}/…
        r.routes(Router::new().get("/hello", hello));

        r.log().info("registered");
        Ok({type_name} {{ greeting }})
    }}
}}

module_sdk::declare_module!({type_name});

/// `GET /hello` → `{{"message": "<greeting> from {id}", "agentsSeen": <count>}}`.
fn hello(m: &{type_name}, ctx: &ModuleContext, _req: &Request) -> Result<Response> {{
    let rows = ctx
        .db()
        .query("SELECT COUNT(*) AS seen FROM {table}", &params![])?;
    let seen = rows.first().map(|row| row["seen"].clone()).unwrap_or(json!(0));
    Ok(Response::ok(&json!({{
        "message": format!("{{}} from {{}}", m.greeting, ctx.module_id()),
        "agentsSeen": seen,
    }})))
}}
"#,
        name = names.name,
        id = names.id,
        table = names.table,
        type_name = names.type_name,
    )
}

fn manifest_json(names: &Names) -> anyhow::Result<String> {
    let manifest = json!({
        "id": names.id,
        "name": names.name,
        "description": format!("{}: a Paperclip module", names.name),
        "version": "0.1.0",
        "library": names.lib,
        "hooks": ["agent:created"],
        "routes": { "prefix": format!("/{}", names.id) },
        "configSchema": {
            "type": "object",
            "properties": {
                "greeting": { "type": "string", "default": "Hello" }
            },
            "additionalProperties": false
        },
        "requires": { "core": format!(">={}", crate::VERSION) }
    });
    let text = serde_json::to_string_pretty(&manifest)? + "\n";
    // The host's own validation: a scaffold that the server would refuse is a bug here.
    parse_manifest(&text).context("the generated manifest does not validate")?;
    Ok(text)
}

fn up_sql(names: &Names) -> String {
    format!(
        "-- Tables of a module are named mod_<id>_* ('-' in the id becomes '_').\nCREATE TABLE {} (\n    agent_id TEXT PRIMARY KEY NOT NULL,\n    name TEXT NOT NULL\n);\n",
        names.table
    )
}

fn down_sql(names: &Names) -> String {
    format!("DROP TABLE {};\n", names.table)
}

fn readme(names: &Names) -> String {
    format!(
        r#"# {name}

A Paperclip module (`{id}`): a `cdylib` the Paperclip server loads at run time.

- `src/lib.rs` — the module: hook `agent:created`, route `GET /api/modules/{id}/hello`
- `paperclip.module.json` — its manifest (id, version, hooks, route prefix, config schema,
  required core version)
- `migrations/sqlite/`, `migrations/postgres/` — its tables (`mod_{lib}_*`), one folder per
  migration with `up.sql` and `down.sql`

## Build, pack, install

```sh
cargo build --release
paperclipai module pack .            # → {id}-0.1.0-<target>.tar.gz and .sha256
```

Install the bundle by listing it in a store index (`bundle.url` and `bundle.sha256`) and
running `paperclipai store install {id}`, or unpack it into the server's modules folder
(`plugins-dist/{id}/`) and rescan: `curl -X POST http://127.0.0.1:3100/api/admin/modules/rescan`.

Then:

```sh
curl http://127.0.0.1:3100/api/modules/{id}/hello
```
"#,
        name = names.name,
        id = names.id,
        lib = names.lib,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_steps_name_the_crate_from_where_the_command_ran() {
        let made = Scaffolded {
            dir: PathBuf::from("notes"),
            files: Vec::new(),
            membership: Membership::Standalone,
            sdk_dependency: String::new(),
        };
        assert_eq!(
            made.next_steps(),
            [
                "cargo build --release --manifest-path notes/Cargo.toml",
                "paperclipai module pack notes",
            ]
        );
        let spaced = Scaffolded {
            dir: PathBuf::from("my mods/it's"),
            ..made
        };
        assert_eq!(
            spaced.next_steps()[1],
            r"paperclipai module pack 'my mods/it'\''s'"
        );
    }

    fn options(dir: &Path, id: &str) -> ScaffoldOptions {
        ScaffoldOptions {
            id: id.to_string(),
            dir: dir.join(id),
            name: None,
            sdk: SdkSource::Auto,
        }
    }

    #[test]
    fn a_standalone_crate_has_everything() {
        let dir = tempfile::tempdir().unwrap();
        let made = scaffold_module(&options(dir.path(), "hello-world")).unwrap();
        assert_eq!(made.membership, Membership::Standalone);
        let root = &made.dir;
        for file in [
            "Cargo.toml",
            "src/lib.rs",
            MANIFEST_FILE,
            "README.md",
            ".gitignore",
            "Cargo.lock",
        ] {
            assert!(root.join(file).is_file(), "{file}");
        }
        let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("name = \"hello-world\""), "{cargo}");
        assert!(cargo.contains("crate-type = [\"cdylib\"]"), "{cargo}");
        assert!(cargo.contains("module-sdk = { path = \""), "{cargo}");
        assert!(cargo.contains("\n[workspace]\n"), "{cargo}");
        let manifest =
            parse_manifest(&std::fs::read_to_string(root.join(MANIFEST_FILE)).unwrap()).unwrap();
        assert_eq!(manifest.library, "hello_world");
        assert_eq!(manifest.route_prefix(), Some("hello-world"));
        let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
        assert!(lib.contains("pub struct HelloWorld"), "{lib}");
        assert!(lib.contains("mod_hello_world_agents"), "{lib}");
        let migrations = std::fs::read_dir(root.join("migrations/postgres"))
            .unwrap()
            .count();
        assert_eq!(migrations, 1);
        assert!(made
            .files
            .iter()
            .any(|f| f.starts_with("migrations/sqlite") && f.ends_with("up.sql")));
    }

    #[test]
    fn inside_a_workspace_the_crate_becomes_a_member() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\"server\"]\n\n[workspace.dependencies]\nmodule-sdk = { path = \"module-sdk\" }\n",
        )
        .unwrap();
        let made = scaffold_module(&ScaffoldOptions {
            dir: dir.path().join("modules/metrics"),
            ..options(dir.path(), "metrics")
        })
        .unwrap();
        assert!(
            matches!(made.membership, Membership::Added { .. }),
            "{:?}",
            made.membership
        );
        assert_eq!(made.sdk_dependency, "module-sdk.workspace = true");
        let cargo = std::fs::read_to_string(made.dir.join("Cargo.toml")).unwrap();
        assert!(!cargo.contains("[workspace]"), "{cargo}");
        assert!(cargo.contains("serde_json = \"1\""), "{cargo}");
        assert!(!made.dir.join("Cargo.lock").exists());
        let root = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert!(
            root.contains("members = [\"server\", \"modules/metrics\"]"),
            "{root}"
        );
    }

    #[test]
    fn bad_ids_and_busy_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (id, expected) in [
            ("Bad", "must start with a lowercase letter"),
            ("fn", "reserved"),
            ("module-sdk", "reserved"),
            ("a--b", "must not end with"),
        ] {
            let err = scaffold_module(&options(dir.path(), id)).unwrap_err();
            assert!(err.to_string().contains(expected), "{id}: {err}");
        }
        std::fs::create_dir_all(dir.path().join("taken")).unwrap();
        std::fs::write(dir.path().join("taken/file"), "x").unwrap();
        let err = scaffold_module(&options(dir.path(), "taken")).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        let err = scaffold_module(&ScaffoldOptions {
            sdk: SdkSource::Version("not a version".into()),
            ..options(dir.path(), "fresh")
        })
        .unwrap_err();
        assert!(err.to_string().contains("--sdk-version"), "{err}");
        assert!(
            !dir.path().join("fresh").exists(),
            "nothing written on a bad option"
        );
    }
}
