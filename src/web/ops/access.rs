//! Who may see operator details: a caller with the `ops.token`, or a process on this machine.

use std::net::SocketAddr;

use actix_web::HttpRequest;
use actix_web::http::header;
use secrecy::SecretString;

use crate::auth::bearer_matches;

/// Headers a reverse proxy adds when it forwards someone else's request.
const FORWARDING_HEADERS: [&str; 3] = ["forwarded", "x-forwarded-for", "x-real-ip"];

/// What the caller brought, read from the request once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller<'a> {
    /// The TCP peer (never a client-supplied header).
    pub peer: Option<SocketAddr>,
    /// Whether a proxy says it forwarded the request for someone else.
    pub forwarded: bool,
    /// The `Authorization` header, if readable.
    pub authorization: Option<&'a str>,
}

impl<'a> Caller<'a> {
    pub(crate) fn of(req: &'a HttpRequest) -> Self {
        let headers = req.headers();
        Self {
            peer: req.peer_addr(),
            forwarded: FORWARDING_HEADERS.iter().any(|h| headers.contains_key(*h)),
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        }
    }
}

/// Whether `caller` may see details and metrics.
///
/// Loopback counts only when the TCP peer is loopback *and* no proxy header says the request
/// was forwarded: a reverse proxy on the same host connects from loopback on behalf of the
/// whole internet. Forwarding headers can only take access away, never grant it, so a
/// client forging them gains nothing.
pub(crate) fn allowed(caller: &Caller<'_>, ops_token: Option<&SecretString>) -> bool {
    let local = !caller.forwarded
        && caller
            .peer
            .is_some_and(|peer| peer.ip().to_canonical().is_loopback());
    local || bearer_matches(caller.authorization, ops_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(peer: &str, forwarded: bool, authorization: Option<&'static str>) -> Caller<'static> {
        Caller {
            peer: Some(peer.parse().expect("socket address")),
            forwarded,
            authorization,
        }
    }

    #[test]
    fn access_decisions() {
        let token = SecretString::from("s3cret-ops");
        let cases = [
            ("127.0.0.1:5000", false, None, None, true, "IPv4 loopback"),
            ("[::1]:5000", false, None, None, true, "IPv6 loopback"),
            (
                "[::ffff:127.0.0.1]:5000",
                false,
                None,
                None,
                true,
                "mapped loopback",
            ),
            (
                "203.0.113.9:5000",
                false,
                None,
                None,
                false,
                "remote, nothing",
            ),
            (
                "203.0.113.9:5000",
                false,
                Some("Bearer s3cret-ops"),
                None,
                false,
                "no token configured",
            ),
            (
                "203.0.113.9:5000",
                false,
                Some("Bearer s3cret-ops"),
                Some(&token),
                true,
                "right token",
            ),
            (
                "203.0.113.9:5000",
                false,
                Some("bearer s3cret-ops"),
                Some(&token),
                true,
                "scheme case",
            ),
            (
                "203.0.113.9:5000",
                false,
                Some("Bearer s3cret-opz"),
                Some(&token),
                false,
                "wrong token",
            ),
            (
                "203.0.113.9:5000",
                false,
                Some("Bearer s3cret"),
                Some(&token),
                false,
                "prefix",
            ),
            (
                "203.0.113.9:5000",
                false,
                Some("Basic s3cret-ops"),
                Some(&token),
                false,
                "scheme",
            ),
            (
                "203.0.113.9:5000",
                false,
                Some("s3cret-ops"),
                Some(&token),
                false,
                "no scheme",
            ),
            (
                "127.0.0.1:5000",
                true,
                None,
                None,
                false,
                "loopback proxy forwarding",
            ),
            (
                "127.0.0.1:5000",
                true,
                Some("Bearer s3cret-ops"),
                Some(&token),
                true,
                "proxied, token",
            ),
            (
                "10.0.0.2:5000",
                true,
                None,
                Some(&token),
                false,
                "forged forwarding",
            ),
        ];
        for (peer, forwarded, authorization, ops_token, expected, what) in cases {
            let caller = caller(peer, forwarded, authorization);
            assert_eq!(allowed(&caller, ops_token), expected, "{what}");
        }
    }

    #[test]
    fn an_empty_configured_token_opens_nothing() {
        let empty = SecretString::from("");
        let caller = caller("203.0.113.9:5000", false, Some("Bearer "));
        assert!(!allowed(&caller, Some(&empty)));
    }

    #[test]
    fn no_peer_address_is_not_local() {
        let caller = Caller {
            peer: None,
            forwarded: false,
            authorization: None,
        };
        assert!(!allowed(&caller, None));
    }
}
