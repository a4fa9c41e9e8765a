//! The SMTP settings of an email channel: server, TLS mode, credentials, sender, recipients and
//! subject template. Stored as JSON in the channel row; the password is a secret (see
//! [`crate::secret`]).

use serde::{Deserialize, Serialize};

/// The most recipients one channel may have.
pub const MAX_RECIPIENTS: usize = 50;

/// The subject used when a channel sets none.
pub const DEFAULT_SUBJECT: &str = "[Paperclip] {{hook}}";

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text (a local relay or a test server only).
    None,
    /// Plain connection upgraded with `STARTTLS`, which is required (usually port 587).
    Starttls,
    /// TLS from the first byte ("SMTPS", usually port 465).
    Tls,
}

impl TlsMode {
    /// Every mode's wire name.
    pub const NAMES: [&'static str; 3] = ["none", "starttls", "tls"];

    /// The mode named `name`.
    pub fn parse(name: &str) -> Option<TlsMode> {
        match name {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::Starttls),
            "tls" => Some(TlsMode::Tls),
            _ => None,
        }
    }

    /// The usual port of the mode, used when a channel gives none.
    pub const fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::Starttls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// An email channel's settings, as stored (secrets as given: plain or `$NAME`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailSettings {
    /// SMTP server host name or address.
    pub host: String,
    /// SMTP server port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: TlsMode,
    /// Login name (plain or `$NAME`); no authentication when absent.
    #[serde(default)]
    pub username: Option<String>,
    /// Password (plain or `$NAME`); a secret, never answered.
    #[serde(default)]
    pub password: Option<String>,
    /// Sender mailbox (`Paperclip <bot@example.com>` or `bot@example.com`).
    pub from: String,
    /// Recipient mailboxes.
    pub to: Vec<String>,
    /// Subject template (see [`crate::template`]); [`DEFAULT_SUBJECT`] when absent.
    #[serde(default)]
    pub subject: Option<String>,
}

impl EmailSettings {
    /// The subject template in force.
    pub fn subject_template(&self) -> &str {
        self.subject.as_deref().unwrap_or(DEFAULT_SUBJECT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_have_their_usual_ports() {
        for name in TlsMode::NAMES {
            let mode = TlsMode::parse(name).unwrap();
            assert_eq!(serde_json::to_value(mode).unwrap(), name);
        }
        assert_eq!(TlsMode::parse("ssl"), None);
        assert_eq!(TlsMode::Starttls.default_port(), 587);
        assert_eq!(TlsMode::Tls.default_port(), 465);
        assert_eq!(TlsMode::None.default_port(), 25);
    }
}
