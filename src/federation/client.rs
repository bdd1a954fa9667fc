//! Guildhall's one HTTP client for talking to other servers: signed fetches of remote
//! documents and signed deliveries to inboxes, with the URL rules of the network.
//!
//! Outside development mode only `https://` URLs on default ports are used, and host names
//! that resolve to loopback, private or link-local addresses are refused (so a hostile actor
//! document cannot make us probe the local network). In development mode (`GUILDHALL_DEV_HTTP`)
//! plain http, explicit ports and loopback are allowed, and `GUILDHALL_RESOLVE` pins host
//! names to addresses inside this client only.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, Method};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::Value;
use url::Url;

use super::crypto::SigningKey;
use super::link::RemoteUrl;
use super::protocol::ACTIVITY_JSON;
use super::signatures;
use crate::config::Config;

/// Largest document accepted from a remote server.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
const ACCEPT_AS: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("not an address we fetch from: {0}")]
    InvalidUrl(String),
    #[error("the remote server could not be reached: {0}")]
    Network(String),
    #[error("the remote server answered {0}")]
    Status(u16),
    #[error("the remote document is larger than we accept")]
    TooLarge,
    #[error("the remote document is not JSON")]
    NotJson,
    #[error("could not sign the request: {0}")]
    Signing(String),
}

impl FetchError {
    /// Whether trying again later may help (network trouble, 5xx, 429, 408).
    pub fn is_temporary(&self) -> bool {
        match self {
            FetchError::Network(_) => true,
            FetchError::Status(s) => *s >= 500 || *s == 429 || *s == 408,
            _ => false,
        }
    }
}

/// Who signs a request: a local actor's key id and private key.
#[derive(Clone)]
pub struct Signer {
    pub key_id: String,
    pub key: Arc<SigningKey>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct FedClient {
    http: reqwest::Client,
    dev: bool,
}

impl FedClient {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let mut builder = reqwest::Client::builder()
            .user_agent(format!(
                "Guildhall/{} (+{}/)",
                env!("CARGO_PKG_VERSION"),
                config.base_url()
            ))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .redirect(redirect_policy(config.dev_http))
            .pool_idle_timeout(Duration::from_secs(90));
        if config.dev_http {
            for (host, ip) in &config.resolve {
                // Port 0: the URL's own port is used.
                builder = builder.resolve(host, SocketAddr::new(*ip, 0));
            }
        } else {
            builder = builder.dns_resolver(PublicOnlyResolver);
        }
        Ok(FedClient {
            http: builder.build()?,
            dev: config.dev_http,
        })
    }

    /// Checks a URL against the network's rules; returns it parsed.
    pub fn check_url(&self, raw: &str) -> Result<Url, FetchError> {
        check_url(raw, self.dev)
    }

    /// GETs an ActivityStreams document, signed by `signer` when given (authorized fetch).
    pub async fn get_json(&self, raw: &str, signer: Option<&Signer>) -> Result<Value, FetchError> {
        self.get(raw, ACCEPT_AS, signer).await
    }

    /// GETs a JSON document that is not ActivityStreams (WebFinger, NodeInfo), unsigned.
    pub async fn get_plain_json(&self, raw: &str) -> Result<Value, FetchError> {
        self.get(raw, "application/jrd+json, application/json", None)
            .await
    }

    async fn get(
        &self,
        raw: &str,
        accept: &'static str,
        signer: Option<&Signer>,
    ) -> Result<Value, FetchError> {
        let url = self.check_url(raw)?;
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(accept));
        if let Some(s) = signer {
            signatures::sign_request(
                &Method::GET,
                &url,
                &mut headers,
                None,
                &s.key_id,
                &s.key,
                chrono::Utc::now(),
            )
            .map_err(|e| FetchError::Signing(e.to_string()))?;
        }
        let response = self
            .http
            .get(url)
            .headers(headers)
            .send()
            .await
            .map_err(|e| FetchError::Network(describe(&e)))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FetchError::Status(status));
        }
        let bytes = read_limited(response, MAX_DOCUMENT_BYTES).await?;
        serde_json::from_slice(&bytes).map_err(|_| FetchError::NotJson)
    }

    /// POSTs an activity to an inbox, signed. Returns the status on 2xx; any other answer is an
    /// error the caller can classify with [`FetchError::is_temporary`].
    pub async fn post_activity(
        &self,
        inbox: &str,
        body: &[u8],
        signer: &Signer,
    ) -> Result<u16, FetchError> {
        let url = self.check_url(inbox)?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(ACTIVITY_JSON),
        );
        signatures::sign_request(
            &Method::POST,
            &url,
            &mut headers,
            Some(body),
            &signer.key_id,
            &signer.key,
            chrono::Utc::now(),
        )
        .map_err(|e| FetchError::Signing(e.to_string()))?;
        let response = self
            .http
            .post(url)
            .headers(headers)
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| FetchError::Network(describe(&e)))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            Ok(status)
        } else {
            Err(FetchError::Status(status))
        }
    }
}

