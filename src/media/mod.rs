//! Images from igfeed's own origin: downloaded once from Instagram's CDN, resized, cached in
//! memory and on disk, and served long-cached — so visitors never contact Instagram and CDN
//! URLs expiring after a few days never break a site.
//!
//! ```text
//! visitor ─► /media/{post}/{size} ─► memory (moka, bytes budget) ─► disk (LRU budget)
//!                                      └─ miss: one download per image (single flight),
//!                                         every width derived from it; a failure is
//!                                         answered from memory for a short while
//! visitor ─► /media/{post}/{size}.avif ─► the same caches; the JPEG stands in until made
//! visitor ─► /media/{post}/video ─► CDN stream (capped in number and in time)
//! refresher ─► prefetch new posts ─► renew expired URLs via the Graph API ─► republish links
//! after every JPEG render ─► AVIF of every width in the background (bounded, one core
//!                            each), then the feed lists it in `sources` ([`modern`])
//! ```
//! Visitors never cause a Graph call: an expired URL is queued for the refresher
//! ([`heal`]), which renews each media at most once per refresh interval.

mod disk;
pub mod encode;
mod error;
mod failures;
mod fetch;
mod heal;
pub mod key;
pub mod links;
mod load;
mod maintain;
mod modern;
mod render;
mod rendition;
mod video;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use actix_web::web::Bytes;
use chrono::TimeDelta;
use tokio::sync::{Notify, Semaphore};

pub use error::MediaError;
pub use fetch::{Cdn, FetchError};
pub use links::MediaLinks;
pub use render::{RenderParams, render, render_complete};
pub use rendition::{Encoded, Rendition, scaled};
pub use video::VideoStream;

use crate::clock::SharedClock;
use crate::config::Settings;
use crate::feed::FeedService;
use disk::DiskCache;
use failures::RecentFailures;
use heal::HealQueue;
use video::VideoLimits;

/// The media cache directory in each account's directory (resized copies of its images).
pub const MEDIA_DIR: &str = "media";
/// Downloads and resizes running at once, whatever the traffic: each holds an original and
/// its decoded pixels (tens of megabytes).
const MAX_WORK: usize = 4;

/// The cached rendition of `target` in an account's media directory `dir` (every width and
/// format made so far, however old its settings), read without touching the running
/// service's recency; `None` when missing or damaged. For readers such as `igfeed export`.
pub fn cached(dir: &std::path::Path, target: &key::Target) -> Option<Rendition> {
    disk::read_file(dir, &target.key()).and_then(Rendition::from_file)
}

/// An image ready to send.
#[derive(Debug, Clone)]
pub struct Served {
    /// The file.
    pub bytes: Bytes,
    /// Its format (`Content-Type`).
    pub format: encode::Format,
    /// The JPEG answering for a format not made yet: cached briefly, so the real file
    /// replaces it.
    pub stand_in: bool,
    /// Strong ETag: content version and width.
    pub etag: String,
    /// Whether the request named the current content version (long, immutable caching).
    pub immutable: bool,
}

/// What every account's media service shares, so the process-wide limits hold however many
/// accounts are connected: the CDN client, the downloads and resizes running at once, and
/// the video streams open at once. Cheap to clone.
#[derive(Clone)]
pub struct MediaPools {
    cdn: Cdn,
    work: Arc<Semaphore>,
    /// AVIF encodes at once (`media.encode_concurrency`): each holds a core for a second.
    encode: Arc<Semaphore>,
    video_streams: Arc<Semaphore>,
}

impl MediaPools {
    /// The pools for these settings.
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let media = &settings.media;
        Ok(Self {
            cdn: Cdn::from_settings(settings)?,
            work: Arc::new(Semaphore::new(MAX_WORK)),
            encode: Arc::new(Semaphore::new(media.encode_concurrency)),
            video_streams: Arc::new(Semaphore::new(media.max_video_streams)),
        })
    }
}

/// Serves and caches one account's media; cheap to clone.
#[derive(Clone)]
pub struct MediaService {
    inner: Arc<Inner>,
}

