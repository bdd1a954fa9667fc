//! A queued mail as an RFC 5322 message: built by lettre from validated values only (the
//! recipient parsed as an address, the subject and names made one line), multipart text and
//! HTML, each part quoted-printable.

use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;

use super::compose::Rendered;

/// A header value on one line: every control character (CR and LF included) becomes a space,
/// runs of spaces are folded, and the whole is trimmed and cut to 200 characters.
pub fn one_line(value: &str) -> String {
    let spaced: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}

/// `List-Unsubscribe: <URL>` (RFC 2369). Built only from a URL that [`header_url`] accepts.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let url = s.trim().trim_start_matches('<').trim_end_matches('>');
        header_url(url)
            .map(|u| ListUnsubscribe(u.to_string()))
            .ok_or_else(|| "not an https or http URL".into())
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// A URL fit for a header: http(s), printable ASCII, no space, angle bracket or control
/// character, at most 500 characters. Anything else is left out of the mail (lettre would
/// encode a line break anyway; this keeps the header a URL a client can use).
fn header_url(url: &str) -> Option<&str> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 500
        && url
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>' && b != b'"');
    ok.then_some(url)
}

/// Builds the message; `Err` with a reason when the recipient is not an address (a permanent
/// failure: retrying cannot help).
pub fn build(
    from: &Mailbox,
    space: &str,
    recipient: &str,
    mail: &Rendered,
) -> Result<Message, String> {
    let to: Mailbox = recipient
        .parse::<lettre::Address>()
        .map(|a| Mailbox::new(None, a))
        .map_err(|_| "the recipient is not a valid address".to_string())?;
    // The configured name wins; otherwise mail comes from the space by name.
    let from = match &from.name {
        Some(_) => from.clone(),
        None => Mailbox::new(Some(one_line(space)), from.email.clone()),
    };
    let part = |kind: ContentType, body: &str| {
        SinglePart::builder()
            .header(kind)
            .header(ContentTransferEncoding::QuotedPrintable)
            .body(body.to_string())
    };
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(&mail.subject));
    if let Some(url) = mail.list_unsubscribe.as_deref().and_then(header_url) {
        builder = builder
            .header(ListUnsubscribe(url.to_string()))
            .header(ListUnsubscribePost);
    }
    builder
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, &mail.text))
                .singlepart(part(ContentType::TEXT_HTML, &mail.html)),
        )
        .map_err(|e| format!("the message could not be built: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_header_injection() {
        let from: Mailbox = "hello@space.example".parse().unwrap();
        let mail = Rendered {
            subject: "Hi\r\nBcc: victim@evil.example".into(),
            text: "body".into(),
            html: "<p>body</p>".into(),
            list_unsubscribe: None,
        };
        let m = build(&from, "Space\r\nX-Evil: 1", "ada@example.org", &mail).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(!headers
            .lines()
            .any(|l| l.starts_with("Bcc:") || l.starts_with("X-Evil:")));
        assert_eq!(m.envelope().to().len(), 1);
        assert!(raw.contains("multipart/alternative") && raw.contains("text/html"));
        for bad in ["ada@example.org\r\nBcc: x@y.example", "not an address", ""] {
            assert!(build(&from, "S", bad, &mail).is_err(), "{bad}");
        }
        assert!(!headers.contains("List-Unsubscribe"));
    }

    #[test]
    fn list_unsubscribe_headers_only_for_a_clean_url() {
        let from: Mailbox = "hello@space.example".parse().unwrap();
        let mut mail = Rendered {
            subject: "Hi".into(),
            text: "body".into(),
            html: "<p>body</p>".into(),
            list_unsubscribe: Some("https://s.example/api/v1/unsubscribe?a=1&t=all&s=ab".into()),
        };
        let raw = String::from_utf8(
            build(&from, "S", "ada@example.org", &mail)
                .unwrap()
                .formatted(),
        )
        .unwrap();
        assert!(raw.contains(
            "\r\nList-Unsubscribe: <https://s.example/api/v1/unsubscribe?a=1&t=all&s=ab>\r\n"
        ));
        assert!(raw.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        for bad in [
            "https://s.example/u\r\nBcc: victim@evil.example",
            "https://s.example/u> <mailto:x@evil.example",
            "javascript:alert(1)",
        ] {
            mail.list_unsubscribe = Some(bad.into());
            let raw = String::from_utf8(
                build(&from, "S", "ada@example.org", &mail)
                    .unwrap()
                    .formatted(),
            )
            .unwrap();
            let headers = raw.split("\r\n\r\n").next().unwrap();
            assert!(
                !headers.contains("List-Unsubscribe") && !headers.contains("Bcc"),
                "{bad}"
            );
        }
    }
}
