//! Turning what a member typed (markdown) into a post's HTML: paragraphs and line breaks, links, hashtags
//! (`#rust` → a link to `/tags/rust`) and mentions (`@ada`, `@ada@harbour.example` → a link to
//! the actor, as Mastodon marks them up). Pure functions; the caller resolves mentions first.

use std::collections::HashMap;

use crate::federation::html::escape;

/// A mention as written: `name` and, for another server, `host`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MentionText {
    pub name: String,
    pub host: Option<String>,
}

impl MentionText {
    /// `@name` or `@name@host`, as written (lower case).
    pub fn written(&self) -> String {
        match &self.host {
            Some(h) => format!("@{}@{}", self.name, h),
            None => format!("@{}", self.name),
        }
    }
}

/// A mention that names a real actor.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub uri: String,
    /// Where the link goes (the actor's page).
    pub url: String,
    /// `@name@host`, for the `tag` entry.
    pub full: String,
}

enum Token<'a> {
    Text(&'a str),
    Mention(MentionText, &'a str),
    Tag(String, &'a str),
    Link(&'a str),
}

/// Most mentions one post may resolve (each may cost a WebFinger lookup).
pub const MAX_MENTIONS: usize = 10;

/// The mentions written in `text`, in order, without repeats.
pub fn mentions(text: &str) -> Vec<MentionText> {
    let mut out: Vec<MentionText> = Vec::new();
    for word in text.split_whitespace() {
        if let Token::Mention(m, _) = classify(word).0 {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out.truncate(MAX_MENTIONS);
    out
}

/// The hashtags written in `text`, lower case, without `#`, without repeats.
pub fn hashtags(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        if let Token::Tag(t, _) = classify(word).0 {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out.truncate(30);
    out
}

/// The HTML of `text`, written in markdown (CommonMark: paragraphs at blank lines, a line
/// break kept as `<br>`, emphasis, lists, code, links; raw HTML shown as text), with links,
/// tags and the mentions found in `resolved` (keyed by [`MentionText::written`]) marked up in
/// its text; sanitised.
pub fn render(text: &str, resolved: &HashMap<String, Resolved>, tag_base: &str) -> String {
    crate::federation::html::markdown_with(text, |line, out| {
        render_line(line, resolved, tag_base, out)
    })
}

fn render_line(line: &str, resolved: &HashMap<String, Resolved>, tag_base: &str, out: &mut String) {
    // Keep the spacing as written: walk words and the gaps between them.
    let mut rest = line;
    while !rest.is_empty() {
        let gap = rest.len() - rest.trim_start().len();
        out.push_str(&escape(&rest[..gap]));
        rest = &rest[gap..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        if word.is_empty() {
            continue;
        }
        let (token, trailing) = classify(word);
        match token {
            Token::Text(t) => out.push_str(&escape(t)),
            Token::Mention(m, raw) => match resolved.get(&m.written()) {
                Some(r) => out.push_str(&format!(
                    "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                    escape(&r.url),
                    escape(&m.name)
                )),
                None => out.push_str(&escape(raw)),
            },
            Token::Tag(t, raw) => out.push_str(&format!(
                "<a href=\"{}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                escape(tag_base),
                escape(&t),
                escape(raw.trim_start_matches('#'))
            )),
            Token::Link(url) => out.push_str(&format!(
                "<a href=\"{0}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{0}</a>",
                escape(url)
            )),
        }
        out.push_str(&escape(trailing));
    }
}

/// What one whitespace-free word is, and the punctuation after it.
fn classify(word: &str) -> (Token<'_>, &str) {
    let core = word.trim_end_matches(|c: char| ".,;:!?)\"'".contains(c));
    let trailing = &word[core.len()..];
    if core.starts_with("https://") || core.starts_with("http://") {
        if core.len() > 8 && core.len() < 2000 && !core.contains(['<', '>', '"']) {
            return (Token::Link(core), trailing);
        }
        return (Token::Text(word), "");
    }
    if let Some(tag) = core.strip_prefix('#') {
        if !tag.is_empty()
            && tag.chars().count() <= 100
            && tag.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !tag.chars().all(|c| c.is_ascii_digit())
        {
            return (Token::Tag(tag.to_lowercase(), core), trailing);
        }
    }
    if let Some(m) = core.strip_prefix('@') {
        let (name, host) = match m.split_once('@') {
            Some((n, h)) => (n, Some(h)),
            None => (m, None),
        };
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
        let host_ok = host.is_none_or(|h| {
            !h.is_empty()
                && h.len() <= 253
                && h.contains('.')
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        });
        if name_ok && host_ok {
            return (
                Token::Mention(
                    MentionText {
                        name: name.to_ascii_lowercase(),
                        host: host.map(str::to_ascii_lowercase),
                    },
                    core,
                ),
                trailing,
            );
        }
    }
    (Token::Text(word), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved() -> HashMap<String, Resolved> {
        let mut m = HashMap::new();
        m.insert(
            "@bob@beta.example".to_string(),
            Resolved {
                uri: "https://beta.example/members/bob".into(),
                url: "https://beta.example/members/bob".into(),
                full: "@bob@beta.example".into(),
            },
        );
        m
    }

    #[test]
    fn finds_mentions_and_tags() {
        let text = "Hi @Bob@beta.example and @ada, see #Rust #rust #2024 and #a_b. Mail x@y.z";
        assert_eq!(
            mentions(text),
            vec![
                MentionText {
                    name: "bob".into(),
                    host: Some("beta.example".into())
                },
                MentionText {
                    name: "ada".into(),
                    host: None
                },
            ]
        );
        assert_eq!(hashtags(text), vec!["rust".to_string(), "a_b".to_string()]);
    }

    #[test]
    fn renders_escaped_html() {
        let html = render(
            "Hi @bob@beta.example, <b>x</b> & #Rust!\nnext line\n\nhttps://x.example/a?b=1&c=2.",
            &resolved(),
            "https://alpha.example",
        );
        assert_eq!(
            html,
            "<p>Hi <span class=\"h-card\"><a href=\"https://beta.example/members/bob\" class=\"u-url mention\" rel=\"nofollow noopener noreferrer\">@<span>bob</span></a></span>, \
             &lt;b&gt;x&lt;/b&gt; &amp; <a href=\"https://alpha.example/tags/rust\" class=\"mention hashtag\" rel=\"nofollow noopener noreferrer\">#<span>Rust</span></a>!\
             <br>\nnext line</p>\n<p><a href=\"https://x.example/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\">https://x.example/a?b=1&amp;c=2</a>.</p>"
        );
        // Markdown around them; code and links are left alone.
        let html = render(
            "**@bob@beta.example** wrote `#notatag` in [a #link](https://x.example)",
            &resolved(),
            "https://alpha.example",
        );
        assert!(
            html.starts_with("<p><strong><span class=\"h-card\">"),
            "{html}"
        );
        assert!(html.contains("<code>#notatag</code>"), "{html}");
        assert!(html.contains(">a #link</a>"), "{html}");
        // An unresolved mention stays text.
        assert_eq!(
            render("@nobody@nowhere.example", &HashMap::new(), ""),
            "<p>@nobody@nowhere.example</p>"
        );
        assert_eq!(render("  \n\n ", &HashMap::new(), ""), "");
    }

    #[test]
    fn hostile_words_stay_text() {
        let html = render(
            "@\"><script>@x.y #<img> https://\"onload=",
            &HashMap::new(),
            "",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }
}
