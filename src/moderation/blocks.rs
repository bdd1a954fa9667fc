//! A member's blocks, mutes and hidden domains, and the checks other features make before they
//! accept a local action.
//!
//! A block keeps an actor (a local member, or a remote actor) away from what the member owns:
//! follows both ways end in the transaction that records the block, and the blocked actor can
//! no longer follow the member, comment on their posts, message them, RSVP to their events or
//! join their projects. A mute only hides the actor from the member's timelines and
//! notifications. A hidden domain is a mute of every actor of that domain.
//!
//! The outgoing `Block` activity to a remote actor's server is not sent from here: a block is
//! recorded by [`block_tx`] inside a transaction its caller owns, and the composition layer
//! (`crate::hub::member_blocks`) queues the `Block` (and, on undo, the `Undo`) in the same
//! transaction.

use std::collections::HashSet;

use serde::Serialize;

use super::cache::Limits;
use super::model::{ActorLimit, BlockKind, MemberBlock};
use super::store;
use crate::accounts::{self, Account};
use crate::error::{Error, Result};
use crate::federation::follows;
use crate::federation::policy::{self, DomainName};
use crate::federation::remote;
use crate::federation::urls::Urls;
use crate::state::AppState;
use crate::storage::Tx;

/// An actor a member named, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub uri: String,
    /// `@handle@domain`.
    pub handle: String,
    pub local: bool,
}

/// A block, mute or hidden domain as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub target: String,
    /// `@handle@domain` for an actor, the domain itself for a hidden domain.
    pub label: String,
    pub created_at: i64,
}

/// Resolves what a member typed: an actor URL, `@handle`, `@handle@domain` (local or remote).
pub async fn resolve(state: &AppState, raw: &str) -> Result<Target> {
    let urls = Urls::new(&state.config);
    let t = raw.trim();
    if t.is_empty() {
        return Err(Error::invalid(
            "target",
            "is required: @name@host or an address",
        ));
    }
    if t.len() > 500 {
        return Err(Error::invalid("target", "must be at most 500 characters"));
    }
    if let Some(handle) = local_handle(&urls, t) {
        let account = accounts::store::by_handle(&state.db, &handle)
            .await?
            .ok_or_else(|| Error::invalid("target", "names no member of this space"))?;
        return Ok(Target {
            uri: urls.member(&account.handle),
            handle: format!("@{}@{}", account.handle, urls.domain()),
            local: true,
        });
    }
    if t.starts_with(urls.base()) {
        return Err(Error::invalid("target", "names no member of this space"));
    }
    let actor = remote::resolve_handle_or_url(state, t).await?;
    Ok(Target {
        handle: actor.handle(),
        uri: actor.uri,
        local: false,
    })
}

/// The local member's handle a target names, if it names one here.
fn local_handle(urls: &Urls, t: &str) -> Option<String> {
    if let Some(rest) = t.strip_prefix(&format!("{}/members/", urls.base())) {
        return (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_ascii_lowercase());
    }
    if t.starts_with("http://") || t.starts_with("https://") {
        return None;
    }
    let acct = t.strip_prefix("acct:").unwrap_or(t).trim_start_matches('@');
    let name = match acct.rsplit_once('@') {
        Some((name, host)) if host.eq_ignore_ascii_case(urls.domain()) => name,
        Some(_) => return None,
        None => acct,
    };
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

/// Records that `member` blocks `target` and ends follows both ways, inside the caller's
/// transaction. Returns whether the block is new. This is the function the composition layer
/// calls when it also queues a `Block` activity for a remote target.
pub async fn block_tx(
    tx: &mut Tx,
    state: &AppState,
    member: &Account,
    target: &Target,
) -> Result<bool> {
    let me = Urls::new(&state.config).member(&member.handle);
    if target.uri == me {
        return Err(Error::invalid(
            "target",
            "is you: you cannot block yourself",
        ));
    }
    let new = store::add_block_tx(tx, member.id, BlockKind::Block, &target.uri).await?;
    follows::store::remove_tx(tx, &me, &target.uri).await?;
    follows::store::remove_tx(tx, &target.uri, &me).await?;
    Ok(new)
}

/// A member blocks an actor. Returns the resolved target and whether the block is new.
pub async fn block(state: &AppState, member: &Account, raw: &str) -> Result<(Target, bool)> {
    let target = resolve(state, raw).await?;
    let mut tx = state.db.begin_write().await?;
    let new = block_tx(&mut tx, state, member, &target).await?;
    tx.commit().await?;
    Ok((target, new))
}

/// A member mutes an actor: hidden from their timelines and notifications, nothing sent.
pub async fn mute(state: &AppState, member: &Account, raw: &str) -> Result<(Target, bool)> {
    let target = resolve(state, raw).await?;
    if target.uri == Urls::new(&state.config).member(&member.handle) {
        return Err(Error::invalid("target", "is you: you cannot mute yourself"));
    }
    let mut tx = state.db.begin_write().await?;
    let new = store::add_block_tx(&mut tx, member.id, BlockKind::Mute, &target.uri).await?;
    tx.commit().await?;
    Ok((target, new))
}

/// A member hides a whole domain for themselves.
pub async fn hide_domain(state: &AppState, member: &Account, raw: &str) -> Result<(String, bool)> {
    let domain = DomainName::parse(raw).map_err(|m| Error::invalid("domain", m))?;
    if domain.covers(&state.config.domain) {
        return Err(Error::invalid("domain", "is this space's own domain"));
    }
    let mut tx = state.db.begin_write().await?;
    let new = store::add_block_tx(&mut tx, member.id, BlockKind::Domain, domain.as_str()).await?;
    tx.commit().await?;
    Ok((domain.to_string(), new))
}

/// Undoes a block, mute or hidden domain named as the member typed it (or as lists show it).
/// `NotFound` when there was none.
pub async fn undo(state: &AppState, member: &Account, kind: BlockKind, raw: &str) -> Result<()> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 500 {
        return Err(Error::invalid("target", "is required"));
    }
    if kind == BlockKind::Domain {
        let domain = DomainName::parse(t).map_err(|m| Error::invalid("domain", m))?;
        return removed(store::remove_block(&state.db, member.id, kind, domain.as_str()).await?);
    }
    // As stored (a URI) first; else resolved, without a request when it is already known.
    if store::remove_block(&state.db, member.id, kind, t).await? {
        return Ok(());
    }
    match named_uri(state, t).await? {
        Some(uri) => removed(store::remove_block(&state.db, member.id, kind, &uri).await?),
        None => Err(Error::NotFound),
    }
}

