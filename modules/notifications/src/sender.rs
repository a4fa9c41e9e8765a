//! Sends one message to one channel, whatever its kind, with the channel's secrets resolved at
//! send time (see [`crate::secret`]).

use crate::channel::Channel;
use crate::http_send::HttpSender;
use crate::outgoing::Outgoing;
use crate::sandbox_hint;
use crate::secret;
use crate::smtp_send::{self, SmtpLogin};
use serde_json::{Map, Value};
use std::time::Duration;

/// What every send needs: the HTTP client, the time limit and the config's secrets.
#[derive(Clone)]
pub struct Sender {
    http: HttpSender,
    timeout: Duration,
    secrets: Map<String, Value>,
    sandboxed: bool,
}

impl Sender {
    /// A sender whose sends each take at most `timeout`.
    pub fn new(timeout: Duration, secrets: Map<String, Value>) -> Sender {
        Sender {
            http: HttpSender::new(timeout),
            timeout,
            secrets,
            sandboxed: sandbox_hint::sandboxed(),
        }
    }

    /// The time limit of one send.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `out` to `channel`; `Err` says why it did not go.
    pub fn send(&self, channel: &Channel, out: &Outgoing<'_>) -> Result<(), String> {
        self.send_once(channel, out)
            .map_err(|e| sandbox_hint::explain(e, self.sandboxed))
    }

    fn send_once(&self, channel: &Channel, out: &Outgoing<'_>) -> Result<(), String> {
        if channel.kind.is_http() {
            let Some(url) = &channel.url else {
                return Err("the channel has no URL".into());
            };
            let url = secret::resolve(url, &self.secrets)?;
            crate::channel_validation::check_url(&url)
                .map_err(|e| format!("the resolved URL {}", http_safe(&e, &url)))?;
            return self.http.post_json(&url, &out.http_body(channel.kind));
        }
        let Some(email) = &channel.email else {
            return Err("the channel has no SMTP settings".into());
        };
        let login = match &email.username {
            Some(username) => Some(SmtpLogin {
                username: secret::resolve(username, &self.secrets)?,
                password: match &email.password {
                    Some(password) => secret::resolve(password, &self.secrets)?,
                    None => String::new(),
                },
            }),
            None => None,
        };
        smtp_send::send_email(
            email,
            login.as_ref(),
            out.subject,
            &out.email_body(),
            self.timeout,
        )
    }
}

/// A URL check's message without the URL itself.
fn http_safe(message: &str, url: &str) -> String {
    crate::http_send::scrub(message, url)
}
