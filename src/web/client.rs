//! The client's address. It is the socket's peer, unless that peer is a trusted reverse proxy
//! (setting `trusted_proxies`): then the proxies' `Forwarded` (or, without it,
//! `X-Forwarded-For`) chain is read from the right, and the first address that is not itself a
//! trusted proxy is the client. A header from anyone else is ignored, so it cannot be spoofed.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use crate::config::IpNet;
use crate::error::Error;
use crate::state::AppState;

/// The client's address, as [`client_address`] finds it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let peer = peer_of(parts)?;
        Ok(ClientIp(client_address(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// The socket peer's address.
pub fn peer_of(parts: &Parts) -> Result<IpAddr, Error> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the server runs without peer addresses")))
}

/// The client behind `peer`, trusting forwarding headers only from `trusted` proxies.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        match hop {
            Some(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    return ip;
                }
            }
            // An address the proxy could not name: the last known hop is the best we have.
            None => return client,
        }
    }
    client
}

/// Whether the request passed through a proxy that said so.
pub fn is_forwarded(headers: &HeaderMap) -> bool {
    headers.contains_key("forwarded") || headers.contains_key("x-forwarded-for")
}

/// The addresses a proxy chain recorded, left (first client) to right (last proxy); `None` for
/// an entry that is not an address (`unknown`, an obfuscated name, garbage).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().map(str::to_string).unwrap_or_default())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| node_address(v))
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .flat_map(|v| v.split(','))
        .map(node_address)
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn node_address(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return inside.parse::<IpAddr>().ok().map(|ip| ip.to_canonical());
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn nets(list: &str) -> Vec<IpNet> {
        list.split(',').map(|n| n.trim().parse().unwrap()).collect()
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(client_address(peer, &spoofed, &[]), peer);
        assert_eq!(
            client_address(peer, &spoofed, &nets("10.0.0.0/8")),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // The right-most address that is not a proxy: a client cannot push itself further left.
        let chain = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.0.0.7")]);
        assert_eq!(
            client_address(peer, &chain, &nets("10.0.0.0/8")),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // Forwarded wins over X-Forwarded-For and takes ports and brackets.
        let both = headers(&[
            (
                "forwarded",
                "for=198.51.100.1, for=\"[2001:db8::7]:4711\";proto=https",
            ),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            client_address(peer, &both, &nets("10.0.0.0/8")),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        let port = headers(&[("forwarded", "For=192.0.2.60:8080")]);
        assert_eq!(
            client_address(peer, &port, &nets("10.0.0.2")),
            "192.0.2.60".parse::<IpAddr>().unwrap()
        );
        // An entry that is no address stops the walk at the proxy.
        let hidden = headers(&[("forwarded", "for=_hidden")]);
        assert_eq!(client_address(peer, &hidden, &nets("10.0.0.0/8")), peer);
        // No header: the proxy's own address.
        assert_eq!(
            client_address(peer, &HeaderMap::new(), &nets("10.0.0.0/8")),
            peer
        );
        // IPv4-mapped peers match IPv4 ranges.
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_eq!(
            client_address(mapped, &spoofed, &nets("10.0.0.0/8")),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }
}
