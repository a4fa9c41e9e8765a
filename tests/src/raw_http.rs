//! One HTTP/1.1 request written byte for byte on a fresh connection, for tests of how the
//! server reads what clients send: paths exactly as written (`%2e%2e`, `//`, `..` — an HTTP
//! client library would normalize them), any `Host`, any header.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response read from a raw connection.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The status code.
    pub status: u16,
    /// The status line and headers.
    pub head: String,
    /// The body, as text (lossy).
    pub body: String,
}

impl RawResponse {
    /// The body as JSON.
    ///
    /// # Panics
    /// When it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {} / {}", self.head, self.body))
    }
}

/// Sends `method raw_path` exactly as written to `127.0.0.1:port`, with
/// `Host: 127.0.0.1:<port>` unless `headers` has a `Host`, then `headers`, and `body` with its
/// `Content-Length`; reads the whole answer (`Connection: close`).
///
/// # Panics
/// When the connection fails or the answer has no status line.
pub fn raw_request(
    port: u16,
    method: &str,
    raw_path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    let mut request = format!("{method} {raw_path} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(request.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .map(|(h, b)| (h.to_string(), b.to_string()))
        .unwrap_or((text.clone(), String::new()));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    RawResponse { status, head, body }
}
