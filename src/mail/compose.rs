//! What a mail says, rendered once as plain text and as HTML (escaped), with the space's name in
//! the greeting line and the footer, and an unsubscribe link when the mail is a notification.

/// A mail before rendering: a subject, paragraphs of plain text, an optional button link and an
/// optional unsubscribe link.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// The one thing to do: a label and an absolute URL.
    pub action: Option<(String, String)>,
    /// An absolute URL that stops this kind of mail without signing in.
    pub unsubscribe: Option<String>,
    /// The RFC 8058 one-click URL of the `List-Unsubscribe` header (a POST stops the mail).
    pub list_unsubscribe: Option<String>,
}

/// A rendered mail, as the queue keeps it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The `List-Unsubscribe` URL, when the mail is a notification.
    pub list_unsubscribe: Option<String>,
}

impl Letter {
    pub fn new(subject: impl Into<String>) -> Self {
        Letter {
            subject: subject.into(),
            ..Letter::default()
        }
    }

    pub fn paragraph(mut self, text: impl Into<String>) -> Self {
        self.paragraphs.push(text.into());
        self
    }

    pub fn action(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.action = Some((label.into(), url.into()));
        self
    }

    pub fn unsubscribe(mut self, url: impl Into<String>) -> Self {
        self.unsubscribe = Some(url.into());
        self
    }

    pub fn list_unsubscribe(mut self, url: impl Into<String>) -> Self {
        self.list_unsubscribe = Some(url.into());
        self
    }

    /// Text and HTML bodies; the subject is made one line (header values never carry a break).
    pub fn render(&self, space: &str) -> Rendered {
        let space = super::message::one_line(space);
        let mut text = String::new();
        let mut html = String::from(
            "<!DOCTYPE html><html><body style=\"font-family: sans-serif; line-height: 1.5\">",
        );
        for p in &self.paragraphs {
            text.push_str(p);
            text.push_str("\n\n");
            html.push_str(&format!("<p>{}</p>", escape(p).replace('\n', "<br>")));
        }
        if let Some((label, url)) = &self.action {
            text.push_str(&format!("{label}:\n{url}\n\n"));
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p><p style=\"font-size: small\">{}</p>",
                escape(url),
                escape(label),
                escape(url)
            ));
        }
        text.push_str(&format!("-- \n{space}\n"));
        html.push_str(&format!(
            "<hr><p style=\"font-size: small\">{}</p>",
            escape(&space)
        ));
        if let Some(url) = &self.unsubscribe {
            text.push_str(&format!("Stop these mails: {url}\n"));
            html.push_str(&format!(
                "<p style=\"font-size: small\"><a href=\"{}\">Stop these mails</a></p>",
                escape(url)
            ));
        }
        html.push_str("</body></html>");
        Rendered {
            subject: super::message::one_line(&self.subject),
            text,
            html,
            list_unsubscribe: self.list_unsubscribe.clone(),
        }
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_text_and_escaped_html() {
        let r = Letter::new("Hello\r\nBcc: x@evil.example")
            .paragraph("<b>Ada</b> & co")
            .action("Open", "https://s.example/a?x=1&y=2")
            .unsubscribe("https://s.example/u?token=t")
            .render("Our <Space>\n");
        assert_eq!(r.subject, "Hello Bcc: x@evil.example");
        assert!(r.text.contains("<b>Ada</b> & co") && r.text.contains("Our <Space>"));
        assert!(r.text.contains("https://s.example/u?token=t"));
        assert!(r.html.contains("&lt;b&gt;Ada&lt;/b&gt; &amp; co"));
        assert!(r.html.contains("href=\"https://s.example/a?x=1&amp;y=2\""));
        assert!(!r.html.contains("<Space>"));
    }
}
