//! The serialised pages of one feed document: the default page, compressed once per
//! freshness state before anyone asks, and the pages visitors choose with `?limit=` /
//! `?after=`, cached until the next document. Each feed visitors read (`crate::feeds`) has
//! its own [`Pages`]; an account's own snapshot is a [`Current`] that is never serialised.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use moka::future::Cache;
use tokio::sync::OnceCell;

use super::display::Display;
use super::document::{self, PageRequest};
use super::domain::Snapshot;
use super::prepared::{PreparedBody, RenderSlots};
use super::syndication::Syndication;

/// Bytes of non-default pages kept ready per feed (every encoding counted). Visitors choose
/// these pages, so the bound is in bytes: a page of 100 posts weighs a hundred times one of 1.
pub const PAGE_CACHE_BYTES: u64 = 8 * 1024 * 1024;
/// Visitor-chosen pages built at once (each serialises and compresses on a blocking thread).
const CONCURRENT_PAGE_BUILDS: usize = 2;

/// A document with its serialised default page, prepared once per freshness state.
pub struct Current {
    /// The feed as served.
    pub snapshot: Snapshot,
    /// The look its owner chose, sent along so the widget can follow it.
    pub display: Display,
    generation: u64,
    fresh_body: OnceCell<Arc<PreparedBody>>,
    stale_body: OnceCell<Arc<PreparedBody>>,
    /// `/rss.xml` and `/jsonfeed.json`, each made once per document when first asked for.
    rss: OnceCell<Arc<PreparedBody>>,
    json_feed: OnceCell<Arc<PreparedBody>>,
}

impl Current {
    /// Whether the default page is already prepared in some freshness state: a document is
    /// only served once it is, so no visitor waits for the compression.
    pub fn default_page_ready(&self) -> bool {
        self.fresh_body.initialized() || self.stale_body.initialized()
    }

    /// Whether the default page that says `"stale": true` is prepared.
    pub fn stale_page_ready(&self) -> bool {
        self.stale_body.initialized()
    }

    /// A document not yet serialised.
    pub fn new(snapshot: Snapshot, display: Display) -> Arc<Self> {
        Arc::new(Self {
            snapshot,
            display,
            generation: GENERATION.fetch_add(1, Ordering::Relaxed),
            fresh_body: OnceCell::new(),
            stale_body: OnceCell::new(),
            rss: OnceCell::new(),
            json_feed: OnceCell::new(),
        })
    }

    /// Tells documents apart (unique in the process): a newer one has a larger number.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The default page in one freshness state, with the best compression (tens of
    /// milliseconds for brotli 11), computed once off the async workers; concurrent first
    /// callers wait for the one computation.
    pub async fn default_body(self: &Arc<Self>, stale: bool) -> Arc<PreparedBody> {
        let slot = if stale {
            &self.stale_body
        } else {
            &self.fresh_body
        };
        let prepare = || {
            let current = self.clone();
            async move {
                let prepared = tokio::task::spawn_blocking(move || {
                    PreparedBody::new(current.render(&PageRequest::default(), stale))
                })
                .await;
                Arc::new(prepared.unwrap_or_else(|_| PreparedBody::new(b"{}".to_vec())))
            }
        };
        slot.get_or_init(prepare).await.clone()
    }

    /// The document as `format` (RSS, JSON Feed) served at `feed_url`, made once per
    /// document off the async workers like the default page. A feed's URL does not change
    /// while its document lives, so the first caller's is every caller's.
    pub async fn syndicated(
        self: &Arc<Self>,
        format: Syndication,
        feed_url: String,
    ) -> Arc<PreparedBody> {
        let slot = match format {
            Syndication::Rss => &self.rss,
            Syndication::JsonFeed => &self.json_feed,
        };
        let prepare = || {
            let current = self.clone();
            async move {
                let prepared = tokio::task::spawn_blocking(move || {
                    PreparedBody::new(format.render(&current.snapshot, &feed_url))
                })
                .await;
                Arc::new(prepared.unwrap_or_else(|_| PreparedBody::new(Vec::new())))
            }
        };
        slot.get_or_init(prepare).await.clone()
    }

    fn render(&self, page: &PageRequest, stale: bool) -> Vec<u8> {
        document::render(&self.snapshot, &self.display, page, stale)
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PageKey {
    generation: u64,
    stale: bool,
    page: PageRequest,
}

/// Numbers documents across the process, so a cache keyed by one (`/embed`'s) never mixes
/// two feeds' documents up.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The documents of one feed and the pages visitors chose of them.
pub struct Pages {
    cache: Cache<PageKey, Arc<PreparedBody>>,
    builds: RenderSlots,
}

impl Default for Pages {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(PAGE_CACHE_BYTES)
                .weigher(|_, body: &Arc<PreparedBody>| body.weight())
                .build(),
            builds: RenderSlots::new(CONCURRENT_PAGE_BUILDS),
        }
    }
}

impl Pages {
    /// The serialised page: the default page is prepared once per document and freshness
    /// state; other pages are cached until the next document.
    pub async fn body(
        &self,
        current: &Arc<Current>,
        page: &PageRequest,
        stale: bool,
    ) -> Arc<PreparedBody> {
        if page.is_default() {
            return current.default_body(stale).await;
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
        let builds = &self.builds;
        self.cache
            .get_with(key, async move {
                let built = builds
                    .run(move || PreparedBody::new_fast(current.render(&page, stale)))
                    .await;
                Arc::new(built.unwrap_or_else(|| PreparedBody::new_fast(b"{}".to_vec())))
            })
            .await
    }

    /// Forgets every page chosen by visitors.
    pub fn clear(&self) {
        self.cache.invalidate_all();
    }

    /// Bytes the visitor-chosen pages hold now (pending evictions applied first), within
    /// [`PAGE_CACHE_BYTES`].
    pub async fn cache_bytes(&self) -> u64 {
        self.cache.run_pending_tasks().await;
        self.cache.weighted_size()
    }
}
