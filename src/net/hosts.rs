//! `media.allowed_hosts`: the only hosts igfeed downloads from, so a snapshot can never make
//! igfeed fetch from an internal address (igfeed is not an open proxy).

/// One allowed host: an exact name or address, or `*.domain` for any subdomain of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Matches this host only (`127.0.0.1`, `scontent.cdninstagram.com`).
    Exact(String),
    /// Matches hosts ending in `.` + this domain, not the domain itself.
    Subdomains(String),
}

impl HostPattern {
    /// Parses `example.com`, `*.example.com` or an IP address; the message names the problem.
    pub fn parse(raw: &str) -> Result<HostPattern, String> {
        let lower = raw.trim().to_ascii_lowercase();
        let (wildcard, name) = match lower.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, lower.as_str()),
        };
        let valid = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !name.starts_with('.')
            && !name.ends_with('.')
            && !name.contains("..");
        if !valid {
            return Err(format!(
                "`{raw}` is not a host name, an IPv4 address or `*.domain`"
            ));
        }
        if wildcard && !name.contains('.') {
            return Err(format!("`{raw}` would allow a whole top-level domain"));
        }
        Ok(if wildcard {
            HostPattern::Subdomains(name.to_owned())
        } else {
            HostPattern::Exact(name.to_owned())
        })
    }

    /// Whether `host` (as the `url` crate reports it: lowercase, no port) is allowed.
    pub fn matches(&self, host: &str) -> bool {
        match self {
            HostPattern::Exact(name) => host == name,
            HostPattern::Subdomains(domain) => host
                .strip_suffix(domain.as_str())
                .and_then(|rest| rest.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty()),
        }
    }
}

/// Whether `url` may be downloaded: http(s), no credentials, and an allowed host.
pub fn is_allowed(patterns: &[HostPattern], url: &url::Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && url
            .host_str()
            .is_some_and(|host| patterns.iter().any(|p| p.matches(host)))
}

#[cfg(test)]
mod proptests;

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(url: &str) -> bool {
        let patterns: Vec<HostPattern> = ["*.cdninstagram.com", "*.fbcdn.net", "127.0.0.1"]
            .iter()
            .map(|p| HostPattern::parse(p).expect("valid pattern"))
            .collect();
        is_allowed(&patterns, &url::Url::parse(url).expect("URL"))
    }

    #[test]
    fn only_listed_hosts_pass() {
        for good in [
            "https://scontent-ams2-1.cdninstagram.com/v/x.jpg?oe=1",
            "https://SCONTENT.XX.FBCDN.NET/x.jpg",
            "http://127.0.0.1:4000/cdn/x.jpg",
        ] {
            assert!(allowed(good), "{good}");
        }
        for bad in [
            "https://cdninstagram.com/x.jpg",
            "https://evilcdninstagram.com/x.jpg",
            "https://cdninstagram.com.evil.example/x.jpg",
            "https://user:pw@scontent.cdninstagram.com/x.jpg",
            "ftp://scontent.cdninstagram.com/x.jpg",
            "http://127.0.0.2/x.jpg",
            "http://localhost/x.jpg",
            "file:///etc/passwd",
        ] {
            assert!(!allowed(bad), "{bad}");
        }
    }

    #[test]
    fn bad_patterns_are_refused() {
        for bad in [
            "",
            "*",
            "*.com",
            "a/b",
            "*.a..b",
            "exa mple.com",
            ".example.com",
            "[::1]",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad:?}");
        }
    }
}
