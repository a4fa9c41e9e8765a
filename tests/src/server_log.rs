//! Reading a server's captured output: the log files, without terminal colour codes.

use std::path::Path;

/// `text` without ANSI escape sequences (`ESC [ … letter`), so log assertions do not depend
/// on whether the logger coloured its output.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip `[`, parameters and the final letter of a CSI sequence.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The file's text with colour codes removed; empty when it does not exist yet.
pub(crate) fn read_log(path: &Path) -> String {
    read_log_from(path, 0)
}

/// The file's text from byte `offset` on (what was appended since), colour codes removed.
pub(crate) fn read_log_from(path: &Path, offset: u64) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let start = usize::try_from(offset).map_or(bytes.len(), |o| o.min(bytes.len()));
            strip_ansi(&String::from_utf8_lossy(&bytes[start..]))
        }
        Err(_) => String::new(),
    }
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_removed() {
        assert_eq!(
            strip_ansi("\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m hello"),
            "2026  INFO hello"
        );
        assert_eq!(tail("a\nb\nc", 2), "b\nc");
    }
}
