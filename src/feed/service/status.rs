//! What the latest refresh did, and what follows from it: whether visitors are told the feed
//! may be old, and when only the owner can help.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::SecretString;

use super::{Current, FeedError, FeedService};
use crate::instagram::ApiError;

/// The outcome of the latest refresh attempt, for status pages and `stale`.
#[derive(Debug, Clone, Default)]
pub struct RefreshStatus {
    /// When the latest attempt started.
    pub last_attempt: Option<DateTime<Utc>>,
    /// When a refresh last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The latest failure, cleared by a success.
    pub last_error: Option<String>,
    /// Failures since the last success.
    pub consecutive_failures: u32,
    /// How long Instagram asked igfeed to wait (rate limit).
    pub retry_after: Option<Duration>,
    /// Refreshes requested so far, including those skipped for want of a usable token.
    pub refreshes: u64,
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

impl FeedService {
    /// Clears the failure only once the new snapshot is the one served, so `stale` never
    /// reads "fresh" next to the old snapshot.
    pub(super) fn record_success(&self, current: &Current) {
        self.update_status(|s| {
            s.last_success = Some(current.snapshot.fetched_at);
            s.last_error = None;
            s.consecutive_failures = 0;
            s.retry_after = None;
        });
    }

    pub(super) async fn record_failure(&self, error: ApiError, token: &SecretString) -> FeedError {
        let message = error.to_string();
        self.update_status(|s| {
            s.last_error = Some(message.clone());
            s.consecutive_failures += 1;
            s.retry_after = match &error {
                ApiError::RateLimited { retry_after, .. } => *retry_after,
                _ => None,
            };
        });
        tracing::warn!(error = %message, "feed refresh failed; still serving the last good feed");
        if error.rejects_token() {
            self.inner
                .credentials
                .mark_needs_reconnect(token, &message, self.inner.clock.now())
                .await;
            return FeedError::NeedsReconnect(message);
        }
        FeedError::Unavailable(message)
    }

    /// Whether visitors should be told the feed may be old: the latest refresh failed, or
    /// the snapshot is older than twice the refresh interval.
    pub fn is_stale(&self, current: &Current) -> bool {
        let age = self.inner.clock.now() - current.snapshot.fetched_at;
        // Read under the lock rather than cloning the status: this runs on every request.
        let failed_since = self.inner.status.lock().is_ok_and(|status| {
            status.last_error.is_some()
                && status
                    .last_attempt
                    .is_some_and(|t| t >= current.snapshot.fetched_at)
        });
        failed_since
            || age
                > delta(self.inner.config.refresh_interval)
                    .checked_mul(2)
                    .unwrap_or(TimeDelta::MAX)
    }

    /// What the latest refresh did.
    pub fn status(&self) -> RefreshStatus {
        self.inner
            .status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    pub(super) fn update_status(&self, f: impl FnOnce(&mut RefreshStatus)) {
        if let Ok(mut status) = self.inner.status.lock() {
            f(&mut status);
        }
    }
}
