//! The outgoing mail settings: `smtp_url` (`smtp://[user:password@]host[:port][?tls=required]`
//! or `smtps://…`), `mail_from` (an address, optionally with a name: `Space <hello@x.example>`)
//! and `smtp_ca_file` (a PEM file of certificates trusted as roots for the SMTP connection only,
//! for a relay whose certificate a private CA signed). All are validated here, the CA file read
//! and each of its certificates checked; without `smtp_url` mail is off.

use std::path::PathBuf;

use lettre::transport::smtp::client::{Certificate, TlsParameters};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::{ConfigError, Secret};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://`: STARTTLS when the server offers it, plain otherwise.
    Opportunistic,
    /// `smtp://…?tls=required`: STARTTLS or nothing is sent.
    Required,
    /// `smtps://`: TLS from the first byte.
    Wrapper,
}

/// Where and how mail is sent.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User name and password for SMTP AUTH, when the URL carries them.
    pub credentials: Option<(String, Secret)>,
    /// Roots trusted for this connection besides the system's (`smtp_ca_file`).
    pub ca: Option<SmtpCa>,
}

impl SmtpSettings {
    /// How the connection is protected, in words for the log and the administrators' page (the
    /// user name, never the password).
    pub fn protection(&self) -> String {
        let mut text = match self.tls {
            SmtpTls::Opportunistic => "STARTTLS when the server offers it".to_string(),
            SmtpTls::Required => "STARTTLS required".to_string(),
            SmtpTls::Wrapper => "TLS from the start".to_string(),
        };
        if let Some(ca) = &self.ca {
            text.push_str(&format!(
                ", trusting the system's roots and {} certificate(s) of {}",
                ca.certificates.len(),
                ca.path.display()
            ));
        }
        if let Some((user, _)) = &self.credentials {
            text.push_str(&format!(", signing in as {user}"));
        }
        text
    }
}

/// The certificates of `smtp_ca_file`, read and checked at start-up.
#[derive(Debug, Clone)]
pub struct SmtpCa {
    pub path: PathBuf,
    /// Each certificate, DER-encoded.
    pub certificates: Vec<Vec<u8>>,
}

/// The mail settings of an instance; `None` when mail is off.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub smtp: SmtpSettings,
    /// The `From` mailbox, validated.
    pub from: lettre::message::Mailbox,
}

pub(super) fn parse(
    (url_key, url): (&str, &str),
    (from_key, from): (&str, &str),
    (ca_key, ca): (&str, &str),
) -> Result<Option<MailSettings>, ConfigError> {
    let url = url.trim();
    let from = from.trim();
    // Checked even while mail is off: a bad file is a mistake whether or not it is used yet.
    let ca = parse_ca_file(ca_key, ca)?;
    if url.is_empty() {
        return Ok(None);
    }
    let mut smtp = parse_smtp_url(url_key, url)?;
    smtp.ca = ca;
    if from.is_empty() {
        return Err(ConfigError::new(
            from_key,
            "is needed when smtp_url is set (the address mail comes from)",
        ));
    }
    let from = parse_from(from_key, from)?;
    Ok(Some(MailSettings { smtp, from }))
}

fn parse_from(key: &str, value: &str) -> Result<lettre::message::Mailbox, ConfigError> {
    if value.chars().any(char::is_control) {
        return Err(ConfigError::new(key, "must be one line"));
    }
    value.parse().map_err(|_| {
        ConfigError::new(
            key,
            format!("`{value}` is not an address such as hello@space.example"),
        )
    })
}

