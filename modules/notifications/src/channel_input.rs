//! The body of `POST /channels` and `PATCH /channels/{id}`: every field optional in the type, so
//! one struct reads both; [`ChannelInput::create`] requires what a new channel needs and
//! [`ChannelInput::apply`] changes only what is given. Either way the result is checked as a
//! whole by [`crate::channel_validation`] before anything is written.

use crate::channel::Channel;
use crate::channel_kind::ChannelKind;
use crate::email_settings::{EmailSettings, TlsMode};
use crate::field_error::FieldError;
use crate::filter::Filter;
use crate::secret::MASK;
use module_sdk::Hook;
use serde::{Deserialize, Deserializer};

/// A channel as a request gives it (camelCase; unknown fields are refused).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelInput {
    company_id: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    hooks: Option<Vec<String>>,
    filters: Option<Vec<Filter>>,
    #[serde(default, deserialize_with = "present")]
    template: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<EmailInput>>,
    enabled: Option<bool>,
}

/// The `email` object of a request; in a `PATCH` only the given fields change.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailInput {
    host: Option<String>,
    port: Option<u16>,
    tls: Option<String>,
    #[serde(default, deserialize_with = "present")]
    username: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    password: Option<Option<String>>,
    from: Option<String>,
    to: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    subject: Option<Option<String>>,
}

/// Tells a field given as `null` (`Some(None)`) from a missing one (`None`, via `default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `Err` naming `field` when `value` is absent.
fn required<T>(value: Option<T>, field: &str) -> Result<T, FieldError> {
    value.ok_or_else(|| FieldError::new(field, "is required"))
}

impl ChannelInput {
    /// A new channel from a `POST` body (not yet validated beyond required fields).
    pub fn create(self, id: String, now: i64) -> Result<Channel, FieldError> {
        let company_id = required(self.company_id, "companyId")?;
        let name = required(self.name, "name")?;
        let kind = ChannelKind::parse(&required(self.kind, "kind")?)
            .map_err(|e| FieldError::new("kind", e))?;
        let hooks = parse_hooks(required(self.hooks, "hooks")?)?;
        let url = match self.url.flatten() {
            Some(url) if url == MASK => return Err(mask_given("url")),
            other => other,
        };
        let email = match self.email.flatten() {
            Some(input) => Some(input.into_settings(None)?),
            None => None,
        };
        if kind.is_http() && url.is_none() {
            return Err(FieldError::new(
                "url",
                format!("is required for a {} channel", kind.as_str()),
            ));
        }
        if kind == ChannelKind::Email && email.is_none() {
            return Err(FieldError::new("email", "is required for an email channel"));
        }
        Ok(Channel {
            id,
            company_id,
            name,
            kind,
            hooks,
            filters: self.filters.unwrap_or_default(),
            template: self.template.flatten(),
            url,
            email,
            enabled: self.enabled.unwrap_or(true),
            created_at: now,
            updated_at: now,
        })
    }

    /// Applies a `PATCH` body to `channel`. The company cannot change; changing between an HTTP
    /// kind and email drops the other kind's target (URL or SMTP settings), which must then be
    /// given; a secret given as `"***"` keeps the stored one.
    pub fn apply(self, channel: &mut Channel, now: i64) -> Result<(), FieldError> {
        if let Some(company_id) = self.company_id {
            if company_id != channel.company_id {
                return Err(FieldError::new(
                    "companyId",
                    "cannot be changed: create a channel in the other company instead",
                ));
            }
        }
        if let Some(name) = self.name {
            channel.name = name;
        }
        if let Some(kind) = self.kind {
            let kind = ChannelKind::parse(&kind).map_err(|e| FieldError::new("kind", e))?;
            if kind.is_http() != channel.kind.is_http() {
                channel.url = None;
                channel.email = None;
            }
            channel.kind = kind;
        }
        if let Some(hooks) = self.hooks {
            channel.hooks = parse_hooks(hooks)?;
        }
        if let Some(filters) = self.filters {
            channel.filters = filters;
        }
        if let Some(template) = self.template {
            channel.template = template;
        }
        match self.url {
            Some(Some(url)) if url == MASK && channel.url.is_none() => {
                return Err(mask_given("url"));
            }
            Some(Some(url)) if url == MASK => {}
            Some(url) => channel.url = url,
            None => {}
        }
        match self.email {
            Some(Some(input)) => channel.email = Some(input.into_settings(channel.email.take())?),
            Some(None) => channel.email = None,
            None => {}
        }
        if let Some(enabled) = self.enabled {
            channel.enabled = enabled;
        }
        if channel.kind.is_http() && channel.url.is_none() {
            return Err(FieldError::new(
                "url",
                format!("is required for a {} channel", channel.kind.as_str()),
            ));
        }
        if channel.kind == ChannelKind::Email && channel.email.is_none() {
            return Err(FieldError::new("email", "is required for an email channel"));
        }
        channel.updated_at = now;
        Ok(())
    }
}

