//! Blocklist subscriptions, as GoToSocial has them: an administrator subscribes to the address
//! of a Mastodon domain-block CSV (read by [`super::domains_csv::read`]); the list is fetched
//! with the space's signed, size-limited client, and a refresh makes the domain rules follow
//! it: `suspend` rows become blocks, `silence` rows silences, and the rules a list had added
//! and no longer names are removed (unless another subscribed list still names them). A
//! preview shows what a refresh would change before anything is applied. An administrator
//! applies a list's first refresh from its preview; after that [`spawn`] refreshes it daily.
//! Each refresh is one transaction with its audit line.

use std::time::Duration;

use serde::Serialize;

use super::domains_csv;
use super::store::{self, Subscription};
use crate::directory;
use crate::error::{Error, Result};
use crate::federation::local::{self, LocalActor};
use crate::federation::policy::{self, DomainName, Policy};
use crate::moderation::model::Actor;
use crate::moderation::store as mstore;
use crate::state::AppState;

/// Largest list accepted.
pub const MAX_LIST_BYTES: usize = 2 * 1024 * 1024;
/// How often each list is fetched again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(24 * 3600);
/// How often the worker looks for lists that are due.
const CHECK_EVERY: Duration = Duration::from_secs(3600);

/// One domain a refresh would add or change, with the severity the list gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub domain: String,
    pub severity: String,
}

/// What a refresh would change (or did).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// Domains the list names that it did not before.
    pub adds: Vec<Entry>,
    /// Domains whose severity changed.
    pub changes: Vec<Entry>,
    /// Domains the list no longer names.
    pub removes: Vec<String>,
    /// Domains named as before.
    pub unchanged: usize,
}

impl Preview {
    pub fn summary(&self) -> String {
        format!(
            "{} added, {} changed, {} removed, {} unchanged.",
            self.adds.len(),
            self.changes.len(),
            self.removes.len(),
            self.unchanged
        )
    }

    pub fn is_empty(&self) -> bool {
        self.adds.is_empty() && self.changes.is_empty() && self.removes.is_empty()
    }
}

/// Compares what a list said (`before`, `(domain, severity)`) with what it says now.
pub fn diff(before: &[(String, String)], now: &[(String, String)]) -> Preview {
    let mut out = Preview::default();
    for (domain, severity) in now {
        match before.iter().find(|(d, _)| d == domain) {
            None => out.adds.push(Entry {
                domain: domain.clone(),
                severity: severity.clone(),
            }),
            Some((_, old)) if old != severity => out.changes.push(Entry {
                domain: domain.clone(),
                severity: severity.clone(),
            }),
            Some(_) => out.unchanged += 1,
        }
    }
    for (domain, _) in before {
        if !now.iter().any(|(d, _)| d == domain) {
            out.removes.push(domain.clone());
        }
    }
    out
}

/// Checks an address to subscribe to: one the space's client may fetch.
pub fn check_url(state: &AppState, raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 2000 {
        return Err(Error::invalid(
            "url",
            "is required: the address of a CSV list",
        ));
    }
    state
        .client
        .check_url(raw)
        .map(|u| u.to_string())
        .map_err(|e| Error::invalid("url", e.to_string()))
}

/// Subscribes to the list at `raw`; the subscription and whether it is new.
pub async fn subscribe(state: &AppState, raw: &str) -> Result<(Subscription, bool)> {
    let url = check_url(state, raw)?;
    let (id, new) = store::add(&state.db, &url).await?;
    let sub = store::get(&state.db, id).await?.ok_or(Error::NotFound)?;
    Ok((sub, new))
}

/// Ends a subscription; the rules it added stay (remove them on the domain rules page).
pub async fn unsubscribe(state: &AppState, by: &Actor, id: i64) -> Result<Subscription> {
    let sub = store::get(&state.db, id).await?.ok_or(Error::NotFound)?;
    let mut tx = state.db.begin_write().await?;
    if !store::remove_tx(&mut tx, id).await? {
        return Err(Error::NotFound);
    }
    mstore::audit_tx(&mut tx, by, "unsubscribe_blocklist", &sub.url, None, "").await?;
    tx.commit().await?;
    Ok(sub)
}

/// Fetches a list, signed by the space actor, and reads it: `(domain, severity)` rows.
async fn fetch(state: &AppState, url: &str) -> Result<Vec<(String, String)>> {
    let signer = local::signer(state, &LocalActor::Space).await?;
    let text = state
        .client
        .get_text(url, "text/csv, text/plain", Some(&signer), MAX_LIST_BYTES)
        .await
        .map_err(|e| Error::invalid("url", format!("could not be fetched: {e}")))?;
    let rows = domains_csv::read(&text, &state.config.domain)?;
    Ok(rows.into_iter().map(|r| (r.domain, r.severity)).collect())
}

