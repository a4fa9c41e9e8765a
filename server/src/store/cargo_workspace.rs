//! The cargo workspace a new module crate lands in, if any: found by walking up to a
//! `Cargo.toml` with a `[workspace]` table, asked whether it shares `module-sdk` and
//! `serde_json` through `[workspace.dependencies]`, and taught the new member.
//!
//! Cargo refuses to build a package that sits below a workspace root without being one of its
//! members, so `paperclipai module new` inside a workspace adds the crate to `members` (as
//! `cargo new` does). The edit is textual and minimal — one string appended to the `members`
//! array, formatting and comments kept — since the workspace has no TOML editor among its
//! dependencies and the file is the user's.

use anyhow::{bail, Context};
use std::path::{Path, PathBuf};

/// A workspace root manifest.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The folder holding the root `Cargo.toml`.
    pub root: PathBuf,
    text: String,
}

impl Workspace {
    /// The nearest workspace root above `dir` (which need not exist yet), if any.
    pub fn enclosing(dir: &Path) -> anyhow::Result<Option<Workspace>> {
        let dir = std::path::absolute(dir)
            .with_context(|| format!("cannot resolve {}", dir.display()))?;
        for folder in dir.ancestors().skip(1) {
            let manifest = folder.join("Cargo.toml");
            let Ok(text) = std::fs::read_to_string(&manifest) else {
                continue;
            };
            if section_range(&text, "workspace").is_some() {
                return Ok(Some(Workspace {
                    root: folder.to_path_buf(),
                    text,
                }));
            }
        }
        Ok(None)
    }

    /// Whether `[workspace.dependencies]` declares `name`.
    pub fn shares_dependency(&self, name: &str) -> bool {
        section_range(&self.text, "workspace.dependencies").is_some_and(|(start, end)| {
            self.text[start..end].lines().any(|line| {
                let key = line.split(['=', '.']).next().unwrap_or("").trim();
                key == name || key == format!("\"{name}\"")
            })
        })
    }

    /// `dir` relative to the root, with `/` separators (how `members` spells paths).
    pub fn member_path(&self, dir: &Path) -> anyhow::Result<String> {
        let dir = std::path::absolute(dir)
            .with_context(|| format!("cannot resolve {}", dir.display()))?;
        let relative = dir.strip_prefix(&self.root).with_context(|| {
            format!(
                "{} is not inside the workspace at {}",
                dir.display(),
                self.root.display()
            )
        })?;
        Ok(relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"))
    }

    /// Whether `member` (a path from [`Workspace::member_path`]) is matched by `members` (exact
    /// or with `*` segments) and not listed in `exclude`.
    pub fn has_member(&self, member: &str) -> bool {
        let listed = |key: &str| {
            string_array(&self.text, key)
                .iter()
                .any(|pattern| matches_glob(pattern, member))
        };
        listed("members") && !listed("exclude")
    }

    /// Whether `exclude` lists `member`: such a crate must stand alone.
    pub fn excludes(&self, member: &str) -> bool {
        string_array(&self.text, "exclude")
            .iter()
            .any(|pattern| matches_glob(pattern, member))
    }

    /// Appends `member` to `members` in the root `Cargo.toml` (creating the key if needed).
    pub fn add_member(&mut self, member: &str) -> anyhow::Result<()> {
        let updated = with_member(&self.text, member)?;
        let manifest = self.root.join("Cargo.toml");
        std::fs::write(&manifest, &updated)
            .with_context(|| format!("cannot update {}", manifest.display()))?;
        self.text = updated;
        Ok(())
    }
}

/// Byte range of the body of table `[name]` (after its header line, up to the next table).
fn section_range(text: &str, name: &str) -> Option<(usize, usize)> {
    let header = format!("[{name}]");
    let mut offset = 0;
    let mut start = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let is_header = trimmed.starts_with('[');
        match start {
            None if trimmed.split('#').next().unwrap_or("").trim() == header => {
                start = Some(offset + line.len());
            }
            Some(begin) if is_header => return Some((begin, offset)),
            _ => {}
        }
        offset += line.len();
    }
    start.map(|begin| (begin, text.len()))
}

/// Byte range of the array value (`[` through `]`) of `key` in `[workspace]`.
fn array_range(text: &str, key: &str) -> Option<(usize, usize)> {
    let (start, end) = section_range(text, "workspace")?;
    let body = &text[start..end];
    let mut offset = start;
    for line in body.split_inclusive('\n') {
        if let Some(rest) = line.trim_start().strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                let open = offset + line.find('[')?;
                let close = open + text[open..].find(']')?;
                return Some((open, close + 1));
            }
        }
        offset += line.len();
    }
    None
}

/// The strings of the array `key` of `[workspace]`.
fn string_array(text: &str, key: &str) -> Vec<String> {
    let Some((open, close)) = array_range(text, key) else {
        return Vec::new();
    };
    text[open + 1..close - 1]
        .split(',')
        .map(|item| {
            let item = item
                .lines()
                .map(|l| l.split('#').next().unwrap_or(""))
                .collect::<String>();
            item.trim().trim_matches('"').trim_matches('\'').to_string()
        })
        .filter(|item| !item.is_empty())
        .collect()
}

