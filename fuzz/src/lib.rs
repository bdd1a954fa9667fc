//! Helpers shared by the fuzz targets: a request read from bytes, and checks of HTML output.
//! The targets themselves stay thin: each calls one public parser of the server.

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// The clock the signature target checks time windows against, fixed so that every run of an
/// input behaves the same. The seeds are dated within a few minutes of it
/// (`Thu, 28 May 2026 20:26:40 GMT`).
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default()
}

/// An HTTP request as a server receives it.
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Reads a request written as text: `METHOD TARGET`, then `name: value` lines, a blank line and
/// the body. Lines that could not be a header (HTTP refuses them before any handler sees them)
/// are skipped; `None` when the request line is not one.
pub fn request(data: &[u8]) -> Option<Request> {
    let (head, body) = match find(data, b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let first = lines.next()?;
    let space = first.iter().position(|b| *b == b' ')?;
    let method = Method::from_bytes(&first[..space]).ok()?;
    let uri = Uri::try_from(&first[space + 1..]).ok()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    Some(Request {
        method,
        uri,
        headers,
        body: body.to_vec(),
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One start or end tag of serialized HTML.
#[derive(Debug)]
pub struct Tag<'a> {
    pub name: &'a str,
    pub end: bool,
    /// Attribute names and their values as written (entities not decoded).
    pub attributes: Vec<(&'a str, &'a str)>,
}

/// The tags of HTML as a serializer writes it (every attribute value in double quotes, no
/// comments), and the text between them. `Err` when a `<` starts nothing a serializer writes,
/// which is what matters: a stray `<` in text would be markup to a browser.
pub fn tags(html: &str) -> Result<(Vec<Tag<'_>>, String), String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        rest = &rest[open + 1..];
        let end = rest.starts_with('/');
        if end {
            rest = &rest[1..];
        }
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .ok_or_else(|| format!("an unfinished tag in {html:?}"))?;
        if name_len == 0 {
            return Err(format!("a `<` that opens no tag in {html:?}"));
        }
        let name = &rest[..name_len];
        rest = &rest[name_len..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start_matches(' ');
            if let Some(after) = rest.strip_prefix('>') {
                rest = after;
                break;
            }
            if end {
                return Err(format!("an end tag with attributes in {html:?}"));
            }
            let eq = rest
                .find("=\"")
                .ok_or_else(|| format!("an attribute without a quoted value in {html:?}"))?;
            let attr = &rest[..eq];
            if attr.is_empty() || attr.contains([' ', '>', '"', '<', '\'']) {
                return Err(format!("a bad attribute name {attr:?} in {html:?}"));
            }
            rest = &rest[eq + 2..];
            let close = rest
                .find('"')
                .ok_or_else(|| format!("an unterminated attribute in {html:?}"))?;
            attributes.push((attr, &rest[..close]));
            rest = &rest[close + 1..];
        }
        out.push(Tag {
            name,
            end,
            attributes,
        });
    }
    text.push_str(rest);
    Ok((out, text))
}

/// Text or an attribute value with the entities a serializer writes decoded.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// The scheme a browser would give `href` (after decoding entities and dropping what the URL
/// parser ignores: leading spaces and controls, tabs and line breaks), lower case; `None` for a
/// relative reference (no `:` after a run of scheme characters that starts with a letter).
pub fn href_scheme(href: &str) -> Option<String> {
    let decoded = unescape(href);
    let cleaned: String = decoded
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let scheme_len = cleaned
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .unwrap_or(cleaned.len());
    let scheme = &cleaned[..scheme_len];
    let starts_with_letter = scheme.starts_with(|c: char| c.is_ascii_alphabetic());
    (starts_with_letter && cleaned[scheme_len..].starts_with(':'))
        .then(|| scheme.to_ascii_lowercase())
}

/// `html` with the line breaks that open a `<pre>` removed. The HTML parser drops the first one
/// and the serializer does not write it back, so each parse and serialization of
/// `<pre>\n\nx` loses one: whitespace only, and the one way sanitised HTML may still change when
/// sanitised again.
pub fn pre_newlines_dropped(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<pre") {
        let Some(close) = rest[at..].find('>') else {
            break;
        };
        let end = at + close + 1;
        out.push_str(&rest[..end]);
        rest = rest[end..].trim_start_matches('\n');
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read() {
        let r = request(b"POST /inbox?a=1\nhost: a.example\nx-bad\ndate: now\n\n{}").unwrap();
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.uri.query(), Some("a=1"));
        assert_eq!(r.headers.len(), 2);
        assert_eq!(r.body, b"{}");
        assert!(request(b"no-space").is_none());
    }

    #[test]
    fn tags_and_schemes() {
        let (tags, text) = tags("<p>a &lt; b<a href=\"x\" rel=\"y\">c</a></p>").unwrap();
        assert_eq!(tags.len(), 4);
        assert_eq!(tags[1].attributes, vec![("href", "x"), ("rel", "y")]);
        assert_eq!(text, "a &lt; bc");
        assert!(super::tags("a < b").is_err());
        assert_eq!(
            href_scheme(" Java\tScript:x").as_deref(),
            Some("javascript")
        );
        assert_eq!(href_scheme("/a:b"), None);
        assert_eq!(href_scheme(" jav\tascripy&gt;y:"), None);
        assert_eq!(href_scheme("1a:b"), None);
        assert_eq!(
            pre_newlines_dropped("<pre lang=\"en\">\n\nx\n</pre><pre>\ny"),
            "<pre lang=\"en\">x\n</pre><pre>y"
        );
        assert_eq!(href_scheme("https://a.example").as_deref(), Some("https"));
    }
}
