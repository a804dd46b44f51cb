//! The feed service: one snapshot in memory (a plain slot; pages a visitor asks for in moka)
//! and on disk, refreshed on a schedule or on
//! demand, never replaced by a failed fetch, and read by every visitor without an Instagram call.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use moka::future::Cache;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use super::document::{self, PageRequest};
use super::domain::Snapshot;
use super::mapping::map_feed;
use super::prepared::PreparedBody;
use crate::clock::SharedClock;
use crate::credentials::{CredentialStore, TokenState};
use crate::instagram::{ApiError, InstagramClient};
use crate::media::MediaLinks;
use crate::storage::StateDir;

mod media;

/// File holding the last good snapshot (disposable: rebuilt on the next refresh).
pub const SNAPSHOT_FILE: &str = "feed-snapshot.json";
/// Non-default pages kept ready; each is a few kilobytes.
const PAGE_CACHE_ENTRIES: u64 = 512;

/// Why no feed can be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// No Instagram account is connected.
    #[error("no Instagram account is connected yet")]
    NotConnected,
    /// The token is dead and nothing was fetched before it died.
    #[error("Instagram access was revoked or expired: {0}")]
    NeedsReconnect(String),
    /// Fetching failed and there is no earlier snapshot.
    #[error("the feed is not available yet: {0}")]
    Unavailable(String),
}

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
struct PageKey {
    generation: u64,
    stale: bool,
    page: PageRequest,
}

/// Settings the service needs.
#[derive(Debug, Clone, Copy)]
pub struct FeedConfig {
    /// Polling period; a snapshot older than twice this is stale.
    pub refresh_interval: Duration,
    /// Posts kept.
    pub max_posts: usize,
}

/// Keeps the feed; cheap to clone.
#[derive(Clone)]
pub struct FeedService {
    inner: Arc<Inner>,
}

struct Inner {
    instagram: InstagramClient,
    credentials: CredentialStore,
    dir: StateDir,
    clock: SharedClock,
    config: FeedConfig,
    /// Turns the snapshot's CDN URLs into igfeed's own `/media/…` links.
    links: MediaLinks,
    /// The snapshot served. One value read by every visitor: a plain slot, not a cache
    /// (moka would record every read for an eviction policy that has nothing to choose).
    current: RwLock<Option<Arc<Current>>>,
    pages: Cache<PageKey, Arc<PreparedBody>>,
    refresh_lock: tokio::sync::Mutex<()>,
    status: Mutex<RefreshStatus>,
    generation: std::sync::atomic::AtomicU64,
}