/// The actor URI a member's undo names (as typed, or as lists show it), without a request:
/// a URI as it is, a local handle, or a remote actor already known here. `None` when it
/// names nothing known.
pub async fn named_uri(state: &AppState, raw: &str) -> Result<Option<String>> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 500 {
        return Err(Error::invalid("target", "is required"));
    }
    if t.starts_with("https://") || t.starts_with("http://") {
        return Ok(Some(t.to_string()));
    }
    let urls = Urls::new(&state.config);
    Ok(match local_handle(&urls, t) {
        Some(handle) => Some(urls.member(&handle)),
        None => known_remote(state, t).await?,
    })
}

fn removed(done: bool) -> Result<()> {
    if done {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// The URI of a remote actor named `@name@host` that this space already knows.
async fn known_remote(state: &AppState, t: &str) -> Result<Option<String>> {
    let acct = t.strip_prefix("acct:").unwrap_or(t).trim_start_matches('@');
    let Some((name, host)) = acct.rsplit_once('@') else {
        return Ok(None);
    };
    Ok(
        remote::store::by_handle(&state.db, name, &host.to_ascii_lowercase())
            .await?
            .map(|a| a.uri),
    )
}

/// A member's blocks, mutes or hidden domains, with a label for each.
pub async fn list(state: &AppState, member: &Account, kind: BlockKind) -> Result<Vec<Listed>> {
    let urls = Urls::new(&state.config);
    let member_prefix = format!("{}/members/", urls.base());
    let mut out = Vec::new();
    for MemberBlock {
        target, created_at, ..
    } in store::list_blocks(&state.db, member.id, kind).await?
    {
        let label = if kind == BlockKind::Domain {
            target.clone()
        } else if let Some(h) = target.strip_prefix(&member_prefix) {
            format!("@{h}@{}", urls.domain())
        } else {
            match remote::store::by_uri(&state.db, &target).await? {
                Some(a) => a.handle(),
                None => target.clone(),
            }
        };
        out.push(Listed {
            target,
            label,
            created_at,
        });
    }
    Ok(out)
}

/// Refuses `actor` acting on something owned by the actors `owners` when a local member among
/// them blocked it: the check features make before they accept a follow, comment, message,
/// RSVP or join from a local member.
pub async fn ensure_not_blocked(state: &AppState, owners: &[&str], actor: &str) -> Result<()> {
    let urls = Urls::new(&state.config);
    let prefix = format!("{}/members/", urls.base());
    let handles: Vec<String> = owners
        .iter()
        .filter_map(|o| o.strip_prefix(&prefix))
        .filter(|h| !h.is_empty() && !h.contains('/'))
        .map(str::to_string)
        .collect();
    let ids = accounts::store::ids_of_handles(&state.db, &handles).await?;
    if store::blocked_by_any(&state.db, &ids, actor).await? {
        return Err(Error::forbidden(
            "You cannot do this: the member has blocked you.",
        ));
    }
    Ok(())
}

/// Whether the member `account_id` keeps `actor` out of their notifications (blocked, muted,
/// or of a hidden domain). Read inside the transaction that would notify.
pub async fn silenced_tx(tx: &mut Tx, account_id: i64, actor: &str) -> Result<bool> {
    let host = policy::host_of(actor).unwrap_or_default();
    store::silenced_tx(tx, account_id, actor, &host).await
}

/// Refuses a follow of `raw` (as the member typed it) when it names a local member who blocked
/// `member`. Remote targets are their server's business.
pub async fn ensure_may_follow(state: &AppState, member: &Account, raw: &str) -> Result<()> {
    let urls = Urls::new(&state.config);
    if let Some(handle) = local_handle(&urls, raw.trim()) {
        let target = urls.member(&handle);
        ensure_not_blocked(state, &[target.as_str()], &urls.member(&member.handle)).await?;
    }
    Ok(())
}

/// Refuses `actor` joining a project one of whose managers (`manager_ids`) blocked it.
pub async fn ensure_not_blocked_by_accounts(
    state: &AppState,
    manager_ids: &[i64],
    actor: &str,
) -> Result<()> {
    if store::blocked_by_any(&state.db, manager_ids, actor).await? {
        return Err(Error::forbidden(
            "You cannot do this: a manager of this project has blocked you.",
        ));
    }
    Ok(())
}

/// What a viewer must not see in a timeline: the member's own blocks, mutes and hidden
/// domains, suspended members of this space and suspended remote actors; in public views
/// (`public`: the space feed, tag pages, anything an anonymous reader sees) limited remote
/// actors too.
pub async fn hidden_for_viewer(
    state: &AppState,
    viewer: Option<&Account>,
    public: bool,
) -> Result<store::Hidden> {
    let mut hidden = match viewer {
        Some(a) => store::hidden_for(&state.db, a.id).await?,
        None => store::Hidden::default(),
    };
    let limits = state.actor_limits.get(&state.db).await?;
    hidden
        .actors
        .extend(suspended_in(&Urls::new(&state.config), &limits));
    if public {
        for (uri, limit) in &limits.remote {
            if *limit == ActorLimit::Limit {
                hidden.actors.insert(uri.clone());
            }
        }
    }
    Ok(hidden)
}

/// Every suspended actor: the members of this space a moderator suspended and the remote
/// actors a moderator suspended.
pub async fn suspended_actors(state: &AppState) -> Result<HashSet<String>> {
    let limits = state.actor_limits.get(&state.db).await?;
    Ok(suspended_in(&Urls::new(&state.config), &limits).collect())
}

/// The suspended actors of one reading of the limits, as URIs.
fn suspended_in<'a>(urls: &'a Urls, limits: &'a Limits) -> impl Iterator<Item = String> + 'a {
    let members = limits.suspended_members.iter().map(|h| urls.member(h));
    let remote = limits
        .remote
        .iter()
        .filter(|(_, limit)| **limit == ActorLimit::Suspend)
        .map(|(uri, _)| uri.clone());
    members.chain(remote)
}

/// [`suspended_actors`] as a sorted list: what stores leave out of their lists in the query
/// (`… NOT IN (…)`), so that a list's limit still holds.
pub async fn suspended_list(state: &AppState) -> Result<Vec<String>> {
    let mut out: Vec<String> = suspended_actors(state).await?.into_iter().collect();
    out.sort_unstable();
    Ok(out)
}

/// Suspends the member `account_id` (or lifts the suspension) inside the caller's transaction,
/// marking the change for [`super::cache`]; `false` when it was in that state already. The one
/// way a moderation action changes a suspension.
pub async fn set_suspended_tx(tx: &mut Tx, account_id: i64, on: bool) -> Result<bool> {
    super::cache::changed();
    accounts::store::set_suspended_tx(tx, account_id, on).await
}

/// Whether a moderator suspended the actor `uri`: a member of this space, or a remote actor.
pub async fn is_suspended(state: &AppState, uri: &str) -> Result<bool> {
    let urls = Urls::new(&state.config);
    let limits = state.actor_limits.get(&state.db).await?;
    Ok(match local_member_handle(&urls, uri) {
        Some(handle) => limits
            .suspended_members
            .contains(handle.to_ascii_lowercase().as_str()),
        None => limits.remote.get(uri) == Some(&ActorLimit::Suspend),
    })
}

/// Whether what the actor `uri` wrote or organised is hidden from `reader` because the actor
/// is suspended: from everyone (other servers included) but this space's moderators.
pub async fn hidden_by_suspension(
    state: &AppState,
    uri: &str,
    reader: Option<&Account>,
) -> Result<bool> {
    if reader.is_some_and(Account::can_moderate) {
        return Ok(false);
    }
    is_suspended(state, uri).await
}

/// The limit a moderator set on the remote actor `uri`, if any.
pub async fn limit_of(state: &AppState, uri: &str) -> Result<Option<ActorLimit>> {
    Ok(state
        .actor_limits
        .get(&state.db)
        .await?
        .remote
        .get(uri)
        .copied())
}

/// The handle of the member of this space `uri` names, if it names one.
fn local_member_handle<'a>(urls: &Urls, uri: &'a str) -> Option<&'a str> {
    let rest = uri.strip_prefix(urls.base())?.strip_prefix("/members/")?;
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}
