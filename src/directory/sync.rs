//! Pulling peers' directories, and keeping remote entries true to pushed actor updates.
//!
//! A background task (started by `serve`) wakes every `directory_sync_secs` and pulls each due
//! peer from the cursor saved last time: NodeInfo first when unknown or stale (software, name,
//! users, where its directory is, its own peers), then pages of the peer's `/directory`
//! collection. Bounds: items per page ([`MAX_ITEMS_PER_PAGE`], a bigger page is refused),
//! pages and entries per peer per round, entries kept per peer, and time per round. Every item
//! is validated: an entry whose id names another server than the peer is rejected and logged,
//! as are wrong types; text is sanitised; the rest of the page still counts.
//!
//! This file holds the rounds (pulling pages, NodeInfo, peers of peers); reading pages and
//! items is in `sync/parse.rs`, storing and removing entries in `sync/apply.rs`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::model::clip;
use super::store::{self, Outcome, Peer, PeerInfo};
use crate::error::Result;
use crate::federation::client::FetchError;
use crate::federation::policy::{self, authority_of, Decision};
use crate::federation::remote;
use crate::state::AppState;
use crate::storage::now_ms;

mod apply;
mod doc;
mod parse;

pub use apply::{apply, relist_unlimited, remove_blocked, remove_limited, remove_origin, Applied};
use apply::{apply_capped, remove};
pub use doc::{CollectionDoc, EntryDoc, First, PageDoc, TombstoneDoc};
use parse::plain;
pub use parse::{draft_from_actor, parse_item, parse_page, parse_start, Item, Listed, Page, Start};

/// Items a page may hold; a bigger page is refused whole.
pub const MAX_ITEMS_PER_PAGE: usize = 500;
/// Pages read from one peer in one round.
pub const MAX_PAGES_PER_ROUND: usize = 20;
/// Items taken from one peer in one round; the rest waits for the next round.
pub const MAX_ITEMS_PER_ROUND: usize = 2_000;
/// Live entries kept from one peer; new ones beyond it are dropped (updates still apply).
pub const MAX_ENTRIES_PER_PEER: i64 = 200_000;
/// Time one round may take over all peers.
pub const ROUND_BUDGET: Duration = Duration::from_secs(60);
/// Peers looked at per round.
const PEERS_PER_ROUND: i64 = 50;
/// NodeInfo is asked again after this long.
const NODEINFO_STALE_MS: i64 = 86_400_000;
pub(crate) use super::index::KEEP_REMOVED_MS;

/// Starts the sync task.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(state.config.directory_sync_secs);
        loop {
            if state.is_set_up().await {
                if let Err(e) = round(&state).await {
                    tracing::warn!(error = %e, "directory sync round failed");
                }
            }
            // What the round changed reaches the directory index now rather than at the next
            // search; at start-up this is the index's first full read.
            if let Err(e) = state.directory.index.refresh(&state.db).await {
                tracing::warn!(error = %e, "directory index refresh failed");
            }
            let _ = tokio::time::timeout(every, state.directory.sync_wakeup.notified()).await;
        }
    })
}

/// One round: local entries reconciled, old removals forgotten, due peers pulled.
pub async fn round(state: &AppState) -> Result<()> {
    super::local::ensure_fresh(state).await?;
    store::purge_removed(&state.db, now_ms() - KEEP_REMOVED_MS).await?;
    let started = Instant::now();
    let due = store::due_peers(&state.db, now_ms(), PEERS_PER_ROUND).await?;
    for peer in due {
        if started.elapsed() >= ROUND_BUDGET {
            tracing::info!("directory sync round out of time; the rest waits");
            break;
        }
        let deadline = started + ROUND_BUDGET;
        if let Err(e) = sync_peer(state, &peer, deadline).await {
            tracing::warn!(peer = %peer.domain, error = %e, "directory sync of a peer failed");
        }
    }
    Ok(())
}

/// Why one peer's pull stopped early.
#[derive(Debug)]
enum Stop {
    Failed(String),
    /// The peer refused the saved cursor (it may have started over): read from the start.
    Restart(String),
}

