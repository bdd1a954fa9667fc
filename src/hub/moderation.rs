//! What a moderator does from a report, across features: delete the reported content (through
//! the owning feature), warn or suspend a local member, limit or suspend a remote actor, block
//! its domain. Each action and its audit line are one transaction.

use serde::Serialize;

use crate::accounts::{self, Account};
use crate::directory;
use crate::error::{Error, Result};
use crate::federation::policy::{self, DomainName, Policy};
use crate::federation::urls::Urls;
use crate::federation::{delivery, follows, outbound};
use crate::moderation::model::{Actor, ActorLimit};
use crate::moderation::{blocks, queue, store};
use crate::notifications::{store as notes, Kind, NewNotification};
use crate::state::AppState;
use crate::{events, posts, projects};

/// An action a moderator takes from a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Delete the reported posts, events and project items (local ones through their feature,
    /// with their `Delete`; copies of remote ones from this space's store).
    Delete,
    /// Send the reported local member a warning (a notification).
    Warn,
    /// Suspend the reported actor: a local account, or a remote actor.
    Suspend,
    /// Lift a suspension.
    Unsuspend,
    /// Hide a remote actor from public views and the directory.
    Limit,
    /// Lift a limit.
    Unlimit,
    /// Block the remote actor's whole domain.
    BlockDomain,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::Delete,
        Action::Warn,
        Action::Suspend,
        Action::Unsuspend,
        Action::Limit,
        Action::Unlimit,
        Action::BlockDomain,
    ];

    pub fn parse(raw: &str) -> Result<Self, String> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == raw.trim())
            .ok_or_else(|| {
                "must be delete, warn, suspend, unsuspend, limit, unlimit or block_domain".into()
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::Warn => "warn",
            Action::Suspend => "suspend",
            Action::Unsuspend => "unsuspend",
            Action::Limit => "limit",
            Action::Unlimit => "unlimit",
            Action::BlockDomain => "block_domain",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Delete => "Delete the reported content",
            Action::Warn => "Warn the member",
            Action::Suspend => "Suspend the account",
            Action::Unsuspend => "Lift the suspension",
            Action::Limit => "Limit the remote account",
            Action::Unlimit => "Lift the limit",
            Action::BlockDomain => "Block its domain",
        }
    }
}

/// What an action did, in one sentence.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub action: Action,
    pub done: String,
}

