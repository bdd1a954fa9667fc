//! Turning our plain text into the small HTML that ActivityPub `summary` and `content` carry.

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

/// Plain text as paragraphs: blank lines separate paragraphs, single line breaks become `<br>`.
pub fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

/// A link as Mastodon shows profile field values.
pub fn link(url: &str) -> String {
    let shown = url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    format!(
        "<a href=\"{}\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">{}</a>",
        escape(url),
        escape(shown)
    )
}

/// A skill as a hashtag name: words joined in CamelCase, only letters and digits (`UX design` →
/// `#UXDesign`). Empty when nothing usable is left.
pub fn hashtag(skill: &str) -> String {
    let mut out = String::new();
    for word in skill.split(|c: char| !c.is_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            // The first word keeps its case; later words are capitalised to stay readable.
            if out.is_empty() {
                out.push(first);
            } else {
                out.extend(first.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() {
        out
    } else {
        format!("#{out}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_to_html() {
        assert_eq!(
            paragraphs("a <b>\nc\n\nd"),
            "<p>a &lt;b&gt;<br>c</p><p>d</p>"
        );
        assert_eq!(paragraphs("  "), "");
        assert_eq!(
            link("https://ada.example/"),
            "<a href=\"https://ada.example/\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">ada.example</a>"
        );
        assert_eq!(hashtag("UX design"), "#UXDesign");
        assert_eq!(hashtag("C++"), "#C");
        assert_eq!(hashtag("rust"), "#rust");
        assert_eq!(hashtag("data engineering"), "#dataEngineering");
        assert_eq!(hashtag("++"), "");
    }
}
