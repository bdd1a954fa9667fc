//! The persistent outbound delivery queue.
//!
//! [`publish`] records an activity of a local actor in `activities` and one row per remote
//! inbox in `deliveries`, inside the caller's transaction: once that commits, the activity will
//! be delivered even if the process is killed a moment later. [`wake`] tells the dispatcher.
//!
//! [`spawn`] starts the dispatcher. It finds hosts with due deliveries (on a wake-up, or at
//! least every second) and runs one worker per remote host. A worker asks for due rows of its
//! host; the process's claimer leases them (`lease_owner`, `lease_until`) for every waiting
//! worker in one transaction. The worker sends them concurrently and records each outcome only
//! while it still holds that lease. Every process sharing the database claims the same way
//! (`FOR UPDATE SKIP LOCKED` and the hosts' rows locked in name order on PostgreSQL, `BEGIN
//! IMMEDIATE` on SQLite), so a row is sent by one process at a time and a host's limit holds
//! over all of them; the rows of a process that dies keep their lease until it
//! expires, then anyone picks them up again.
//!
//! Outcomes:
//! - 2xx: `delivered`.
//! - A temporary failure (network trouble, 5xx, 408, 429): tried again after an exponential
//!   backoff with jitter ([`backoff_ms`]), until the delivery is older than the configured
//!   maximum age; a failure after that gives it up (`failed`).
//! - Any other answer (400, 401, 403, 404, 410…): `failed` at once, with the status.
//! - A host blocked by the domain policy: `failed` with `last_error = 'blocked'`, nothing sent.
//!   The policy is checked when sending, not when queueing, so a block decided after an activity
//!   was queued still holds it back.
//!
//! Host health lives in `delivery_hosts`. After `park_after` temporary failures in a row a host
//! is *parked*: its queued rows wait until `parked_until`. Then exactly one delivery goes out as
//! a probe (the claim moves `parked_until` forward while the probe is in flight, so no other
//! process probes too). If the host answers, it is reset and all its queued deliveries are due
//! at once; if not, it is parked again for twice as long (at most an hour). Any answer from a
//! host, even a 4xx for one inbox, proves it is up and resets its failure count.
//!
//! Finished rows keep `next_attempt_at` as the time they finished and `lease_owner` as the
//! process that last held them; they are deleted a week after finishing.
//!
//! # Layout
//! `publish` (queueing in the caller's transaction, the wake-up), `dispatch` (the dispatcher,
//! its per-host workers and attempts), `claim` (leases, taken in groups by one task per
//! process), `record` (outcomes, written in groups by one task per process), `health` (per-host state: parking,
//! probes, "retry now"), and `store/`, which holds all of the queue's SQL: `store/mod.rs` the
//! queue's rows, `store/hosts.rs` host health, `store/status.rs` what the administrators' view
//! and the metrics read. Settings and the retry schedule are here.

mod claim;
mod dispatch;
mod health;
mod publish;
mod record;
pub mod store;

use std::time::Duration;

use rand::Rng;

use crate::config::Config;

pub use dispatch::spawn;
pub use health::retry_host;
pub use publish::{publish, wake};
pub use store::status::{overview, queue_depths, HostStatus, Totals};

/// How long a claim is held. Far longer than a request may take (the client gives up after
/// 20 s), so a live process never loses a lease it is using.
const LEASE_MS: i64 = 60_000;
/// The longest wait between two tries of a delivery, or two probes of a parked host (unless the
/// configured base is longer still).
pub const MAX_DELAY_MS: i64 = 3_600_000;
/// Jitter: each delay is scaled by a random factor in this range, so retries spread out.
const JITTER: (f64, f64) = (0.8, 1.2);
/// Hosts with due work looked at per round of the dispatcher.
const DISCOVER_LIMIT: i64 = 4096;
/// Finished deliveries are deleted this long after they finished.
const RETENTION_MS: i64 = 7 * 86_400_000;
const CLEANUP_EVERY: Duration = Duration::from_secs(600);
/// Entries kept in each in-memory cache (keys, activity bodies); domain decisions come from the
/// instance's cache (`policy::decide_cached`).
const CACHE_MAX: usize = 1024;
/// Longest error text stored.
const ERROR_MAX: usize = 300;

/// An error message cut to what a row keeps.
fn short(text: &str) -> String {
    text.chars().take(ERROR_MAX).collect()
}

/// The delivery settings of one process (from [`Config`]).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// Requests in flight at once in this process.
    pub total: usize,
    /// First retry delay; it doubles per failed try, up to [`MAX_DELAY_MS`].
    pub retry_base_ms: i64,
    /// A delivery that still fails after this age is given up.
    pub max_age_ms: i64,
    /// Consecutive temporary failures that park a host.
    pub park_after: i64,
}

impl Settings {
    pub fn from_config(config: &Config) -> Self {
        Settings {
            per_host: config.delivery_per_host,
            total: config.delivery_total,
            retry_base_ms: config.delivery_retry_base_ms as i64,
            max_age_ms: config.delivery_max_age_hours as i64 * 3_600_000,
            park_after: i64::from(config.delivery_park_after),
        }
    }

    /// How often the dispatcher looks for due work without a wake-up: every second, or more
    /// often when retries are configured to be quicker than that (tests).
    fn poll(&self) -> Duration {
        Duration::from_millis((self.retry_base_ms / 2).clamp(50, 1000) as u64)
    }
}