/// Pulls one peer, recording its state and cursor.
pub async fn sync_peer(state: &AppState, peer: &Peer, deadline: Instant) -> Result<()> {
    let now = now_ms();
    let next_at = now + state.config.directory_sync_secs as i64 * 1000;
    if policy::decide(&state.db, &peer.domain).await? == Decision::Block {
        remove_origin(state, &peer.domain).await?;
        store::restart_peer(&state.db, &peer.domain).await?;
        store::set_peer_outcome(
            &state.db,
            peer,
            Outcome::error("the domain is blocked", now, next_at),
        )
        .await?;
        return Ok(());
    }
    let mut peer = peer.clone();
    let stale = peer
        .last_success_at
        .is_none_or(|t| now - t > NODEINFO_STALE_MS);
    if peer.directory_url.is_none() || peer.state == "new" || stale {
        match nodeinfo(state, &peer).await {
            Ok(info) => {
                store::set_peer_info(&state.db, &peer.domain, &info.info).await?;
                peer.directory_url = info.info.directory_url.clone();
                learn_peers(state, &peer, &info.peers).await?;
            }
            Err(message) => {
                tracing::info!(peer = %peer.domain, error = %message, "NodeInfo unavailable");
                store::set_peer_outcome(&state.db, &peer, Outcome::error(&message, now, next_at))
                    .await?;
                return Ok(());
            }
        }
    }
    let Some(directory) = peer.directory_url.clone() else {
        store::set_peer_outcome(
            &state.db,
            &peer,
            Outcome::unsupported(
                "this server publishes no directory",
                now,
                now + NODEINFO_STALE_MS,
            ),
        )
        .await?;
        return Ok(());
    };
    let start = peer.cursor.clone().unwrap_or(directory.clone());
    match pull(state, &peer.domain, &start, &directory, deadline).await {
        Ok(cursor) => {
            store::set_peer_outcome(&state.db, &peer, Outcome::ok(&cursor, now_ms(), next_at))
                .await?;
        }
        Err(stop) => {
            let (message, restart) = match stop {
                Stop::Failed(m) => (m, false),
                Stop::Restart(m) => (m, true),
            };
            tracing::info!(peer = %peer.domain, error = %message, "directory pull stopped");
            let message = clip(&message, 300);
            let mut outcome = Outcome::error(&message, now_ms(), next_at);
            // A cursor the peer no longer knows starts over from the collection next time.
            if restart {
                outcome = outcome.starting_at(&directory);
            }
            store::set_peer_outcome(&state.db, &peer, outcome).await?;
        }
    }
    Ok(())
}

/// Reads pages from `start` on; returns the cursor to resume from.
async fn pull(
    state: &AppState,
    origin: &str,
    start: &str,
    directory: &str,
    deadline: Instant,
) -> Result<String, Stop> {
    let signer = remote::instance_signer(state)
        .await
        .map_err(|e| Stop::Failed(e.to_string()))?;
    let mut url = start.to_string();
    let mut seen = HashSet::new();
    let mut taken = 0usize;
    let mut resume = start.to_string();
    for _ in 0..MAX_PAGES_PER_ROUND {
        if Instant::now() >= deadline || taken >= MAX_ITEMS_PER_ROUND {
            break;
        }
        if !seen.insert(url.clone()) {
            tracing::info!(peer = origin, url = %url, "directory cursor loops; stopped");
            break;
        }
        if authority_of(&url).as_deref() != Some(origin) {
            return Err(Stop::Failed(format!("a page on another server: {url}")));
        }
        let doc = state
            .client
            .get_json(&url, Some(&signer))
            .await
            .map_err(|e| match e {
                FetchError::Status(400 | 404 | 410 | 422) if url != directory => {
                    Stop::Restart(format!("{url}: {e}"))
                }
                e => Stop::Failed(format!("{url}: {e}")),
            })?;
        // The collection itself: go to its first page.
        match parse_start(&doc, state.config.dev_http).map_err(Stop::Failed)? {
            Start::Page => {}
            Start::FirstAt(first) => {
                url = first.into_string();
                resume = url.clone();
                continue;
            }
            Start::FirstEmbedded(page) => {
                let (n, next) = take_page(state, origin, &page, &url).await?;
                taken += n;
                match next {
                    Some(next) => {
                        resume = next.clone();
                        url = next;
                        continue;
                    }
                    None => return Ok(resume),
                }
            }
        }
        let (n, next) = take_page(state, origin, &doc, &url).await?;
        taken += n;
        match next {
            Some(next) if n > 0 => {
                resume = next.clone();
                url = next;
            }
            // An empty page: caught up; ask for the same page next time.
            _ => {
                resume = url.clone();
                break;
            }
        }
    }
    if resume == directory {
        // Never read a page: stay at the start.
        return Ok(directory.to_string());
    }
    Ok(resume)
}

