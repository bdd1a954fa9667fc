//! Pulling peers' directories, and keeping remote entries true to pushed actor updates.
//!
//! A background task (started by `serve`) wakes every `directory_sync_secs` and pulls each due
//! peer from the cursor saved last time: NodeInfo first when unknown or stale (software, name,
//! users, where its directory is, its own peers), then pages of the peer's `/directory`
//! collection. Bounds: items per page ([`MAX_ITEMS_PER_PAGE`], a bigger page is refused),
//! pages and entries per peer per round, entries kept per peer, and time per round. Every item
//! is validated: an entry whose id names another server than the peer is rejected and logged,
//! as are wrong types; text is sanitised; the rest of the page still counts.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::model::{clip, Draft, Kind};
use super::store::{self, Peer, PeerInfo};
use crate::error::Result;
use crate::federation::client::FetchError;
use crate::federation::link::{self, RemoteUrl};
use crate::federation::policy::{self, authority_of, Decision, DomainName};
use crate::federation::remote::{self, sanitize_html};
use crate::state::AppState;
use crate::storage::now_ms;

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
/// Removed remote entries are forgotten after this long.
pub(crate) const KEEP_REMOVED_MS: i64 = 7 * 86_400_000;

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
            // What the round changed reaches the facet index now rather than at the next
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
            &peer.domain,
            "error",
            None,
            Some("the domain is blocked"),
            now,
            next_at,
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
                store::set_peer_outcome(
                    &state.db,
                    &peer.domain,
                    "error",
                    None,
                    Some(&message),
                    now,
                    next_at,
                )
                .await?;
                return Ok(());
            }
        }
    }
    let Some(directory) = peer.directory_url.clone() else {
        store::set_peer_outcome(
            &state.db,
            &peer.domain,
            "unsupported",
            None,
            Some("this server publishes no directory"),
            now,
            now + NODEINFO_STALE_MS,
        )
        .await?;
        return Ok(());
    };
    let start = peer.cursor.clone().unwrap_or(directory.clone());
    match pull(state, &peer.domain, &start, &directory, deadline).await {
        Ok(cursor) => {
            store::set_peer_outcome(
                &state.db,
                &peer.domain,
                "ok",
                Some(&cursor),
                None,
                now_ms(),
                next_at,
            )
            .await?;
        }
        Err(stop) => {
            let (message, restart) = match stop {
                Stop::Failed(m) => (m, false),
                Stop::Restart(m) => (m, true),
            };
            tracing::info!(peer = %peer.domain, error = %message, "directory pull stopped");
            // A cursor the peer no longer knows starts over from the collection next time.
            store::set_peer_outcome(
                &state.db,
                &peer.domain,
                "error",
                restart.then_some(directory.as_str()),
                Some(&clip(&message, 300)),
                now_ms(),
                next_at,
            )
            .await?;
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
        let kind = doc.get("type").and_then(Value::as_str).unwrap_or_default();
        // The collection itself: go to its first page.
        if kind == "OrderedCollection" && doc.get("orderedItems").is_none() {
            match doc.get("first") {
                Some(Value::String(first)) => {
                    url = RemoteUrl::parse(first, state.config.dev_http)
                        .map_err(|e| Stop::Failed(format!("the first page {e}")))?
                        .into_string();
                    resume = url.clone();
                    continue;
                }
                Some(page @ Value::Object(_)) => {
                    let (n, next) = take_page(state, origin, page, &url).await?;
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
                _ => return Err(Stop::Failed("the collection has no first page".into())),
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
    for item in items {
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

/// A page of a peer's directory as read, before its items are validated one by one with
/// [`parse_item`].
#[derive(Debug)]
pub struct Page<'a> {
    pub items: &'a [Value],
    /// The next page, when it is not this one (`url`).
    pub next: Option<String>,
}

/// Reads the page fetched from `url`: a collection page (or a collection holding its items)
/// with a list of at most [`MAX_ITEMS_PER_PAGE`] items.
pub fn parse_page<'a>(page: &'a Value, url: &str, dev_http: bool) -> Result<Page<'a>, String> {
    let kind = page.get("type").and_then(Value::as_str).unwrap_or_default();
    if !matches!(
        kind,
        "OrderedCollectionPage" | "OrderedCollection" | "CollectionPage"
    ) {
        return Err(format!("{url} is a {kind:?}, not a page"));
    }
    let items = page
        .get("orderedItems")
        .or_else(|| page.get("items"))
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{url} has no list of items"))?;
    if items.len() > MAX_ITEMS_PER_PAGE {
        return Err(format!(
            "{url} holds {} items, more than {MAX_ITEMS_PER_PAGE}",
            items.len()
        ));
    }
    let next = page
        .get("next")
        .and_then(|n| remote::id_of(n))
        .and_then(|n| RemoteUrl::parse(n, dev_http).ok())
        .map(RemoteUrl::into_string)
        .filter(|n| n != url);
    Ok(Page { items, next })
}

/// A validated item of a peer's directory.
#[derive(Debug)]
pub enum Item {
    Entry(Box<Listed>),
    Removed(String),
}

/// An entry and whether its actor wants to be listed.
#[derive(Debug, Clone)]
pub struct Listed {
    pub draft: Draft,
    pub listed: bool,
}

/// Validates one item from `origin` (its `host[:port]`); `allow_http` in development mode.
pub fn parse_item(item: &Value, origin: &str, allow_http: bool) -> Result<Item, String> {
    let obj = item.as_object().ok_or("an item is not an object")?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .ok_or("an item has no id")?;
    let id = item_id(id, origin, allow_http)?;
    if obj.get("type").and_then(Value::as_str) == Some("Tombstone") {
        return Ok(Item::Removed(id.into_string()));
    }
    Ok(Item::Entry(Box::new(draft_from_actor(
        item, origin, None, allow_http,
    )?)))
}

/// An entry's id: a web address on `origin`.
fn item_id(id: &str, origin: &str, allow_http: bool) -> Result<RemoteUrl, String> {
    let shown = clip(id, 200);
    match RemoteUrl::parse(id, allow_http) {
        Ok(u) if u.authority() == origin => Ok(u),
        Ok(_) => Err(format!("{shown} claims another server than {origin}")),
        Err(e) => Err(format!("the id {shown} {e}")),
    }
}

/// An entry from an actor-like document (a directory item, or an actor fetched or pushed).
/// Its addresses are [`RemoteUrl`]s (`allow_http` in development mode); a profile address or
/// picture in another scheme is left out.
pub fn draft_from_actor(
    doc: &Value,
    origin: &str,
    kind_hint: Option<Kind>,
    allow_http: bool,
) -> Result<Listed, String> {
    let id = doc.get("id").and_then(Value::as_str).ok_or("no id")?;
    let id = item_id(id, origin, allow_http)?.into_string();
    let ty = doc.get("type").and_then(Value::as_str).unwrap_or_default();
    let declared = doc
        .get("directoryKind")
        .and_then(Value::as_str)
        .and_then(Kind::parse);
    let kind = match (declared, ty) {
        (Some(k), _) => k,
        (None, "Person") => Kind::Person,
        (None, "Organization") => kind_hint.unwrap_or(Kind::Company),
        (None, "Group") => Kind::Project,
        (None, "Event") => Kind::Event,
        (None, "Service" | "Application") => kind_hint.unwrap_or(Kind::Space),
        (None, other) => return Err(format!("`{other}` cannot be listed")),
    };
    if kind.as_type() != ty && !(kind == Kind::Space && matches!(ty, "Service" | "Application")) {
        return Err(format!("a {} cannot be a `{ty}`", kind.as_str()));
    }
    let text = |key: &str, max: usize| -> Result<String, String> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(clip(s.trim(), max)),
            Some(_) => Err(format!("`{key}` is not text")),
        }
    };
    let flag = |key: &str| -> Result<Option<bool>, String> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(format!("`{key}` is not true or false")),
        }
    };
    let time = |key: &str| -> Result<Option<i64>, String> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|d| Some(d.timestamp_millis()))
                .map_err(|_| format!("`{key}` is not a date")),
            Some(_) => Err(format!("`{key}` is not a date")),
        }
    };
    let name = plain(&text("name", 1000)?, 200);
    let username = text("preferredUsername", 100)?;
    let summary = plain(&text("summary", 20_000)?, 2000);
    let url = doc
        .get("url")
        .and_then(|u| link::url_in(u, allow_http))
        .map(RemoteUrl::into_string)
        .unwrap_or_else(|| id.clone());
    let icon_url = doc
        .get("icon")
        .map(|i| match i {
            Value::Array(items) => items.first().unwrap_or(&Value::Null),
            other => other,
        })
        .and_then(|i| i.get("url").or(Some(i)))
        .and_then(|u| link::url_in(u, allow_http))
        .map(RemoteUrl::into_string)
        .unwrap_or_default();
    let skills = match doc.get("skills") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => {
            if list.len() > 50 {
                return Err("too many skills".into());
            }
            list.iter()
                .map(|s| {
                    s.as_str()
                        .map(|s| plain(s, 60))
                        .ok_or("`skills` holds something that is not text".to_string())
                })
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect()
        }
        Some(_) => return Err("`skills` is not a list".into()),
    };
    let country = text("country", 10)?;
    let country = if country.len() == 2 && country.chars().all(|c| c.is_ascii_alphabetic()) {
        country.to_uppercase()
    } else {
        String::new()
    };
    let discoverable = flag("discoverable")?;
    let indexable = flag("indexable")?;
    // Listed only when the actor says so: absent flags mean "not asked", as Mastodon reads them.
    let listed = discoverable == Some(true) && indexable != Some(false);
    let handle = if username.is_empty() || kind == Kind::Event {
        String::new()
    } else {
        format!("@{}@{origin}", plain(&username, 100))
    };
    let draft = Draft {
        name: if name.is_empty() {
            username.clone()
        } else {
            name
        },
        uri: id,
        kind,
        origin: origin.to_string(),
        handle,
        summary,
        url,
        icon_url,
        industry: plain(&text("industry", 200)?, 80),
        skills,
        city: plain(&text("city", 200)?, 80),
        country,
        space_name: plain(&text("spaceName", 400)?, 100),
        hiring: flag("hiring")?.unwrap_or(false),
        open_to_collaborate: flag("openToCollaborate")?.unwrap_or(false),
        starts_at: time("startTime")?,
        ends_at: time("endTime")?,
    };
    Ok(Listed { draft, listed })
}

