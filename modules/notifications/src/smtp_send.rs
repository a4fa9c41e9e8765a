//! Email over SMTP with lettre's blocking transport: plain (`none`), `STARTTLS` required
//! (`starttls`) or TLS from the start (`tls`), rustls with the compiled-in web PKI roots;
//! `AUTH` when a username is set. The time limit applies to each network step (connect, each
//! command), so a whole send takes at most a few times `sendTimeoutSeconds`.

use crate::email_settings::{EmailSettings, TlsMode};
use crate::http_send::scrub;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use std::time::Duration;

/// The resolved secrets of an email channel.
pub struct SmtpLogin {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Sends one plain-text mail to every recipient of `settings`.
pub fn send_email(
    settings: &EmailSettings,
    login: Option<&SmtpLogin>,
    subject: &str,
    body: &str,
    timeout: Duration,
) -> Result<(), String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("email.from is not a valid mailbox: {e}"))?;
    let mut message = Message::builder().from(from).subject(subject);
    for to in &settings.to {
        let to: Mailbox = to
            .parse()
            .map_err(|e| format!("email.to `{to}` is not a valid mailbox: {e}"))?;
        message = message.to(to);
    }
    let message = message
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|e| format!("cannot build the email: {e}"))?;

    let tls = match settings.tls {
        TlsMode::None => Tls::None,
        TlsMode::Starttls => Tls::Required(tls_parameters(&settings.host)?),
        TlsMode::Tls => Tls::Wrapper(tls_parameters(&settings.host)?),
    };
    let mut transport = SmtpTransport::builder_dangerous(settings.host.as_str())
        .port(settings.port)
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(login) = login {
        transport = transport.credentials(Credentials::new(
            login.username.clone(),
            login.password.clone(),
        ));
    }
    let secret = login.map(|l| l.password.as_str()).unwrap_or_default();
    transport.build().send(&message).map(|_| ()).map_err(|e| {
        scrub(
            &format!("SMTP {}:{}: {e}", settings.host, settings.port),
            secret,
        )
    })
}

fn tls_parameters(host: &str) -> Result<TlsParameters, String> {
    TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS setup for `{host}` failed: {e}"))
}
