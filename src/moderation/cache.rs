//! The moderators' limits on remote actors and the suspended members of this space, kept in
//! memory: every inbound activity asks whether its sender is suspended, and every list of
//! posts, events or members leaves suspended actors out, so both would otherwise cost a query
//! each time. They change only when a moderator acts.
//!
//! The copy is read whole (two small queries) at most once per [`TTL`](fresh::TTL). Every
//! write of a limit (`store.rs`) or of a member's suspension (`blocks::set_suspended_tx`) marks a
//! change before its transaction commits, so this process stops using an older copy at once;
//! a change made by another process (a second server on the same PostgreSQL database) applies
//! here within the TTL.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::model::ActorLimit;
use super::store;
use crate::accounts;
use crate::error::Result;
use crate::storage::fresh::{self, Changes};
use crate::storage::Db;

/// The last write of a limit or of a suspension in this process.
static LIMITS: Changes = Changes::new();

/// Called by every write of an actor's limit or a member's suspension, before its transaction
/// commits.
pub fn changed() {
    LIMITS.mark();
}

/// Who is limited or suspended, as read at one moment.
#[derive(Debug, Default)]
pub struct Limits {
    /// Remote actors by URI, with their limit.
    pub remote: HashMap<String, ActorLimit>,
    /// Handles of the suspended members of this space.
    pub suspended_members: HashSet<String>,
}

/// One instance's copy of [`Limits`].
#[derive(Default)]
pub struct LimitsCache {
    current: Mutex<Option<(Arc<Limits>, u64)>>,
}

impl LimitsCache {
    /// The limits now: the copy in memory while it is trusted, else read again.
    pub async fn get(&self, db: &Db) -> Result<Arc<Limits>> {
        if let Some((limits, read_at)) = &*self.lock() {
            if LIMITS.trusts(*read_at) {
                return Ok(limits.clone());
            }
        }
        let read_at = fresh::stamp(Instant::now());
        let limits = Arc::new(Limits {
            remote: store::actor_limits(db).await?.into_iter().collect(),
            suspended_members: accounts::store::suspended_handles(db)
                .await?
                .into_iter()
                .collect(),
        });
        let mut current = self.lock();
        // A slower reading that began earlier never replaces a newer one.
        if !matches!(&*current, Some((_, newer)) if *newer > read_at) {
            *current = Some((limits.clone(), read_at));
        }
        Ok(limits)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Arc<Limits>, u64)>> {
        self.current.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::storage::test_db::TestDb;

    async fn limit_of(cache: &LimitsCache, db: &Db, uri: &str) -> Option<ActorLimit> {
        cache.get(db).await.unwrap().remote.get(uri).copied()
    }

    #[tokio::test]
    async fn a_write_here_applies_at_once_and_one_elsewhere_within_the_ttl() {
        let test = TestDb::new().await;
        let db = &test.db;
        let cache = LimitsCache::default();
        let spammer = "https://m.example/users/spam";
        assert_eq!(limit_of(&cache, db, spammer).await, None);

        // Written here: the marker drops the copy before the transaction commits.
        let mut tx = db.begin_write().await.unwrap();
        store::set_actor_limit_tx(&mut tx, spammer, ActorLimit::Suspend, "spam")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            limit_of(&cache, db, spammer).await,
            Some(ActorLimit::Suspend)
        );

        // Written by another process (no marker here): seen once the copy is a TTL old.
        let other = "https://m.example/users/other";
        sqlx::query(
            "INSERT INTO remote_actor_limits (actor_uri, severity, reason, created_at) \
             VALUES ($1, 'limit', '', 0)",
        )
        .bind(other)
        .execute(db.writer())
        .await
        .unwrap();
        let mut seen = false;
        for _ in 0..100 {
            if limit_of(&cache, db, other).await == Some(ActorLimit::Limit) {
                seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(seen, "a limit written elsewhere applies within the TTL");

        let mut tx = db.begin_write().await.unwrap();
        assert!(store::remove_actor_limit_tx(&mut tx, spammer)
            .await
            .unwrap());
        tx.commit().await.unwrap();
        assert_eq!(limit_of(&cache, db, spammer).await, None);
        test.finish().await;
    }
}
