//! Decisions kept in memory for the hot paths (every inbox request, every delivery, every
//! signed fetch ask what the rules say about a host): a host's decision is read from the
//! database at most once per [`TTL`] while the rules do not change.
//!
//! Every write of a rule or of the federation mode (all of them are in `store.rs`) marks a
//! change in this process: decisions read before it are dropped, and for [`TTL`] after it the
//! database is asked every time, so a decision read while the writing transaction was still
//! open cannot outlive it. A rule written by another process (the command line, a second server
//! on the same PostgreSQL database) applies here within [`TTL`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::Decision;

/// How long a decision is trusted.
pub const TTL: Duration = Duration::from_secs(1);
/// Hosts remembered at most; the map starts again when full.
const MAX_HOSTS: usize = 4096;

/// Microseconds since this process first asked, at the last write of a rule (0: none yet).
static LAST_CHANGE: AtomicU64 = AtomicU64::new(0);

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

fn micros(at: Instant) -> u64 {
    at.saturating_duration_since(origin()).as_micros() as u64 + 1
}

/// Called by every write of a rule or of the mode, before its transaction commits.
pub(super) fn changed() {
    LAST_CHANGE.store(micros(Instant::now()), Ordering::SeqCst);
}

/// One instance's decisions by host.
#[derive(Default)]
pub struct DecisionCache {
    hosts: Mutex<HashMap<String, (Decision, u64)>>,
}

impl DecisionCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The decision for a normalised host, if one read since the last change is fresh.
    pub(super) fn get(&self, host: &str) -> Option<Decision> {
        let now = micros(Instant::now());
        let last_change = LAST_CHANGE.load(Ordering::SeqCst);
        let ttl = TTL.as_micros() as u64;
        if last_change != 0 && now < last_change + ttl {
            return None;
        }
        // Read inside a change's window, a decision may predate the commit: never trusted.
        let trusted_from = if last_change == 0 {
            0
        } else {
            last_change + ttl
        };
        let hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let (decision, read_at) = hosts.get(host)?;
        (*read_at > trusted_from && now < read_at + ttl).then_some(*decision)
    }

    /// Remembers a decision read at `read_at` (taken before the read began).
    pub(super) fn put(&self, host: String, decision: Decision, read_at: Instant) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if hosts.len() >= MAX_HOSTS {
            hosts.clear();
        }
        hosts.insert(host, (decision, micros(read_at)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_drops_what_was_read_before_it() {
        let cache = DecisionCache::new();
        let before = Instant::now();
        cache.put("a.example".into(), Decision::Allow, before);
        // Whatever other tests in this process changed, a decision read now is kept once the
        // change window is over; a change after the read drops it.
        changed();
        assert_eq!(cache.get("a.example"), None);
        cache.put("a.example".into(), Decision::Block, Instant::now());
        assert_eq!(
            cache.get("a.example"),
            None,
            "not trusted inside the window"
        );
    }
}
