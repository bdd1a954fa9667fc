//! Reading and writing cookies; small enough not to need a crate.

use axum::http::{header, HeaderMap};

/// The value of cookie `name` in the request, if present.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value. `value` must already be cookie-safe (the callers pass base64url).
pub fn build(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    secure: bool,
    http_only: bool,
) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_and_builds() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; gh_session=xyz ; b=2"),
        );
        assert_eq!(get(&h, "gh_session").as_deref(), Some("xyz"));
        assert_eq!(get(&h, "missing"), None);
        let c = build("gh_session", "v", Some(10), true, true);
        assert_eq!(
            c,
            "gh_session=v; Path=/; SameSite=Lax; Max-Age=10; Secure; HttpOnly"
        );
    }
}
