//! Which address a request really comes from, for throttling and loopback checks.
//!
//! `X-Forwarded-For` is whatever the caller wrote, except for the entries our own reverse
//! proxies appended. So it is read only when the TCP peer is one of `server.trusted_proxies`,
//! and then from the right: the right-most address that is not a trusted proxy is the first
//! hop we did not operate, i.e. the client. Anything further left could be forged.
//! `X-Forwarded-Proto` is believed on the same terms ([`forwarded_https`]).

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use ipnet::IpNet;

#[cfg(test)]
use crate::net::parse_trusted_proxy;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Whether a trusted proxy says the client reached it over https (`X-Forwarded-Proto:
/// https`), as a TLS-terminating proxy in front of igfeed does. From any other peer the header
/// is ignored: the caller wrote it. With several values (a chain of proxies appending), the
/// first is the one facing the client.
pub fn forwarded_https(req: &HttpRequest, trusted: &[IpNet]) -> bool {
    let Some(peer) = req.peer_addr().map(|p| p.ip().to_canonical()) else {
        return false;
    };
    if !is_trusted(peer, trusted) {
        return false;
    }
    req.headers()
        .get(X_FORWARDED_PROTO)
        .and_then(|value| value.as_bytes().split(|&b| b == b',').next())
        .is_some_and(|proto| proto.trim_ascii().eq_ignore_ascii_case(b"https"))
}

/// The client's address: the TCP peer, or — only when the peer is a trusted proxy — the
/// right-most untrusted address in `X-Forwarded-For`. `None` when the connection has no IP
/// peer (only in unit tests).
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    if !is_trusted(peer, trusted) {
        return Some(peer);
    }
    // Several header lines are one list, in order (RFC 9110 §5.3). Split bytes, not text:
    // a client's junk hop must not hide the address its proxy appended to the same line.
    let hops: Vec<&[u8]> = req
        .headers()
        .get_all(X_FORWARDED_FOR)
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        // A hop we cannot read was written by a trusted proxy (an untrusted one would have
        // been found first): the nearest trusted hop is the best we know.
        let Some(address) = parse_hop(hop) else {
            return Some(nearest);
        };
        if !is_trusted(address, trusted) {
            return Some(address);
        }
        nearest = address;
    }
    Some(nearest)
}

fn is_trusted(address: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&address))
}

/// `1.2.3.4`, `2001:db8::1`, and the `1.2.3.4:5678` / `[2001:db8::1]:5678` some proxies write.
fn parse_hop(hop: &[u8]) -> Option<IpAddr> {
    let hop = std::str::from_utf8(hop).ok()?.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn nets(entries: &[&str]) -> Vec<IpNet> {
        entries
            .iter()
            .map(|e| parse_trusted_proxy(e).expect("valid entry"))
            .collect()
    }

    fn request(peer: &str, forwarded: &[&str]) -> HttpRequest {
        let mut req =
            TestRequest::default().peer_addr(peer.parse().expect("peer is a socket address"));
        for value in forwarded {
            req = req.append_header((X_FORWARDED_FOR, *value));
        }
        req.to_http_request()
    }

    #[test]
    fn the_client_address_is_found_only_through_trusted_proxies() {
        let trusted = nets(&["127.0.0.1", "10.0.0.0/8"]);
        let cases: &[(&str, &[&str], &str, &str)] = &[
            (
                "203.0.113.9:1",
                &["198.51.100.1"],
                "203.0.113.9",
                "untrusted peer: header ignored",
            ),
            (
                "127.0.0.1:1",
                &[],
                "127.0.0.1",
                "trusted peer without header",
            ),
            ("127.0.0.1:1", &["198.51.100.1"], "198.51.100.1", "one hop"),
            (
                "127.0.0.1:1",
                &["6.6.6.6, 198.51.100.1, 10.1.1.1"],
                "198.51.100.1",
                "right-most untrusted",
            ),
            (
                "127.0.0.1:1",
                &["6.6.6.6", "198.51.100.1"],
                "198.51.100.1",
                "several header lines",
            ),
            (
                "127.0.0.1:1",
                &["10.2.2.2, 10.1.1.1"],
                "10.2.2.2",
                "only proxies: the farthest",
            ),
            (
                "127.0.0.1:1",
                &["garbage, 10.1.1.1"],
                "10.1.1.1",
                "unreadable hop",
            ),
            (
                "127.0.0.1:1",
                &["[2001:db8::1]:443"],
                "2001:db8::1",
                "bracketed with port",
            ),
        ];
        for (peer, forwarded, expected, why) in cases {
            let found = client_ip(&request(peer, forwarded), &trusted);
            assert_eq!(found, expected.parse().ok(), "{why}");
        }
    }

    #[test]
    fn only_a_trusted_proxy_can_say_the_client_used_https() {
        let trusted = nets(&["127.0.0.1"]);
        let cases: &[(&str, Option<&str>, bool)] = &[
            ("127.0.0.1:1", Some("https"), true),
            ("127.0.0.1:1", Some("HTTPS"), true),
            ("127.0.0.1:1", Some(" https , http"), true),
            ("127.0.0.1:1", Some("http"), false),
            ("127.0.0.1:1", Some("http, https"), false),
            ("127.0.0.1:1", None, false),
            ("203.0.113.9:1", Some("https"), false),
        ];
        for (peer, proto, expected) in cases {
            let mut req = TestRequest::default().peer_addr(peer.parse().expect("peer"));
            if let Some(proto) = proto {
                req = req.insert_header((X_FORWARDED_PROTO, *proto));
            }
            assert_eq!(
                forwarded_https(&req.to_http_request(), &trusted),
                *expected,
                "{peer} {proto:?}"
            );
        }
    }

    #[test]
    fn a_non_ascii_hop_does_not_hide_the_address_the_proxy_appended() {
        let junk = actix_web::http::header::HeaderValue::from_bytes(b"\xff\xfe, 198.51.100.1")
            .expect("obs-text is a valid header value");
        let req = TestRequest::default()
            .peer_addr("127.0.0.1:1".parse().expect("socket address"))
            .append_header((X_FORWARDED_FOR, junk))
            .to_http_request();
        assert_eq!(
            client_ip(&req, &nets(&["127.0.0.1"])),
            "198.51.100.1".parse().ok()
        );
    }
}
