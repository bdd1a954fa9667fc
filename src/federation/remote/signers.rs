//! The keys of actors that signed recently, kept in memory with their parsed form: every inbox
//! request and every signed fetch establishes its signer, and reading the actor's row and
//! decoding its key each time was most of what a request asked of the database.
//!
//! An entry is only a shortcut to a key that verified before: a signature that does not verify
//! with it goes on to the stored document and then to a fresh fetch, as without the cache, so
//! a rotated key is learnt at once. A deleted actor is forgotten by the code that marks it
//! deleted ([`SignerCache::forget`]); a second server process on the same database forgets it
//! within [`TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::RemoteActor;
use crate::federation::crypto::VerifyingKey;

/// How long an entry is used without reading the actor's row again.
pub const TTL: Duration = Duration::from_secs(60);
/// Actors remembered at most (about 2 KiB each); the map starts again when full.
const MAX_ACTORS: usize = 2048;

/// An actor and its key, decoded once.
pub struct KnownSigner {
    pub actor: RemoteActor,
    pub key: VerifyingKey,
    at: Instant,
}

/// One instance's recent signers by actor URI.
#[derive(Default)]
pub struct SignerCache {
    actors: Mutex<HashMap<String, Arc<KnownSigner>>>,
}

impl SignerCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The actor at `uri` and its key, when seen within [`TTL`].
    pub fn get(&self, uri: &str) -> Option<Arc<KnownSigner>> {
        let actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors.get(uri).filter(|s| s.at.elapsed() < TTL).cloned()
    }

    /// Remembers an actor whose key just verified a signature.
    pub fn put(&self, actor: RemoteActor, key: VerifyingKey) {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        if actors.len() >= MAX_ACTORS {
            actors.clear();
        }
        let uri = actor.uri.clone();
        actors.insert(
            uri,
            Arc::new(KnownSigner {
                actor,
                key,
                at: Instant::now(),
            }),
        );
    }

    /// Drops an actor (deleted, or gone at its server).
    pub fn forget(&self, uri: &str) {
        self.actors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(uri);
    }
}
