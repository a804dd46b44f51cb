//! Plain words for the status page: what each failure means and what the owner can do.

/// Outcomes of admin actions, shown once after the redirect back to `/admin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    /// The callback stored a new connection.
    Connected,
    /// "Refresh feed now" worked.
    FeedRefreshed,
    /// "Refresh feed now" failed (details in the problems list).
    FeedRefreshFailed,
    /// "Refresh token now" worked.
    TokenRefreshed,
    /// "Refresh token now" failed (details in the problems list).
    TokenRefreshFailed,
    /// The account was disconnected and its data removed.
    Disconnected,
    /// Another account's feed is now the default.
    DefaultChanged,
    /// `accounts.max` accounts are connected; the new one was not added.
    TooManyAccounts,
}

impl Notice {
    const ALL: [(Notice, &'static str); 7] = [
        (Notice::FeedRefreshed, "feed-refreshed"),
        (Notice::FeedRefreshFailed, "feed-refresh-failed"),
        (Notice::TokenRefreshed, "token-refreshed"),
        (Notice::TokenRefreshFailed, "token-refresh-failed"),
        (Notice::Disconnected, "disconnected"),
        (Notice::DefaultChanged, "default-changed"),
        (Notice::TooManyAccounts, "too-many-accounts"),
    ];

    /// The query value for the redirect.
    pub(crate) fn code(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == self)
            .map_or("connected", |(_, code)| code)
    }

    /// Only known codes map to a notice; anything else in the URL is ignored.
    pub(crate) fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, c)| *c == code).map(|(n, _)| *n)
    }

    /// The sentence shown.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Notice::Connected => "Connected to Instagram. The feed is being fetched now.",
            Notice::FeedRefreshed => "The feed was refreshed.",
            Notice::FeedRefreshFailed => {
                "The feed could not be refreshed; see the problem below. Visitors still get the last good feed."
            }
            Notice::TokenRefreshed => "The access token was refreshed.",
            Notice::TokenRefreshFailed => {
                "The token could not be refreshed; see the problem below."
            }
            Notice::Disconnected => {
                "Disconnected. The token and every copy of the feed were removed."
            }
            Notice::DefaultChanged => {
                "The default feed changed: snippets without data-feed now show this account."
            }
            Notice::TooManyAccounts => {
                "That account was not added: igfeed holds as many accounts as accounts.max allows. Disconnect one first, or raise the setting."
            }
        }
    }
}

/// The fix for an error message produced by igfeed's Instagram client.
pub(crate) fn advice_for(error: &str) -> &'static str {
    let lower = error.to_ascii_lowercase();
    if lower.contains("app credentials")
        || lower.contains("platform app")
        || lower.contains("client secret")
    {
        "This is usually a Meta app id or secret: use the Instagram app ID and secret (App Dashboard → Instagram → API setup with Instagram login)."
    } else if lower.contains("rejected the access token")
        || lower.contains("revoked")
        || lower.contains("expired")
    {
        "Instagram revoked access or the token expired — click Reconnect Instagram."
    } else if lower.contains("permission") {
        "Reconnect and approve access; the account must be a Business or Creator account."
    } else if lower.contains("rate limit") {
        "Instagram asked igfeed to slow down; it waits and retries by itself. Visitors keep the last good feed."
    } else if lower.contains("can't be refreshed yet")
        || lower.contains("cannot be refreshed yet")
        || lower.contains("24 hours")
    {
        "Instagram refreshes a token only once it is a day old; igfeed does it by itself when due."
    } else if lower.contains("temporarily unavailable")
        || lower.contains("timed out")
        || lower.contains("connect")
    {
        "Instagram could not be reached; igfeed retries by itself. Visitors keep the last good feed."
    } else {
        "igfeed retries by itself; if this persists, check igfeed's log."
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_and_unknown_codes_are_ignored() {
        for (notice, code) in Notice::ALL {
            assert_eq!(Notice::parse(code), Some(notice));
            assert_eq!(notice.code(), code);
        }
        assert_eq!(Notice::parse("<script>"), None);
    }

    #[test]
    fn advice_matches_the_client_error_texts() {
        let cases = [
            (
                "Instagram rejected the app credentials: Invalid platform app",
                "Instagram app ID",
            ),
            (
                "Instagram rejected the access token (code 190/460): x",
                "Reconnect",
            ),
            ("Instagram rate limit reached (code 4): x", "slow down"),
            ("Instagram is temporarily unavailable: HTTP 500", "retries"),
        ];
        for (error, want) in cases {
            assert!(
                advice_for(error).contains(want),
                "{error} → {}",
                advice_for(error)
            );
        }
    }
}
