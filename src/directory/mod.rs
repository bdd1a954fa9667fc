//! The federated directory: companies, people, projects, spaces and events across every space
//! this one knows, searchable with facets, with no central index.
//!
//! - `model`: an entry and its kinds; `store`: every query (entries, peers).
//! - `index`: the directory's index, in memory, following the entries' change numbers: word
//!   matching, filters, facet counts and the order of results in one pass.
//! - `local`: this space's own entries, reconciled from members, companies, projects, public
//!   upcoming events and the space.
//! - `publish`: `GET /directory` as an AS2 `OrderedCollection` ordered by last change, with
//!   an opaque cursor and `Tombstone`s for removals, so peers pull incrementally.
//! - `sync`: the background task that pulls each peer's directory from its saved cursor, and
//!   how pushed `Update`/`Delete` of actors refresh or remove entries.
//! - `peers`: the spaces this one knows (added by an administrator, learnt from follows or
//!   from peers' peer lists), with their NodeInfo.
//! - `search`: validated queries, full-text matches through the storage dialect, the index,
//!   and handles or addresses resolved on the fly.
//! - `web` and `api`: the directory page, the local rendering of remote entries, the peers
//!   admin page, `GET /api/v1/directory` and `/api/v1/peers`.

pub mod api;
pub mod index;
pub mod local;
pub mod model;
pub mod peers;
pub mod publish;
pub mod search;
pub mod store;
pub mod sync;
pub mod web;

use std::sync::Mutex;

pub use model::{Draft, Entry, Kind};

/// Per-process state of the directory: what local sources looked like at the last
/// reconciliation, the directory index, and the sync task's wake-up.
#[derive(Default)]
pub struct Runtime {
    signature: Mutex<Option<String>>,
    reconcile_lock: tokio::sync::Mutex<()>,
    /// Every live entry's facets and ranked words, following the database.
    pub index: index::Shared,
    /// Wakes the sync task (a peer was added).
    pub sync_wakeup: tokio::sync::Notify,
}

impl Runtime {
    fn last_signature(&self) -> Option<String> {
        self.signature.lock().ok().and_then(|s| s.clone())
    }

    fn set_signature(&self, signature: String) {
        if let Ok(mut s) = self.signature.lock() {
            *s = Some(signature);
        }
    }
}
