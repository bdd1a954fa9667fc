//! Turning our plain text and markdown into the small HTML that ActivityPub `summary` and
//! `content` carry.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, TextMergeStream};

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

/// Markdown (CommonMark with strikethrough) as sanitised HTML: raw HTML in it is shown as
/// text, pictures become links, a single line break stays a line break, and the result goes
/// through the sanitiser (links http(s) only).
pub fn markdown(source: &str) -> String {
    markdown_with(source, |text, out| out.push_str(&escape(text)))
}

/// [`markdown`], with `text` writing the HTML of each run of text outside code and links
/// (where posts mark up mentions, hashtags and bare links).
pub fn markdown_with(source: &str, mut text: impl FnMut(&str, &mut String)) -> String {
    let source = source.replace("\r\n", "\n");
    let mut plain_depth = 0usize;
    let events = TextMergeStream::new(Parser::new_ext(&source, Options::ENABLE_STRIKETHROUGH)).map(
        |event| match event {
            Event::Start(Tag::CodeBlock(_) | Tag::Link { .. }) => {
                plain_depth += 1;
                event
            }
            Event::End(TagEnd::CodeBlock | TagEnd::Link) => {
                plain_depth = plain_depth.saturating_sub(1);
                event
            }
            // A picture in the text is a link to it, never an <img> that loads by itself.
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                plain_depth += 1;
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Image) => {
                plain_depth = plain_depth.saturating_sub(1);
                Event::End(TagEnd::Link)
            }
            Event::Text(t) if plain_depth == 0 => {
                let mut out = String::new();
                text(&t, &mut out);
                Event::InlineHtml(out.into())
            }
            // Raw HTML is shown as written, escaped.
            Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
            Event::SoftBreak => Event::HardBreak,
            other => other,
        },
    );
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    crate::federation::remote::sanitize_html(html.trim_end())
}

#[cfg(test)]
mod markdown_tests {
    use super::markdown;

    #[test]
    fn renders_commonmark() {
        assert_eq!(
            markdown("# Plan\n\n**bold** and *em*, `code`\nnext\n\n- one\n- two"),
            "<h1>Plan</h1>\n<p><strong>bold</strong> and <em>em</em>, <code>code</code><br>\nnext</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
        );
        assert!(markdown("[site](https://x.example/a)").contains(
            "<a href=\"https://x.example/a\" rel=\"nofollow noopener noreferrer\">site</a>"
        ));
    }

    #[test]
    fn raw_html_and_bad_links_do_not_pass() {
        let html = markdown(
            "<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![p](https://x.example/p.png)\n\n<a href=\"javascript:x\">y</a>",
        );
        // Raw HTML stays text: shown escaped, never markup.
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<a href=\"javascript"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(
            html.contains("<a rel=\"nofollow noopener noreferrer\">x</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://x.example/p.png\""),
            "{html}"
        );
    }
}