/// Applies one page; returns the number of items and its `next`.
async fn take_page(
    state: &AppState,
    origin: &str,
    page: &Value,
    url: &str,
) -> Result<(usize, Option<String>), Stop> {
    let Page { items, next } =
        parse_page(page, url, state.config.dev_http).map_err(Stop::Failed)?;
    let mut at_cap = store::count_of_origin(&state.db, origin)
        .await
        .map_err(|e| Stop::Failed(e.to_string()))?
        >= MAX_ENTRIES_PER_PEER;
    let now = now_ms();
    let mut rejected = 0;
    for item in &items {
        match parse_item(item, origin, state.config.dev_http) {
            Ok(Item::Removed(uri)) => {
                remove(state, origin, &uri)
                    .await
                    .map_err(|e| Stop::Failed(e.to_string()))?;
            }
            Ok(Item::Entry(listed)) => {
                match apply_capped(state, origin, *listed, now, at_cap).await {
                    Ok(Applied::Refused(reason)) => {
                        rejected += 1;
                        tracing::info!(peer = origin, reason, "directory entry rejected");
                    }
                    Ok(Applied::Full) => at_cap = true,
                    Ok(_) => {}
                    Err(e) => return Err(Stop::Failed(e.to_string())),
                }
            }
            Err(reason) => {
                rejected += 1;
                tracing::info!(peer = origin, reason = %reason, "directory entry rejected");
            }
        }
    }
    if rejected > 0 {
        tracing::info!(
            peer = origin,
            rejected,
            "some directory entries were rejected"
        );
    }
    Ok((items.len(), next))
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
    let doc = remote::document(&state.db, uri).await?;
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

// --- NodeInfo and peers of peers -----------------------------------------------------------

struct NodeInfo {
    info: PeerInfo,
    peers: Vec<String>,
}

/// Asks a peer's NodeInfo what it runs and where its directory is.
async fn nodeinfo(state: &AppState, peer: &Peer) -> Result<NodeInfo, String> {
    let scheme = state.config.scheme();
    let links = state
        .client
        .get_plain_json(&format!("{scheme}://{}/.well-known/nodeinfo", peer.domain))
        .await
        .map_err(|e| format!("NodeInfo: {e}"))?;
    let href = links
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|l| {
            l.get("rel")
                .and_then(Value::as_str)
                .is_some_and(|r| r.starts_with("http://nodeinfo.diaspora.software/ns/schema/2."))
        })
        .filter_map(|l| l.get("href").and_then(Value::as_str))
        .next_back()
        .ok_or("NodeInfo names no document")?
        .to_string();
    if authority_of(&href).as_deref() != Some(peer.domain.as_str()) {
        return Err("NodeInfo points to another server".into());
    }
    let doc = state
        .client
        .get_plain_json(&href)
        .await
        .map_err(|e| format!("NodeInfo: {e}"))?;
    let software = doc
        .pointer("/software/name")
        .and_then(Value::as_str)
        .map(|s| clip(s, 60))
        .unwrap_or_default();
    let metadata = doc.get("metadata").cloned().unwrap_or_default();
    let directory_url = metadata
        .get("directory")
        .and_then(Value::as_str)
        .filter(|u| authority_of(u).as_deref() == Some(peer.domain.as_str()))
        .map(|u| clip(u, 2048));
    let peers = metadata
        .get("directoryPeers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .take(50)
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    Ok(NodeInfo {
        info: PeerInfo {
            software,
            version: doc
                .pointer("/software/version")
                .and_then(Value::as_str)
                .map(|s| clip(s, 40))
                .unwrap_or_default(),
            name: metadata
                .get("nodeName")
                .and_then(Value::as_str)
                .map(|s| plain(s, 100))
                .unwrap_or_default(),
            users: doc.pointer("/usage/users/total").and_then(Value::as_i64),
            directory_url,
        },
        peers,
    })
}

/// Follows a peer's own peer list, up to `directory_peer_hops` away from an administrator's.
async fn learn_peers(state: &AppState, peer: &Peer, domains: &[String]) -> Result<()> {
    let hops = peer.hops + 1;
    if hops > state.config.directory_peer_hops as i64 {
        return Ok(());
    }
    let own = crate::federation::urls::Urls::new(&state.config)
        .domain()
        .to_string();
    for d in domains {
        let Ok(d) = super::peers::PeerDomain::parse(d, state.config.dev_http) else {
            continue;
        };
        if d.as_str() == own || policy::decide(&state.db, d.as_str()).await? == Decision::Block {
            continue;
        }
        if store::add_peer(&state.db, d.as_str(), "peer", hops, now_ms()).await? {
            tracing::info!(peer = d.as_str(), via = %peer.domain, "space learnt from a peer");
        }
    }
    Ok(())
}
