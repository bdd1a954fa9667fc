//! A queued mail as an RFC 5322 message: built by lettre from validated values only (the
//! recipient parsed as an address, the subject and names made one line), multipart text and
//! HTML, each part quoted-printable.

use lettre::message::header::{ContentTransferEncoding, ContentType};
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
    Message::builder()
        .from(from)
        .to(to)
        .subject(one_line(&mail.subject))
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
    }
}