impl EmailInput {
    /// The settings this input gives, over `stored` when there are some (a `PATCH`).
    fn into_settings(self, stored: Option<EmailSettings>) -> Result<EmailSettings, FieldError> {
        let tls = match self.tls {
            Some(name) => TlsMode::parse(&name).ok_or_else(|| {
                FieldError::new(
                    "email.tls",
                    format!(
                        "is an unknown TLS mode `{name}`; expected one of {}",
                        TlsMode::NAMES.join(", ")
                    ),
                )
            })?,
            None => stored.as_ref().map_or(TlsMode::Starttls, |s| s.tls),
        };
        let password = match self.password {
            Some(Some(password)) if password == MASK => match &stored {
                Some(EmailSettings {
                    password: Some(kept),
                    ..
                }) => Some(kept.clone()),
                _ => return Err(mask_given("email.password")),
            },
            Some(password) => password,
            None => stored.as_ref().and_then(|s| s.password.clone()),
        };
        let port = match (self.port, &stored) {
            (Some(port), _) => port,
            (None, Some(s)) => s.port,
            (None, None) => tls.default_port(),
        };
        let (host, from, to, username, subject) = match stored {
            Some(s) => (
                self.host.unwrap_or(s.host),
                self.from.unwrap_or(s.from),
                self.to.unwrap_or(s.to),
                self.username.unwrap_or(s.username),
                self.subject.unwrap_or(s.subject),
            ),
            None => (
                required(self.host, "email.host")?,
                required(self.from, "email.from")?,
                required(self.to, "email.to")?,
                self.username.flatten(),
                self.subject.flatten(),
            ),
        };
        Ok(EmailSettings {
            host,
            port,
            tls,
            username,
            password,
            from,
            to,
            subject,
        })
    }
}

/// The hook names as hooks, duplicates dropped; an unknown name is refused with its index.
fn parse_hooks(names: Vec<String>) -> Result<Vec<Hook>, FieldError> {
    let mut hooks = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let hook = name.parse::<Hook>().map_err(|_| {
            FieldError::new(
                format!("hooks[{i}]"),
                format!(
                    "is an unknown hook `{name}`; expected one of {}",
                    Hook::ALL.map(Hook::as_str).join(", ")
                ),
            )
        })?;
        if !hooks.contains(&hook) {
            hooks.push(hook);
        }
    }
    Ok(hooks)
}

/// The error for a `"***"` where no stored secret can be kept.
fn mask_given(field: &str) -> FieldError {
    FieldError::new(
        field,
        format!("is `{MASK}`, the mask the API shows in place of a secret: give the value or a `$NAME` reference"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(body: serde_json::Value) -> ChannelInput {
        serde_json::from_value(body).unwrap()
    }

    fn email_channel() -> Channel {
        input(json!({
            "companyId": "c1", "name": "Mail", "kind": "email", "hooks": ["goal:completed"],
            "email": {"host": "smtp.example.com", "tls": "tls", "password": "$PW",
                      "from": "bot@example.com", "to": ["a@example.com"]}
        }))
        .create("ch1".into(), 5)
        .unwrap()
    }

    #[test]
    fn a_new_channel_gets_defaults_and_needs_its_target() {
        let channel = input(json!({
            "companyId": "c1", "name": "Ops", "kind": "slack",
            "hooks": ["issue:created", "issue:created"], "url": "$SLACK_URL"
        }))
        .create("ch1".into(), 5)
        .unwrap();
        assert_eq!(channel.hooks, [Hook::IssueCreated]);
        assert!(channel.enabled);
        assert_eq!((channel.created_at, channel.updated_at), (5, 5));

        let email = email_channel().email.unwrap();
        assert_eq!((email.port, email.tls), (465, TlsMode::Tls));

        let missing = |body: serde_json::Value| input(body).create("x".into(), 0).unwrap_err();
        let base =
            json!({"companyId": "c1", "name": "n", "kind": "webhook", "hooks": ["goal:created"]});
        assert_eq!(missing(base.clone()).field, "url");
        let mut email = base.clone();
        email["kind"] = json!("email");
        assert_eq!(missing(email.clone()).field, "email");
        email["email"] = json!({"from": "a@b.c", "to": []});
        assert_eq!(missing(email).field, "email.host");
        let mut unknown = base.clone();
        unknown["kind"] = json!("pager");
        assert_eq!(missing(unknown).field, "kind");
        let mut hooks = base.clone();
        hooks["hooks"] = json!(["issue:created", "issue:exploded"]);
        let err = missing(hooks);
        assert_eq!(err.field, "hooks[1]");
        assert!(err.message.contains("issue:exploded"));
        let mut masked = base;
        masked["url"] = json!("***");
        assert_eq!(missing(masked).field, "url");
    }

    #[test]
    fn a_patch_changes_only_what_it_gives_and_keeps_masked_secrets() {
        let mut channel = email_channel();
        input(json!({"email": {"password": "***", "to": ["b@example.com"]}, "enabled": false}))
            .apply(&mut channel, 9)
            .unwrap();
        let email = channel.email.as_ref().unwrap();
        assert_eq!(email.password.as_deref(), Some("$PW"));
        assert_eq!(email.to, ["b@example.com"]);
        assert_eq!(email.host, "smtp.example.com");
        assert!(!channel.enabled);
        assert_eq!(channel.updated_at, 9);

        let err = input(json!({"companyId": "c2"}))
            .apply(&mut channel, 10)
            .unwrap_err();
        assert_eq!(err.field, "companyId");
        // Email → Discord drops the SMTP settings: a URL is then required.
        let err = input(json!({"kind": "discord"}))
            .apply(&mut channel.clone(), 10)
            .unwrap_err();
        assert_eq!(err.field, "url");
        input(json!({"kind": "discord", "url": "https://discord.example/hook"}))
            .apply(&mut channel, 10)
            .unwrap();
        assert_eq!(channel.email, None);
        input(json!({"url": "***", "template": null}))
            .apply(&mut channel, 11)
            .unwrap();
        assert_eq!(channel.url.as_deref(), Some("https://discord.example/hook"));
    }
}
