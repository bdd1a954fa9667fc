//! Addresses taken from other servers' documents. Every URL Guildhall stores, links or fetches
//! on a remote server's word is first parsed into a [`RemoteUrl`]: an absolute `https` address
//! (plain `http` too in development mode) with a host and no user name or password. A page links
//! only a `RemoteUrl` or one of this server's own paths ([`Href`]), so a `javascript:`, `data:`
//! or `file:` address from a hostile document cannot reach an `href` or a `src`.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;
use url::Url;

/// The longest address accepted from another server, in bytes.
pub const MAX_URL_LEN: usize = 2000;

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("is empty")]
    Empty,
    #[error("is longer than {MAX_URL_LEN} bytes")]
    TooLong,
    #[error("contains spaces, control characters or backslashes")]
    Characters,
    #[error("is not an https address")]
    Scheme,
    #[error("is not a valid address")]
    Malformed,
    #[error("has no host")]
    NoHost,
    #[error("carries a user name or password")]
    Userinfo,
}

/// An absolute `https` (or, where allowed, `http`) URL with a host, as another server wrote it.
///
/// The string is kept exactly as received (ids are compared as strings across the network);
/// it is accepted only when it is already in a form every URL parser reads the same way: it
/// starts with `https://` or `http://` (in any case), and holds no white space, control
/// character or backslash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemoteUrl {
    raw: String,
    /// `host` or `host:port` (when the port is not the scheme's default), lower-cased.
    authority: String,
    /// Where the host ends in `authority` (IDNs are in their ASCII form there).
    host_len: usize,
}

impl RemoteUrl {
    /// Parses an address from a remote document. `allow_http` admits plain `http` besides
    /// `https`: pass the configuration's `dev_http` for what arrives, see [`RemoteUrl::stored`]
    /// for what was stored before.
    pub fn parse(raw: &str, allow_http: bool) -> Result<RemoteUrl, LinkError> {
        if raw.is_empty() {
            return Err(LinkError::Empty);
        }
        if raw.len() > MAX_URL_LEN {
            return Err(LinkError::TooLong);
        }
        if raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
        {
            return Err(LinkError::Characters);
        }
        let prefix = |p: &str| {
            raw.get(..p.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(p))
        };
        if !(prefix("https://") || allow_http && prefix("http://")) {
            return Err(LinkError::Scheme);
        }
        let url = Url::parse(raw).map_err(|_| LinkError::Malformed)?;
        // The prefix decided it already; this only restates it for the parsed value.
        if !matches!(url.scheme(), "https" | "http") {
            return Err(LinkError::Scheme);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(LinkError::Userinfo);
        }
        let host = url
            .host_str()
            .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .ok_or(LinkError::NoHost)?;
        let host_len = host.len();
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        Ok(RemoteUrl {
            raw: raw.to_string(),
            authority,
            host_len,
        })
    }

    /// Re-checks an address read back from the database before a page links it: rows written
    /// before these rules (or by a development instance) must not put a `javascript:` link on a
    /// page. Plain `http` is admitted here, since it cannot run anything. `None` when it fails.
    pub fn stored(raw: &str) -> Option<RemoteUrl> {
        RemoteUrl::parse(raw, true).ok()
    }

    /// The address exactly as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    pub fn into_string(self) -> String {
        self.raw
    }

    /// `host` or `host:port`, lower-cased: what names one server.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The host without a port, lower-cased.
    pub fn host(&self) -> &str {
        &self.authority[..self.host_len]
    }
}

impl fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl AsRef<str> for RemoteUrl {
    fn as_ref(&self) -> &str {
        &self.raw
    }
}

impl Serialize for RemoteUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