/// What refreshing subscription `id` would change now, without changing anything.
pub async fn preview(state: &AppState, id: i64) -> Result<(Subscription, Preview)> {
    let sub = store::get(&state.db, id).await?.ok_or(Error::NotFound)?;
    let now = fetch(state, &sub.url).await?;
    let before = store::entries(&state.db, id).await?;
    Ok((sub, diff(&before, &now)))
}

/// Fetches subscription `id` and makes the domain rules follow it, in one transaction with its
/// audit line. A list that cannot be fetched or read changes nothing; its error is kept.
pub async fn refresh(state: &AppState, by: &Actor, id: i64) -> Result<(Subscription, Preview)> {
    let sub = store::get(&state.db, id).await?.ok_or(Error::NotFound)?;
    let now = match fetch(state, &sub.url).await {
        Ok(rows) => rows,
        Err(e) => {
            let why = match &e {
                Error::Invalid(errors) => errors.to_string(),
                other => other.public_message(),
            };
            store::record_error(&state.db, id, &why).await?;
            return Err(e);
        }
    };
    let mut tx = state.db.begin_write().await?;
    if !store::lock_tx(&mut tx, id).await? {
        return Err(Error::NotFound);
    }
    // Read under the lock: a concurrent refresh of the same list has committed by now.
    let before = store::entries_tx(&mut tx, id).await?;
    let changes = diff(&before, &now);
    let reason = format!("from the blocklist {}", sub.url);
    for entry in changes.adds.iter().chain(&changes.changes) {
        let domain = DomainName::parse(&entry.domain).map_err(|m| Error::invalid("url", m))?;
        match entry.severity.as_str() {
            "suspend" => {
                directory::sync::remove_blocked(&state.db, &mut tx, domain.as_str()).await?;
                policy::set_in(&mut tx, &domain, Policy::Block, &reason).await?;
            }
            "silence" => {
                policy::set_in(&mut tx, &domain, Policy::Silence, &reason).await?;
            }
            _ => {}
        }
    }
    for domain in &changes.removes {
        if !store::listed_elsewhere_tx(&mut tx, id, domain).await? {
            policy::remove_in(&mut tx, domain).await?;
        }
    }
    store::replace_entries_tx(&mut tx, id, &now).await?;
    if !changes.is_empty() {
        mstore::audit_tx(
            &mut tx,
            by,
            "refresh_blocklist",
            &sub.url,
            None,
            &changes.summary(),
        )
        .await?;
    }
    tx.commit().await?;
    let sub = store::get(&state.db, id).await?.ok_or(Error::NotFound)?;
    Ok((sub, changes))
}

/// Refreshes every list last refreshed a day ago or more (checked hourly), for as long as the
/// server runs.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = refresh_due(&state).await {
                tracing::warn!(error = %e, "blocklist refresh round failed");
            }
            tokio::time::sleep(CHECK_EVERY).await;
        }
    })
}

async fn refresh_due(state: &AppState) -> Result<()> {
    let before = crate::storage::now_ms() - REFRESH_EVERY.as_millis() as i64;
    for id in store::due(&state.db, before).await? {
        let by = Actor {
            account_id: None,
            name: "blocklist".into(),
        };
        match refresh(state, &by, id).await {
            Ok((sub, changes)) => {
                tracing::info!(url = %sub.url, changes = %changes.summary(), "blocklist refreshed")
            }
            Err(e) => tracing::info!(subscription = id, error = %e, "blocklist refresh failed"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(d, s)| (d.to_string(), s.to_string()))
            .collect()
    }

    #[test]
    fn a_diff_lists_adds_changes_and_removes() {
        let before = rows(&[
            ("a.example", "suspend"),
            ("b.example", "silence"),
            ("c.example", "suspend"),
        ]);
        let now = rows(&[
            ("a.example", "suspend"),
            ("b.example", "suspend"),
            ("d.example", "silence"),
        ]);
        let d = diff(&before, &now);
        assert_eq!(
            d.adds,
            vec![Entry {
                domain: "d.example".into(),
                severity: "silence".into()
            }]
        );
        assert_eq!(
            d.changes,
            vec![Entry {
                domain: "b.example".into(),
                severity: "suspend".into()
            }]
        );
        assert_eq!(d.removes, vec!["c.example".to_string()]);
        assert_eq!(d.unchanged, 1);
        assert!(diff(&now, &now).is_empty());
    }
}
