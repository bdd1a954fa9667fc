//! Guildhall's one HTTP client for talking to other servers: signed fetches of remote
//! documents and signed deliveries to inboxes, with the URL rules of the network.
//!
//! Outside development mode only `https://` URLs on default ports are used, and addresses that
//! are not public ([`is_public`]: loopback, private, link-local, documentation, reserved…), as
//! literals or as what a host name resolves to, are refused, so a hostile actor document cannot
//! make us probe the local network. Proxy variables of the environment are ignored: a proxy
//! would connect on our behalf past that check. In development mode (`GUILDHALL_DEV_HTTP`)
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
            // An idle connection holds about 25 KB (hyper's read and write buffers and its
            // request channel): after a fan-out to a thousand hosts, 25 MB. Closed after 10 s
            // idle, not the 90 s default: a run of deliveries to one host keeps its connection,
            // a fan-out's thousand connections are gone within 20 s.
            .pool_idle_timeout(Duration::from_secs(10))
            // Proxy variables (`HTTPS_PROXY`…) would send requests past the resolver that keeps
            // them off private addresses: the federation client always connects directly.
            .no_proxy();
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

    /// GETs a text document (a domain blocklist, say) of at most `limit` bytes, signed by
    /// `signer` when given; bytes that are not UTF-8 are replaced.
    pub async fn get_text(
        &self,
        raw: &str,
        accept: &'static str,
        signer: Option<&Signer>,
        limit: usize,
    ) -> Result<String, FetchError> {
        let bytes = self.get_bytes(raw, accept, signer, limit).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn get(
        &self,
        raw: &str,
        accept: &'static str,
        signer: Option<&Signer>,
    ) -> Result<Value, FetchError> {
        let bytes = self
            .get_bytes(raw, accept, signer, MAX_DOCUMENT_BYTES)
            .await?;
        serde_json::from_slice(&bytes).map_err(|_| FetchError::NotJson)
    }

    async fn get_bytes(
        &self,
        raw: &str,
        accept: &'static str,
        signer: Option<&Signer>,
        limit: usize,
    ) -> Result<Vec<u8>, FetchError> {
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
        read_limited(response, limit).await
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

/// IPv4 ranges that are not on the public internet: the IANA IPv4 Special-Purpose Address
/// Registry's blocks that are not globally reachable, plus the deprecated 6to4 relay anycast
/// and the few globally reachable anycast addresses inside 192.0.0.0/24 (no server is there).
const V4_NOT_PUBLIC: &[([u8; 4], u8)] = &[
    ([0, 0, 0, 0], 8),       // "this network" (RFC 791)
    ([10, 0, 0, 0], 8),      // private (RFC 1918)
    ([100, 64, 0, 0], 10),   // shared address space, carrier-grade NAT (RFC 6598)
    ([127, 0, 0, 0], 8),     // loopback (RFC 1122)
    ([169, 254, 0, 0], 16),  // link local (RFC 3927)
    ([172, 16, 0, 0], 12),   // private (RFC 1918)
    ([192, 0, 0, 0], 24),    // IETF protocol assignments, DS-Lite, NAT64 discovery (RFC 6890)
    ([192, 0, 2, 0], 24),    // documentation, TEST-NET-1 (RFC 5737)
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast, deprecated (RFC 7526)
    ([192, 168, 0, 0], 16),  // private (RFC 1918)
    ([198, 18, 0, 0], 15),   // benchmarking (RFC 2544)
    ([198, 51, 100, 0], 24), // documentation, TEST-NET-2 (RFC 5737)
    ([203, 0, 113, 0], 24),  // documentation, TEST-NET-3 (RFC 5737)
    ([224, 0, 0, 0], 4),     // multicast (RFC 5771)
    ([240, 0, 0, 0], 4),     // reserved (RFC 1112), with the limited broadcast address
];

/// IPv6 ranges that are not on the public internet (IANA IPv6 Special-Purpose Address
/// Registry, and the address architecture of RFC 4291). All of 2001::/23 is here, with the few
/// anycast and AMT blocks inside it that are globally reachable (no server is there either).
/// The prefixes that embed an IPv4 address
/// (IPv4-mapped and -compatible, SIIT, NAT64 64:ff9b::/96, 6to4) are judged by that address in
/// [`embedded_v4`] before this list is read.
const V6_NOT_PUBLIC: &[(u128, u8)] = &[
    (0, 128),                     // unspecified
    (1, 128),                     // loopback
    (0x0064_ff9b_0001 << 80, 48), // local-use IPv4/IPv6 translation (RFC 8215)
    (0x0100 << 112, 63), // discard-only 100::/64 (RFC 6666) and dummy 100:0:0:1::/64 (RFC 9780)
    (0x2001 << 112, 23), // IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID…
    (0x2001_0db8 << 96, 32), // documentation (RFC 3849)
    (0x3fff << 112, 20), // documentation (RFC 9637)
    (0x5f00 << 112, 16), // segment routing SIDs (RFC 9602)
    (0xfc00 << 112, 7),  // unique local (RFC 4193)
    (0xfe80 << 112, 10), // link local (RFC 4291)
    (0xfec0 << 112, 10), // site local, deprecated (RFC 3879)
    (0xff00 << 112, 8),  // multicast (RFC 4291)
];

/// Whether an address is on the public internet: not in any range of [`V4_NOT_PUBLIC`] or
/// [`V6_NOT_PUBLIC`], and for an IPv6 address that carries an IPv4 one, that address public.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            !V4_NOT_PUBLIC.iter().any(|(net, len)| {
                let mask = u32::MAX << (32 - u32::from(*len));
                bits & mask == u32::from_be_bytes(*net) & mask
            })
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public(IpAddr::V4(v4));
            }
            let bits = u128::from(v6);
            !V6_NOT_PUBLIC.iter().any(|(net, len)| {
                let mask = u128::MAX << (128 - u32::from(*len));
                bits & mask == net & mask
            })
        }
    }
}

