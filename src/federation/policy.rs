//! Domain policy: which remote servers this space talks to. An administrator blocks a domain
//! (reject everything from it and send nothing to it), silences it (accept, but hide from
//! public views), or runs the space in allowlist mode (only listed domains federate). A rule for
//! a domain covers its subdomains.

use serde::Serialize;
use sqlx::Row as _;

use crate::error::Result;
use crate::storage::Db;

/// What the policy says about a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Silence,
    Block,
}

/// The host part of `host[:port]`, lower-cased, without a trailing dot.
pub fn normalize_host(host: &str) -> String {
    let h = host.trim().trim_end_matches('.').to_ascii_lowercase();
    match h.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => {
            name.to_string()
        }
        _ => h,
    }
}

/// The host itself and each parent domain: `a.b.example` → `a.b.example`, `b.example`,
/// `example`.
fn candidates(host: &str) -> Vec<String> {
    let mut out = vec![host.to_string()];
    let mut rest = host;
    while let Some((_, parent)) = rest.split_once('.') {
        out.push(parent.to_string());
        rest = parent;
    }
    out
}

/// Decides for a host (`host` or `host:port`).
pub async fn decide(db: &Db, host: &str) -> Result<Decision> {
    let host = normalize_host(host);
    let names = candidates(&host);
    let mut block = false;
    let mut silence = false;
    let mut allow = false;
    for name in &names {
        let row = sqlx::query("SELECT policy FROM domain_policies WHERE domain = $1")
            .bind(name)
            .fetch_optional(db.pool())
            .await?;
        if let Some(row) = row {
            match row.try_get::<String, _>("policy")?.as_str() {
                "block" => block = true,
                "silence" => silence = true,
                "allow" => allow = true,
                _ => {}
            }
        }
    }
    if block {
        return Ok(Decision::Block);
    }
    let allowlist: Option<String> =
        sqlx::query_scalar("SELECT federation_mode FROM space WHERE id = 1")
            .fetch_optional(db.pool())
            .await?;
    if allowlist.as_deref() == Some("allowlist") && !allow {
        return Ok(Decision::Block);
    }
    Ok(if silence {
        Decision::Silence
    } else {
        Decision::Allow
    })
}

/// The host of a URL, normalised, or `None` when it has none.
pub fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(normalize_host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(normalize_host("Alpha.Test:8081"), "alpha.test");
        assert_eq!(normalize_host("example.org."), "example.org");
        assert_eq!(candidates("a.b.example"), vec!["a.b.example", "b.example", "example"]);
        assert_eq!(host_of("https://Mastodon.Example/users/a").as_deref(), Some("mastodon.example"));
        assert_eq!(host_of("nope"), None);
    }
}
