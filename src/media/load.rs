//! Answering one request: resolve the target in the current snapshot, then memory, disk, or
//! one download shared by every concurrent request for the same image.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::encode::Format;
use super::fetch::FetchError;
use super::heal::PROFILE;
use super::key::Target;
use super::links::{Known, source_tag};
use super::{MediaError, MediaService, Rendition, Served};
use crate::feed::domain::Snapshot;

/// How long a visitor's request waits for the refresher to renew an expired URL before it
/// is answered 503: long enough for one Graph call, short enough for an `<img>`.
const HEAL_WAIT: Duration = Duration::from_secs(8);

/// Where one target's files are, per the current snapshot.
#[derive(Debug, Clone)]
pub(super) struct Resolved {
    /// Cache key.
    pub key: String,
    /// Id the refresher renews (`profile` or a media id).
    pub heal_id: String,
    /// CDN URL of the image.
    pub image: Option<String>,
    /// CDN URL of the video.
    pub video: Option<String>,
    /// The profile picture changes under one key, so its source must match.
    pub check_tag: bool,
}

/// Finds `target` in `snapshot`; `None` when it is not part of the feed.
pub(super) fn resolve(snapshot: &Snapshot, target: &Target) -> Option<Resolved> {
    let sources = &snapshot.sources;
    match target {
        Target::Profile => Some(Resolved {
            key: target.key(),
            heal_id: PROFILE.to_owned(),
            image: sources.profile_picture.clone(),
            video: None,
            check_tag: true,
        }),
        Target::Item { post, index } => {
            let post = snapshot.feed.posts.iter().find(|p| &p.id == post)?;
            let item = post.media.get(*index)?;
            let src = sources.items.get(&item.id)?;
            Some(Resolved {
                key: target.key(),
                heal_id: item.id.clone(),
                image: src.image.clone(),
                video: src.video.clone(),
                check_tag: false,
            })
        }
    }
}

impl MediaService {
    /// The image `target` at configured width `size` in `format`; `version` is the request's
    /// `?v=`. A format or width not made yet is answered with the nearest file made (never a
    /// wait, never a broken `<picture>`), and is made in the background.
    pub async fn image(
        &self,
        target: &Target,
        size: u32,
        format: Format,
        version: Option<&str>,
    ) -> Result<Served, MediaError> {
        let params = &self.inner.params;
        if !params.sizes.contains(&size) {
            return Err(MediaError::UnknownSize);
        }
        if format != Format::Jpeg && !params.formats.contains(&format) {
            return Err(MediaError::UnknownFormat);
        }
        let resolved = self.resolve(target).await?;
        let rendition = match self.rendition(&resolved).await {
            Err(MediaError::Renewing) => self.after_renewal(target, &resolved).await?,
            other => other?,
        };
        let (variant, stand_in) = match rendition.variant(size, format) {
            Some(found) => (found, false),
            None => {
                self.complete_later(&resolved);
                let nearest = rendition.stand_in(size, format);
                (nearest.ok_or(MediaError::NotFound)?, true)
            }
        };
        let immutable =
            version.is_some_and(|v| v == rendition.version || v == rendition.source_tag);
        let suffix = variant.format.extension().unwrap_or_default();
        Ok(Served {
            bytes: variant.bytes.clone(),
            format: variant.format,
            stand_in,
            etag: format!("\"{}-{}{suffix}\"", rendition.version, variant.width),
            immutable,
        })
    }

    pub(super) async fn resolve(&self, target: &Target) -> Result<Resolved, MediaError> {
        let current = self.inner.feed.peek().ok_or(MediaError::NotFound)?;
        resolve(&current.snapshot, target).ok_or(MediaError::NotFound)
    }

    /// Tries once more if the refresher renewed the URL already or, when a renewal is
    /// pending or running, once it finished (waiting a few seconds at most).
    async fn after_renewal(
        &self,
        target: &Target,
        before: &Resolved,
    ) -> Result<Arc<Rendition>, MediaError> {
        // Registered before looking, so a renewal finishing in between is not missed.
        let healed = self.inner.healed.notified();
        tokio::pin!(healed);
        healed.as_mut().enable();
        let mut now = self.resolve(target).await?;
        if now.image == before.image && self.inner.heal.is_pending(&before.heal_id) {
            let _ = tokio::time::timeout(HEAL_WAIT, healed).await;
            now = self.resolve(target).await?;
        }
        if now.image == before.image {
            return Err(MediaError::Renewing);
        }
        self.rendition(&now).await
    }

