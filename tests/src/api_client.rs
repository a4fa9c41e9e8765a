//! A blocking HTTP client for one server: JSON in, `(status, JSON)` out, with or without an
//! API key.

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// Talks to one server at `base_url`, sending `Authorization: Bearer <key>` when it has a key.
/// Cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct ApiClient {
    base_url: String,
    key: Option<String>,
    http: Client,
}

impl ApiClient {
    /// A client for `base_url` (e.g. `http://127.0.0.1:4000`, no trailing slash) with an
    /// optional bearer key.
    pub fn new(base_url: impl Into<String>, key: Option<String>) -> ApiClient {
        let http = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("the HTTP client builds");
        ApiClient {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            key,
            http,
        }
    }

    /// The server's base URL, `http://host:port`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The key this client sends, if any.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The same server with `key` as bearer (`None`: no `Authorization` header).
    pub fn with_key(&self, key: Option<&str>) -> ApiClient {
        ApiClient {
            base_url: self.base_url.clone(),
            key: key.map(str::to_string),
            http: self.http.clone(),
        }
    }

    /// The same server without any `Authorization` header.
    pub fn without_key(&self) -> ApiClient {
        self.with_key(None)
    }

    /// A raw request to `path` with this client's key applied, for anything the JSON helpers
    /// do not cover (other content types, headers, bodies that are not JSON).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let builder = self.http.request(method, self.url(path));
        match &self.key {
            Some(key) => builder.bearer_auth(key),
            None => builder,
        }
    }

    /// Sends `builder` and returns the status and the body parsed as JSON: `Value::Null` for
    /// an empty body, `Value::String` with the text when it is not JSON.
    ///
    /// # Panics
    /// When the request cannot be sent (connection refused, time-out).
    pub fn send(&self, builder: RequestBuilder) -> (StatusCode, Value) {
        let response = builder
            .send()
            .unwrap_or_else(|e| panic!("request to {} failed: {e}", self.base_url));
        let status = response.status();
        let text = response
            .text()
            .unwrap_or_else(|e| panic!("cannot read response body: {e}"));
        (status, parse_body(&text))
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::GET, path))
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(Method::POST, path).json(body))
    }

    /// `PATCH path` with a JSON body.
    pub fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(Method::PATCH, path).json(body))
    }

    /// `PUT path` with a JSON body.
    pub fn put(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(Method::PUT, path).json(body))
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::DELETE, path))
    }

    /// `POST path` with `body` sent as-is under `content-type: application/json` (for
    /// malformed JSON).
    pub fn post_raw(&self, path: &str, body: &str) -> (StatusCode, Value) {
        self.send(
            self.request(Method::POST, path)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
    }

    /// `GET path` and the body as text (HTML, JavaScript, CSS).
    pub fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .request(Method::GET, path)
            .send()
            .unwrap_or_else(|e| panic!("request to {} failed: {e}", self.base_url));
        let status = response.status();
        (status, response.text().unwrap_or_default())
    }

    /// `GET path`, asserting `200 OK`; returns the body.
    ///
    /// # Panics
    /// On any other status, showing the body.
    pub fn get_ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, StatusCode::OK, "GET {path} answered {body}");
        body
    }
}

fn parse_body(text: &str) -> Value {
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
    }
}
