//! `instagram.access_token`: a token the operator configured is imported on first start, and
//! retried while Instagram is unreachable or rate-limits us, so a container that starts during
//! an outage still connects once Instagram is back.

use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};

use super::due::Due;
use crate::accounts::AccountRegistry;
use crate::clock::SharedClock;
use crate::connection::{ImportError, import_token};
use crate::instagram::{ApiError, InstagramClient};

/// What the import needs, cloned for each (re)start of the task.
#[derive(Clone)]
pub struct Import {
    /// The upstream client.
    pub instagram: InstagramClient,
    /// Where the imported token goes (visitors wait for the first account while an
    /// attempt runs).
    pub accounts: AccountRegistry,
    /// The process's clock.
    pub clock: SharedClock,
    /// The token configured.
    pub token: SecretString,
    /// Pause between attempts while Instagram fails transiently.
    pub retry: Duration,
}

/// Imports the token, retrying every `retry` while Instagram fails transiently (and waiting
/// out a rate limit); the new account's feed is refreshed at once. Any other refusal is final.
///
/// The first attempt is marked as running before the future is first polled, so
/// the first visitors after a start wait for the feed like on any cold cache instead of
/// hearing `not-connected` from a server that is about to be connected.
pub fn import_configured(import: Import) -> impl Future<Output = ()> + Send + 'static {
    let mut first = Some(import.accounts.importing());
    async move {
        loop {
            let attempt = first.take().unwrap_or_else(|| import.accounts.importing());
            let result = import_token(
                &import.instagram,
                &import.accounts,
                &import.clock,
                SecretString::from(import.token.expose_secret().to_owned()),
            )
            .await;
            let wait = match result {
                // Connecting asked for the first load before the attempt ends: waiting
                // visitors then wait on for it.
                Ok(_) => return,
                Err(ImportError::Rejected(error @ ApiError::Transient { .. })) => {
                    tracing::warn!(%error, "cannot import instagram.access_token yet; retrying");
                    import.retry
                }
                // Instagram said how long to stay away; calling sooner only extends the limit.
                Err(ImportError::Rejected(error @ ApiError::RateLimited { retry_after, .. })) => {
                    tracing::warn!(%error, "cannot import instagram.access_token yet; retrying");
                    retry_after.unwrap_or_default().max(import.retry)
                }
                Err(error) => {
                    tracing::error!(%error, "instagram.access_token was not imported");
                    return;
                }
            };
            // Visitors hear at once while no attempt runs, as after a failed load.
            drop(attempt);
            Due::after(&import.clock, wait)
                .wait(&import.clock, import.retry)
                .await;
        }
    }
}
