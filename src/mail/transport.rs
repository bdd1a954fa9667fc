//! The SMTP client: lettre over tokio with rustls. `smtp://` upgrades with STARTTLS when the
//! server offers it, `?tls=required` insists on it, `smtps://` speaks TLS from the start.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpSettings, SmtpTls};

/// What came of one attempt to hand a message to the SMTP server.
#[derive(Debug)]
pub enum Outcome {
    /// Accepted: the server's answer (`250 …`).
    Sent(String),
    /// Refused for good (a 5xx answer): retrying cannot help.
    Permanent(String),
    /// Worth retrying (no connection, a timeout, a 4xx answer).
    Transient(String),
}

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// A transport for `settings`; `Err` with a message when TLS cannot be set up for the host.
pub fn build(settings: &SmtpSettings) -> Result<Transport, String> {
    let params = TlsParameters::new(settings.host.clone())
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
        Err(e) if e.is_permanent() => Outcome::Permanent(describe(&e)),
        Err(e) => Outcome::Transient(describe(&e)),
    }
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