/// Remote HTML (or text) as plain text of at most `max` characters.
fn plain(html: &str, max: usize) -> String {
    let cleaned = sanitize_html(html)
        .replace("</p>", "\n")
        .replace("<br>", "\n");
    let text = ammonia::Builder::empty().clean(&cleaned).to_string();
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let text = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    clip(&text, max)
}

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

async fn apply_capped(
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
async fn remove(state: &AppState, origin: &str, uri: &str) -> Result<bool> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_are_validated() {
        let ok = json!({
            "id": "https://a.example/companies/acme", "type": "Organization",
            "directoryKind": "company", "name": "<b>Acme</b>", "preferredUsername": "acme",
            "summary": "<p>We &amp; you</p><script>x</script>", "skills": ["Rust", "Go"],
            "city": "Lisbon", "country": "pt", "hiring": true, "discoverable": true,
            "indexable": true
        });
        let Item::Entry(l) = parse_item(&ok, "a.example", false).unwrap() else {
            panic!("an entry")
        };
        assert!(l.listed);
        assert_eq!(l.draft.name, "Acme");
        assert_eq!(l.draft.summary, "We & you");
        assert_eq!(l.draft.country, "PT");
        assert_eq!(l.draft.handle, "@acme@a.example");
        assert!(parse_item(&ok, "b.example", false).is_err(), "another host");
        let mut bad = ok.clone();
        bad["skills"] = json!("Rust");
        assert!(parse_item(&bad, "a.example", false).is_err());
        let mut bad = ok.clone();
        bad["hiring"] = json!("yes");
        assert!(parse_item(&bad, "a.example", false).is_err());
        let mut bad = ok.clone();
        bad["type"] = json!("Note");
        assert!(parse_item(&bad, "a.example", false).is_err());
        assert!(parse_item(&json!("https://a.example/x"), "a.example", false).is_err());
        let mut quiet = ok.clone();
        quiet["indexable"] = json!(false);
        let Item::Entry(l) = parse_item(&quiet, "a.example", false).unwrap() else {
            panic!("an entry")
        };
        assert!(!l.listed);
        let gone = json!({"id": "https://a.example/companies/acme", "type": "Tombstone"});
        assert!(matches!(
            parse_item(&gone, "a.example", false),
            Ok(Item::Removed(_))
        ));
    }

    #[test]
    fn addresses_are_web_addresses() {
        let item = |url: &str, icon: &str| {
            json!({
                "id": "https://a.example/companies/acme", "type": "Organization",
                "name": "Acme", "url": url, "icon": {"type": "Image", "url": icon},
                "discoverable": true
            })
        };
        for bad in [
            "javascript:alert(1)",
            "javascript://a.example/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "http://a.example/plain",
        ] {
            let Item::Entry(l) = parse_item(&item(bad, bad), "a.example", false).unwrap() else {
                panic!("an entry")
            };
            assert_eq!(l.draft.url, "https://a.example/companies/acme", "{bad}");
            assert_eq!(l.draft.icon_url, "", "{bad}");
            for id in [bad, "javascript://a.example/companies/acme"] {
                let mut doc = item("https://a.example/ok", "https://a.example/i.png");
                doc["id"] = json!(id);
                assert!(parse_item(&doc, "a.example", false).is_err(), "{id}");
                doc["type"] = json!("Tombstone");
                assert!(parse_item(&doc, "a.example", false).is_err(), "{id}");
            }
        }
        let Item::Entry(l) = parse_item(
            &item("https://a.example/@acme", "https://media.example/i.png"),
            "a.example",
            false,
        )
        .unwrap() else {
            panic!("an entry")
        };
        assert_eq!(l.draft.url, "https://a.example/@acme");
        assert_eq!(l.draft.icon_url, "https://media.example/i.png");
    }

    /// Found by the fuzzer: an id whose scheme is written `Https` is a web address; the entry's
    /// `url` falls back to it as the peer wrote it, and pages link it.
    #[test]
    fn a_scheme_in_capitals_is_kept_as_written() {
        let item = json!({"id": "Https://peer.example/members/ada", "type": "Person",
            "preferredUsername": "ada", "name": "Ada", "discoverable": true});
        let Item::Entry(l) = parse_item(&item, "peer.example", false).unwrap() else {
            panic!("an entry")
        };
        assert_eq!(l.draft.url, "Https://peer.example/members/ada");
        assert!(RemoteUrl::stored(&l.draft.url).is_some());
    }

    #[test]
    fn pages_are_bounded() {
        let url = "https://a.example/directory?page=2";
        let page = json!({"type": "OrderedCollectionPage", "orderedItems": [{}, {}],
            "next": {"id": "https://a.example/directory?page=3"}});
        let read = parse_page(&page, url, false).unwrap();
        assert_eq!(read.items.len(), 2);
        assert_eq!(
            read.next.as_deref(),
            Some("https://a.example/directory?page=3")
        );
        let same = json!({"type": "CollectionPage", "items": [], "next": url});
        assert_eq!(
            parse_page(&same, url, false).unwrap().next,
            None,
            "a page naming itself"
        );
        let too_many = json!({"type": "OrderedCollectionPage",
            "orderedItems": vec![json!({}); MAX_ITEMS_PER_PAGE + 1]});
        assert!(parse_page(&too_many, url, false).is_err());
        assert!(parse_page(&json!({"type": "Person", "items": []}), url, false).is_err());
        assert!(parse_page(
            &json!({"type": "OrderedCollection", "items": {}}),
            url,
            false
        )
        .is_err());
    }
}
