//! What is sent for one message, per kind of channel:
//!
//! - `webhook`: `POST` of `{"hook", "eventId", "companyId", "message", "payload"}`;
//! - `slack`: `POST` of `{"text": message}` (Slack's incoming-webhook format);
//! - `discord`: `POST` of `{"content": message}` (Discord's webhook format; cut to its
//!   2,000-character limit);
//! - `email`: a plain-text mail whose body is the message and a line naming the hook and event.

use crate::channel_kind::ChannelKind;
use serde_json::{json, Value};

/// Discord refuses longer contents.
pub const DISCORD_MAX_CHARS: usize = 2000;

/// One message on its way to a channel.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The hook's wire name (`test` for a test message).
    pub hook: &'a str,
    /// The event's id.
    pub event_id: &'a str,
    /// The channel's company.
    pub company_id: &'a str,
    /// The email subject.
    pub subject: &'a str,
    /// The rendered message.
    pub message: &'a str,
    /// The event's payload.
    pub payload: &'a Value,
}

impl Outgoing<'_> {
    /// The JSON body posted to an HTTP channel of `kind`.
    pub fn http_body(&self, kind: ChannelKind) -> Value {
        match kind {
            ChannelKind::Slack => json!({ "text": self.message }),
            ChannelKind::Discord => json!({ "content": cut(self.message, DISCORD_MAX_CHARS) }),
            ChannelKind::Webhook | ChannelKind::Email => json!({
                "hook": self.hook,
                "eventId": self.event_id,
                "companyId": self.company_id,
                "message": self.message,
                "payload": self.payload,
            }),
        }
    }

    /// The text of an email.
    pub fn email_body(&self) -> String {
        format!(
            "{}\n\n-- \nPaperclip notification: {} (event {})\n",
            self.message, self.hook, self.event_id
        )
    }
}

/// `text` cut to at most `max` characters, ending with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_gets_its_format() {
        let payload = json!({"to": "done"});
        let out = Outgoing {
            hook: "issue:status_changed",
            event_id: "e1",
            company_id: "c1",
            subject: "s",
            message: "PC-1 is now done",
            payload: &payload,
        };
        assert_eq!(
            out.http_body(ChannelKind::Slack),
            json!({"text": "PC-1 is now done"})
        );
        assert_eq!(
            out.http_body(ChannelKind::Discord),
            json!({"content": "PC-1 is now done"})
        );
        assert_eq!(
            out.http_body(ChannelKind::Webhook),
            json!({"hook": "issue:status_changed", "eventId": "e1", "companyId": "c1",
                   "message": "PC-1 is now done", "payload": {"to": "done"}})
        );
        assert!(out.email_body().starts_with("PC-1 is now done\n\n-- \n"));
        assert!(out.email_body().contains("issue:status_changed (event e1)"));
    }

    #[test]
    fn long_discord_messages_are_cut() {
        let long = "é".repeat(2500);
        let payload = Value::Null;
        let out = Outgoing {
            hook: "h",
            event_id: "e",
            company_id: "c",
            subject: "",
            message: &long,
            payload: &payload,
        };
        let content = out.http_body(ChannelKind::Discord)["content"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(content.chars().count(), DISCORD_MAX_CHARS);
        assert!(content.ends_with('…'));
    }
}
