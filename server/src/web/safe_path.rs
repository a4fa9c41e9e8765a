//! Checking a file path taken from a URL before it touches the file system: relative, made of
//! plain segments only, so it cannot climb out of the folder it is joined to.

use std::fmt;

/// Why a requested path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafePath(pub &'static str);

impl fmt::Display for UnsafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Splits `path` (already percent-decoded, `/`-separated, no leading `/`) into its segments,
/// refusing anything that could name a file outside the folder it is joined to: empty paths
/// and segments, `.` and `..`, backslashes (a separator on Windows), NUL and other control
/// characters, and drive-like `C:` segments. Hidden files (`.name`) are refused too: a bundle's
/// dot-files are never UI.
pub fn safe_segments(path: &str) -> Result<Vec<&str>, UnsafePath> {
    if path.is_empty() {
        return Err(UnsafePath("empty path"));
    }
    path.split('/')
        .map(|segment| {
            if segment.is_empty() {
                Err(UnsafePath("empty path segment"))
            } else if segment == "." || segment == ".." {
                Err(UnsafePath("`.` and `..` segments are not allowed"))
            } else if segment.starts_with('.') {
                Err(UnsafePath("hidden files are not served"))
            } else if segment.contains('\\') || segment.contains(':') {
                Err(UnsafePath("`\\` and `:` are not allowed in a path"))
            } else if segment.chars().any(char::is_control) {
                Err(UnsafePath("control characters are not allowed in a path"))
            } else {
                Ok(segment)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_are_split_into_segments() {
        assert_eq!(safe_segments("index.js"), Ok(vec!["index.js"]));
        assert_eq!(
            safe_segments("charts/bar-chart.js"),
            Ok(vec!["charts", "bar-chart.js"])
        );
    }

    #[test]
    fn climbing_paths_are_refused() {
        for path in [
            "..",
            "../paperclip.module.json",
            "charts/../../secret",
            "./index.js",
            "a//b",
            "/etc/passwd",
            "",
            "a/",
            "..\\lib.so",
            "C:/Windows",
            ".env",
            "ui/.git/config",
            "index.js\0.png",
        ] {
            assert!(safe_segments(path).is_err(), "{path:?} was accepted");
        }
    }
}
