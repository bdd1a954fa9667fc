//! Storing pulled entries (within each peer's bounds), removing them, and keeping remote
//! entries true to pushed actor updates and deletions.

use serde_json::Value;

use super::parse::{draft_from_actor, Listed};
use crate::directory::store;
use crate::error::Result;
use crate::federation::policy::{authority_of, DomainName};
use crate::state::AppState;
use crate::storage::now_ms;

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
    let mut tx = state.db.begin_write().await?;
    let stored = store::stored(&mut tx, &d.uri).await?;
    if let Some(s) = &stored {
        if s.local || s.origin != origin {
            return Ok(Applied::Refused("the entry belongs to another server"));
        }
    }
    if !listed.listed {
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

// --- pushed updates -------------------------------------------------------------------------

/// A remote actor sent `Update` of itself and was fetched again: its entry follows.
pub async fn on_actor_updated(state: &AppState, uri: &str) -> Result<()> {
    let Some(origin) = authority_of(uri) else {
        return Ok(());
    };
    let known = store::by_uri(&state.db, uri).await?;
    // Only entries this space lists, or actors of the spaces it syncs with.
    let from_peer = store::peer(&state.db, &origin)
        .await?
        .is_some_and(|p| p.state == "ok");
    if known.is_none() && !from_peer {
        return Ok(());
    }
    let doc = store::remote_actor_document(&state.db, uri).await?;
    let Some(doc) = doc.and_then(|d| serde_json::from_str::<Value>(&d).ok()) else {
        return Ok(());
    };
    match draft_from_actor(&doc, &origin, None, state.config.dev_http) {
        Ok(mut listed) => {
            if let Some(entry) = known {
                // What the actor document does not carry stays as the directory said.
                let d = &mut listed.draft;
                if d.city.is_empty() {
                    d.city = entry.city;
                }
                if d.country.is_empty() {
                    d.country = entry.country;
                }
                if d.space_name.is_empty() {
                    d.space_name = entry.space_name;
                }
                if doc.get("directoryKind").is_none() {
                    d.kind = entry.kind;
                }
            }
            apply(state, &origin, listed, now_ms()).await?;
        }
        Err(reason) => {
            tracing::info!(actor = uri, reason = %reason, "updated actor not listable");
        }
    }
    Ok(())
}

/// A remote actor was deleted: its entry goes.
pub async fn on_actor_deleted(state: &AppState, uri: &str) -> Result<()> {
    if let Some(origin) = authority_of(uri) {
        remove(state, &origin, uri).await?;
    }
    Ok(())
}