/// The first acceptable address in a document's `url` (or `href`) field: a string, a `Link`
/// object (its `href`), an object with an `id`, or a list of these (at most ten are read).
/// What is refused is skipped.
pub fn url_in(v: &Value, allow_http: bool) -> Option<RemoteUrl> {
    match v {
        Value::String(s) => RemoteUrl::parse(s, allow_http).ok(),
        Value::Object(o) => o
            .get("href")
            .or_else(|| o.get("id"))
            .and_then(Value::as_str)
            .and_then(|s| RemoteUrl::parse(s, allow_http).ok()),
        Value::Array(items) => items
            .iter()
            .take(10)
            .filter(|i| !i.is_array())
            .find_map(|i| url_in(i, allow_http)),
        _ => None,
    }
}

/// Where a page may link: a path on this server, or a checked remote address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Href {
    Local(String),
    Remote(RemoteUrl),
}

impl Href {
    /// A path on this server: one `/`, then anything but a second `/` or a `\` (which browsers
    /// would read as another host), and no white space or control character.
    pub fn local(path: impl Into<String>) -> Option<Href> {
        let path = path.into();
        let mut chars = path.chars();
        let ok = chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !path.chars().any(|c| c.is_whitespace() || c.is_control());
        ok.then_some(Href::Local(path))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Href::Local(p) => p,
            Href::Remote(u) => u.as_str(),
        }
    }

    pub fn is_local(&self) -> bool {
        matches!(self, Href::Local(_))
    }
}

impl From<RemoteUrl> for Href {
    fn from(u: RemoteUrl) -> Self {
        Href::Remote(u)
    }
}

impl fmt::Display for Href {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Href {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, http: bool) -> RemoteUrl {
        RemoteUrl::parse(raw, http).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    fn refused(raw: &str, http: bool) -> LinkError {
        match RemoteUrl::parse(raw, http) {
            Ok(u) => panic!("{raw} was accepted as {u}"),
            Err(e) => e,
        }
    }

    #[test]
    fn https_with_a_host_is_kept_as_written() {
        let u = ok("https://Social.Example/users/ann?x=1#main", false);
        assert_eq!(u.as_str(), "https://Social.Example/users/ann?x=1#main");
        assert_eq!(u.to_string(), u.as_str());
        assert_eq!(u.authority(), "social.example");
        assert_eq!(u.host(), "social.example");
        let port = ok("https://a.example:8443/x", false);
        assert_eq!(port.authority(), "a.example:8443");
        assert_eq!(port.host(), "a.example");
        assert_eq!(
            ok("https://a.example:443/x", false).authority(),
            "a.example"
        );
        assert_eq!(ok("https://a.example./x", false).authority(), "a.example");
        assert_eq!(ok("HTTPS://A.EXAMPLE/", false).authority(), "a.example");
        assert_eq!(ok("https://[2001:db8::1]/x", false).host(), "[2001:db8::1]");
        assert_eq!(
            serde_json::to_string(&ok("https://a.example/x", false)).unwrap(),
            "\"https://a.example/x\""
        );
    }

    #[test]
    fn script_and_local_schemes_are_refused_in_any_case() {
        for raw in [
            "javascript:alert(1)",
            "javascript://evil.example/%0aalert(document.domain)//",
            "JaVaScRiPt://evil.example/%0aalert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "data://evil.example/x",
            "vbscript:msgbox(1)",
            "vbscript://evil.example/x",
            "file:///etc/passwd",
            "file://evil.example/x",
            "ftp://evil.example/x",
            "blob:https://evil.example/1",
            "//evil.example/x",
            "/local/path",
            "evil.example/x",
            "https:evil.example/x",
            "https:/evil.example/x",
        ] {
            assert_eq!(refused(raw, true), LinkError::Scheme, "{raw}");
        }
    }

    #[test]
    fn http_only_in_development() {
        assert_eq!(refused("http://a.example/x", false), LinkError::Scheme);
        assert_eq!(refused("HTTP://a.example/x", false), LinkError::Scheme);
        assert_eq!(
            ok("http://a.example:8080/x", true).authority(),
            "a.example:8080"
        );
        assert!(RemoteUrl::stored("http://a.example/x").is_some());
        assert!(RemoteUrl::stored("javascript://a.example/x").is_none());
    }

