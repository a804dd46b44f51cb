//! The feed service: one account's snapshot in memory (a plain slot) and on disk, refreshed
//! on a schedule or on demand, never replaced by a failed fetch. The feeds visitors read are
//! built from it (`crate::feeds`), so no visitor causes an Instagram call.
//!
//! - here: the slot, loading (stored, cold, scheduled) and forgetting;
//! - [`status`]: what the latest refresh did and what follows from it (`stale`, reconnect);
//! - [`media`]: republishing image links and renewing expired CDN URLs.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};

use super::display::Display;
use super::domain::{Feed, Snapshot};
use crate::clock::SharedClock;
use crate::credentials::CredentialStore;
use crate::instagram::{ApiError, InstagramClient};
use crate::storage::StateDir;

mod media;
mod status;

pub use super::pages::{Current, PAGE_CACHE_BYTES};
pub use status::RefreshStatus;

/// Turns a snapshot's CDN URLs into the image links visitors get. The media layer implements
/// it with igfeed's own `/media/…` URLs; the feed reaches media only through this trait, so
/// that media can build on the feed's types without the two depending on each other.
pub trait ImageLinks: Send + Sync {
    /// A snapshot of a freshly mapped feed, with the CDN URLs moved out of its public fields.
    fn snapshot(&self, feed: Feed, fetched_at: DateTime<Utc>) -> Snapshot;
    /// Readies a snapshot read from disk (older ones still hold CDN URLs in public fields).
    fn restore(&self, snapshot: &mut Snapshot);
    /// Rewrites every public image link of `snapshot` from what is known now.
    fn apply(&self, snapshot: &mut Snapshot);
}

/// File holding the last good snapshot (disposable: rebuilt on the next refresh).
pub const SNAPSHOT_FILE: &str = "feed-snapshot.json";
/// Longest a visitor waits for a load in progress before hearing 503 (proxies in front of
/// igfeed commonly give up after 30 to 60 seconds).
const COLD_WAIT: Duration = Duration::from_secs(20);

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
    links: Arc<dyn ImageLinks>,
    /// The snapshot served. One value read by every visitor: a plain slot, not a cache
    /// (moka would record every read for an eviction policy that has nothing to choose).
    current: RwLock<Option<Arc<Current>>>,
    refresh_lock: tokio::sync::Mutex<()>,
    /// Counts finished refresh attempts (and purges), so visitors waiting on a cold cache
    /// wake when there is news.
    settled: tokio::sync::watch::Sender<u64>,
    status: Mutex<RefreshStatus>,
}

impl FeedService {
    /// Builds the service; call [`FeedService::load_stored`] before serving.
    pub fn new(
        instagram: InstagramClient,
        credentials: CredentialStore,
        dir: StateDir,
        clock: SharedClock,
        config: FeedConfig,
        links: impl ImageLinks + 'static,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                instagram,
                credentials,
                dir,
                clock,
                config,
                links: Arc::new(links),
                current: RwLock::new(None),
                refresh_lock: tokio::sync::Mutex::new(()),
                settled: tokio::sync::watch::channel(0).0,
                status: Mutex::new(RefreshStatus::default()),
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
                self.serve(self.wrap(snapshot));
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

    /// Serves the snapshot another replica stored (the lease holder refreshed, or renewed
    /// CDN URLs), when it differs from the one served; wakes the visitors waiting for a
    /// first load and the feeds built on it. Returns whether it served a new one.
    pub async fn follow_stored(&self) -> bool {
        let dir = self.inner.dir.clone();
        let read = tokio::task::spawn_blocking(move || dir.read::<Snapshot>(SNAPSHOT_FILE)).await;
        let mut snapshot = match read {
            Ok(Ok(Some(snapshot))) => snapshot,
            Ok(Ok(None)) => return false,
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not read the snapshot another replica stored");
                return false;
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the snapshot another replica stored");
                return false;
            }
        };
        let _guard = self.lock_loads().await;
        // Never back in time: a snapshot older than the one served (this replica's own,
        // when its write failed) stays unserved; the same one with renewed image URLs is new.
        let stale = self.peek().is_some_and(|current| {
            current.snapshot.fetched_at > snapshot.fetched_at
                || (current.snapshot.fetched_at == snapshot.fetched_at
                    && current.snapshot.sources == snapshot.sources)
        });
        if stale {
            return false;
        }
        self.inner.links.restore(&mut snapshot);
        self.serve(self.wrap(snapshot));
        true
    }

    /// Lets go of the snapshot served and the refresher's status, in memory only: another
    /// replica disconnected the account and removes its records itself.
    pub fn forget(&self) {
        *self.slot_mut() = None;
        self.update_status(|s| {
            *s = RefreshStatus {
                refreshes: s.refreshes,
                ..RefreshStatus::default()
            }
        });
        self.settle();
    }

