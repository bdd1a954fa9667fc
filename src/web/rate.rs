//! Rate limits per client address on what a person can repeat: sign-ups, posts (comments and
//! messages too), uploads and reports. Each bucket allows its configured number of actions per
//! address within an hour; past it, `429 Too Many Requests` with `Retry-After`. Kept in memory
//! like the sign-in throttle ([`crate::accounts::throttle`]): a restart forgives.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::accounts::throttle::address_key;
use crate::config::Config;
use crate::error::{Error, Result};

const WINDOW: Duration = Duration::from_secs(3600);
const MAX_KEYS: usize = 100_000;

/// What is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Signups,
    Posts,
    Uploads,
    Reports,
}

pub struct RateLimits {
    limits: [u32; 4],
    counts: Mutex<HashMap<(Bucket, String), (u32, Instant)>>,
}

impl RateLimits {
    pub fn new(config: &Config) -> Self {
        RateLimits {
            limits: [
                config.rate_signups,
                config.rate_posts,
                config.rate_uploads,
                config.rate_reports,
            ],
            counts: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, bucket: Bucket) -> u32 {
        self.limits[bucket as usize]
    }

    /// Counts one action from `from`, or refuses it with 429 and the seconds to wait.
    pub fn check(&self, bucket: Bucket, from: IpAddr) -> Result<()> {
        let limit = self.limit(bucket);
        let now = Instant::now();
        let mut map = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > MAX_KEYS {
            map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        let entry = map.entry((bucket, address_key(from))).or_insert((0, now));
        let elapsed = now.duration_since(entry.1);
        if elapsed >= WINDOW {
            *entry = (0, now);
        } else if entry.0 >= limit {
            return Err(Error::TooManyRequests((WINDOW - elapsed).as_secs().max(1)));
        }
        entry.0 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_bucket_and_address() {
        let mut config = Config::from_sources(&Default::default(), &Default::default()).unwrap();
        config.rate_reports = 2;
        let limits = RateLimits::new(&config);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limits.check(Bucket::Reports, a).is_ok());
        assert!(limits.check(Bucket::Reports, a).is_ok());
        match limits.check(Bucket::Reports, a) {
            Err(Error::TooManyRequests(secs)) => assert!(secs > 0 && secs <= 3600),
            other => panic!("expected 429, got {other:?}"),
        }
        // Another address, and another bucket, are not affected.
        assert!(limits.check(Bucket::Reports, b).is_ok());
        assert!(limits.check(Bucket::Posts, a).is_ok());
    }
}