struct Inner {
    links: MediaLinks,
    feed: FeedService,
    cdn: Cdn,
    disk: Arc<DiskCache>,
    memory: moka::future::Cache<String, Arc<Rendition>>,
    params: RenderParams,
    clock: SharedClock,
    heal: HealQueue,
    /// Wakes the refresher: renewals are pending or the feed's links changed.
    wake: Notify,
    /// Fired after every renewal round, for visitors waiting on one.
    healed: Notify,
    dirty: AtomicBool,
    /// Bumped by [`MediaService::purge`], so work in flight does not store anything after.
    epoch: AtomicU64,
    work: Arc<Semaphore>,
    encode: Arc<Semaphore>,
    /// Keys whose other formats are being made, so each is made once at a time.
    encoding: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Downloaded originals waiting for an encoder (bounded in modern.rs).
    waiting_originals: std::sync::atomic::AtomicUsize,
    prefetch_concurrency: usize,
    proxy_video: bool,
    video: VideoLimits,
    /// CDN URLs that answered "expired", so visitors do not retry them until renewed.
    dead: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Originals that failed otherwise, answered from memory for a short while.
    failures: RecentFailures,
}

impl MediaService {
    /// Builds an account's service on its cache directory `dir` and indexes the disk cache
    /// an earlier run left (whose sizes are published in the feed right away). Memory and
    /// disk budgets are the account's own; `pools` are shared by all accounts.
    pub async fn open(
        settings: &Settings,
        pools: &MediaPools,
        dir: std::path::PathBuf,
        links: MediaLinks,
        feed: FeedService,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let media = &settings.media;
        let budget = media.disk_budget;
        let (disk, headers) =
            tokio::task::spawn_blocking(move || DiskCache::open(dir, budget)).await?;
        // Files made under other `media.sizes` are published too: their widths are served
        // and the missing ones made at fetch-ahead.
        for (key, header) in headers {
            let known = links::Known {
                formats: header.formats(),
                sizes: header.sizes,
                source_tag: header.source_tag,
                version: header.version,
                width: header.width,
                height: header.height,
                color: header.color,
            };
            links.remember(key, known);
        }
        let interval =
            TimeDelta::from_std(settings.feed.refresh_interval).unwrap_or(TimeDelta::MAX);
        let memory = moka::future::Cache::builder()
            .max_capacity(media.memory_budget)
            .weigher(|_: &String, r: &Arc<Rendition>| r.weight())
            .build();
        Ok(Self {
            inner: Arc::new(Inner {
                links,
                feed,
                cdn: pools.cdn.clone(),
                disk: Arc::new(disk),
                memory,
                params: RenderParams::new(media),
                clock,
                heal: HealQueue::new(interval),
                wake: Notify::new(),
                healed: Notify::new(),
                dirty: AtomicBool::new(false),
                epoch: AtomicU64::new(0),
                work: pools.work.clone(),
                encode: pools.encode.clone(),
                encoding: Default::default(),
                waiting_originals: Default::default(),
                prefetch_concurrency: media.prefetch_concurrency,
                proxy_video: media.proxy_video,
                video: VideoLimits {
                    streams: pools.video_streams.clone(),
                    deadline: media.video_stream_timeout,
                    first_byte: media.download_timeout,
                },
                dead: Default::default(),
                failures: RecentFailures::default(),
            }),
        })
    }

    /// Resolves when the refresher has media work: renewals or new links to publish.
    pub async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    /// Forgets every cached image, in memory and on disk (disconnect, data deletion).
    pub async fn purge(&self) {
        let inner = &self.inner;
        inner.epoch.fetch_add(1, Ordering::SeqCst);
        inner.memory.invalidate_all();
        inner.links.retain(None);
        inner.heal.clear();
        if let Ok(mut dead) = inner.dead.lock() {
            dead.clear();
        }
        inner.failures.clear();
        if let Ok(mut encoding) = inner.encoding.lock() {
            encoding.clear();
        }
        let disk = inner.disk.clone();
        if let Err(error) = tokio::task::spawn_blocking(move || disk.clear()).await {
            tracing::error!(%error, "could not clear the media cache on disk");
        }
        inner.memory.run_pending_tasks().await;
    }

    /// Bytes of images held in memory now (pending evictions applied first).
    pub async fn memory_bytes(&self) -> u64 {
        self.inner.memory.run_pending_tasks().await;
        self.inner.memory.weighted_size()
    }

    /// Bytes of images on disk now.
    pub fn disk_bytes(&self) -> u64 {
        self.inner.disk.total()
    }

    /// Whether `target` is an image of this account's feed now (which account a `/media/…`
    /// request is for: post ids are unique across Instagram).
    pub fn holds(&self, target: &key::Target) -> bool {
        self.inner
            .feed
            .peek()
            .is_some_and(|current| load::resolve(&current.snapshot, target).is_some())
    }

    fn epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::SeqCst)
    }
}
