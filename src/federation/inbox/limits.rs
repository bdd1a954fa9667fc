//! Flood control on the inboxes: a token bucket per remote host and one per remote actor, in
//! memory (a restart forgives, as with the other rate limits).
//!
//! - **Per host**, before the signature is verified (verifying may fetch a key and costs an RSA
//!   operation): the host is the authority of the signature's `keyId` (the activity's actor
//!   when the request carries no readable key id). The key id is not verified yet, so a flood
//!   naming another server can use up that server's allowance for a while; its deliveries are
//!   then answered 429 and retried later by the sender, and nothing is lost.
//! - **Per actor**, after verification: the verified actor's address, so one busy account of a
//!   large server does not hold back the rest of it.
//!
//! Each bucket holds `inbox_rate_host` (or `inbox_rate_actor`) tokens and refills at that many
//! per minute; a request past it is answered `429 Too Many Requests` with `Retry-After` (the
//! seconds until one token is back) and stored nowhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::federation::policy;

/// Buckets kept before idle ones are swept.
const MAX_KEYS: usize = 50_000;
const MINUTE: Duration = Duration::from_secs(60);

/// A keyed token bucket: `capacity` tokens, refilled at `capacity` per minute.
pub struct KeyedBucket {
    capacity: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl KeyedBucket {
    pub fn new(per_minute: u32) -> Self {
        KeyedBucket {
            capacity: f64::from(per_minute.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn per_second(&self) -> f64 {
        self.capacity / MINUTE.as_secs_f64()
    }

    /// Takes one token for `key` at `now`, or answers the whole seconds until one is back.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > MAX_KEYS {
            // A bucket idle for a minute is full again: forgetting it changes nothing.
            map.retain(|_, (_, at)| now.saturating_duration_since(*at) < MINUTE);
        }
        let (tokens, at) = map.entry(key.to_string()).or_insert((self.capacity, now));
        let refilled = now.saturating_duration_since(*at).as_secs_f64() * self.per_second();
        *tokens = (*tokens + refilled).min(self.capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / self.per_second();
            Err((wait.ceil() as u64).max(1))
        }
    }
}

/// The inboxes' two limits.
pub struct InboxLimits {
    hosts: KeyedBucket,
    actors: KeyedBucket,
}

impl InboxLimits {
    pub fn new(config: &Config) -> Self {
        InboxLimits {
            hosts: KeyedBucket::new(config.inbox_rate_host),
            actors: KeyedBucket::new(config.inbox_rate_actor),
        }
    }

    /// Before verification: one request from the host of the signature's key id (or of
    /// `actor_uri`). `Some` is the 429 to answer.
    pub fn host(&self, headers: &HeaderMap, actor_uri: &str) -> Option<Response> {
        let host = key_id(headers)
            .and_then(|k| policy::authority_of(&k))
            .or_else(|| policy::authority_of(actor_uri))?;
        self.hosts.take(&host, Instant::now()).err().map(|secs| {
            tracing::info!(host = %host, "inbox flood: a host is over its limit");
            too_many(secs)
        })
    }

    /// After verification: one request from the verified actor. `Some` is the 429 to answer.
    pub fn actor(&self, actor_uri: &str) -> Option<Response> {
        self.actors
            .take(actor_uri, Instant::now())
            .err()
            .map(|secs| {
                tracing::info!(actor = actor_uri, "inbox flood: an actor is over its limit");
                too_many(secs)
            })
    }
}

/// `429` with `Retry-After`.
fn too_many(secs: u64) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(serde_json::json!({
            "error": format!("Too many activities; try again in {secs} seconds.")
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// The `keyId` of a draft-cavage `Signature` header, or the `keyid` of an RFC 9421
/// `Signature-Input`, read without verifying anything.
fn key_id(headers: &HeaderMap) -> Option<String> {
    ["signature", "signature-input"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .find_map(|value| {
            let lower = value.to_ascii_lowercase();
            let at = lower.find("keyid=\"")? + "keyid=\"".len();
            let rest = &value[at..];
            let end = rest.find('"')?;
            Some(rest[..end].to_string()).filter(|k| !k.is_empty() && k.len() <= 2000)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_over_a_minute_and_keys_are_apart() {
        let bucket = KeyedBucket::new(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.take("a.example", t0), Ok(()));
        }
        // Empty: one token comes back every 20 seconds.
        assert_eq!(bucket.take("a.example", t0), Err(20));
        assert_eq!(bucket.take("b.example", t0), Ok(()));
        assert_eq!(
            bucket.take("a.example", t0 + Duration::from_secs(10)),
            Err(10)
        );
        assert_eq!(
            bucket.take("a.example", t0 + Duration::from_secs(21)),
            Ok(())
        );
        // Never more than the capacity, however long it waited.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(bucket.take("b.example", later), Ok(()));
        }
        assert!(bucket.take("b.example", later).is_err());
    }

    #[test]
    fn the_key_id_is_read_from_either_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "signature",
            HeaderValue::from_static(
                r#"keyId="https://m.example/users/a#main-key",algorithm="rsa-sha256",signature="x""#,
            ),
        );
        assert_eq!(
            key_id(&headers).as_deref(),
            Some("https://m.example/users/a#main-key")
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            "signature-input",
            HeaderValue::from_static(
                r#"sig1=("@method" "@target-uri");created=1;keyid="https://f.example/u#k";alg="rsa-v1_5-sha256""#,
            ),
        );
        assert_eq!(key_id(&headers).as_deref(), Some("https://f.example/u#k"));
        assert_eq!(key_id(&HeaderMap::new()), None);
    }
}
