//! The outgoing mail settings: `smtp_url` (`smtp://[user:password@]host[:port][?tls=required]`
//! or `smtps://…`) and `mail_from` (an address, optionally with a name: `Space <hello@x.example>`).
//! Both are validated here; without `smtp_url` mail is off.

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
) -> Result<Option<MailSettings>, ConfigError> {
    let url = url.trim();
    let from = from.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let smtp = parse_smtp_url(url_key, url)?;
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
    })
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

    #[test]
    fn mail_needs_a_valid_from() {
        let url = ("GUILDHALL_SMTP_URL", "smtp://127.0.0.1:2525");
        assert!(
            parse(("GUILDHALL_SMTP_URL", ""), ("GUILDHALL_MAIL_FROM", ""))
                .unwrap()
                .is_none()
        );
        let err = parse(url, ("GUILDHALL_MAIL_FROM", "")).unwrap_err();
        assert_eq!(err.key, "GUILDHALL_MAIL_FROM");
        for bad in ["not an address", "a@b.example\r\nBcc: x@y.example"] {
            assert!(parse(url, ("GUILDHALL_MAIL_FROM", bad)).is_err(), "{bad}");
        }
        let m = parse(
            url,
            ("GUILDHALL_MAIL_FROM", "Our Space <hello@space.example>"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.from.email.to_string(), "hello@space.example");
    }
}
