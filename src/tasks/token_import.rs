//! `instagram.access_token`: a token the operator configured is imported on first start, and
//! retried while Instagram is unreachable or rate-limits us, so a container that starts during
//! an outage still connects once Instagram is back.

use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};

use super::feed_refresh::RefreshTrigger;
use crate::clock::SharedClock;
use crate::connection::{ImportError, import_token};
use crate::credentials::CredentialStore;
use crate::instagram::{ApiError, InstagramClient};

/// Imports `token`, retrying every `retry` while Instagram fails transiently (and waiting out
/// a rate limit); asks for a feed refresh once it is stored. Any other refusal is final.
pub async fn import_configured(
    instagram: InstagramClient,
    store: CredentialStore,
    clock: SharedClock,
    token: SecretString,
    retry: Duration,
    trigger: RefreshTrigger,
) {
    loop {
        let attempt = import_token(
            &instagram,
            &store,
            &clock,
            SecretString::from(token.expose_secret().to_owned()),
        )
        .await;
        match attempt {
            Ok(_) => {
                trigger.refresh_soon();
                return;
            }
            Err(ImportError::Rejected(error @ ApiError::Transient { .. })) => {
                tracing::warn!(%error, "cannot import instagram.access_token yet; retrying");
                tokio::time::sleep(retry).await;
            }
            // Instagram said how long to stay away; calling sooner only extends the limit.
            Err(ImportError::Rejected(error @ ApiError::RateLimited { retry_after, .. })) => {
                tracing::warn!(%error, "cannot import instagram.access_token yet; retrying");
                tokio::time::sleep(retry_after.unwrap_or_default().max(retry)).await;
            }
            Err(error) => {
                tracing::error!(%error, "instagram.access_token was not imported");
                return;
            }
        }
    }
}