/// `*` matches one path segment, like cargo's member globs in practice.
fn matches_glob(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(p, s)| segment_matches(p, s))
}

fn segment_matches(pattern: &str, segment: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == segment,
        Some((prefix, suffix)) => {
            segment.len() >= prefix.len() + suffix.len()
                && segment.starts_with(prefix)
                && segment.ends_with(suffix)
        }
    }
}

/// `text` with `member` appended to `[workspace] members`, in the array's own layout.
fn with_member(text: &str, member: &str) -> anyhow::Result<String> {
    let quoted = format!("\"{member}\"");
    if let Some((open, close)) = array_range(text, "members") {
        let inner = &text[open + 1..close - 1];
        let mut updated = String::with_capacity(text.len() + quoted.len() + 8);
        updated.push_str(&text[..open + 1]);
        if inner.contains('\n') {
            // One member per line: a new line with the same indentation before `]`.
            let body = inner.trim_end_matches([' ', '\t']);
            let indent = inner
                .lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| &l[..l.len() - l.trim_start().len()])
                .unwrap_or("    ");
            let body_trimmed = body.trim_end();
            updated.push_str(body_trimmed);
            if !body_trimmed.is_empty() && !body_trimmed.ends_with(',') {
                updated.push(',');
            }
            updated.push('\n');
            updated.push_str(indent);
            updated.push_str(&quoted);
            updated.push_str(",\n");
        } else {
            let body = inner.trim_end();
            updated.push_str(body);
            if body.trim().is_empty() {
                updated.push_str(&quoted);
            } else {
                if !body.ends_with(',') {
                    updated.push(',');
                }
                updated.push(' ');
                updated.push_str(&quoted);
            }
        }
        updated.push_str(&text[close - 1..]);
        return Ok(updated);
    }
    let Some((start, _)) = section_range(text, "workspace") else {
        bail!("no [workspace] table");
    };
    Ok(format!(
        "{}members = [{quoted}]\n{}",
        &text[..start],
        &text[start..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = r#"[workspace]
resolver = "2"
members = ["server", "tests/modules/*", "modules/observability"] # keep sorted-ish

[workspace.dependencies]
module-sdk = { path = "module-sdk" }
serde_json = "1"
"#;

    #[test]
    fn members_are_matched_and_appended_in_place() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), ROOT).unwrap();
        let mut workspace = Workspace::enclosing(&dir.path().join("modules/new-one"))
            .unwrap()
            .unwrap();
        assert_eq!(workspace.root, std::path::absolute(dir.path()).unwrap());
        assert!(workspace.shares_dependency("module-sdk"));
        assert!(workspace.shares_dependency("serde_json"));
        assert!(!workspace.shares_dependency("tokio"));
        assert!(workspace.has_member("tests/modules/tiny"));
        assert!(workspace.has_member("server"));
        let member = workspace
            .member_path(&dir.path().join("modules/new-one"))
            .unwrap();
        assert_eq!(member, "modules/new-one");
        assert!(!workspace.has_member(&member));
        workspace.add_member(&member).unwrap();
        let text = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
        assert!(text.contains(
            r#"members = ["server", "tests/modules/*", "modules/observability", "modules/new-one"] # keep sorted-ish"#
        ), "{text}");
        assert!(workspace.has_member(&member));
    }

    #[test]
    fn multi_line_and_missing_member_lists() {
        let multi = "[workspace]\nmembers = [\n    \"a\",\n    \"b\"\n]\n";
        assert_eq!(
            with_member(multi, "c").unwrap(),
            "[workspace]\nmembers = [\n    \"a\",\n    \"b\",\n    \"c\",\n]\n"
        );
        let empty = "[workspace]\nmembers = []\n";
        assert_eq!(
            with_member(empty, "c").unwrap(),
            "[workspace]\nmembers = [\"c\"]\n"
        );
        let none = "[package]\nname = \"x\"\n\n[workspace]\nresolver = \"2\"\n";
        assert_eq!(
            with_member(none, "c").unwrap(),
            "[package]\nname = \"x\"\n\n[workspace]\nmembers = [\"c\"]\nresolver = \"2\"\n"
        );
    }

    #[test]
    fn no_workspace_above_a_lone_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"not-a-workspace\"\n",
        )
        .unwrap();
        // The temporary folder's ancestors hold no workspace either.
        assert!(Workspace::enclosing(&dir.path().join("m"))
            .unwrap()
            .is_none());
    }

    #[test]
    fn globs_match_one_segment() {
        assert!(matches_glob("modules/*", "modules/x"));
        assert!(!matches_glob("modules/*", "modules/x/y"));
        assert!(matches_glob("mod-*", "mod-a"));
        assert!(!matches_glob("mod-*", "other"));
    }
}
