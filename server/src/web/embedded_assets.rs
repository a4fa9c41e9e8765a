//! The shell's static files (`server/web/`): embedded in release builds, read from the source
//! folder in debug builds (rust-embed's behaviour), served with a content-hash `ETag` so a
//! browser revalidates cheaply and never runs a stale shell after an upgrade.

use super::content_type::content_type_for;
use super::safe_path::safe_segments;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use rust_embed::RustEmbed;
use std::fmt::Write;

/// The files of `server/web/`.
#[derive(RustEmbed)]
#[folder = "web/"]
pub struct WebAssets;

/// The shell's entry page, answered for every client-side route.
pub const INDEX_HTML: &str = "index.html";

/// What the shell's pages may load: only this origin (module UIs included), inline styles
/// (modules add `<style>` elements) and `data:` images. Modules talk only to `/api`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

/// Whether `path` (no leading `/`) names an embedded file.
pub fn exists(path: &str) -> bool {
    safe_segments(path).is_ok() && WebAssets::get(path).is_some()
}

/// Answers the embedded file `path` (no leading `/`), or `None` when there is none. Answers
/// `304 Not Modified` when the request's `If-None-Match` carries the file's `ETag`.
pub fn serve(req: &HttpRequest, path: &str) -> Option<HttpResponse> {
    safe_segments(path).ok()?;
    let file = WebAssets::get(path)?;
    let etag = etag_of(&file.metadata.sha256_hash());
    let mut response = if if_none_match(req, &etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(content_type_for(path))
            .body(file.data.into_owned())
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    // Revalidate every time: the ETag makes that a 304 while nothing changed.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if path == INDEX_HTML {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    Some(response)
}

/// A strong `ETag` from the first 16 bytes of the file's SHA-256.
fn etag_of(hash: &[u8; 32]) -> String {
    let mut tag = String::from("\"");
    for byte in &hash[..16] {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    tag
}

/// Whether the request's `If-None-Match` lists `etag` (or `*`).
fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == etag || candidate == "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_is_embedded() {
        assert!(exists(INDEX_HTML));
        assert!(exists("js/main.js"));
        assert!(exists("app.css"));
        assert!(!exists("../Cargo.toml"));
        assert!(!exists("missing.js"));
    }

    #[test]
    fn the_etag_is_quoted_hex() {
        let tag = etag_of(&[0xab; 32]);
        assert_eq!(tag.len(), 34);
        assert!(tag.starts_with("\"abab") && tag.ends_with('"'));
    }
}
