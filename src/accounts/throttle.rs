//! Sign-in throttling: after too many failures for one account or from one address within the
//! window, further attempts are refused with 429 until the window has passed. Kept in memory:
//! a restart forgives, which is acceptable for a brake on guessing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_KEYS: usize = 100_000;

pub struct LoginThrottle {
    limit: u32,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` when any of `keys` is over the limit.
    pub fn check(&self, keys: &[String]) -> Result<(), u64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        for key in keys {
            if let Some((count, since)) = map.get(key) {
                let elapsed = now.duration_since(*since);
                if *count >= self.limit && elapsed < WINDOW {
                    return Err((WINDOW - elapsed).as_secs().max(1));
                }
            }
        }
        Ok(())
    }

    /// Counts a failed attempt against every key.
    pub fn fail(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > MAX_KEYS {
            map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        for key in keys {
            let entry = map.entry(key.clone()).or_insert((0, now));
            if now.duration_since(entry.1) >= WINDOW {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
    }

    /// Forgets an account's failures after a successful sign-in.
    pub fn succeed(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_after_failures() {
        let t = LoginThrottle::new(3);
        let keys = vec!["acct:ada".to_string(), "ip:127.0.0.1".to_string()];
        for _ in 0..3 {
            assert!(t.check(&keys).is_ok());
            t.fail(&keys);
        }
        let wait = t.check(&keys).unwrap_err();
        assert!(wait > 0 && wait <= 900);
        // Another account from the same address is blocked too.
        assert!(t
            .check(&["acct:bob".into(), "ip:127.0.0.1".into()])
            .is_err());
        t.succeed("acct:ada");
        assert!(t.check(&["acct:ada".into()]).is_ok());
    }
}
