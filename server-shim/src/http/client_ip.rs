//! The client's IP address: the TCP peer, or X-Forwarded-For when the peer is a trusted proxy.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use super::AppState;

/// Who made the request, as far as the shim can honestly tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(ClientIp(resolve(peer, &parts.headers, &state.config().trusted_proxies)))
    }
}

/// X-Forwarded-For is believed only from a trusted peer, and only up to the first hop that is
/// not itself a trusted proxy, counted from the right: everything left of that hop was
/// written by the client and proves nothing.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // Garbage in the chain: stop at the last hop we could trust.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(xff: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert("x-forwarded-for", xff.parse().unwrap());
        m
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_claims() {
        let peer: IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(resolve(peer, &h("1.2.3.4"), &[]), peer);
        assert_eq!(resolve(peer, &h("1.2.3.4"), &["10.0.0.0/8".parse().unwrap()]), peer);
    }

    #[test]
    fn trusted_proxy_forwards_the_nearest_untrusted_hop() {
        let trusted = ["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        // The client spoofed 6.6.6.6; nginx appended the real address 198.51.100.7.
        assert_eq!(resolve(peer, &h("6.6.6.6, 198.51.100.7"), &trusted), "198.51.100.7".parse::<IpAddr>().unwrap());
        // Two proxies in a row.
        assert_eq!(resolve(peer, &h("198.51.100.7, 10.1.2.3"), &trusted), "198.51.100.7".parse::<IpAddr>().unwrap());
        // No header: the proxy itself.
        assert_eq!(resolve(peer, &HeaderMap::new(), &trusted), peer);
        // Garbage after a valid hop is not believed.
        assert_eq!(resolve(peer, &h("198.51.100.7, nonsense"), &trusted), peer);
        // IPv6 works too.
        assert_eq!(resolve(peer, &h("2001:db8::1"), &trusted), "2001:db8::1".parse::<IpAddr>().unwrap());
    }
}
