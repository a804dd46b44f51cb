//! Connecting an Instagram account to igfeed (an owner's authorization, or a token obtained
//! by hand): the calls to Instagram that turn either into [`Credentials`], which the
//! [`AccountRegistry`] then stores as a new account or as the new token of one already
//! connected.

use chrono::TimeDelta;
use secrecy::SecretString;

use std::sync::Arc;

use crate::accounts::{Account, AccountRegistry, ConnectError};
use crate::clock::SharedClock;
use crate::credentials::{Credentials, TokenSource, TokenState};
use crate::instagram::{ApiError, InstagramClient};

/// Why a token could not be imported or an authorization completed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Instagram did not accept the token.
    #[error("Instagram did not accept the token: {0}")]
    Rejected(#[from] ApiError),
    /// It could not be stored as an account.
    #[error(transparent)]
    Account(#[from] ConnectError),
}

/// Validates `token` with `/me`, trades it for a long-lived one if it is short-lived, and
/// stores it as the account it belongs to. An imported token's age is unknown until its
/// first successful refresh.
pub async fn import_token(
    instagram: &InstagramClient,
    accounts: &AccountRegistry,
    clock: &SharedClock,
    token: SecretString,
) -> Result<Arc<Account>, ImportError> {
    let profile = instagram.profile(&token).await?;
    let now = clock.now();
    let (access_token, issued_at, expires_at) = match long_lived(instagram, &token).await {
        Some(issued) => (
            issued.access_token,
            Some(now),
            issued
                .expires_in
                .and_then(|d| TimeDelta::from_std(d).ok())
                .and_then(|d| now.checked_add_signed(d)),
        ),
        None => (token, None, None),
    };
    let credentials = Credentials {
        access_token,
        app_scoped_id: Some(profile.id),
        user_id: profile.user_id,
        token_user_id: None,
        username: profile.username,
        permissions: Vec::new(),
        source: TokenSource::Imported,
        obtained_at: now,
        issued_at,
        expires_at,
        last_refresh_attempt: None,
        state: TokenState::Active,
    };
    let username = credentials.username.clone();
    let account = accounts.connect(credentials).await?;
    tracing::info!(?username, account = %account.id(), "Instagram token imported");
    Ok(account)
}

/// A short-lived token becomes long-lived; a long-lived one is refused by the exchange and
/// kept as it is. Without the app secret no exchange is possible.
async fn long_lived(
    instagram: &InstagramClient,
    token: &SecretString,
) -> Option<crate::instagram::IssuedToken> {
    if !instagram.can_authorize() {
        return None;
    }
    instagram.exchange_for_long_lived(token).await.ok()
}

/// Completes an owner's authorization: code → short-lived token → long-lived token → profile,
/// then stores it all. Reconnecting an account replaces its token only by this final,
/// atomic save, so any failure on the way leaves the old connection exactly as it was.
pub async fn connect_with_code(
    instagram: &InstagramClient,
    accounts: &AccountRegistry,
    clock: &SharedClock,
    code: &str,
) -> Result<Arc<Account>, ImportError> {
    let short = instagram.exchange_code(code).await?;
    let long = instagram
        .exchange_for_long_lived(&short.access_token)
        .await?;
    let profile = instagram.profile(&long.access_token).await?;
    let now = clock.now();
    let credentials = Credentials {
        access_token: long.access_token,
        app_scoped_id: Some(profile.id),
        user_id: profile.user_id.or(short.user_id.clone()),
        token_user_id: short.user_id,
        username: profile.username,
        permissions: short.permissions,
        source: TokenSource::Authorized,
        obtained_at: now,
        issued_at: Some(now),
        expires_at: long
            .expires_in
            .and_then(|d| TimeDelta::from_std(d).ok())
            .and_then(|d| now.checked_add_signed(d)),
        last_refresh_attempt: None,
        state: TokenState::Active,
    };
    let username = credentials.username.clone();
    let account = accounts.connect(credentials).await?;
    tracing::info!(?username, account = %account.id(), "Instagram account connected");
    Ok(account)
}
