//! Storing pulled entries (within each peer's bounds) and removing them: one peer's, one
//! blocked domain's, or one entry.

use super::parse::Listed;
use crate::directory::store;
use crate::error::Result;
use crate::federation::policy::DomainName;
use crate::state::AppState;
use crate::storage::{now_ms, Db, Tx};

/// What applying an entry did.
#[derive(Debug, PartialEq)]
pub enum Applied {
    Written,
    Unchanged,
    Removed,
    Full,
    Refused(&'static str),
}

/// Stores (or removes, when it no longer wants to be listed) an entry from `origin`.
pub async fn apply(state: &AppState, origin: &str, listed: Listed, now: i64) -> Result<Applied> {
    apply_capped(state, origin, listed, now, false).await
}

pub(super) async fn apply_capped(
    state: &AppState,
    origin: &str,
    listed: Listed,
    now: i64,
    at_cap: bool,
) -> Result<Applied> {
    let d = listed.draft;
    // A remote actor the moderators limited or suspended stays out while the limit lasts.
    let limited = crate::moderation::blocks::limit_of(state, d.uri.as_str())
        .await?
        .is_some();
    let mut tx = state.db.begin_write().await?;
    let stored = store::stored(&mut tx, &d.uri).await?;
    if let Some(s) = &stored {
        if s.local || s.origin != origin {
            return Ok(Applied::Refused("the entry belongs to another server"));
        }
    }
    if !listed.listed || limited {
        if stored.as_ref().is_some_and(|s| !s.deleted) {
            let seq = store::next_seq(&state.db, &mut tx).await?;
            store::remove(&mut tx, &d.uri, seq, now).await?;
            tx.commit().await?;
            return Ok(Applied::Removed);
        }
        return Ok(Applied::Unchanged);
    }
    if let Some(s) = &stored {
        if !s.deleted && s.fingerprint == d.fingerprint() {
            return Ok(Applied::Unchanged);
        }
    } else if at_cap {
        return Ok(Applied::Full);
    }
    let seq = store::next_seq(&state.db, &mut tx).await?;
    store::write(&mut tx, &d, false, seq, now, now).await?;
    tx.commit().await?;
    Ok(Applied::Written)
}

/// Takes a remote actor's entry out, inside the moderators' transaction, when they limit or
/// suspend the actor; `apply` keeps it out while the limit lasts.
pub async fn remove_limited(db: &Db, tx: &mut Tx, uri: &str) -> Result<bool> {
    match store::stored(tx, uri).await? {
        Some(s) if !s.local && !s.deleted => {
            let seq = store::next_seq(db, tx).await?;
            store::remove(tx, uri, seq, now_ms()).await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// A limit is lifted: the peer that listed the actor is read again from its start, so the
/// entry comes back at its next pull.
pub async fn relist_unlimited(tx: &mut Tx, uri: &str) -> Result<()> {
    if let Some(s) = store::stored(tx, uri).await? {
        if !s.local {
            store::restart_peer_tx(tx, &s.origin).await?;
        }
    }
    Ok(())
}

/// Removes one remote entry of `origin`.
pub(super) async fn remove(state: &AppState, origin: &str, uri: &str) -> Result<bool> {
    let mut tx = state.db.begin_write().await?;
    match store::stored(&mut tx, uri).await? {
        Some(s) if !s.local && s.origin == origin && !s.deleted => {
            let seq = store::next_seq(&state.db, &mut tx).await?;
            store::remove(&mut tx, uri, seq, now_ms()).await?;
            tx.commit().await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Removes every entry that came from `origin`.
pub async fn remove_origin(state: &AppState, origin: &str) -> Result<usize> {
    let mut tx = state.db.begin_write().await?;
    let uris = store::remote_uris_of_origin(&mut tx, origin).await?;
    if !uris.is_empty() {
        let mut seq = store::next_seq(&state.db, &mut tx).await?;
        let now = now_ms();
        for uri in &uris {
            store::remove(&mut tx, uri, seq, now).await?;
            seq += 1;
        }
    }
    tx.commit().await?;
    Ok(uris.len())
}

/// Removes, inside the caller's transaction, every remote entry of a blocked domain and its
/// subdomains. Called when a block rule is set.
pub async fn remove_blocked(
    db: &crate::storage::Db,
    tx: &mut crate::storage::Tx,
    domain: &str,
) -> Result<usize> {
    // Peers of the domain start over once unblocked: what was removed comes back.
    let name = DomainName::parse(domain).map_err(|m| anyhow::anyhow!("{m}"))?;
    for peer in store::peer_domains_tx(tx).await? {
        if name.covers(&peer) {
            store::restart_peer_tx(tx, &peer).await?;
        }
    }
    let uris = store::remote_uris_of_domain(tx, domain).await?;
    if !uris.is_empty() {
        let mut seq = store::next_seq(db, tx).await?;
        let now = now_ms();
        for uri in &uris {
            store::remove(tx, uri, seq, now).await?;
            seq += 1;
        }
    }
    Ok(uris.len())
}
