//! Properties of `media.allowed_hosts` over generated patterns and hosts: any entry is a
//! pattern or a message, and a pattern lets through its own host (or its subdomains) and
//! nothing that merely ends like it.

use proptest::prelude::*;

use super::*;

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
}

fn domain() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..4).prop_map(|labels| labels.join("."))
}

proptest! {
    #[test]
    fn any_entry_is_a_pattern_or_a_message(raw in prop_oneof!["\\PC{0,30}", "[*.a-zA-Z0-9 -]{0,20}"]) {
        match HostPattern::parse(&raw) {
            Ok(HostPattern::Exact(name) | HostPattern::Subdomains(name)) => {
                prop_assert!(!name.is_empty() && !name.starts_with('.') && !name.ends_with('.'));
                prop_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'));
            }
            Err(message) => prop_assert!(!message.is_empty()),
        }
    }

    #[test]
    fn an_exact_pattern_allows_only_its_host(host in domain(), other in domain(), upper in any::<bool>()) {
        let written = if upper { host.to_ascii_uppercase() } else { host.clone() };
        let pattern = HostPattern::parse(&written).map_err(TestCaseError::fail)?;
        prop_assert!(pattern.matches(&host));
        prop_assert_eq!(pattern.matches(&other), other == host);
        let below = format!("{other}.{host}");
        let glued = format!("{other}{host}");
        prop_assert!(!pattern.matches(&below));
        prop_assert!(!pattern.matches(&glued));
    }

    #[test]
    fn a_wildcard_allows_subdomains_only(
        labels in prop::collection::vec(label(), 2..4),
        sub in domain(),
        glued in label(),
    ) {
        let domain = labels.join(".");
        let pattern = HostPattern::parse(&format!("*.{domain}")).map_err(TestCaseError::fail)?;
        let subdomain = format!("{sub}.{domain}");
        let glued = format!("{glued}{domain}");
        let elsewhere = format!("{sub}.{domain}.evil.example");
        prop_assert!(pattern.matches(&subdomain));
        prop_assert!(!pattern.matches(&domain), "the domain itself");
        prop_assert!(!pattern.matches(&glued), "merely ending like it");
        prop_assert!(!pattern.matches(&elsewhere));
    }

    /// Only http(s) URLs without credentials to an allowed host pass, whatever the URL.
    #[test]
    fn only_allowed_urls_pass(
        scheme in prop::sample::select(&["http", "https", "ftp", "file", "javascript"][..]),
        userinfo in prop::sample::select(&["", "user@", "user:pw@", ":pw@"][..]),
        host in domain(),
        path in "[a-z0-9/._%-]{0,12}",
    ) {
        let patterns = [HostPattern::parse("*.cdninstagram.com").expect("valid")];
        let Ok(url) = url::Url::parse(&format!("{scheme}://{userinfo}{host}.cdninstagram.com/{path}")) else {
            return Ok(());
        };
        let expected = matches!(scheme, "http" | "https") && userinfo.is_empty();
        prop_assert_eq!(is_allowed(&patterns, &url), expected, "{}", url);
    }
}