    #[test]
    fn whitespace_and_control_characters_are_refused() {
        for raw in [
            " https://a.example/x",
            "https://a.example/x ",
            "\thttps://a.example/x",
            "https://a.example/x\n",
            "java\tscript://a.example/x",
            "https://a.example/\u{0}x",
            "https://a.example/\u{7f}",
            "https://a.example/\u{85}x",
            "https://a.example/\u{a0}x",
            "https://a.example/\u{2028}x",
            "\u{1}javascript:alert(1)",
            "https://a.example\\@b.example/",
        ] {
            assert_eq!(refused(raw, true), LinkError::Characters, "{raw:?}");
        }
        assert_eq!(refused("", true), LinkError::Empty);
    }

    #[test]
    fn hosts_and_credentials() {
        assert_eq!(
            refused("https://ann:pw@a.example/", true),
            LinkError::Userinfo
        );
        assert_eq!(refused("https://ann@a.example/", true), LinkError::Userinfo);
        assert_eq!(refused("https://:pw@a.example/", true), LinkError::Userinfo);
        // As browsers read it: extra slashes after a web scheme are skipped.
        assert_eq!(ok("https:///x", true).authority(), "x");
        assert_eq!(refused("https://", true), LinkError::Malformed);
        assert_eq!(
            refused("https://a.example:99999/", true),
            LinkError::Malformed
        );
        assert_eq!(refused("https://a b.example/", true), LinkError::Characters);
        assert_eq!(refused("https://[::1/", true), LinkError::Malformed);
    }

    #[test]
    fn international_names_are_compared_in_ascii() {
        let u = ok("https://bücher.example/ann", false);
        assert_eq!(u.as_str(), "https://bücher.example/ann");
        assert_eq!(u.authority(), "xn--bcher-kva.example");
        assert_eq!(
            ok("https://xn--bcher-kva.example/ann", false).authority(),
            u.authority()
        );
        assert_eq!(
            ok("https://BÜCHER.example/", false).authority(),
            u.authority()
        );
    }

    #[test]
    fn length_is_bounded() {
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_LEN));
        assert_eq!(refused(&long, false), LinkError::TooLong);
        let fits = format!("https://a.example/{}", "x".repeat(MAX_URL_LEN - 18));
        assert_eq!(fits.len(), MAX_URL_LEN);
        ok(&fits, false);
    }

    #[test]
    fn url_fields_in_their_shapes() {
        use serde_json::json;
        let u = |v: Value| url_in(&v, false).map(RemoteUrl::into_string);
        assert_eq!(
            u(json!("https://a.example/x")).as_deref(),
            Some("https://a.example/x")
        );
        assert_eq!(
            u(json!({"type": "Link", "href": "https://a.example/l"})).as_deref(),
            Some("https://a.example/l")
        );
        assert_eq!(
            u(json!(["javascript:alert(1)", {"href": "data:text/html,x"}, {"href": "https://a.example/ok"}])).as_deref(),
            Some("https://a.example/ok")
        );
        assert_eq!(u(json!("javascript://a.example/x")), None);
        assert_eq!(u(json!(7)), None);
        assert_eq!(u(json!([[["https://a.example/deep"]]])), None);
    }

    #[test]
    fn local_paths() {
        assert_eq!(
            Href::local("/members/ann").unwrap().as_str(),
            "/members/ann"
        );
        assert!(Href::local("/").is_some());
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "members/ann",
            "",
            "/a b",
            "/\tx",
            "javascript:x",
        ] {
            assert!(Href::local(bad).is_none(), "{bad:?}");
        }
        let remote: Href = ok("https://a.example/x", false).into();
        assert!(!remote.is_local());
        assert_eq!(remote.to_string(), "https://a.example/x");
    }
}
