//! When something read from a rarely written table may still be used without asking the
//! database again: the rule behind the in-memory copies on the hot paths (domain decisions,
//! moderators' limits on actors).
//!
//! Each copy has a [`Changes`] marker that every write of its tables moves, before the writing
//! transaction commits. A value read before the last change is dropped, and for [`TTL`] after
//! a change nothing is trusted (a read made while the writing transaction was still open cannot
//! outlive it). Every value is dropped [`TTL`] after it was read, so a write by another process
//! (the command line, a second server on the same PostgreSQL database) applies within [`TTL`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a value read from the database is trusted.
pub const TTL: Duration = Duration::from_secs(1);

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

/// A moment as microseconds since this process first asked, plus one (0 means "never").
pub fn stamp(at: Instant) -> u64 {
    at.saturating_duration_since(origin()).as_micros() as u64 + 1
}

/// The last write of one group of tables made in this process.
pub struct Changes {
    last: AtomicU64,
}

impl Changes {
    pub const fn new() -> Self {
        Changes {
            last: AtomicU64::new(0),
        }
    }

    /// Called by every write of the tables, before its transaction commits.
    pub fn mark(&self) {
        self.last.store(stamp(Instant::now()), Ordering::SeqCst);
    }

    /// Whether a value whose read began at `read_at` (a [`stamp`]) may be used now.
    pub fn trusts(&self, read_at: u64) -> bool {
        let now = stamp(Instant::now());
        let last = self.last.load(Ordering::SeqCst);
        let ttl = TTL.as_micros() as u64;
        if last != 0 && now < last + ttl {
            return false;
        }
        // Read inside a change's window, a value may predate the commit: never trusted.
        let trusted_from = if last == 0 { 0 } else { last + ttl };
        read_at > trusted_from && now < read_at + ttl
    }
}

impl Default for Changes {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_drops_what_was_read_before_it() {
        let changes = Changes::new();
        let before = stamp(Instant::now());
        assert!(changes.trusts(before), "fresh and no change yet");
        changes.mark();
        assert!(!changes.trusts(before), "read before the change");
        assert!(
            !changes.trusts(stamp(Instant::now())),
            "read inside the change's window"
        );
        assert!(!Changes::new().trusts(0), "a value never read");
    }
}
