//! `server.trusted_proxies`: the reverse proxies whose `X-Forwarded-For` entries igfeed
//! believes (the web layer's `client_ip` reads the header with them).

use std::net::IpAddr;

use ipnet::IpNet;

/// Parses one `server.trusted_proxies` entry: a CIDR range, or a bare IP meaning just that
/// address (/32 or /128).
pub fn parse_trusted_proxy(entry: &str) -> Result<IpNet, String> {
    let entry = entry.trim();
    if let Ok(net) = entry.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    entry
        .parse::<IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("`{entry}` is not an IP address or a CIDR range like 10.0.0.0/8"))
}

/// Parses every `server.trusted_proxies` entry, failing on the first bad one.
pub fn parse_trusted_proxies(entries: &[String]) -> Result<Vec<IpNet>, String> {
    entries.iter().map(|e| parse_trusted_proxy(e)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxy_entries_are_ips_or_ranges() {
        let parsed = parse_trusted_proxies(
            &["10.0.0.0/8", "127.0.0.1", "::1", "192.168.1.7/24"].map(String::from),
        )
        .expect("valid entries");
        assert_eq!(parsed[1].to_string(), "127.0.0.1/32");
        assert_eq!(parsed[2].to_string(), "::1/128");
        assert_eq!(parsed[3].to_string(), "192.168.1.0/24");
        for bad in ["", "localhost", "10.0.0.0/33", "1.2.3"] {
            assert!(
                parse_trusted_proxy(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
