//! Authorization codes and access tokens, with Instagram's lifetime rules.
//!
//! Every rule takes "now" as an argument so the rules can be tested without a server, and so the
//! server feeds them the shared clock, never the system time.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use rand::RngExt;

use super::mode::TokenKind;

/// How long an authorization code can be exchanged.
pub(crate) const CODE_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// How long a token from the code exchange lives.
pub(crate) const SHORT_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// How long a long-lived token lives after its exchange or its last refresh.
pub(crate) const LONG_LIFETIME: TimeDelta = TimeDelta::days(60);
/// How old a long-lived token must be before Instagram lets it be refreshed.
pub(crate) const REFRESH_MIN_AGE: TimeDelta = TimeDelta::hours(24);

/// What the user approved on the consent page, kept until the code is exchanged.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// The account that approved (its index, see `accounts`).
    pub(crate) account: u64,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) permissions: String,
    pub(crate) issued_at: DateTime<Utc>,
}

/// One live token value.
#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    /// Whose data the token reads (the account's index).
    pub(crate) account: u64,
    pub(crate) kind: TokenKind,
    /// When it was issued or last refreshed: the 24-hour refresh rule counts from here.
    pub(crate) issued_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) revoked: bool,
}

/// Why a code exchange was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeError {
    /// Unknown, expired or already used.
    NotFound,
    /// The code was issued for another redirect URI (or another app).
    RedirectMismatch,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Never issued, or replaced by a refresh.
    Unknown,
    /// Past its lifetime.
    Expired { at: DateTime<Utc> },
    /// Invalidated (password change, app removed, …).
    Revoked,
    /// A long-lived token was given where a short-lived one is required.
    NotShortLived,
    /// A short-lived token was given to the refresh endpoint.
    NotLongLived,
    /// A long-lived token younger than 24 hours was given to the refresh endpoint.
    TooEarly,
}

/// A granted token: its value and seconds until it expires.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub(crate) value: String,
    pub(crate) expires_in: i64,
}

/// All codes and tokens the sandbox ever handed out.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, TokenRecord>,
}

impl TokenStore {
    /// Remembers an approval and returns its code ("AQB…", like Instagram's).
    pub(crate) fn issue_code(&mut self, grant: Grant) -> String {
        let now = grant.issued_at;
        // Old codes are dropped so a long-running sandbox does not grow without bound.
        self.codes.retain(|_, g| now - g.issued_at < CODE_LIFETIME);
        let code = format!("AQB{}", random_string(120));
        self.codes.insert(code.clone(), grant);
        code
    }

    /// Exchanges a code for a short-lived token.
    ///
    /// A found code is consumed before the other checks, so a code works at most once whatever
    /// happened on its first use, as OAuth requires.
    pub(crate) fn redeem_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        now: DateTime<Utc>,
    ) -> Result<(Issued, Grant), CodeError> {
        let grant = self.codes.remove(code).ok_or(CodeError::NotFound)?;
        if now - grant.issued_at >= CODE_LIFETIME {
            return Err(CodeError::NotFound);
        }
        if grant.client_id != client_id || grant.redirect_uri != redirect_uri {
            return Err(CodeError::RedirectMismatch);
        }
        Ok((
            self.issue_token(grant.account, TokenKind::ShortLived, now, now),
            grant,
        ))
    }

    /// Mints a token of `kind` for `account`, issued at `issued_at`, measured against `now`.
    pub(crate) fn issue_token(
        &mut self,
        account: u64,
        kind: TokenKind,
        issued_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Issued {
        let lifetime = match kind {
            TokenKind::ShortLived => SHORT_LIFETIME,
            TokenKind::LongLived => LONG_LIFETIME,
        };
        let value = format!("IGAA{}", random_string(100));
        let record = TokenRecord {
            account,
            kind,
            issued_at,
            expires_at: issued_at + lifetime,
            revoked: false,
        };
        let expires_in = (record.expires_at - now).num_seconds().max(0);
        self.tokens.insert(value.clone(), record);
        Issued { value, expires_in }
    }

    /// Whether `token` may be used for a read right now.
    pub(crate) fn check(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<&TokenRecord, TokenError> {
        let record = self.tokens.get(token).ok_or(TokenError::Unknown)?;
        if record.revoked {
            return Err(TokenError::Revoked);
        }
        if now >= record.expires_at {
            return Err(TokenError::Expired {
                at: record.expires_at,
            });
        }
        Ok(record)
    }

    /// Turns a live short-lived token into a new long-lived one (the short one keeps working).
    pub(crate) fn exchange(
        &mut self,
        short: &str,
        now: DateTime<Utc>,
    ) -> Result<Issued, TokenError> {
        let record = self.check(short, now)?;
        if record.kind != TokenKind::ShortLived {
            return Err(TokenError::NotShortLived);
        }
        let account = record.account;
        Ok(self.issue_token(account, TokenKind::LongLived, now, now))
    }

    /// Replaces a long-lived token at least a day old by a new value valid 60 days from now.
    pub(crate) fn refresh(&mut self, long: &str, now: DateTime<Utc>) -> Result<Issued, TokenError> {
        let record = self.check(long, now)?;
        if record.kind != TokenKind::LongLived {
            return Err(TokenError::NotLongLived);
        }
        if now - record.issued_at < REFRESH_MIN_AGE {
            return Err(TokenError::TooEarly);
        }
        let account = record.account;
        // The old value stops working: igfeed must store what comes back.
        self.tokens.remove(long);
        Ok(self.issue_token(account, TokenKind::LongLived, now, now))
    }

    /// Invalidates every token handed out so far (a password change, in Instagram's terms).
    pub(crate) fn revoke_all(&mut self) {
        self.tokens.values_mut().for_each(|t| t.revoked = true);
    }

    /// Invalidates the tokens of one account only (its owner removed the app).
    pub(crate) fn revoke_account(&mut self, account: u64) {
        self.tokens
            .values_mut()
            .filter(|t| t.account == account)
            .for_each(|t| t.revoked = true);
    }
}

/// Random URL-safe characters, like the opaque tails of Instagram's codes and tokens.
pub(crate) fn random_string(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