/// The delay after the `failures`-th failure in a row (1-based), before jitter:
/// `base · 2^(failures-1)`, at most [`MAX_DELAY_MS`] (or `base` when that is longer).
pub fn backoff_ms(base_ms: i64, failures: i64) -> i64 {
    let cap = MAX_DELAY_MS.max(base_ms);
    let doublings = (failures - 1).clamp(0, 32) as u32;
    base_ms.saturating_mul(1_i64 << doublings).min(cap)
}

fn jittered(ms: i64) -> i64 {
    (ms as f64 * rand::thread_rng().gen_range(JITTER.0..=JITTER.1)) as i64
}

/// What happens to a delivery after a temporary failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time (Unix milliseconds).
    RetryAt(i64),
    /// Older than the maximum age: give up.
    GiveUp,
}

/// Decides after the `attempts`-th try (1-based) of a delivery made at `created_at` failed
/// temporarily at `now`. `jitter` scales the delay (1.0 for none). A delivery is given up only by
/// a failure *after* its maximum age, so a host that comes back within that age always gets it.
pub fn after_failure(
    settings: &Settings,
    created_at: i64,
    attempts: i64,
    now: i64,
    jitter: f64,
) -> AfterFailure {
    if now - created_at >= settings.max_age_ms {
        AfterFailure::GiveUp
    } else {
        let delay = backoff_ms(settings.retry_base_ms, attempts) as f64 * jitter;
        AfterFailure::RetryAt(now + delay as i64)
    }
}

/// `host` or `host:port` of a URL (the port only when it is not the scheme's default), lower
/// case: the unit of delivery workers and host health. In development, two instances on one
/// address but different ports are different hosts.
pub fn authority(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?.to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn defaults() -> Settings {
        Settings::from_config(
            &Config::from_sources(&Default::default(), &Default::default()).unwrap(),
        )
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(30_000, 1), 30_000);
        assert_eq!(backoff_ms(30_000, 2), 60_000);
        assert_eq!(backoff_ms(30_000, 5), 480_000);
        assert_eq!(backoff_ms(30_000, 8), HOUR);
        assert_eq!(backoff_ms(30_000, 1000), HOUR);
        assert_eq!(
            backoff_ms(50, 0),
            50,
            "a zero count is treated as the first"
        );
        // A base longer than the cap is used as it is.
        assert_eq!(backoff_ms(2 * HOUR, 3), 2 * HOUR);
    }

    /// Replays a delivery against a host that is down for `down_ms` from the moment the
    /// delivery is made, with the worst jitter; returns when it arrived, or `None` if it was
    /// given up.
    fn replay(settings: &Settings, down_ms: i64, jitter: f64) -> Option<i64> {
        let created = 1_000_000;
        let mut now = created;
        let mut attempts = 0;
        loop {
            attempts += 1;
            if now - created >= down_ms {
                return Some(now);
            }
            match after_failure(settings, created, attempts, now, jitter) {
                AfterFailure::RetryAt(at) => {
                    assert!(at > now);
                    assert!(at - now <= (HOUR as f64 * JITTER.1) as i64 + 1);
                    now = at;
                }
                AfterFailure::GiveUp => return None,
            }
        }
    }

    #[test]
    fn two_days_of_downtime_are_covered() {
        let settings = defaults();
        for jitter in [JITTER.0, 1.0, JITTER.1] {
            let arrived = replay(&settings, 48 * HOUR, jitter).expect("delivered");
            // Within a retry interval of the host coming back.
            assert!(arrived - 1_000_000 <= 48 * HOUR + (HOUR as f64 * JITTER.1) as i64 + 1);
        }
        // Even with the shortest maximum age allowed by the configuration.
        let shortest = Settings {
            max_age_ms: 48 * HOUR,
            ..settings
        };
        assert!(replay(&shortest, 48 * HOUR - 1, JITTER.1).is_some());
        // A week-long outage outlasts the default maximum age.
        assert_eq!(replay(&settings, 8 * 24 * HOUR, 1.0), None);
    }

    #[test]
    fn gives_up_only_after_the_maximum_age() {
        let s = defaults();
        assert!(matches!(
            after_failure(&s, 0, 40, 7 * 24 * HOUR - 1, 1.0),
            AfterFailure::RetryAt(_)
        ));
        assert_eq!(
            after_failure(&s, 0, 40, 7 * 24 * HOUR, 1.0),
            AfterFailure::GiveUp
        );
        assert_eq!(
            after_failure(&s, 0, 1, 10, 1.0),
            AfterFailure::RetryAt(10 + 30_000)
        );
    }

    #[test]
    fn parked_hosts_are_probed_at_least_hourly() {
        let s = defaults();
        // Level 1 is the first park; each failed probe goes one level up.
        let delays: Vec<i64> = (1..=12).map(|l| backoff_ms(s.retry_base_ms, l)).collect();
        assert_eq!(delays[0], 30_000);
        assert!(delays.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*delays.last().unwrap(), HOUR);
    }

    #[test]
    fn poll_interval_is_bounded() {
        let mut s = defaults();
        assert_eq!(s.poll(), Duration::from_secs(1));
        s.retry_base_ms = 10;
        assert_eq!(s.poll(), Duration::from_millis(50));
    }

    #[test]
    fn authorities() {
        assert_eq!(
            authority("https://Mastodon.Example/inbox").as_deref(),
            Some("mastodon.example")
        );
        assert_eq!(
            authority("https://mastodon.example:443/inbox").as_deref(),
            Some("mastodon.example")
        );
        assert_eq!(
            authority("http://127.0.0.1:8081/inbox").as_deref(),
            Some("127.0.0.1:8081")
        );
        assert_eq!(authority("not a url"), None);
        assert_eq!(authority("mailto:a@b.example"), None);
    }
}