    /// Memory, else one shared load (disk, else download).
    pub(super) async fn rendition(&self, r: &Resolved) -> Result<Arc<Rendition>, MediaError> {
        let src = r.image.as_deref().ok_or(MediaError::NotFound)?;
        let tag = source_tag(src);
        let memory = &self.inner.memory;
        if let Some(hit) = memory.get(&r.key).await {
            if !r.check_tag || hit.source_tag == tag {
                return Ok(hit);
            }
            memory.invalidate(&r.key).await;
        }
        memory
            .try_get_with(r.key.clone(), self.load(r, src, &tag))
            .await
            .map_err(|e| (*e).clone())
    }

    async fn load(&self, r: &Resolved, src: &str, tag: &str) -> Result<Arc<Rendition>, MediaError> {
        let epoch = self.epoch();
        let inner = &self.inner;
        let stored = self.read_disk(&r.key).await;
        if let Some(found) = &stored
            && (!r.check_tag || found.source_tag == tag)
        {
            self.remember(&r.key, found);
            return Ok(Arc::new(found.clone()));
        }
        // What is on disk (an old profile picture) beats nothing if the download fails.
        let fallback = |error: MediaError| stored.clone().map(Arc::new).ok_or(error);
        if inner.dead.lock().is_ok_and(|dead| dead.contains(src)) {
            return fallback(MediaError::Renewing);
        }
        if let Some(error) = inner.failures.get(src, inner.clock.now()) {
            return fallback(error);
        }
        let _permit = inner
            .work
            .acquire()
            .await
            .map_err(|e| MediaError::Internal(e.to_string()))?;
        let original = match inner.cdn.image(src, inner.clock.now()).await {
            Ok(bytes) => bytes,
            Err(FetchError::Expired) => {
                if let Ok(mut dead) = inner.dead.lock() {
                    dead.insert(src.to_owned());
                }
                self.queue_heal(&r.heal_id);
                return fallback(MediaError::Renewing);
            }
            Err(error) => {
                tracing::warn!(key = %r.key, error = %error, "media download failed");
                return fallback(self.failed(src, error.to_string()));
            }
        };
        let params = inner.params.clone();
        let tag_owned = tag.to_owned();
        let bytes = original.clone();
        let rendered =
            tokio::task::spawn_blocking(move || super::render(&bytes, &params, &tag_owned))
                .await
                .map_err(|e| MediaError::Internal(e.to_string()))?;
        let rendition = match rendered {
            Ok(rendition) => rendition,
            Err(error) => {
                tracing::warn!(key = %r.key, error = %error, "media refused");
                return fallback(self.failed(src, error.to_string()));
            }
        };
        if self.epoch() != epoch {
            // Purged meanwhile: the account is gone, keep nothing.
            return Err(MediaError::NotFound);
        }
        self.write_disk(&r.key, &rendition).await;
        self.remember(&r.key, &rendition);
        // The other formats from the original in hand, once the visitor has the JPEG.
        self.encode_later(r, original);
        Ok(Arc::new(rendition))
    }

    /// The cached file of `key` (perhaps made under other settings: see
    /// [`MediaService::lacks`]).
    pub(super) async fn read_disk(&self, key: &str) -> Option<Rendition> {
        let disk = self.inner.disk.clone();
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || disk.read(&key))
            .await
            .ok()
            .flatten()
            .and_then(Rendition::from_file)
    }

    /// Writes `rendition` to the disk cache; a failure only costs a later download.
    pub(super) async fn write_disk(&self, key: &str, rendition: &Rendition) {
        let disk = self.inner.disk.clone();
        let (key, file) = (key.to_owned(), rendition.to_file());
        match tokio::task::spawn_blocking(move || disk.write(&key, &file)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!(%error, "could not store an image in the media cache"),
            Err(error) => tracing::warn!(%error, "could not store an image in the media cache"),
        }
    }

    /// Remembers that the original at `src` failed, so it is not downloaded again at once.
    pub(super) fn failed(&self, src: &str, detail: String) -> MediaError {
        let error = MediaError::Upstream(detail);
        let inner = &self.inner;
        inner.failures.record(src, error.clone(), inner.clock.now());
        error
    }

    /// Publishes what the original taught (sizes, version, colour, formats made) with the
    /// next republish.
    pub(super) fn remember(&self, key: &str, rendition: &Rendition) {
        if self
            .inner
            .links
            .remember(key.to_owned(), Known::from(rendition))
        {
            self.inner.dirty.store(true, Ordering::SeqCst);
            self.inner.wake.notify_one();
        }
    }

    pub(super) fn queue_heal(&self, id: &str) {
        if self.inner.heal.queue(id, self.inner.clock.now()) {
            self.inner.wake.notify_one();
        }
    }
}
