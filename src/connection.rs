//! Connecting an Instagram account to igfeed (importing a token obtained by hand) and
//! disconnecting it again.

use chrono::TimeDelta;
use secrecy::SecretString;

use crate::clock::SharedClock;
use crate::credentials::CREDENTIALS_FILE;
use crate::credentials::{CredentialStore, Credentials, TokenSource, TokenState};
use crate::feed::FeedService;
use crate::instagram::{ApiError, InstagramClient};
use crate::media::MediaService;
use crate::storage::{StorageError, run_blocking};

/// Why a token could not be imported or an authorization completed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Instagram did not accept the token.
    #[error("Instagram did not accept the token: {0}")]
    Rejected(#[from] ApiError),
    /// It could not be stored.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Validates `token` with `/me`, trades it for a long-lived one if it is short-lived, and
/// stores it. An imported token's age is unknown until its first successful refresh.
pub async fn import_token(
    instagram: &InstagramClient,
    store: &CredentialStore,
    clock: &SharedClock,
    token: SecretString,
) -> Result<Credentials, ImportError> {
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
    save(store, credentials.clone()).await?;
    tracing::info!(username = ?credentials.username, "Instagram token imported");
    Ok(credentials)
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
/// then stores it all. The previous token (reconnecting) is replaced only by this final,
/// atomic save, so any failure on the way leaves the old connection exactly as it was.
pub async fn connect_with_code(
    instagram: &InstagramClient,
    store: &CredentialStore,
    clock: &SharedClock,
    code: &str,
) -> Result<Credentials, ImportError> {
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
    save(store, credentials.clone()).await?;
    tracing::info!(username = ?credentials.username, "Instagram account connected");
    Ok(credentials)
}

async fn save(store: &CredentialStore, credentials: Credentials) -> Result<(), StorageError> {
    let store = store.clone();
    run_blocking(CREDENTIALS_FILE, move || store.save(credentials)).await
}

/// Forgets the account: the token first (so nothing can call Instagram with it any more),
/// then every copy of its data — the snapshot in memory and on disk, the prepared pages, and
/// the cached images in memory and on disk. Afterwards `/feed.json` answers 503
/// `not-connected` and `/media/…` 404.
pub async fn disconnect(
    store: &CredentialStore,
    feed: &FeedService,
    media: &MediaService,
) -> Result<(), StorageError> {
    let credentials = store.clone();
    run_blocking(CREDENTIALS_FILE, move || credentials.clear()).await?;
    feed.purge().await?;
    media.purge().await;
    tracing::info!("Instagram account disconnected; its data was removed");
    Ok(())
}
