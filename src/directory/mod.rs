//! The federated directory: companies, people, projects, spaces and events across every space
//! this one knows, searchable with facets, with no central index.
//!
//! - `model`: an entry and its kinds; `store`: every query (entries, search, facets, peers).
//! - `local`: this space's own entries, reconciled from members, companies, projects, public
//!   upcoming events and the space.
//! - `publish`: `GET /directory` as an AS2 `OrderedCollection` ordered by last change, with
//!   an opaque cursor and `Tombstone`s for removals, so peers pull incrementally.
//! - `sync`: the background task that pulls each peer's directory from its saved cursor, and
//!   how pushed `Update`/`Delete` of actors refresh or remove entries.
//! - `peers`: the spaces this one knows (added by an administrator, learnt from follows or
//!   from peers' peer lists), with their NodeInfo.
//! - `search`: validated queries, full text through the storage dialect, facet counts, and
//!   handles or addresses resolved on the fly.
//! - `web` and `api`: the directory page, the local rendering of remote entries, the peers
//!   admin page, `GET /api/v1/directory` and `/api/v1/peers`.

pub mod api;
pub mod local;
pub mod model;
pub mod peers;
pub mod publish;
pub mod search;
pub mod store;
pub mod sync;
pub mod web;

use std::collections::HashMap;
use std::sync::Mutex;

pub use model::{Draft, Entry, Kind};

use crate::error::Result;
use crate::storage::Db;

/// Per-process state of the directory: what local sources looked like at the last
/// reconciliation, recent facet counts, and the sync task's wake-up.
#[derive(Default)]
pub struct Runtime {
    signature: Mutex<Option<String>>,
    reconcile_lock: tokio::sync::Mutex<()>,
    facet_cache: Mutex<HashMap<String, store::Facets>>,
    /// Wakes the sync task (a peer was added).
    pub sync_wakeup: tokio::sync::Notify,
}

/// Facet counts kept per process before the cache starts over.
const FACET_CACHE_SIZE: usize = 256;

impl Runtime {
    fn last_signature(&self) -> Option<String> {
        self.signature.lock().ok().and_then(|s| s.clone())
    }

    fn set_signature(&self, signature: String) {
        if let Ok(mut s) = self.signature.lock() {
            *s = Some(signature);
        }
    }

    /// Facet counts for a search. They only change when an entry or a domain rule does, so
    /// they are kept per (search, rules, highest change number): a repeated search costs one
    /// indexed lookup instead of eight grouped counts.
    pub async fn facets(
        &self,
        db: &Db,
        filters: &search::Filters,
        vis: &store::Visibility,
    ) -> Result<store::Facets> {
        let generation = store::generation(db).await?;
        let key = format!("{generation}|{filters:?}|{vis:?}");
        if let Some(hit) = self
            .facet_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(hit);
        }
        let facets = store::facets(db, filters, vis).await?;
        if let Ok(mut cache) = self.facet_cache.lock() {
            if cache.len() >= FACET_CACHE_SIZE {
                cache.clear();
            }
            cache.insert(key, facets.clone());
        }
        Ok(facets)
    }
}