    /// The feed to serve. Visitors never call Instagram, so the calls igfeed makes depend on
    /// time, never on traffic: on a cold cache (right after a start, a connect or an import,
    /// when the refresher loads at once) they wait for that load, up to [`COLD_WAIT`]; when
    /// the last load failed and none is running, they hear why at once. (While a configured
    /// token is being imported at start-up, visitors wait for the account in
    /// `crate::accounts`, then here.)
    pub async fn current(&self) -> Result<Arc<Current>, FeedError> {
        let mut settled = self.inner.settled.subscribe();
        let deadline = tokio::time::Instant::now() + COLD_WAIT;
        loop {
            if let Some(current) = self.peek() {
                return Ok(current);
            }
            self.active_credentials()?;
            self.fail_fast()?;
            let news = tokio::time::timeout_at(deadline, settled.changed()).await;
            if !matches!(news, Ok(Ok(()))) {
                return Err(FeedError::Unavailable(
                    "the first fetch from Instagram has not finished yet".into(),
                ));
            }
        }
    }

    /// On a cold cache: the reason the last load failed, when no load is running to wait for.
    fn fail_fast(&self) -> Result<(), FeedError> {
        let loading = self.inner.refresh_lock.try_lock().is_err();
        if !loading && let Some(error) = self.status().last_error {
            return Err(FeedError::Unavailable(error));
        }
        Ok(())
    }

    /// A receiver that sees every finished load, purge or renewal of the snapshot.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.settled.subscribe()
    }

    /// Wakes visitors waiting in [`FeedService::current`].
    fn settle(&self) {
        self.inner.settled.send_modify(|count| *count += 1);
    }

    /// Fetches now (schedule or owner's request); a failure leaves the snapshot in place.
    pub async fn refresh(&self) -> Result<Arc<Current>, FeedError> {
        let _guard = self.lock_loads().await;
        self.update_status(|s| s.refreshes += 1);
        match self.fetch().await {
            Ok(current) => {
                self.serve_fetched(&current).await;
                Ok(current)
            }
            Err(error) => Err(error),
        }
    }

    /// Takes the lock under which the snapshot changes (one load, purge or renewal at a time).
    async fn lock_loads(&self) -> LoadGuard<'_> {
        LoadGuard {
            lock: Some(self.inner.refresh_lock.lock().await),
            service: self,
        }
    }

    /// Serves a snapshot just fetched. It is fresh by definition (`is_stale` would still see
    /// the failure before it, which `record_success` clears once it is served). The feeds
    /// built from it are rebuilt by `crate::feeds` (each compressed before it is served).
    async fn serve_fetched(&self, current: &Arc<Current>) {
        self.serve(current.clone());
        self.record_success(current);
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
        // A token refresh in flight finishes first, so this fetch uses the token it stores.
        let store = self.inner.credentials.clone();
        let _calls = store.lock_calls().await;
        let mut credentials = self.active_credentials()?;
        let started = self.inner.clock.now();
        self.update_status(|s| s.last_attempt = Some(started));
        let mut fetched = self.fetch_with(&credentials.access_token).await;
        // A token refresh or a reconnect that landed meanwhile retires the token this fetch
        // used: its rejection says nothing about the account, so fetch again with the new one.
        if fetched.as_ref().is_err_and(ApiError::rejects_token)
            && self.token_replaced(&credentials.access_token)
        {
            tracing::info!(
                "the token was replaced during the fetch; fetching again with the new one"
            );
            credentials = self.active_credentials()?;
            fetched = self.fetch_with(&credentials.access_token).await;
        }
        let token = &credentials.access_token;
        match fetched {
            Ok(snapshot) => {
                self.persist(&snapshot).await;
                tracing::info!(posts = snapshot.feed.posts.len(), "feed refreshed");
                Ok(self.wrap(snapshot))
            }
            Err(error) => Err(self.record_failure(error, token).await),
        }
    }

    async fn fetch_with(&self, token: &SecretString) -> Result<Snapshot, ApiError> {
        super::fetch_snapshot(
            &self.inner.instagram,
            token,
            self.inner.config.max_posts,
            self.inner.links.as_ref(),
            &self.inner.clock,
        )
        .await
    }

    /// Whether `used` is no longer the stored token (refreshed, reconnected or disconnected
    /// since a call with it started).
    fn token_replaced(&self, used: &SecretString) -> bool {
        self.inner
            .credentials
            .current()
            .is_none_or(|c| c.access_token.expose_secret() != used.expose_secret())
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
        Current::new(snapshot, Display::default())
    }

    /// The snapshot now served, if any (no Instagram call).
    pub fn peek(&self) -> Option<Arc<Current>> {
        self.slot().clone()
    }

    /// Makes `current` the snapshot the account's feeds are built from.
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
        let _guard = self.lock_loads().await;
        *self.slot_mut() = None;
        self.update_status(|s| {
            *s = RefreshStatus {
                refreshes: s.refreshes,
                ..RefreshStatus::default()
            }
        });
        let dir = self.inner.dir.clone();
        crate::storage::run_blocking(SNAPSHOT_FILE, move || dir.remove(SNAPSHOT_FILE)).await
    }
}

/// The load lock, held while the snapshot may change. Letting go of it — also when its holder
/// is cancelled, say an owner closing the tab during "refresh now" — wakes the visitors
/// waiting on a cold cache, so none of them waits out [`COLD_WAIT`] for nothing.
struct LoadGuard<'a> {
    lock: Option<tokio::sync::MutexGuard<'a, ()>>,
    service: &'a FeedService,
}

impl Drop for LoadGuard<'_> {
    fn drop(&mut self) {
        // Unlocked first: a woken visitor that still saw the lock held would wait again.
        drop(self.lock.take());
        self.service.settle();
    }
}
