//! The spaces this one knows: added by an administrator (page, API, `guildhall admin peer
//! add`), learnt when a member follows someone there, or found in a peer's own peer list.

use serde::Deserialize;

use super::store::{self, Peer};
use crate::error::{Error, Result};
use crate::federation::policy::{self, Decision, DomainName};
use crate::state::AppState;
use crate::storage::{now_ms, Db};
use crate::validate::FieldErrors;

/// A peer's name: a domain, with a port only in development (where spaces on one machine
/// differ by port). An address pasted whole (`https://space.example/`) is taken by its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerDomain(String);

impl PeerDomain {
    pub fn parse(raw: &str, dev: bool) -> Result<PeerDomain, String> {
        let t = raw.trim();
        let t = t
            .strip_prefix("https://")
            .or_else(|| t.strip_prefix("http://"))
            .unwrap_or(t);
        let t = t.strip_suffix('/').unwrap_or(t);
        let (host, port) = match t.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => {
                if !dev {
                    return Err("must be a domain name without a port".into());
                }
                let port: u16 = p
                    .parse()
                    .map_err(|_| "has an impossible port".to_string())?;
                (h, Some(port))
            }
            _ => (t, None),
        };
        let name = DomainName::parse(host)?;
        Ok(PeerDomain(match port {
            Some(p) => format!("{name}:{p}"),
            None => name.to_string(),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PeerForm {
    #[serde(default)]
    pub domain: String,
}

/// An administrator adds a peer; the sync task is woken to pull it at once.
pub async fn add(state: &AppState, raw: &str) -> Result<(Peer, bool)> {
    let domain = PeerDomain::parse(raw, state.config.dev_http)
        .map_err(|m| Error::Invalid(FieldErrors::single("domain", m)))?;
    let own = crate::federation::urls::Urls::new(&state.config);
    if domain.as_str() == own.domain() {
        return Err(Error::invalid("domain", "is this space itself"));
    }
    if policy::decide(&state.db, domain.as_str()).await? == Decision::Block {
        return Err(Error::invalid(
            "domain",
            "is blocked by this space's domain rules",
        ));
    }
    let created = store::add_peer(&state.db, domain.as_str(), "admin", 0, now_ms()).await?;
    state.directory.sync_wakeup.notify_one();
    let peer = store::peer(&state.db, domain.as_str())
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("peer vanished after insert")))?;
    Ok((peer, created))
}

/// How long adding a peer waits for its first pull before it reports.
const CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Pulls a peer at once (NodeInfo, then its directory) and returns it as it is afterwards:
/// `state` is `"error"` with `last_error` when it could not be reached or read.
pub async fn check(state: &AppState, domain: &str) -> Result<Peer> {
    let peer = store::peer(&state.db, domain)
        .await?
        .ok_or(Error::NotFound)?;
    let deadline = std::time::Instant::now() + CHECK_BUDGET;
    super::sync::sync_peer(state, &peer, deadline).await?;
    store::peer(&state.db, domain).await?.ok_or(Error::NotFound)
}

/// Adds a peer from the command line (no running server to wake: the next round pulls it).
pub async fn add_offline(db: &Db, own_domain: &str, dev: bool, raw: &str) -> Result<bool> {
    let domain = PeerDomain::parse(raw, dev)
        .map_err(|m| Error::Invalid(FieldErrors::single("domain", m)))?;
    if domain.as_str() == own_domain {
        return Err(Error::invalid("domain", "is this space itself"));
    }
    if policy::decide(db, domain.as_str()).await? == Decision::Block {
        return Err(Error::invalid(
            "domain",
            "is blocked by this space's domain rules",
        ));
    }
    store::add_peer(db, domain.as_str(), "admin", 0, now_ms()).await
}

/// Removes a peer and the entries it brought.
pub async fn remove(db: &Db, raw: &str) -> Result<()> {
    let domain = raw.trim().to_ascii_lowercase();
    if store::remove_peer(db, &domain, now_ms()).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// A member followed someone at `authority`: the space there becomes known.
pub async fn learn_from_follow(state: &AppState, authority: &str) {
    let Ok(domain) = PeerDomain::parse(authority, state.config.dev_http) else {
        return;
    };
    match store::add_peer(&state.db, domain.as_str(), "follow", 1, now_ms()).await {
        Ok(true) => {
            tracing::info!(peer = domain.as_str(), "space learnt from a follow");
            state.directory.sync_wakeup.notify_one();
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not record a peer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_domains() {
        assert_eq!(
            PeerDomain::parse("https://Space.Example/", false)
                .unwrap()
                .as_str(),
            "space.example"
        );
        assert!(PeerDomain::parse("space.example:8080", false).is_err());
        assert_eq!(
            PeerDomain::parse("alpha.test:8080", true).unwrap().as_str(),
            "alpha.test:8080"
        );
        assert!(PeerDomain::parse("not a domain", true).is_err());
        assert!(PeerDomain::parse("ada@space.example", true).is_err());
    }
}