/// The IPv4 address an IPv6 address stands for, where reaching the one means reaching the
/// other: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (deprecated; `::` and `::1`
/// fall in 0.0.0.0/8), SIIT `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` (RFC 6052) and
/// 6to4 `2002:AABB:CCDD::/48` (RFC 3056).
fn embedded_v4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let seg = v6.segments();
    let v4 = |hi: u16, lo: u16| std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match seg[..6] {
        [0, 0, 0, 0, 0, 0xffff] | [0, 0, 0, 0, 0, 0] | [0, 0, 0, 0, 0xffff, 0] => {
            Some(v4(seg[6], seg[7]))
        }
        [0x64, 0xff9b, 0, 0, 0, 0] => Some(v4(seg[6], seg[7])),
        [0x2002, ..] => Some(v4(seg[1], seg[2])),
        _ => None,
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

    fn assert_not_public(addresses: &[&str]) {
        for a in addresses {
            assert!(!is_public(a.parse().unwrap()), "{a} counts as public");
        }
    }

    fn assert_public(addresses: &[&str]) {
        for a in addresses {
            assert!(is_public(a.parse().unwrap()), "{a} counts as not public");
        }
    }

    #[test]
    fn public_addresses() {
        assert_public(&[
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "2a01:4f8::1",
            // AS112 and the Direct Delegation AS112 service are globally reachable.
            "192.31.196.1",
            "2620:4f:8000::1",
        ]);
    }

    #[test]
    fn ipv4_special_purpose_ranges_are_not_public() {
        // Each range at its first and last address; the neighbours outside it stay public.
        assert_not_public(&["0.0.0.0", "0.255.255.255"]); // this network
        assert_public(&["1.0.0.1"]);
        assert_not_public(&["10.0.0.0", "10.255.255.255"]); // private
        assert_public(&["9.255.255.255", "11.0.0.0"]);
        assert_not_public(&["100.64.0.0", "100.127.255.255"]); // carrier-grade NAT
        assert_public(&["100.63.255.255", "100.128.0.0"]);
        assert_not_public(&["127.0.0.0", "127.0.0.1", "127.255.255.255"]); // loopback
        assert_not_public(&["169.254.0.0", "169.254.169.254", "169.254.255.255"]); // link local
        assert_public(&["169.253.255.255", "169.255.0.0"]);
        assert_not_public(&["172.16.0.0", "172.31.255.255"]); // private
        assert_public(&["172.15.255.255", "172.32.0.0"]);
        assert_not_public(&["192.0.0.0", "192.0.0.8", "192.0.0.170", "192.0.0.255"]); // IETF
        assert_public(&["191.255.255.255", "192.0.1.0"]);
        assert_not_public(&["192.0.2.0", "192.0.2.255"]); // TEST-NET-1
        assert_public(&["192.0.3.0"]);
        assert_not_public(&["192.88.99.0", "192.88.99.255"]); // 6to4 relay anycast
        assert_public(&["192.88.98.255", "192.88.100.0"]);
        assert_not_public(&["192.168.0.0", "192.168.255.255"]); // private
        assert_public(&["192.167.255.255", "192.169.0.0"]);
        assert_not_public(&["198.18.0.0", "198.19.255.255"]); // benchmarking
        assert_public(&["198.17.255.255", "198.20.0.0"]);
        assert_not_public(&["198.51.100.0", "198.51.100.255"]); // TEST-NET-2
        assert_not_public(&["203.0.113.0", "203.0.113.255"]); // TEST-NET-3
        assert_public(&["203.0.112.255", "203.0.114.0"]);
        assert_not_public(&["224.0.0.0", "239.255.255.255"]); // multicast
        assert_public(&["223.255.255.255"]);
        assert_not_public(&["240.0.0.0", "255.255.255.254"]); // reserved
        assert_not_public(&["255.255.255.255"]); // broadcast
    }

    #[test]
    fn ipv6_special_purpose_ranges_are_not_public() {
        assert_not_public(&["::", "::1"]); // unspecified, loopback
        assert_not_public(&["64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"]); // local NAT64
        assert_not_public(&["100::", "100::1:ffff:ffff:ffff:ffff"]); // discard, dummy prefix
        assert_public(&["100:0:0:2::1"]);
        // IETF protocol assignments, Teredo among them.
        assert_not_public(&[
            "2001::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:1ff::1",
        ]);
        assert_not_public(&["2001:2::1", "2001:10::1", "2001:20::1"]);
        assert_public(&["2001:200::1", "2000::1"]);
        assert_not_public(&["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"]); // docs
        assert_public(&["2001:db9::1"]);
        assert_not_public(&["3fff::", "3fff:fff:ffff::1"]); // documentation
        assert_public(&["3fff:1000::1"]);
        assert_not_public(&["5f00::1", "5f00:ffff::1"]); // segment routing
        assert_not_public(&["fc00::", "fd00::1", "fdff:ffff::1"]); // unique local
        assert_public(&["fbff:ffff::1"]);
        assert_not_public(&["fe80::", "fe80::1", "febf:ffff::1"]); // link local
        assert_not_public(&["fec0::", "fec0::1", "feff:ffff::1"]); // site local
        assert_not_public(&["ff00::", "ff02::1", "ffff:ffff::1"]); // multicast
    }

    #[test]
    fn ipv6_addresses_carrying_ipv4_follow_the_ipv4_rules() {
        // IPv4-mapped, IPv4-compatible, SIIT, NAT64 and 6to4 of private addresses…
        assert_not_public(&[
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:192.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "::0.0.0.2",
            "::127.0.0.1",
            "::ffff:0:10.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::192.168.1.1",
            "2002:a00:1::1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2002:6440:1::1",
        ]);
        // …and of public ones.
        assert_public(&[
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
        ]);
    }

    #[test]
    fn url_literals_follow_the_address_rules() {
        for bad in [
            "https://192.0.0.8/x",
            "https://[fec0::1]/x",
            "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x",
            "https://[::ffff:169.254.169.254]/x",
            "https://[64:ff9b::a9fe:a9fe]/x",
            "https://0.0.0.0/x",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("https://93.184.216.34/x", false).is_ok());
    }

    /// Run alone in a child process by [`proxy_variables_are_not_used`], which sets
    /// `GUILDHALL_TEST_PROXY_CHILD`: the proxy variables it sets would leak into every other
    /// test of this process.
    #[tokio::test]
    #[ignore = "run by proxy_variables_are_not_used in a process of its own"]
    async fn proxy_child() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        assert!(std::env::var_os("GUILDHALL_TEST_PROXY_CHILD").is_some());
        // A "proxy" that counts connections and answers as if it had fetched the document.
        let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_addr = proxy.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut socket, _)) = proxy.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = r#"{"via":"proxy"}"#;
                let _ = socket
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                             content-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            }
        });
        let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let app = axum::Router::new().route(
                "/doc",
                axum::routing::get(|| async { axum::Json(serde_json::json!({"via": "direct"})) }),
            );
            let _ = axum::serve(server, app).await;
        });
        for name in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            std::env::set_var(name, format!("http://{proxy_addr}"));
        }
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
        let env = std::collections::BTreeMap::from([(
            "GUILDHALL_DEV_HTTP".to_string(),
            "true".to_string(),
        )]);
        let config = Config::from_sources(&Default::default(), &env).unwrap();
        let client = FedClient::new(&config).unwrap();
        let doc = client
            .get_plain_json(&format!("http://{server_addr}/doc"))
            .await
            .unwrap();
        assert_eq!(doc["via"], "direct");
        assert_eq!(connections.load(Ordering::SeqCst), 0, "the proxy was used");
    }

    #[test]
    fn proxy_variables_are_not_used() {
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "federation::client::tests::proxy_child",
                "--ignored",
                "--test-threads=1",
            ])
            .env("GUILDHALL_TEST_PROXY_CHILD", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
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
