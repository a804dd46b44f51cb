//! The serialised pages of the account's own snapshot ([`crate::feed::pages`]), each
//! judged fresh or stale by this service's refresh status.

use std::sync::Arc;

use super::FeedService;
use crate::feed::display::Display;
use crate::feed::document::PageRequest;
use crate::feed::domain::Snapshot;
use crate::feed::pages::Current;
use crate::feed::prepared::PreparedBody;

impl FeedService {
    pub(super) fn wrap(&self, snapshot: Snapshot) -> Arc<Current> {
        self.inner.pages.wrap(snapshot, Display::default())
    }

    /// The serialised page: the default page is prepared once per snapshot and freshness
    /// state; other pages are cached until the next snapshot.
    pub async fn body(&self, current: &Arc<Current>, page: &PageRequest) -> Arc<PreparedBody> {
        let stale = self.is_stale(current);
        self.inner.pages.body(current, page, stale).await
    }

    /// Bytes the visitor-chosen pages hold now (pending evictions applied first), within
    /// [`crate::feed::pages::PAGE_CACHE_BYTES`].
    pub async fn page_cache_bytes(&self) -> u64 {
        self.inner.pages.cache_bytes().await
    }
}
