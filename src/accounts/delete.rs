//! Deleting one's own account: followers are told (`Delete`), the profile URL answers 410, the
//! handle stays reserved, and everything the account owned here goes with it.

use super::Account;
use crate::error::{Error, Result};
use crate::federation::urls::Urls;
use crate::federation::{delivery, follows, outbound, tombstones};
use crate::state::AppState;

pub async fn delete_account(
    state: &AppState,
    account: &Account,
    current_password: &str,
) -> Result<()> {
    if !super::register::confirm_password(state, account, current_password).await? {
        return Err(Error::invalid("password", "is wrong"));
    }
    // The checks run inside the deleting transaction (BEGIN IMMEDIATE on SQLite), so a
    // concurrent change cannot slip between a check and the deletion.
    let mut tx = state.db.begin_write().await?;
    let sole_owner = crate::companies::store::solely_owned_by_tx(&mut tx, account.id).await?;
    if !sole_owner.is_empty() {
        return Err(Error::Conflict(format!(
            "You are the only owner of {}. Make someone else an owner, or delete the company, first.",
            sole_owner.join(", ")
        )));
    }
    let remaining_admins = super::store::count_other_admins_tx(&mut tx, account.id).await?;
    if account.is_admin && remaining_admins == 0 {
        return Err(Error::Conflict(
            "You are the space's only administrator. Make another member an administrator first."
                .into(),
        ));
    }

    let urls = Urls::new(&state.config);
    let uri = urls.member(&account.handle);
    // Same transaction: the Delete for followers is queued exactly when the account goes. The
    // key outlives the account row, so the queued Delete can still be signed.
    outbound::queue_actor_deleted(state, &mut tx, &account.local_actor()).await?;
    if !super::store::delete_tx(&mut tx, account.id).await? {
        return Err(Error::NotFound);
    }
    tombstones::insert(&mut tx, &uri, "Person").await?;
    follows::remove_actor_tx(&mut tx, &uri).await?;
    crate::events::store::remove_actor_tx(&mut tx, &uri).await?;
    tx.commit().await?;
    delivery::wake(state);
    if let Some(key) = &account.avatar_key {
        state.media.delete(key).await;
    }
    tracing::info!(handle = %account.handle, "account deleted");
    Ok(())
}