/// Takes `action` on what report `id` names, with `reason` for the audit log (and, for a
/// warning, for the member).
pub async fn act(
    state: &AppState,
    moderator: &Account,
    id: i64,
    action: Action,
    reason: &str,
) -> Result<Outcome> {
    let reason = queue::note(reason, "reason")?;
    let report = queue::get(&state.db, id).await?;
    let by = Actor::of(moderator);
    let urls = Urls::new(&state.config);
    let local = local_member(state, &urls, &report.target).await?;
    let mut restored = None;
    // The files of deleted project items, removed once the deletion is committed.
    let mut media = Vec::new();
    let mut tx = state.db.begin_write().await?;
    let done = match action {
        Action::Delete => {
            let mut deleted = 0;
            for uri in &report.objects {
                let mut gone = posts::service::delete_by_moderator_tx(state, &mut tx, uri).await?
                    || events::service::delete_by_moderator_tx(state, &mut tx, moderator, uri)
                        .await?;
                if !gone {
                    let item =
                        projects::service::delete_item_by_moderator_tx(state, &mut tx, uri).await?;
                    media.extend(item.media);
                    gone = item.found;
                }
                if gone {
                    store::audit_tx(&mut tx, &by, "delete", uri, Some(id), &reason).await?;
                    deleted += 1;
                }
            }
            if deleted == 0 {
                return Err(Error::invalid(
                    "action",
                    "the report names no post, event or project item that is still here",
                ));
            }
            format!("{deleted} item(s) deleted.")
        }
        Action::Warn => {
            let member = local.ok_or_else(|| remote_only(action))?;
            let summary = if reason.is_empty() {
                "A moderator of this space warned you about your conduct.".to_string()
            } else {
                format!("A moderator of this space warned you: {reason}")
            };
            notes::notify(
                &mut tx,
                &NewNotification {
                    account_id: member.id,
                    kind: Kind::Warning,
                    actor: &urls.space(),
                    actor_name: "Moderators",
                    object: "",
                    link: "",
                    summary: &summary,
                },
            )
            .await?;
            store::audit_tx(&mut tx, &by, "warn", &report.target, Some(id), &reason).await?;
            format!("@{} was warned.", member.handle)
        }
        Action::Suspend | Action::Unsuspend => {
            let on = action == Action::Suspend;
            if let Some(member) = local {
                if member.id == moderator.id {
                    return Err(Error::invalid("action", "you cannot suspend yourself"));
                }
                if member.is_admin && !moderator.is_admin {
                    return Err(Error::forbidden(
                        "Only an administrator can suspend an administrator.",
                    ));
                }
                let changed = blocks::set_suspended_tx(&mut tx, member.id, on).await?;
                // On the wire as Mastodon does it: other servers are sent `Delete` of the actor
                // when it is suspended (in this transaction), `Update` when it is back.
                if changed && on {
                    outbound::queue_actor_deleted(state, &mut tx, &member.local_actor()).await?;
                } else if changed {
                    restored = Some(member.id);
                }
            } else if on {
                store::set_actor_limit_tx(&mut tx, &report.target, ActorLimit::Suspend, &reason)
                    .await?;
                follows::remove_actor_tx(&mut tx, &report.target).await?;
                directory::sync::remove_limited(&state.db, &mut tx, &report.target).await?;
            } else {
                store::remove_actor_limit_tx(&mut tx, &report.target).await?;
                directory::sync::relist_unlimited(&mut tx, &report.target).await?;
            }
            store::audit_tx(
                &mut tx,
                &by,
                action.as_str(),
                &report.target,
                Some(id),
                &reason,
            )
            .await?;
            if on {
                format!("{} is suspended.", report.target)
            } else {
                format!("{} is no longer suspended.", report.target)
            }
        }
        Action::Limit | Action::Unlimit => {
            if local.is_some() {
                return Err(Error::invalid(
                    "action",
                    "limits are for remote accounts; warn or suspend a member of this space",
                ));
            }
            if action == Action::Limit {
                store::set_actor_limit_tx(&mut tx, &report.target, ActorLimit::Limit, &reason)
                    .await?;
                directory::sync::remove_limited(&state.db, &mut tx, &report.target).await?;
            } else {
                store::remove_actor_limit_tx(&mut tx, &report.target).await?;
                directory::sync::relist_unlimited(&mut tx, &report.target).await?;
            }
            store::audit_tx(
                &mut tx,
                &by,
                action.as_str(),
                &report.target,
                Some(id),
                &reason,
            )
            .await?;
            format!("{}: {}.", report.target, action.label().to_lowercase())
        }
        Action::BlockDomain => {
            if local.is_some() {
                return Err(remote_only(action));
            }
            let host = policy::host_of(&report.target).unwrap_or_default();
            let domain = DomainName::parse(&host).map_err(|m| Error::invalid("action", m))?;
            if domain.covers(&state.config.domain) {
                return Err(Error::invalid("action", "that is this space's own domain"));
            }
            directory::sync::remove_blocked(&state.db, &mut tx, domain.as_str()).await?;
            policy::set_in(&mut tx, &domain, Policy::Block, &reason).await?;
            store::audit_tx(
                &mut tx,
                &by,
                "block_domain",
                domain.as_str(),
                Some(id),
                &reason,
            )
            .await?;
            format!("{domain} is blocked.")
        }
    };
    tx.commit().await?;
    for key in media {
        state.media.delete(&key).await;
    }
    if let Some(member) = restored {
        accounts::actor::publish_update(state, member).await?;
    }
    delivery::wake(state);
    Ok(Outcome { action, done })
}

fn remote_only(action: Action) -> Error {
    match action {
        Action::Warn => Error::invalid("action", "only members of this space can be warned"),
        _ => Error::invalid("action", "this is for remote accounts only"),
    }
}

/// The local member an actor URI names, if it names one.
async fn local_member(state: &AppState, urls: &Urls, uri: &str) -> Result<Option<Account>> {
    let prefix = format!("{}/members/", urls.base());
    match uri.strip_prefix(&prefix) {
        Some(h) if !h.is_empty() && !h.contains('/') => {
            accounts::store::by_handle(&state.db, h).await
        }
        _ => Ok(None),
    }
}
