//! Checks a channel as it would be stored: the first problem is refused with its field named, so
//! nothing invalid is ever written. Secrets given as `$NAME` are checked for their syntax only:
//! their value is read at send time.

use crate::channel::Channel;
use crate::email_settings::{EmailSettings, MAX_RECIPIENTS};
use crate::field_error::FieldError;
use crate::filter::MAX_FILTERS;
use crate::secret;
use crate::template::Template;
use lettre::message::Mailbox;
use ureq::http::Uri;

/// The longest channel name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The longest URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// `Ok` when `channel` may be stored.
pub fn validate(channel: &Channel) -> Result<(), FieldError> {
    let name = channel.name.trim();
    if name.is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(
            "name",
            format!("is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    if channel.hooks.is_empty() {
        return Err(FieldError::new("hooks", "must name at least one hook"));
    }
    if channel.filters.len() > MAX_FILTERS {
        return Err(FieldError::new(
            "filters",
            format!("has more than {MAX_FILTERS} filters"),
        ));
    }
    for (i, filter) in channel.filters.iter().enumerate() {
        filter
            .check()
            .map_err(|(part, problem)| FieldError::new(format!("filters[{i}].{part}"), problem))?;
    }
    if let Some(template) = &channel.template {
        Template::parse(template).map_err(|e| FieldError::new("template", e))?;
    }
    if channel.kind.is_http() {
        if let Some(url) = &channel.url {
            check_url(url).map_err(|e| FieldError::new("url", e))?;
        }
        if channel.email.is_some() {
            return Err(FieldError::new(
                "email",
                format!("is for email channels, not {}", channel.kind.as_str()),
            ));
        }
    } else {
        if channel.url.is_some() {
            return Err(FieldError::new(
                "url",
                "is for webhook, slack and discord channels; an email channel uses `email`",
            ));
        }
        if let Some(email) = &channel.email {
            check_email(email)?;
        }
    }
    Ok(())
}

/// A webhook URL: a `$NAME` reference, or an absolute `http`/`https` URL with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    if secret::reference_name(url).is_some() {
        return Ok(());
    }
    if secret::is_malformed_reference(url) {
        return Err(malformed_reference(url));
    }
    if url.len() > MAX_URL_LEN {
        return Err(format!("is longer than {MAX_URL_LEN} bytes"));
    }
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("is not a valid URL ({e})"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err("must be an http:// or https:// URL".into()),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    Ok(())
}

fn malformed_reference(value: &str) -> String {
    format!(
        "`{value}` is not a valid `$NAME` reference (letters, digits and `_` after `$`, not \
         starting with a digit)"
    )
}

fn check_email(email: &EmailSettings) -> Result<(), FieldError> {
    let host = email.host.trim();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(FieldError::new(
            "email.host",
            "must be a host name or address (the SMTP server)",
        ));
    }
    if email.port == 0 {
        return Err(FieldError::new("email.port", "must be from 1 to 65535"));
    }
    for (field, value) in [
        ("email.username", &email.username),
        ("email.password", &email.password),
    ] {
        if let Some(value) = value {
            if secret::is_malformed_reference(value) {
                return Err(FieldError::new(field, malformed_reference(value)));
            }
        }
    }
    if email.password.is_some() && email.username.is_none() {
        return Err(FieldError::new(
            "email.username",
            "is required when a password is given",
        ));
    }
    email
        .from
        .parse::<Mailbox>()
        .map_err(|e| FieldError::new("email.from", format!("is not a valid mailbox: {e}")))?;
    if email.to.is_empty() {
        return Err(FieldError::new(
            "email.to",
            "must name at least one recipient",
        ));
    }
    if email.to.len() > MAX_RECIPIENTS {
        return Err(FieldError::new(
            "email.to",
            format!("has more than {MAX_RECIPIENTS} recipients"),
        ));
    }
    for (i, to) in email.to.iter().enumerate() {
        to.parse::<Mailbox>().map_err(|e| {
            FieldError::new(
                format!("email.to[{i}]"),
                format!("is not a valid mailbox: {e}"),
            )
        })?;
    }
    if let Some(subject) = &email.subject {
        Template::parse(subject).map_err(|e| FieldError::new("email.subject", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel_input::ChannelInput;
    use serde_json::{json, Value};

    fn checked(body: Value) -> Result<(), FieldError> {
        let input: ChannelInput = serde_json::from_value(body).unwrap();
        validate(&input.create("id".into(), 0)?)
    }

    fn field_of(body: Value) -> String {
        checked(body).unwrap_err().field
    }

    fn slack(extra: Value) -> Value {
        let mut body = json!({
            "companyId": "c1", "name": "Ops", "kind": "slack", "hooks": ["issue:created"],
            "url": "https://hooks.slack.example/T1/B2"
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    }

    fn email(extra: Value) -> Value {
        let mut settings = json!({"host": "smtp.example.com", "from": "Bot <bot@example.com>",
                                  "to": ["ops@example.com"]});
        for (k, v) in extra.as_object().unwrap() {
            settings[k] = v.clone();
        }
        json!({"companyId": "c1", "name": "Mail", "kind": "email", "hooks": ["goal:completed"],
               "email": settings})
    }

    #[test]
    fn valid_channels_pass() {
        checked(slack(json!({}))).unwrap();
        checked(slack(json!({"url": "$SLACK_URL", "template": "{{issue.identifier}}",
                             "filters": [{"path": "issue.priority", "op": "in", "value": ["high"]}]})))
        .unwrap();
        checked(email(
            json!({"username": "bot", "password": "$SMTP_PASSWORD", "tls": "none",
                             "port": 2525, "subject": "{{hook}}"}),
        ))
        .unwrap();
    }

    #[test]
    fn each_problem_names_its_field() {
        assert_eq!(field_of(slack(json!({"name": "  "}))), "name");
        assert_eq!(field_of(slack(json!({"hooks": []}))), "hooks");
        assert_eq!(field_of(slack(json!({"url": "ftp://x"}))), "url");
        assert_eq!(field_of(slack(json!({"url": "not a url"}))), "url");
        assert_eq!(field_of(slack(json!({"url": "https://"}))), "url");
        assert_eq!(field_of(slack(json!({"url": "$BAD-NAME"}))), "url");
        assert_eq!(
            field_of(slack(
                json!({"filters": [{"path": "to", "op": "like", "value": 1}]})
            )),
            "filters[0].op"
        );
        assert_eq!(field_of(slack(json!({"template": "{{oops"}))), "template");
        assert_eq!(
            field_of(slack(
                json!({"email": {"host": "h", "from": "a@b.c", "to": ["a@b.c"]}})
            )),
            "email"
        );
        assert_eq!(field_of(email(json!({"host": ""}))), "email.host");
        assert_eq!(field_of(email(json!({"port": 0}))), "email.port");
        assert_eq!(field_of(email(json!({"tls": "ssl"}))), "email.tls");
        assert_eq!(field_of(email(json!({"password": "x"}))), "email.username");
        assert_eq!(field_of(email(json!({"from": "nobody"}))), "email.from");
        assert_eq!(field_of(email(json!({"to": []}))), "email.to");
        assert_eq!(
            field_of(email(json!({"to": ["ok@x.y", "bad"]}))),
            "email.to[1]"
        );
        assert_eq!(field_of(email(json!({"subject": "{{"}))), "email.subject");
        let mut with_url = email(json!({}));
        with_url["url"] = json!("https://x.example");
        assert_eq!(field_of(with_url), "url");
    }
}
