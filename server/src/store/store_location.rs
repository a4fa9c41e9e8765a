//! Where store content lives — an `http(s)://` URL, a `file://` URL or a local path — and
//! reading it: whole (index, checksum files, templates) or streamed with progress (bundles).
//!
//! References inside an index (bundle and template URLs) may be relative; they are resolved
//! against the index's own location, so a store folder or a static web site can be moved as a
//! whole.

use super::store_error::StoreError;
use reqwest::Url;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A place store content is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// Fetched over HTTP(S).
    Url(Url),
    /// Read from the local file system.
    Path(PathBuf),
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreLocation::Url(url) => write!(f, "{url}"),
            StoreLocation::Path(path) => write!(f, "{}", path.display()),
        }
    }
}

impl StoreLocation {
    /// Parses a source as given in config or on the command line: `http://…`, `https://…`,
    /// `file://…`, or else a path (relative to the working directory).
    pub fn parse(source: &str) -> Result<StoreLocation, StoreError> {
        let source = source.trim();
        if source.is_empty() {
            return Err(StoreError::fetch("\"\"", "the location is empty"));
        }
        match url_scheme(source).as_deref() {
            Some("http" | "https") => Url::parse(source)
                .map(StoreLocation::Url)
                .map_err(|e| StoreError::fetch(source, format!("not a valid URL: {e}"))),
            Some("file") => {
                let url = Url::parse(source)
                    .map_err(|e| StoreError::fetch(source, format!("not a valid URL: {e}")))?;
                url.to_file_path()
                    .map(StoreLocation::Path)
                    .map_err(|()| StoreError::fetch(source, "not a local file URL"))
            }
            Some(other) => Err(StoreError::fetch(
                source,
                format!("unsupported URL scheme `{other}` (use http, https, file or a path)"),
            )),
            None => Ok(StoreLocation::Path(PathBuf::from(source))),
        }
    }

    /// Resolves a reference found inside the content at `self`: absolute URLs and absolute
    /// paths stand alone; anything else is relative to `self`'s folder.
    ///
    /// A remote index may not point at local files: the server would read its own files on the
    /// index author's behalf (and a digest mismatch would reveal their SHA-256).
    pub fn join(&self, reference: &str) -> Result<StoreLocation, StoreError> {
        let reference = reference.trim();
        if url_scheme(reference).is_some() || Path::new(reference).is_absolute() {
            let resolved = StoreLocation::parse(reference)?;
            if matches!(
                (self, &resolved),
                (StoreLocation::Url(_), StoreLocation::Path(_))
            ) {
                return Err(StoreError::fetch(
                    reference,
                    format!("an index fetched from {self} may only refer to http(s) URLs, not local files"),
                ));
            }
            return Ok(resolved);
        }
        match self {
            StoreLocation::Url(base) => base.join(reference).map(StoreLocation::Url).map_err(|e| {
                StoreError::fetch(reference, format!("cannot resolve against {base}: {e}"))
            }),
            StoreLocation::Path(base) => {
                let folder = base.parent().unwrap_or_else(|| Path::new(""));
                Ok(StoreLocation::Path(folder.join(reference)))
            }
        }
    }

    /// Opens the content for streaming: the reader and, when known, its length in bytes.
    pub fn open(&self) -> Result<(Box<dyn Read + Send>, Option<u64>), StoreError> {
        match self {
            StoreLocation::Path(path) => {
                let file = std::fs::File::open(path).map_err(|e| StoreError::fetch(self, e))?;
                let length = file.metadata().ok().map(|m| m.len());
                Ok((Box::new(file), length))
            }
            StoreLocation::Url(url) => {
                let response = http_client()?
                    .get(url.clone())
                    .send()
                    .map_err(|e| StoreError::fetch(self, without_url(&e)))?;
                let status = response.status();
                if !status.is_success() {
                    return Err(StoreError::fetch(
                        self,
                        format!("the server answered {status}"),
                    ));
                }
                let length = response.content_length();
                Ok((Box::new(response), length))
            }
        }
    }

