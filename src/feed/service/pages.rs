//! The serialised pages of a snapshot: the default page, compressed once per freshness state
//! before anyone asks, and the pages visitors choose with `?limit=` / `?after=`, cached until
//! the next snapshot.

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::FeedService;
use crate::feed::document::{self, PageRequest};
use crate::feed::domain::Snapshot;
use crate::feed::prepared::PreparedBody;

/// A snapshot with its serialised default page, prepared once per freshness state.
pub struct Current {
    /// The feed as fetched.
    pub snapshot: Snapshot,
    generation: u64,
    fresh_body: OnceCell<Arc<PreparedBody>>,
    stale_body: OnceCell<Arc<PreparedBody>>,
}

impl Current {
    /// Whether the default page is already prepared in some freshness state: a snapshot is
    /// only served once it is, so no visitor waits for the compression.
    pub fn default_page_ready(&self) -> bool {
        self.fresh_body.initialized() || self.stale_body.initialized()
    }

    /// Whether the default page that says `"stale": true` is prepared.
    pub fn stale_page_ready(&self) -> bool {
        self.stale_body.initialized()
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct PageKey {
    generation: u64,
    stale: bool,
    page: PageRequest,
}

/// The default page of `current` in one freshness state, with the best compression (tens of
/// milliseconds for brotli 11), computed once off the async workers; concurrent first
/// callers wait for the one computation.
pub(super) async fn default_body(current: &Arc<Current>, stale: bool) -> Arc<PreparedBody> {
    let slot = if stale {
        &current.stale_body
    } else {
        &current.fresh_body
    };
    let prepare = || {
        let current = current.clone();
        async move {
            let prepared = tokio::task::spawn_blocking(move || {
                let page = PageRequest::default();
                PreparedBody::new(document::render(&current.snapshot, &page, stale))
            })
            .await;
            Arc::new(prepared.unwrap_or_else(|_| PreparedBody::new(b"{}".to_vec())))
        }
    };
    slot.get_or_init(prepare).await.clone()
}

impl FeedService {
    pub(super) fn wrap(&self, snapshot: Snapshot) -> Arc<Current> {
        let generation = self
            .inner
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Arc::new(Current {
            snapshot,
            generation,
            fresh_body: OnceCell::new(),
            stale_body: OnceCell::new(),
        })
    }

    /// The serialised page: the default page is prepared once per snapshot and freshness
    /// state; other pages are cached until the next snapshot.
    pub async fn body(&self, current: &Arc<Current>, page: &PageRequest) -> Arc<PreparedBody> {
        let stale = self.is_stale(current);
        if page.is_default() {
            return default_body(current, stale).await;
        }
        let key = PageKey {
            generation: current.generation,
            stale,
            page: page.clone(),
        };
        let current = current.clone();
        let page = page.clone();
        // Visitors choose these parameters, so they get cheap compression, built a few at a
        // time off the async workers: a caller cycling through them must not be able to keep
        // the CPU busy or hold up other visitors' cache hits.
        let builds = &self.inner.page_builds;
        self.inner
            .pages
            .get_with(key, async move {
                let built = builds
                    .run(move || {
                        PreparedBody::new_fast(document::render(&current.snapshot, &page, stale))
                    })
                    .await;
                Arc::new(built.unwrap_or_else(|| PreparedBody::new_fast(b"{}".to_vec())))
            })
            .await
    }

    /// Bytes the visitor-chosen pages hold now (pending evictions applied first), within
    /// [`super::PAGE_CACHE_BYTES`].
    pub async fn page_cache_bytes(&self) -> u64 {
        self.inner.pages.run_pending_tasks().await;
        self.inner.pages.weighted_size()
    }
}