impl FeedService {
    /// Builds the service; call [`FeedService::load_stored`] before serving.
    pub fn new(
        instagram: InstagramClient,
        credentials: CredentialStore,
        dir: StateDir,
        clock: SharedClock,
        config: FeedConfig,
        links: MediaLinks,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                instagram,
                credentials,
                dir,
                clock,
                config,
                links,
                current: RwLock::new(None),
                pages: Cache::builder().max_capacity(PAGE_CACHE_ENTRIES).build(),
                refresh_lock: tokio::sync::Mutex::new(()),
                status: Mutex::new(RefreshStatus::default()),
                generation: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// Serves the snapshot an earlier run stored, so a restart shows the feed before
    /// Instagram answers. An unreadable snapshot is logged and ignored (it is disposable).
    pub async fn load_stored(&self) -> bool {
        let dir = self.inner.dir.clone();
        let read = tokio::task::spawn_blocking(move || dir.read::<Snapshot>(SNAPSHOT_FILE)).await;
        match read {
            Ok(Ok(Some(mut snapshot))) => {
                self.inner.links.restore(&mut snapshot);
                self.prepare_and_serve(self.wrap(snapshot)).await;
                true
            }
            Ok(Ok(None)) => false,
            Ok(Err(error)) => {
                tracing::warn!(%error, "ignoring the stored feed snapshot; the next refresh rebuilds it");
                false
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the stored feed snapshot");
                false
            }
        }
    }

    /// The feed to serve. On a cold cache, concurrent callers queue for one load (the first
    /// fetches, the rest find its result); after a failed load, visitors wait for the
    /// refresher instead of causing more Instagram calls.
    pub async fn current(&self) -> Result<Arc<Current>, FeedError> {
        if let Some(current) = self.peek() {
            return Ok(current);
        }
        let _guard = self.inner.refresh_lock.lock().await;
        if let Some(current) = self.peek() {
            return Ok(current);
        }
        if let Some(error) = self.recent_failure() {
            return Err(FeedError::Unavailable(error));
        }
        let current = self.fetch().await?;
        self.serve_fetched(&current).await;
        Ok(current)
    }

    /// Fetches now (schedule or owner's request); a failure leaves the snapshot in place.
    pub async fn refresh(&self) -> Result<Arc<Current>, FeedError> {
        let _guard = self.inner.refresh_lock.lock().await;
        self.update_status(|s| s.refreshes += 1);
        match self.fetch().await {
            Ok(current) => {
                self.serve_fetched(&current).await;
                Ok(current)
            }
            Err(error) => {
                self.prepare_served_page().await;
                Err(error)
            }
        }
    }

    /// After a failed refresh the served snapshot may have turned stale, which is another
    /// page (`"stale": true`): the refresher compresses it now, so that no visitor waits
    /// for brotli 11 when it is first asked for.
    async fn prepare_served_page(&self) {
        if let Some(current) = self.peek() {
            self.body(&current, &PageRequest::default()).await;
        }
    }

    /// Serves a snapshot just fetched, its default page prepared first. It is fresh by
    /// definition (`is_stale` would still see the failure before it, which
    /// `record_success` clears once it is served).
    async fn serve_fetched(&self, current: &Arc<Current>) {
        default_body(current, false).await;
        self.serve(current.clone());
        self.record_success(current);
    }

    /// Clears the failure only once the new snapshot is the one served, so `stale` never
    /// reads "fresh" next to the old snapshot.
    fn record_success(&self, current: &Current) {
        self.update_status(|s| {
            s.last_success = Some(current.snapshot.fetched_at);
            s.last_error = None;
            s.consecutive_failures = 0;
            s.retry_after = None;
        });
    }

    /// The latest failure, if it happened less than a refresh interval ago, or within the
    /// wait Instagram asked for after rate limiting (which may be longer).
    fn recent_failure(&self) -> Option<String> {
        let status = self.status();
        let error = status.last_error?;
        let last = status.last_attempt?;
        let age = self.inner.clock.now() - last;
        let quiet = status
            .retry_after
            .unwrap_or_default()
            .max(self.inner.config.refresh_interval);
        (age < delta(quiet)).then_some(error)
    }

    /// The stored credentials, if they may still be used to call Instagram.
    fn active_credentials(&self) -> Result<crate::credentials::Credentials, FeedError> {
        let credentials = self
            .inner
            .credentials
            .current()
            .ok_or(FeedError::NotConnected)?;
        if !credentials.is_active() {
            return Err(FeedError::NeedsReconnect(
                "Instagram access needs to be renewed".into(),
            ));
        }
        Ok(credentials)
    }

    async fn fetch(&self) -> Result<Arc<Current>, FeedError> {
        let credentials = self.active_credentials()?;
        let started = self.inner.clock.now();
        self.update_status(|s| s.last_attempt = Some(started));
        let token = &credentials.access_token;
        let client = &self.inner.instagram;
        let fetched = async {
            let profile = client.profile(token).await?;
            let media = client.media(token, self.inner.config.max_posts).await?;
            Ok::<_, ApiError>((profile, media))
        }
        .await;
        match fetched {
            Ok((profile, media)) => {
                let snapshot = self
                    .inner
                    .links
                    .snapshot(map_feed(profile, media), self.inner.clock.now());
                self.persist(&snapshot).await;
                tracing::info!(posts = snapshot.feed.posts.len(), "feed refreshed");
                let current = self.wrap(snapshot);
                // Ready bytes before the first visitor asks.
                self.body(&current, &PageRequest::default()).await;
                Ok(current)
            }
            Err(error) => Err(self.record_failure(error, token).await),
        }
    }

    async fn record_failure(&self, error: ApiError, token: &SecretString) -> FeedError {
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
        if matches!(
            error,
            ApiError::TokenInvalid { .. } | ApiError::PermissionMissing { .. }
        ) {
            mark_needs_reconnect(
                &self.inner.credentials,
                token,
                &message,
                self.inner.clock.now(),
            )
            .await;
            return FeedError::NeedsReconnect(message);
        }
        FeedError::Unavailable(message)
    }

    async fn persist(&self, snapshot: &Snapshot) {
        let dir = self.inner.dir.clone();
        let copy = snapshot.clone();
        let written = tokio::task::spawn_blocking(move || dir.write(SNAPSHOT_FILE, &copy)).await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "could not store the feed snapshot"),
            Err(error) => tracing::error!(%error, "could not store the feed snapshot"),
        }
    }

    fn wrap(&self, snapshot: Snapshot) -> Arc<Current> {
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
        failed_since || age > delta(self.inner.config.refresh_interval) * 2
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
        // Visitors choose these parameters, so they get cheap compression: a caller cycling
        // through them must not be able to keep the CPU busy.
        self.inner
            .pages
            .get_with(key, async move {
                Arc::new(PreparedBody::new_fast(document::render(
                    &current.snapshot,
                    &page,
                    stale,
                )))
            })
            .await
    }

    /// What the latest refresh did.
    pub fn status(&self) -> RefreshStatus {
        self.inner
            .status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// The snapshot now served, if any (no Instagram call).
    pub fn peek(&self) -> Option<Arc<Current>> {
        self.slot().clone()
    }

    /// Prepares the default page of `current` as it will be served, then serves it: no
    /// visitor waits for the compression.
    async fn prepare_and_serve(&self, current: Arc<Current>) {
        self.body(&current, &PageRequest::default()).await;
        self.serve(current);
    }

    /// Makes `current` the snapshot visitors get; see [`FeedService::prepare_and_serve`].
    fn serve(&self, current: Arc<Current>) {
        *self.slot_mut() = Some(current);
    }

    // A panic while holding the slot cannot leave it half-written (it holds one `Option`),
    // so a poisoned lock is still good to use.
    fn slot(&self) -> std::sync::RwLockReadGuard<'_, Option<Arc<Current>>> {
        self.inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn slot_mut(&self) -> std::sync::RwLockWriteGuard<'_, Option<Arc<Current>>> {
        self.inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets every copy of the feed: memory, prepared pages, the file on disk.
    pub async fn purge(&self) -> Result<(), crate::storage::StorageError> {
        let _guard = self.inner.refresh_lock.lock().await;
        *self.slot_mut() = None;
        self.inner.pages.invalidate_all();
        self.update_status(|s| {
            *s = RefreshStatus {
                refreshes: s.refreshes,
                ..RefreshStatus::default()
            }
        });
        let dir = self.inner.dir.clone();
        tokio::task::spawn_blocking(move || dir.remove(SNAPSHOT_FILE))
            .await
            .map_err(|e| crate::storage::StorageError::Io {
                path: SNAPSHOT_FILE.into(),
                source: std::io::Error::other(e),
            })?
    }

    fn update_status(&self, f: impl FnOnce(&mut RefreshStatus)) {
        if let Ok(mut status) = self.inner.status.lock() {
            f(&mut status);
        }
    }
}