    /// Reads the whole content, refusing more than `limit` bytes.
    pub fn read_all(&self, limit: u64) -> Result<Vec<u8>, StoreError> {
        let (reader, length) = self.open()?;
        if let Some(length) = length.filter(|l| *l > limit) {
            return Err(too_large(self, length, limit));
        }
        let mut bytes = Vec::new();
        reader
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StoreError::fetch(self, e))?;
        if bytes.len() as u64 > limit {
            return Err(too_large(self, bytes.len() as u64, limit));
        }
        Ok(bytes)
    }
}

/// The error of content over its size limit.
pub fn too_large(location: &StoreLocation, length: u64, limit: u64) -> StoreError {
    StoreError::fetch(
        location,
        format!("{length} bytes is more than the {limit} bytes allowed"),
    )
}

/// The scheme of `text`, lowercase, when it looks like a URL (`scheme://…`).
fn url_scheme(text: &str) -> Option<String> {
    let (scheme, _) = text.split_once("://")?;
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// The HTTP client of store downloads: a short connect time-out, a generous total one (a
/// bundle of tens of megabytes over a slow link).
fn http_client() -> Result<reqwest::blocking::Client, StoreError> {
    reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(600))
        .user_agent(concat!("paperclipai/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| StoreError::fetch("the store", format!("cannot build the HTTP client: {e}")))
}

/// A reqwest error without the URL it repeats (the caller names the location already).
fn without_url(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    if let Some(url) = error.url() {
        message = message.replace(&format!(" ({url})"), "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        message.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_urls_or_paths() {
        assert!(matches!(
            StoreLocation::parse("https://store.example/index.json").unwrap(),
            StoreLocation::Url(_)
        ));
        assert_eq!(
            StoreLocation::parse("store/index.json").unwrap(),
            StoreLocation::Path(PathBuf::from("store/index.json"))
        );
        assert_eq!(
            StoreLocation::parse("file:///srv/store/index.json").unwrap(),
            StoreLocation::Path(PathBuf::from("/srv/store/index.json"))
        );
        let err = StoreLocation::parse("ftp://x/index.json").unwrap_err();
        assert!(
            err.to_string().contains("unsupported URL scheme `ftp`"),
            "{err}"
        );
    }

    #[test]
    fn references_resolve_against_the_index() {
        let url = StoreLocation::parse("http://127.0.0.1:9/store/index.json").unwrap();
        assert_eq!(
            url.join("bundles/a.tar.gz").unwrap().to_string(),
            "http://127.0.0.1:9/store/bundles/a.tar.gz"
        );
        assert_eq!(
            url.join("https://cdn.example/b.tar.gz")
                .unwrap()
                .to_string(),
            "https://cdn.example/b.tar.gz"
        );
        for local in ["/etc/passwd", "file:///etc/passwd"] {
            let err = url.join(local).unwrap_err();
            assert!(err.to_string().contains("not local files"), "{err}");
        }
        let path = StoreLocation::parse("store/index.json").unwrap();
        assert_eq!(
            path.join("../templates/t.json").unwrap(),
            StoreLocation::Path(PathBuf::from("store/../templates/t.json"))
        );
        assert_eq!(
            path.join("/abs/b.tar.gz").unwrap(),
            StoreLocation::Path(PathBuf::from("/abs/b.tar.gz"))
        );
        let bare = StoreLocation::parse("index.json").unwrap();
        assert_eq!(
            bare.join("b.tar.gz").unwrap(),
            StoreLocation::Path(PathBuf::from("b.tar.gz"))
        );
    }

    #[test]
    fn reading_is_limited() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"0123456789").unwrap();
        let location = StoreLocation::Path(file);
        assert_eq!(location.read_all(10).unwrap(), b"0123456789");
        let err = location.read_all(9).unwrap_err();
        assert!(err.to_string().contains("more than the 9 bytes"), "{err}");
        let missing = StoreLocation::Path(dir.path().join("missing"));
        assert!(matches!(
            missing.read_all(10),
            Err(StoreError::Fetch { .. })
        ));
    }
}
