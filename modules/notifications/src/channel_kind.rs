//! The kinds of channel, and what each sends.

use serde::{Deserialize, Serialize};

/// Where a channel sends its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A generic JSON `POST` of `{hook, eventId, companyId, message, payload}` to `url`.
    Webhook,
    /// A Slack-compatible incoming webhook: `POST url` with `{"text": message}`.
    Slack,
    /// A Discord-compatible webhook: `POST url` with `{"content": message}`.
    Discord,
    /// An email over SMTP (see [`crate::email_settings`]).
    Email,
}

impl ChannelKind {
    /// Every kind, in the order the API documents them.
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Webhook,
        ChannelKind::Slack,
        ChannelKind::Discord,
        ChannelKind::Email,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Discord => "discord",
            ChannelKind::Email => "email",
        }
    }

    /// The kind named `name`; the error lists the kinds.
    pub fn parse(name: &str) -> Result<ChannelKind, String> {
        ChannelKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| {
                format!(
                    "is an unknown channel kind `{name}`; expected one of {}",
                    ChannelKind::ALL.map(ChannelKind::as_str).join(", ")
                )
            })
    }

    /// Whether it posts to a URL (every kind but email).
    pub const fn is_http(self) -> bool {
        !matches!(self, ChannelKind::Email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_listed() {
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        let err = ChannelKind::parse("sms").unwrap_err();
        assert!(err.contains("`sms`") && err.contains("webhook, slack, discord, email"));
        assert!(ChannelKind::Slack.is_http() && !ChannelKind::Email.is_http());
    }
}
