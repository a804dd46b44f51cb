//! The three situations that need the owner, decided from a snapshot of igfeed's state: a
//! pure function, so every rule is unit-tested without a clock or a server.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::credentials::{Credentials, TokenState};

/// Warn when the token expires sooner than this. igfeed renews tokens from ten days before
/// expiry, so reaching seven days means renewal has been failing for three.
pub const EXPIRY_WARNING: TimeDelta = TimeDelta::days(7);
/// Warn when the newest good copy of the feed is this old.
pub const STALE_AFTER: TimeDelta = TimeDelta::hours(24);

/// What an alert is about; the kebab-case names are part of the webhook contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// Instagram refuses the token: only the owner reconnecting helps.
    NeedsReconnect,
    /// The token expires within [`EXPIRY_WARNING`] and has not been renewed.
    TokenExpiring,
    /// No successful feed refresh for [`STALE_AFTER`].
    FeedStale,
}

impl AlertKind {
    /// The name used in the webhook body.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsReconnect => "needs-reconnect",
            Self::TokenExpiring => "token-expiring",
            Self::FeedStale => "feed-stale",
        }
    }
}

/// A condition that holds now, in plain words with the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Which condition.
    pub kind: AlertKind,
    /// What is wrong and what to do, for the owner.
    pub message: String,
}

/// What the rules look at.
pub struct Inputs<'a> {
    /// The time now.
    pub now: DateTime<Utc>,
    /// The stored credentials; `None` = not connected (nothing to warn about).
    pub credentials: Option<&'a Credentials>,
    /// When the feed now served was fetched.
    pub feed_fetched_at: Option<DateTime<Utc>>,
    /// When a feed refresh last succeeded in this process.
    pub last_success: Option<DateTime<Utc>>,
    /// The latest refresh failure, if any.
    pub last_error: Option<&'a str>,
    /// Where the owner fixes things (`…/admin`).
    pub admin_url: &'a str,
}

/// The warnings that hold for `inputs`. A token that needs reconnecting hides the other two:
/// they are its consequences, and one clear message beats three.
pub fn evaluate(inputs: &Inputs<'_>) -> Vec<Warning> {
    let Some(credentials) = inputs.credentials else {
        return Vec::new();
    };
    let admin = inputs.admin_url;
    if let TokenState::NeedsReconnect { reason, since } = &credentials.state {
        return vec![Warning {
            kind: AlertKind::NeedsReconnect,
            message: format!(
                "Instagram stopped accepting igfeed's access on {} ({reason}). Visitors still \
                 see the last good copy of the feed, but it no longer updates. Fix: open \
                 {admin}, log in and click Reconnect.",
                crate::human::time(*since)
            ),
        }];
    }
    let mut warnings = Vec::new();
    if let Some(expiry) = credentials.expires_at
        && expiry - inputs.now < EXPIRY_WARNING
    {
        let left = (expiry - inputs.now).num_hours().max(0);
        warnings.push(Warning {
            kind: AlertKind::TokenExpiring,
            message: format!(
                "igfeed's Instagram access expires on {} (in about {} days, {} hours) and could \
                 not be renewed automatically. Fix: open {admin}, click \"Refresh token now\" \
                 and, if that fails, Reconnect.",
                crate::human::time(expiry),
                left / 24,
                left % 24
            ),
        });
    }
    // Without any feed yet, the episode starts when the account was connected.
    let last_good = [inputs.feed_fetched_at, inputs.last_success]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(credentials.obtained_at);
    if inputs.now - last_good >= STALE_AFTER {
        let error = inputs
            .last_error
            .map(|e| format!(" The latest attempt failed: {e}."))
            .unwrap_or_default();
        warnings.push(Warning {
            kind: AlertKind::FeedStale,
            message: format!(
                "The Instagram feed has not been updated for {} hours (last good copy: {}); \
                 visitors see that copy.{error} igfeed keeps retrying by itself. Fix: open \
                 {admin} for details; if Instagram is reachable, try \"Refresh feed now\".",
                (inputs.now - last_good).num_hours(),
                crate::human::time(last_good)
            ),
        });
    }
    warnings
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::credentials::TokenSource;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).expect("valid")
    }

    fn connected(expires_in: TimeDelta) -> Credentials {
        let mut c = Credentials::new(
            SecretString::from("IGAAsecret"),
            TokenSource::Authorized,
            now() - TimeDelta::days(1),
        );
        c.expires_at = Some(now() + expires_in);
        c
    }

    fn kinds(credentials: Option<&Credentials>, fetched_ago: Option<TimeDelta>) -> Vec<AlertKind> {
        let inputs = Inputs {
            now: now(),
            credentials,
            feed_fetched_at: fetched_ago.map(|ago| now() - ago),
            last_success: None,
            last_error: Some("Instagram is temporarily unavailable"),
            admin_url: "https://feed.example/admin",
        };
        evaluate(&inputs).into_iter().map(|w| w.kind).collect()
    }

    #[test]
    fn each_rule_fires_only_past_its_threshold() {
        use AlertKind::*;
        let healthy = connected(TimeDelta::days(50));
        let expiring = connected(TimeDelta::days(6));
        let mut dead = connected(TimeDelta::days(50));
        dead.state = TokenState::NeedsReconnect {
            reason: "revoked".into(),
            since: now(),
        };
        let hour = TimeDelta::hours(1);
        type Case<'a> = (
            &'a str,
            Option<&'a Credentials>,
            Option<TimeDelta>,
            Vec<AlertKind>,
        );
        let cases: Vec<Case> = vec![
            ("not connected", None, None, vec![]),
            ("healthy", Some(&healthy), Some(hour), vec![]),
            ("23 h old feed", Some(&healthy), Some(hour * 23), vec![]),
            (
                "24 h old feed",
                Some(&healthy),
                Some(hour * 24),
                vec![FeedStale],
            ),
            (
                "no feed 1 day after connecting",
                Some(&healthy),
                None,
                vec![FeedStale],
            ),
            ("expiring", Some(&expiring), Some(hour), vec![TokenExpiring]),
            (
                "both",
                Some(&expiring),
                Some(hour * 30),
                vec![TokenExpiring, FeedStale],
            ),
            (
                "dead hides the rest",
                Some(&dead),
                Some(hour * 30),
                vec![NeedsReconnect],
            ),
        ];
        for (name, credentials, fetched_ago, expected) in cases {
            assert_eq!(kinds(credentials, fetched_ago), expected, "{name}");
        }
    }

    #[test]
    fn messages_say_what_to_do_and_never_carry_the_token() {
        let expiring = connected(TimeDelta::days(3));
        let inputs = Inputs {
            now: now(),
            credentials: Some(&expiring),
            feed_fetched_at: Some(now() - TimeDelta::hours(30)),
            last_success: None,
            last_error: None,
            admin_url: "https://feed.example/admin",
        };
        for warning in evaluate(&inputs) {
            assert!(
                warning
                    .message
                    .contains("Fix: open https://feed.example/admin")
            );
            assert!(
                !warning.message.contains("IGAAsecret"),
                "{}",
                warning.message
            );
        }
    }
}
