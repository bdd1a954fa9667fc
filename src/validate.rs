//! Validated values shared by several features: handles, e-mail addresses, web links, skill
//! lists and bounded text. Each is built by `parse`, so a value of the type is always valid, and
//! every failure is a message a person can act on, tied to the form field it belongs to.

use serde::Serialize;

/// One message for one field of a form or JSON body.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The messages of a whole form. Empty means valid.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first message for `field`, for display next to it.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Records the error of a parse, returning the value when it succeeded.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// `Ok(())` when empty, so validation can end with `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Names that would collide with routes, well-known accounts or the space itself.
const RESERVED_HANDLES: &[&str] = &[
    "admin",
    "administrator",
    "api",
    "about",
    "space",
    "instance",
    "actor",
    "inbox",
    "outbox",
    "root",
    "system",
    "guildhall",
    "support",
    "help",
    "settings",
    "login",
    "logout",
    "signup",
    "setup",
    "static",
    "media",
    "members",
    "companies",
    "projects",
    "events",
    "directory",
    "well-known",
    "nodeinfo",
    "webfinger",
    "healthz",
    "metrics",
    "postmaster",
    "abuse",
    "webmaster",
    "hostmaster",
    "security",
    "null",
    "undefined",
    "new",
    "edit",
    "followers",
    "following",
    "tags",
];

/// A local handle: 2–30 characters of `a-z`, `0-9` and `_`, starting with a letter.
/// Members and companies share one namespace of handles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Handle(String);

impl Handle {
    pub fn parse(raw: &str) -> Result<Handle, String> {
        let h = raw.trim().trim_start_matches('@').to_ascii_lowercase();
        if h.len() < 2 || h.len() > 30 {
            return Err("must be 2 to 30 characters".into());
        }
        if !h.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err("must start with a letter".into());
        }
        if !h
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err("may contain only letters, digits and _".into());
        }
        if RESERVED_HANDLES.contains(&h.as_str()) {
            return Err("is reserved; choose another".into());
        }
        Ok(Handle(h))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, lower-cased. The check is deliberately shallow (one `@`, a dotted
/// domain, no spaces): only a mail that arrives proves an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let e = raw.trim().to_ascii_lowercase();
        if e.is_empty() {
            return Err("is required".into());
        }
        if e.len() > 254 {
            return Err("is too long".into());
        }
        let Some((local, domain)) = e.split_once('@') else {
            return Err("is not an e-mail address".into());
        };
        let valid = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !e.chars().any(|c| c.is_whitespace() || c.is_control());
        if !valid {
            return Err("is not an e-mail address".into());
        }
        Ok(Email(e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 10 to 256 characters.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, String> {
        let n = raw.chars().count();
        if n < 10 {
            return Err("must be at least 10 characters".into());
        }
        if n > 256 {
            return Err("must be at most 256 characters".into());
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// Trimmed text of at most `max` characters; `required` refuses the empty string.
/// Control characters other than line breaks and tabs are refused.
pub fn text(raw: &str, max: usize, required: bool) -> Result<String, String> {
    let t = raw.trim();
    if required && t.is_empty() {
        return Err("is required".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("contains control characters".into());
    }
    Ok(t.replace("\r\n", "\n"))
}

/// A single line of text (no line breaks).
pub fn line(raw: &str, max: usize, required: bool) -> Result<String, String> {
    let t = text(raw, max, required)?;
    if t.contains('\n') {
        return Err("must be a single line".into());
    }
    Ok(t)
}

/// An optional http(s) URL; the empty string stays empty.
pub fn web_url(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    if t.len() > 500 {
        return Err("must be at most 500 characters".into());
    }
    let parsed = url::Url::parse(t).map_err(|_| "is not a web address (https://…)".to_string())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("must start with https:// or http://".into());
    }
    Ok(parsed.to_string())
}

/// A list of skills from comma-separated text: trimmed, de-duplicated without regard to case,
/// at most 30 of at most 40 characters each, letters, digits, spaces and `+#.-_` only.
pub fn skills(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split(',') {
        let s = part.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            continue;
        }
        if s.chars().count() > 40 {
            return Err(format!(
                "`{}` is longer than 40 characters",
                truncate(&s, 40)
            ));
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || " +#.-_".contains(c))
        {
            return Err(format!(
                "`{s}` may contain only letters, digits, spaces and + # . - _"
            ));
        }
        if !out.iter().any(|o| o.to_lowercase() == s.to_lowercase()) {
            out.push(s);
        }
    }
    if out.len() > 30 {
        return Err("at most 30 skills".into());
    }
    Ok(out)
}

/// A two-letter ISO 3166 country code (upper-cased), or empty.
pub fn country(raw: &str) -> Result<String, String> {
    let t = raw.trim().to_ascii_uppercase();
    if t.is_empty() {
        return Ok(t);
    }
    if t.len() != 2 || !t.chars().all(|c| c.is_ascii_uppercase()) {
        return Err("must be a two-letter country code such as PT or DE".into());
    }
    Ok(t)
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles() {
        assert_eq!(Handle::parse(" @Ada_L ").unwrap().as_str(), "ada_l");
        for bad in ["a", "1abc", "ab-c", "admin", "é", &"x".repeat(31)] {
            assert!(Handle::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ada@Example.ORG ").unwrap().as_str(),
            "ada@example.org"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.org",
            "a@b",
            "a b@c.org",
            "a@@b.org",
            "a@.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("long enough pass").is_ok());
        assert!(NewPassword::parse(&"x".repeat(257)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("secret secret").unwrap()),
            "NewPassword(..)"
        );
    }

    #[test]
    fn skill_lists() {
        assert_eq!(
            skills("Rust, rust , UX design,, C++").unwrap(),
            vec!["Rust", "UX design", "C++"]
        );
        assert!(skills("<script>").is_err());
        assert!(skills(
            &vec!["a"; 31]
                .iter()
                .enumerate()
                .map(|(i, _)| format!("s{i}"))
                .collect::<Vec<_>>()
                .join(",")
        )
        .is_err());
    }

    #[test]
    fn urls_and_text() {
        assert_eq!(web_url("").unwrap(), "");
        assert_eq!(
            web_url("https://example.org").unwrap(),
            "https://example.org/"
        );
        assert!(web_url("javascript:alert(1)").is_err());
        assert!(web_url("ftp://x.org").is_err());
        assert!(text("  ", 10, true).is_err());
        assert!(text("abc\u{0}", 10, false).is_err());
        assert!(line("a\nb", 10, false).is_err());
        assert_eq!(country("pt").unwrap(), "PT");
        assert!(country("Portugal").is_err());
    }
}
