//! A channel: where one company's notifications go, on which hooks, under which filters and with
//! which message. Stored in `mod_notifications_channels`; answered by the API with its secrets
//! masked.

use crate::channel_kind::ChannelKind;
use crate::clock;
use crate::email_settings::EmailSettings;
use crate::filter::{self, Filter};
use crate::secret::MASK;
use crate::sql_values;
use module_sdk::{Error, Hook, Result, Row};
use serde::Deserialize;
use serde_json::{json, Value};

/// A stored channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// UUID.
    pub id: String,
    /// The company whose events it notifies about.
    pub company_id: String,
    /// A name for people.
    pub name: String,
    /// Where it sends.
    pub kind: ChannelKind,
    /// The hooks it notifies on (wire names, at least one).
    pub hooks: Vec<Hook>,
    /// Conditions on the event, all of which must hold.
    pub filters: Vec<Filter>,
    /// Message template; the hook's default when absent (see [`crate::default_templates`]).
    pub template: Option<String>,
    /// The URL of an HTTP kind (plain or `$NAME`); a secret.
    pub url: Option<String>,
    /// The settings of an email channel.
    pub email: Option<EmailSettings>,
    /// A disabled channel queues nothing, and what it had queued is given up, not sent.
    pub enabled: bool,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

/// The columns of a channel, in [`Channel::from_row`]'s order.
pub const COLUMNS: &str = "id, company_id, name, kind, hooks, filters, template, url, email, \
                           enabled, created_at, updated_at";

/// A channel row as the database answers it: JSON columns as text, booleans as SQLite's `0/1`
/// or PostgreSQL's `true/false`.
#[derive(Deserialize)]
struct ChannelRow {
    id: String,
    company_id: String,
    name: String,
    kind: String,
    hooks: String,
    filters: String,
    template: Option<String>,
    url: Option<String>,
    email: Option<String>,
    #[serde(deserialize_with = "sql_values::boolean")]
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl Channel {
    /// Reads a row of [`COLUMNS`].
    pub fn from_row(row: &Row) -> Result<Channel> {
        let row: ChannelRow = row.to()?;
        let stored = |what: &str, e: &dyn std::fmt::Display| {
            Error::msg(format!("channel {} has a malformed {what}: {e}", row.id))
        };
        let hook_names: Vec<String> =
            serde_json::from_str(&row.hooks).map_err(|e| stored("hooks", &e))?;
        let hooks = hook_names
            .iter()
            .map(|name| name.parse::<Hook>().map_err(|e| stored("hooks", &e)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Channel {
            kind: ChannelKind::parse(&row.kind).map_err(|e| stored("kind", &e))?,
            hooks,
            filters: serde_json::from_str(&row.filters).map_err(|e| stored("filters", &e))?,
            email: row
                .email
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| stored("email", &e))?,
            id: row.id.clone(),
            company_id: row.company_id,
            name: row.name,
            template: row.template,
            url: row.url,
            enabled: row.enabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }

    /// The hooks as a JSON array of wire names (the `hooks` column).
    pub fn hooks_json(&self) -> String {
        Value::from(self.hooks.iter().map(|h| h.as_str()).collect::<Vec<_>>()).to_string()
    }

    /// The filters as JSON (the `filters` column).
    pub fn filters_json(&self) -> String {
        serde_json::to_string(&self.filters).unwrap_or_else(|_| "[]".into())
    }

    /// The email settings as JSON (the `email` column).
    pub fn email_json(&self) -> Option<String> {
        self.email
            .as_ref()
            .and_then(|e| serde_json::to_string(e).ok())
    }

    /// Whether an event of `hook` whose template context is `context` is for this channel
    /// (its company was checked by the caller).
    pub fn wants(&self, hook: Hook, context: &Value) -> bool {
        self.enabled && self.hooks.contains(&hook) && filter::all_match(&self.filters, context)
    }

    /// The channel as the API answers it: camelCase, times in RFC 3339, the URL and the SMTP
    /// password replaced by `"***"`.
    pub fn view(&self) -> Value {
        let email = self.email.as_ref().map(|e| {
            json!({
                "host": e.host,
                "port": e.port,
                "tls": e.tls,
                "username": e.username,
                "password": e.password.as_ref().map(|_| MASK),
                "from": e.from,
                "to": e.to,
                "subject": e.subject,
            })
        });
        json!({
            "id": self.id,
            "companyId": self.company_id,
            "name": self.name,
            "kind": self.kind,
            "hooks": self.hooks.iter().map(|h| h.as_str()).collect::<Vec<_>>(),
            "filters": self.filters,
            "template": self.template,
            "url": self.url.as_ref().map(|_| MASK),
            "email": email,
            "enabled": self.enabled,
            "createdAt": clock::to_rfc3339(self.created_at),
            "updatedAt": clock::to_rfc3339(self.updated_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email_settings::TlsMode;

    fn row(email: Value, enabled: Value) -> Row {
        Row::new(
            json!({
                "id": "ch1", "company_id": "c1", "name": "Ops", "kind": "email",
                "hooks": r#"["issue:created","goal:completed"]"#,
                "filters": r#"[{"path":"to","op":"eq","value":"done"}]"#,
                "template": null, "url": null, "email": email, "enabled": enabled,
                "created_at": 0, "updated_at": 1000
            })
            .as_object()
            .unwrap()
            .clone(),
        )
    }

    #[test]
    fn rows_of_both_backends_read_back_and_secrets_are_masked() {
        let email = json!({
            "host": "smtp.example.com", "port": 587, "tls": "starttls", "username": "bot",
            "password": "$SMTP_PASSWORD", "from": "bot@example.com", "to": ["a@example.com"]
        })
        .to_string();
        let sqlite = Channel::from_row(&row(json!(email), json!(1))).unwrap();
        let postgres = Channel::from_row(&row(json!(email), json!(true))).unwrap();
        assert_eq!(sqlite, postgres);
        assert_eq!(sqlite.hooks, [Hook::IssueCreated, Hook::GoalCompleted]);
        assert_eq!(sqlite.email.as_ref().unwrap().tls, TlsMode::Starttls);
        let view = sqlite.view();
        assert_eq!(view["email"]["password"], MASK);
        assert_eq!(view["email"]["username"], "bot");
        assert_eq!(view["url"], Value::Null);
        assert_eq!(view["updatedAt"], "1970-01-01T00:00:01.000Z");
        assert!(!view.to_string().contains("SMTP_PASSWORD"));
        assert_eq!(sqlite.hooks_json(), r#"["issue:created","goal:completed"]"#);
    }

    #[test]
    fn a_channel_wants_enabled_hooks_whose_filters_match() {
        let mut channel = Channel::from_row(&row(Value::Null, json!(0))).unwrap();
        let done = json!({"to": "done"});
        assert!(!channel.wants(Hook::IssueCreated, &done), "disabled");
        channel.enabled = true;
        assert!(channel.wants(Hook::IssueCreated, &done));
        assert!(!channel.wants(Hook::IssueCreated, &json!({"to": "todo"})));
        assert!(!channel.wants(Hook::AgentCreated, &done));
    }
}
