//! [`RefreshTrigger`]: how connecting, importing or the owner's "refresh now" wakes an
//! account's refresher ahead of its schedule. It lives with the feed so that everything an
//! account holds (see `crate::accounts`) sits below the tasks that run it.

use std::sync::Arc;

use tokio::sync::Notify;

/// Wakes the feed refresher ahead of its schedule; cheap to clone.
#[derive(Clone, Default)]
pub struct RefreshTrigger(Arc<Notify>);

impl RefreshTrigger {
    /// Asks for a refresh as soon as possible (coalesced with one already pending).
    pub fn refresh_soon(&self) {
        self.0.notify_one();
    }

    /// Resolves once a refresh was asked for (the refresher's side).
    pub async fn requested(&self) {
        self.0.notified().await;
    }
}
