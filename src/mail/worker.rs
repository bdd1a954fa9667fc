//! The mail worker: claims due mails, sends them one after another, and records each outcome.
//! A failed attempt is retried after `mail_retry_base_ms`, doubling per attempt up to an hour,
//! and given up after [`MAX_ATTEMPTS`] (about three days) or at once on a permanent refusal.
//! It sleeps until the next mail is due or [`super::send`] wakes it.

use std::sync::Arc;
use std::time::Duration;

use super::{message, store, transport};
use crate::config::MailSettings;
use crate::state::AppState;
use crate::storage::now_ms;

/// Attempts before a mail is given up.
pub const MAX_ATTEMPTS: i64 = 80;
const MAX_DELAY_MS: i64 = 3_600_000;
const IDLE: Duration = Duration::from_secs(60);
const BATCH: i64 = 20;

/// The delay before attempt `attempts + 1`, after `attempts` failures (at least one).
pub fn backoff_ms(base_ms: u64, attempts: i64) -> i64 {
    let shift = (attempts.max(1) - 1).min(20) as u32;
    (base_ms as i64)
        .saturating_mul(1 << shift)
        .min(MAX_DELAY_MS)
}

pub async fn run(state: AppState, settings: Arc<MailSettings>) {
    let transport = match transport::build(&settings.smtp) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "mail is on but cannot be sent");
            return;
        }
    };
    loop {
        let worked = match round(&state, &settings, &transport).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "mail queue round failed");
                false
            }
        };
        if worked {
            continue;
        }
        let wait = match store::next_due(&state.db).await {
            Ok(Some(at)) => {
                Duration::from_millis((at - now_ms()).clamp(0, IDLE.as_millis() as i64) as u64)
            }
            _ => IDLE,
        };
        if wait.is_zero() {
            // Due but leased by someone else: look again shortly.
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        tokio::select! {
            _ = state.mail.wakeup.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// One batch: returns how many mails were tried.
async fn round(
    state: &AppState,
    settings: &MailSettings,
    transport: &transport::Transport,
) -> crate::error::Result<usize> {
    let claimed = store::claim(&state.db, BATCH).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let space = crate::spaces::store::name(&state.db)
        .await?
        .unwrap_or_else(|| state.config.domain.clone());
    for mail in &claimed {
        let rendered = super::compose::Rendered {
            subject: mail.subject.clone(),
            text: mail.text.clone(),
            html: mail.html.clone(),
            list_unsubscribe: mail.list_unsubscribe.clone(),
        };
        let outcome = match message::build(&settings.from, &space, &mail.recipient, &rendered) {
            Ok(m) => transport::send(transport, m).await,
            Err(e) => transport::Outcome::Permanent(e),
        };
        match outcome {
            transport::Outcome::Sent(answer) => {
                tracing::info!(mail = mail.id, answer = %answer, "mail sent");
                store::mark_sent(&state.db, mail).await?;
            }
            transport::Outcome::Permanent(e) => {
                tracing::warn!(mail = mail.id, error = %e, "mail refused; given up");
                store::mark_failed(&state.db, mail, &e, None).await?;
            }
            transport::Outcome::Transient(e) => {
                let attempts = mail.attempts + 1;
                let retry = (attempts < MAX_ATTEMPTS)
                    .then(|| now_ms() + backoff_ms(state.config.mail_retry_base_ms, attempts));
                tracing::warn!(mail = mail.id, attempts, error = %e, "mail not sent; will retry");
                store::mark_failed(&state.db, mail, &e, retry).await?;
            }
        }
    }
    Ok(claimed.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(super::backoff_ms(30_000, 1), 30_000);
        assert_eq!(super::backoff_ms(30_000, 2), 60_000);
        assert_eq!(super::backoff_ms(30_000, 7), 1_920_000);
        assert_eq!(super::backoff_ms(30_000, 8), 3_600_000);
        assert_eq!(super::backoff_ms(30_000, 80), 3_600_000);
    }
}
