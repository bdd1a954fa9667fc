//! The request as the signature components see it: method, target URI, authority, and the
//! header fields the components name, read within bounds.

use axum::http::{HeaderMap, HeaderValue, Method, Uri};

use super::{SignatureError, MAX_HEADER_LEN};

/// The request as the signature components see it.
pub(super) struct Target {
    /// The method as sent (`POST`).
    pub(super) method: String,
    /// Lower-case scheme.
    pub(super) scheme: String,
    /// `host[:port]`, lower case, without the scheme's default port; `None` if unknown.
    pub(super) authority: Option<String>,
    /// The path as sent, `/` when empty.
    pub(super) path: String,
    pub(super) query: Option<String>,
}

impl Target {
    pub(super) fn from_url(method: &Method, url: &url::Url) -> Result<Target, SignatureError> {
        let host = url
            .host_str()
            .ok_or_else(|| SignatureError::Signing("the URL has no host".into()))?;
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        let path = match url.path() {
            "" => "/".to_owned(),
            p => p.to_owned(),
        };
        Ok(Target {
            method: method.as_str().to_owned(),
            scheme: url.scheme().to_ascii_lowercase(),
            authority: Some(authority.to_ascii_lowercase()),
            path,
            query: url.query().map(str::to_owned),
        })
    }

    pub(super) fn from_request(
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        scheme_hint: &str,
    ) -> Target {
        let scheme = scheme_hint.to_ascii_lowercase();
        let authority = host_value(headers, uri)
            .and_then(|raw| String::from_utf8(raw).ok())
            .map(|raw| normalize_authority(&raw, &scheme));
        let path = match uri.path() {
            "" => "/".to_owned(),
            p => p.to_owned(),
        };
        Target {
            method: method.as_str().to_owned(),
            scheme,
            authority,
            path,
            query: uri.query().map(str::to_owned),
        }
    }

    /// Path, plus `?query` when there is one and `with_query`.
    pub(super) fn path_and_query(&self, with_query: bool) -> String {
        match (&self.query, with_query) {
            (Some(q), true) => format!("{}?{q}", self.path),
            _ => self.path.clone(),
        }
    }

    pub(super) fn target_uri(&self) -> Option<String> {
        let authority = self.authority.as_deref()?;
        Some(format!(
            "{}://{authority}{}",
            self.scheme,
            self.path_and_query(true)
        ))
    }
}

/// RFC 9110 §4.2.3 normalization of an authority: lower case, no default port.
pub(super) fn normalize_authority(raw: &str, scheme: &str) -> String {
    let lower = raw.trim().to_ascii_lowercase();
    let default_port = match scheme {
        "https" => Some(":443"),
        "http" => Some(":80"),
        _ => None,
    };
    match default_port.and_then(|port| lower.strip_suffix(port)) {
        Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
        _ => lower,
    }
}

/// Every field line of `name`, each trimmed, joined with `", "`; `None` when absent.
pub(super) fn field_value(headers: &HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut out = Vec::new();
    for (i, value) in values.enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(value.as_bytes().trim_ascii());
    }
    Some(out)
}

/// The `Host` header, or for HTTP/2 requests without one, the URI authority.
pub(super) fn host_value(headers: &HeaderMap, uri: &Uri) -> Option<Vec<u8>> {
    field_value(headers, "host").or_else(|| uri.authority().map(|a| a.as_str().as_bytes().to_vec()))
}

/// A header read as text for parsing, bounded by [`MAX_HEADER_LEN`]; field lines are joined
/// with `", "`. `None` when absent.
pub(super) fn bounded_text(
    headers: &HeaderMap,
    name: &str,
) -> Result<Option<String>, SignatureError> {
    let Some(raw) = field_value(headers, name) else {
        return Ok(None);
    };
    if raw.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed(format!(
            "the {name} header is longer than {MAX_HEADER_LEN} bytes"
        )));
    }
    String::from_utf8(raw)
        .map(Some)
        .map_err(|_| SignatureError::Malformed(format!("the {name} header is not text")))
}

/// A lower-case HTTP field name (RFC 9110 token).
pub(super) fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
        })
}

pub(super) fn header_value(value: &str) -> Result<HeaderValue, SignatureError> {
    HeaderValue::from_str(value)
        .map_err(|_| SignatureError::Signing("a header value is not valid".into()))
}

/// A key id we can put between quotes: printable ASCII without `"` or `\`.
pub(super) fn check_key_id(key_id: &str) -> Result<(), SignatureError> {
    if key_id.is_empty()
        || !key_id
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        return Err(SignatureError::Signing(
            "the key id must be printable ASCII without quotes or backslashes".into(),
        ));
    }
    Ok(())
}
