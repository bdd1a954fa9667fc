//! Sign-in throttling: at most `limit` attempts per account and per client address within the
//! window; further attempts are refused with 429 until the window has passed. An attempt is
//! counted, atomically with the check, before the password is looked at, so parallel guesses
//! cannot slip past the limit while the (slow) checks run. A successful attempt gives its count
//! back and clears the account's failures. Kept in memory: a restart forgives, which is
//! acceptable for a brake on guessing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_KEYS: usize = 100_000;

pub struct LoginThrottle {
    limit: u32,
    attempts: Mutex<HashMap<String, (u32, Instant)>>,
}

/// An attempt that was counted. Report a success with [`Attempt::succeeded`]; an attempt that
/// is dropped (a wrong password, an error, a request abandoned midway) stays counted.
#[must_use = "an attempt stays counted unless it is reported as a success"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    keys: Vec<String>,
}

impl LoginThrottle {
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt against every key, or refuses it with `Err(seconds to wait)` when any
    /// key has reached the limit (then nothing is counted).
    pub fn begin(&self, keys: Vec<String>) -> Result<Attempt<'_>, u64> {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > MAX_KEYS {
            map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        for key in &keys {
            if let Some((count, since)) = map.get(key) {
                let elapsed = now.duration_since(*since);
                if *count >= self.limit && elapsed < WINDOW {
                    return Err((WINDOW - elapsed).as_secs().max(1));
                }
            }
        }
        for key in &keys {
            let entry = map.entry(key.clone()).or_insert((0, now));
            if now.duration_since(entry.1) >= WINDOW {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        drop(map);
        Ok(Attempt {
            throttle: self,
            keys,
        })
    }
}

impl Attempt<'_> {
    /// The password was right: the attempt no longer counts, and the failures of `clear` (the
    /// account) are forgotten.
    pub fn succeeded(self, clear: &str) {
        let mut map = self
            .throttle
            .attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if let Some(entry) = map.get_mut(key) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
        map.remove(clear);
    }
}

/// The throttle key of a client address: the address itself for IPv4, its /64 network for
/// IPv6 (one subscriber usually holds a whole /64).
pub fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_before_the_check() {
        let t = LoginThrottle::new(3);
        let keys = || vec!["acct:ada".to_string(), "ip:127.0.0.1".to_string()];
        // Three attempts in flight at once use up the limit before any of them finishes.
        let held: Vec<_> = (0..3).map(|_| t.begin(keys()).unwrap()).collect();
        let wait = t.begin(keys()).err().unwrap();
        assert!(wait > 0 && wait <= 900);
        drop(held);
        // Another account from the same address is blocked too.
        assert!(t
            .begin(vec!["acct:bob".into(), "ip:127.0.0.1".into()])
            .is_err());
        // A refused attempt counted nothing: bob from elsewhere may try.
        assert!(t
            .begin(vec!["acct:bob".into(), "ip:10.0.0.1".into()])
            .is_ok());
    }

    #[test]
    fn a_success_gives_its_attempt_back() {
        let t = LoginThrottle::new(2);
        let keys = || vec!["acct:ada".to_string(), "ip:127.0.0.1".to_string()];
        for _ in 0..10 {
            t.begin(keys()).unwrap().succeeded("acct:ada");
        }
        let _failed = t.begin(keys()).unwrap();
        t.begin(vec!["acct:bob".into(), "ip:127.0.0.1".into()])
            .unwrap()
            .succeeded("acct:bob");
        // One failure from the address, one more allowed.
        let _second = t
            .begin(vec!["acct:cy".into(), "ip:127.0.0.1".into()])
            .unwrap();
        assert!(t.begin(vec!["ip:127.0.0.1".into()]).is_err());
    }

    #[test]
    fn address_keys() {
        assert_eq!(address_key("192.0.2.7".parse().unwrap()), "ip:192.0.2.7");
        assert_eq!(
            address_key("::ffff:192.0.2.7".parse().unwrap()),
            "ip:192.0.2.7"
        );
        assert_eq!(
            address_key("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            address_key("2001:db8:1:2:ffff::1".parse().unwrap())
        );
    }
}
