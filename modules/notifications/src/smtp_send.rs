//! Email over SMTP with lettre's blocking transport: plain (`none`), `STARTTLS` required
//! (`starttls`) or TLS from the start (`tls`), rustls with the compiled-in web PKI roots;
//! `AUTH` when a username is set.
//!
//! lettre's time limit applies to each network step (connect, each command), and a mail takes
//! a dozen of them. So that the caller never waits longer than the send's time limit (a service
//! run must stay within the host's limit), the exchange runs on a thread of its own and the
//! caller waits at most that long: past it the send is reported as timed out, and the thread is
//! left to end by itself at its next step's time limit (should the mail still go through then,
//! the retry sends it a second time — delivery is at least once).

use crate::email_settings::{EmailSettings, TlsMode};
use crate::http_send::scrub;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use std::sync::mpsc;
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
    let secret = login.map(|l| l.password.clone()).unwrap_or_default();
    let server = format!("{}:{}", settings.host, settings.port);
    let mailer = transport.build();
    let (done, outcome) = mpsc::channel();
    let started = std::time::Instant::now();
    std::thread::Builder::new()
        .name("notifications-smtp".into())
        .spawn(move || {
            let sent = mailer.send(&message).map(|_| ()).map_err(|e| e.to_string());
            let _ = done.send(sent);
        })
        .map_err(|e| format!("cannot start the SMTP send: {e}"))?;
    let no_answer = || {
        format!(
            "SMTP {server}: no answer within {:.1} s (sendTimeoutSeconds)",
            timeout.as_secs_f64()
        )
    };
    match outcome.recv_timeout(timeout) {
        Ok(Ok(())) => Ok(()),
        // The socket's own read limit (the same `timeout`) can fire just before ours: that is
        // the same time-out, whatever the OS calls it.
        Ok(Err(_)) if started.elapsed() >= timeout => Err(no_answer()),
        Ok(Err(e)) => Err(scrub(&format!("SMTP {server}: {e}"), &secret)),
        Err(_) => Err(no_answer()),
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, String> {
    TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS setup for `{host}` failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Instant;

    #[test]
    fn a_server_that_never_greets_times_out_within_the_limit() {
        // Accepts connections (the backlog) but never says a word.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let settings = EmailSettings {
            host: "127.0.0.1".into(),
            port: silent.local_addr().unwrap().port(),
            tls: TlsMode::None,
            username: None,
            password: None,
            from: "bot@example.com".into(),
            to: vec!["ops@example.com".into()],
            subject: None,
        };
        let started = Instant::now();
        let err = send_email(&settings, None, "s", "b", Duration::from_millis(300)).unwrap_err();
        assert!(err.contains("no answer within 0.3 s"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_bad_mailbox_is_named() {
        let settings = EmailSettings {
            host: "127.0.0.1".into(),
            port: 1,
            tls: TlsMode::None,
            username: None,
            password: None,
            from: "nobody".into(),
            to: vec![],
            subject: None,
        };
        let err = send_email(&settings, None, "s", "b", Duration::from_millis(100)).unwrap_err();
        assert!(err.starts_with("email.from"), "{err}");
    }
}
