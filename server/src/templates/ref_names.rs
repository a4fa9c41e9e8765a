//! Readable refs for export, generated from names: `Engineering Lead` → `engineering-lead`,
//! made unique per kind with `-2`, `-3`, … in document order, so the same company always gets
//! the same refs.

use std::collections::HashSet;

/// Longest generated ref (before a uniqueness suffix); the schema allows 100 characters.
const MAX_SLUG: usize = 60;

/// Hands out unique refs for one kind of entity.
#[derive(Debug, Default)]
pub struct RefNamer {
    used: HashSet<String>,
}

impl RefNamer {
    /// A namer with no ref used yet.
    pub fn new() -> RefNamer {
        RefNamer::default()
    }

    /// A ref for an entity named `name`: its slug, or `fallback` when the name has no letters
    /// or digits, suffixed `-2`, `-3`, … if already taken.
    pub fn assign(&mut self, name: &str, fallback: &str) -> String {
        let mut base = slugify(name);
        if base.is_empty() {
            base = fallback.to_string();
        }
        let mut candidate = base.clone();
        let mut n = 2;
        while self.used.contains(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

/// Lower-case ASCII letters and digits, every other run of characters turned into one `-`,
/// no leading or trailing `-`, at most 60 characters.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if dash && !slug.is_empty() {
                slug.push('-');
            }
            dash = false;
            slug.push(c.to_ascii_lowercase());
            if slug.len() >= MAX_SLUG {
                break;
            }
        } else {
            dash = true;
        }
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Engineering Lead"), "engineering-lead");
        assert_eq!(slugify("  CEO / Founder!! "), "ceo-founder");
        assert_eq!(slugify("Größe"), "gr-e");
        assert_eq!(slugify("***"), "");
        assert_eq!(slugify(&"a".repeat(100)).len(), MAX_SLUG);
    }

    #[test]
    fn refs_are_unique_and_follow_document_order() {
        let mut namer = RefNamer::new();
        assert_eq!(namer.assign("Engineer", "agent"), "engineer");
        assert_eq!(namer.assign("Engineer", "agent"), "engineer-2");
        assert_eq!(namer.assign("Engineer 2", "agent"), "engineer-2-2");
        assert_eq!(namer.assign("Engineer", "agent"), "engineer-3");
        assert_eq!(namer.assign("!!", "agent"), "agent");
        assert_eq!(namer.assign("", "agent"), "agent-2");
    }
}
