//! Decisions kept in memory for the hot paths (every inbox request, every delivery, every
//! signed fetch ask what the rules say about a host): a host's decision is read from the
//! database at most once per [`TTL`](fresh::TTL) while the rules do not change. The whole
//! list of rules with the mode (what the directory's searches hide) is kept the same way.
//!
//! Every write of a rule or of the federation mode (all of them are in `store.rs`) marks a
//! change (`crate::storage::fresh`): decisions read before it are dropped at once in this
//! process; a rule written by another process applies here within [`TTL`](fresh::TTL).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{Decision, RuleSet};
use crate::storage::fresh::{self, Changes};

/// Hosts remembered at most; the map starts again when full.
const MAX_HOSTS: usize = 4096;

/// The last write of a rule or of the mode in this process.
static RULES: Changes = Changes::new();

/// Called by every write of a rule or of the mode, before its transaction commits.
pub(super) fn changed() {
    RULES.mark();
}

/// One instance's decisions by host.
#[derive(Default)]
pub struct DecisionCache {
    hosts: Mutex<HashMap<String, (Decision, u64)>>,
    rules: Mutex<Option<(Arc<RuleSet>, u64)>>,
}

impl DecisionCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The decision for a normalised host, if one read since the last change is fresh.
    pub(super) fn get(&self, host: &str) -> Option<Decision> {
        let hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        let (decision, read_at) = hosts.get(host)?;
        RULES.trusts(*read_at).then_some(*decision)
    }

    /// Remembers a decision read at `read_at` (taken before the read began).
    pub(super) fn put(&self, host: String, decision: Decision, read_at: Instant) {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        if hosts.len() >= MAX_HOSTS {
            hosts.clear();
        }
        hosts.insert(host, (decision, fresh::stamp(read_at)));
    }

    /// The rules and the mode, if read since the last change and fresh.
    pub(super) fn rules(&self) -> Option<Arc<RuleSet>> {
        let rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let (set, read_at) = rules.as_ref()?;
        RULES.trusts(*read_at).then(|| set.clone())
    }

    /// Remembers the rules and the mode read at `read_at` (taken before the read began).
    pub(super) fn put_rules(&self, set: Arc<RuleSet>, read_at: Instant) {
        *self.rules.lock().unwrap_or_else(|e| e.into_inner()) = Some((set, fresh::stamp(read_at)));
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
        let set = Arc::new(RuleSet::default());
        cache.put_rules(set.clone(), before);
        assert!(cache.rules().is_none(), "read before the change");
    }
}
