//! The refresher's media chores: renew expired URLs, fetch new posts' images ahead of
//! visitors, drop images of posts that left the feed, and republish the feed's links.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use futures_util::StreamExt as _;

use super::MediaService;
use super::key::Target;
use super::links::source_tag;
use super::load::{Resolved, resolve};
use crate::feed::FeedService;
use crate::feed::domain::Snapshot;

impl MediaService {
    /// After a wake-up: renewals first (visitors may be waiting), then new links.
    pub async fn maintain(&self, feed: &FeedService) {
        self.renew(feed).await;
        self.republish_if_dirty(feed).await;
    }

    /// On a replica without the refresher lease: takes the CDN URL renewals its visitors
    /// are waiting for, to hand them to the lease holder (who alone calls Instagram). The
    /// visitors wait on until [`MediaService::renewed_elsewhere`].
    pub fn take_renewals(&self) -> Vec<String> {
        self.inner.heal.take(self.inner.clock.now())
    }

    /// On the lease holder: queues renewals another replica's visitors need (`ids`), for
    /// the refresher's next media chores (woken now).
    pub fn renew_for_another(&self, ids: &[String]) {
        for id in ids {
            self.queue_heal(id);
        }
    }

    /// A snapshot the lease holder renewed is served here: the visitors waiting for a
    /// renewal look again, and URLs found dead before are tried afresh.
    pub fn renewed_elsewhere(&self) {
        self.inner.heal.finished();
        if let Ok(mut dead) = self.inner.dead.lock() {
            dead.clear();
        }
        self.inner.healed.notify_waiters();
    }

    /// After a successful refresh: renewals, then the images of new posts, then pruning.
    pub async fn after_refresh(&self, feed: &FeedService) {
        self.renew(feed).await;
        if let Some(current) = feed.peek() {
            self.prefetch(&current.snapshot).await;
            self.prune(&current.snapshot).await;
        }
        self.republish_if_dirty(feed).await;
    }

    /// Asks the Graph API for new URLs of every queued media (the only Graph calls media
    /// work causes; each id at most once per refresh interval).
    async fn renew(&self, feed: &FeedService) {
        let ids = self.inner.heal.take(self.inner.clock.now());
        if ids.is_empty() {
            return;
        }
        match feed.renew_media(&ids).await {
            Ok(renewed) => tracing::info!(queued = ids.len(), renewed, "renewed expired CDN URLs"),
            Err(error) => tracing::warn!(%error, "could not renew expired CDN URLs"),
        }
        self.inner.heal.finished();
        self.inner.healed.notify_waiters();
    }

    async fn republish_if_dirty(&self, feed: &FeedService) {
        if self.inner.dirty.swap(false, Ordering::SeqCst) {
            feed.republish().await;
        }
    }

    /// Downloads every image of the snapshot not rendered yet (or lacking a format or
    /// width), a few at a time, while the URLs are fresh.
    async fn prefetch(&self, snapshot: &Snapshot) {
        let concurrency = self.inner.prefetch_concurrency;
        if concurrency == 0 {
            return;
        }
        let links = &self.inner.links;
        let formats = &self.inner.params.formats;
        let missing: Vec<Resolved> = targets(snapshot)
            .filter_map(|t| resolve(snapshot, &t))
            .filter(|r| {
                r.image.as_deref().is_some_and(|src| {
                    let tag = source_tag(src);
                    // The profile picture is JPEG only.
                    let wanted = if r.check_tag { &[][..] } else { formats };
                    !links.knows(&r.key, r.check_tag.then_some(tag.as_str()), wanted)
                })
            })
            .collect();
        if missing.is_empty() {
            return;
        }
        let total = missing.len();
        let loaded = futures_util::stream::iter(missing)
            .map(|r| async move {
                let Ok(rendition) = self.rendition(&r).await else {
                    return false;
                };
                // Cached before AVIF or under other `media.sizes` (an upgrade, a new
                // setting): completed in the background from the original downloaded again,
                // so what is cached is published now and the refresher is free for renewals.
                // A fresh download's job runs already.
                if self.lacks(&r, &rendition) {
                    self.complete_later(&r);
                }
                true
            })
            .buffer_unordered(concurrency)
            .filter(|ok| std::future::ready(*ok))
            .count()
            .await;
        tracing::info!(total, loaded, "fetched new images ahead of visitors");
    }

    /// Forgets images (memory, disk, links) and dead URLs that the snapshot no longer names.
    async fn prune(&self, snapshot: &Snapshot) {
        let keep: HashSet<String> = targets(snapshot).map(|t| t.key()).collect();
        let inner = &self.inner;
        inner.links.retain(Some(&|key: &str| keep.contains(key)));
        let stale: Vec<String> = inner
            .memory
            .iter()
            .map(|(key, _)| key.as_ref().clone())
            .filter(|key| !keep.contains(key))
            .collect();
        for key in stale {
            inner.memory.invalidate(&key).await;
        }
        let disk = inner.disk.clone();
        let removed = tokio::task::spawn_blocking(move || disk.retain(|key| keep.contains(key)))
            .await
            .unwrap_or(0);
        if removed > 0 {
            tracing::info!(removed, "removed cached images of posts that left the feed");
        }
        let live: HashSet<&str> = snapshot
            .sources
            .items
            .values()
            .flat_map(|s| [s.image.as_deref(), s.video.as_deref()])
            .chain([snapshot.sources.profile_picture.as_deref()])
            .flatten()
            .collect();
        if let Ok(mut dead) = inner.dead.lock() {
            dead.retain(|url| live.contains(url.as_str()));
        }
    }
}

/// Every image target of a snapshot: the profile picture and each post's items.
fn targets(snapshot: &Snapshot) -> impl Iterator<Item = Target> + '_ {
    let items = snapshot.feed.posts.iter().flat_map(|post| {
        (0..post.media.len().min(super::key::MAX_ITEMS)).map(move |index| Target::Item {
            post: post.id.clone(),
            index,
        })
    });
    std::iter::once(Target::Profile).chain(items)
}
