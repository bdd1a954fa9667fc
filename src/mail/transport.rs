//! The SMTP client: lettre over tokio with rustls. `smtp://` upgrades with STARTTLS when the
//! server offers it, `?tls=required` insists on it, `smtps://` speaks TLS from the start. The
//! server's certificate is checked against the system's roots and, when `smtp_ca_file` is set,
//! that file's certificates (for this connection only).

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpSettings, SmtpTls};

/// What came of one attempt to hand a message to the SMTP server.
#[derive(Debug)]
pub enum Outcome {
    /// Accepted: the server's answer (`250 …`).
    Sent(String),
    /// Refused for good (a 5xx answer about the message): retrying cannot help.
    Permanent(String),
    /// Worth retrying (no connection, a timeout, a failed TLS handshake, no STARTTLS where it is
    /// required, a 4xx answer, or a refused login: see [`is_about_this_client`]).
    Transient(String),
}

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// A transport for `settings`; `Err` with a message when TLS cannot be set up for the host.
pub fn build(settings: &SmtpSettings) -> Result<Transport, String> {
    let mut params = TlsParameters::builder(settings.host.clone());
    for der in settings.ca.iter().flat_map(|ca| &ca.certificates) {
        let cert = Certificate::from_der(der.clone())
            .map_err(|e| format!("a certificate of smtp_ca_file does not read: {e}"))?;
        params = params.add_root_certificate(cert);
    }
    let params = params
        .build()
        .map_err(|e| format!("TLS cannot be set up for {}: {e}", settings.host))?;
    let tls = match settings.tls {
        SmtpTls::Opportunistic => Tls::Opportunistic(params),
        SmtpTls::Required => Tls::Required(params),
        SmtpTls::Wrapper => Tls::Wrapper(params),
    };
    let mut builder = Transport::builder_dangerous(settings.host.as_str())
        .port(settings.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(30)));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    Ok(builder.build())
}

/// Sends one message and classifies the result.
pub async fn send(transport: &Transport, message: Message) -> Outcome {
    match transport.send(message).await {
        Ok(response) => {
            let text = response.message().collect::<Vec<_>>().join(" ");
            Outcome::Sent(format!("{} {text}", response.code()))
        }
        Err(e) if e.is_permanent() && !is_about_this_client(&e) => Outcome::Permanent(describe(&e)),
        Err(e) => Outcome::Transient(describe(&e)),
    }
}

/// A 5xx answer about this instance's access to the relay rather than about the message: the
/// login was refused or is missing (530, 535), or the server wants a stronger mechanism or
/// encryption for it (534, 538). The mail itself is fine and is sent once the operator mends the
/// settings, so it is retried like a server that is down, as relays' own clients do.
fn is_about_this_client(e: &lettre::transport::smtp::Error) -> bool {
    e.status()
        .is_some_and(|code| matches!(u16::from(code), 530 | 534 | 535 | 538))
}

/// The error with its causes, on one line (the SMTP server's own words included).
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    super::message::one_line(&text)
}
