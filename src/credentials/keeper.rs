//! Keeps an account's long-lived token alive: refreshes it when due, stores the new value
//! before anything uses it, and stops calling Instagram once the token is dead. The loop
//! that checks on a schedule is `crate::tasks::token_refresh`; the owner's "refresh token
//! now" calls [`TokenKeeper::refresh`] directly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::TimeDelta;
use secrecy::{ExposeSecret, SecretString};

use super::schedule::{MIN_AGE, Plan, plan};
use super::{CredentialStore, Credentials};
use crate::clock::SharedClock;
use crate::instagram::{ApiError, InstagramClient};

/// Refreshes the token; cheap to clone, one refresh at a time.
#[derive(Clone)]
pub struct TokenKeeper {
    inner: Arc<Inner>,
}

struct Inner {
    instagram: InstagramClient,
    credentials: CredentialStore,
    clock: SharedClock,
    refresh_after: Duration,
    lock: tokio::sync::Mutex<()>,
    checks: AtomicU64,
    last_error: std::sync::Mutex<Option<String>>,
}

impl TokenKeeper {
    /// A keeper refreshing tokens once they are `refresh_after` old.
    pub fn new(
        instagram: InstagramClient,
        credentials: CredentialStore,
        clock: SharedClock,
        refresh_after: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                instagram,
                credentials,
                clock,
                refresh_after,
                lock: tokio::sync::Mutex::new(()),
                checks: AtomicU64::new(0),
                last_error: std::sync::Mutex::new(None),
            }),
        }
    }

    /// Completed checks (lets tests wait for the schedule to have looked).
    pub fn checks(&self) -> u64 {
        self.inner.checks.load(Ordering::SeqCst)
    }

    /// Why the latest refresh failed, if it did.
    pub fn last_error(&self) -> Option<String> {
        self.inner.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// Refreshes if the schedule says so.
    pub async fn check(&self) {
        if let Some(credentials) = self.inner.credentials.current() {
            let now = self.inner.clock.now();
            match plan(&credentials, now, self.inner.refresh_after) {
                Plan::Refresh => {
                    let _ = self.refresh().await;
                }
                Plan::Expired => {
                    self.inner
                        .credentials
                        .mark_needs_reconnect(
                            &credentials.access_token,
                            "the access token expired",
                            now,
                        )
                        .await;
                }
                Plan::Wait => {}
            }
        }
        self.inner.checks.fetch_add(1, Ordering::SeqCst);
    }

    /// Refreshes now, whatever the schedule (the owner's "refresh token now").
    pub async fn refresh(&self) -> Result<Credentials, ApiError> {
        let _guard = self.inner.lock.lock().await;
        let _calls = self.inner.credentials.lock_calls().await;
        let Some(credentials) = self
            .inner
            .credentials
            .current()
            .filter(Credentials::is_active)
        else {
            return Err(ApiError::TokenInvalid {
                code: 0,
                subcode: None,
                message: "no active token to refresh".into(),
            });
        };
        let now = self.inner.clock.now();
        if credentials
            .age(now)
            .is_some_and(|age| age < TimeDelta::from_std(MIN_AGE).unwrap_or(TimeDelta::MAX))
        {
            // Instagram's rule; asking anyway spends a call on a known refusal. The owner reads
            // the reason as it is, not as something Instagram said.
            let reason = "the token can't be refreshed yet: Instagram refreshes a token only \
                          once it is at least 24 hours old";
            self.set_error(Some(reason.to_owned()));
            return Err(ApiError::BadRequest {
                code: 0,
                message: reason.to_owned(),
            });
        }
        self.save(move |c| c.last_refresh_attempt = Some(now)).await;
        match self
            .inner
            .instagram
            .refresh(&credentials.access_token)
            .await
        {
            Ok(issued) => {
                let now = self.inner.clock.now();
                let previous = credentials.access_token.clone();
                let mut renewed = credentials;
                renewed.access_token = issued.access_token;
                renewed.obtained_at = now;
                renewed.issued_at = Some(now);
                renewed.expires_at = issued
                    .expires_in
                    .and_then(|d| TimeDelta::from_std(d).ok())
                    .and_then(|d| now.checked_add_signed(d));
                renewed.last_refresh_attempt = Some(now);
                self.store(previous, renewed.clone()).await?;
                self.set_error(None);
                tracing::info!(expires_at = ?renewed.expires_at, "access token refreshed");
                Ok(renewed)
            }
            Err(error) => {
                self.set_error(Some(error.to_string()));
                if matches!(error, ApiError::TokenInvalid { .. }) {
                    self.inner
                        .credentials
                        .mark_needs_reconnect(&credentials.access_token, &error.to_string(), now)
                        .await;
                } else {
                    tracing::warn!(%error, "token refresh failed; will try again");
                }
                Err(error)
            }
        }
    }

    /// Writes the renewed token to disk before anything can use it: a crash right after
    /// Instagram answered must not lose the only valid token. Only if the refreshed token is
    /// still the stored one — a disconnect or reconnect during the call wins.
    async fn store(&self, previous: SecretString, renewed: Credentials) -> Result<(), ApiError> {
        let store = self.inner.credentials.clone();
        let result = tokio::task::spawn_blocking(move || {
            store.update(|c| {
                if c.access_token.expose_secret() == previous.expose_secret() {
                    *c = renewed;
                }
            })
        })
        .await;
        match result {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(error)) => Err(storage_failed(&error)),
            Err(error) => Err(storage_failed(&error)),
        }
    }

    async fn save(&self, change: impl FnOnce(&mut Credentials) + Send + 'static) {
        let store = self.inner.credentials.clone();
        let result = tokio::task::spawn_blocking(move || store.update(change)).await;
        if !matches!(result, Ok(Ok(_))) {
            tracing::error!("could not record the token refresh attempt");
        }
    }

    fn set_error(&self, error: Option<String>) {
        if let Ok(mut last) = self.inner.last_error.lock() {
            *last = error;
        }
    }
}

fn storage_failed(error: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(%error, "could not store the refreshed token");
    ApiError::Transient {
        reason: "the refreshed token could not be stored".into(),
    }
}