/// The default page of `current` in one freshness state, with the best compression (tens of
/// milliseconds for brotli 11), computed once off the async workers; concurrent first
/// callers wait for the one computation.
async fn default_body(current: &Arc<Current>, stale: bool) -> Arc<PreparedBody> {
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

/// Records that only a new authorization can help, so no one calls Instagram with this token
/// again; the reason is kept for the owner. Only if `failed` is still the stored token: the
/// owner may have reconnected (or disconnected) while the failing call was in flight.
pub(crate) async fn mark_needs_reconnect(
    credentials: &CredentialStore,
    failed: &SecretString,
    reason: &str,
    now: DateTime<Utc>,
) {
    let store = credentials.clone();
    let reason = reason.to_owned();
    let failed = failed.clone();
    let result = tokio::task::spawn_blocking(move || {
        store.update(|c| {
            if c.access_token.expose_secret() == failed.expose_secret() {
                c.state = TokenState::NeedsReconnect { reason, since: now };
            }
        })
    })
    .await;
    match result {
        Ok(Ok(_)) => tracing::warn!("Instagram access must be renewed: the owner has to reconnect"),
        Ok(Err(error)) => tracing::error!(%error, "could not record that the token is dead"),
        Err(error) => tracing::error!(%error, "could not record that the token is dead"),
    }
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}
