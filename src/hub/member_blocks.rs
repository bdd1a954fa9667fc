//! Blocks between members and remote actors, as they federate. A member's block of a remote
//! actor is recorded (follows both ways ended) and its `Block` queued to the actor's inbox in
//! one transaction, as Mastodon sends it; unblocking queues its `Undo`. A remote actor's `Block`
//! of a local member is recorded and ends the follows between them both ways in one
//! transaction; while it stands nothing new the member publishes is delivered to that actor
//! (see `federation::remote_blocks`). Its `Undo` (by the embedded Block or by its id) lifts it;
//! the follows do not come back by themselves, as on Mastodon.

use sha2::{Digest, Sha256};

use crate::accounts::{self, Account};
use crate::error::{Error, Result};
use crate::federation::follows;
use crate::federation::remote::{self, RemoteActor};
use crate::federation::remote_blocks;
use crate::federation::urls::Urls;
use crate::federation::wire::Activity;
use crate::federation::{activities, delivery};
use crate::moderation::blocks::{self, Target};
use crate::moderation::store;
use crate::state::AppState;

/// The address of a member's block of `target` recorded at `since`: stable, so the `Undo`
/// names the `Block` it takes back.
fn block_id(member_uri: &str, target: &str, since: i64) -> String {
    let digest = Sha256::digest(target.as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{member_uri}#blocks/{since}-{short}")
}

/// A member blocks an actor (as typed). For a remote actor, its `Block` is queued to the actor's
/// inbox in the transaction that records the block. Returns the target and whether the block
/// is new.
pub async fn block(state: &AppState, member: &Account, raw: &str) -> Result<(Target, bool)> {
    let target = blocks::resolve(state, raw).await?;
    let remote = if target.local {
        None
    } else {
        remote::by_uri(&state.db, &target.uri).await?
    };
    let me = Urls::new(&state.config).member(&member.handle);
    let mut tx = state.db.begin_write().await?;
    let new = blocks::block_tx(&mut tx, state, member, &target).await?;
    let mut queued = false;
    if let (true, Some(actor)) = (new, &remote) {
        let since = store::block_since_tx(&mut tx, member.id, &target.uri)
            .await?
            .unwrap_or_default();
        let activity = activities::block(&block_id(&me, &target.uri, since), &me, &actor.uri);
        let signer = member.local_actor().key_ref();
        delivery::publish(
            &mut tx,
            &activity,
            signer,
            false,
            std::slice::from_ref(&actor.inbox),
        )
        .await?;
        queued = true;
    }
    tx.commit().await?;
    if queued {
        delivery::wake(state);
    }
    Ok((target, new))
}

/// A member takes back a block (named as typed, or as lists show it). For a remote actor, the
/// `Undo` of its `Block` is queued in the transaction that removes it. `NotFound` when there
/// was none.
pub async fn unblock(state: &AppState, member: &Account, raw: &str) -> Result<()> {
    let Some(uri) = blocks::named_uri(state, raw).await? else {
        return Err(Error::NotFound);
    };
    let urls = Urls::new(&state.config);
    let me = urls.member(&member.handle);
    let remote = if uri.starts_with(&format!("{}/", urls.base())) {
        None
    } else {
        remote::by_uri(&state.db, &uri).await?
    };
    let mut tx = state.db.begin_write().await?;
    let Some(since) = store::remove_block_tx(&mut tx, member.id, &uri).await? else {
        return Err(Error::NotFound);
    };
    if let Some(actor) = &remote {
        let block = activities::block(&block_id(&me, &uri, since), &me, &actor.uri);
        let undo = activities::undo(
            &urls,
            &me,
            &activities::strip_context(&block),
            std::slice::from_ref(&actor.uri),
        );
        let signer = member.local_actor().key_ref();
        delivery::publish(
            &mut tx,
            &undo,
            signer,
            false,
            std::slice::from_ref(&actor.inbox),
        )
        .await?;
    }
    tx.commit().await?;
    if remote.is_some() {
        delivery::wake(state);
    }
    Ok(())
}

/// A remote actor blocks the local member `handle`: the block is recorded (so nothing new the
/// member publishes is delivered to that actor) and the follows between them end, both ways,
/// in one transaction. A block of someone who is not a member here is ignored.
pub async fn on_block(
    state: &AppState,
    activity: &Activity,
    handle: &str,
    actor: &RemoteActor,
) -> Result<()> {
    let Some(member) = accounts::store::by_handle(&state.db, handle).await? else {
        return Ok(());
    };
    let me = Urls::new(&state.config).member(&member.handle);
    let mut tx = state.db.begin_write().await?;
    remote_blocks::store::record_tx(
        &mut tx,
        &actor.uri,
        &me,
        activity.id.as_str(),
        (&actor.inbox, actor.shared_inbox.as_deref()),
    )
    .await?;
    follows::store::remove_tx(&mut tx, &me, &actor.uri).await?;
    follows::store::remove_tx(&mut tx, &actor.uri, &me).await?;
    tx.commit().await?;
    tracing::info!(member = %member.handle, actor = %actor.uri, "a remote actor blocked a member; follows between them ended");
    Ok(())
}

/// A remote actor takes back its block of the local member `handle` (an embedded `Block`):
/// deliveries to it resume; the follows do not come back by themselves (either side may
/// follow again).
pub async fn on_undo_block(state: &AppState, handle: &str, actor: &RemoteActor) -> Result<()> {
    let me = Urls::new(&state.config).member(&handle.to_ascii_lowercase());
    if remote_blocks::store::remove(&state.db, &actor.uri, &me).await? {
        tracing::info!(member = handle, actor = %actor.uri, "a remote actor lifted its block of a member");
    }
    Ok(())
}

/// `Undo` naming only an activity id: when it is the id of the sender's `Block`, that block is
/// taken back. Whether it was one.
pub async fn on_undo_block_by_id(
    state: &AppState,
    block_id: &str,
    actor: &RemoteActor,
) -> Result<bool> {
    let lifted = remote_blocks::store::remove_by_id(&state.db, &actor.uri, block_id).await?;
    if lifted {
        tracing::info!(actor = %actor.uri, "a remote actor lifted its block of a member (by id)");
    }
    Ok(lifted)
}
