//! Notification mails. A job reads new notifications after a shared cursor (advanced by one
//! conditional update, so several processes never mail one twice) and queues a mail at once for
//! members whose topic is `immediate`; every `notification_digest_secs` (a day by default) it
//! sends each member one digest of the notifications of their `digest` topics. Each mail has a
//! signed unsubscribe link (HMAC-SHA256 of the member and topic under a secret kept in the
//! database) that sets the topic to `never` without signing in, and the same link as a
//! `List-Unsubscribe` header with `List-Unsubscribe-Post` (RFC 8058 one-click).

use std::time::Duration;

use sha2::{Digest, Sha256};

use super::mail_store::{self, Pending};
use super::topics::{Mode, Topic};
use crate::error::Result;
use crate::mail::{self, Letter};
use crate::state::AppState;

const TICK: Duration = Duration::from_secs(2);
const BATCH: i64 = 200;
/// The unsubscribe link's topic that stops every notification mail.
pub const ALL: &str = "all";

/// Starts the job when mail is on.
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    state.config.mail.as_ref()?;
    Some(tokio::spawn(run(state)))
}

async fn run(state: AppState) {
    let digest_every = Duration::from_secs(state.config.notification_digest_secs);
    let digest_check = digest_every.min(Duration::from_secs(60));
    let mut last_digest_check = tokio::time::Instant::now();
    loop {
        if let Err(e) = immediate(&state).await {
            tracing::warn!(error = %e, "notification mails failed");
        }
        if last_digest_check.elapsed() >= digest_check {
            last_digest_check = tokio::time::Instant::now();
            if let Err(e) = digests(&state, digest_every.as_millis() as i64).await {
                tracing::warn!(error = %e, "notification digests failed");
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Queues the mails of new notifications for members who want them at once.
pub async fn immediate(state: &AppState) -> Result<usize> {
    let mut sent = 0;
    loop {
        let batch = mail_store::take_new(&state.db, BATCH).await?;
        if batch.is_empty() {
            return Ok(sent);
        }
        let (_, secret) = mail_store::state(&state.db).await?;
        for n in &batch {
            let Some(topic) = Topic::of_kind(&n.kind) else {
                continue;
            };
            let settings = mail_store::settings(&state.db, n.account_id).await?;
            if settings.mode(topic) != Mode::Immediate {
                continue;
            }
            let line = format!("{} {}", n.actor_name, n.summary);
            let letter = Letter::new(line.clone())
                .paragraph(line)
                .action("Open", link(state, n))
                .unsubscribe(unsubscribe_url(
                    state,
                    &secret,
                    n.account_id,
                    topic.as_str(),
                ))
                .list_unsubscribe(one_click_url(state, &secret, n.account_id, topic.as_str()));
            if mail::to_member(state, n.account_id, topic.as_str(), &letter).await? {
                sent += 1;
            }
        }
    }
}

/// Sends the digests that are due.
pub async fn digests(state: &AppState, every_ms: i64) -> Result<usize> {
    let mut sent = 0;
    let (_, secret) = mail_store::state(&state.db).await?;
    for (account_id, last, newest) in mail_store::due_digests(&state.db, every_ms).await? {
        let Some(items) = mail_store::claim_digest(&state.db, account_id, last, newest).await?
        else {
            continue;
        };
        let settings = mail_store::settings(&state.db, account_id).await?;
        let chosen: Vec<&Pending> = items
            .iter()
            .filter(|n| Topic::of_kind(&n.kind).is_some_and(|t| settings.mode(t) == Mode::Digest))
            .collect();
        if chosen.is_empty() {
            continue;
        }
        let mut letter = Letter::new(format!(
            "Your digest: {} notification{}",
            chosen.len(),
            if chosen.len() == 1 { "" } else { "s" }
        ));
        for n in chosen.iter().take(50) {
            letter = letter.paragraph(format!(
                "{} {}\n{}",
                n.actor_name,
                n.summary,
                link(state, n)
            ));
        }
        if chosen.len() > 50 {
            letter = letter.paragraph(format!("…and {} more.", chosen.len() - 50));
        }
        let letter = letter
            .action(
                "See all notifications",
                mail::absolute(state, "/notifications"),
            )
            .unsubscribe(unsubscribe_url(state, &secret, account_id, ALL))
            .list_unsubscribe(one_click_url(state, &secret, account_id, ALL));
        if mail::to_member(state, account_id, "digest", &letter).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Mails a local member about `topic` (an invitation) unless they chose `never` for it, with the
/// topic's unsubscribe link and `List-Unsubscribe` header. `Ok(false)` when not sent.
pub async fn to_member_about(
    state: &AppState,
    account_id: i64,
    topic: Topic,
    kind: &str,
    letter: Letter,
) -> Result<bool> {
    if !mail::enabled(state) {
        return Ok(false);
    }
    let settings = mail_store::settings(&state.db, account_id).await?;
    if settings.mode(topic) == Mode::Never {
        return Ok(false);
    }
    let (_, secret) = mail_store::state(&state.db).await?;
    let letter = letter
        .unsubscribe(unsubscribe_url(state, &secret, account_id, topic.as_str()))
        .list_unsubscribe(one_click_url(state, &secret, account_id, topic.as_str()));
    mail::to_member(state, account_id, kind, &letter).await
}

fn link(state: &AppState, n: &Pending) -> String {
    if n.link.is_empty() {
        mail::absolute(state, "/notifications")
    } else {
        mail::absolute(state, &n.link)
    }
}

pub fn unsubscribe_url(state: &AppState, secret: &str, account_id: i64, topic: &str) -> String {
    format!(
        "{}/unsubscribe?a={account_id}&t={topic}&s={}",
        state.config.base_url(),
        sign(secret, account_id, topic)
    )
}

/// The `List-Unsubscribe` URL: a POST of `List-Unsubscribe=One-Click` to it stops the mails
/// (RFC 8058); a GET shows the unsubscribe page.
pub fn one_click_url(state: &AppState, secret: &str, account_id: i64, topic: &str) -> String {
    format!(
        "{}{}?a={account_id}&t={topic}&s={}",
        state.config.base_url(),
        crate::web::csrf::ONE_CLICK_PATH,
        sign(secret, account_id, topic)
    )
}

/// The signature of an unsubscribe link: HMAC-SHA256 of `account:topic`, hex, 32 characters.
pub fn sign(secret: &str, account_id: i64, topic: &str) -> String {
    let mac = hmac_sha256(
        secret.as_bytes(),
        format!("{account_id}:{topic}").as_bytes(),
    );
    mac.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut key = [0u8; 64];
    if secret.len() > 64 {
        key[..32].copy_from_slice(&Sha256::digest(secret));
    } else {
        key[..secret.len()].copy_from_slice(secret);
    }
    let pad = |byte: u8| key.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// Whether `signature` is the one of `account_id` and `topic` (compared in constant time).
pub fn verify(secret: &str, account_id: i64, topic: &str, signature: &str) -> bool {
    let expected = sign(secret, account_id, topic);
    expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_and_links_verify() {
        // RFC 4231, test case 2.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );

        let s = sign("secret", 7, "messages");
        assert_eq!(s.len(), 32);
        assert!(verify("secret", 7, "messages", &s));
        assert!(!verify("secret", 8, "messages", &s));
        assert!(!verify("secret", 7, "mentions", &s));
        assert!(!verify("other", 7, "messages", &s));
        assert!(!verify("secret", 7, "messages", ""));
    }
}
