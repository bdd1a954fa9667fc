//! Notifications of local members: someone followed them, answered an event, mentioned them,
//! replied, assigned them a task or sent a message. Every feature records its own through
//! [`store::notify`] inside the transaction of the write that causes it; members read them on
//! `/notifications` (a page of the hub: `hub::notifications_web`, which shows who did it) and through `GET /api/v1/notifications`. Members who want them also get them by mail, at once or
//! in a daily digest, per topic (`topics.rs`, `mailer.rs`, `mail_web.rs`).

pub mod api;
mod mail;
pub use mail::store as mail_store;
pub mod mail_web;
pub mod mailer;
pub mod store;
pub mod topics;

pub use store::{Kind, NewNotification, Notification};

use crate::error::Result;
use crate::state::AppState;

/// A member's notifications as the page and the API list them, newest first: without those
/// caused by an actor the moderators suspended (until the suspension is lifted), but
/// warnings and reports.
pub async fn listed(
    state: &AppState,
    account_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Notification>> {
    let hidden = crate::moderation::blocks::suspended_list(state).await?;
    store::list(&state.db, account_id, &hidden, limit, offset).await
}

/// How many of the notifications [`listed`] shows are unread.
pub async fn unread(state: &AppState, account_id: i64) -> Result<i64> {
    let hidden = crate::moderation::blocks::suspended_list(state).await?;
    store::unread_count(&state.db, account_id, &hidden).await
}