/// Follows at most three redirects, each to an address the network's rules allow: a redirect
/// to a private address literal, plain http or another port would otherwise bypass
/// [`check_url`] (the DNS filter never sees an address literal).
fn redirect_policy(dev: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 3 {
            attempt.error("too many redirects")
        } else if let Err(e) = check_url(attempt.url().as_str(), dev) {
            attempt.error(e)
        } else {
            attempt.follow()
        }
    })
}

/// The network's URL rules, apart from DNS (see [`PublicOnlyResolver`]): a [`RemoteUrl`]
/// (`https`, plain `http` only in development mode, with a host and no credentials), and
/// outside development mode no explicit port and no private address.
pub fn check_url(raw: &str, dev: bool) -> Result<Url, FetchError> {
    let shown = || raw.chars().take(200).collect::<String>();
    let checked = RemoteUrl::parse(raw, dev)
        .map_err(|e| FetchError::InvalidUrl(format!("{}: {e}", shown())))?;
    let url = Url::parse(checked.as_str()).map_err(|_| FetchError::InvalidUrl(shown()))?;
    let bad = |why: &str| {
        FetchError::InvalidUrl(format!(
            "{}: {why}",
            url.as_str().chars().take(200).collect::<String>()
        ))
    };
    let host = url.host().ok_or_else(|| bad("no host"))?;
    if !dev {
        if url.port().is_some() {
            return Err(bad("explicit ports are refused"));
        }
        match host {
            url::Host::Ipv4(ip) if !is_public(IpAddr::V4(ip)) => {
                return Err(bad("private address"))
            }
            url::Host::Ipv6(ip) if !is_public(IpAddr::V6(ip)) => {
                return Err(bad("private address"))
            }
            url::Host::Domain(d) if d == "localhost" || d.ends_with(".localhost") => {
                return Err(bad("private address"))
            }
            _ => {}
        }
    }
    Ok(url)
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // carrier-grade NAT
                || v4.octets()[0] == 198 && (v4.octets()[1] & 0xfe) == 18 // benchmarking
                || v4.octets()[0] >= 240 // reserved
                || v4.octets()[0] == 0)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                std::net::Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)
            };
            // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address in
            // the last 32 bits; 6to4 (2002:AABB:CCDD::) in bits 16..48.
            if seg[..6] == [0, 0, 0, 0, 0, 0] && seg[6] != 0
                || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
            {
                return is_public(IpAddr::V4(embedded(seg[6], seg[7])));
            }
            if seg[0] == 0x2002 {
                return is_public(IpAddr::V4(embedded(seg[1], seg[2])));
            }
            let first = seg[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80) // link local
        }
    }
}

/// Resolves names with the system resolver and keeps only public addresses.
struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, FetchError> {
    if response
        .content_length()
        .is_some_and(|n| n as usize > limit)
    {
        return Err(FetchError::TooLarge);
    }
    let mut out = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Network(describe(&e)))?
    {
        if out.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A network error's message without the URL's query (which may carry tokens).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "request failed"
    };
    match e.url() {
        Some(u) => format!("{kind} ({})", u.host_str().unwrap_or("?")),
        None => kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rules() {
        assert!(check_url("https://mastodon.example/users/a", false).is_ok());
        for bad in [
            "http://mastodon.example/users/a",
            "https://mastodon.example:8443/users/a",
            "https://127.0.0.1/users/a",
            "https://10.0.0.8/x",
            "https://[::1]/x",
            "https://localhost/x",
            "https://user:pw@mastodon.example/x",
            "ftp://mastodon.example/x",
            "javascript://mastodon.example/%0aalert(1)",
            "file:///etc/passwd",
            " https://mastodon.example/x",
            "not a url",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://alpha.test:8081/members/a", true).is_ok());
        assert!(check_url("http://127.0.0.1:8081/x", true).is_ok());
    }

    #[test]
    fn public_addresses() {
        assert!(is_public("93.184.216.34".parse().unwrap()));
        assert!(is_public("2606:4700::1111".parse().unwrap()));
        assert!(
            is_public("64:ff9b::5db8:d822".parse().unwrap()),
            "NAT64 of a public address"
        );
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "172.16.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::10.0.0.1",
            "64:ff9b::a00:1",
            "2002:a00:1::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
    }

    #[test]
    fn temporary_errors() {
        assert!(FetchError::Status(503).is_temporary());
        assert!(FetchError::Status(429).is_temporary());
        assert!(!FetchError::Status(404).is_temporary());
        assert!(!FetchError::Status(410).is_temporary());
        assert!(FetchError::Network("x".into()).is_temporary());
    }
}
