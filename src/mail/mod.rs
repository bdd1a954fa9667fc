//! Outgoing mail. Features hand a [`Letter`] to [`send`], which renders it as text and HTML
//! with the space's name and stores it in the persistent queue (`mail_queue`); a worker
//! (`worker.rs`) claims due rows with a conditional update, sends them over SMTP through
//! lettre (`transport.rs`) and retries failures with a bounded backoff, so nothing is lost while
//! the SMTP server is down or the process restarts. Without `smtp_url` mail is off: nothing is
//! queued, and the log and the administrators' mail page say so.

pub mod compose;
pub mod message;
pub mod store;
pub mod transport;
pub mod worker;

use std::sync::Arc;

use tokio::sync::Notify;

pub use compose::Letter;

use crate::error::Result;
use crate::state::AppState;
use crate::validate::Email;

/// The per-process part of mail: the worker's wake-up.
#[derive(Default)]
pub struct Runtime {
    pub wakeup: Notify,
}

/// Whether this instance sends mail.
pub fn enabled(state: &AppState) -> bool {
    state.config.mail.is_some()
}

/// Renders `letter` for `to` and queues it; `Ok(false)` when mail is off (nothing queued).
pub async fn send(state: &AppState, to: &Email, kind: &str, letter: &Letter) -> Result<bool> {
    if !enabled(state) {
        tracing::debug!(kind, "mail is off; not queued");
        return Ok(false);
    }
    let rendered = render(state, letter).await?;
    store::enqueue(&state.db, to.as_str(), kind, &rendered).await?;
    state.mail.wakeup.notify_one();
    Ok(true)
}

/// Renders `letter` with the space's name, as [`send`] queues it.
pub async fn render(state: &AppState, letter: &Letter) -> Result<compose::Rendered> {
    let space = crate::spaces::store::name(&state.db)
        .await?
        .unwrap_or_else(|| state.config.domain.clone());
    Ok(letter.render(&space))
}

/// Sends `letter` to the address of the local member `account_id` (nothing when the account is
/// gone or mail is off). `path` links are made absolute with [`absolute`].
pub async fn to_member(
    state: &AppState,
    account_id: i64,
    kind: &str,
    letter: &Letter,
) -> Result<bool> {
    if !enabled(state) {
        return Ok(false);
    }
    let Some(account) = crate::accounts::store::by_id(&state.db, account_id).await? else {
        return Ok(false);
    };
    let Ok(email) = Email::parse(&account.email) else {
        return Ok(false);
    };
    send(state, &email, kind, letter).await
}

/// A link for a mail: a local path gets the public base URL in front.
pub fn absolute(state: &AppState, link: &str) -> String {
    if link.starts_with('/') {
        format!("{}{link}", state.config.base_url())
    } else {
        link.to_string()
    }
}

/// Starts the worker when mail is on.
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let settings = state.config.mail.clone()?;
    Some(tokio::spawn(worker::run(state, Arc::new(settings))))
}
