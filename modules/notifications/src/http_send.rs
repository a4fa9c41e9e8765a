//! JSON posts to webhook, Slack and Discord channels, over HTTP or HTTPS (rustls with the
//! compiled-in web PKI roots: no system certificate store is read, so it works in the `process`
//! isolation level's sandbox too). Each post has a time limit for the whole exchange, redirects
//! are not followed, and any answer but 2xx is a failure that carries the status and the start
//! of the body. Errors never contain the URL (it may hold a token).

use serde_json::Value;
use std::io::Read;
use std::time::Duration;
use ureq::Agent;

/// How much of an error answer's body is kept in the error.
const ERROR_BODY_BYTES: u64 = 300;

/// A blocking HTTP client with a time limit on each post.
#[derive(Clone)]
pub struct HttpSender {
    agent: Agent,
    timeout: Duration,
}

impl HttpSender {
    /// A client whose posts each take at most `timeout`.
    pub fn new(timeout: Duration) -> HttpSender {
        let agent = Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!(
                "paperclip-notifications/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .new_agent();
        HttpSender { agent, timeout }
    }

    /// Posts `body` as JSON to `url`; `Err` says why it was not accepted.
    pub fn post_json(&self, url: &str, body: &Value) -> Result<(), String> {
        let answer = self
            .agent
            .post(url)
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes());
        let mut response = match answer {
            Ok(response) => response,
            Err(ureq::Error::Timeout(_)) => {
                return Err(format!(
                    "no answer within {:.1} s (sendTimeoutSeconds)",
                    self.timeout.as_secs_f64()
                ))
            }
            Err(e) => return Err(scrub(&format!("request failed: {e}"), url)),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let mut text = String::new();
        let _ = response
            .body_mut()
            .as_reader()
            .take(ERROR_BODY_BYTES)
            .read_to_string(&mut text);
        let text = text.trim();
        Err(scrub(
            &if text.is_empty() {
                format!("HTTP {}", status.as_u16())
            } else {
                format!("HTTP {}: {text}", status.as_u16())
            },
            url,
        ))
    }
}

/// `message` with every occurrence of `secret` masked.
pub fn scrub(message: &str, secret: &str) -> String {
    if secret.is_empty() {
        return message.to_owned();
    }
    message.replace(secret, crate::secret::MASK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed_from_errors() {
        assert_eq!(
            scrub("failed for https://h/T/secret", "https://h/T/secret"),
            "failed for ***"
        );
        assert_eq!(scrub("plain", ""), "plain");
    }

    #[test]
    fn a_server_that_never_answers_times_out() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = silent.local_addr().unwrap().port();
        let sender = HttpSender::new(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let err = sender
            .post_json(&format!("http://127.0.0.1:{port}/hook"), &Value::Null)
            .unwrap_err();
        assert!(err.contains("no answer within 0.3 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn a_closed_port_is_a_clear_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let sender = HttpSender::new(Duration::from_secs(2));
        let err = sender
            .post_json(&format!("http://127.0.0.1:{port}/hook"), &Value::Null)
            .unwrap_err();
        assert!(err.starts_with("request failed"), "{err}");
        assert!(!err.contains("/hook"), "{err}");
    }
}
