//! [`Credentials`]: the token and everything igfeed knows about it.

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// How igfeed got the token; decides what can be known about its age.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// Through igfeed's own "connect" flow: issue time and lifetime are known.
    Authorized,
    /// Pasted by hand (setting or `igfeed token import`): age unknown until the first refresh.
    Imported,
}

/// Whether the token can still be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TokenState {
    /// Usable as far as igfeed knows.
    Active,
    /// Instagram rejected it for good (expired, revoked …): only the owner reconnecting helps,
    /// so igfeed stops calling Instagram with it.
    NeedsReconnect {
        /// Instagram's explanation, kept for the owner.
        reason: String,
        /// When igfeed found out.
        since: DateTime<Utc>,
    },
}

/// The Instagram token and what igfeed knows about it.
///
/// Deliberately not `Serialize`: the only way to disk is the credential store, so the token
/// cannot end up in a response by a stray `Json(credentials)`. `Debug` is safe: the token is
/// a [`SecretString`], which prints redacted.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The token itself.
    pub access_token: SecretString,
    /// The app-scoped user id (`id` from `/me`).
    pub app_scoped_id: Option<String>,
    /// The professional account id (`user_id` from `/me`, else from the code exchange).
    pub user_id: Option<String>,
    /// The `user_id` the code exchange returned: Meta's callbacks may name the account by
    /// it even where `/me` gives other ids.
    pub token_user_id: Option<String>,
    /// The account's username, for the owner's eyes.
    pub username: Option<String>,
    /// Permissions the owner granted.
    pub permissions: Vec<String>,
    /// How igfeed got the token.
    pub source: TokenSource,
    /// When igfeed got this token value.
    pub obtained_at: DateTime<Utc>,
    /// When Instagram issued or last extended it; `None` = unknown (imported by hand).
    pub issued_at: Option<DateTime<Utc>>,
    /// When it expires; `None` = unknown.
    pub expires_at: Option<DateTime<Utc>>,
    /// The last time igfeed tried to refresh it, successful or not.
    pub last_refresh_attempt: Option<DateTime<Utc>>,
    /// Whether it can still be used.
    pub state: TokenState,
}

impl Credentials {
    /// A freshly obtained, active token about which nothing else is known yet.
    pub fn new(
        access_token: SecretString,
        source: TokenSource,
        obtained_at: DateTime<Utc>,
    ) -> Self {
        Self {
            access_token,
            app_scoped_id: None,
            user_id: None,
            token_user_id: None,
            username: None,
            permissions: Vec::new(),
            source,
            obtained_at,
            issued_at: None,
            expires_at: None,
            last_refresh_attempt: None,
            state: TokenState::Active,
        }
    }

    /// Every account id Instagram gave for this account, without repeats: Meta's
    /// deauthorize and data-deletion callbacks may name the account by either.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::with_capacity(3);
        let known = [&self.app_scoped_id, &self.user_id, &self.token_user_id];
        for id in known.into_iter().flatten() {
            if !ids.contains(&id.as_str()) {
                ids.push(id);
            }
        }
        ids
    }

    /// The id the account is known by: the professional account id (`user_id`), which
    /// Meta's callbacks and the code exchange name, else whichever id Instagram gave.
    pub fn account_id(&self) -> Option<&str> {
        [&self.user_id, &self.token_user_id, &self.app_scoped_id]
            .into_iter()
            .flatten()
            .next()
            .map(String::as_str)
    }

    /// Time since Instagram issued or last extended the token; `None` when unknown. Never
    /// negative, even if the clock was set back.
    pub fn age(&self, now: DateTime<Utc>) -> Option<TimeDelta> {
        self.issued_at
            .map(|issued| (now - issued).max(TimeDelta::zero()))
    }

    /// Whether igfeed may call Instagram with this token.
    pub fn is_active(&self) -> bool {
        matches!(self.state, TokenState::Active)
    }
}