fn parse_smtp_url(key: &str, value: &str) -> Result<SmtpSettings, ConfigError> {
    // The message never repeats the URL: it may hold a password.
    let bad = |m: &str| ConfigError::new(key, m.to_string());
    let url =
        url::Url::parse(value).map_err(|_| bad("is not a URL such as smtp://mail.example:587"))?;
    let wrapper = match url.scheme() {
        "smtp" => false,
        "smtps" => true,
        _ => return Err(bad("must start with smtp:// or smtps://")),
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("names no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
        return Err(bad("must not have a path"));
    }
    let mut required = false;
    for (k, v) in url.query_pairs() {
        match (k.as_ref(), v.as_ref()) {
            ("tls", "required") => required = true,
            ("tls", "opportunistic") => required = false,
            _ => return Err(bad("the only option is tls=required")),
        }
    }
    let tls = match (wrapper, required) {
        (true, _) => SmtpTls::Wrapper,
        (false, true) => SmtpTls::Required,
        (false, false) => SmtpTls::Opportunistic,
    };
    let port = url.port().unwrap_or(if wrapper { 465 } else { 587 });
    let decode = |s: &str| {
        percent_decode(s).ok_or_else(|| bad("has a user or password that is not valid UTF-8"))
    };
    let credentials = if url.username().is_empty() {
        None
    } else {
        let user = decode(url.username())?;
        let password = decode(url.password().unwrap_or(""))?;
        Some((user, Secret(password)))
    };
    Ok(SmtpSettings {
        host,
        port,
        tls,
        credentials,
        ca: None,
    })
}

/// Reads `smtp_ca_file`: a PEM file with at least one certificate, each usable as a root.
fn parse_ca_file(key: &str, value: &str) -> Result<Option<SmtpCa>, ConfigError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let path = PathBuf::from(value);
    let shown = path.display();
    let bytes = std::fs::read(&path)
        .map_err(|e| ConfigError::new(key, format!("cannot read {shown}: {e}")))?;
    let mut certificates = Vec::new();
    for item in CertificateDer::pem_slice_iter(&bytes) {
        let der = item.map_err(|e| {
            ConfigError::new(
                key,
                format!("{shown} is not a PEM file of certificates: {e}"),
            )
        })?;
        certificates.push(der.to_vec());
    }
    if certificates.is_empty() {
        return Err(ConfigError::new(
            key,
            format!("{shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
        ));
    }
    // Each one must be a certificate the SMTP client can take as a root, as it will.
    let mut params = TlsParameters::builder("localhost".to_string());
    for der in &certificates {
        let cert = Certificate::from_der(der.clone()).map_err(|e| {
            ConfigError::new(
                key,
                format!("{shown} holds a certificate that does not read: {e}"),
            )
        })?;
        params = params.add_root_certificate(cert);
    }
    params.build().map_err(|e| {
        ConfigError::new(
            key,
            format!("{shown} holds a certificate that cannot be trusted as a root: {e}"),
        )
    })?;
    Ok(Some(SmtpCa { path, certificates }))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(url: &str) -> Result<SmtpSettings, ConfigError> {
        parse_smtp_url("GUILDHALL_SMTP_URL", url)
    }

    #[test]
    fn smtp_urls() {
        let s = smtp("smtp://mail.example").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("mail.example", 587, SmtpTls::Opportunistic)
        );
        assert!(s.credentials.is_none());
        let s = smtp("smtp://mail.example:2525?tls=required").unwrap();
        assert_eq!((s.port, s.tls), (2525, SmtpTls::Required));
        let s = smtp("smtps://me%40x.example:p%3Ass@mail.example").unwrap();
        assert_eq!((s.port, s.tls), (465, SmtpTls::Wrapper));
        let (user, password) = s.credentials.unwrap();
        assert_eq!((user.as_str(), password.expose()), ("me@x.example", "p:ss"));
        for bad in [
            "http://mail.example",
            "smtp://",
            "smtp://mail.example/path",
            "smtp://mail.example?tls=maybe",
            "mail.example:25",
        ] {
            assert!(smtp(bad).is_err(), "{bad}");
        }
        let err = smtp("ftp://u:hunter2@mail.example").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    const NO_CA: (&str, &str) = ("GUILDHALL_SMTP_CA_FILE", "");

    #[test]
    fn mail_needs_a_valid_from() {
        let url = ("GUILDHALL_SMTP_URL", "smtp://127.0.0.1:2525");
        assert!(parse(
            ("GUILDHALL_SMTP_URL", ""),
            ("GUILDHALL_MAIL_FROM", ""),
            NO_CA
        )
        .unwrap()
        .is_none());
        let err = parse(url, ("GUILDHALL_MAIL_FROM", ""), NO_CA).unwrap_err();
        assert_eq!(err.key, "GUILDHALL_MAIL_FROM");
        for bad in ["not an address", "a@b.example\r\nBcc: x@y.example"] {
            assert!(
                parse(url, ("GUILDHALL_MAIL_FROM", bad), NO_CA).is_err(),
                "{bad}"
            );
        }
        let m = parse(
            url,
            ("GUILDHALL_MAIL_FROM", "Our Space <hello@space.example>"),
            NO_CA,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.from.email.to_string(), "hello@space.example");
        assert!(m.smtp.ca.is_none());
    }

    #[test]
    fn a_ca_file_that_is_missing_or_holds_no_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, body: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, body).unwrap();
            path.display().to_string()
        };
        let missing = dir.path().join("missing.pem").display().to_string();
        let text = write("notes.txt", "not a certificate at all\n");
        let key_only = write(
            "key.pem",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
        );
        let broken = write(
            "broken.pem",
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n",
        );
        let junk = write(
            "junk.pem",
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
        );
        let url = ("GUILDHALL_SMTP_URL", "smtp://127.0.0.1:2525");
        let from = ("GUILDHALL_MAIL_FROM", "hello@space.example");
        for (file, says) in [
            (&missing, "cannot read"),
            (&text, "holds no PEM certificate"),
            (&key_only, "holds no PEM certificate"),
            (&broken, "is not a PEM file"),
            (&junk, "cannot be trusted as a root"),
        ] {
            let err = parse(url, from, ("GUILDHALL_SMTP_CA_FILE", file)).unwrap_err();
            assert_eq!(err.key, "GUILDHALL_SMTP_CA_FILE");
            assert!(err.to_string().contains(says), "{file}: {err}");
            assert!(err.to_string().contains(file.as_str()), "{err}");
            // Mail off does not hide a bad file.
            let off = parse(
                ("GUILDHALL_SMTP_URL", ""),
                ("GUILDHALL_MAIL_FROM", ""),
                ("GUILDHALL_SMTP_CA_FILE", file),
            );
            assert!(off.is_err(), "{file}");
        }
    }
}
